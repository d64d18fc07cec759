package trust

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
)

// An expired snapshot says by how much; AcceptStale accepts it only
// within the grace asked for, and Loaded.Stale says it was stale.
func TestFileSourceAcceptStale(t *testing.T) {
	f := newBundleFixture(t, nil)
	snapPath := writeFile(t, t.TempDir(), "registry.jwt", f.snapshot)
	reg, err := VerifySnapshot(f.snapshot, []*jose.JWK{f.auth.jwk}, f.now)
	if err != nil {
		t.Fatal(err)
	}
	now := reg.Expires.Add(26 * time.Hour)
	tests := []struct {
		name      string
		grace     time.Duration
		wantStale time.Duration
		wantErr   bool
	}{
		{"no grace", 0, 0, true},
		{"grace shorter than the lateness", 24 * time.Hour, 0, true},
		{"grace longer", 72 * time.Hour, 26 * time.Hour, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := FileSource(snapPath, SourceOptions{Pinned: []*jose.JWK{f.auth.jwk}, Now: func() time.Time { return now }, AcceptStale: tc.grace})
			l, err := src.Load(context.Background())
			if tc.wantErr {
				var ee *ExpiredError
				if !errors.As(err, &ee) || !errors.Is(err, ErrSnapshotExpired) {
					t.Fatalf("err = %v, want an ExpiredError", err)
				}
				if ee.ExpiredFor() != 26*time.Hour || ee.Age() != now.Sub(reg.IssuedAt) {
					t.Errorf("ExpiredFor %v Age %v", ee.ExpiredFor(), ee.Age())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if l.Stale != tc.wantStale {
				t.Errorf("Stale = %v, want %v", l.Stale, tc.wantStale)
			}
		})
	}
}

func TestRoughAge(t *testing.T) {
	for d, want := range map[time.Duration]string{
		50 * time.Hour:              "2d2h",
		90 * time.Minute:            "1h30m",
		42 * time.Second:            "42s",
		-(3 * 24 * time.Hour):       "3d0h",
		5*time.Minute + time.Second: "5m1s",
	} {
		if got := RoughAge(d); got != want {
			t.Errorf("RoughAge(%v) = %q, want %q", d, got, want)
		}
	}
}
