// Package storetest holds the conformance suite every wallet.Store
// implementation must pass (DESIGN.md §6: one suite, two stores). It
// checks the persistence contract (holders, the recovery index, sealed
// records addressed by holder, kind and id, session records and their
// expiry sweep, ErrNotFound, atomic and serializable Update, Batch, a
// holder deleted with all its records) and runs the wallet's rules (package wallet's Service) over the store:
// lockout, PIN change and recovery, wipe, holder keys, credentials, the
// consent log and its tampering, export and import, and sessions shared
// by two Services on one store (sessions.go).
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cairn-id/cairn/wallet"
)

// TestKDF is a test-sized Argon2id cost (64 KiB, one pass): never for
// real holders.
var TestKDF = wallet.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}

// T0 is the suite's start time.
var T0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// Clock is a settable clock for Config.Now.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock starts a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Advance moves the clock on.
func (c *Clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// Pepper returns a deterministic 32-byte test pepper.
func Pepper(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

// Device returns a deterministic 32-byte test device secret.
func Device(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

// NewService returns a Service over st with TestKDF, the clock, and
// pepper, for tests.
func NewService(t testing.TB, st wallet.Store, clock *Clock, pepper []byte, mod ...func(*wallet.Config)) *wallet.Service {
	t.Helper()
	cfg := wallet.Config{Store: st, Pepper: pepper, KDF: TestKDF, Now: clock.Now}
	for _, m := range mod {
		m(&cfg)
	}
	s, err := wallet.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// StoreConformance runs the suite. newStore must return an empty store
// that the suite may close.
func StoreConformance(t *testing.T, newStore func(t *testing.T) wallet.Store) {
	t.Run("persistence", func(t *testing.T) { persistence(t, newStore) })
	t.Run("rules", func(t *testing.T) { rules(t, newStore) })
	t.Run("sessions", func(t *testing.T) { sessions(t, newStore) })
}

var ctx = context.Background()

func persistence(t *testing.T, newStore func(t *testing.T) wallet.Store) {
	update := func(t *testing.T, s wallet.Store, fn func(tx wallet.Tx) error) {
		t.Helper()
		if err := s.Update(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	holder := func(id string) *wallet.Holder {
		return &wallet.Holder{ID: id, Format: 1, PINKDF: TestKDF, PINSalt: []byte("salt-pin-0123456"),
			WrappedByPIN: []byte{1, 2, 3}, RecoveryKDF: TestKDF, RecoverySalt: []byte("salt-rec-0123456"),
			WrappedByRecovery: []byte{4, 5, 6}, RecoveryLookup: "lookup-" + id, Epoch: 2, FailedPINs: 1,
			LockedUntil: T0.Add(time.Minute), CreatedAt: T0}
	}

	t.Run("missing keys are ErrNotFound", func(t *testing.T) {
		s := newStore(t)
		defer s.Close()
		s.View(ctx, func(tx wallet.Tx) error {
			for name, err := range map[string]error{
				"Holder":           second(tx.Holder("h")),
				"HolderByRecovery": second(tx.HolderByRecovery("x")),
				"Record":           second(tx.Record("h", wallet.KindCredential, "c")),
			} {
				if !errors.Is(err, wallet.ErrNotFound) {
					t.Errorf("%s of a missing key: %v, want ErrNotFound", name, err)
				}
			}
			if n, err := tx.HolderCount(); n != 0 || err != nil {
				t.Errorf("HolderCount of an empty store: %d %v", n, err)
			}
			if n, err := tx.RecordCount("h"); n != 0 || err != nil {
				t.Errorf("RecordCount of a missing holder: %d %v", n, err)
			}
			if err := tx.ForEachRecord("h", wallet.KindLog, func(string, []byte) error { return errors.New("called") }); err != nil {
				t.Errorf("ForEachRecord of a missing holder: %v", err)
			}
			return nil
		})
	})

	t.Run("holders and the recovery index round trip", func(t *testing.T) {
		s := newStore(t)
		defer s.Close()
		h := holder("h1")
		update(t, s, func(tx wallet.Tx) error {
			return errors.Join(tx.PutHolder(h), tx.PutRecoveryLookup(h.RecoveryLookup, h.ID))
		})
		s.View(ctx, func(tx wallet.Tx) error {
			got, err := tx.Holder("h1")
			if err != nil || got.Epoch != 2 || got.FailedPINs != 1 || !got.LockedUntil.Equal(h.LockedUntil) ||
				!bytes.Equal(got.WrappedByPIN, h.WrappedByPIN) || !bytes.Equal(got.RecoverySalt, h.RecoverySalt) ||
				got.PINKDF != TestKDF || !got.CreatedAt.Equal(T0) {
				t.Errorf("Holder: %+v %v", got, err)
			}
			if id, err := tx.HolderByRecovery(h.RecoveryLookup); id != "h1" || err != nil {
				t.Errorf("HolderByRecovery: %q %v", id, err)
			}
			if n, err := tx.HolderCount(); n != 1 || err != nil {
				t.Errorf("HolderCount: %d %v", n, err)
			}
			return nil
		})
		update(t, s, func(tx wallet.Tx) error {
			return errors.Join(tx.DeleteRecoveryLookup(h.RecoveryLookup), tx.DeleteRecoveryLookup("never"))
		})
		s.View(ctx, func(tx wallet.Tx) error {
			if _, err := tx.HolderByRecovery(h.RecoveryLookup); !errors.Is(err, wallet.ErrNotFound) {
				t.Errorf("lookup after delete: %v", err)
			}
			return nil
		})
	})

	t.Run("records are addressed by holder, kind and id, and copied", func(t *testing.T) {
		s := newStore(t)
		defer s.Close()
		in := []byte("sealed-1")
		update(t, s, func(tx wallet.Tx) error {
			return errors.Join(
				tx.PutRecord("h1", wallet.KindCredential, "b", in),
				tx.PutRecord("h1", wallet.KindCredential, "a", []byte("sealed-0")),
				tx.PutRecord("h1", wallet.KindCredential, "c", []byte("sealed-2")),
				tx.PutRecord("h1", wallet.KindLog, "b", []byte("log")),
				tx.PutRecord("h2", wallet.KindCredential, "b", []byte("other")),
			)
		})
		in[0] = 'X' // the store keeps its own copy
		s.View(ctx, func(tx wallet.Tx) error {
			got, err := tx.Record("h1", wallet.KindCredential, "b")
			if err != nil || string(got) != "sealed-1" {
				t.Errorf("Record: %q %v", got, err)
			}
			got[0] = 'Y'
			if again, _ := tx.Record("h1", wallet.KindCredential, "b"); string(again) != "sealed-1" {
				t.Errorf("a returned value is the store's own: %q", again)
			}
			var ids []string
			tx.ForEachRecord("h1", wallet.KindCredential, func(id string, b []byte) error { ids = append(ids, id+"="+string(b)); return nil })
			if want := []string{"a=sealed-0", "b=sealed-1", "c=sealed-2"}; !slices.Equal(ids, want) {
				t.Errorf("ForEachRecord: %v, want %v (ascending id order)", ids, want)
			}
			if n, err := tx.RecordCount("h1"); n != 4 || err != nil {
				t.Errorf("RecordCount: %d %v", n, err)
			}
			return nil
		})
		update(t, s, func(tx wallet.Tx) error {
			return errors.Join(tx.PutRecord("h1", wallet.KindCredential, "b", []byte("replaced")),
				tx.DeleteRecord("h1", wallet.KindCredential, "a"), tx.DeleteRecord("h1", wallet.KindCredential, "never"),
				tx.DeleteRecord("h9", wallet.KindCredential, "a"))
		})
		s.View(ctx, func(tx wallet.Tx) error {
			if got, err := tx.Record("h1", wallet.KindCredential, "b"); string(got) != "replaced" || err != nil {
				t.Errorf("replaced record: %q %v", got, err)
			}
			if _, err := tx.Record("h1", wallet.KindCredential, "a"); !errors.Is(err, wallet.ErrNotFound) {
				t.Errorf("deleted record: %v", err)
			}
			if got, _ := tx.Record("h2", wallet.KindCredential, "b"); string(got) != "other" {
				t.Errorf("another holder's record: %q", got)
			}
			return nil
		})
	})

	t.Run("DeleteHolder deletes the holder and all its records only", func(t *testing.T) {
		s := newStore(t)
		defer s.Close()
		update(t, s, func(tx wallet.Tx) error {
			return errors.Join(tx.PutHolder(holder("h1")), tx.PutHolder(holder("h2")),
				tx.PutRecord("h1", wallet.KindKey, "0000", []byte("k")), tx.PutRecord("h1", wallet.KindLog, "1", []byte("l")),
				tx.PutRecord("h2", wallet.KindKey, "0000", []byte("k2")))
		})
		update(t, s, func(tx wallet.Tx) error { return errors.Join(tx.DeleteHolder("h1"), tx.DeleteHolder("never")) })
		s.View(ctx, func(tx wallet.Tx) error {
			if _, err := tx.Holder("h1"); !errors.Is(err, wallet.ErrNotFound) {
				t.Errorf("deleted holder: %v", err)
			}
			if n, _ := tx.RecordCount("h1"); n != 0 {
				t.Errorf("deleted holder keeps %d records", n)
			}
			if n, _ := tx.RecordCount("h2"); n != 1 {
				t.Errorf("other holder has %d records, want 1", n)
			}
			if _, err := tx.Holder("h2"); err != nil {
				t.Errorf("other holder: %v", err)
			}
			return nil
		})
	})

	t.Run("a failed Update changes nothing; a View cannot write", func(t *testing.T) {
		s := newStore(t)
		defer s.Close()
		boom := errors.New("boom")
		err := s.Update(ctx, func(tx wallet.Tx) error {
			if err := errors.Join(tx.PutHolder(holder("h1")), tx.PutRecord("h1", wallet.KindKey, "0000", []byte("k"))); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Update: %v", err)
		}
		s.View(ctx, func(tx wallet.Tx) error {
			if _, err := tx.Holder("h1"); !errors.Is(err, wallet.ErrNotFound) {
				t.Errorf("holder after a rolled back Update: %v", err)
			}
			if n, _ := tx.RecordCount("h1"); n != 0 {
				t.Errorf("%d records after a rolled back Update", n)
			}
			return nil
		})
		if err := s.View(ctx, func(tx wallet.Tx) error { return tx.PutHolder(holder("h1")) }); err == nil {
			t.Error("PutHolder in a View succeeded")
		}
		if err := s.View(ctx, func(tx wallet.Tx) error { return tx.PutRecord("h1", "k", "i", []byte("x")) }); err == nil {
			t.Error("PutRecord in a View succeeded")
		}
	})

	t.Run("concurrent read-modify-write Updates and Batches serialize", func(t *testing.T) {
		s := newStore(t)
		defer s.Close()
		update(t, s, func(tx wallet.Tx) error { return tx.PutHolder(&wallet.Holder{ID: "h"}) })
		const n = 16
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				run := s.Update
				if i%2 == 1 {
					run = s.Batch
				}
				err := run(ctx, func(tx wallet.Tx) error {
					h, err := tx.Holder("h")
					if err != nil {
						return err
					}
					h.FailedPINs++
					return tx.PutHolder(h)
				})
				if err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		s.View(ctx, func(tx wallet.Tx) error {
			if h, err := tx.Holder("h"); err != nil || h.FailedPINs != n {
				t.Errorf("counter after %d increments: %+v %v", n, h, err)
			}
			return nil
		})
	})
}

func second[T any](_ T, err error) error { return err }

// fixture is a service over a fresh store with one holder.
type fixture struct {
	st      wallet.Store
	clock   *Clock
	svc     *wallet.Service
	created *wallet.Created
}

func newFixture(t *testing.T, newStore func(t *testing.T) wallet.Store, mod ...func(*wallet.Config)) *fixture {
	t.Helper()
	f := &fixture{st: newStore(t), clock: NewClock(T0)}
	t.Cleanup(func() { f.st.Close() })
	f.svc = NewService(t, f.st, f.clock, Pepper(7), mod...)
	var err error
	f.created, err = f.svc.CreateHolder(ctx, wallet.CreateRequest{PIN: "1234", DeviceSecret: Device(1), Lang: "fr"})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) login(t *testing.T, pin string, device []byte) (*wallet.Session, error) {
	t.Helper()
	return f.svc.Login(ctx, wallet.LoginRequest{HolderID: f.created.HolderID, PIN: pin, DeviceSecret: device, ClientAddr: "192.0.2.1"})
}

func (f *fixture) mustLogin(t *testing.T) *wallet.Session {
	t.Helper()
	s, err := f.login(t, "1234", Device(1))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// SampleCredential is a credential for tests; marker makes it unique.
func SampleCredential(keyIndex int, group, marker string) wallet.Credential {
	return wallet.Credential{Group: group, KeyIndex: keyIndex, VCT: "urn:cairn:vct:humanitarian-registration:1",
		IssuerDID: "did:web:issuer.example", IssuedAt: T0, ExpiresAt: T0.AddDate(1, 0, 0),
		Compact: "eyJhbGciOiJFUzI1NiJ9.eyJtYXJrZXIiOiI" + marker + "In0.c2ln~WyJzYWx0IiwiZ2l2ZW5fbmFtZSIsIkFtaW5hIl0~",
		Status:  &wallet.StatusRef{URI: "https://issuer.example/status/1", Index: 42}}
}

func rules(t *testing.T, newStore func(t *testing.T) wallet.Store) {
	t.Run("create, login, store and read a credential", func(t *testing.T) {
		f := newFixture(t, newStore)
		sess := f.mustLogin(t)
		put, err := f.svc.PutCredential(ctx, sess, SampleCredential(0, "", "a"))
		if err != nil {
			t.Fatal(err)
		}
		got, err := f.svc.GetCredential(ctx, sess, put.ID)
		if err != nil || got.Compact != put.Compact || got.Status.Index != 42 || !got.ReceivedAt.Equal(T0) {
			t.Errorf("GetCredential: %+v %v", got, err)
		}
		st, err := f.svc.GetSettings(ctx, sess)
		if err != nil || st.Lang != "fr" {
			t.Errorf("settings: %+v %v", st, err)
		}
		if _, err := f.svc.PutCredential(ctx, sess, SampleCredential(99, "", "b")); !errors.Is(err, wallet.ErrNoKey) {
			t.Errorf("a credential bound to no holder key: %v", err)
		}
	})

	t.Run("wrong PINs lock the holder out exponentially, across restarts", func(t *testing.T) {
		f := newFixture(t, newStore, func(c *wallet.Config) {
			c.HolderLockout = wallet.Lockout{Free: 3, Base: 30 * time.Second, Max: time.Hour}
		})
		for i := 1; i <= 3; i++ {
			if _, err := f.login(t, "9999", Device(1)); !errors.Is(err, wallet.ErrUnlock) {
				t.Fatalf("wrong PIN %d: %v", i, err)
			}
		}
		// The 4th wrong PIN is still tried, then locks for 30 s.
		if _, err := f.login(t, "9999", Device(1)); !errors.Is(err, wallet.ErrUnlock) {
			t.Fatalf("wrong PIN 4: %v", err)
		}
		var le *wallet.LockedError
		if _, err := f.login(t, "1234", Device(1)); !errors.As(err, &le) || le.Scope != "holder" || le.RetryAfter(f.clock.Now()) != 30*time.Second {
			t.Fatalf("right PIN while locked: %v", err)
		}
		// A restart (a new Service over the same store) keeps the lock.
		f.svc = NewService(t, f.st, f.clock, Pepper(7), func(c *wallet.Config) {
			c.HolderLockout = wallet.Lockout{Free: 3, Base: 30 * time.Second, Max: time.Hour}
		})
		if _, err := f.login(t, "1234", Device(1)); !errors.Is(err, wallet.ErrLocked) {
			t.Fatalf("right PIN while locked, after a restart: %v", err)
		}
		f.clock.Advance(30 * time.Second)
		if _, err := f.login(t, "9999", Device(1)); !errors.Is(err, wallet.ErrUnlock) {
			t.Fatalf("wrong PIN 5: %v", err)
		}
		// The 5th wrong PIN doubles the lock: 60 s.
		f.clock.Advance(59 * time.Second)
		if _, err := f.login(t, "1234", Device(1)); !errors.As(err, &le) || le.RetryAfter(f.clock.Now()) != time.Second {
			t.Fatalf("59 s into a 60 s lock: %v", err)
		}
		f.clock.Advance(time.Second)
		if _, err := f.login(t, "1234", Device(1)); err != nil {
			t.Fatalf("right PIN after the lock: %v", err)
		}
		// Success reset the count: three free attempts again.
		for i := 1; i <= 3; i++ {
			if _, err := f.login(t, "9999", Device(1)); !errors.Is(err, wallet.ErrUnlock) {
				t.Fatalf("wrong PIN %d after reset: %v", i, err)
			}
		}
		if _, err := f.login(t, "1234", Device(1)); err != nil {
			t.Fatalf("right PIN after 3 free wrong ones: %v", err)
		}
		// A wrong device secret counts like a wrong PIN.
		for range 4 {
			f.login(t, "1234", Device(9))
		}
		if _, err := f.login(t, "1234", Device(1)); !errors.Is(err, wallet.ErrLocked) {
			t.Fatalf("after 4 wrong device secrets: %v", err)
		}
	})

	t.Run("parallel wrong PINs are counted before the derivation", func(t *testing.T) {
		f := newFixture(t, newStore, func(c *wallet.Config) {
			c.HolderLockout = wallet.Lockout{Free: 3, Base: time.Hour, Max: time.Hour}
		})
		const n = 12
		errs := make(chan error, n)
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				_, err := f.svc.Login(ctx, wallet.LoginRequest{HolderID: f.created.HolderID, PIN: "9999", DeviceSecret: Device(1)})
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		tried := 0
		for err := range errs {
			switch {
			case errors.Is(err, wallet.ErrUnlock):
				tried++
			case !errors.Is(err, wallet.ErrLocked):
				t.Errorf("parallel guess: %v", err)
			}
		}
		if tried != 4 {
			t.Errorf("%d of %d parallel guesses were tried, want 4 (3 free, the 4th locks)", tried, n)
		}
	})

	t.Run("wrong PINs from one address lock the address out", func(t *testing.T) {
		f := newFixture(t, newStore, func(c *wallet.Config) {
			c.AddressLockout = wallet.Lockout{Free: 2, Base: time.Minute, Max: time.Hour}
		})
		other, err := f.svc.CreateHolder(ctx, wallet.CreateRequest{PIN: "5555", DeviceSecret: Device(2)})
		if err != nil {
			t.Fatal(err)
		}
		try := func(id, pin string, dev []byte, addr string) error {
			_, err := f.svc.Login(ctx, wallet.LoginRequest{HolderID: id, PIN: pin, DeviceSecret: dev, ClientAddr: addr})
			return err
		}
		// Guessing across holders (and unknown ids) from one address.
		try(f.created.HolderID, "0000", Device(1), "198.51.100.7")
		try("unknown-holder-id", "0000", Device(1), "198.51.100.7")
		try(other.HolderID, "0000", Device(2), "198.51.100.7")
		var le *wallet.LockedError
		if err := try(other.HolderID, "5555", Device(2), "198.51.100.7"); !errors.As(err, &le) || le.Scope != "address" {
			t.Fatalf("right PIN from a locked address: %v", err)
		}
		if err := try(other.HolderID, "5555", Device(2), "198.51.100.8"); err != nil {
			t.Fatalf("right PIN from another address: %v", err)
		}
		f.clock.Advance(time.Minute)
		if err := try(other.HolderID, "5555", Device(2), "198.51.100.7"); err != nil {
			t.Fatalf("right PIN after the address lock: %v", err)
		}
	})

	t.Run("a PIN change ends every session, here and on another instance", func(t *testing.T) {
		f := newFixture(t, newStore)
		other := NewService(t, f.st, f.clock, Pepper(7)) // a second instance on the same store
		s1 := f.mustLogin(t)
		s2, err := other.Login(ctx, wallet.LoginRequest{HolderID: f.created.HolderID, PIN: "1234", DeviceSecret: Device(1)})
		if err != nil {
			t.Fatal(err)
		}
		c, err := f.svc.PutCredential(ctx, s1, SampleCredential(1, "", "a"))
		if err != nil {
			t.Fatal(err)
		}
		s3, err := f.svc.ChangePIN(ctx, wallet.ChangePINRequest{
			LoginRequest: wallet.LoginRequest{HolderID: f.created.HolderID, PIN: "1234", DeviceSecret: Device(1)},
			NewPIN:       "86420", NewDeviceSecret: Device(3)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.ListCredentials(ctx, s1); !errors.Is(err, wallet.ErrSession) {
			t.Errorf("old session on this instance: %v", err)
		}
		if _, err := other.ListCredentials(ctx, s2); !errors.Is(err, wallet.ErrSession) {
			t.Errorf("old session on another instance: %v", err)
		}
		if got, err := f.svc.GetCredential(ctx, s3, c.ID); err != nil || got.Compact != c.Compact {
			t.Errorf("credential after the PIN change: %v", err)
		}
		if _, err := f.login(t, "1234", Device(1)); !errors.Is(err, wallet.ErrUnlock) {
			t.Errorf("old PIN after the change: %v", err)
		}
		if _, err := f.login(t, "86420", Device(1)); !errors.Is(err, wallet.ErrUnlock) {
			t.Errorf("new PIN with the old device secret: %v", err)
		}
		if _, err := f.login(t, "86420", Device(3)); err != nil {
			t.Errorf("new PIN and device secret: %v", err)
		}
	})

	t.Run("recovery keeps every credential and ends old sessions", func(t *testing.T) {
		f := newFixture(t, newStore)
		old := f.mustLogin(t)
		var ids []string
		for i := range 3 {
			c, err := f.svc.PutCredential(ctx, old, SampleCredential(i, "", fmt.Sprint(i)))
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, c.ID)
		}
		if _, err := f.svc.AppendLog(ctx, old, wallet.LogEntry{Event: wallet.EventOfferAccepted, PartyName: "Issuer"}); err != nil {
			t.Fatal(err)
		}
		// A typo'd code (lower case, spaces, a 0 for O) still reads.
		code := f.created.RecoveryCode
		bad := []byte(code)
		bad[0] ^= 1 // another letter: no holder
		if _, err := f.svc.Recover(ctx, wallet.RecoverRequest{RecoveryCode: string(bad), NewPIN: "4321", NewDeviceSecret: Device(4)}); !errors.Is(err, wallet.ErrRecoveryCode) {
			t.Errorf("wrong recovery code: %v", err)
		}
		sess, err := f.svc.Recover(ctx, wallet.RecoverRequest{RecoveryCode: lowerSpaced(code), NewPIN: "4321", NewDeviceSecret: Device(4)})
		if err != nil {
			t.Fatal(err)
		}
		if sess.HolderID != f.created.HolderID {
			t.Errorf("recovered holder %s, want %s", sess.HolderID, f.created.HolderID)
		}
		if _, err := f.svc.ListCredentials(ctx, old); !errors.Is(err, wallet.ErrSession) {
			t.Errorf("old session after recovery: %v", err)
		}
		list, err := f.svc.ListCredentials(ctx, sess)
		if err != nil || len(list) != 3 {
			t.Fatalf("credentials after recovery: %d %v", len(list), err)
		}
		var got []string
		for _, c := range list {
			got = append(got, c.ID)
		}
		slices.Sort(got)
		slices.Sort(ids)
		if !slices.Equal(got, ids) {
			t.Errorf("credentials after recovery: %v, want %v", got, ids)
		}
		if n, err := f.svc.VerifyLog(ctx, sess); n != 1 || err != nil {
			t.Errorf("log after recovery: %d %v", n, err)
		}
		if _, err := f.login(t, "1234", Device(1)); !errors.Is(err, wallet.ErrUnlock) {
			t.Errorf("old PIN after recovery: %v", err)
		}
		if _, err := f.svc.Login(ctx, wallet.LoginRequest{HolderID: f.created.HolderID, PIN: "4321", DeviceSecret: Device(4)}); err != nil {
			t.Errorf("new PIN after recovery: %v", err)
		}
		// The code still works (e.g. another lost phone later).
		if _, err := f.svc.Recover(ctx, wallet.RecoverRequest{RecoveryCode: code, NewPIN: "2468", NewDeviceSecret: Device(5)}); err != nil {
			t.Errorf("second recovery: %v", err)
		}
	})

	t.Run("wipe deletes everything of the holder and nothing else", func(t *testing.T) {
		f := newFixture(t, newStore)
		other, err := f.svc.CreateHolder(ctx, wallet.CreateRequest{PIN: "5555", DeviceSecret: Device(2)})
		if err != nil {
			t.Fatal(err)
		}
		sess := f.mustLogin(t)
		second := f.mustLogin(t)
		for i := range 5 {
			if _, err := f.svc.PutCredential(ctx, sess, SampleCredential(i, "", fmt.Sprint(i))); err != nil {
				t.Fatal(err)
			}
		}
		f.svc.AppendLog(ctx, sess, wallet.LogEntry{Event: wallet.EventPresentation})
		f.svc.KeyForVerifier(ctx, sess, "did:web:verifier.example")
		f.svc.PutPendingOffer(ctx, sess, wallet.PendingOffer{Data: []byte("offer")})
		var h *wallet.Holder
		f.st.View(ctx, func(tx wallet.Tx) (err error) { h, err = tx.Holder(f.created.HolderID); return err })
		if err := f.svc.Wipe(ctx, sess); err != nil {
			t.Fatal(err)
		}
		f.st.View(ctx, func(tx wallet.Tx) error {
			if _, err := tx.Holder(f.created.HolderID); !errors.Is(err, wallet.ErrNotFound) {
				t.Errorf("holder (with its wrapped keys) after wipe: %v", err)
			}
			if n, _ := tx.RecordCount(f.created.HolderID); n != 0 {
				t.Errorf("%d records after wipe", n)
			}
			if _, err := tx.HolderByRecovery(h.RecoveryLookup); !errors.Is(err, wallet.ErrNotFound) {
				t.Errorf("recovery index after wipe: %v", err)
			}
			if n, _ := tx.HolderCount(); n != 1 {
				t.Errorf("%d holders after wiping one of two", n)
			}
			return nil
		})
		if _, err := f.svc.ListCredentials(ctx, second); !errors.Is(err, wallet.ErrSession) {
			t.Errorf("another session after wipe: %v", err)
		}
		if _, err := f.login(t, "1234", Device(1)); !errors.Is(err, wallet.ErrUnlock) {
			t.Errorf("login after wipe: %v", err)
		}
		if _, err := f.svc.Recover(ctx, wallet.RecoverRequest{RecoveryCode: f.created.RecoveryCode, NewPIN: "1111", NewDeviceSecret: Device(1)}); !errors.Is(err, wallet.ErrRecoveryCode) {
			t.Errorf("recovery after wipe: %v", err)
		}
		if _, err := f.svc.Login(ctx, wallet.LoginRequest{HolderID: other.HolderID, PIN: "5555", DeviceSecret: Device(2)}); err != nil {
			t.Errorf("the other holder after wipe: %v", err)
		}
	})

	t.Run("each verifier keeps its own key until keys run low", func(t *testing.T) {
		f := newFixture(t, newStore, func(c *wallet.Config) { c.HolderKeys = 3 })
		sess := f.mustLogin(t)
		ks, err := f.svc.HolderKeys(ctx, sess)
		if err != nil || len(ks) != 3 {
			t.Fatalf("HolderKeys: %d %v", len(ks), err)
		}
		a := func(v string) *wallet.KeyAssignment {
			t.Helper()
			got, err := f.svc.KeyForVerifier(ctx, sess, v)
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		v1 := a("verifier-1")
		if !v1.New || v1.Low || v1.Unused != 2 {
			t.Errorf("first verifier: %+v", v1)
		}
		if again := a("verifier-1"); again.Index != v1.Index || again.New {
			t.Errorf("same verifier again: %+v, want key %d", again, v1.Index)
		}
		v2, v3 := a("verifier-2"), a("verifier-3")
		if len(map[int]bool{v1.Index: true, v2.Index: true, v3.Index: true}) != 3 {
			t.Errorf("three verifiers share keys: %d %d %d", v1.Index, v2.Index, v3.Index)
		}
		if v2.Low || !v3.Low || v3.Unused != 0 {
			t.Errorf("low flags: %+v %+v", v2, v3)
		}
		if v4 := a("verifier-4"); !v4.Low {
			t.Errorf("fourth verifier on three keys: %+v", v4)
		}
		fresh, err := f.svc.RefreshKeys(ctx, sess)
		if err != nil || len(fresh) != 3 || fresh[0].Index != 3 {
			t.Fatalf("RefreshKeys: %+v %v", fresh, err)
		}
		if v5 := a("verifier-5"); v5.Index < 3 || v5.Low {
			t.Errorf("a verifier after a refresh: %+v", v5)
		}
		k, err := f.svc.HolderKey(ctx, sess, v1.Index)
		if err != nil || !k.PublicJWK().Equal(ks[v1.Index].JWK) {
			t.Errorf("HolderKey %d: %v", v1.Index, err)
		}
		if _, err := f.svc.HolderKey(ctx, sess, 77); !errors.Is(err, wallet.ErrNoKey) {
			t.Errorf("HolderKey of a missing index: %v", err)
		}
	})

	t.Run("deleting a credential deletes its whole group", func(t *testing.T) {
		f := newFixture(t, newStore)
		sess := f.mustLogin(t)
		first, _ := f.svc.PutCredential(ctx, sess, SampleCredential(0, "", "g0"))
		for i := 1; i < 5; i++ {
			f.svc.PutCredential(ctx, sess, SampleCredential(i, first.Group, fmt.Sprint("g", i)))
		}
		keep, _ := f.svc.PutCredential(ctx, sess, SampleCredential(0, "", "other"))
		if n, err := f.svc.DeleteCredential(ctx, sess, first.ID); n != 5 || err != nil {
			t.Errorf("DeleteCredential: %d %v, want 5", n, err)
		}
		list, _ := f.svc.ListCredentials(ctx, sess)
		if len(list) != 1 || list[0].ID != keep.ID {
			t.Errorf("after deleting a group: %+v", list)
		}
		if _, err := f.svc.DeleteCredential(ctx, sess, first.ID); !errors.Is(err, wallet.ErrNoCredential) {
			t.Errorf("deleting again: %v", err)
		}
	})

	t.Run("pending offers are single use", func(t *testing.T) {
		f := newFixture(t, newStore)
		sess := f.mustLogin(t)
		id, err := f.svc.PutPendingOffer(ctx, sess, wallet.PendingOffer{Data: []byte(`{"x":1}`), ExpiresAt: T0.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if p, err := f.svc.TakePendingOffer(ctx, sess, id); err != nil || string(p.Data) != `{"x":1}` {
			t.Errorf("TakePendingOffer: %+v %v", p, err)
		}
		if _, err := f.svc.TakePendingOffer(ctx, sess, id); !errors.Is(err, wallet.ErrNotFound) {
			t.Errorf("second take: %v", err)
		}
	})

	t.Run("consent log tampering is detected", func(t *testing.T) {
		for _, tc := range []struct {
			name   string
			tamper func(tx wallet.Tx, holder string) error
		}{
			{"untouched", nil},
			{"modified", func(tx wallet.Tx, h string) error {
				b, err := tx.Record(h, wallet.KindLog, logID(2))
				if err != nil {
					return err
				}
				b[len(b)-1] ^= 1
				return tx.PutRecord(h, wallet.KindLog, logID(2), b)
			}},
			{"removed in the middle", func(tx wallet.Tx, h string) error { return tx.DeleteRecord(h, wallet.KindLog, logID(2)) }},
			{"last removed", func(tx wallet.Tx, h string) error { return tx.DeleteRecord(h, wallet.KindLog, logID(3)) }},
			{"all removed", func(tx wallet.Tx, h string) error {
				return errors.Join(tx.DeleteRecord(h, wallet.KindLog, logID(1)), tx.DeleteRecord(h, wallet.KindLog, logID(2)), tx.DeleteRecord(h, wallet.KindLog, logID(3)))
			}},
			{"reordered", func(tx wallet.Tx, h string) error {
				a, _ := tx.Record(h, wallet.KindLog, logID(1))
				b, _ := tx.Record(h, wallet.KindLog, logID(2))
				return errors.Join(tx.PutRecord(h, wallet.KindLog, logID(1), b), tx.PutRecord(h, wallet.KindLog, logID(2), a))
			}},
			{"head removed", func(tx wallet.Tx, h string) error { return tx.DeleteRecord(h, wallet.KindLogHead, "head") }},
			{"an entry of another holder's log", func(tx wallet.Tx, h string) error {
				// copied from a second holder: it does not open under this one's key
				return tx.PutRecord(h, wallet.KindLog, logID(4), []byte{1, 2, 3})
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				f := newFixture(t, newStore)
				sess := f.mustLogin(t)
				for i, ev := range []string{wallet.EventOfferAccepted, wallet.EventPresentation, wallet.EventOfferRefused} {
					e, err := f.svc.AppendLog(ctx, sess, wallet.LogEntry{Event: ev, PartyName: "Party", PartyID: fmt.Sprint("p", i),
						Purpose: "check", Claims: []string{"given_name"}})
					if err != nil || e.Seq != uint64(i+1) {
						t.Fatalf("AppendLog: %+v %v", e, err)
					}
				}
				if tc.tamper != nil {
					if err := f.st.Update(ctx, func(tx wallet.Tx) error { return tc.tamper(tx, f.created.HolderID) }); err != nil {
						t.Fatal(err)
					}
				}
				n, err := f.svc.VerifyLog(ctx, sess)
				if tc.tamper == nil {
					if n != 3 || err != nil {
						t.Errorf("VerifyLog of an untouched log: %d %v", n, err)
					}
					if _, err := f.svc.ExportLogJSON(ctx, sess); err != nil {
						t.Errorf("ExportLogJSON: %v", err)
					}
					return
				}
				if !errors.Is(err, wallet.ErrLogTampered) {
					t.Errorf("VerifyLog: %d %v, want ErrLogTampered", n, err)
				}
				if _, err := f.svc.ExportLogJSON(ctx, sess); err == nil {
					t.Error("ExportLogJSON of a tampered log succeeded")
				}
			})
		}
	})

	t.Run("export and import round trip into a fresh holder on another agent", func(t *testing.T) {
		f := newFixture(t, newStore)
		sess := f.mustLogin(t)
		for i := range 5 {
			if _, err := f.svc.PutCredential(ctx, sess, SampleCredential(i, "", fmt.Sprint(i))); err != nil {
				t.Fatal(err)
			}
		}
		f.svc.AppendLog(ctx, sess, wallet.LogEntry{Event: wallet.EventOfferAccepted, PartyName: "Issuer"})
		f.svc.AppendLog(ctx, sess, wallet.LogEntry{Event: wallet.EventPresentation, PartyName: "Verifier", Claims: []string{"age_over_18"}})
		ka, _ := f.svc.KeyForVerifier(ctx, sess, "verifier-1")
		keys, _ := f.svc.HolderKeys(ctx, sess)
		want, _ := f.svc.ListCredentials(ctx, sess)

		const pass = "correct horse battery"
		file, err := f.svc.Export(ctx, sess, pass)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Export(ctx, sess, "short"); !errors.Is(err, wallet.ErrInvalidRequest) {
			t.Errorf("short passphrase: %v", err)
		}

		// Another agent: its own store and pepper.
		st2 := newStore(t)
		defer st2.Close()
		svc2 := NewService(t, st2, f.clock, Pepper(9))
		c2, err := svc2.CreateHolder(ctx, wallet.CreateRequest{PIN: "2580", DeviceSecret: Device(6)})
		if err != nil {
			t.Fatal(err)
		}
		s2, err := svc2.Login(ctx, wallet.LoginRequest{HolderID: c2.HolderID, PIN: "2580", DeviceSecret: Device(6)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc2.Import(ctx, s2, file, "wrong passphrase!"); !errors.Is(err, wallet.ErrPassphrase) {
			t.Errorf("wrong passphrase: %v", err)
		}
		flipped := slices.Clone(file)
		flipped[len(flipped)/2] ^= 1
		if _, err := svc2.Import(ctx, s2, flipped, pass); !errors.Is(err, wallet.ErrPassphrase) {
			t.Errorf("modified file: %v", err)
		}
		sum, err := svc2.Import(ctx, s2, file, pass)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Credentials != 5 || sum.Keys != 5 || sum.LogEntries != 2 {
			t.Errorf("import summary: %+v", sum)
		}
		got, _ := svc2.ListCredentials(ctx, s2)
		if len(got) != len(want) {
			t.Fatalf("%d credentials imported, want %d", len(got), len(want))
		}
		for i := range got {
			if got[i].ID != want[i].ID || got[i].Compact != want[i].Compact || got[i].KeyIndex != want[i].KeyIndex {
				t.Errorf("credential %d differs: %+v", i, got[i])
			}
		}
		keys2, _ := svc2.HolderKeys(ctx, s2)
		if len(keys2) != len(keys) {
			t.Fatalf("%d keys imported, want %d", len(keys2), len(keys))
		}
		for i := range keys {
			if !keys[i].JWK.Equal(keys2[i].JWK) {
				t.Errorf("holder key %d differs after import", i)
			}
		}
		if ka2, _ := svc2.KeyForVerifier(ctx, s2, "verifier-1"); ka2.Index != ka.Index || ka2.New {
			t.Errorf("verifier assignment after import: %+v, want key %d", ka2, ka.Index)
		}
		if n, err := svc2.VerifyLog(ctx, s2); n != 3 || err != nil {
			t.Errorf("log after import: %d %v, want 2 entries and the import's", n, err)
		}
		if _, err := svc2.Import(ctx, s2, file, pass); !errors.Is(err, wallet.ErrNotEmpty) {
			t.Errorf("second import: %v", err)
		}
	})
}

func logID(seq uint64) string { return fmt.Sprintf("%016x", seq) }

// lowerSpaced writes a recovery code as someone might type it: lower
// case, spaces for hyphens.
func lowerSpaced(code string) string {
	b := []byte(code)
	for i, c := range b {
		switch {
		case c == '-':
			b[i] = ' '
		case c >= 'A' && c <= 'Z':
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
