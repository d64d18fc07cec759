package batch_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cairn-id/cairn/issuer/batch"
	"github.com/cairn-id/cairn/schemas"
)

func Example() {
	cat, err := schemas.Load()
	if err != nil {
		fmt.Println(err)
		return
	}
	csv := "reference,given_name,family_name,birthdate,nationalities,sex\n" +
		"Q-001,Amina,Yusuf,1990-04-02,ER;SO,2\n" +
		"Q-002,Олена,Коваленко,31/01/1985,UA,2\n" // not a date: refused, value not shown
	rows, err := batch.ReadCSV(strings.NewReader(csv), cat, batch.ReadOptions{DefaultVCT: "urn:cairn:vct:identity-attestation:1", TxCode: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	// In the CLI the creator is the issuer service; here, a stand-in.
	creator := batch.OfferCreatorFunc(func(ctx context.Context, r batch.Request) (*batch.Result, error) {
		return &batch.Result{
			ID:        "offer-" + r.Reference,
			URI:       "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fissuer.example%2Foffers%2F" + r.Reference,
			TxCode:    "493027",
			ExpiresAt: time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC),
		}, nil
	})
	dir, _ := os.MkdirTemp("", "drive")
	defer os.RemoveAll(dir)
	sum, err := batch.Run(context.Background(), rows, creator, batch.Options{OutDir: filepath.Join(dir, "out"), Catalogue: cat})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(sum.Offered, "offered:", sum.Offers[0].File)
	for _, r := range sum.RefusedRows {
		fmt.Printf("line %d (%s): %s\n", r.Line, r.Reference, r.Reason)
	}
	// Output:
	// 1 offered: Q-001-2.png
	// line 3 (Q-002): claims: /birthdate must be a date YYYY-MM-DD
}
