package wallet_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/wallet"
	"github.com/cairn-id/cairn/wallet/boltstore"
	"github.com/cairn-id/cairn/wallet/storetest"
)

var ctx = context.Background()

func newService(t testing.TB, mod ...func(*wallet.Config)) (*wallet.Service, *storetest.Clock) {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "wallet.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clock := storetest.NewClock(storetest.T0)
	return storetest.NewService(t, st, clock, storetest.Pepper(7), mod...), clock
}

func TestLockoutDelay(t *testing.T) {
	l := wallet.Lockout{Free: 3, Base: 30 * time.Second, Max: 10 * time.Minute}
	for _, tc := range []struct {
		failures int
		want     time.Duration
	}{
		{0, 0}, {3, 0}, {4, 30 * time.Second}, {5, time.Minute}, {6, 2 * time.Minute},
		{8, 8 * time.Minute}, {9, 10 * time.Minute}, {1000, 10 * time.Minute},
	} {
		if got := l.Delay(tc.failures); got != tc.want {
			t.Errorf("Delay(%d) = %v, want %v", tc.failures, got, tc.want)
		}
	}
}

func TestCheckPIN(t *testing.T) {
	for pin, ok := range map[string]bool{
		"1234": true, "12345678": true, "0000": true,
		"123": false, "123456789": false, "12a4": false, "١٢٣٤": false, "": false, "12 34": false,
	} {
		if err := wallet.CheckPIN(pin); (err == nil) != ok {
			t.Errorf("CheckPIN(%q) = %v, want ok=%v", pin, err, ok)
		}
	}
}

func TestRecoveryCodeFormat(t *testing.T) {
	s, _ := newService(t)
	c, err := s.CreateHolder(ctx, wallet.CreateRequest{PIN: "1234", DeviceSecret: storetest.Device(1)})
	if err != nil {
		t.Fatal(err)
	}
	groups := strings.Split(c.RecoveryCode, "-")
	if len(groups) != 8 {
		t.Fatalf("recovery code %q: %d groups, want 8", c.RecoveryCode, len(groups))
	}
	for _, g := range groups {
		if len(g) != 4 || strings.Trim(g, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") != "" {
			t.Errorf("group %q is not 4 base32 characters", g)
		}
	}
	want, err := wallet.ParseRecoveryCode(c.RecoveryCode)
	if err != nil || len(want) != 20 {
		t.Fatalf("ParseRecoveryCode: %x %v", want, err)
	}
	for _, typed := range []string{
		strings.ToLower(c.RecoveryCode),
		strings.ReplaceAll(c.RecoveryCode, "-", " "),
		strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(c.RecoveryCode, "O", "0"), "I", "1"), "B", "8"),
	} {
		if got, err := wallet.ParseRecoveryCode(typed); err != nil || !bytes.Equal(got, want) {
			t.Errorf("ParseRecoveryCode(%q): %x %v", typed, got, err)
		}
	}
	for _, bad := range []string{"", "ABCD", c.RecoveryCode + "-ABCD", strings.Replace(c.RecoveryCode, c.RecoveryCode[:1], "é", 1)} {
		if _, err := wallet.ParseRecoveryCode(bad); !errors.Is(err, wallet.ErrRecoveryCode) {
			t.Errorf("ParseRecoveryCode(%q): %v", bad, err)
		}
	}
}

func TestCreateHolderRefusesBadInput(t *testing.T) {
	s, _ := newService(t)
	for name, r := range map[string]wallet.CreateRequest{
		"short PIN":           {PIN: "123", DeviceSecret: storetest.Device(1)},
		"letters":             {PIN: "abcd", DeviceSecret: storetest.Device(1)},
		"short device secret": {PIN: "1234", DeviceSecret: []byte("too short")},
		"no device secret":    {PIN: "1234"},
		"long language tag":   {PIN: "1234", DeviceSecret: storetest.Device(1), Lang: strings.Repeat("x", 40)},
	} {
		if _, err := s.CreateHolder(ctx, r); !errors.Is(err, wallet.ErrInvalidPIN) && !errors.Is(err, wallet.ErrInvalidRequest) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "wallet.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for name, cfg := range map[string]wallet.Config{
		"no store":     {Pepper: storetest.Pepper(1)},
		"short pepper": {Store: st, Pepper: []byte("short")},
		"huge KDF":     {Store: st, Pepper: storetest.Pepper(1), KDF: wallet.KDFParams{Time: 1, MemoryKiB: 4 << 20, Threads: 1}},
		"zero lanes":   {Store: st, Pepper: storetest.Pepper(1), KDF: wallet.KDFParams{Time: 1, MemoryKiB: 64}},
		"100 keys":     {Store: st, Pepper: storetest.Pepper(1), HolderKeys: 100},
		"bad lockout":  {Store: st, Pepper: storetest.Pepper(1), HolderLockout: wallet.Lockout{Base: time.Minute, Max: time.Second}},
	} {
		if _, err := wallet.New(cfg); !errors.Is(err, wallet.ErrInvalidConfig) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestSessionsExpireAndLogOut(t *testing.T) {
	s, clock := newService(t, func(c *wallet.Config) { c.SessionTTL = 5 * time.Minute })
	c, _ := s.CreateHolder(ctx, wallet.CreateRequest{PIN: "1234", DeviceSecret: storetest.Device(1)})
	login := func() *wallet.Session {
		sess, err := s.Login(ctx, wallet.LoginRequest{HolderID: c.HolderID, PIN: "1234", DeviceSecret: storetest.Device(1)})
		if err != nil {
			t.Fatal(err)
		}
		return sess
	}
	sess := login()
	if got, err := s.Resume(ctx, sess.Token); err != nil || got.HolderID != c.HolderID {
		t.Errorf("Resume: %+v %v", got, err)
	}
	if _, err := s.ListCredentials(ctx, &wallet.Session{Token: sess.Token, HolderID: "someone-else"}); !errors.Is(err, wallet.ErrSession) {
		t.Errorf("a token with another holder id: %v", err)
	}
	clock.Advance(5 * time.Minute)
	if _, err := s.ListCredentials(ctx, sess); !errors.Is(err, wallet.ErrSession) {
		t.Errorf("expired session: %v", err)
	}
	sess = login()
	if err := s.Logout(ctx, sess); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Resume(ctx, sess.Token); !errors.Is(err, wallet.ErrSession) {
		t.Errorf("after logout: %v", err)
	}
	if n := s.SessionCount(); n != 0 {
		t.Errorf("%d sessions left", n)
	}
}

func TestPepperFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "pepper")
	p, err := wallet.CreatePepper(path, nil)
	if err != nil || len(p) != 32 {
		t.Fatalf("CreatePepper: %d %v", len(p), err)
	}
	if _, err := wallet.CreatePepper(path, nil); !errors.Is(err, wallet.ErrPepperExists) {
		t.Errorf("CreatePepper over a file: %v", err)
	}
	got, err := wallet.LoadPepper(path)
	if err != nil || !bytes.Equal(got, p) {
		t.Errorf("LoadPepper: %v", err)
	}
	if runtime.GOOS != "windows" {
		os.Chmod(path, 0o640)
		if _, err := wallet.LoadPepper(path); !errors.Is(err, wallet.ErrPepperInsecure) {
			t.Errorf("LoadPepper of a 0640 file: %v", err)
		}
	}
	short := filepath.Join(dir, "short")
	os.WriteFile(short, []byte("c2hvcnQ\n"), 0o600)
	if _, err := wallet.LoadPepper(short); !errors.Is(err, wallet.ErrPepperInvalid) {
		t.Errorf("LoadPepper of a short pepper: %v", err)
	}
}

