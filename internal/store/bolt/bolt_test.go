package bolt_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/store/bolt"
)

var bucket = []byte("b")

func open(t *testing.T, o bolt.Options) (*bolt.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "t.db")
	if o.Buckets == nil {
		o.Buckets = [][]byte{bucket}
	}
	db, err := bolt.Open(path, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

func TestOpenModeBucketsAndLock(t *testing.T) {
	db, path := open(t, bolt.Options{LockTimeout: 50 * time.Millisecond})
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	if err := db.View(context.Background(), func(tx *bolt.Tx) error {
		_, err := bolt.BucketOf(tx, bucket)
		return err
	}); err != nil {
		t.Errorf("bucket not created: %v", err)
	}
	if err := db.View(context.Background(), func(tx *bolt.Tx) error {
		_, err := bolt.BucketOf(tx, []byte("other"))
		return err
	}); !errors.Is(err, bolt.ErrNoBucket) {
		t.Errorf("missing bucket: %v, want ErrNoBucket", err)
	}
	if _, err := bolt.Open(path, bolt.Options{LockTimeout: 50 * time.Millisecond}); err == nil {
		t.Error("second open of a locked file succeeded")
	}
}

func TestJSONHelpers(t *testing.T) {
	db, _ := open(t, bolt.Options{MaxValue: 64})
	ctx := context.Background()
	type v struct{ A string }
	for _, tc := range []struct {
		name string
		put  func(b *bolt.Bucket) error
		want error
	}{
		{"small value", func(b *bolt.Bucket) error { return bolt.PutJSON(b, []byte("k"), v{"x"}, db.MaxValue()) }, nil},
		{"too large", func(b *bolt.Bucket) error {
			return bolt.PutJSON(b, []byte("big"), v{fmt.Sprintf("%080d", 0)}, db.MaxValue())
		}, bolt.ErrTooLarge},
		{"corrupt", func(b *bolt.Bucket) error { return b.Put([]byte("bad"), []byte("{")) }, nil},
	} {
		err := db.Update(ctx, func(tx *bolt.Tx) error { return tc.put(tx.Bucket(bucket)) })
		if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	for _, tc := range []struct {
		key  string
		want error
	}{{"k", nil}, {"big", bolt.ErrNotFound}, {"nope", bolt.ErrNotFound}, {"bad", bolt.ErrCorrupt}} {
		var got v
		err := db.View(ctx, func(tx *bolt.Tx) error { return bolt.GetJSON(tx.Bucket(bucket), []byte(tc.key), &got) })
		if !errors.Is(err, tc.want) || (tc.want == nil && (err != nil || got.A != "x")) {
			t.Errorf("GetJSON %s: %+v %v, want %v", tc.key, got, err, tc.want)
		}
	}
	var raw []byte
	err := db.View(ctx, func(tx *bolt.Tx) (err error) { raw, err = bolt.GetBytes(tx.Bucket(bucket), []byte("k")); return err })
	if err != nil || string(raw) != `{"A":"x"}` {
		t.Errorf("GetBytes: %q %v", raw, err)
	}
}

func TestUpdateRollsBack(t *testing.T) {
	db, _ := open(t, bolt.Options{})
	boom := errors.New("boom")
	cancelled, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		fn   func(ctx context.Context) func(tx *bolt.Tx) error
		want error
	}{
		{"fn error", context.Background(), func(context.Context) func(*bolt.Tx) error {
			return func(tx *bolt.Tx) error { tx.Bucket(bucket).Put([]byte("k"), []byte("1")); return boom }
		}, boom},
		{"context done before", cancelled, func(context.Context) func(*bolt.Tx) error {
			return func(tx *bolt.Tx) error { return tx.Bucket(bucket).Put([]byte("k"), []byte("1")) }
		}, context.Canceled},
	} {
		if tc.ctx == cancelled {
			cancel()
		}
		for _, run := range []func(context.Context, func(*bolt.Tx) error) error{db.Update, db.Batch} {
			if err := run(tc.ctx, tc.fn(tc.ctx)); !errors.Is(err, tc.want) {
				t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
			}
			db.View(context.Background(), func(tx *bolt.Tx) error {
				if v := tx.Bucket(bucket).Get([]byte("k")); v != nil {
					t.Errorf("%s: value %q committed", tc.name, v)
				}
				return nil
			})
		}
	}
	// A context cancelled while fn runs rolls back too.
	ctx, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	err := db.Update(ctx, func(tx *bolt.Tx) error { cancel2(); return tx.Bucket(bucket).Put([]byte("k"), []byte("1")) })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancel during fn: %v", err)
	}
}

func TestBatchCommitsEveryWriter(t *testing.T) {
	db, _ := open(t, bolt.Options{})
	const n = 32
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			err := db.Batch(context.Background(), func(tx *bolt.Tx) error {
				if i%8 == 0 {
					return fmt.Errorf("writer %d refuses", i)
				}
				return tx.Bucket(bucket).Put([]byte(fmt.Sprint(i)), []byte("x"))
			})
			if (err != nil) != (i%8 == 0) {
				t.Errorf("writer %d: %v", i, err)
			}
		}(i)
	}
	wg.Wait()
	db.View(context.Background(), func(tx *bolt.Tx) error {
		if got := tx.Bucket(bucket).Stats().KeyN; got != n-n/8 {
			t.Errorf("%d keys, want %d", got, n-n/8)
		}
		return nil
	})
}

func TestBatchPanicReachesTheCaller(t *testing.T) {
	db, _ := open(t, bolt.Options{})
	defer func() {
		if r := recover(); r != "boom" {
			t.Errorf("recovered %v, want the callback's panic", r)
		}
		// The store still commits afterwards.
		if err := db.Batch(context.Background(), func(tx *bolt.Tx) error { return tx.Bucket(bucket).Put([]byte("k"), []byte("v")) }); err != nil {
			t.Errorf("Batch after a panic: %v", err)
		}
	}()
	db.Batch(context.Background(), func(tx *bolt.Tx) error { panic("boom") })
	t.Error("Batch returned after its callback panicked")
}
