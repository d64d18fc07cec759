package interop

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os/exec"
	"testing"

	"github.com/cairn-id/cairn/internal/bbs"
)

// The independent BBS implementation: @digitalbazaar/bbs-signatures
// (JavaScript on @noble/curves), pinned in bbs/package-lock.json and driven
// through bbs/bbs.mjs.
const (
	wantDBBBS = "3.0.0"
	bbsDir    = "bbs"
	bbsScript = "bbs.mjs"
)

func requireDBBBS(t *testing.T) string {
	t.Helper()
	return requireNodePackage(t, bbsDir, "@digitalbazaar/bbs-signatures", wantDBBBS)
}

// bbsOp is one request to bbs.mjs; byte strings are hex.
type bbsOp struct {
	Op                string   `json:"op"`
	Suite             string   `json:"suite"`
	Seed              string   `json:"seed,omitempty"`
	SecretKey         string   `json:"secretKey,omitempty"`
	PublicKey         string   `json:"publicKey,omitempty"`
	Signature         string   `json:"signature,omitempty"`
	Proof             string   `json:"proof,omitempty"`
	Header            string   `json:"header"`
	PH                string   `json:"ph"`
	Messages          []string `json:"messages,omitempty"`
	DisclosedMessages []string `json:"disclosedMessages,omitempty"`
	Disclosed         []int    `json:"disclosed"`
}

type bbsResult struct {
	OK        bool   `json:"ok"`
	Error     string `json:"error"`
	SecretKey string `json:"secretKey"`
	PublicKey string `json:"publicKey"`
	Signature string `json:"signature"`
	Proof     string `json:"proof"`
}

