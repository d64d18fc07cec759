package wallet_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cairn-id/cairn/wallet"
	"github.com/cairn-id/cairn/wallet/boltstore"
)

// The life of a holder, as receiving and presenting code uses the core.
func Example() {
	dir, _ := os.MkdirTemp("", "wallet-example")
	defer os.RemoveAll(dir)
	ctx := context.Background()

	pepper, _ := wallet.CreatePepper(filepath.Join(dir, "pepper"), nil) // outside the store, 0600
	st, _ := boltstore.Open(filepath.Join(dir, "wallet.db"))
	defer st.Close()
	svc, _ := wallet.New(wallet.Config{Store: st, Pepper: pepper,
		KDF: wallet.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}}) // test-sized; leave zero for DefaultKDF

	device := make([]byte, 32) // generated and kept by the holder's app
	rand.Read(device)
	created, _ := svc.CreateHolder(ctx, wallet.CreateRequest{PIN: "246810", DeviceSecret: device, Lang: "ar"})
	sess, _ := svc.Login(ctx, wallet.LoginRequest{HolderID: created.HolderID, PIN: "246810", DeviceSecret: device, ClientAddr: "192.0.2.10"})

	// Receiving: one copy per holder key, in one transaction.
	keys, _ := svc.HolderKeys(ctx, sess)
	var copies []wallet.Credential
	for _, k := range keys {
		copies = append(copies, wallet.Credential{KeyIndex: k.Index, VCT: "urn:cairn:vct:pid:1", Compact: "<SD-JWT VC bound to key " + fmt.Sprint(k.Index) + ">"})
	}
	svc.PutCredentials(ctx, sess, copies)
	svc.AppendLog(ctx, sess, wallet.LogEntry{Event: wallet.EventOfferAccepted, PartyName: "Example issuer"})

	// Presenting: the verifier's key, its signer, the log entry.
	a, _ := svc.KeyForVerifier(ctx, sess, "decentralized_identifier:did:web:verifier.example")
	signer, _ := svc.HolderKey(ctx, sess, a.Index)
	svc.AppendLog(ctx, sess, wallet.LogEntry{Event: wallet.EventPresentation, PartyID: "did:web:verifier.example", Claims: []string{"given_name"}})

	list, _ := svc.ListCredentials(ctx, sess)
	n, err := svc.VerifyLog(ctx, sess)
	fmt.Println(len(list), "credentials;", n, "log entries, chain ok:", err == nil)
	fmt.Println("signs with", signer.Alg(), "; unused keys left:", a.Unused)
	// Output:
	// 5 credentials; 2 log entries, chain ok: true
	// signs with ES256 ; unused keys left: 4
}

// A purpose as the consent log records it (ids), as the holder reads it.
func ExamplePurposeNames() {
	fmt.Println(wallet.PurposeNames("clinic-access, made-up-purpose", "fr"))
	// Output: Accès à la clinique, made-up-purpose
}
