package interop

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/sdjwt"
	"github.com/cairn-id/cairn/internal/sdjwtvc"
)

// Pinned versions: the tests fail when node_modules does not hold what
// package-lock.json pins (run `make interop-deps`).
const (
	wantSDJWTCore = "0.20.0"
	wantSDJWTVC   = "0.20.0"
	minNodeMajor  = 20
)

const (
	issuerURL = "https://issuer.example"
	vctURL    = "https://credentials.cairn.example/refugee-id/v1"
	// An OpenID4VP client_id, prefix included, as KB aud (DESIGN.md §2).
	audience = "x509_san_dns:verifier.example"
	nonce    = "n-0S6_WzA2Mj-interop"

	nodeTimeout   = 60 * time.Second
	maxNodeOutput = 4 << 20
	scriptDir     = "sdjwtjs"
	scriptName    = "sdjwtjs.mjs"
)

var (
	issuedAt  = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	expiresAt = time.Date(2036, 1, 1, 0, 0, 0, 0, time.UTC)
)

// requireSDJWTJS returns the node binary, or skips (or, with
// CAIRN_INTEROP=required, fails) when node or the npm dependencies are
// missing. A skip is never a pass: `make test` sets CAIRN_INTEROP=required.
func requireSDJWTJS(t *testing.T) string {
	t.Helper()
	required := os.Getenv("CAIRN_INTEROP") == "required"
	var missing string
	node, err := exec.LookPath("node")
	if err != nil {
		missing = "node (>= 20) is not on PATH"
	} else if _, err := os.Stat(filepath.Join(scriptDir, "node_modules", "@sd-jwt", "sd-jwt-vc", "package.json")); err != nil {
		missing = "interop/sdjwtjs/node_modules is missing"
	}
	if missing != "" {
		if required {
			t.Fatalf("interop: %s and CAIRN_INTEROP=required: install Node >= %d and run 'make interop-deps' (cd interop/sdjwtjs && npm ci)", missing, minNodeMajor)
		}
		t.Skip("interop: run 'make interop-deps' (npm ci) first")
	}
	return node
}

// limitedBuffer fails writes beyond max so a runaway child cannot fill memory.
type limitedBuffer struct {
	bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if b.Len()+len(p) > b.max {
		return 0, fmt.Errorf("output larger than %d bytes", b.max)
	}
	return b.Buffer.Write(p)
}

// js runs one request through sdjwtjs.mjs and decodes its JSON answer.
// It takes the calling (sub)test's t, since FailNow must run on that
// test's goroutine.
type js struct {
	node string
}

func (j js) call(t *testing.T, req map[string]any, resp any) {
	t.Helper()
	in, err := json.Marshal(req)
	if err != nil {
		t.Fatalf("encode %v request: %v", req["op"], err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), nodeTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, j.node, scriptName)
	cmd.Dir = scriptDir
	cmd.Stdin = bytes.NewReader(in)
	stdout := &limitedBuffer{max: maxNodeOutput}
	stderr := &limitedBuffer{max: maxNodeOutput}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node %s %v: %v\nstderr: %s", scriptName, req["op"], err, stderr.String())
	}
	if err := json.Unmarshal(stdout.Bytes(), resp); err != nil {
		t.Fatalf("node %v answered non-JSON (%v): %.500s", req["op"], err, stdout.String())
	}
}

// jsVerdict is sdjwtjs.mjs's answer for one token. Stage says who refused
// it: "sd-jwt-js" (the library) or "interop-check" (the checks the script
// adds because the library omits them).
type jsVerdict struct {
	OK     bool           `json:"ok"`
	Stage  string         `json:"stage"`
	Error  string         `json:"error"`
	Claims map[string]any `json:"claims"`
	KB     map[string]any `json:"kb"`
}

type jsVerifyReq struct {
	presentations     []string
	issuerPub         map[string]any
	aud, nonce        string
	requireKeyBinding bool
	requiredClaimKeys []string
}

