package boltstore_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-id/cairn/internal/testkit"
	"github.com/cairn-id/cairn/wallet"
	"github.com/cairn-id/cairn/wallet/storetest"
)

// holderWith creates a holder with n credentials of about 2.5 KB (a
// typical SD-JWT VC with a handful of disclosures), each of its own
// issuance (group), and returns a session.
func holderWith(b *testing.B, n int) (*wallet.Service, *wallet.Session, wallet.Store) {
	st := openStore(b, filepath.Join(b.TempDir(), "wallet.db"))
	b.Cleanup(func() { st.Close() })
	svc := storetest.NewService(b, st, storetest.NewClock(storetest.T0), storetest.Pepper(7))
	c, err := svc.CreateHolder(ctx, wallet.CreateRequest{PIN: "1234", DeviceSecret: storetest.Device(1)})
	if err != nil {
		b.Fatal(err)
	}
	sess, err := svc.Login(ctx, wallet.LoginRequest{HolderID: c.HolderID, PIN: "1234", DeviceSecret: storetest.Device(1)})
	if err != nil {
		b.Fatal(err)
	}
	body := strings.Repeat("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo", 70) // 2.45 KB
	var cs []wallet.Credential
	for i := range n {
		cr := storetest.SampleCredential(i%5, fmt.Sprintf("issuance-%05d", i), fmt.Sprint(i))
		cr.Compact += body
		cs = append(cs, cr)
		if i%5 == 4 || i == n-1 { // five per transaction
			if _, err := svc.PutCredentials(ctx, sess, cs); err != nil {
				b.Fatal(err)
			}
			cs = nil
		}
	}
	return svc, sess, st
}

// BenchmarkListCredentials lists 1,000 credentials of one holder,
// decryption and decoding included (goal: < 20 ms per list), against
// the baseline of reading the same sealed records without opening them.
func BenchmarkListCredentials(b *testing.B) {
	svc, sess, st := holderWith(b, 1000)
	b.Run("ListCredentials-1000", func(b *testing.B) {
		b.ReportAllocs()
		defer testkit.CPUPerOp(b)()
		for b.Loop() {
			list, err := svc.ListCredentials(ctx, sess)
			if err != nil || len(list) != 1000 {
				b.Fatal(len(list), err)
			}
		}
	})
	b.Run("baseline-sealed-scan-1000", func(b *testing.B) {
		b.ReportAllocs()
		defer testkit.CPUPerOp(b)()
		for b.Loop() {
			n := 0
			st.View(ctx, func(tx wallet.Tx) error {
				return tx.ForEachRecord(sess.HolderID, wallet.KindCredential, func(string, []byte) error { n++; return nil })
			})
			if n != 1000 {
				b.Fatal(n)
			}
		}
	})
}

// BenchmarkWipe wipes a holder with 1,000 credentials (goal: well under a
// second), including the fsync of its one transaction.
func BenchmarkWipe(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		svc, sess, _ := holderWith(b, 1000)
		b.StartTimer()
		if err := svc.Wipe(ctx, sess); err != nil {
			b.Fatal(err)
		}
	}
}
