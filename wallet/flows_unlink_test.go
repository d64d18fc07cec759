package wallet_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/oid4vp"
	"github.com/cairn-id/cairn/internal/sdjwt"
	"github.com/cairn-id/cairn/issuer"
	"github.com/cairn-id/cairn/wallet"
)

const (
	langVCT  = "urn:cairn:vct:language-skills:1"
	vouchVCT = "urn:cairn:vct:community-vouching:1"
)

// receiveFrom accepts an offer of vct with claims from iss.
func (wd *world) receiveFrom(t *testing.T, iss *issuer.Service, vct string, claims map[string]any) *wallet.Accepted {
	t.Helper()
	ctx := context.Background()
	o, err := iss.CreateOffer(ctx, issuer.OfferRequest{VCT: vct, Claims: claims})
	if err != nil {
		t.Fatal(err)
	}
	p, err := wd.w.PreviewOffer(ctx, wd.sess, o.URI, "en")
	if err != nil {
		t.Fatal(err)
	}
	a, err := wd.w.AcceptOffer(ctx, wd.sess, p.ID, "", false)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.IDs) != wallet.DefaultHolderKeys {
		t.Fatalf("%s: %d copies", vct, len(a.IDs))
	}
	return a
}

// seen is what a verifier sees of one presentation.
type seen struct {
	sig, kbSig, cnf, sub string
	idx                  string
	salts                []string
}