func (j js) verify(t *testing.T, r jsVerifyReq) []jsVerdict {
	t.Helper()
	var resp struct {
		Results []jsVerdict `json:"results"`
	}
	req := map[string]any{
		"op": "verify", "presentations": r.presentations, "issuerPub": r.issuerPub,
		"aud": r.aud, "nonce": r.nonce, "requireKeyBinding": r.requireKeyBinding,
		"kbMaxAgeSeconds": 300,
	}
	if r.requiredClaimKeys != nil {
		req["requiredClaimKeys"] = r.requiredClaimKeys
	}
	j.call(t, req, &resp)
	if len(resp.Results) != len(r.presentations) {
		t.Fatalf("sd-jwt-js returned %d verdicts for %d presentations", len(resp.Results), len(r.presentations))
	}
	return resp.Results
}

// party is one key holder: a fixed P-256 key derived from a label, so runs
// are reproducible without key files.
type party struct {
	key    *ecdsa.PrivateKey
	signer *jose.Signer
	jwk    *jose.JWK
}

func newParty(t *testing.T, label string) party {
	t.Helper()
	seed := sha256.Sum256([]byte("cairn interop test key: " + label))
	key, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), seed[:])
	if err != nil {
		t.Fatalf("key %s: %v", label, err)
	}
	signer, err := jose.NewSigner(key, nil)
	if err != nil {
		t.Fatal(err)
	}
	jwk, err := jose.NewJWK(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	return party{key: key, signer: signer, jwk: jwk}
}

// publicMap is the public JWK as a JSON object (kty, crv, x, y).
func (p party) publicMap() map[string]any {
	return map[string]any{"kty": p.jwk.Kty, "crv": p.jwk.Crv, "x": p.jwk.X, "y": p.jwk.Y}
}

// privateMap adds d, for the Node side's signer only.
func (p party) privateMap(t *testing.T) map[string]any {
	t.Helper()
	d, err := p.key.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	m := p.publicMap()
	m["d"] = jose.B64.EncodeToString(d)
	return m
}

// canon turns any JSON-able value into plain decoded JSON (float64 numbers,
// map[string]any objects) so values from both sides compare with DeepEqual.
func canon(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("canon: %v", err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("canon: %v", err)
	}
	return out
}

func sameClaims(t *testing.T, what string, got, want any) {
	t.Helper()
	g, w := canon(t, got), canon(t, want)
	if !reflect.DeepEqual(g, w) {
		gb, _ := json.MarshalIndent(g, "", "  ")
		wb, _ := json.MarshalIndent(w, "", "  ")
		t.Errorf("%s differ\n got: %s\nwant: %s", what, gb, wb)
	}
}

// The credential both sides issue: ten disclosable user claims (plus the
// address object itself), a nested object, an array with disclosable
// elements, non-ASCII text and a number left in the clear.
func userClaims() map[string]any {
	return map[string]any{
		"given_name":     "Olena",
		"family_name":    "Kovalenko",
		"birthdate":      "1990-04-12",
		"email":          "olena@example.org",
		"phone_number":   "+48 600 000 000",
		"nationality":    "UA",
		"household_size": 3,
		"address": map[string]any{
			"street_address": "ul. Długa 5",
			"locality":       "Kraków",
			"postal_code":    "31-147",
			"country":        "PL",
		},
		"languages": []any{"uk", "pl", "en"},
	}
}

// cairnDisclosable and jsFrame say the same thing in each side's terms.
var cairnDisclosable = []string{
	"/given_name", "/family_name", "/birthdate", "/email", "/phone_number",
	"/address", "/address/street_address", "/address/locality", "/address/postal_code",
	"/languages/*",
}

func jsFrame() map[string]any {
	return map[string]any{
		"_sd":       []any{"given_name", "family_name", "birthdate", "email", "phone_number", "address"},
		"address":   map[string]any{"_sd": []any{"street_address", "locality", "postal_code"}},
		"languages": map[string]any{"_sd": []any{0, 1, 2}},
		"_sd_decoy": 2,
	}
}

const disclosableCount = 12 // 6 top-level + 3 address members + 3 languages

// The four claims presented, in each side's terms.
var cairnPresented = []string{"/given_name", "/birthdate", "/address/locality", "/languages/1"}

func jsPresentationFrame() map[string]any {
	return map[string]any{
		"given_name": true,
		"birthdate":  true,
		"address":    map[string]any{"locality": true},
		"languages":  map[string]any{"1": true},
	}
}

