package issuerdir_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/issuer"
	"github.com/cairn-id/cairn/issuer/boltstore"
	"github.com/cairn-id/cairn/issuer/issuerdir"
)

// TestOpenRefusesReadableSecrets: hash.key and issuer.db readable by
// group or others are refused at load, naming the chmod (issue 9).
func TestOpenRefusesReadableSecrets(t *testing.T) {
	for _, name := range []string{issuer.DirHashKeyFile, issuer.DirStoreFile, issuer.DirKeyFile} {
		for _, mode := range []os.FileMode{0o640, 0o604} {
			t.Run(name+"/"+mode.String(), func(t *testing.T) {
				dir := filepath.Join(t.TempDir(), "desk")
				if _, err := issuerdir.Init(dir, request()); err != nil {
					t.Fatal(err)
				}
				svc, err := issuerdir.Open(dir) // creates issuer.db
				if err != nil {
					t.Fatal(err)
				}
				svc.Close()
				path := filepath.Join(dir, name)
				if err := os.Chmod(path, mode); err != nil {
					t.Fatal(err)
				}
				_, err = issuerdir.Open(dir)
				if !errors.Is(err, keys.ErrInsecurePermissions) || !strings.Contains(err.Error(), "chmod 600 "+path) {
					t.Fatalf("Open with %s at %v: %v, want ErrInsecurePermissions naming 'chmod 600 %s'", name, mode, err, path)
				}
			})
		}
	}
}

// TestOfferClaimsEncryptedAtRest: the bbolt file of a directory holding a
// pending offer contains none of its claim values, nor its reference
// (issue 9); the offer is still redeemable after a reopen.
func TestOfferClaimsEncryptedAtRest(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "desk")
	if _, err := issuerdir.Init(dir, request()); err != nil {
		t.Fatal(err)
	}
	svc, err := issuerdir.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	claims := map[string]any{
		"family_name": "Zzyzxquorran", "given_name": "Ophelindra", "birthdate": "1987-11-23",
		"registration_id": "REG-7741-QXJ", "registration_date": "2025-03-02",
		"registration_place": map[string]any{"country": "LB", "locality": "Qwertzville"},
	}
	o, err := svc.CreateOffer(ctx, issuer.OfferRequest{VCT: vct, Claims: claims, Reference: "CASE-55-OMEGA"})
	if err != nil {
		t.Fatal(err)
	}
	svc.Close()
	db, err := os.ReadFile(filepath.Join(dir, issuer.DirStoreFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"Zzyzxquorran", "Ophelindra", "1987-11-23", "REG-7741-QXJ", "Qwertzville", "CASE-55-OMEGA"} {
		if bytes.Contains(db, []byte(v)) {
			t.Errorf("issuer.db holds %q in clear", v)
		}
	}
	svc, err = issuerdir.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	if _, err := svc.GetOffer(ctx, o.ID); err != nil {
		t.Fatalf("offer after reopen: %v", err)
	}
}

// TestSecondOpenNamesTheServe: while one process (a running serve, with
// its admin socket) holds issuer.db, opening the directory again says the
// store is locked by that serve and gives its pid, instead of the old
// hint that serve was running without its socket (issue 9).
func TestSecondOpenNamesTheServe(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "desk")
	if _, err := issuerdir.Init(dir, request()); err != nil {
		t.Fatal(err)
	}
	svc, err := issuerdir.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	_, err = issuerdir.Open(dir)
	if !errors.Is(err, issuer.ErrStoreLocked) || strings.Contains(err.Error(), "without its admin socket") {
		t.Fatalf("second open without a socket: %v", err)
	}
	ln, err := issuer.ListenAdmin(dir)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.NotFoundHandler()}
	go srv.Serve(ln)
	defer srv.Close()
	_, err = issuerdir.Open(dir)
	want := fmt.Sprintf("pid %d", os.Getpid())
	if !errors.Is(err, issuer.ErrStoreLocked) || !strings.Contains(err.Error(), "cairn issuer serve") || (runtime.GOOS == "linux" && !strings.Contains(err.Error(), want)) {
		t.Fatalf("second open while serve answers: %v, want ErrStoreLocked naming the serve and %s", err, want)
	}
}

// TestOldClearOffersSealedAtOpen: an offer stored in clear by an earlier
// version (no handle, no sealed content) is sealed when the directory is
// opened, gets a handle, and keeps its claims and reference.
func TestOldClearOffersSealedAtOpen(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "desk")
	if _, err := issuerdir.Init(dir, request()); err != nil {
		t.Fatal(err)
	}
	st, err := boltstore.Open(filepath.Join(dir, issuer.DirStoreFile))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	old := &issuer.StoredOffer{ID: "old-offer-id", ConfigurationID: "humanitarian-registration.v1", VCT: vct,
		Claims: map[string]any{"given_name": "Amina"}, Reference: "OLD-1", CodeHash: "h", State: issuer.OfferPending,
		CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := st.Update(ctx, func(tx issuer.Tx) error { return tx.PutOffer(old) }); err != nil {
		t.Fatal(err)
	}
	st.Close()

	svc, err := issuerdir.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	list, err := svc.Offers(ctx, true)
	if err != nil || len(list) != 1 || list[0].Handle == "" || list[0].Reference != "OLD-1" {
		t.Fatalf("old offer listed as %+v %v", list, err)
	}
	o, err := svc.GetOffer(ctx, old.ID)
	if err != nil {
		t.Fatal(err)
	}
	claims, ref, err := svc.OfferContent(o)
	if err != nil || claims["given_name"] != "Amina" || ref != "OLD-1" || o.Sealed == "" || o.Claims != nil || o.Reference != "" {
		t.Fatalf("old offer after open: %+v claims %v ref %q err %v", o, claims, ref, err)
	}
	svc.Close()
}