func see(t *testing.T, pres string) seen {
	t.Helper()
	tok, err := sdjwt.Parse(pres, sdjwt.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var s seen
	s.sig = tok.IssuerJWT[strings.LastIndexByte(tok.IssuerJWT, '.')+1:]
	s.kbSig = tok.KBJWT[strings.LastIndexByte(tok.KBJWT, '.')+1:]
	cnf, _ := tok.Payload["cnf"].(map[string]any)
	k, err := jose.JWKFromMap(cnf["jwk"].(map[string]any))
	if err != nil {
		t.Fatal(err)
	}
	s.cnf = k.Thumbprint()
	s.sub, _ = tok.Payload["sub"].(string)
	st, _ := tok.Payload["status"].(map[string]any)
	sl, _ := st["status_list"].(map[string]any)
	if sl["idx"] == nil {
		t.Fatal("no status index")
	}
	s.idx = fmt.Sprint(sl["idx"])
	for _, d := range tok.Disclosures {
		s.salts = append(s.salts, d.Salt)
	}
	return s
}

// TestUnlinkability: the same claims presented to two verifiers share no
// salt, signature, key or status index; three credentials from three
// issuers presented together to one verifier carry the same key.
func TestUnlinkability(t *testing.T) {
	wd := newWorld(t, true)
	ctx := context.Background()
	lang := wd.addIssuer(t, langVCT, map[string]string{"en": "Language school"}, 0, true)
	vouch := wd.addIssuer(t, vouchVCT, map[string]string{"en": "Community council"}, 0, true)
	wd.receiveFrom(t, wd.iss, regVCT, regClaims())
	wd.receiveFrom(t, lang, langVCT, map[string]any{"family_name": "Haddad", "given_name": "Amina",
		"languages": []any{map[string]any{"language": "ar", "overall": "C2"}}, "assessed_on": "2025-05-28", "assessment_method": "standard_test"})
	wd.receiveFrom(t, vouch, vouchVCT, map[string]any{"family_name": "Haddad", "given_name": "Amina",
		"voucher": map[string]any{"name": "Sheikh A.", "role": "Imam"}, "relationship": "religious_leader", "vouched_on": "2025-06-10"})

	present := func(v *testVerifier, uri string) oid4vp.VPToken {
		t.Helper()
		p, err := wd.w.PreviewRequest(ctx, wd.sess, uri, "en")
		if err != nil {
			t.Fatal(err)
		}
		if !p.CanAnswer {
			t.Fatalf("cannot answer: %v", p.Missing)
		}
		if _, err := wd.w.Respond(ctx, wd.sess, p.ID, wallet.Consent{}); err != nil {
			t.Fatal(err)
		}
		return v.got[len(v.got)-1].VPToken
	}
	claims := []string{"/family_name", "/given_name"}
	va := newVerifier(t, wd, "intake", claims)
	vb := newVerifier(t, wd, "intake", claims)
	a := see(t, present(va, va.request(t, oid4vp.ResponseModeDirectPost, "family_name", "given_name"))["reg"][0])
	b := see(t, present(vb, vb.request(t, oid4vp.ResponseModeDirectPost, "family_name", "given_name"))["reg"][0])
	if a.sig == b.sig || a.kbSig == b.kbSig {
		t.Error("the two verifiers saw the same signature")
	}
	if a.cnf == b.cnf || a.sub == b.sub {
		t.Error("the two verifiers saw the same holder key")
	}
	if a.idx == b.idx {
		t.Errorf("the two verifiers saw the same status index %v", a.idx)
	}
	if len(a.salts) != 2 || len(b.salts) != 2 {
		t.Fatalf("salts %v %v", a.salts, b.salts)
	}
	for _, x := range a.salts {
		for _, y := range b.salts {
			if x == y {
				t.Errorf("the two verifiers saw salt %s", x)
			}
		}
	}

	// Three credentials from three issuers, together, to one verifier.
	vc := newVerifier(t, wd, "intake", claims)
	q := `{"credentials":[` +
		`{"id":"reg","format":"dc+sd-jwt","meta":{"vct_values":["` + regVCT + `"]},"claims":[{"path":["family_name"]}]},` +
		`{"id":"lang","format":"dc+sd-jwt","meta":{"vct_values":["` + langVCT + `"]},"claims":[{"path":["languages",null,"language"]}]},` +
		`{"id":"vouch","format":"dc+sd-jwt","meta":{"vct_values":["` + vouchVCT + `"]},"claims":[{"path":["relationship"]}]}]}`
	vp := present(vc, vc.requestQuery(t, oid4vp.ResponseModeDirectPost, []byte(q)))
	var keys []string
	for _, id := range []string{"reg", "lang", "vouch"} {
		if len(vp[id]) != 1 {
			t.Fatalf("vp_token %s: %d presentations", id, len(vp[id]))
		}
		keys = append(keys, see(t, vp[id][0]).cnf)
	}
	if keys[0] != keys[1] || keys[1] != keys[2] {
		t.Errorf("three credentials, keys %v", keys)
	}
	if keys[0] == a.cnf || keys[0] == b.cnf {
		t.Error("the third verifier got a key another verifier has")
	}
}

// TestMultipleAnswersAccrete: a query with multiple: true (as the
// verifier's purposes write it) is answered by every matching credential,
// all bound to one key; without it, by one.
func TestMultipleAnswersAccrete(t *testing.T) {
	wd := newWorld(t, true)
	ctx := context.Background()
	vouch := wd.addIssuer(t, vouchVCT, map[string]string{"en": "Community council"}, 0, true)
	wd.receiveFrom(t, wd.iss, regVCT, regClaims())
	wd.receiveFrom(t, vouch, vouchVCT, map[string]any{"family_name": "Haddad", "given_name": "Amina",
		"voucher": map[string]any{"name": "Sheikh A.", "role": "Imam"}, "relationship": "religious_leader", "vouched_on": "2025-06-10"})
	for _, c := range []struct {
		multiple string
		want     int
	}{{`,"multiple":true`, 2}, {``, 1}} {
		v := newVerifier(t, wd, "intake", []string{"/family_name", "/given_name"})
		q := `{"credentials":[{"id":"identity","format":"dc+sd-jwt"` + c.multiple + `,"meta":{"vct_values":["` + regVCT + `","` + vouchVCT + `"]},"claims":[{"path":["family_name"]},{"path":["given_name"]}]}]}`
		p, err := wd.w.PreviewRequest(ctx, wd.sess, v.requestQuery(t, oid4vp.ResponseModeDirectPost, []byte(q)), "en")
		if err != nil || !p.CanAnswer {
			t.Fatalf("preview: %v %+v", err, p)
		}
		if len(p.Queries) != c.want {
			t.Errorf("multiple %q: %d answers in the preview, want %d", c.multiple, len(p.Queries), c.want)
		}
		if _, err := wd.w.Respond(ctx, wd.sess, p.ID, wallet.Consent{}); err != nil {
			t.Fatal(err)
		}
		pres := v.got[len(v.got)-1].VPToken["identity"]
		if len(pres) != c.want {
			t.Fatalf("multiple %q: %d presentations, want %d", c.multiple, len(pres), c.want)
		}
		if c.want == 2 && see(t, pres[0]).cnf != see(t, pres[1]).cnf {
			t.Error("the two credentials are bound to different keys")
		}
	}
}
