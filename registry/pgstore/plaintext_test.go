package pgstore_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/store/pg"
	"github.com/cairn-id/cairn/internal/store/pg/pgtest"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/registry"
	"github.com/cairn-id/cairn/registry/pgstore"
)

// TestTablesHoldOnlyPublicData: the registry's tables hold public data
// by design (what a snapshot publishes, or will once published); the rule
// is that nothing else enters them, above all not the authority's private
// key. After init, an admission and a publish, no column holds the
// private key (its JWK d in base64url, base64 or hex, or the private JWK
// file), the state document has no fields beyond revision, the
// authority's public configuration and the registry, and the working
// registry it holds is the one the stored snapshot publishes. The control
// finds the authority's DID and the entity's name.
func TestTablesHoldOnlyPublicData(t *testing.T) {
	ctx := context.Background()
	st, err := pgstore.Open(ctx, pgtest.URL(t), pg.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	authority, err := keys.Generate(jose.ES256, nil)
	if err != nil {
		t.Fatal(err)
	}
	ngo, _ := keys.Generate(jose.ES256, nil)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	svc := &registry.Service{Store: st, Now: func() time.Time { return now }}
	if _, err := svc.Init(ctx, "", "Pilot Board", authority.Signer()); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddEntity(ctx, registry.NewEntity{DID: ngo.DIDJWK(), Role: trust.RoleIssuer, Names: map[string]string{"en": "Qwertzville Relief"}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.Publish(ctx, authority.Signer(), 30*24*time.Hour); err != nil {
		t.Fatal(err)
	}

	jwk, err := keys.MarshalPrivateJWK(authority)
	if err != nil {
		t.Fatal(err)
	}
	var priv struct{ D string }
	if err := json.Unmarshal(jwk, &priv); err != nil || priv.D == "" {
		t.Fatalf("private JWK: %v", err)
	}
	d, _ := jose.B64.DecodeString(priv.D)
	dump := pgtest.Dump(t, st.DB().Schema())
	for _, f := range []string{priv.D, base64.StdEncoding.EncodeToString(d), hex.EncodeToString(d), strings.TrimSpace(string(jwk))} {
		if bytes.Contains(dump, []byte(f)) {
			t.Errorf("the registry's tables hold the authority's private key (as %.16q…)", f)
		}
	}
	if bytes.Contains(dump, d) {
		t.Error("the registry's tables hold the authority's private key (raw bytes)")
	}
	for _, pub := range []string{authority.DIDJWK(), "Qwertzville Relief"} {
		if !bytes.Contains(dump, []byte(pub)) {
			t.Errorf("the search does not find %q, public and stored: the test is broken", pub)
		}
	}

	// The state document: nothing beside what is published.
	conn, err := pgx.Connect(ctx, pgtest.Base(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var raw []byte
	if err := conn.QueryRow(ctx, "SELECT data FROM "+pgx.Identifier{st.DB().Schema(), "state"}.Sanitize()).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var auth map[string]json.RawMessage
	json.Unmarshal(doc["authority"], &auth)
	if got := slices.Sorted(maps.Keys(doc)); !slices.Equal(got, []string{"authority", "registry", "revision"}) {
		t.Errorf("state document fields %v, want authority, registry, revision", got)
	}
	if got := slices.Sorted(maps.Keys(auth)); !slices.Equal(got, []string{"did", "kid", "public_jwk"}) {
		t.Errorf("authority fields %v, want did, kid, public_jwk", got)
	}
	var pubJWK map[string]any
	json.Unmarshal(auth["public_jwk"], &pubJWK)
	if _, has := pubJWK["d"]; has {
		t.Error("the stored public JWK has a private part")
	}
	_, compact, err := st.Latest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	published, err := trust.VerifySnapshot(compact, []*jose.JWK{authority.PublicJWK()}, now)
	if err != nil {
		t.Fatal(err)
	}
	var working trust.Registry
	if err := json.Unmarshal(doc["registry"], &working); err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(working)
	b, _ := json.Marshal(published)
	if !bytes.Equal(a, b) {
		t.Errorf("the stored working registry differs from the published one:\n%s\n%s", a, b)
	}
}
