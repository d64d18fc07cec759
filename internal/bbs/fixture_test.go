package bbs

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-id/cairn/internal/testkit"
)

// The fixtures in testdata/ are the draft's own JSON test vectors (see
// testdata/README.md); every check below compares computed values to them.

type suiteCase struct {
	dir string
	id  SuiteID
}

var suiteCases = []suiteCase{
	{"bls12-381-sha-256", SuiteSHA256},
	{"bls12-381-shake-256", SuiteSHAKE256},
}

type hexBytes []byte

func (h *hexBytes) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := hex.DecodeString(s)
	if err != nil {
		return err
	}
	*h = v
	return nil
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	testkit.ReadJSON(t, path, v)
}

func newSuite(t testing.TB, id SuiteID, opts ...Option) *Suite {
	t.Helper()
	s, err := NewSuite(id, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func toByteSlices(h []hexBytes) [][]byte {
	out := make([][]byte, len(h))
	for i := range h {
		out[i] = h[i]
	}
	return out
}

type keyPairFixture struct {
	KeyMaterial hexBytes `json:"keyMaterial"`
	KeyInfo     hexBytes `json:"keyInfo"`
	KeyDst      hexBytes `json:"keyDst"`
	KeyPair     struct {
		SecretKey hexBytes `json:"secretKey"`
		PublicKey hexBytes `json:"publicKey"`
	} `json:"keyPair"`
}

func TestKeyPairFixture(t *testing.T) {
	for _, sc := range suiteCases {
		t.Run(sc.dir, func(t *testing.T) {
			var f keyPairFixture
			readJSON(t, filepath.Join("testdata", sc.dir, "keypair.json"), &f)
			s := newSuite(t, sc.id)
			if want := string(s.apiID) + "KEYGEN_DST_"; string(f.KeyDst) != want {
				t.Errorf("keyDst = %q, want %q", f.KeyDst, want)
			}
			sk, err := s.KeyGen(f.KeyMaterial, f.KeyInfo, f.KeyDst)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(sk.Bytes(), f.KeyPair.SecretKey) {
				t.Errorf("KeyGen = %x, want %x", sk.Bytes(), f.KeyPair.SecretKey)
			}
			if pk := sk.PublicKey(); !bytes.Equal(pk, f.KeyPair.PublicKey) {
				t.Errorf("SkToPk = %x, want %x", pk, f.KeyPair.PublicKey)
			}
			if err := ValidatePublicKey(f.KeyPair.PublicKey); err != nil {
				t.Error(err)
			}
			parsed, err := ParseSecretKey(f.KeyPair.SecretKey)
			if err != nil || !parsed.Equal(sk) {
				t.Errorf("ParseSecretKey: %v", err)
			}
			if _, err := s.KeyGen(f.KeyMaterial[:31], nil, nil); !errors.Is(err, ErrKeyMaterial) {
				t.Errorf("short key material: %v", err)
			}
		})
	}
}

type generatorsFixture struct {
	P1            hexBytes   `json:"P1"`
	Q1            hexBytes   `json:"Q1"`
	MsgGenerators []hexBytes `json:"MsgGenerators"`
}

func TestGeneratorsFixture(t *testing.T) {
	for _, sc := range suiteCases {
		for _, cached := range []bool{true, false} {
			name := sc.dir + "/cached"
			var opts []Option
			if !cached {
				name = sc.dir + "/uncached"
				opts = append(opts, WithoutGeneratorCache())
			}
			t.Run(name, func(t *testing.T) {
				var f generatorsFixture
				readJSON(t, filepath.Join("testdata", sc.dir, "generators.json"), &f)
				s := newSuite(t, sc.id, opts...)
				p1, err := s.P1()
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(p1, f.P1) {
					t.Errorf("P1 = %x, want %x", p1, f.P1)
				}
				// Ask for a prefix first so the cache is extended, not rebuilt.
				for _, count := range []int{3, len(f.MsgGenerators) + 1} {
					gens, err := s.CreateGenerators(count)
					if err != nil {
						t.Fatal(err)
					}
					want := append([]hexBytes{f.Q1}, f.MsgGenerators...)[:count]
					for i := range want {
						if !bytes.Equal(gens[i], want[i]) {
							t.Errorf("count %d: generator %d = %x, want %x", count, i, gens[i], want[i])
						}
					}
				}
			})
		}
	}
}

func TestHashToScalarFixture(t *testing.T) {
	for _, sc := range suiteCases {
		t.Run(sc.dir, func(t *testing.T) {
			var f struct {
				Message hexBytes `json:"message"`
				Dst     hexBytes `json:"dst"`
				Scalar  hexBytes `json:"scalar"`
			}
			readJSON(t, filepath.Join("testdata", sc.dir, "h2s.json"), &f)
			s := newSuite(t, sc.id)
			if want := string(s.apiID) + "H2S_"; string(f.Dst) != want {
				t.Errorf("dst = %q, want %q", f.Dst, want)
			}
			got, err := s.HashToScalar(f.Message, f.Dst)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, f.Scalar) {
				t.Errorf("hash_to_scalar = %x, want %x", got, f.Scalar)
			}
		})
	}
}

func TestMapMessageToScalarFixture(t *testing.T) {
	for _, sc := range suiteCases {
		t.Run(sc.dir, func(t *testing.T) {
			var f struct {
				Dst   hexBytes `json:"dst"`
				Cases []struct {
					Message hexBytes `json:"message"`
					Scalar  hexBytes `json:"scalar"`
				} `json:"cases"`
			}
			readJSON(t, filepath.Join("testdata", sc.dir, "MapMessageToScalarAsHash.json"), &f)
			s := newSuite(t, sc.id)
			if want := string(s.apiID) + "MAP_MSG_TO_SCALAR_AS_HASH_"; string(f.Dst) != want {
				t.Errorf("dst = %q, want %q", f.Dst, want)
			}
			msgs := make([][]byte, len(f.Cases))
			for i, c := range f.Cases {
				msgs[i] = c.Message
			}
			got, err := s.MessagesToScalars(msgs)
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Cases) != 10 {
				t.Errorf("%d cases, want 10", len(f.Cases))
			}
			for i, c := range f.Cases {
				if !bytes.Equal(got[i], c.Scalar) {
					t.Errorf("case %d: %x, want %x", i, got[i], c.Scalar)
				}
			}
		})
	}
}

