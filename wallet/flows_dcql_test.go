package wallet_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/oid4vp"
	"github.com/cairn-id/cairn/internal/sdjwtvc"
	"github.com/cairn-id/cairn/wallet"
)

// storeCopies issues (with a test key, outside any flow) one credential of
// vct with claims, one copy per holder key, and stores the copies as one
// group.
func storeCopies(t testing.TB, wd *world, vct string, claims map[string]any) {
	t.Helper()
	ctx := context.Background()
	ik, err := keys.Generate(jose.ES256, nil)
	if err != nil {
		t.Fatal(err)
	}
	hks, err := wd.w.HolderKeys(ctx, wd.sess)
	if err != nil {
		t.Fatal(err)
	}
	var disc []string
	for k := range claims {
		disc = append(disc, "/"+k)
	}
	var cs []wallet.Credential
	for _, hk := range hks {
		c, err := sdjwtvc.Issue(sdjwtvc.Credential{VCT: vct, Issuer: ik.DIDJWK(), IssuedAt: time.Now(), HolderJWK: hk.JWK, Claims: claims, Disclosable: disc},
			sdjwtvc.IssueOptions{Signer: ik.JoseSigner()})
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, wallet.Credential{KeyIndex: hk.Index, VCT: vct, IssuerDID: ik.DIDJWK(), Compact: c})
	}
	if _, err := wd.w.PutCredentials(ctx, wd.sess, cs); err != nil {
		t.Fatal(err)
	}
}

// TestDCQLExamples: the dc+sd-jwt examples of OpenID4VP 1.0
// (../shared/testdata/dcql) evaluated by PreviewRequest against stored
// credentials, as §6.4 says.
func TestDCQLExamples(t *testing.T) {
	const dir = "../../shared/testdata/dcql"
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("no %s: %v", dir, err)
	}
	const (
		identity  = "https://credentials.example.com/identity_credential"
		reduced   = "https://credentials.example.com/reduced_identity_credential"
		residence = "https://cred.example/residence_credential"
	)
	person := map[string]any{"family_name": "Doe", "given_name": "John", "address": map[string]any{"street_address": "1 Main St"},
		"postal_code": "90210", "date_of_birth": "1990-01-01"}
	for _, tc := range []struct {
		file   string
		stored map[string]map[string]any // vct -> claims
		can    bool
		want   map[string][]string // query id -> pointers
	}{
		{"simple.json", map[string]map[string]any{identity: person}, true,
			map[string][]string{"my_credential": {"/family_name", "/given_name", "/address/street_address"}}},
		{"value_matching_simple.json", map[string]map[string]any{identity: person}, true,
			map[string][]string{"my_credential": {"/family_name", "/given_name", "/address/street_address", "/postal_code"}}},
		{"value_matching_simple.json", map[string]map[string]any{identity: {"family_name": "Roe", "given_name": "J", "address": map[string]any{"street_address": "x"}, "postal_code": "90210"}}, false, nil},
		// No locality or region: the second claim set (a, b, e).
		{"claims_alternatives.json", map[string]map[string]any{identity: person}, true,
			map[string][]string{"pid": {"/family_name", "/postal_code", "/date_of_birth"}}},
		// Neither pid nor other_pid: the third option, two credentials;
		// nice_to_have is optional and absent.
		{"credentials_alternatives.json", map[string]map[string]any{reduced: {"family_name": "Doe", "given_name": "John"},
			residence: {"postal_code": "90210", "locality": "Springfield", "region": "CA"}}, true,
			map[string][]string{"pid_reduced_cred_1": {"/family_name", "/given_name"}, "pid_reduced_cred_2": {"/postal_code", "/locality", "/region"}}},
		// The mdoc query cannot be answered by an SD-JWT wallet.
		{"multi_credentials.json", map[string]map[string]any{identity: person}, false, nil},
	} {
		t.Run(tc.file, func(t *testing.T) {
			wd := newWorld(t, true)
			for vct, claims := range tc.stored {
				storeCopies(t, wd, vct, claims)
			}
			q, err := os.ReadFile(filepath.Join(dir, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			v := newVerifier(t, wd, "test", []string{"/family_name"})
			p, err := wd.w.PreviewRequest(context.Background(), wd.sess, v.requestQuery(t, oid4vp.ResponseModeDirectPost, q), "en")
			if err != nil {
				t.Fatal(err)
			}
			if p.CanAnswer != tc.can {
				t.Fatalf("can answer %v, want %v (missing %v)", p.CanAnswer, tc.can, p.Missing)
			}
			if !tc.can {
				if len(p.Missing) == 0 {
					t.Error("no reason given")
				}
				return
			}
			got := map[string][]string{}
			for _, qa := range p.Queries {
				for _, c := range qa.Claims {
					got[qa.QueryID] = append(got[qa.QueryID], c.Path)
				}
			}
			for id, ptrs := range tc.want {
				if !slices.Equal(got[id], ptrs) {
					t.Errorf("%s: %v, want %v", id, got[id], ptrs)
				}
			}
			if len(got) != len(tc.want) {
				t.Errorf("answered %v", got)
			}
		})
	}
}

// BenchmarkPreviewRequest1000: a presentation request against a wallet
// of 1,000 stored credentials (200 credentials × 5 copies): fetching and
// verifying the request object, the key for the verifier, listing and
// decrypting every copy, parsing the 200 copies of the verifier's key and
// evaluating the DCQL query, and sealing the preview. The baseline in
// the same run is ListCredentials alone.
func BenchmarkPreviewRequest1000(b *testing.B) {
	wd := newWorld(b, true)
	ctx := context.Background()
	for i := range 200 {
		vct := regVCT
		if i%2 == 1 {
			vct = "https://credentials.example.com/identity_credential"
		}
		storeCopies(b, wd, vct, map[string]any{"family_name": "Doe", "given_name": "John", "n": i})
	}
	v := newVerifier(b, wd, "intake", []string{"/family_name", "/given_name"})
	uri := v.request(b, oid4vp.ResponseModeDirectPost, "family_name", "given_name")
	b.Run("list", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if l, err := wd.w.ListCredentials(ctx, wd.sess); err != nil || len(l) != 1000 {
				b.Fatal(len(l), err)
			}
		}
	})
	b.Run("preview", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			p, err := wd.w.PreviewRequest(ctx, wd.sess, uri, "en")
			if err != nil || !p.CanAnswer {
				b.Fatal(err)
			}
		}
	})
}
