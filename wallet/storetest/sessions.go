package storetest

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cairn-id/cairn/wallet"
)

// sessions checks the session records: their persistence contract and
// the rules over them (sessions shared by several Services on one store).
func sessions(t *testing.T, newStore func(t *testing.T) wallet.Store) {
	t.Run("persistence", func(t *testing.T) { sessionPersistence(t, newStore) })
	t.Run("rules", func(t *testing.T) { sessionRules(t, newStore) })
}

func sessionRecord(id, holder string, expires time.Time) *wallet.SessionRecord {
	return &wallet.SessionRecord{ID: id, HolderID: holder, Epoch: 3, CreatedAt: T0, ExpiresAt: expires,
		LastUsedAt: T0, WrappedKey: []byte("wrapped-" + id)}
}

func sessionPersistence(t *testing.T, newStore func(t *testing.T) wallet.Store) {
	update := func(t *testing.T, s wallet.Store, fn func(tx wallet.Tx) error) {
		t.Helper()
		if err := s.Update(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(t *testing.T, s wallet.Store, want ...string) {
		t.Helper()
		s.View(ctx, func(tx wallet.Tx) error {
			for _, id := range []string{"s1", "s2", "s3", "s4", "s5"} {
				_, err := tx.Session(id)
				switch has := strings.Contains(strings.Join(want, ","), id); {
				case has && err != nil:
					t.Errorf("session %s: %v, want it stored", id, err)
				case !has && !errors.Is(err, wallet.ErrNotFound):
					t.Errorf("session %s: %v, want ErrNotFound", id, err)
				}
			}
			return nil
		})
	}

	t.Run("create, get, replace, delete", func(t *testing.T) {
		s := newStore(t)
		defer s.Close()
		r := sessionRecord("s1", "h1", T0.Add(time.Hour))
		r.Idle = 5 * time.Minute
		update(t, s, func(tx wallet.Tx) error { return tx.PutSession(r) })
		r.WrappedKey[0] = 'X' // the store keeps its own copy
		s.View(ctx, func(tx wallet.Tx) error {
			got, err := tx.Session("s1")
			if err != nil || got.HolderID != "h1" || got.Epoch != 3 || !got.ExpiresAt.Equal(T0.Add(time.Hour)) ||
				!got.CreatedAt.Equal(T0) || !got.LastUsedAt.Equal(T0) || got.Idle != 5*time.Minute ||
				string(got.WrappedKey) != "wrapped-s1" {
				t.Errorf("Session: %+v %v", got, err)
			}
			if _, err := tx.Session(""); !errors.Is(err, wallet.ErrNotFound) {
				t.Errorf("Session(\"\"): %v", err)
			}
			return nil
		})
		if err := s.View(ctx, func(tx wallet.Tx) error { return tx.PutSession(sessionRecord("s2", "h1", T0)) }); err == nil {
			t.Error("PutSession in a View succeeded")
		}
		if err := s.Update(ctx, func(tx wallet.Tx) error { return tx.PutSession(&wallet.SessionRecord{ID: "s3"}) }); err == nil {
			t.Error("PutSession without a holder succeeded")
		}
		update(t, s, func(tx wallet.Tx) error {
			r2, err := tx.Session("s1")
			if err != nil {
				return err
			}
			r2.LastUsedAt = T0.Add(time.Minute)
			return tx.PutSession(r2)
		})
		s.View(ctx, func(tx wallet.Tx) error {
			if got, err := tx.Session("s1"); err != nil || !got.LastUsedAt.Equal(T0.Add(time.Minute)) {
				t.Errorf("replaced session: %+v %v", got, err)
			}
			return nil
		})
		update(t, s, func(tx wallet.Tx) error { return errors.Join(tx.DeleteSession("s1"), tx.DeleteSession("never")) })
		ids(t, s)
	})

	t.Run("DeleteHolderSessions deletes one holder's sessions only", func(t *testing.T) {
		s := newStore(t)
		defer s.Close()
		update(t, s, func(tx wallet.Tx) error {
			return errors.Join(tx.PutSession(sessionRecord("s1", "h1", T0.Add(time.Hour))),
				tx.PutSession(sessionRecord("s2", "h1", T0.Add(time.Hour))),
				tx.PutSession(sessionRecord("s3", "h2", T0.Add(time.Hour))),
				// a holder id that is a prefix of another's
				tx.PutSession(sessionRecord("s4", "h", T0.Add(time.Hour))))
		})
		var n int
		update(t, s, func(tx wallet.Tx) (err error) { n, err = tx.DeleteHolderSessions("h"); return err })
		if n != 1 {
			t.Errorf("DeleteHolderSessions(h): %d, want 1", n)
		}
		ids(t, s, "s1", "s2", "s3")
		update(t, s, func(tx wallet.Tx) (err error) { n, err = tx.DeleteHolderSessions("h1"); return err })
		if n != 2 {
			t.Errorf("DeleteHolderSessions(h1): %d, want 2", n)
		}
		ids(t, s, "s3")
		update(t, s, func(tx wallet.Tx) (err error) { n, err = tx.DeleteHolderSessions("nobody"); return err })
		if n != 0 {
			t.Errorf("DeleteHolderSessions of nobody: %d", n)
		}
		// A failed Update deletes nothing.
		boom := errors.New("boom")
		if err := s.Update(ctx, func(tx wallet.Tx) error {
			if _, err := tx.DeleteHolderSessions("h2"); err != nil {
				return err
			}
			return boom
		}); !errors.Is(err, boom) {
			t.Fatal(err)
		}
		ids(t, s, "s3")
	})

	t.Run("DeleteExpiredSessions sweeps by absolute and idle expiry", func(t *testing.T) {
		s := newStore(t)
		defer s.Close()
		idle := sessionRecord("s3", "h1", T0.Add(time.Hour))
		idle.Idle = 10 * time.Minute // ends at T0+10m unless used
		used := sessionRecord("s4", "h1", T0.Add(time.Hour))
		used.Idle, used.LastUsedAt = 10*time.Minute, T0.Add(30*time.Minute)
		update(t, s, func(tx wallet.Tx) error {
			return errors.Join(tx.PutSession(sessionRecord("s1", "h1", T0.Add(5*time.Minute))),
				tx.PutSession(sessionRecord("s2", "h2", T0.Add(20*time.Minute))), tx.PutSession(idle), tx.PutSession(used))
		})
		sweep := func(at time.Time, want int) {
			t.Helper()
			var n int
			update(t, s, func(tx wallet.Tx) (err error) { n, err = tx.DeleteExpiredSessions(at); return err })
			if n != want {
				t.Errorf("DeleteExpiredSessions(%s): %d, want %d", at.Sub(T0), n, want)
			}
		}
		sweep(T0.Add(4*time.Minute), 0)
		sweep(T0.Add(5*time.Minute), 1) // s1: its expiry is the end
		ids(t, s, "s2", "s3", "s4")
		sweep(T0.Add(10*time.Minute), 1) // s3: idle
		ids(t, s, "s2", "s4")
		sweep(T0.Add(39*time.Minute), 1) // s2; s4 was used at 30m
		sweep(T0.Add(40*time.Minute), 1)
		ids(t, s)
	})

	t.Run("a delete racing uses is never undone", func(t *testing.T) {
		s := newStore(t)
		defer s.Close()
		update(t, s, func(tx wallet.Tx) error { return tx.PutSession(sessionRecord("s1", "h1", T0.Add(time.Hour))) })
		var deleted atomic.Bool
		var afterDelete atomic.Int32
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				for j := range 20 {
					started := deleted.Load()
					// A use: read the record and move LastUsedAt on, as
					// the Service's touch does.
					err := s.Update(ctx, func(tx wallet.Tx) error {
						r, err := tx.Session("s1")
						if err != nil {
							return err
						}
						r.LastUsedAt = T0.Add(time.Duration(i*100+j) * time.Millisecond)
						return tx.PutSession(r)
					})
					if err == nil && started {
						afterDelete.Add(1)
					}
					if err != nil && !errors.Is(err, wallet.ErrNotFound) {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Go(func() {
			time.Sleep(time.Millisecond)
			if err := s.Update(ctx, func(tx wallet.Tx) error { return tx.DeleteSession("s1") }); err != nil {
				t.Error(err)
			}
			deleted.Store(true)
		})
		wg.Wait()
		if n := afterDelete.Load(); n != 0 {
			t.Errorf("%d uses that started after the delete found the session", n)
		}
		ids(t, s)
	})
}

// instances are two Services (agent instances) with one pepper on one store.
type instances struct {
	st     wallet.Store
	clock  *Clock
	a, b   *wallet.Service
	holder *wallet.Created
}

func newInstances(t *testing.T, newStore func(t *testing.T) wallet.Store, mod ...func(*wallet.Config)) *instances {
	t.Helper()
	in := &instances{st: newStore(t), clock: NewClock(T0)}
	t.Cleanup(func() { in.st.Close() })
	in.a = NewService(t, in.st, in.clock, Pepper(7), mod...)
	in.b = NewService(t, in.st, in.clock, Pepper(7), mod...)
	var err error
	if in.holder, err = in.a.CreateHolder(ctx, wallet.CreateRequest{PIN: "1234", DeviceSecret: Device(1)}); err != nil {
		t.Fatal(err)
	}
	return in
}

func (in *instances) login(t *testing.T, s *wallet.Service) *wallet.Session {
	t.Helper()
	sess, err := s.Login(ctx, wallet.LoginRequest{HolderID: in.holder.HolderID, PIN: "1234", DeviceSecret: Device(1)})
	if err != nil {
		t.Fatal(err)
	}
	return sess
}

// stored reports whether the record of sess is in the store.
func (in *instances) stored(t *testing.T, sess *wallet.Session) bool {
	t.Helper()
	sid, _, _ := strings.Cut(sess.Token, ".")
	err := in.st.View(ctx, func(tx wallet.Tx) error { _, err := tx.Session(sid); return err })
	if err != nil && !errors.Is(err, wallet.ErrNotFound) {
		t.Fatal(err)
	}
	return err == nil
}

func sessionRules(t *testing.T, newStore func(t *testing.T) wallet.Store) {
	t.Run("a session opened on one instance is served by another; a logout there ends it on both", func(t *testing.T) {
		in := newInstances(t, newStore)
		sess := in.login(t, in.a)
		if _, err := in.b.PutCredential(ctx, sess, SampleCredential(0, "", "x")); err != nil {
			t.Fatalf("PutCredential on B with A's session: %v", err)
		}
		if got, err := in.b.Resume(ctx, sess.Token); err != nil || got.HolderID != in.holder.HolderID || !got.ExpiresAt.Equal(sess.ExpiresAt) {
			t.Errorf("Resume on B: %+v %v", got, err)
		}
		if list, err := in.a.ListCredentials(ctx, sess); err != nil || len(list) != 1 {
			t.Fatalf("list on A: %d %v", len(list), err)
		}
		if in.a.SessionCount() != 1 || in.b.SessionCount() != 1 {
			t.Errorf("cached keys: A %d, B %d, want 1 each", in.a.SessionCount(), in.b.SessionCount())
		}
		if err := in.b.Logout(ctx, sess); err != nil {
			t.Fatal(err)
		}
		// A still has the key in its cache, and refuses at once.
		if _, err := in.a.ListCredentials(ctx, sess); !errors.Is(err, wallet.ErrSession) {
			t.Errorf("A after a logout on B: %v", err)
		}
		if _, err := in.a.Resume(ctx, sess.Token); !errors.Is(err, wallet.ErrSession) {
			t.Errorf("Resume on A after a logout on B: %v", err)
		}
		if in.stored(t, sess) {
			t.Error("the session record outlived the logout")
		}
		if err := in.a.Logout(ctx, sess); err != nil {
			t.Errorf("a second logout: %v", err)
		}
	})

	t.Run("a tampered token or record opens nothing", func(t *testing.T) {
		in := newInstances(t, newStore)
		sess := in.login(t, in.a)
		other := in.login(t, in.a)
		sid, secret, _ := strings.Cut(sess.Token, ".")
		osid, osecret, _ := strings.Cut(other.Token, ".")
		flip := func(s string) string {
			b := []byte(s)
			if b[5] == 'A' {
				b[5] = 'B'
			} else {
				b[5] = 'A'
			}
			return string(b)
		}
		for name, tok := range map[string]string{
			"secret changed":             sid + "." + flip(secret),
			"sid changed":                flip(sid) + "." + secret,
			"another session's secret":   sid + "." + osecret,
			"another session's sid":      osid + "." + secret,
			"no secret":                  sid,
			"empty secret":               sid + ".",
			"secret truncated":           sid + "." + secret[:len(secret)-1],
			"secret padded":              sid + "." + secret + "=",
			"two dots":                   sid + "." + secret + ".x",
			"empty":                      "",
			"a 256-bit value, no sid":    secret,
			"sid and secret swapped":     secret + "." + sid,
			"secret with a trailing bit": sid + "." + secret[:len(secret)-1] + "B",
		} {
			for _, svc := range []*wallet.Service{in.a, in.b} { // A has the right key cached; B has not
				if _, err := svc.Resume(ctx, tok); !errors.Is(err, wallet.ErrSession) {
					t.Errorf("%s: Resume: %v", name, err)
				}
				if _, err := svc.ListCredentials(ctx, &wallet.Session{Token: tok, HolderID: sess.HolderID}); !errors.Is(err, wallet.ErrSession) {
					t.Errorf("%s: ListCredentials: %v", name, err)
				}
			}
		}
		if err := in.b.Logout(ctx, &wallet.Session{Token: sid + "." + flip(secret), HolderID: sess.HolderID}); err != nil || !in.stored(t, sess) {
			t.Errorf("a logout with a wrong secret: %v; the session must stay", err)
		}
		// The wrapped key modified in the store: no instance without the
		// key cached opens it.
		in.st.Update(ctx, func(tx wallet.Tx) error {
			r, err := tx.Session(sid)
			if err != nil {
				return err
			}
			r.WrappedKey[len(r.WrappedKey)-1] ^= 1
			return tx.PutSession(r)
		})
		if _, err := in.b.ListCredentials(ctx, sess); !errors.Is(err, wallet.ErrSession) {
			t.Errorf("a modified wrapped key: %v", err)
		}
		// A record moved to another holder does not open either.
		c2, _ := in.a.CreateHolder(ctx, wallet.CreateRequest{PIN: "5555", DeviceSecret: Device(2)})
		in.st.Update(ctx, func(tx wallet.Tx) error {
			r, err := tx.Session(osid)
			if err != nil {
				return err
			}
			r.HolderID = c2.HolderID
			r.Epoch = 0
			return tx.PutSession(r)
		})
		c := NewService(t, in.st, in.clock, Pepper(7)) // nothing cached
		if _, err := c.ListCredentials(ctx, &wallet.Session{Token: other.Token, HolderID: c2.HolderID}); !errors.Is(err, wallet.ErrSession) {
			t.Errorf("a session record moved to another holder: %v", err)
		}
		// The right token still works everywhere for an intact record.
		third := in.login(t, in.a)
		if _, err := c.ListCredentials(ctx, third); err != nil {
			t.Errorf("an intact session on a fresh instance: %v", err)
		}
	})

	t.Run("expired and idle sessions are refused and swept", func(t *testing.T) {
		in := newInstances(t, newStore, func(c *wallet.Config) {
			c.SessionTTL, c.SessionIdle, c.SessionCacheTTL = 30*time.Minute, 10*time.Minute, time.Hour
		})
		sess := in.login(t, in.a)
		in.clock.Advance(9 * time.Minute)
		if _, err := in.b.Resume(ctx, sess.Token); err != nil { // a use: the idle limit starts again
			t.Fatal(err)
		}
		in.clock.Advance(9 * time.Minute)
		if _, err := in.a.Resume(ctx, sess.Token); err != nil { // the API resumes on every request
			t.Errorf("18 min in, used at 9: %v", err)
		}
		idle := in.login(t, in.b)
		in.clock.Advance(9 * time.Minute)
		if _, err := in.b.Resume(ctx, sess.Token); err != nil {
			t.Errorf("27 min in, used at 18: %v", err)
		}
		in.clock.Advance(time.Minute)
		if _, err := in.a.ListCredentials(ctx, idle); !errors.Is(err, wallet.ErrSession) {
			t.Errorf("idle for 10 min: %v", err)
		}
		if _, err := in.a.ListCredentials(ctx, sess); err != nil {
			t.Errorf("28 min in, used at 27: %v", err)
		}
		in.clock.Advance(2 * time.Minute) // 30 min: the absolute end
		for _, s := range []*wallet.Service{in.a, in.b} {
			if _, err := s.ListCredentials(ctx, sess); !errors.Is(err, wallet.ErrSession) {
				t.Errorf("past its TTL: %v", err)
			}
		}
		if !in.stored(t, sess) || !in.stored(t, idle) {
			t.Fatal("expired records went before the sweep")
		}
		fresh := in.login(t, in.a)
		n, err := in.b.SweepSessions(ctx)
		if err != nil || n != 2 {
			t.Errorf("SweepSessions: %d %v, want 2", n, err)
		}
		if in.stored(t, sess) || in.stored(t, idle) || !in.stored(t, fresh) {
			t.Error("the sweep removed the wrong records")
		}
		if _, err := in.a.SweepSessions(ctx); err != nil || in.a.SessionCount() != 1 {
			t.Errorf("cached keys after the sweep: %d %v, want 1", in.a.SessionCount(), err)
		}
	})

	t.Run("PIN change, recovery and wipe delete every session record of the holder", func(t *testing.T) {
		in := newInstances(t, newStore)
		other, _ := in.a.CreateHolder(ctx, wallet.CreateRequest{PIN: "5555", DeviceSecret: Device(2)})
		others, err := in.a.Login(ctx, wallet.LoginRequest{HolderID: other.HolderID, PIN: "5555", DeviceSecret: Device(2)})
		if err != nil {
			t.Fatal(err)
		}
		s1, s2 := in.login(t, in.a), in.login(t, in.b)
		in.b.ListCredentials(ctx, s1) // cached on B too
		s3, err := in.b.ChangePIN(ctx, wallet.ChangePINRequest{LoginRequest: wallet.LoginRequest{HolderID: in.holder.HolderID, PIN: "1234", DeviceSecret: Device(1)}, NewPIN: "2468"})
		if err != nil {
			t.Fatal(err)
		}
		for i, s := range []*wallet.Session{s1, s2} {
			if in.stored(t, s) {
				t.Errorf("session %d stored after a PIN change", i+1)
			}
			for _, svc := range []*wallet.Service{in.a, in.b} {
				if _, err := svc.ListCredentials(ctx, s); !errors.Is(err, wallet.ErrSession) {
					t.Errorf("session %d after a PIN change: %v", i+1, err)
				}
			}
		}
		if _, err := in.a.ListCredentials(ctx, s3); err != nil {
			t.Errorf("the PIN change's session on A: %v", err)
		}
		s4, err := in.a.Recover(ctx, wallet.RecoverRequest{RecoveryCode: in.holder.RecoveryCode, NewPIN: "1357", NewDeviceSecret: Device(3)})
		if err != nil {
			t.Fatal(err)
		}
		if in.stored(t, s3) || !in.stored(t, s4) {
			t.Error("recovery: the old session is stored or the new one is not")
		}
		if _, err := in.b.ListCredentials(ctx, s3); !errors.Is(err, wallet.ErrSession) {
			t.Errorf("an old session on B after a recovery on A: %v", err)
		}
		s5, err := in.b.Login(ctx, wallet.LoginRequest{HolderID: in.holder.HolderID, PIN: "1357", DeviceSecret: Device(3)})
		if err != nil {
			t.Fatal(err)
		}
		if err := in.b.Wipe(ctx, s4); err != nil {
			t.Fatal(err)
		}
		if in.stored(t, s4) || in.stored(t, s5) {
			t.Error("a session stored after the wipe")
		}
		if _, err := in.a.ListCredentials(ctx, s5); !errors.Is(err, wallet.ErrSession) {
			t.Errorf("a session on A after a wipe on B: %v", err)
		}
		if !in.stored(t, others) {
			t.Error("another holder's session went with the wipe")
		}
		if _, err := in.b.ListCredentials(ctx, others); err != nil {
			t.Errorf("another holder's session after the wipe: %v", err)
		}
	})

	t.Run("a logout on one instance racing uses on another: no use after it succeeds", func(t *testing.T) {
		in := newInstances(t, newStore)
		sess := in.login(t, in.a)
		in.b.ListCredentials(ctx, sess)
		var loggedOut atomic.Bool
		var late atomic.Int32
		var wg sync.WaitGroup
		for g := range 4 {
			wg.Go(func() {
				for i := 0; ; i++ {
					started := loggedOut.Load()
					var err error
					if i%2 == 0 {
						_, err = in.b.ListCredentials(ctx, sess)
					} else {
						_, err = in.b.PutCredential(ctx, sess, SampleCredential(0, "", fmt.Sprint(g, "-", i)))
					}
					if err == nil && started {
						late.Add(1)
					}
					if errors.Is(err, wallet.ErrSession) || (started && i > 1000) {
						return
					}
					if err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Go(func() {
			time.Sleep(5 * time.Millisecond)
			if err := in.a.Logout(ctx, sess); err != nil {
				t.Error(err)
			}
			loggedOut.Store(true)
		})
		wg.Wait()
		if n := late.Load(); n != 0 {
			t.Errorf("%d calls that started after the logout succeeded", n)
		}
		if in.stored(t, sess) {
			t.Error("the session record came back")
		}
	})
}
