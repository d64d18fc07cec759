package storetest

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/cairn-id/cairn/wallet"
)

// NoSessionSecretStored opens sessions of one holder on two Services over
// st (logins, calls on the other instance, a PIN change), then searches
// dump() — every byte the store keeps — for each session token, its
// secret half, the key derived from it, the holder's data key and record
// key, in raw bytes, base64 (url and std) and hex. As a control it must
// find the session ids, which the store keeps in clear.
func NoSessionSecretStored(t *testing.T, st wallet.Store, dump func(t *testing.T) []byte) {
	t.Helper()
	clock := NewClock(T0)
	pepper := Pepper(7)
	a, b := NewService(t, st, clock, pepper), NewService(t, st, clock, pepper)
	defer a.Close()
	defer b.Close()
	c, err := a.CreateHolder(ctx, wallet.CreateRequest{PIN: "1234", DeviceSecret: Device(1)})
	if err != nil {
		t.Fatal(err)
	}
	var sessions []*wallet.Session
	for _, s := range []*wallet.Service{a, b} {
		sess, err := s.Login(ctx, wallet.LoginRequest{HolderID: c.HolderID, PIN: "1234", DeviceSecret: Device(1)})
		if err != nil {
			t.Fatal(err)
		}
		sessions = append(sessions, sess)
	}
	for i, s := range []*wallet.Service{b, a} { // each session used on the other instance
		if _, err := s.PutCredential(ctx, sessions[i], SampleCredential(i, "", "m")); err != nil {
			t.Fatal(err)
		}
	}
	pinSess, err := b.ChangePIN(ctx, wallet.ChangePINRequest{LoginRequest: wallet.LoginRequest{HolderID: c.HolderID, PIN: "1234", DeviceSecret: Device(1)}, NewPIN: "5678"})
	if err != nil {
		t.Fatal(err)
	}
	live, err := a.Login(ctx, wallet.LoginRequest{HolderID: c.HolderID, PIN: "5678", DeviceSecret: Device(1)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.ListCredentials(ctx, live); err != nil {
		t.Fatal(err)
	}
	sessions = append(sessions, pinSess, live)

	var h *wallet.Holder
	if err := st.View(ctx, func(tx wallet.Tx) (err error) { h, err = tx.Holder(c.HolderID); return err }); err != nil {
		t.Fatal(err)
	}
	dk, err := wallet.UnwrapWithPIN(h, "5678", Device(1), pepper)
	if err != nil {
		t.Fatal(err)
	}
	recKey, _ := hkdf.Key(sha256.New, dk, nil, "cairn wallet records v1", 32)
	secrets := map[string][]byte{"data key": dk, "record key": recKey}
	var sids []string
	for i, s := range sessions {
		sid, sec, ok := strings.Cut(s.Token, ".")
		raw, err := base64.RawURLEncoding.DecodeString(sec)
		if !ok || err != nil {
			t.Fatalf("token %d is not sid.secret: %v", i, err)
		}
		kek, _ := hkdf.Key(sha256.New, raw, []byte(sid), "cairn wallet session v1", 32)
		secrets["token "+string(rune('0'+i))] = []byte(s.Token)
		secrets["secret "+string(rune('0'+i))] = raw
		secrets["session key "+string(rune('0'+i))] = kek
		sids = append(sids, sid)
	}
	d := dump(t)
	for name, v := range secrets {
		for _, form := range [][]byte{v, []byte(base64.RawURLEncoding.EncodeToString(v)), []byte(base64.RawStdEncoding.EncodeToString(v)), []byte(hex.EncodeToString(v))} {
			if bytes.Contains(d, form) {
				t.Errorf("the store holds the %s (as %q)", name, form)
			}
		}
	}
	// Control: the live sessions' ids are stored in clear (the ended
	// ones are deleted, though freed pages may keep them).
	for _, sid := range sids[2:] {
		if !bytes.Contains(d, []byte(sid)) {
			t.Errorf("the search does not find session id %s, stored in clear: the test is broken", sid)
		}
	}
}
