package pg

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

const pw = "s3cr%40t-Pw"      // as written in a URL
const pwDecoded = "s3cr@t-Pw" // as the server sees it

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"postgres://cairn:" + pw + "@db.example:5432/cairn?sslmode=require", "postgres://cairn:xxxxx@db.example:5432/cairn?sslmode=require"},
		{"postgresql://cairn@db/cairn", "postgresql://cairn@db/cairn"},
		{"postgres://db/cairn?user=cairn&password=" + pw, "postgres://db/cairn?user=cairn&password=xxxxx"},
		{"postgres://cairn:" + pw + "@db:bad port/x", "postgres://xxxxx"},
	} {
		got := Redact(tc.in)
		if got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if strings.Contains(got, pw) || strings.Contains(got, pwDecoded) {
			t.Errorf("Redact(%q) keeps the password", tc.in)
		}
	}
}

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "store.url")
	os.WriteFile(good, []byte("postgres://cairn:"+pw+"@db/cairn\n"), 0o600)
	loose := filepath.Join(dir, "loose.url")
	os.WriteFile(loose, []byte("postgres://cairn:"+pw+"@db/cairn\n"), 0o644)
	notURL := filepath.Join(dir, "path.url")
	os.WriteFile(notURL, []byte("/var/lib/cairn/issuer.db"), 0o600)
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == EnvStore {
				return v
			}
			return ""
		}
	}
	for _, tc := range []struct {
		name, flag, file, env string
		want                  string
		err                   error
	}{
		{name: "nothing keeps bbolt"},
		{name: "flag without password", flag: "postgres://cairn@db/cairn", want: "postgres://cairn@db/cairn"},
		{name: "flag with password", flag: "postgres://cairn:" + pw + "@db/cairn", err: ErrPasswordInFlag},
		{name: "flag with password parameter", flag: "postgres://db/cairn?password=" + pw, err: ErrPasswordInFlag},
		{name: "flag not a URL", flag: "issuer.db", err: ErrNotURL},
		{name: "file", file: good, want: "postgres://cairn:" + pw + "@db/cairn"},
		{name: "file readable by others", file: loose, err: ErrInsecureFile},
		{name: "file without a URL", file: notURL, err: ErrNotURL},
		{name: "both", flag: "postgres://db/x", file: good, err: ErrStoreFlags},
		{name: "environment", env: "postgres://cairn:" + pw + "@db/cairn", want: "postgres://cairn:" + pw + "@db/cairn"},
		{name: "flag wins over environment", flag: "postgres://a@db/x", env: "postgres://b@db/y", want: "postgres://a@db/x"},
		{name: "environment not a URL", env: "issuer.db", err: ErrNotURL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Resolve(tc.flag, tc.file, env(tc.env))
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err %v, want %v", err, tc.err)
				}
				if strings.Contains(err.Error(), pw) || strings.Contains(err.Error(), pwDecoded) {
					t.Fatalf("error shows the password: %v", err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Resolve = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestRedactErr(t *testing.T) {
	s := secrets("postgres://cairn:" + pw + "@db/cairn?password=" + pw)
	cause := &pgconn.PgError{Code: "28P01", Message: "password " + pwDecoded + " and " + pw}
	err := redactErr(cause, s)
	if strings.Contains(err.Error(), pw) || strings.Contains(err.Error(), pwDecoded) {
		t.Errorf("message keeps the password: %v", err)
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "28P01" {
		t.Errorf("the cause is lost: %v", err)
	}
	if plain := errors.New("no secret here"); redactErr(plain, s) != plain {
		t.Error("an error without a secret is rewrapped")
	}
}

func TestBackoffIsBounded(t *testing.T) {
	d := &DB{o: Options{BaseDelay: 2 * time.Millisecond, MaxDelay: 250 * time.Millisecond}}
	for _, jitter := range []func(int64) int64{
		func(int64) int64 { return 0 },
		func(n int64) int64 { return n - 1 },
	} {
		d.o.Jitter = jitter
		for n := 1; n <= 100; n++ {
			ceil := min(d.o.MaxDelay, d.o.BaseDelay<<min(n-1, 20))
			if w := d.backoff(n); w < ceil/2 || w > ceil {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", n, w, ceil/2, ceil)
			}
		}
	}
}