func registeredClaims(holder party) map[string]any {
	return map[string]any{
		"vct": vctURL,
		"iss": issuerURL,
		"iat": issuedAt.Unix(),
		"exp": expiresAt.Unix(),
		"cnf": map[string]any{"jwk": holder.publicMap()},
	}
}

// wantPresented is what a verifier must see after the four-claim
// presentation: registered and always-visible claims plus exactly the
// selected ones, with the undisclosed array elements gone.
func wantPresented(holder party) map[string]any {
	m := registeredClaims(holder)
	m["nationality"] = "UA"
	m["household_size"] = 3
	m["given_name"] = "Olena"
	m["birthdate"] = "1990-04-12"
	m["address"] = map[string]any{"locality": "Kraków", "country": "PL"}
	m["languages"] = []any{"pl"}
	return m
}

type fixture struct {
	js             js
	issuer, holder party
	other          party // neither issuer nor holder
	now            time.Time
}

func (f fixture) trust() sdjwtvc.Trust {
	pinned := *f.issuer.jwk
	return sdjwtvc.Trust{PinnedKeys: []*jose.JWK{&pinned}}
}

func (f fixture) cairnVerify(presentation string, requireKB bool) (*sdjwtvc.Result, error) {
	return sdjwtvc.Verify(context.Background(), presentation, sdjwtvc.VerifyOptions{
		Trust:             f.trust(),
		RequireKeyBinding: requireKB,
		Nonce:             nonce,
		Audience:          audience,
		// Fixed at the start of the test; Node stamps KB iat with its real
		// clock a little later, inside the one-minute skew.
		Now:      func() time.Time { return f.now },
		KBMaxAge: 5 * time.Minute,
	})
}

func (f fixture) cairnIssue(t *testing.T, claims map[string]any, disclosable []string, decoys int) string {
	t.Helper()
	cred, err := sdjwtvc.Issue(sdjwtvc.Credential{
		VCT:         vctURL,
		Issuer:      issuerURL,
		IssuedAt:    issuedAt,
		ExpiresAt:   expiresAt,
		HolderJWK:   f.holder.jwk,
		Claims:      claims,
		Disclosable: disclosable,
		Decoys:      decoys,
	}, sdjwtvc.IssueOptions{Signer: f.issuer.signer.WithKeyID(f.issuer.jwk.Thumbprint())})
	if err != nil {
		t.Fatalf("cairn issue: %v", err)
	}
	return cred
}

// cairnPresent selects paths and appends a KB-JWT signed by kbKey.
func (f fixture) cairnPresent(t *testing.T, cred string, paths []string, kbKey party, aud, nonce string) string {
	t.Helper()
	sd, err := sdjwt.Parse(cred, sdjwt.Limits{})
	if err != nil {
		t.Fatalf("cairn parse: %v", err)
	}
	sel, err := sd.Select(paths)
	if err != nil {
		t.Fatalf("cairn select: %v", err)
	}
	return f.rebind(t, sel, kbKey, aud, nonce)
}

func (f fixture) rebind(t *testing.T, sd *sdjwt.SDJWT, kbKey party, aud, nonce string) string {
	t.Helper()
	return f.rebindAt(t, sd, kbKey, aud, nonce, f.now)
}

func (f fixture) rebindAt(t *testing.T, sd *sdjwt.SDJWT, kbKey party, aud, nonce string, iat time.Time) string {
	t.Helper()
	withKB, err := sd.WithKeyBinding(kbKey.signer, sdjwt.KBOptions{Audience: aud, Nonce: nonce, IssuedAt: iat})
	if err != nil {
		t.Fatalf("cairn key binding: %v", err)
	}
	return withKB.String()
}

func (f fixture) jsIssue(t *testing.T, payload, frame map[string]any) string {
	t.Helper()
	var resp struct{ Credential string }
	f.js.call(t, map[string]any{
		"op": "issue", "issuerKey": f.issuer.privateMap(t), "kid": f.issuer.jwk.Thumbprint(),
		"payload": payload, "frame": frame,
	}, &resp)
	if resp.Credential == "" {
		t.Fatal("sd-jwt-js issued nothing")
	}
	return resp.Credential
}