func runDBBBS(t *testing.T, node string, ops []bbsOp) []bbsResult {
	t.Helper()
	in, err := json.Marshal(map[string]any{"ops": ops})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), nodeTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, bbsScript)
	cmd.Dir = bbsDir
	cmd.Stdin = bytes.NewReader(in)
	stdout := &limitedBuffer{max: maxNodeOutput}
	stderr := &limitedBuffer{max: maxNodeOutput}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node %s: %v\nstderr: %s", bbsScript, err, stderr.String())
	}
	var resp struct {
		Results []bbsResult `json:"results"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &resp); err != nil || len(resp.Results) != len(ops) {
		t.Fatalf("node %s answered %d results for %d ops (%v): %.500s", bbsScript, len(resp.Results), len(ops), err, stdout.String())
	}
	return resp.Results
}

func hexs(bs [][]byte) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = hex.EncodeToString(b)
	}
	return out
}

func unhexT(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex from node: %v", err)
	}
	return b
}

func flipped(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 1
	return c
}

// TestBBSDigitalBazaar checks, in both ciphersuites, that Cairn's
// internal/bbs and @digitalbazaar/bbs-signatures agree:
//   - KeyGen from the same key material gives the same key pair;
//   - Sign (deterministic) gives byte-identical signatures;
//   - each side verifies the other's signatures, and the proofs each side
//     derives (none, some and all messages disclosed, with an empty
//     message among them) from its own and from the other's signatures;
//   - each side refuses the other's signature with a changed message and
//     the other's proofs with a changed presentation header or a flipped
//     byte (JS acceptance of good input is never read as proof of validity:
//     the Go side checks every artefact too).
func TestBBSDigitalBazaar(t *testing.T) {
	node := requireDBBBS(t)
	msgs := [][]byte{
		[]byte(`"Amina"`), []byte(`"1990-01-01"`), {}, []byte(`"SD"`), []byte(`{"city":"Khartoum"}`), []byte("true"),
	}
	header := []byte(`{"alg":"BBS","kid":"issuer-key-1"}`)
	ph := []byte(`{"aud":"x509_san_dns:verifier.example","nonce":"n-0S6_WzA2Mj"}`)
	disclosures := [][]int{{}, {0, 3}, {0, 1, 2, 3, 4, 5}}
	seed := bytes.Repeat([]byte{0x5a}, 32)

	for _, sc := range []struct {
		js    string
		suite *bbs.Suite
	}{
		{"BLS12-381-SHA-256", bbs.SHA256()},
		{"BLS12-381-SHAKE-256", bbs.SHAKE256()},
	} {
		t.Run(sc.js, func(t *testing.T) {
			s := sc.suite
			// Key pairs: JS from the seed; Go from the same seed, and a fresh one.
			goSK, err := s.KeyGen(seed, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			goPK := goSK.PublicKey()
			res := runDBBBS(t, node, []bbsOp{{Op: "keygen", Suite: sc.js, Seed: hex.EncodeToString(seed)}})
			if !res[0].OK {
				t.Fatalf("js keygen: %s", res[0].Error)
			}
			jsSK, jsPK := unhexT(t, res[0].SecretKey), unhexT(t, res[0].PublicKey)
			if !bytes.Equal(jsSK, goSK.Bytes()) || !bytes.Equal(jsPK, goPK) {
				t.Fatalf("KeyGen differs: js %x / %x, go %x / %x", jsSK, jsPK, goSK.Bytes(), goPK)
			}
			freshSK, err := s.GenerateKey(rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			freshPK := freshSK.PublicKey()

			// JS signs with both keys (one key is shared with Go, one is Go's fresh key).
			freshSKHex := hex.EncodeToString(freshSK.Bytes())
			res = runDBBBS(t, node, []bbsOp{
				{Op: "sign", Suite: sc.js, SecretKey: res[0].SecretKey, PublicKey: res[0].PublicKey, Header: hex.EncodeToString(header), Messages: hexs(msgs)},
				{Op: "sign", Suite: sc.js, SecretKey: freshSKHex, PublicKey: hex.EncodeToString(freshPK), Header: hex.EncodeToString(header), Messages: hexs(msgs)},
			})
			for i, r := range res {
				if !r.OK {
					t.Fatalf("js sign %d: %s", i, r.Error)
				}
			}
			jsSig := unhexT(t, res[0].Signature)
			jsSigFresh := unhexT(t, res[1].Signature)

			goSig, err := s.Sign(goSK, goPK, header, msgs)
			if err != nil {
				t.Fatal(err)
			}
			goSigFresh, err := s.Sign(freshSK, freshPK, header, msgs)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(goSig, jsSig) || !bytes.Equal(goSigFresh, jsSigFresh) {
				t.Fatalf("Sign differs: go %x, js %x", goSig, jsSig)
			}
			for _, sig := range [][]byte{jsSig, jsSigFresh} {
				pk := goPK
				if bytes.Equal(sig, jsSigFresh) {
					pk = freshPK
				}
				if err := s.Verify(pk, sig, header, msgs); err != nil {
					t.Fatalf("Go rejects a JS signature: %v", err)
				}
			}

			// Proofs: Go derives from the JS signature; JS derives from the Go
			// signature (fresh key, so the signature came from Go's Sign).
			type made struct {
				by    string
				pk    []byte
				proof []byte
				idx   []int
			}
			var proofs []made
			var ops []bbsOp
			for _, idx := range disclosures {
				p, err := s.ProofGen(rand.Reader, freshPK, jsSigFresh, header, ph, msgs, idx)
				if err != nil {
					t.Fatal(err)
				}
				proofs = append(proofs, made{"go", freshPK, p, idx})
				ops = append(ops, bbsOp{Op: "prove", Suite: sc.js, PublicKey: hex.EncodeToString(freshPK), Signature: hex.EncodeToString(goSigFresh),
					Header: hex.EncodeToString(header), PH: hex.EncodeToString(ph), Messages: hexs(msgs), Disclosed: idx})
			}
			res = runDBBBS(t, node, ops)
			for k, r := range res {
				if !r.OK {
					t.Fatalf("js prove %v: %s", disclosures[k], r.Error)
				}
				proofs = append(proofs, made{"js", freshPK, unhexT(t, r.Proof), disclosures[k]})
			}

			// Go verifies everything; JS verifies everything, plus the mutations.
			ops = ops[:0]
			type expect struct {
				what string
				ok   bool
			}
			var want []expect
			ops = append(ops,
				bbsOp{Op: "verify", Suite: sc.js, PublicKey: hex.EncodeToString(freshPK), Signature: hex.EncodeToString(goSigFresh), Header: hex.EncodeToString(header), Messages: hexs(msgs)},
				bbsOp{Op: "verify", Suite: sc.js, PublicKey: hex.EncodeToString(goPK), Signature: hex.EncodeToString(goSig), Header: hex.EncodeToString(header), Messages: hexs(msgs)},
				bbsOp{Op: "verify", Suite: sc.js, PublicKey: hex.EncodeToString(freshPK), Signature: hex.EncodeToString(goSigFresh), Header: hex.EncodeToString(header), Messages: hexs(append([][]byte{[]byte(`"Fatima"`)}, msgs[1:]...))},
			)
			want = append(want, expect{"go signature", true}, expect{"go signature (shared key)", true}, expect{"go signature, changed message", false})
			if err := s.Verify(freshPK, jsSigFresh, header, append([][]byte{[]byte(`"Fatima"`)}, msgs[1:]...)); !errors.Is(err, bbs.ErrInvalidSignature) {
				t.Errorf("Go accepts a JS signature with a changed message: %v", err)
			}
			for _, p := range proofs {
				disc := make([][]byte, len(p.idx))
				for k, i := range p.idx {
					disc[k] = msgs[i]
				}
				if err := s.ProofVerify(p.pk, p.proof, header, ph, disc, p.idx); err != nil {
					t.Errorf("Go rejects a %s proof (disclosed %v): %v", p.by, p.idx, err)
				}
				if err := s.ProofVerify(p.pk, p.proof, header, []byte("other"), disc, p.idx); !errors.Is(err, bbs.ErrInvalidProof) {
					t.Errorf("Go accepts a %s proof with another ph: %v", p.by, err)
				}
				if err := s.ProofVerify(p.pk, flipped(p.proof, len(p.proof)-1), header, ph, disc, p.idx); err == nil {
					t.Errorf("Go accepts a %s proof with a flipped byte", p.by)
				}
				base := bbsOp{Op: "verifyProof", Suite: sc.js, PublicKey: hex.EncodeToString(p.pk), Proof: hex.EncodeToString(p.proof),
					Header: hex.EncodeToString(header), PH: hex.EncodeToString(ph), DisclosedMessages: hexs(disc), Disclosed: p.idx}
				otherPH, flip := base, base
				otherPH.PH = hex.EncodeToString([]byte("other"))
				flip.Proof = hex.EncodeToString(flipped(p.proof, len(p.proof)-1))
				ops = append(ops, base, otherPH, flip)
				want = append(want, expect{p.by + " proof", true}, expect{p.by + " proof, other ph", false}, expect{p.by + " proof, flipped byte", false})
			}
			res = runDBBBS(t, node, ops)
			for k, r := range res {
				if r.OK != want[k].ok {
					t.Errorf("JS on %s (disclosed %v): ok=%v, want %v (%s)", want[k].what, ops[k].Disclosed, r.OK, want[k].ok, r.Error)
				}
			}
		})
	}
}
