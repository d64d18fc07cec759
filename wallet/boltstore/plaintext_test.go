package boltstore_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/wallet"
	"github.com/cairn-id/cairn/wallet/storetest"
)

var ctx = context.Background()

// Secret values a credential, a key assignment, a log entry and a pending
// offer carry; none may appear in the store file.
var (
	claimValues = []string{"Amina", "Haddad", "1990-04-17", "Rue des Lilas 12", "AB1234567"}
	verifierID  = "did:web:clinic.verifier.example"
	queryText   = `{"credentials":[{"id":"pid","format":"dc+sd-jwt","claims":[{"path":["family_name"]}]}]}`
	purposeText = "Registration for winter shelter"
)

// sdJWT builds a compact SD-JWT whose payload and disclosures carry the
// claim values (base64url-encoded, as in a real one).
func sdJWT(holderJWK *jose.JWK) string {
	enc := func(v any) string { b, _ := json.Marshal(v); return jose.B64.EncodeToString(b) }
	parts := []string{
		enc(map[string]any{"alg": "ES256", "typ": "dc+sd-jwt"}) + "." +
			enc(map[string]any{"iss": "did:web:issuer.example", "vct": "urn:cairn:vct:pid:1", "cnf": map[string]any{"jwk": holderJWK}}) +
			"." + jose.B64.EncodeToString(bytes.Repeat([]byte{0x5a}, 64)),
	}
	names := []string{"given_name", "family_name", "birthdate", "address", "document_number"}
	for i, v := range claimValues {
		parts = append(parts, enc([]any{fmt.Sprintf("salt-%d-xxxxxxxxxxxx", i), names[i], v}))
	}
	return strings.Join(parts, "~") + "~"
}

// b64Forms are the base64url (and std base64) encodings of s at the three
// byte alignments, without the edge characters that depend on neighbours.
func b64Forms(s string) []string {
	var out []string
	for _, e := range []*base64.Encoding{base64.RawURLEncoding, base64.RawStdEncoding} {
		for off := range 3 {
			enc := e.EncodeToString(append(bytes.Repeat([]byte{0}, off), s...))
			start := (off*4 + 2) / 3 // skip characters mixing prefix bits
			end := len(enc) - 1      // the last may mix in what follows
			if end-start >= 4 {
				out = append(out, enc[start:end])
			}
		}
	}
	return out
}

