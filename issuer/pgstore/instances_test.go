package pgstore_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"testing"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/store/pg/pgtest"
	"github.com/cairn-id/cairn/issuer"
	"github.com/cairn-id/cairn/schemas"
)

// TestTwoInstancesIssueUniqueStatusIndexes: two issuer instances (two
// Services, two pools) on one database issue concurrently, past the end
// of several small status lists; every credential gets its own
// (list, index) and nothing is lost.
func TestTwoInstancesIssueUniqueStatusIndexes(t *testing.T) {
	ctx := context.Background()
	u := pgtest.URL(t)
	cat, err := schemas.Load()
	if err != nil {
		t.Fatal(err)
	}
	key, _ := keys.Generate(jose.ES256, nil)
	hk := make([]byte, 32)
	rand.Read(hk)
	const vct = "urn:cairn:vct:humanitarian-registration:1"
	var svcs []*issuer.Service
	for range 2 {
		st := open(t, u)
		defer st.Close()
		svc, err := issuer.New(issuer.Config{URL: "http://127.0.0.1:1", Dev: true, Names: map[string]string{"en": "NGO"}, Types: []string{vct},
			Catalogue: cat, Key: key, HashKey: hk, Store: st, StatusListSize: 16})
		if err != nil {
			t.Fatal(err)
		}
		svcs = append(svcs, svc)
	}
	holder, _ := keys.Generate(jose.ES256, nil)
	const perInstance = 20
	var wg sync.WaitGroup
	errs := make(chan error, 2*perInstance)
	for i := range 2 * perInstance {
		svc := svcs[i%2]
		wg.Go(func() {
			o, err := svc.CreateOffer(ctx, issuer.OfferRequest{VCT: vct, Claims: map[string]any{"registration_id": fmt.Sprint("REG-", i),
				"registration_date": "2025-03-02", "registration_place": map[string]any{"country": "LB"}}})
			if err != nil {
				errs <- fmt.Errorf("offer %d: %w", i, err)
				return
			}
			other := svcs[(i+1)%2] // redeemed on the other instance
			stored, err := other.GetOffer(ctx, o.ID)
			if err != nil {
				errs <- fmt.Errorf("get %d: %w", i, err)
				return
			}
			g, err := other.RedeemCode(ctx, other.CredentialOffer(stored).Grants.PreAuthorizedCode.PreAuthorizedCode, "")
			if err != nil {
				errs <- fmt.Errorf("redeem %d: %w", i, err)
				return
			}
			n, err := svc.NewNonce(ctx)
			if err != nil {
				errs <- err
				return
			}
			if _, err := other.IssueCredential(ctx, issuer.CredentialRequest{AccessToken: g.AccessToken, ConfigurationID: "humanitarian-registration.v1",
				HolderJWK: holder.PublicJWK(), HolderDID: holder.DIDJWK(), Nonce: n}); err != nil {
				errs <- fmt.Errorf("issue %d: %w", i, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	recs, err := svcs[0].Records(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2*perInstance {
		t.Errorf("%d records, want %d", len(recs), 2*perInstance)
	}
	seen := map[string]string{}
	for _, r := range recs {
		k := fmt.Sprint(r.StatusList, "/", r.StatusIndex)
		if prev, dup := seen[k]; dup {
			t.Errorf("status entry %s given to %s and %s", k, prev, r.CredentialID)
		}
		seen[k] = r.CredentialID
	}
}