func TestExportHeader(t *testing.T) {
	s, _ := newService(t)
	c, _ := s.CreateHolder(ctx, wallet.CreateRequest{PIN: "1234", DeviceSecret: storetest.Device(1)})
	sess, err := s.Login(ctx, wallet.LoginRequest{HolderID: c.HolderID, PIN: "1234", DeviceSecret: storetest.Device(1)})
	if err != nil {
		t.Fatal(err)
	}
	file, err := s.Export(ctx, sess, "a long enough passphrase")
	if err != nil {
		t.Fatal(err)
	}
	h, err := wallet.ParseExportHeader(file)
	if err != nil || h.Version != 1 || h.KDF != storetest.TestKDF || len(h.Salt) != 16 || len(h.Nonce) != 24 {
		t.Fatalf("header: %+v %v", h, err)
	}
	if string(file[:8]) != wallet.ExportMagic {
		t.Errorf("magic %q", file[:8])
	}
	sum, err := s.OpenExport(ctx, file, "a long enough passphrase")
	if err != nil || sum.Keys != wallet.DefaultHolderKeys {
		t.Errorf("OpenExport: %+v %v", sum, err)
	}
	for name, f := range map[string][]byte{
		"empty":       nil,
		"other magic": append([]byte("CAIRNWEY"), file[8:]...),
		"version 2":   append(append([]byte(wallet.ExportMagic), 2), file[9:]...),
		"huge memory": append(append([]byte(nil), file[:13]...), append([]byte{0x40, 0, 0, 0}, file[17:]...)...),
		"zero passes": append(append([]byte(nil), file[:9]...), append([]byte{0, 0, 0, 0}, file[13:]...)...),
		"truncated":   file[:60],
	} {
		if _, err := wallet.ParseExportHeader(f); !errors.Is(err, wallet.ErrExportFormat) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestKeyStatus(t *testing.T) {
	svc, _ := newService(t, func(c *wallet.Config) { c.HolderKeys = 2 })
	created, err := svc.CreateHolder(ctx, wallet.CreateRequest{PIN: "1234", DeviceSecret: storetest.Device(1)})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := svc.Login(ctx, wallet.LoginRequest{HolderID: created.HolderID, PIN: "1234", DeviceSecret: storetest.Device(1)})
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		verifier   string
		wantUnused int
		wantLow    bool
	}{
		{"", 2, false},
		{"v1", 1, false},
		{"v1", 1, false},
		{"v2", 0, true},
	}
	for _, st := range steps {
		if st.verifier != "" {
			if _, err := svc.KeyForVerifier(ctx, sess, st.verifier); err != nil {
				t.Fatal(err)
			}
		}
		ks, err := svc.KeyStatus(ctx, sess)
		if err != nil {
			t.Fatal(err)
		}
		if ks.Unused != st.wantUnused || ks.Low != st.wantLow || len(ks.Keys) != 2 {
			t.Fatalf("after %q: %+v", st.verifier, ks)
		}
	}
	ks, _ := svc.KeyStatus(ctx, sess)
	if ks.Keys[0].Uses+ks.Keys[1].Uses != 3 {
		t.Fatalf("uses: %+v", ks.Keys)
	}
	if _, err := svc.RefreshKeys(ctx, sess); err != nil {
		t.Fatal(err)
	}
	if ks, _ := svc.KeyStatus(ctx, sess); ks.Unused != 2 || ks.Low || len(ks.Keys) != 4 {
		t.Fatalf("after refresh: %+v", ks)
	}
}
