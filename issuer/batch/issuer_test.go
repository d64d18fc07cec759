package batch

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/qr"
	"github.com/cairn-id/cairn/issuer"
	"github.com/cairn-id/cairn/issuer/boltstore"
)

// TestRunWithIssuer runs a small drive against the real issuer service
// over a temporary bbolt store.
func TestRunWithIssuer(t *testing.T) {
	cat := catalogue(t)
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "issuer.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	key, err := keys.Generate(jose.ES256, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	hk := make([]byte, 32)
	if _, err := io.ReadFull(rand.Reader, hk); err != nil {
		t.Fatal(err)
	}
	svc, err := issuer.New(issuer.Config{
		URL: "https://issuer.ngo.example", Names: map[string]string{"en": "Relief NGO"},
		Types: []string{vctIdentity}, Catalogue: cat, Key: key, HashKey: hk, Store: st,
		Now: func() time.Time { return fixedNow }, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	in := "reference,vct,tx_code,given_name,family_name,birthdate,nationalities,sex,registration_id,registration_date,registration_place.country\n" +
		"Q-1," + vctIdentity + ",yes,Amina,Yusuf,1990-04-02,ER;SO,2,,,\n" +
		"Q-2," + vctIdentity + ",no,Олена,Коваленко,1985-01-31,UA,2,,,\n" +
		"Q-3," + vctRegistration + ",no,Dawit,Tesfaye,1979-06-01,,,REG-9,2026-11-20,JO\n" + // a type this issuer does not offer
		"Q-4," + vctIdentity + ",no,أمينة,الحسن,1999-12-31,SY,1,,,\n"
	rows, err := ReadCSV(strings.NewReader(in), cat, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	sum, err := Run(context.Background(), rows, FromIssuer(svc), Options{OutDir: out, Catalogue: cat, Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Offered != 3 || sum.Refused != 1 || sum.RefusedRows[0].Line != 4 || !strings.HasPrefix(sum.RefusedRows[0].Reason, "offer refused: ") {
		t.Fatalf("summary %+v", sum)
	}
	if strings.Contains(sum.RefusedRows[0].Reason, "Dawit") {
		t.Errorf("reason reveals a claim: %s", sum.RefusedRows[0].Reason)
	}
	sheet, err := os.ReadFile(filepath.Join(out, SheetFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range sum.Offers {
		png, err := os.ReadFile(filepath.Join(out, o.File))
		if err != nil {
			t.Fatal(err)
		}
		uri, err := qr.Decode(png)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(uri, "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fissuer.ngo.example%2F") || o.OfferHandle == "" || strings.Contains(uri, o.OfferHandle) {
			t.Errorf("line %d: QR reads %q (offer handle %q: want one, and not the id in the QR)", o.Line, uri, o.OfferHandle)
		}
		if o.TxCodeRequired != (o.Reference == "Q-1") {
			t.Errorf("line %d: tx code required = %v", o.Line, o.TxCodeRequired)
		}
		if !o.ExpiresAt.After(fixedNow) {
			t.Errorf("line %d: expires %v", o.Line, o.ExpiresAt)
		}
	}
	if n := bytes.Count(sheet, []byte(`class="stub"`)); n != 1 {
		t.Errorf("%d tx code stubs, want 1", n)
	}
}
