package wallet_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/cairn-id/cairn/wallet"
	"github.com/cairn-id/cairn/wallet/boltstore"
	"github.com/cairn-id/cairn/wallet/storetest"
)

// BenchmarkUnlock is the server's cost of one PIN unlock (Argon2id, HKDF,
// unwrap of the data key) at DefaultKDF, beside other parameter sets for
// comparison in the same run (OWASP's 19 MiB/t=2 and 46 MiB/t=1 minimums,
// and t=2 at 64 MiB). ns/op is the latency of one login on an idle core.
func BenchmarkUnlock(b *testing.B) {
	for _, p := range []wallet.KDFParams{
		wallet.DefaultKDF,
		{Time: 2, MemoryKiB: 64 << 10, Threads: 1},
		{Time: 1, MemoryKiB: 46 << 10, Threads: 1},
		{Time: 2, MemoryKiB: 19 << 10, Threads: 1},
	} {
		b.Run(fmt.Sprintf("t=%d,m=%dMiB,p=%d", p.Time, p.MemoryKiB>>10, p.Threads), func(b *testing.B) {
			st, err := boltstore.Open(filepath.Join(b.TempDir(), "wallet.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			svc := storetest.NewService(b, st, storetest.NewClock(storetest.T0), storetest.Pepper(7),
				func(c *wallet.Config) { c.KDF = p })
			c, err := svc.CreateHolder(context.Background(), wallet.CreateRequest{PIN: "1234", DeviceSecret: storetest.Device(1)})
			if err != nil {
				b.Fatal(err)
			}
			var h *wallet.Holder
			st.View(context.Background(), func(tx wallet.Tx) (err error) { h, err = tx.Holder(c.HolderID); return err })
			b.ReportAllocs()
			for b.Loop() {
				if _, err := wallet.UnwrapWithPIN(h, "1234", storetest.Device(1), storetest.Pepper(7)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
