package keys

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/jose"
)

type privateVector struct {
	Name       string          `json:"name"`
	JWK        json.RawMessage `json:"jwk"`
	Alg        jose.Alg        `json:"alg"`
	Thumbprint string          `json:"thumbprint"`
	DIDKey     string          `json:"did_key"`
}

func loadVectors(t testing.TB) []privateVector {
	t.Helper()
	b, err := os.ReadFile("testdata/private_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v []privateVector
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	if len(v) < 3 {
		t.Fatalf("only %d vectors", len(v))
	}
	return v
}

func TestGenerateSignVerify(t *testing.T) {
	for _, alg := range []jose.Alg{"", jose.ES256, jose.ES384, jose.EdDSA} {
		k, err := Generate(alg, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := alg
		if want == "" {
			want = DefaultAlg
		}
		if k.Alg() != want || k.JoseSigner().Alg() != want {
			t.Errorf("Generate(%q).Alg() = %s, want %s", alg, k.Alg(), want)
		}
		compact, err := k.JoseSigner().Sign(map[string]any{"typ": "test"}, []byte("payload"))
		if err != nil {
			t.Fatal(err)
		}
		pub, err := k.PublicJWK().PublicKey()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := jose.ParseAndVerify(compact, pub, "test", nil); err != nil {
			t.Errorf("%s: signature does not verify with the public JWK: %v", want, err)
		}
		// The did:jwk resolves back to the same public key.
		var r did.Resolver
		got, err := r.ResolveKey(t.Context(), k.DIDJWK()+"#0")
		if err != nil || !got.Equal(k.PublicJWK()) {
			t.Errorf("%s: did:jwk does not resolve to the key: %v", want, err)
		}
	}
	if _, err := Generate("RS256", nil); !errors.Is(err, ErrUnsupportedAlg) {
		t.Errorf("RS256: %v", err)
	}
	if _, err := Generate("none", nil); !errors.Is(err, ErrUnsupportedAlg) {
		t.Errorf("none: %v", err)
	}
}

func TestGenerateEd25519UsesRandomness(t *testing.T) {
	seed := bytes.Repeat([]byte{7}, 32)
	a, _ := Generate(jose.EdDSA, bytes.NewReader(seed))
	b, _ := Generate(jose.EdDSA, bytes.NewReader(seed))
	if !a.PublicJWK().Equal(b.PublicJWK()) {
		t.Error("same seed, different Ed25519 keys")
	}
	if _, err := Generate(jose.EdDSA, bytes.NewReader(seed[:10])); err == nil {
		t.Error("short randomness accepted")
	}
}

func TestVectors(t *testing.T) {
	for _, v := range loadVectors(t) {
		k, err := ParsePrivateJWK(v.JWK)
		if err != nil {
			t.Fatalf("%s: %v", v.Name, err)
		}
		if k.Alg() != v.Alg {
			t.Errorf("%s: alg %s, want %s", v.Name, k.Alg(), v.Alg)
		}
		if v.Thumbprint != "" && k.PublicJWK().Thumbprint() != v.Thumbprint {
			t.Errorf("%s: thumbprint %s, want %s", v.Name, k.PublicJWK().Thumbprint(), v.Thumbprint)
		}
		if dk, err := k.KeyDID(); err != nil || dk != v.DIDKey {
			t.Errorf("%s: did:key %s, want %s (%v)", v.Name, dk, v.DIDKey, err)
		}
		// Marshal writes the same d back, plus alg and kid.
		out, err := MarshalPrivateJWK(k)
		if err != nil {
			t.Fatal(err)
		}
		var in, written map[string]string
		json.Unmarshal(v.JWK, &in)
		if err := json.Unmarshal(out, &written); err != nil {
			t.Fatal(err)
		}
		for name, val := range in {
			if written[name] != val {
				t.Errorf("%s: member %s = %q, want %q", v.Name, name, written[name], val)
			}
		}
		if written["alg"] != string(v.Alg) || written["kid"] != k.PublicJWK().Thumbprint() {
			t.Errorf("%s: alg/kid %q/%q", v.Name, written["alg"], written["kid"])
		}
	}
}

func TestMarshalParseRoundTrip(t *testing.T) {
	for _, alg := range []jose.Alg{jose.ES256, jose.ES384, jose.EdDSA} {
		k, _ := Generate(alg, nil)
		b, err := MarshalPrivateJWK(k)
		if err != nil {
			t.Fatal(err)
		}
		k2, err := ParsePrivateJWK(b)
		if err != nil {
			t.Fatalf("%s: %v", alg, err)
		}
		if !k2.PublicJWK().Equal(k.PublicJWK()) || k2.Alg() != alg {
			t.Errorf("%s: round trip changed the key", alg)
		}
		// The round-tripped key signs for the original public key.
		sig, _ := k2.JoseSigner().Sign(nil, []byte("x"))
		pub, _ := k.PublicJWK().PublicKey()
		if _, err := jose.ParseAndVerify(sig, pub, "", nil); err != nil {
			t.Errorf("%s: %v", alg, err)
		}
	}
}

func TestParsePrivateJWKRejects(t *testing.T) {
	v := loadVectors(t)
	var ed, p256 map[string]any
	json.Unmarshal(v[0].JWK, &ed)
	json.Unmarshal(v[1].JWK, &p256)
	with := func(base map[string]any, set map[string]any, del ...string) []byte {
		m := map[string]any{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range set {
			m[k] = v
		}
		for _, k := range del {
			delete(m, k)
		}
		b, _ := json.Marshal(m)
		return b
	}
	b64 := jose.B64.EncodeToString
	p256n := []byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51}
	cases := []struct {
		name string
		in   []byte
		want error
	}{
		{"public only EC", with(p256, nil, "d"), ErrNotPrivate},
		{"public only OKP", with(ed, nil, "d"), ErrNotPrivate},
		{"RSA", []byte(`{"kty":"RSA","n":"AQAB","e":"AQAB","d":"AQAB"}`), ErrInvalidKey},
		{"oct", []byte(`{"kty":"oct","k":"AQAB","d":"AQAB"}`), ErrInvalidKey},
		{"secp256k1", with(p256, map[string]any{"crv": "secp256k1"}), ErrInvalidKey},
		{"P-521", with(p256, map[string]any{"crv": "P-521"}), ErrInvalidKey},
		{"X25519", with(ed, map[string]any{"crv": "X25519"}), ErrInvalidKey},
		{"d short", with(p256, map[string]any{"d": b64(make([]byte, 31))}), ErrInvalidKey},
		{"d long", with(p256, map[string]any{"d": b64(make([]byte, 33))}), ErrInvalidKey},
		{"d zero", with(p256, map[string]any{"d": b64(make([]byte, 32))}), ErrInvalidKey},
		{"d = n", with(p256, map[string]any{"d": b64(p256n)}), ErrInvalidKey},
		{"d of another key", with(p256, map[string]any{"d": "YjRs6vNvw4sYrzVVY8ipkEpDAD9PFqw1sUnvPRMA-WI"}), ErrInvalidKey},
		{"ed d of another key", with(ed, map[string]any{"d": b64(bytes.Repeat([]byte{1}, 32))}), ErrInvalidKey},
		{"ed d short", with(ed, map[string]any{"d": b64(make([]byte, 31))}), ErrInvalidKey},
		{"d padded", with(ed, map[string]any{"d": ed["d"].(string) + "="}), ErrInvalidKey},
		{"d std alphabet", with(p256, map[string]any{"d": strings.ReplaceAll(strings.ReplaceAll(p256["d"].(string), "-", "+"), "_", "/")}), ErrInvalidKey},
		{"d number", with(p256, map[string]any{"d": 5}), ErrInvalidKey},
		{"x off curve", with(p256, map[string]any{"y": p256["x"]}), ErrInvalidKey},
		{"alg mismatch", with(p256, map[string]any{"alg": "ES384"}), ErrInvalidKey},
		{"alg none", with(ed, map[string]any{"alg": "none"}), ErrInvalidKey},
		{"missing x", with(p256, nil, "x"), ErrInvalidKey},
		{"not an object", []byte(`["d"]`), ErrInvalidKey},
		{"not json", []byte(`d=1`), ErrInvalidKey},
		{"oversize", with(p256, map[string]any{"pad": strings.Repeat("a", MaxPrivateJWKLen)}), ErrInvalidKey},
	}
	for _, c := range cases {
		_, err := ParsePrivateJWK(c.in)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: err %v, want %v", c.name, err, c.want)
		}
	}
	// The unmodified vectors pass, so the rejections above are the edits'.
	for _, b := range [][]byte{with(p256, nil), with(ed, nil), with(ed, map[string]any{"alg": "EdDSA", "kid": "x"})} {
		if _, err := ParsePrivateJWK(b); err != nil {
			t.Errorf("valid key refused: %v", err)
		}
	}
}

func TestSaveLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "issuer.jwk")
	k, _ := Generate(jose.ES256, nil)
	if err := Save(path, k); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %04o, want 0600", fi.Mode().Perm())
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !got.PublicJWK().Equal(k.PublicJWK()) {
		t.Error("loaded a different key")
	}
	before, _ := os.ReadFile(path)

	// Never overwritten.
	other, _ := Generate(jose.EdDSA, nil)
	err = Save(path, other)
	if !errors.Is(err, ErrExists) {
		t.Errorf("second Save: %v, want ErrExists", err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Error("existing key file changed")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the key (temporary files left behind?)", len(entries))
	}
	// Save into a missing directory fails and creates nothing.
	if err := Save(filepath.Join(dir, "no", "such", "k.jwk"), k); err == nil {
		t.Error("Save into a missing directory succeeded")
	}
}

