package trust

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
)

// TestMarksRefuseRollback: a verifier that accepted version 2 of a
// registry refuses version 1 and another version 2, whether they come as a
// snapshot file or inside a bundle carried by hand; a newer one advances
// the mark, and the mark is kept per registry.
func TestMarksRefuseRollback(t *testing.T) {
	auth, other := newAuthority(t, false), newAuthority(t, true)
	now := t0.Add(2 * day)
	dir := t.TempDir()
	marks := OpenMarks(filepath.Join(dir, "state", "trust-state.json"), func() time.Time { return now })
	opts := SourceOptions{Pinned: []*jose.JWK{auth.jwk, other.jwk}, Now: func() time.Time { return now }, Resolve: resolveDIDJWK, Marks: marks}
	bundleOf := func(name, snapshot string) string {
		b, err := MakeBundle(snapshot, nil, now.Add(-time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		return writeFile(t, dir, name, string(b))
	}
	v1 := auth.sign(t, 1, t0, 30*day)
	v2 := auth.sign(t, 2, t0.Add(time.Hour), 30*day)
	v2other := auth.sign(t, 2, t0.Add(2*time.Hour), 30*day)
	v3 := auth.sign(t, 3, t0.Add(3*time.Hour), 30*day)
	steps := []struct {
		name    string
		path    string
		wantErr error
		wantVer uint64 // the mark held afterwards
	}{
		{"first snapshot sets the mark", writeFile(t, dir, "v2.jwt", v2), nil, 2},
		{"same snapshot again", writeFile(t, dir, "v2-again.jwt", v2+"\n"), nil, 2},
		{"same snapshot in a bundle", bundleOf("v2.json", v2), nil, 2},
		{"older snapshot", writeFile(t, dir, "v1.jwt", v1), ErrSnapshotRollback, 2},
		{"older snapshot in a bundle", bundleOf("v1.json", v1), ErrSnapshotRollback, 2},
		{"same version, other content", writeFile(t, dir, "v2other.jwt", v2other), ErrSnapshotRollback, 2},
		{"same version, other content, in a bundle", bundleOf("v2other.json", v2other), ErrSnapshotRollback, 2},
		{"another registry has its own mark", writeFile(t, dir, "other-v1.jwt", other.sign(t, 1, t0, 30*day)), nil, 2},
		{"newer bundle advances", bundleOf("v3.json", v3), nil, 3},
		{"then v2 is a rollback", writeFile(t, dir, "v2-late.jwt", v2), ErrSnapshotRollback, 3},
	}
	for _, st := range steps {
		l, err := FileSource(st.path, opts).Load(context.Background())
		if st.wantErr != nil {
			if !errors.Is(err, st.wantErr) || l != nil {
				t.Fatalf("%s: err = %v, want %v", st.name, err, st.wantErr)
			}
		} else if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		all, err := marks.All()
		if err != nil {
			t.Fatal(err)
		}
		var held uint64
		for _, m := range all {
			if m.Authority == auth.did {
				held = m.Version
			}
		}
		if held != st.wantVer {
			t.Fatalf("%s: mark holds version %d, want %d", st.name, held, st.wantVer)
		}
	}
	if fi, err := os.Stat(marks.Path()); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("marks file: %v %v", fi, err)
	}
	// Forgetting the authority lets an older snapshot in again: the
	// deliberate reset.
	if n, err := marks.Forget(auth.did); err != nil || n != 1 {
		t.Fatalf("forget: %d %v", n, err)
	}
	if _, err := FileSource(filepath.Join(dir, "v1.jwt"), opts).Load(context.Background()); err != nil {
		t.Fatalf("after forget: %v", err)
	}
}

// TestMarksFailClosed: a marks file that cannot be read refuses every
// snapshot (it never falls back to accepting any version) until it is
// reset with Forget("").
func TestMarksFailClosed(t *testing.T) {
	auth := newAuthority(t, false)
	now := t0.Add(2 * day)
	dir := t.TempDir()
	snap := writeFile(t, dir, "v2.jwt", auth.sign(t, 2, t0, 30*day))
	cases := []struct{ name, content string }{
		{"garbage", "not json"},
		{"empty", ""},
		{"another file type", `{"type":"cairn-bundle","marks":[]}`},
		{"incomplete mark", `{"type":"cairn-trust-state","marks":[{"authority":"did:example:a","version":0}]}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, t.TempDir(), "state.json", tc.content)
			marks := OpenMarks(path, nil)
			src := FileSource(snap, SourceOptions{Pinned: []*jose.JWK{auth.jwk}, Now: func() time.Time { return now }, Marks: marks})
			if _, err := src.Load(context.Background()); !errors.Is(err, ErrMarksUnreadable) {
				t.Fatalf("err = %v, want ErrMarksUnreadable", err)
			}
			if b, _ := os.ReadFile(path); string(b) != tc.content {
				t.Fatal("a refused load changed the marks file")
			}
			if _, err := marks.Forget("did:example:a"); !errors.Is(err, ErrMarksUnreadable) {
				t.Fatalf("forget one authority of an unreadable file: %v", err)
			}
			if n, err := marks.Forget(""); err != nil || n != -1 {
				t.Fatalf("reset: %d %v", n, err)
			}
			if _, err := src.Load(context.Background()); err != nil {
				t.Fatalf("after reset: %v", err)
			}
		})
	}
}

// TestHTTPCacheFailsClosed: when the cached snapshot does not verify
// (garbage, empty, or signed by a key no longer pinned), a fetch refuses
// rather than accepting whatever version the server sends, and leaves the
// cache alone; removing the cache is the explicit reset. The marks still
// refuse a rollback after the cache is gone.
func TestHTTPCacheFailsClosed(t *testing.T) {
	auth, rotated := newAuthority(t, false), newAuthority(t, false)
	now := t0.Add(2 * day)
	var serving atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/jwt")
		w.Write([]byte(serving.Load().(string)))
	}))
	defer srv.Close()
	v1 := auth.sign(t, 1, t0, 30*day)
	cases := []struct{ name, cache string }{
		{"garbage", "garbage\n"},
		{"empty", ""},
		{"signed by a key no longer pinned", rotated.sign(t, 5, t0, 30*day) + "\n"},
		{"forged signature", "e30.e30.AAAA\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cache := writeFile(t, dir, "registry.jwt", tc.cache)
			src := HTTPSource(srv.URL, cache, srv.Client(), SourceOptions{Pinned: []*jose.JWK{auth.jwk}, Now: func() time.Time { return now }})
			serving.Store(v1)
			if _, err := src.Load(context.Background()); !errors.Is(err, ErrCacheUnverifiable) {
				t.Fatalf("err = %v, want ErrCacheUnverifiable", err)
			}
			if b, _ := os.ReadFile(cache); string(b) != tc.cache {
				t.Fatal("a refused fetch changed the cache")
			}
			if err := os.Remove(cache); err != nil {
				t.Fatal(err)
			}
			if l, err := src.Load(context.Background()); err != nil || l.Registry.Version != 1 {
				t.Fatalf("after reset: %v", err)
			}
		})
	}

	// With marks: the cache is reset, but the mark still remembers v2.
	dir := t.TempDir()
	marks := OpenMarks(filepath.Join(dir, "state.json"), nil)
	cache := filepath.Join(dir, "registry.jwt")
	src := HTTPSource(srv.URL, cache, srv.Client(), SourceOptions{Pinned: []*jose.JWK{auth.jwk}, Now: func() time.Time { return now }, Marks: marks})
	serving.Store(auth.sign(t, 2, t0, 30*day))
	if _, err := src.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(cache); err != nil {
		t.Fatal(err)
	}
	serving.Store(v1)
	if _, err := src.Load(context.Background()); !errors.Is(err, ErrSnapshotRollback) {
		t.Fatalf("rollback after cache reset: %v", err)
	}
	if _, err := os.Stat(cache); err == nil {
		t.Fatal("a refused fetch wrote the cache")
	}
}
