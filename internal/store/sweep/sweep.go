// Package sweep deletes expired values from a service's store in small
// transactions (issue 13: several instances sweeping one PostgreSQL
// store while others serve). A sweeper finds its candidates on a
// read-only snapshot, which takes no write locks and never conflicts,
// then hands their keys to Delete, which deletes them by key in batches
// of at most Batch per read-write transaction, each key's condition read
// again inside that transaction. A value changed since the scan (a
// session answered, an offer redeemed and kept) is left alone, a value
// another sweeper deleted first is not counted twice, and a conflict
// reruns one small batch, not a scan of whole tables. It knows nothing of
// what the stores keep and implements no protocol specification.
package sweep

import (
	"context"
	"slices"
)

// Batch bounds the keys one transaction of Delete handles.
const Batch = 64

// Delete runs del on every key, at most Batch keys per update, and
// returns how many del reported deleted. update is a store's Update (a
// serializable transaction, rerun on conflicts, that commits when its
// function returns nil); del reads the key's value again in tx, deletes
// it when it still qualifies and reports whether it did. It stops at the
// first error, returning the count of the batches committed before it.
func Delete[Tx any](ctx context.Context, keys []string, update func(context.Context, func(Tx) error) error, del func(tx Tx, key string) (bool, error)) (int, error) {
	total := 0
	for batch := range slices.Chunk(keys, Batch) {
		n := 0
		err := update(ctx, func(tx Tx) error {
			n = 0 // update may rerun the function
			for _, k := range batch {
				gone, err := del(tx, k)
				if err != nil {
					return err
				}
				if gone {
					n++
				}
			}
			return nil
		})
		if err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}