func TestSaveConcurrentOneWins(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.jwk")
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k, _ := Generate(jose.EdDSA, nil)
			errs[i] = Save(path, k)
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, ErrExists):
			t.Errorf("unexpected error %v", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d saves succeeded, want exactly 1", ok)
	}
	if _, err := Load(path); err != nil {
		t.Error(err)
	}
}

func TestLoadRefusesInsecurePermissions(t *testing.T) {
	dir := t.TempDir()
	k, _ := Generate(jose.ES256, nil)
	b, _ := MarshalPrivateJWK(k)
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o660, 0o606} {
		p := filepath.Join(dir, fmt.Sprintf("k%o.jwk", mode))
		os.WriteFile(p, b, 0o600)
		os.Chmod(p, mode)
		_, err := Load(p)
		if !errors.Is(err, ErrInsecurePermissions) {
			t.Errorf("mode %04o: %v, want ErrInsecurePermissions", mode, err)
			continue
		}
		if !strings.Contains(err.Error(), "chmod 600 "+p) {
			t.Errorf("mode %04o: error does not give the fix: %v", mode, err)
		}
	}
	for _, mode := range []os.FileMode{0o600, 0o400} {
		p := filepath.Join(dir, fmt.Sprintf("ok%o.jwk", mode))
		os.WriteFile(p, b, 0o600)
		os.Chmod(p, mode)
		if _, err := Load(p); err != nil {
			t.Errorf("mode %04o: %v", mode, err)
		}
	}
	if _, err := Load(dir); err == nil {
		t.Error("Load of a directory succeeded")
	}
	if _, err := Load(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestLoadPublicJWK(t *testing.T) {
	dir := t.TempDir()
	k, _ := Generate(jose.EdDSA, nil)
	priv := filepath.Join(dir, "priv.jwk")
	if err := Save(priv, k); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadPublicJWK(priv); !errors.Is(err, ErrPrivateKeyFile) {
		t.Errorf("private file accepted as public: %v", err)
	}
	pubPath := filepath.Join(dir, "pub.jwk")
	pb, _ := json.Marshal(k.PublicJWK())
	os.WriteFile(pubPath, pb, 0o644)
	got, err := LoadPublicJWK(pubPath)
	if err != nil || !got.Equal(k.PublicJWK()) {
		t.Errorf("public file: %v, %v", got, err)
	}
	// The output of `cairn keys show --json` is read for its "jwk".
	showPath := filepath.Join(dir, "show.json")
	sb, _ := json.Marshal(map[string]any{"did": "did:jwk:x", "alg": "EdDSA", "thumbprint": k.PublicJWK().Thumbprint(), "private": true, "jwk": k.PublicJWK(), "file": priv})
	os.WriteFile(showPath, sb, 0o644)
	if got, err := LoadPublicJWK(showPath); err != nil || !got.Equal(k.PublicJWK()) {
		t.Errorf("keys show --json output: %v, %v", got, err)
	}
	// Load refuses the public file for lack of a private part.
	os.Chmod(pubPath, 0o600)
	if _, err := Load(pubPath); !errors.Is(err, ErrNotPrivate) {
		t.Errorf("Load of a public JWK: %v", err)
	}
}

func TestPublicJWKIsACopy(t *testing.T) {
	k, _ := Generate(jose.ES256, nil)
	p := k.PublicJWK()
	p.X = "tampered"
	if k.PublicJWK().X == "tampered" {
		t.Error("PublicJWK exposes internal state")
	}
}

func FuzzParsePrivateJWK(f *testing.F) {
	for _, v := range loadVectors(f) {
		f.Add([]byte(v.JWK))
	}
	f.Add([]byte(`{"kty":"EC","crv":"P-256","d":""}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := ParsePrivateJWK(b)
		if err != nil {
			return
		}
		// Whatever parses must sign verifiably and survive a round trip.
		sig, err := k.JoseSigner().Sign(nil, []byte("x"))
		if err != nil {
			t.Fatal(err)
		}
		pub, _ := k.PublicJWK().PublicKey()
		if _, err := jose.ParseAndVerify(sig, pub, "", nil); err != nil {
			t.Fatalf("parsed key does not verify its own signature: %v", err)
		}
		out, err := MarshalPrivateJWK(k)
		if err != nil {
			t.Fatal(err)
		}
		k2, err := ParsePrivateJWK(out)
		if err != nil || !k2.PublicJWK().Equal(k.PublicJWK()) {
			t.Fatalf("round trip failed: %v", err)
		}
	})
}

func BenchmarkParsePrivateJWK(b *testing.B) {
	b.ReportAllocs()
	v := loadVectors(b)
	for b.Loop() {
		if _, err := ParsePrivateJWK(v[1].JWK); err != nil {
			b.Fatal(err)
		}
	}
}
