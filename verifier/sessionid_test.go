package verifier_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/verifier"
	"github.com/cairn-id/cairn/verifier/boltstore"
)

// dashFirst yields 16 bytes whose base64url starts with "-" (0xF8: the
// first six bits are 62), then random bytes.
type dashFirst struct{ left int }

func (d *dashFirst) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) && d.left > 0 {
		p[n] = 0xF8
		n++
		d.left--
	}
	m, err := io.ReadFull(rand.Reader, p[n:])
	return n + m, err
}

// TestSessionIDNeverStartsWithDash: a session id is a command-line
// argument ('cairn verifier result ID'); one starting with "-" would read
// as a flag, so it is drawn again.
func TestSessionIDNeverStartsWithDash(t *testing.T) {
	k, _ := keys.Generate(jose.ES256, rand.Reader)
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "v.db"))
	if err != nil {
		t.Fatal(err)
	}
	sealer, _ := verifier.NewSealer(bytes.Repeat([]byte{3}, verifier.ResultKeyLen), nil)
	ps, err := verifier.DefaultPurposes()
	if err != nil {
		t.Fatal(err)
	}
	svc, err := verifier.New(verifier.Config{Store: st, Signer: k.JoseSigner().WithKeyID(k.DIDJWK() + "#0"), DID: k.DIDJWK(),
		BaseURL: "https://desk.example", Purposes: ps, Sealer: sealer, Rand: &dashFirst{left: 16}})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	req, err := svc.CreateSession(context.Background(), "clinic-access", verifier.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(req.SessionID, "-") || len(req.SessionID) != 22 {
		t.Fatalf("session id %q", req.SessionID)
	}
}
