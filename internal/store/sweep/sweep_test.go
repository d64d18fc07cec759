package sweep_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/cairn-id/cairn/internal/store/sweep"
)

// tx is a fake transaction: the keys it deleted.
type tx struct{ deleted []string }

func TestDelete(t *testing.T) {
	ctx := context.Background()
	keys := make([]string, 2*sweep.Batch+5)
	for i := range keys {
		keys[i] = fmt.Sprint("k", i)
	}
	boom := errors.New("boom")
	for _, tc := range []struct {
		name      string
		reruns    int    // extra runs of each transaction (a store retrying)
		failAt    string // del fails on this key
		keep      func(string) bool
		want      int
		wantTx    int
		wantErr   error
		committed int
	}{
		{name: "every key, in batches", want: len(keys), wantTx: 3, committed: len(keys)},
		{name: "a rerun transaction counts once", reruns: 2, want: len(keys), wantTx: 3, committed: len(keys)},
		{name: "keys that no longer qualify are not counted", keep: func(k string) bool { return len(k) == 2 }, want: len(keys) - 10, wantTx: 3, committed: len(keys) - 10},
		{name: "an error stops at its batch", failAt: fmt.Sprint("k", sweep.Batch+1), want: sweep.Batch, wantTx: 2, wantErr: boom, committed: sweep.Batch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var txs, committed int
			update := func(_ context.Context, fn func(*tx) error) error {
				txs++
				for range tc.reruns {
					_ = fn(&tx{}) // discarded attempt
				}
				x := &tx{}
				if err := fn(x); err != nil {
					return err
				}
				if len(x.deleted) > sweep.Batch {
					t.Errorf("%d keys in one transaction", len(x.deleted))
				}
				committed += len(x.deleted)
				return nil
			}
			n, err := sweep.Delete(ctx, keys, update, func(x *tx, k string) (bool, error) {
				if k == tc.failAt {
					return false, boom
				}
				if tc.keep != nil && tc.keep(k) {
					return false, nil
				}
				x.deleted = append(x.deleted, k)
				return true, nil
			})
			if n != tc.want || !errors.Is(err, tc.wantErr) || txs != tc.wantTx || committed != tc.committed {
				t.Errorf("Delete = %d, %v after %d transactions (%d committed); want %d, %v after %d (%d)", n, err, txs, committed, tc.want, tc.wantErr, tc.wantTx, tc.committed)
			}
		})
	}
}

func ExampleDelete() {
	store := map[string]int{"a": 1, "b": 5, "c": 2} // key → expiry
	now := 3
	update := func(_ context.Context, fn func(map[string]int) error) error { return fn(store) }
	n, err := sweep.Delete(context.Background(), []string{"a", "b", "c"}, update, func(tx map[string]int, k string) (bool, error) {
		if exp, ok := tx[k]; !ok || exp > now { // read again: gone or renewed since the scan
			return false, nil
		}
		delete(tx, k)
		return true, nil
	})
	fmt.Println(n, err, len(store))
	// Output: 2 <nil> 1
}