// TestStoreFileHoldsNoPlaintext stores credentials, a key assignment, log
// entries, a pending offer and settings, closes the store and searches
// the bbolt file's bytes for every claim value, the holder's DIDs, the
// holder keys (private and public), the verifier id, the query and
// purpose, the PIN, the device secret and the recovery code, in UTF-8 and
// base64url.
func TestStoreFileHoldsNoPlaintext(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wallet.db")
	st := openStore(t, path)
	clock := storetest.NewClock(storetest.T0)
	svc := storetest.NewService(t, st, clock, storetest.Pepper(7))
	device := []byte("device-secret-of-the-phone-0123456789abcdef")
	created, err := svc.CreateHolder(ctx, wallet.CreateRequest{PIN: "271828", DeviceSecret: device, Lang: "uk"})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := svc.Login(ctx, wallet.LoginRequest{HolderID: created.HolderID, PIN: "271828", DeviceSecret: device})
	if err != nil {
		t.Fatal(err)
	}
	var secrets []string
	ks, err := svc.HolderKeys(ctx, sess)
	if err != nil {
		t.Fatal(err)
	}
	group := ""
	for _, k := range ks {
		c := storetest.SampleCredential(k.Index, group, "x")
		c.Compact = sdJWT(k.JWK)
		put, err := svc.PutCredential(ctx, sess, c)
		if err != nil {
			t.Fatal(err)
		}
		group = put.Group
		priv, err := svc.HolderKey(ctx, sess, k.Index)
		if err != nil {
			t.Fatal(err)
		}
		jwk, _ := keys.MarshalPrivateJWK(priv)
		var m map[string]string
		json.Unmarshal(jwk, &m)
		d, _ := jose.B64.DecodeString(m["d"])
		x, _ := jose.B64.DecodeString(m["x"])
		secrets = append(secrets, priv.DIDJWK(), m["d"], m["x"], m["y"], string(d), string(x), k.JWK.Thumbprint())
		if kd, err := priv.KeyDID(); err == nil {
			secrets = append(secrets, kd)
		}
	}
	if _, err := svc.KeyForVerifier(ctx, sess, verifierID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AppendLog(ctx, sess, wallet.LogEntry{Event: wallet.EventPresentation, PartyName: "Winter Shelter Clinic",
		PartyID: verifierID, Purpose: purposeText, Claims: []string{"family_name"}, Note: queryText}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.PutPendingOffer(ctx, sess, wallet.PendingOffer{Data: []byte(queryText)}); err != nil {
		t.Fatal(err)
	}
	svc.Close()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := wallet.ParseRecoveryCode(created.RecoveryCode)
	secrets = append(secrets, claimValues...)
	secrets = append(secrets, verifierID, queryText, purposeText, "Winter Shelter Clinic", "family_name", "given_name",
		"271828", string(device), created.RecoveryCode, string(code), "urn:cairn:vct:pid:1", "did:web:issuer.example")
	found := 0
	for _, s := range secrets {
		for _, form := range append([]string{s}, b64Forms(s)...) {
			if len(form) >= 4 && bytes.Contains(raw, []byte(form)) {
				t.Errorf("the store file contains %q (as %q)", s, form)
				found++
			}
		}
	}
	// The control: the search finds what is meant to be in clear.
	if !bytes.Contains(raw, []byte(created.HolderID)) {
		t.Errorf("the search does not find the holder id, which is stored in clear: the test is broken")
	}
	t.Logf("searched %d values in %d forms each over %d bytes; found %d", len(secrets), 7, len(raw), found)
}

// TestAllFourDigitPINsOpenNothingWithoutTheDeviceSecret: with the store
// file and the pepper, but not the device secret, every 4-digit PIN
// (the right one included) fails to unwrap the data key. Test-sized
// Argon2id parameters make 10,000 tries take a second; the real cost
// only slows an attacker further.
func TestAllFourDigitPINsOpenNothingWithoutTheDeviceSecret(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wallet.db")
	st := openStore(t, path)
	pepper := storetest.Pepper(7)
	svc := storetest.NewService(t, st, storetest.NewClock(storetest.T0), pepper)
	device := storetest.Device(1)
	created, err := svc.CreateHolder(ctx, wallet.CreateRequest{PIN: "4071", DeviceSecret: device})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()

	// The attacker's copy.
	st = openStore(t, path)
	defer st.Close()
	var h *wallet.Holder
	if err := st.View(ctx, func(tx wallet.Tx) (err error) { h, err = tx.Holder(created.HolderID); return err }); err != nil {
		t.Fatal(err)
	}
	// Control: the right secrets open it, so a failure below is real.
	if _, err := wallet.UnwrapWithPIN(h, "4071", device, pepper); err != nil {
		t.Fatalf("the right PIN and device secret do not open the key: %v", err)
	}
	guesses := [][]byte{nil, make([]byte, 32)}
	opened := 0
	for pin := range 10000 {
		p := fmt.Sprintf("%04d", pin)
		for _, g := range guesses {
			if _, err := wallet.UnwrapWithPIN(h, p, g, pepper); !errors.Is(err, wallet.ErrUnlock) {
				opened++
				t.Errorf("PIN %s with device guess %x: %v", p, g, err)
			}
		}
	}
	if opened != 0 {
		t.Errorf("%d of 20,000 tries opened the data key", opened)
	}
}

// TestRestartLeavesEverythingLocked: after a restart (a new Service over
// the same file) only a live session's token (stored sessions survive a
// restart until they expire) or a login reads the records.
func TestRestartLeavesEverythingLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wallet.db")
	st := openStore(t, path)
	clock := storetest.NewClock(storetest.T0)
	svc := storetest.NewService(t, st, clock, storetest.Pepper(7))
	created, _ := svc.CreateHolder(ctx, wallet.CreateRequest{PIN: "1234", DeviceSecret: storetest.Device(1)})
	sess, err := svc.Login(ctx, wallet.LoginRequest{HolderID: created.HolderID, PIN: "1234", DeviceSecret: storetest.Device(1)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.PutCredential(ctx, sess, storetest.SampleCredential(0, "", "r")); err != nil {
		t.Fatal(err)
	}
	svc.Close()
	st.Close()

	st = openStore(t, path)
	defer st.Close()
	svc = storetest.NewService(t, st, clock, storetest.Pepper(7))
	if _, err := svc.Resume(context.Background(), sess.Token); err != nil {
		t.Errorf("live token after restart: %v", err)
	}
	if list, err := svc.ListCredentials(ctx, sess); err != nil || len(list) != 1 {
		t.Errorf("live session after restart: %d %v", len(list), err)
	}
	clock.Advance(wallet.DefaultSessionTTL)
	if _, err := svc.ListCredentials(ctx, sess); !errors.Is(err, wallet.ErrSession) {
		t.Errorf("expired session after restart: %v", err)
	}
	sess, err = svc.Login(ctx, wallet.LoginRequest{HolderID: created.HolderID, PIN: "1234", DeviceSecret: storetest.Device(1)})
	if err != nil {
		t.Fatal(err)
	}
	if list, err := svc.ListCredentials(ctx, sess); err != nil || len(list) != 1 {
		t.Errorf("after login: %d %v", len(list), err)
	}
	// A different pepper (a stolen file on another machine) opens nothing.
	other := storetest.NewService(t, st, clock, storetest.Pepper(8))
	if _, err := other.Login(ctx, wallet.LoginRequest{HolderID: created.HolderID, PIN: "1234", DeviceSecret: storetest.Device(1)}); !errors.Is(err, wallet.ErrUnlock) {
		t.Errorf("login with another pepper: %v", err)
	}
}