func (f fixture) jsPresent(t *testing.T, cred string, frame map[string]any) string {
	t.Helper()
	var resp struct{ Presentation string }
	f.js.call(t, map[string]any{
		"op": "present", "credential": cred, "frame": frame,
		"holderKey": f.holder.privateMap(t), "aud": audience, "nonce": nonce,
	}, &resp)
	if resp.Presentation == "" {
		t.Fatal("sd-jwt-js presented nothing")
	}
	return resp.Presentation
}

func (f fixture) jsVerifyKB(t *testing.T, presentations ...string) []jsVerdict {
	t.Helper()
	return f.js.verify(t, jsVerifyReq{
		presentations: presentations, issuerPub: f.issuer.publicMap(),
		aud: audience, nonce: nonce, requireKeyBinding: true,
	})
}

// TestSDJWTJS runs the interoperability checks against sd-jwt-js.
func TestSDJWTJS(t *testing.T) {
	node := requireSDJWTJS(t)
	f := fixture{
		js:     js{node: node},
		issuer: newParty(t, "issuer"),
		holder: newParty(t, "holder"),
		other:  newParty(t, "other"),
		now:    time.Now().Truncate(time.Second),
	}

	t.Run("versions", func(t *testing.T) {
		var v map[string]string
		f.js.call(t, map[string]any{"op": "versions"}, &v)
		t.Logf("node %s, @sd-jwt/core %s, @sd-jwt/sd-jwt-vc %s, @owf/identity-common %s",
			v["node"], v["@sd-jwt/core"], v["@sd-jwt/sd-jwt-vc"], v["@owf/identity-common"])
		if v["@sd-jwt/core"] != wantSDJWTCore || v["@sd-jwt/sd-jwt-vc"] != wantSDJWTVC {
			t.Errorf("node_modules holds @sd-jwt/core %q, @sd-jwt/sd-jwt-vc %q; want %s/%s: run 'make interop-deps'",
				v["@sd-jwt/core"], v["@sd-jwt/sd-jwt-vc"], wantSDJWTCore, wantSDJWTVC)
		}
		major, _, _ := strings.Cut(v["node"], ".")
		if n, err := strconv.Atoi(major); err != nil || n < minNodeMajor {
			t.Errorf("node %q, want >= %d", v["node"], minNodeMajor)
		}
	})

	// One presentation per direction, shared with the mutation tests.
	jsPayload := userClaims()
	for k, v := range registeredClaims(f.holder) {
		jsPayload[k] = v
	}
	jsCred := f.jsIssue(t, jsPayload, jsFrame())
	jsPres := f.jsPresent(t, jsCred, jsPresentationFrame())
	cairnCred := f.cairnIssue(t, userClaims(), cairnDisclosable, 0)
	cairnPres := f.cairnPresent(t, cairnCred, cairnPresented, f.holder, audience, nonce)

	t.Run("sdjwtjs_issues_cairn_verifies", func(t *testing.T) {
		full, err := sdjwt.Parse(jsCred, sdjwt.Limits{})
		if err != nil {
			t.Fatalf("cairn cannot parse the sd-jwt-js credential: %v", err)
		}
		if len(full.Disclosures) != disclosableCount {
			t.Fatalf("sd-jwt-js issued %d disclosures, want %d", len(full.Disclosures), disclosableCount)
		}
		if full.Header.Typ != sdjwtvc.Typ {
			t.Errorf("sd-jwt-js header typ %q, want %q", full.Header.Typ, sdjwtvc.Typ)
		}
		v := f.jsVerifyKB(t, jsPres)[0]
		if !v.OK {
			t.Fatalf("sd-jwt-js rejects its own presentation (%s): %s", v.Stage, v.Error)
		}
		res, err := f.cairnVerify(jsPres, true)
		if err != nil {
			t.Fatalf("cairn rejects the sd-jwt-js presentation: %v (code %s)", err, sdjwt.Code(err))
		}
		if res.KeyBinding == nil || res.KeyBinding.Nonce != nonce || res.KeyBinding.Audience != audience {
			t.Errorf("cairn key binding %+v, want nonce %q aud %q", res.KeyBinding, nonce, audience)
		}
		if !res.Trusted || res.Issuer != issuerURL || res.VCT != vctURL {
			t.Errorf("cairn result trusted=%v iss=%q vct=%q", res.Trusted, res.Issuer, res.VCT)
		}
		sameClaims(t, "cairn vs sd-jwt-js claims", res.Claims, v.Claims)
		sameClaims(t, "cairn vs expected claims", res.Claims, wantPresented(f.holder))
	})

	t.Run("cairn_issues_sdjwtjs_verifies", func(t *testing.T) {
		v := f.js.verify(t, jsVerifyReq{
			presentations: []string{cairnPres}, issuerPub: f.issuer.publicMap(),
			aud: audience, nonce: nonce, requireKeyBinding: true,
			requiredClaimKeys: []string{"vct", "iss", "cnf", "given_name", "birthdate", "address.locality", "languages"},
		})[0]
		if !v.OK {
			t.Fatalf("sd-jwt-js rejects the cairn presentation (%s): %s", v.Stage, v.Error)
		}
		if v.KB["nonce"] != nonce || v.KB["aud"] != audience {
			t.Errorf("sd-jwt-js saw KB %v", v.KB)
		}
		sameClaims(t, "sd-jwt-js vs expected claims", v.Claims, wantPresented(f.holder))
		res, err := f.cairnVerify(cairnPres, true)
		if err != nil {
			t.Fatalf("cairn rejects its own presentation: %v", err)
		}
		sameClaims(t, "sd-jwt-js vs cairn claims", v.Claims, res.Claims)

		// A required claim the presentation withholds must make sd-jwt-js
		// refuse: proof that requiredClaimKeys was really checked above.
		miss := f.js.verify(t, jsVerifyReq{
			presentations: []string{cairnPres}, issuerPub: f.issuer.publicMap(),
			aud: audience, nonce: nonce, requireKeyBinding: true,
			requiredClaimKeys: []string{"family_name"},
		})[0]
		if miss.OK {
			t.Error("sd-jwt-js accepted a presentation without the required claim family_name")
		}
	})

	t.Run("mutations_rejected_by_both", func(t *testing.T) {
		for _, base := range []struct{ name, pres string }{
			{"cairn_issued", cairnPres},
			{"sdjwtjs_issued", jsPres},
		} {
			t.Run(base.name, func(t *testing.T) { testMutations(t, f, base.pres) })
		}
	})

	t.Run("cairn_recursive_decoys_sdjwtjs_processes", func(t *testing.T) { testRecursive(t, f) })
}

