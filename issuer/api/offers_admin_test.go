package api

import (
	"context"
	"errors"
	"testing"

	"github.com/cairn-id/cairn/issuer"
)

// TestOfferManagement (issue 8, issuer desk): pending offers are listed by
// handle and reference (never by the id that redeems them), cancelled one
// by one or by batch (a cancelled offer no longer redeems), credentials are
// found and revoked by the desk's reference, and an interrupted batch can
// tell which references were offered — both on the Service and through
// the admin socket.
func TestOfferManagement(t *testing.T) {
	ctx := context.Background()
	for _, via := range []string{"direct", "socket"} {
		t.Run(via, func(t *testing.T) {
			f := newFixture(t)
			var adm issuer.Admin = f.svc
			if via == "socket" {
				adm = openClient(t, startAdmin(t, f).dir)
			}
			mk := func(ref, batch string) *issuer.Offer {
				o, err := adm.CreateOffer(ctx, issuer.OfferRequest{VCT: testVCT, Claims: testClaims(), Reference: ref, Batch: batch})
				if err != nil {
					t.Fatal(err)
				}
				if o.Handle == "" || o.Handle == o.ID {
					t.Fatalf("offer handle %q (id %q): want a separate public handle", o.Handle, o.ID)
				}
				return o
			}
			single := mk("CASE-1", "")
			b1, b2 := mk("CASE-2", "drive-7"), mk("CASE-3", "drive-7")
			issued := mk("CASE-4", "")
			if r := newWallet(t, f).run(issued); r.status != 200 {
				t.Fatalf("credential: %d %s", r.status, r.raw)
			}

			list, err := adm.Offers(ctx, true)
			if err != nil || len(list) != 3 {
				t.Fatalf("pending offers: %+v %v", list, err)
			}
			for _, o := range list {
				for _, id := range []string{single.ID, b1.ID, b2.ID} {
					if o.Handle == id {
						t.Errorf("listing shows a redeeming id")
					}
				}
			}
			if list[0].Handle != single.Handle || list[0].Reference != "CASE-1" || list[1].Batch != "drive-7" {
				t.Errorf("listing: %+v", list)
			}
			got, err := adm.Offered(ctx, testVCT, []string{"CASE-2", "CASE-4", "CASE-9"})
			if err != nil || !got["CASE-2"] || !got["CASE-4"] || got["CASE-9"] {
				t.Errorf("Offered: %v %v", got, err)
			}

			if err := adm.CancelOffer(ctx, single.Handle); err != nil {
				t.Fatal(err)
			}
			if _, r := newWallet(t, f).fetchOffer(single); r.status != 404 {
				t.Errorf("cancelled offer still fetched: %d", r.status)
			}
			if err := adm.CancelOffer(ctx, single.ID); !errors.Is(err, issuer.ErrNotFound) {
				t.Errorf("cancel by id: %v, want ErrNotFound (only handles name offers)", err)
			}
			if n, err := adm.CancelBatch(ctx, "drive-7"); err != nil || n != 2 {
				t.Errorf("CancelBatch: %d %v", n, err)
			}
			if list, _ := adm.Offers(ctx, false); len(list) != 0 {
				t.Errorf("offers left: %+v", list)
			}

			recs, err := adm.FindByReference(ctx, "CASE-4")
			if err != nil || len(recs) != 1 || recs[0].OfferHandle != issued.Handle {
				t.Fatalf("FindByReference: %+v %v", recs, err)
			}
			if recs, _ := adm.FindByReference(ctx, "CASE-1"); len(recs) != 0 {
				t.Errorf("found credentials of a cancelled offer: %+v", recs)
			}
			ids, err := adm.RevokeReference(ctx, "CASE-4")
			if err != nil || len(ids) != 1 || ids[0] != recs[0].CredentialID {
				t.Fatalf("RevokeReference: %v %v", ids, err)
			}
			if recs, _ := adm.FindByReference(ctx, "CASE-4"); recs[0].State != issuer.StateRevoked {
				t.Errorf("state after revoke by reference: %s", recs[0].State)
			}
			if _, err := adm.RevokeReference(ctx, "NOPE"); !errors.Is(err, issuer.ErrNotFound) {
				t.Errorf("revoke unknown reference: %v", err)
			}
		})
	}
}
