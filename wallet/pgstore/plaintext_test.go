package pgstore_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"testing"

	"github.com/cairn-id/cairn/internal/store/pg/pgtest"
	"github.com/cairn-id/cairn/wallet"
	"github.com/cairn-id/cairn/wallet/storetest"
)

// TestTablesHoldNoPlaintext: after a holder stores credentials, a key
// assignment, a consent log entry and a pending offer, no column of the
// wallet's tables holds the credentials, the verifier, the purpose, the
// holder's DIDs, the PIN, the device secret or the recovery code, in
// clear or base64; the control finds the holder id, stored in clear.
func TestTablesHoldNoPlaintext(t *testing.T) {
	ctx := context.Background()
	st := open(t, pgtest.URL(t))
	defer st.Close()
	svc := storetest.NewService(t, st, storetest.NewClock(storetest.T0), storetest.Pepper(7))
	defer svc.Close()
	device := []byte("device-secret-of-the-phone-0123456789abcdef")
	created, err := svc.CreateHolder(ctx, wallet.CreateRequest{PIN: "271828", DeviceSecret: device})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := svc.Login(ctx, wallet.LoginRequest{HolderID: created.HolderID, PIN: "271828", DeviceSecret: device})
	if err != nil {
		t.Fatal(err)
	}
	cred := storetest.SampleCredential(0, "", "UXVpbGxvbWFya2Vy")
	if _, err := svc.PutCredential(ctx, sess, cred); err != nil {
		t.Fatal(err)
	}
	secrets := []string{cred.Compact, "UXVpbGxvbWFya2Vy", "did:web:issuer.example", "https://issuer.example/status/1",
		"did:web:clinic.verifier.example", "Winter shelter intake", "271828", string(device), created.RecoveryCode}
	if ks, err := svc.HolderKeys(ctx, sess); err == nil {
		for _, k := range ks {
			secrets = append(secrets, k.JWK.Thumbprint())
		}
	}
	if _, err := svc.KeyForVerifier(ctx, sess, "did:web:clinic.verifier.example"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AppendLog(ctx, sess, wallet.LogEntry{Event: wallet.EventPresentation, PartyName: "Winter Shelter Clinic",
		PartyID: "did:web:clinic.verifier.example", Purpose: "Winter shelter intake", Claims: []string{"family_name"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.PutPendingOffer(ctx, sess, wallet.PendingOffer{Data: []byte("Winter shelter intake")}); err != nil {
		t.Fatal(err)
	}
	dump := pgtest.Dump(t, st.DB().Schema())
	for _, s := range secrets {
		for _, form := range []string{s, base64.RawURLEncoding.EncodeToString([]byte(s)), base64.StdEncoding.EncodeToString([]byte(s))} {
			if len(form) >= 6 && bytes.Contains(dump, []byte(form)) {
				t.Errorf("the wallet's tables hold %q (as %q)", s, form)
			}
		}
	}
	if !bytes.Contains(dump, []byte(created.HolderID)) {
		t.Error("the search does not find the holder id, stored in clear: the test is broken")
	}
}