// mutation is one way to break a valid presentation. jsStage is who must
// refuse it on the Node side: "sd-jwt-js" where the library itself does,
// "interop-check" where only the script's extra check does (a gap in
// sd-jwt-js 0.20.0 relative to RFC 9901).
type mutation struct {
	name    string
	mutate  func(t *testing.T, f fixture, pres string) string
	want    []error // Cairn must wrap one of these
	jsStage string
}

func mutations() []mutation {
	return []mutation{
		{
			name:    "issuer_signature_byte_flipped",
			mutate:  flipIssuerSignatureByte,
			want:    []error{sdjwt.ErrSignature},
			jsStage: "sd-jwt-js",
		},
		{
			// The holder re-signs the KB-JWT after tampering, so only the
			// disclosure digest check can catch it.
			name:    "disclosure_value_tampered",
			mutate:  tamperDisclosure,
			want:    []error{sdjwt.ErrDisclosure, sdjwt.ErrUnreferencedDisclosure},
			jsStage: "sd-jwt-js",
		},
		{
			name: "key_binding_dropped",
			mutate: func(t *testing.T, f fixture, pres string) string {
				return pres[:strings.LastIndexByte(pres, '~')+1]
			},
			want:    []error{sdjwt.ErrKeyBindingRequired},
			jsStage: "sd-jwt-js",
		},
		{
			name: "wrong_nonce",
			mutate: func(t *testing.T, f fixture, pres string) string {
				return f.rebind(t, withoutKB(t, pres), f.holder, audience, "another-session-nonce")
			},
			want:    []error{sdjwt.ErrNonce},
			jsStage: "sd-jwt-js",
		},
		{
			// sd-jwt-js never compares aud: only the script's check refuses.
			name: "wrong_audience",
			mutate: func(t *testing.T, f fixture, pres string) string {
				return f.rebind(t, withoutKB(t, pres), f.holder, "x509_san_dns:attacker.example", nonce)
			},
			want:    []error{sdjwt.ErrAudience},
			jsStage: "interop-check",
		},
		{
			name: "key_binding_signed_by_other_key",
			mutate: func(t *testing.T, f fixture, pres string) string {
				return f.rebind(t, withoutKB(t, pres), f.other, audience, nonce)
			},
			want:    []error{sdjwt.ErrKeyBinding},
			jsStage: "sd-jwt-js",
		},
		{
			// sd-jwt-js only refuses a KB iat in the future; freshness
			// (RFC 9901 §7.3 step 5c) is the script's check.
			name: "key_binding_stale",
			mutate: func(t *testing.T, f fixture, pres string) string {
				return f.rebindAt(t, withoutKB(t, pres), f.holder, audience, nonce, f.now.Add(-time.Hour))
			},
			want:    []error{sdjwt.ErrKBTime},
			jsStage: "interop-check",
		},
		{
			// The issuer itself signs the same payload as typ JWT: a
			// genuine signature, but not an SD-JWT VC (sd-jwt-vc-25
			// §3.2.1). sd-jwt-js does not look at the issuer JWT's typ.
			name:    "issuer_typ_not_dc+sd-jwt",
			mutate:  resignIssuerJWTAsPlainJWT,
			want:    []error{sdjwt.ErrType},
			jsStage: "interop-check",
		},
		{
			// RFC 9901 §7.1 refuses a disclosure that appears twice;
			// sd-jwt-js merges duplicates by digest.
			name: "disclosure_duplicated",
			mutate: func(t *testing.T, f fixture, pres string) string {
				sd := withoutKB(t, pres)
				sd.Disclosures = append(sd.Disclosures, sd.Disclosures[0])
				return f.rebind(t, sd, f.holder, audience, nonce)
			},
			want:    []error{sdjwt.ErrDuplicateDisclosure},
			jsStage: "interop-check",
		},
	}
}

