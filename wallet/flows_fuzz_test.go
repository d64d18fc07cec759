package wallet_test

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/cairn-id/cairn/wallet"
	"github.com/cairn-id/cairn/wallet/boltstore"
)

// offline is a transport that reaches nothing: the fuzzed parsers run
// up to their first fetch.
type offline struct{}

var errOffline = errors.New("offline")

func (offline) RoundTrip(*http.Request) (*http.Response, error) { return nil, errOffline }

func fuzzWallet(f *testing.F) (*wallet.Service, *wallet.Session) {
	st, err := boltstore.Open(filepath.Join(f.TempDir(), "w.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	w, err := wallet.New(wallet.Config{Store: st, Pepper: make([]byte, 32), KDF: wallet.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1},
		Flows: wallet.FlowConfig{HTTPClient: &http.Client{Transport: offline{}}}})
	if err != nil {
		f.Fatal(err)
	}
	device := make([]byte, 32)
	ctx := context.Background()
	c, err := w.CreateHolder(ctx, wallet.CreateRequest{PIN: "2468", DeviceSecret: device})
	if err != nil {
		f.Fatal(err)
	}
	sess, err := w.Login(ctx, wallet.LoginRequest{HolderID: c.HolderID, PIN: "2468", DeviceSecret: device})
	if err != nil {
		f.Fatal(err)
	}
	return w, sess
}

// FuzzPreviewOffer: any scanned text is refused with ErrOffer (the
// offline transport stops every fetch) and never panics.
func FuzzPreviewOffer(f *testing.F) {
	for _, s := range []string{
		"openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fissuer.example%2Foffers%2F1",
		`openid-credential-offer://?credential_offer=%7B%22credential_issuer%22%3A%22https%3A%2F%2Fissuer.example%22%2C%22credential_configuration_ids%22%3A%5B%22a%22%5D%2C%22grants%22%3A%7B%22urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code%22%3A%7B%22pre-authorized_code%22%3A%22x%22%2C%22tx_code%22%3A%7B%22length%22%3A4%7D%7D%7D%7D`,
		"openid-credential-offer://?credential_offer=%7B%7D", "https://issuer.example", "", "openid-credential-offer://",
	} {
		f.Add(s)
	}
	w, sess := fuzzWallet(f)
	f.Fuzz(func(t *testing.T, s string) {
		p, err := w.PreviewOffer(context.Background(), sess, s, "en")
		if err == nil || p != nil {
			t.Fatalf("accepted %q offline: %+v", s, p)
		}
		if !errors.Is(err, wallet.ErrOffer) {
			t.Fatalf("%q: %v, want ErrOffer", s, err)
		}
	})
}

// FuzzPreviewRequest: any scanned text is refused with ErrRequest and
// never panics.
func FuzzPreviewRequest(f *testing.F) {
	for _, s := range []string{
		"openid4vp://?client_id=decentralized_identifier%3Adid%3Aweb%3Averifier.example&request_uri=https%3A%2F%2Fverifier.example%2Frequest%2F1",
		"openid4vp://?client_id=decentralized_identifier%3Adid%3Aweb%3Averifier.example&request_uri=https%3A%2F%2Fverifier.example%2Fr&request_uri_method=post",
		"openid4vp://?client_id=decentralized_identifier%3Adid%3Ajwk%3Ae30&request=eyJhbGciOiJFUzI1NiJ9.e30.c2ln",
		"openid4vp://?client_id=redirect_uri%3Ahttps%3A%2F%2Fv.example%2Fcb&response_type=vp_token&nonce=n",
		"", "openid4vp://", "https://example.com",
	} {
		f.Add(s)
	}
	w, sess := fuzzWallet(f)
	f.Fuzz(func(t *testing.T, s string) {
		p, err := w.PreviewRequest(context.Background(), sess, s, "en")
		if err == nil || p != nil {
			t.Fatalf("accepted %q offline: %+v", s, p)
		}
		if !errors.Is(err, wallet.ErrRequest) && !errors.Is(err, wallet.ErrVerifierUnknown) {
			t.Fatalf("%q: %v, want ErrRequest", s, err)
		}
	})
}
