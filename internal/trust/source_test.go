package trust

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/statuslist"
)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFileAndBundleSource(t *testing.T) {
	f := newBundleFixture(t, nil)
	bundle, err := MakeBundle(f.snapshot, f.lists, t0.Add(36*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	snapPath := writeFile(t, dir, "registry.jwt", "\n"+f.snapshot+"\n")
	bundlePath := writeFile(t, dir, "bundle.json", string(bundle))
	garbagePath := writeFile(t, dir, "garbage.jwt", "not a snapshot")
	opts := SourceOptions{Pinned: []*jose.JWK{f.auth.jwk}, Now: func() time.Time { return f.now }, Resolve: resolveDIDJWK}
	wrongKey := opts
	wrongKey.Pinned = []*jose.JWK{f.stranger.jwk}
	late := opts
	late.Now = func() time.Time { return t0.Add(31 * day) }

	tests := []struct {
		name       string
		src        *Source
		wantErr    error
		wantBundle bool
	}{
		{name: "snapshot file", src: FileSource(snapPath, opts)},
		{name: "bundle through FileSource", src: FileSource(bundlePath, opts), wantBundle: true},
		{name: "bundle", src: BundleSource(bundlePath, opts), wantBundle: true},
		{name: "snapshot is not a bundle", src: BundleSource(snapPath, opts), wantErr: ErrBundleMalformed},
		{name: "missing file", src: FileSource(filepath.Join(dir, "none"), opts), wantErr: ErrSourceUnreadable},
		{name: "missing bundle", src: BundleSource(filepath.Join(dir, "none"), opts), wantErr: ErrSourceUnreadable},
		{name: "garbage", src: FileSource(garbagePath, opts), wantErr: ErrSnapshotMalformed},
		{name: "snapshot, other authority pinned", src: FileSource(snapPath, wrongKey), wantErr: ErrSnapshotSignature},
		{name: "bundle, other authority pinned", src: FileSource(bundlePath, wrongKey), wantErr: ErrSnapshotSignature},
		{name: "snapshot expired", src: FileSource(snapPath, late), wantErr: ErrSnapshotExpired},
		{name: "zero source", src: &Source{kind: -1}, wantErr: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := tc.src.Load(context.Background())
			if tc.src.kind == -1 {
				if err == nil {
					t.Fatal("zero source loaded")
				}
				return
			}
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) || l != nil {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				unreadable := errors.Is(tc.wantErr, ErrSourceUnreadable)
				if errors.Is(err, ErrSourceUnreadable) != unreadable || unreadable && !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("unreadable error %v: cause lost or sentinel wrong", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if l.Registry.Version != 7 || l.Age != 2*day {
				t.Errorf("version %d age %s, want 7 and %s", l.Registry.Version, l.Age, 2*day)
			}
			if (l.Bundle != nil) != tc.wantBundle {
				t.Fatalf("bundle %v, want %v", l.Bundle != nil, tc.wantBundle)
			}
			if tc.wantBundle {
				s, held, err := statuslist.OfflineStatus(l.Bundle, statuslist.Reference{URI: listURI, Index: 3})
				if err != nil || !held || s != statuslist.StatusInvalid {
					t.Errorf("bundled status: %d %v %v", s, held, err)
				}
			}
		})
	}
}

func TestHTTPSource(t *testing.T) {
	auth := newAuthority(t, false)
	var serving atomic.Value
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/jwt")
		w.Write([]byte(serving.Load().(string)))
	}))
	defer srv.Close()
	dir := t.TempDir()
	cache := filepath.Join(dir, "registry.jwt")
	now := t0.Add(2 * day)
	src := HTTPSource(srv.URL, cache, srv.Client(), SourceOptions{Pinned: []*jose.JWK{auth.jwk}, Now: func() time.Time { return now }})
	ctx := context.Background()

	if _, err := src.Cached(ctx); !errors.Is(err, ErrNoCache) {
		t.Fatalf("Cached before any fetch: %v", err)
	}
	v2 := auth.sign(t, 2, t0, 30*day)
	steps := []struct {
		name      string
		serve     string
		wantErr   error
		wantCache string // the cache content afterwards (without newline)
		wantVer   uint64
	}{
		{name: "first fetch", serve: v2, wantCache: v2, wantVer: 2},
		{name: "same again", serve: v2, wantCache: v2, wantVer: 2},
		{name: "rollback refused", serve: auth.sign(t, 1, t0.Add(day), 30*day), wantErr: ErrSnapshotRollback, wantCache: v2},
		{name: "same version, other content", serve: auth.sign(t, 2, t0.Add(day), 30*day), wantErr: ErrSnapshotRollback, wantCache: v2},
		{name: "forged", serve: newAuthority(t, true).sign(t, 9, t0, 30*day), wantErr: ErrSnapshotSignature, wantCache: v2},
		{name: "newer replaces", serve: auth.sign(t, 3, t0.Add(day), 30*day), wantVer: 3},
	}
	for _, st := range steps {
		serving.Store(st.serve)
		l, err := src.Load(ctx)
		if st.wantErr != nil {
			if !errors.Is(err, st.wantErr) {
				t.Fatalf("%s: err = %v, want %v", st.name, err, st.wantErr)
			}
		} else if err != nil || l.Registry.Version != st.wantVer {
			t.Fatalf("%s: %v %v", st.name, l, err)
		}
		want := st.wantCache
		if want == "" {
			want = st.serve
		}
		b, err := os.ReadFile(cache)
		if err != nil || string(b) != want+"\n" {
			t.Fatalf("%s: cache holds %.40q, want %.40q", st.name, b, want)
		}
		// Written atomically: only the cache itself is in the directory,
		// no temporary file, and it is readable by the verifier's tools.
		ents, _ := os.ReadDir(dir)
		if len(ents) != 1 {
			t.Fatalf("%s: %d directory entries, want only the cache", st.name, len(ents))
		}
		if fi, _ := os.Stat(cache); fi.Mode().Perm() != 0o644 {
			t.Errorf("%s: cache mode %v", st.name, fi.Mode().Perm())
		}
	}
	before := hits.Load()
	l, err := src.Cached(ctx)
	if err != nil || l.Registry.Version != 3 || l.Age != day {
		t.Fatalf("Cached: %v %v", l, err)
	}
	if hits.Load() != before {
		t.Error("Cached went to the network")
	}
	// The cache is a snapshot file: a FileSource reads it.
	fl, err := FileSource(cache, SourceOptions{Pinned: []*jose.JWK{auth.jwk}, Now: func() time.Time { return now }}).Load(ctx)
	if err != nil || fl.Registry.Version != 3 {
		t.Fatalf("cache as a file source: %v", err)
	}
}