func testMutations(t *testing.T, f fixture, pres string) {
	// The unmutated presentation must pass on both sides, or every
	// rejection below proves nothing.
	if _, err := f.cairnVerify(pres, true); err != nil {
		t.Fatalf("cairn rejects the unmutated presentation: %v", err)
	}
	if v := f.jsVerifyKB(t, pres)[0]; !v.OK {
		t.Fatalf("sd-jwt-js rejects the unmutated presentation (%s): %s", v.Stage, v.Error)
	}
	ms := mutations()
	mutated := make([]string, len(ms))
	for i, m := range ms {
		mutated[i] = m.mutate(t, f, pres)
		if mutated[i] == pres {
			t.Fatalf("%s: mutation changed nothing", m.name)
		}
	}
	verdicts := f.jsVerifyKB(t, mutated...) // one Node process for the batch
	for i, m := range ms {
		t.Run(m.name, func(t *testing.T) {
			_, err := f.cairnVerify(mutated[i], true)
			switch {
			case err == nil:
				t.Error("cairn accepted the mutated presentation")
			case !isAny(err, m.want):
				t.Errorf("cairn error %v (code %s), want one of %v", err, sdjwt.Code(err), m.want)
			}
			v := verdicts[i]
			if v.OK {
				t.Errorf("sd-jwt-js side accepted the mutated presentation")
			} else if v.Stage != m.jsStage {
				t.Errorf("refused by %s (%s), want by %s", v.Stage, v.Error, m.jsStage)
			}
			t.Logf("cairn: %v | node %s: %s", err, v.Stage, v.Error)
		})
	}
}

