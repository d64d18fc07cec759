package verifier_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/oid4vp"
	"github.com/cairn-id/cairn/verifier"
	"github.com/cairn-id/cairn/verifier/boltstore"
)

// TestSpecDCQLExamples: every dc+sd-jwt DCQL example of OpenID4VP 1.0
// (internal/oid4vp/testdata/dcql) is accepted as a purpose's query, sent
// in a signed request object, and read back unchanged by a wallet.
func TestSpecDCQLExamples(t *testing.T) {
	files, _ := filepath.Glob("../internal/oid4vp/testdata/dcql/*.json")
	more, _ := filepath.Glob("../internal/oid4vp/testdata/dcql/1.0-final/*.json")
	files = append(files, more...)
	if len(files) < 10 {
		t.Fatalf("found %d examples", len(files))
	}
	k, err := keys.Generate(jose.ES256, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "v.db"))
	if err != nil {
		t.Fatal(err)
	}
	sealer, _ := verifier.NewSealer(bytes.Repeat([]byte{3}, verifier.ResultKeyLen), nil)
	ps := verifier.Purposes{}
	ctx := context.Background()
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte("mso_mdoc")) || strings.Contains(f, "claims_path_pointer") {
			continue // mdoc queries are parsed but never requested; the pointer example is not a query
		}
		id := strings.TrimSuffix(filepath.Base(f), ".json") + map[bool]string{true: "-final", false: ""}[strings.Contains(f, "1.0-final")]
		id = strings.ReplaceAll(id, "_", "-")
		pj, _ := json.Marshal(map[string]any{"id": id, "names": map[string]string{"en": id}, "assurance_policy": "basic-services", "retention": "1h", "dcql_query": json.RawMessage(b)})
		p, err := verifier.ParsePurpose(pj)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		ps[p.ID] = p
		n++
	}
	if n < 5 {
		t.Fatalf("only %d dc+sd-jwt examples", n)
	}
	svc, err := verifier.New(verifier.Config{Store: st, Signer: k.JoseSigner().WithKeyID(k.DIDJWK() + "#0"), DID: k.DIDJWK(), BaseURL: "https://desk.example", Purposes: ps, Sealer: sealer})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	for id, p := range ps {
		req, err := svc.CreateSession(ctx, id, verifier.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		jws, err := svc.RequestObject(ctx, req.SessionID, "")
		if err != nil {
			t.Fatal(err)
		}
		ar, err := oid4vp.VerifyRequestObject(ctx, jws, oid4vp.VerifyOptions{ClientID: svc.ClientID(), Resolver: &did.Resolver{}})
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		got, _ := ar.DCQLQuery.Marshal()
		want, _ := p.Query().Marshal()
		if !bytes.Equal(got, want) {
			t.Errorf("%s: the wallet reads\n%s\nwant\n%s", id, got, want)
		}
	}
}
