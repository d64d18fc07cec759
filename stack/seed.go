package stack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/cairn-id/cairn/internal/fsx"
	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/store/pg"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/issuer/issuerdir"
	"github.com/cairn-id/cairn/registry"
	"github.com/cairn-id/cairn/schemas"
)

// Grant is one issuer authorization of the demo registry: a type and the
// highest evidence scores the issuer may claim for it.
type Grant struct {
	Type                             string // catalogue short name
	Strength, Validity, Verification int
}

// IssuerSeed is one issuer of the demo ecosystem.
type IssuerSeed struct {
	// Name is the issuer's path segment: https://host/issuers/<Name>.
	Name   string
	Names  map[string]string
	Grants []Grant
	// JPT are the types (catalogue short names, each one of Grants) the
	// issuer also offers in the experimental jpt format (docs/unlinkable.md):
	// the seed creates its BBS key and lists it in the registry as a
	// further key of the issuer.
	JPT []string
}

// RegistryName is the demo registry authority's name.
const RegistryName = "Cairn demo pilot board"

// SnapshotTTL is how long a published snapshot of the demo registry
// lasts; the stack publishes again when less than half of it is left
// (RefreshEvery, and at once after the dev clock moves).
const SnapshotTTL = 30 * 24 * time.Hour

// DemoIssuers is the seeded ecosystem: a humanitarian registration
// office, a clinic, a language school and an employer, each authorized
// for its catalogue types with caps matching what such an office can
// check (a registration office sees documents; a clinic sees the person;
// a school and an employer keep records). The school and the employer
// may also vouch for a person (community-vouching: teachers and
// employers are among the catalogue's vouching relationships), which is
// how the school's or employer's attestation counts toward a desk's
// identity question (examples/accretion.sh). The school also offers its
// language-skills credential in the experimental jpt format (BBS
// signatures, unlinkable presentations), which the desk asks for with
// the purpose language-check.
var DemoIssuers = []IssuerSeed{
	{Name: "registration", Names: map[string]string{
		"en": "Northgate Registration Office", "fr": "Bureau d'enregistrement de Northgate",
		"ar": "مكتب التسجيل في نورثغيت", "uk": "Реєстраційне бюро Нортгейт"},
		Grants: []Grant{{"humanitarian-registration", 2, 2, 2}, {"identity-attestation", 3, 3, 3}}},
	{Name: "clinic", Names: map[string]string{
		"en": "Riverside Community Clinic", "fr": "Clinique communautaire de Riverside",
		"ar": "عيادة ريفرسايد المجتمعية", "uk": "Громадська клініка Ріверсайд"},
		Grants: []Grant{{"health-attestation", 1, 1, 1}}},
	{Name: "school", Names: map[string]string{
		"en": "Open Doors Language School", "fr": "École de langues Portes Ouvertes",
		"ar": "مدرسة الأبواب المفتوحة للغات", "uk": "Мовна школа «Відчинені двері»"},
		Grants: []Grant{{"language-skills", 1, 2, 1}, {"education-qualification", 2, 2, 1}, {"community-vouching", 1, 1, 1}},
		JPT:    []string{"language-skills"}},
	{Name: "employer", Names: map[string]string{
		"en": "Harbour Logistics", "fr": "Logistique du Port",
		"ar": "هاربور للخدمات اللوجستية", "uk": "Гарбор Логістика"},
		Grants: []Grant{{"employment", 1, 1, 1}, {"community-vouching", 1, 1, 1}}},
}

// Files and directories of a stack's data directory.
const (
	StateFile        = "stack.json"
	RegistryDir      = "registry"
	RegistryDB       = "registry.db"
	AuthorityKeyFile = "authority.jwk"     // 0600
	AuthorityPinFile = "authority.pub.jwk" // the key verifiers pin
	SnapshotFile     = "registry.jwt"      // the latest snapshot, for offline checks
	IssuersDir       = "issuers"
	ExamplesDir      = "examples"
	AdminSocketFile  = "admin.sock"
)

// state is stack.json.
type state struct {
	Format  int       `json:"format"`
	Created time.Time `json:"created"`
	// ClockOffset is the dev clock's offset (a Go duration).
	ClockOffset string   `json:"clock_offset,omitempty"`
	Issuers     []string `json:"issuers"`
	// Store is where the services keep their data: "" for the bbolt
	// files of the data directory, "postgres:PREFIX" (store.go).
	Store string `json:"store,omitempty"`
}

func readState(dir string) (*state, error) {
	b, err := os.ReadFile(filepath.Join(dir, StateFile))
	if err != nil {
		return nil, err
	}
	st := new(state)
	if err := json.Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("stack: %s: %w", StateFile, err)
	}
	if st.Format != 1 {
		return nil, fmt.Errorf("stack: %s: unknown format %d", StateFile, st.Format)
	}
	return st, nil
}

func writeState(dir string, st *state) error {
	b, _ := json.MarshalIndent(st, "", "  ")
	return fsx.WriteAtomic(filepath.Join(dir, StateFile), append(b, '\n'), 0o600)
}