func isAny(err error, targets []error) bool {
	for _, e := range targets {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func withoutKB(t *testing.T, pres string) *sdjwt.SDJWT {
	t.Helper()
	sd, err := sdjwt.Parse(pres[:strings.LastIndexByte(pres, '~')+1], sdjwt.Limits{})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return sd
}

// flipIssuerSignatureByte flips one bit in a middle byte of the issuer
// JWT's signature and re-encodes it canonically, so the token still parses
// and only the signature check can fail.
func flipIssuerSignatureByte(t *testing.T, _ fixture, pres string) string {
	t.Helper()
	jwtEnd := strings.IndexByte(pres, '~')
	issuerJWT := pres[:jwtEnd]
	dot := strings.LastIndexByte(issuerJWT, '.')
	sig, err := jose.DecodeSegment(issuerJWT[dot+1:])
	if err != nil || len(sig) == 0 {
		t.Fatalf("issuer signature: %v", err)
	}
	sig[len(sig)/2] ^= 0x01
	return issuerJWT[:dot+1] + jose.B64.EncodeToString(sig) + pres[jwtEnd:]
}

// resignIssuerJWTAsPlainJWT has the issuer sign the presentation's payload
// again under typ "JWT", then re-binds it as the holder.
func resignIssuerJWTAsPlainJWT(t *testing.T, f fixture, pres string) string {
	t.Helper()
	sd := withoutKB(t, pres)
	parts := strings.Split(sd.IssuerJWT, ".")
	payload, err := jose.DecodeSegment(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	signer := f.issuer.signer.WithKeyID(f.issuer.jwk.Thumbprint())
	if sd.IssuerJWT, err = signer.Sign(map[string]any{"typ": "JWT"}, payload); err != nil {
		t.Fatal(err)
	}
	return f.rebind(t, sd, f.holder, audience, nonce)
}

// tamperDisclosure changes the value of the first name/value disclosure
// (keeping its salt and name) and re-signs the KB-JWT as the holder.
func tamperDisclosure(t *testing.T, f fixture, pres string) string {
	t.Helper()
	sd := withoutKB(t, pres)
	for i, d := range sd.Disclosures {
		if d.IsArray || d.Name == "address" {
			continue
		}
		raw, err := json.Marshal([]any{d.Salt, d.Name, "tampered"})
		if err != nil {
			t.Fatal(err)
		}
		c := *d
		c.Encoded = jose.B64.EncodeToString(raw)
		sd.Disclosures[i] = &c
		return f.rebind(t, sd, f.holder, audience, nonce)
	}
	t.Fatal("no object-member disclosure to tamper with")
	return ""
}

// Claims for the recursive test: an object disclosable as a whole and
// member by member, an object inside it likewise, and an array of objects
// whose elements and members are disclosable.
func recursiveClaims() map[string]any {
	return map[string]any{
		"given_name":  "Amir",
		"family_name": "Haddad",
		"address": map[string]any{
			"street_address": "Rue de la Paix 1",
			"locality":       "Genève",
			"country":        "CH",
			"geo":            map[string]any{"lat": 46.2044, "lon": 6.1432},
		},
		"nationalities": []any{
			map[string]any{"country": "SY", "since": "1988-02-29"},
			map[string]any{"country": "CH", "since": "2024-03-01"},
		},
		"languages": []any{"ar", "fr"},
	}
}

var recursiveDisclosable = []string{
	"/given_name", "/family_name",
	"/address", "/address/street_address", "/address/locality",
	"/address/geo", "/address/geo/lat", "/address/geo/lon",
	"/nationalities/*", "/nationalities/*/since",
	"/languages/*",
}

func testRecursive(t *testing.T, f fixture) {
	const decoys = 3
	cred := f.cairnIssue(t, recursiveClaims(), recursiveDisclosable, decoys)

	// The credential must really carry decoys and nested digests, or this
	// test would not exercise what it claims to.
	sd, err := sdjwt.Parse(cred, sdjwt.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	digests := countDigests(sd.Payload)
	nested := 0
	for _, d := range sd.Disclosures {
		if n := countDigests(d.Value); n > 0 {
			nested++
			digests += n
		}
	}
	if want := 14; len(sd.Disclosures) != want {
		t.Fatalf("cairn issued %d disclosures, want %d", len(sd.Disclosures), want)
	}
	if digests < len(sd.Disclosures)+decoys {
		t.Fatalf("%d digests for %d disclosures: no decoys", digests, len(sd.Disclosures))
	}
	if nested < 3 { // address, address/geo and each nationality carry digests
		t.Fatalf("only %d disclosures carry nested digests: not recursive", nested)
	}

	want := recursiveClaims()
	for k, v := range registeredClaims(f.holder) {
		want[k] = v
	}
	v := f.js.verify(t, jsVerifyReq{presentations: []string{cred}, issuerPub: f.issuer.publicMap()})[0]
	if !v.OK {
		t.Fatalf("sd-jwt-js rejects the cairn credential (%s): %s", v.Stage, v.Error)
	}
	sameClaims(t, "sd-jwt-js vs expected claims", v.Claims, want)
	res, err := f.cairnVerify(cred, false)
	if err != nil {
		t.Fatalf("cairn rejects its own credential: %v", err)
	}
	sameClaims(t, "cairn vs sd-jwt-js claims", res.Claims, v.Claims)

	// sd-jwt-js as the holder: it selects inside the recursive structure
	// of a Cairn credential and binds the presentation; Cairn verifies.
	//
	// sd-jwt-js numbers array elements in a presentation frame by their
	// position in the issuer-signed array, decoy digests included, not by
	// their position in the processed claims. Cairn puts array decoys at
	// random positions, so "element 1" (CH) must be named by its raw index;
	// naming it 1 would make sd-jwt-js disclose whatever sits at raw index
	// 1, possibly the other nationality.
	chIndex := rawArrayIndex(t, sd, "nationalities", func(v any) bool {
		m, ok := v.(map[string]any)
		return ok && m["country"] == "CH"
	})
	pres := f.jsPresent(t, cred, map[string]any{
		"address":       map[string]any{"geo": map[string]any{"lat": true}},
		"nationalities": map[string]any{strconv.Itoa(chIndex): map[string]any{"since": true}},
	})
	wantPres := registeredClaims(f.holder)
	wantPres["address"] = map[string]any{"country": "CH", "geo": map[string]any{"lat": 46.2044}}
	wantPres["nationalities"] = []any{map[string]any{"country": "CH", "since": "2024-03-01"}}
	wantPres["languages"] = []any{}
	got, err := f.cairnVerify(pres, true)
	if err != nil {
		t.Fatalf("cairn rejects the sd-jwt-js presentation of its credential: %v", err)
	}
	sameClaims(t, "cairn claims of the sd-jwt-js presentation", got.Claims, wantPres)
	jv := f.jsVerifyKB(t, pres)[0]
	if !jv.OK {
		t.Fatalf("sd-jwt-js rejects its presentation (%s): %s", jv.Stage, jv.Error)
	}
	sameClaims(t, "sd-jwt-js vs cairn claims of the presentation", jv.Claims, got.Claims)
}

// rawArrayIndex is the position, in the issuer-signed payload's top-level
// array claim, of the {"...": digest} element whose disclosure value
// satisfies match.
func rawArrayIndex(t *testing.T, sd *sdjwt.SDJWT, claim string, match func(any) bool) int {
	t.Helper()
	var digest string
	for _, d := range sd.Disclosures {
		if d.IsArray && match(d.Value) {
			digest = d.Digest
		}
	}
	arr, _ := sd.Payload[claim].([]any)
	for i, el := range arr {
		if m, ok := el.(map[string]any); ok && digest != "" && m["..."] == digest {
			return i
		}
	}
	t.Fatalf("no disclosed element of %s matches", claim)
	return -1
}

// countDigests counts the _sd entries and {"...": d} array elements in v,
// not descending into disclosures (they are separate).
func countDigests(v any) int {
	n := 0
	switch x := v.(type) {
	case map[string]any:
		if sd, ok := x["_sd"].([]any); ok {
			n += len(sd)
		}
		for k, c := range x {
			if k != "_sd" {
				n += countDigests(c)
			}
		}
	case []any:
		for _, el := range x {
			if m, ok := el.(map[string]any); ok && len(m) == 1 {
				if _, ok := m["..."]; ok {
					n++
					continue
				}
			}
			n += countDigests(el)
		}
	}
	return n
}