type mockedRNGFixture struct {
	Seed          hexBytes   `json:"seed"`
	Dst           hexBytes   `json:"dst"`
	Count         int        `json:"count"`
	MockedScalars []hexBytes `json:"mockedScalars"`
}

func loadMockedRNG(t *testing.T, dir string) mockedRNGFixture {
	var f mockedRNGFixture
	readJSON(t, filepath.Join("testdata", dir, "mockedRng.json"), &f)
	return f
}

func TestMockedRNGFixture(t *testing.T) {
	for _, sc := range suiteCases {
		t.Run(sc.dir, func(t *testing.T) {
			f := loadMockedRNG(t, sc.dir)
			s := newSuite(t, sc.id)
			if want := string(s.apiID) + "MOCK_RANDOM_SCALARS_DST_"; string(f.Dst) != want {
				t.Errorf("dst = %q, want %q", f.Dst, want)
			}
			got, err := s.seededRandomScalars(f.Seed, f.Dst, f.Count)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(f.MockedScalars) {
				t.Fatalf("%d scalars, want %d", len(got), len(f.MockedScalars))
			}
			for i := range got {
				if b := scalarBytes(&got[i]); !bytes.Equal(b, f.MockedScalars[i]) {
					t.Errorf("scalar %d = %x, want %x", i, b, f.MockedScalars[i])
				}
			}
			// Through ProofGen's randomness path as well.
			viaSource, err := randomScalars(&mockedRandom{s: s, seed: f.Seed, dst: f.Dst}, f.Count)
			if err != nil || len(viaSource) != f.Count || viaSource[3].IsEqual(&got[3]) != 1 {
				t.Errorf("mocked source disagrees: %v", err)
			}
		})
	}
}

type signatureFixture struct {
	CaseName      string `json:"caseName"`
	SignerKeyPair struct {
		SecretKey hexBytes `json:"secretKey"`
		PublicKey hexBytes `json:"publicKey"`
	} `json:"signerKeyPair"`
	Header    hexBytes   `json:"header"`
	Messages  []hexBytes `json:"messages"`
	Signature hexBytes   `json:"signature"`
	Result    struct {
		Valid  bool   `json:"valid"`
		Reason string `json:"reason"`
	} `json:"result"`
	Trace struct {
		B      hexBytes `json:"B"`
		Domain hexBytes `json:"domain"`
	} `json:"trace"`
}