// seed creates the demo ecosystem in dir (which holds nothing of a stack
// yet): the registry with its authority, the issuer directories, their
// registry entries and grants, the example claims, a first snapshot, and
// stack.json last (a seed that failed half-way is found by its missing
// stack.json and refused until --reset).
func seed(ctx context.Context, dir, baseURL, storeURL string, dev bool, now time.Time, cat *schemas.Catalogue, o pg.Options) error {
	regDir := filepath.Join(dir, RegistryDir)
	if err := os.MkdirAll(regDir, 0o700); err != nil {
		return err
	}
	authority, err := keys.Generate(jose.ES256, nil)
	if err != nil {
		return err
	}
	if err := keys.Save(filepath.Join(regDir, AuthorityKeyFile), authority); err != nil {
		return err
	}
	pin, _ := json.Marshal(authority.PublicJWK())
	if err := fsx.WriteAtomic(filepath.Join(regDir, AuthorityPinFile), append(pin, '\n'), 0o644); err != nil {
		return err
	}
	kind, err := storeKind(storeURL)
	if err != nil {
		return err
	}
	store, _, err := openRegistryStore(ctx, dir, storeURL, o)
	if err != nil {
		return err
	}
	defer store.Close()
	// Entities and grants start at the seed (whole seconds, as iat is);
	// the dev clock only moves forward from there.
	since := now.UTC().Truncate(time.Second)
	svc := &registry.Service{Store: store, Now: func() time.Time { return now }}
	if _, err := svc.Init(ctx, "", RegistryName, authority.Signer()); errors.Is(err, registry.ErrAlreadyInitialized) && storeURL != "" {
		return fmt.Errorf("the database already holds a registry under this cairn_schema_prefix, whose keys are in another data directory: give that --data, another prefix, or --reset --yes: %w", err)
	} else if err != nil {
		return err
	}
	st := &state{Format: 1, Created: now.UTC().Truncate(time.Second), Store: kind}
	for _, is := range DemoIssuers {
		var types []string
		for _, g := range is.Grants {
			t, err := cat.Resolve(g.Type)
			if err != nil {
				return fmt.Errorf("stack: seed %s: %w", is.Name, err)
			}
			types = append(types, t.VCT)
		}
		var jpt []string
		for _, name := range is.JPT {
			t, err := cat.Resolve(name)
			if err != nil {
				return fmt.Errorf("stack: seed %s: %w", is.Name, err)
			}
			jpt = append(jpt, t.VCT)
		}
		cfg, err := issuerdir.Init(filepath.Join(dir, IssuersDir, is.Name), issuerdir.InitRequest{
			URL: IssuerURL(baseURL, is.Name), PathAllowed: true, Dev: dev, Names: is.Names, Types: types, Catalogue: cat, JPT: jpt})
		if err != nil {
			return fmt.Errorf("stack: seed %s: %w", is.Name, err)
		}
		var bbsKeys []string
		if cfg.BBSKey != "" {
			bbsKeys = []string{cfg.BBSKey} // as 'cairn registry add-key' lists it
		}
		if _, err := svc.AddEntity(ctx, registry.NewEntity{DID: cfg.DID, Role: trust.RoleIssuer, Names: is.Names, ValidFrom: since, BBSKeys: bbsKeys}); err != nil {
			return fmt.Errorf("stack: seed %s: %w", is.Name, err)
		}
		for i, g := range is.Grants {
			if _, err := svc.GrantIssuer(ctx, cfg.DID, trust.IssuerAuthorization{VCT: types[i], From: since,
				MaxStrength: g.Strength, MaxValidity: g.Validity, MaxVerification: g.Verification}); err != nil {
				return fmt.Errorf("stack: seed %s %s: %w", is.Name, g.Type, err)
			}
		}
		st.Issuers = append(st.Issuers, is.Name)
	}
	if err := seedDesk(ctx, dir, baseURL, dev, svc, since); err != nil {
		return err
	}
	if err := writeExamples(filepath.Join(dir, ExamplesDir)); err != nil {
		return err
	}
	if _, compact, err := svc.Publish(ctx, authority.Signer(), SnapshotTTL); err != nil {
		return err
	} else if err := fsx.WriteAtomic(filepath.Join(regDir, SnapshotFile), []byte(compact+"\n"), 0o644); err != nil {
		return err
	}
	return writeState(dir, st)
}

// Example claims written at seed, one person (Amina Haddad) seen by three
// issuers: what the next steps and examples/accretion.sh offer.
var exampleClaims = map[string]map[string]any{
	"registration.json": {
		"registration_id": "NG-2026-004512", "registration_date": "2026-03-14",
		"registration_place": map[string]any{"country": "LB", "locality": "Zahlé"},
		"family_name":        "Haddad", "given_name": "Amina", "birthdate": "1991-04-12", "household_size": 3,
	},
	"health.json": {
		"family_name": "Haddad", "given_name": "Amina", "birthdate": "1991-04-12",
		"vaccinations":  []any{map[string]any{"disease_target": "measles", "up_to_date": true}, map[string]any{"disease_target": "tetanus", "up_to_date": true}},
		"fit_to_travel": true, "assessed_on": "2026-06-20",
	},
	"vouching.json": {
		"family_name": "Haddad", "given_name": "Amina", "birthdate": "1991-04-12",
		"voucher":      map[string]any{"name": "Harbour Logistics, warehouse supervisor", "role": "employer"},
		"relationship": "employer", "vouched_on": "2026-09-15",
	},
}

// ExampleTypes names the catalogue type of each example claims file.
var ExampleTypes = map[string]string{
	"registration.json": "humanitarian-registration",
	"health.json":       "health-attestation",
	"vouching.json":     "community-vouching",
}

func writeExamples(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for name, claims := range exampleClaims {
		b, _ := json.MarshalIndent(claims, "", "  ")
		if err := fsx.WriteAtomic(filepath.Join(dir, name), append(b, '\n'), 0o600); err != nil {
			return err
		}
	}
	return nil
}

// IssuerURL is the Credential Issuer Identifier of the stack's issuer
// name: base/issuers/name.
func IssuerURL(base, name string) string { return base + "/" + IssuersDir + "/" + name }

// errNotStack: the data directory holds files but no stack.json.
var errNotStack = errors.New("stack: the data directory is not empty and holds no stack (stack.json); choose another --data, or --reset a half-made one")
