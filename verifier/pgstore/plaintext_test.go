package pgstore_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/oid4vp"
	"github.com/cairn-id/cairn/internal/sdjwtvc"
	"github.com/cairn-id/cairn/internal/store/pg"
	"github.com/cairn-id/cairn/internal/store/pg/pgtest"
	"github.com/cairn-id/cairn/verifier"
	"github.com/cairn-id/cairn/verifier/pgstore"
)

// TestTablesHoldNoPlaintext: after a presentation is verified (direct_post,
// the claims disclosed, a review recorded), no column of the verifier's
// tables holds a disclosed claim value, the holder's DID or key
// thumbprint, the presentation or one of its disclosures, the request's
// nonce or state, or the review's reason, in clear or base64; the
// control finds the session id, stored in clear as the key.
func TestTablesHoldNoPlaintext(t *testing.T) {
	ctx := context.Background()
	st, err := pgstore.Open(ctx, pgtest.URL(t), pg.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := newWorld(t)
	svc := w.service(t, st)
	defer svc.Close()
	cred, holder := w.cred, w.holder
	req, err := svc.CreateSession(ctx, "clinic-access", verifier.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	jws, err := svc.RequestObject(ctx, req.SessionID, "")
	if err != nil {
		t.Fatal(err)
	}
	ar, err := oid4vp.VerifyRequestObject(ctx, jws, oid4vp.VerifyOptions{Options: oid4vp.Options{Dev: true}, ClientID: oid4vp.PrefixDecentralizedIdentifier + ":" + w.vk.DIDJWK(), Resolver: &did.Resolver{}})
	if err != nil {
		t.Fatal(err)
	}
	vp, err := sdjwtvc.Present(cred, holder.JoseSigner(), sdjwtvc.PresentOptions{Paths: []string{"/family_name", "/given_name", "/birthdate"}, Audience: oid4vp.KBAudience(ar.ClientID), Nonce: ar.Nonce})
	if err != nil {
		t.Fatal(err)
	}
	form, err := (&oid4vp.Response{VPToken: oid4vp.VPToken{"identity": {vp}}, State: ar.State}).Form()
	if err != nil {
		t.Fatal(err)
	}
	res, err := svc.Respond(ctx, req.SessionID, []byte(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != verifier.OutcomeValid {
		t.Fatalf("the presentation was not verified (%s): the test checks nothing", res.Code)
	}
	if _, err := svc.RecordReview(ctx, req.SessionID, verifier.ReviewedDecision{Decision: verifier.DecisionAccept, Reason: "Passport Xanthoridge seen", Caseworker: "cw-1"}); err != nil {
		t.Fatal(err)
	}
	// The store gave back what it sealed.
	if got, err := svc.Result(ctx, req.SessionID); err != nil || !strings.Contains(string(mustJSON(t, got)), "Zzyzxquorran") {
		t.Fatalf("result read back: %v", err)
	}

	secrets := []string{"Zzyzxquorran", "Ophelindra", "1987-11-23", holder.DIDJWK(), holder.PublicJWK().Thumbprint(), vp, ar.Nonce, ar.State, "Passport Xanthoridge seen"}
	for _, part := range strings.Split(vp, "~") {
		if part != "" {
			secrets = append(secrets, part)
		}
	}
	dump := pgtest.Dump(t, st.DB().Schema())
	for _, s := range secrets {
		for _, f := range []string{s, base64.RawURLEncoding.EncodeToString([]byte(s)), base64.StdEncoding.EncodeToString([]byte(s))} {
			if bytes.Contains(dump, []byte(f)) {
				t.Errorf("the verifier's tables hold %.40q (as %.40q)", s, f)
			}
		}
	}
	if !bytes.Contains(dump, []byte(req.SessionID)) {
		t.Error("the search does not find the session id, stored in clear: the test is broken")
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