func fixtureFiles(t *testing.T, dir, kind string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", dir, kind, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestSignatureFixtures(t *testing.T) {
	total, valid := 0, 0
	for _, sc := range suiteCases {
		s := newSuite(t, sc.id)
		for _, path := range fixtureFiles(t, sc.dir, "signature") {
			total++
			var f signatureFixture
			readJSON(t, path, &f)
			t.Run(sc.dir+"/"+strings.TrimSuffix(filepath.Base(path), ".json"), func(t *testing.T) {
				msgs := toByteSlices(f.Messages)
				err := s.Verify(f.SignerKeyPair.PublicKey, f.Signature, f.Header, msgs)
				if f.Result.Valid && err != nil {
					t.Fatalf("%s: Verify: %v", f.CaseName, err)
				}
				if !f.Result.Valid {
					if err == nil {
						t.Fatalf("%s (%s): Verify accepted", f.CaseName, f.Result.Reason)
					}
					if !errors.Is(err, ErrInvalidSignature) {
						t.Errorf("%s: error %v, want ErrInvalidSignature", f.CaseName, err)
					}
					return
				}
				valid++
				sk, err := ParseSecretKey(f.SignerKeyPair.SecretKey)
				if err != nil {
					t.Fatal(err)
				}
				sig, err := s.Sign(sk, f.SignerKeyPair.PublicKey, f.Header, msgs)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(sig, f.Signature) {
					t.Errorf("Sign = %x, want %x", sig, f.Signature)
				}
			})
		}
	}
	if total != 20 || valid != 6 {
		t.Errorf("ran %d signature fixtures (%d valid), want 20 (6 valid)", total, valid)
	}
}

type proofFixture struct {
	CaseName           string     `json:"caseName"`
	SignerPublicKey    hexBytes   `json:"signerPublicKey"`
	Signature          hexBytes   `json:"signature"`
	Header             hexBytes   `json:"header"`
	PresentationHeader hexBytes   `json:"presentationHeader"`
	Messages           []hexBytes `json:"messages"`
	DisclosedIndexes   []int      `json:"disclosedIndexes"`
	Proof              hexBytes   `json:"proof"`
	Result             struct {
		Valid  bool   `json:"valid"`
		Reason string `json:"reason"`
	} `json:"result"`
}

// disclosedOf returns messages[i] for i in idx, or ok=false when an index
// points outside the list (then the case cannot be valid).
func disclosedOf(messages []hexBytes, idx []int) ([][]byte, bool) {
	out := make([][]byte, len(idx))
	for k, i := range idx {
		if i < 0 || i >= len(messages) {
			return nil, false
		}
		out[k] = messages[i]
	}
	return out, true
}

func TestProofFixtures(t *testing.T) {
	total, valid := 0, 0
	for _, sc := range suiteCases {
		s := newSuite(t, sc.id)
		rng := loadMockedRNG(t, sc.dir)
		for _, path := range fixtureFiles(t, sc.dir, "proof") {
			total++
			var f proofFixture
			readJSON(t, path, &f)
			t.Run(sc.dir+"/"+strings.TrimSuffix(filepath.Base(path), ".json"), func(t *testing.T) {
				disclosed, ok := disclosedOf(f.Messages, f.DisclosedIndexes)
				var err error
				if ok {
					err = s.ProofVerify(f.SignerPublicKey, f.Proof, f.Header, f.PresentationHeader, disclosed, f.DisclosedIndexes)
				} else {
					err = errors.New("index outside the message list")
				}
				if !f.Result.Valid {
					if err == nil {
						t.Fatalf("%s (%s): ProofVerify accepted", f.CaseName, f.Result.Reason)
					}
					return
				}
				if err != nil {
					t.Fatalf("%s: ProofVerify: %v", f.CaseName, err)
				}
				valid++
				proof, err := s.ProofGen(&mockedRandom{s: s, seed: rng.Seed, dst: rng.Dst}, f.SignerPublicKey, f.Signature,
					f.Header, f.PresentationHeader, toByteSlices(f.Messages), f.DisclosedIndexes)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(proof, f.Proof) {
					t.Errorf("ProofGen = %x,\nwant %x", proof, f.Proof)
				}
			})
		}
	}
	if total != 30 || valid != 10 {
		t.Errorf("ran %d proof fixtures (%d valid), want 30 (10 valid)", total, valid)
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}
