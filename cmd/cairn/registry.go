package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/cairn-id/cairn/internal/fsx"
	"github.com/spf13/cobra"

	"github.com/cairn-id/cairn/internal/bounded"
	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/server"
	"github.com/cairn-id/cairn/internal/store/pg"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/registry"
	"github.com/cairn-id/cairn/registry/api"
	"github.com/cairn-id/cairn/registry/boltstore"
	registrypg "github.com/cairn-id/cairn/registry/pgstore"
	"github.com/cairn-id/cairn/schemas"
)

const defaultRegistryDB = "cairn-registry.db"

func newRegistryCmd(e *env) *cobra.Command {
	c := &cobra.Command{
		Use:   "registry",
		Short: "Run a trust registry: admit issuers and verifiers, publish signed snapshots, serve them",
		Long: `A trust registry says which organisations may issue which credential
types (with capped evidence scores) and which verifiers may ask for which
claims, for what purpose. The governance authority keeps it in a local
database (--db), publishes signed snapshots that verifiers pin and cache,
and can serve them over HTTP with TRQP v2-shaped queries.`,
		Example: `  cairn registry init --name "Pilot Board" --key authority.jwk
  cairn registry add --did did:jwk:… --role issuer --name en=Helping\ Hands,fr=Mains\ Secourables
  cairn registry authorize --did did:jwk:… --vct humanitarian-registration
  cairn registry amend --did did:jwk:… --id a1 --max-verification 1 --reason "no document check"
  cairn registry import-lote PIDProviders.jwt --list pid --seal-anchors eu-lote-seal.pem
  cairn registry publish --key authority.jwk --out registry.jwt
  cairn registry serve --addr 127.0.0.1:8090`,
	}
	c.PersistentFlags().String("db", defaultRegistryDB, "registry database file (bbolt)")
	addStoreFlags(c.PersistentFlags(), &storeFlags{})
	c.AddCommand(
		newRegistryInitCmd(e), newRegistryAddCmd(e), newRegistryAddKeyCmd(e), newRegistryAuthorizeCmd(e), newRegistryAmendCmd(e), newRegistryDeauthorizeCmd(e),
		newRegistryStatusCmd(e, "suspend"), newRegistryStatusCmd(e, "reinstate"), newRegistryStatusCmd(e, "revoke"),
		newRegistryShowCmd(e), newRegistryPublishCmd(e), newRegistryServeCmd(e), newRegistryBundleCmd(e),
		newRegistryFetchCmd(e), newRegistryForgetCmd(e), newRegistryImportLoteCmd(e), newRegistryImportTLCmd(e),
	)
	return c
}

func registryNow(e *env) func() time.Time {
	if e.now != nil {
		return e.now
	}
	return time.Now
}

// registryStoreURL is the PostgreSQL store of --store, --store-file or
// CAIRN_STORE ("" for the bbolt file --db).
func registryStoreURL(cmd *cobra.Command, e *env) (string, error) {
	u, err := storeFlagsOf(cmd).resolve(e)
	if err == nil && u != "" && cmd.Flags().Changed("db") {
		err = usageError(errStoreAndDB)
	}
	return u, err
}

// openRegistryDB opens the database; unless create is set the file must
// already exist, so a typo in --db never creates an empty registry. With
// a PostgreSQL store it opens (and migrates) that instead: an operator
// works on the registry from any machine with the store's URL.
func openRegistryDB(cmd *cobra.Command, e *env, create bool) (registry.Store, error) {
	u, err := registryStoreURL(cmd, e)
	if err != nil {
		return nil, err
	}
	if u != "" {
		s, err := registrypg.Open(cmd.Context(), u, pg.Options{MaxConns: 2})
		if err != nil {
			return nil, withExit(ExitFailure, err)
		}
		return s, nil
	}
	path, _ := cmd.Flags().GetString("db")
	if path == "" {
		return nil, usageError(errors.New("--db must name a file"))
	}
	if !create {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return nil, usageError(fmt.Errorf("no registry database at %s; create one with 'cairn registry init'", path))
		}
	}
	s, err := openBoltWaiting(cmd.Context(), path)
	if err != nil {
		return nil, withExit(ExitFailure, err)
	}
	return s, nil
}

// openBoltWaiting opens the registry's file, waiting as long as a File
// call would for another process holding it: 'registry serve' holds it
// for milliseconds when it reloads, and a publication must not give up
// after bbolt's one second.
func openBoltWaiting(_ context.Context, path string) (*boltstore.Store, error) {
	return boltstore.OpenWithin(path, boltstore.DefaultFileWait)
}

// registryErr maps service errors to exit codes: the operator's mistakes
// are usage errors, everything else a failure.
func registryErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, registry.ErrInvalidInput), errors.Is(err, registry.ErrUnknownEntity),
		errors.Is(err, registry.ErrEntityExists), errors.Is(err, registry.ErrStatusTransition),
		errors.Is(err, registry.ErrAlreadyInitialized), errors.Is(err, registry.ErrWrongKey):
		return usageError(err)
	case errors.Is(err, registry.ErrNotInitialized):
		return usageError(fmt.Errorf("%w; run 'cairn registry init' first", err))
	case errors.Is(err, registry.ErrAuthorizationExists):
		return usageError(fmt.Errorf("%w (change it with 'cairn registry amend --did DID --id ID …', end it with 'cairn registry deauthorize --did DID --id ID')", err))
	case errors.Is(err, registry.ErrUnknownAuthorization):
		return usageError(fmt.Errorf("%w (the ids are listed by 'cairn registry show')", err))
	}
	return withExit(ExitFailure, err)
}

func registryService(e *env, s registry.Store) *registry.Service {
	return &registry.Service{Store: s, Now: registryNow(e)}
}

// parseRegistryTime accepts RFC 3339 or a plain date (midnight UTC).
func parseRegistryTime(flag, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	return time.Time{}, usageError(fmt.Errorf("--%s %q: use a date (2026-05-01) or RFC 3339 time", flag, v))
}

// ---- init ----

type registryInitOptions struct {
	name, id, keyPath, pinOut string
}

func newRegistryInitCmd(e *env) *cobra.Command {
	o := &registryInitOptions{}
	c := &cobra.Command{
		Use:   "init --name NAME --key FILE",
		Short: "Create a registry and its authority key",
		Long: `Create a registry database. The authority key is read from --key, or
generated (ES256) and written there with mode 0600 if the file does not
exist; an existing file is never overwritten. The authority DID (did:jwk) is
printed on stdout, and the public JWK verifiers must pin is written to
--pin-out (default: the key file name with .pub.jwk).`,
		Example: `  cairn registry init --name "Pilot Board" --key authority.jwk
  cairn registry --db board.db init --name "Pilot Board" --key authority.jwk --pin-out board.pin.jwk`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd, e) },
	}
	c.Flags().StringVar(&o.name, "name", "", "registry display name")
	c.Flags().StringVar(&o.id, "id", "", "registry identifier (default: urn:cairn:registry:<key thumbprint>)")
	c.Flags().StringVar(&o.keyPath, "key", "", "authority private key file (generated if missing)")
	c.Flags().StringVar(&o.pinOut, "pin-out", "", "where to write the public JWK verifiers pin")
	_ = c.MarkFlagRequired("name")
	_ = c.MarkFlagRequired("key")
	return c
}

func (o *registryInitOptions) run(cmd *cobra.Command, e *env) error {
	if strings.TrimSpace(o.name) == "" {
		return usageError(errors.New("--name must not be empty"))
	}
	if o.pinOut == "" {
		o.pinOut = strings.TrimSuffix(o.keyPath, ".jwk") + ".pub.jwk"
	}
	if o.pinOut == o.keyPath {
		return usageError(errors.New("--pin-out must differ from --key"))
	}
	storeURL, err := registryStoreURL(cmd, e)
	if err != nil {
		return err
	}
	dbPath, _ := cmd.Flags().GetString("db")
	if _, err := os.Stat(dbPath); err == nil && storeURL == "" {
		return usageError(fmt.Errorf("%s already exists; a registry is initialized once", dbPath))
	}
	k, generated, err := loadOrGenerateKey(o.keyPath)
	if err != nil {
		return err
	}
	s, err := openRegistryDB(cmd, e, true)
	if err != nil {
		return err
	}
	defer s.Close()
	st, err := registryService(e, s).Init(cmd.Context(), o.id, o.name, k.Signer())
	if err != nil {
		return registryErr(err)
	}
	pin := *st.Authority.PublicJWK
	pin.Kid = st.Authority.KeyID
	pinJSON, err := json.MarshalIndent(&pin, "", "  ")
	if err != nil {
		return withExit(ExitFailure, err)
	}
	if err := writeNewFile(o.pinOut, append(pinJSON, '\n'), 0o644); err != nil {
		return err
	}
	if generated {
		fmt.Fprintf(e.stderr, "generated authority key %s (mode 0600; keep it offline and backed up)\n", o.keyPath)
	}
	fmt.Fprintf(e.stderr, "registry %q (%s) created in %s\npublic key for verifiers to pin: %s\n", o.name, st.Registry.ID, dbPath, o.pinOut)
	fmt.Fprintln(e.stdout, st.Authority.DID)
	return nil
}

func loadOrGenerateKey(path string) (*keys.PrivateKey, bool, error) {
	if path == "" {
		return nil, false, usageError(errors.New("--key must name a file"))
	}
	if _, err := os.Stat(path); err == nil {
		k, err := keys.Load(path)
		if err != nil {
			if errors.Is(err, keys.ErrInsecurePermissions) {
				return nil, false, withExit(ExitFailure, err)
			}
			return nil, false, usageError(err)
		}
		return k, false, nil
	}
	k, err := keys.Generate(keys.DefaultAlg, nil)
	if err != nil {
		return nil, false, withExit(ExitFailure, err)
	}
	if err := keys.Save(path, k); err != nil {
		return nil, false, withExit(ExitFailure, err)
	}
	return k, true, nil
}

// writeNewFile writes a file that must not exist yet, unless it already
// holds exactly data.
func writeNewFile(path string, data []byte, perm os.FileMode) error {
	if old, err := os.ReadFile(path); err == nil {
		if string(old) == string(data) {
			return nil
		}
		return usageError(fmt.Errorf("%s exists with other content; refusing to overwrite", path))
	}
	return withExit(ExitFailure, fsx.WriteNew(path, data, perm))
}

// loadRegistryKey loads the authority key for publishing.
func loadRegistryKey(path string) (*keys.PrivateKey, error) {
	if path == "" {
		return nil, usageError(errors.New("--key must name the authority key file"))
	}
	k, err := keys.Load(path)
	if err != nil {
		if errors.Is(err, keys.ErrInsecurePermissions) {
			return nil, withExit(ExitFailure, err)
		}
		return nil, usageError(err)
	}
	return k, nil
}

// ---- add ----

type registryAddOptions struct {
	did, role, names, validFrom, validUntil string
	bbsKeys                                 []string
}

func newRegistryAddCmd(e *env) *cobra.Command {
	o := &registryAddOptions{}
	c := &cobra.Command{
		Use:   "add --did DID --role issuer|verifier --name LANG=NAME[,LANG=NAME]",
		Short: "Admit an issuer or verifier (active from now)",
		Example: `  cairn registry add --did did:jwk:eyJ… --role issuer --name "en=Helping Hands,fr=Mains Secourables,ar=أيادي المساعدة"
  cairn registry add --did did:web:desk.example --role verifier --name "en=Shelter intake desk" --valid-until 2027-01-01
  cairn registry add --did did:jwk:eyJ… --role issuer --name "en=Helping Hands" --bbs-key did:jwk:eyJjcnYiOiJCTFMxMjM4MUcyIi…`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd, e) },
	}
	c.Flags().StringArrayVar(&o.bbsKeys, "bbs-key", nil, "an issuer's BBS key for jpt credentials (its did:jwk, from 'cairn issuer jpt' or 'cairn keys generate --alg BBS'); repeatable")
	c.Flags().StringVar(&o.did, "did", "", "the entity's DID")
	c.Flags().StringVar(&o.role, "role", "", "issuer or verifier")
	c.Flags().StringVar(&o.names, "name", "", "display names, comma-separated LANG=NAME pairs")
	c.Flags().StringVar(&o.validFrom, "valid-from", "", "start of validity (default now)")
	c.Flags().StringVar(&o.validUntil, "valid-until", "", "end of validity (default open-ended)")
	for _, f := range []string{"did", "role", "name"} {
		_ = c.MarkFlagRequired(f)
	}
	return c
}

func parseNames(s string) (map[string]string, error) {
	names := map[string]string{}
	for _, pair := range strings.Split(s, ",") {
		lang, name, ok := strings.Cut(pair, "=")
		lang, name = strings.TrimSpace(lang), strings.TrimSpace(name)
		if !ok || lang == "" || name == "" {
			return nil, usageError(fmt.Errorf("--name %q: use LANG=NAME pairs separated by commas", pair))
		}
		names[strings.ToLower(lang)] = name
	}
	return names, nil
}

func (o *registryAddOptions) run(cmd *cobra.Command, e *env) error {
	names, err := parseNames(o.names)
	if err != nil {
		return err
	}
	from, err := parseRegistryTime("valid-from", o.validFrom)
	if err != nil {
		return err
	}
	until, err := parseRegistryTime("valid-until", o.validUntil)
	if err != nil {
		return err
	}
	s, err := openRegistryDB(cmd, e, false)
	if err != nil {
		return err
	}
	defer s.Close()
	ent, err := registryService(e, s).AddEntity(cmd.Context(), registry.NewEntity{DID: o.did, Role: trust.Role(o.role), Names: names, ValidFrom: from, ValidUntil: until, BBSKeys: o.bbsKeys})
	if err != nil {
		return registryErr(err)
	}
	fmt.Fprintf(e.stderr, "added %s %q; publish to make it visible\n", ent.Role, ent.Name("en"))
	return nil
}

// ---- add-key ----

func newRegistryAddKeyCmd(e *env) *cobra.Command {
	var entity, key, from string
	c := &cobra.Command{
		Use:   "add-key --did ISSUER-DID --bbs-key DID [--from T]",
		Short: "List an issuer's BBS key (jpt credentials) as a further key of the issuer",
		Long: `Add a BBS issuer key (the did:jwk of a BLS12381G2 public JWK, as 'cairn
issuer jpt' and 'cairn keys generate --alg BBS' print it) to a registered
issuer. It is not a new entity: the issuer's status and authorizations
apply to its jpt credentials as to its SD-JWT VCs, and the key also names
the issuer in 'authorize', 'amend' and 'deauthorize'. A key another entity
holds is refused. Publish to make it visible.`,
		Example: `  cairn registry add-key --did did:jwk:eyJ… --bbs-key did:jwk:eyJjcnYiOiJCTFMxMjM4MUcyIi…`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			at, err := parseRegistryTime("from", from)
			if err != nil {
				return err
			}
			s, err := openRegistryDB(cmd, e, false)
			if err != nil {
				return err
			}
			defer s.Close()
			k, err := registryService(e, s).AddKey(cmd.Context(), entity, key, at)
			if err != nil {
				return registryErr(err)
			}
			fmt.Fprintf(e.stderr, "BBS key added to %s from %s; publish to make it visible\n", entity, k.From.Format(time.RFC3339))
			return nil
		},
	}
	c.Flags().StringVar(&entity, "did", "", "the issuer's DID")
	c.Flags().StringVar(&key, "bbs-key", "", "the BBS key's did:jwk")
	c.Flags().StringVar(&from, "from", "", "since when the issuer holds the key (default now)")
	_ = c.MarkFlagRequired("did")
	_ = c.MarkFlagRequired("bbs-key")
	return c
}

// ---- authorize ----

type registryAuthorizeOptions struct {
	did, vct, jurisdiction, purpose, claims, from, until string
	maxStrength, maxValidity, maxVerification            int
	allowUnknown                                         bool
}

func newRegistryAuthorizeCmd(e *env) *cobra.Command {
	o := &registryAuthorizeOptions{}
	c := &cobra.Command{
		Use:   "authorize --did DID (--vct TYPE [--max-strength N --max-validity N --max-verification N] | --purpose P --claims A,B)",
		Short: "Authorize an issuer for a credential type, or a verifier for a purpose",
		Long: `Issuers get a credential type with caps on the GPG 45-style evidence
scores they may claim (strength and validity 1–4, verification 0–4 where 0
means none), and optionally a jurisdiction. The type is a catalogue type,
by its short name (humanitarian-registration) or full vct; caps not given
default to the type's default evidence, so the issuer can issue what the
type normally claims. A type outside the catalogue is refused unless
--allow-unknown-type (then --max-strength and --max-validity are needed).

Verifiers get a purpose and the claims they may request for it: claim names
or JSON pointers ("/address" covers "/address/locality").

Each authorization gets an id (a1, a2, … per entity, shown by 'show').
Authorizing the same type and jurisdiction (or purpose) again while the
first one holds is refused: change it with 'amend', end it with
'deauthorize'.`,
		Example: `  cairn registry authorize --did did:jwk:eyJ… --vct humanitarian-registration --jurisdiction GR
  cairn registry authorize --did did:jwk:eyJ… --vct urn:cairn:vct:identity-attestation:1 --max-strength 2 --max-validity 2 --max-verification 0
  cairn registry authorize --did did:jwk:eyJ… --vct https://other.example/vct/permit --allow-unknown-type --max-strength 1 --max-validity 1
  cairn registry authorize --did did:web:desk.example --purpose shelter-intake --claims given_name,family_name,/address/locality`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd, e) },
	}
	f := c.Flags()
	f.StringVar(&o.did, "did", "", "the entity's DID")
	f.StringVar(&o.vct, "vct", "", "credential type an issuer may issue: short name or vct (see 'cairn schemas list')")
	f.IntVar(&o.maxStrength, "max-strength", 0, "cap on evidence strength (1–4; default: the type's default evidence)")
	f.IntVar(&o.maxValidity, "max-validity", 0, "cap on evidence validity (1–4; default: the type's default evidence)")
	f.IntVar(&o.maxVerification, "max-verification", 0, "cap on verification score (0–4, 0: may not claim; default: the type's default evidence)")
	f.BoolVar(&o.allowUnknown, "allow-unknown-type", false, "accept a --vct that is not in the catalogue (caps must then be given)")
	f.StringVar(&o.jurisdiction, "jurisdiction", "", "where the authorization holds (e.g. an ISO 3166 code)")
	f.StringVar(&o.purpose, "purpose", "", "purpose a verifier may request claims for")
	f.StringVar(&o.claims, "claims", "", "claims the purpose covers, comma-separated")
	f.StringVar(&o.from, "from", "", "start (default now)")
	f.StringVar(&o.until, "until", "", "end (default open-ended)")
	_ = c.MarkFlagRequired("did")
	return c
}

// issuerCaps resolves --vct against the catalogue and fills the caps not
// given from the type's default evidence. It warns (on w) about a type
// outside the catalogue and about caps below the default evidence.
func (o *registryAuthorizeOptions) issuerCaps(cmd *cobra.Command, w io.Writer) (string, error) {
	changed := cmd.Flags().Changed
	cat, err := schemas.Load()
	if err != nil {
		return "", withExit(ExitFailure, err)
	}
	t, err := cat.Resolve(o.vct)
	if err != nil {
		if !o.allowUnknown {
			return "", usageError(fmt.Errorf("--vct %q is not in the catalogue (see 'cairn schemas list'); check the spelling, or give --allow-unknown-type for a type from another catalogue", o.vct))
		}
		if !changed("max-strength") || !changed("max-validity") {
			return "", usageError(fmt.Errorf("--vct %q is not in the catalogue, so it has no default evidence: give --max-strength and --max-validity", o.vct))
		}
		fmt.Fprintf(w, "warning: --vct %q is not in the catalogue; authorized as given (--allow-unknown-type)\n", o.vct)
		return o.vct, nil
	}
	def := t.DefaultEvidence
	for _, c := range []struct {
		flag string
		v    *int
		def  int
	}{{"max-strength", &o.maxStrength, def.Strength}, {"max-validity", &o.maxValidity, def.Validity}, {"max-verification", &o.maxVerification, def.Verification}} {
		if !changed(c.flag) {
			*c.v = c.def
		}
	}
	if o.maxStrength < def.Strength || o.maxValidity < def.Validity || o.maxVerification < def.Verification {
		fmt.Fprintf(w, "warning: these caps (strength %d, validity %d, verification %d) are below the default evidence of %s (strength %d, validity %d, verification %d): its offers must claim less, or they are refused\n",
			o.maxStrength, o.maxValidity, o.maxVerification, t.Name, def.Strength, def.Validity, def.Verification)
	}
	return t.VCT, nil
}

func (o *registryAuthorizeOptions) run(cmd *cobra.Command, e *env) error {
	from, err := parseRegistryTime("from", o.from)
	if err != nil {
		return err
	}
	until, err := parseRegistryTime("until", o.until)
	if err != nil {
		return err
	}
	if (o.vct == "") == (o.purpose == "") {
		return usageError(errors.New("give either --vct (issuer) or --purpose (verifier)"))
	}
	if o.purpose != "" && (o.maxStrength != 0 || o.maxValidity != 0 || o.maxVerification != 0 || o.jurisdiction != "" || o.allowUnknown) {
		return usageError(errors.New("--max-*, --jurisdiction and --allow-unknown-type apply to issuers (--vct), not to --purpose"))
	}
	if o.vct != "" && o.claims != "" {
		return usageError(errors.New("--claims applies to verifiers (--purpose), not to --vct"))
	}
	vct := ""
	if o.vct != "" {
		if vct, err = o.issuerCaps(cmd, e.stderr); err != nil {
			return err
		}
	}
	s, err := openRegistryDB(cmd, e, false)
	if err != nil {
		return err
	}
	defer s.Close()
	svc := registryService(e, s)
	var id string
	if vct != "" {
		var a trust.IssuerAuthorization
		a, err = svc.GrantIssuer(cmd.Context(), o.did, trust.IssuerAuthorization{
			VCT: vct, MaxStrength: o.maxStrength, MaxValidity: o.maxValidity, MaxVerification: o.maxVerification,
			Jurisdiction: o.jurisdiction, From: from, Until: until,
		})
		id = a.ID
	} else {
		var a trust.VerifierAuthorization
		a, err = svc.GrantVerifier(cmd.Context(), o.did, trust.VerifierAuthorization{Purpose: o.purpose, Claims: splitClaims(o.claims), From: from, Until: until})
		id = a.ID
	}
	if err != nil {
		return registryErr(err)
	}
	if vct != "" {
		fmt.Fprintf(e.stderr, "authorization %s recorded: may issue %s (strength ≤%d, validity ≤%d, verification ≤%d); publish to make it visible\n",
			id, vct, o.maxStrength, o.maxValidity, o.maxVerification)
	} else {
		fmt.Fprintf(e.stderr, "authorization %s recorded; publish to make it visible\n", id)
	}
	return nil
}

func splitClaims(s string) []string {
	var claims []string
	for _, c := range strings.Split(s, ",") {
		if c = strings.TrimSpace(c); c != "" {
			claims = append(claims, c)
		}
	}
	return claims
}

// ---- amend / deauthorize ----

type registryAmendOptions struct {
	did, id, jurisdiction, claims, until, at, reason string
	maxStrength, maxValidity, maxVerification        int
}

func newRegistryAmendCmd(e *env) *cobra.Command {
	o := &registryAmendOptions{}
	c := &cobra.Command{
		Use:   "amend --did DID --id ID [--max-strength N] [--max-validity N] [--max-verification N] [--jurisdiction J] [--claims A,B] [--until T] [--at T] [--reason TEXT]",
		Short: "Change an authorization from a time on (the old terms stay on record for the past)",
		Long: `Change authorization ID (see 'show') of an entity: the old entry ends at
--at (default now) and a new entry with the changes, which names the old one
("replaces a1"), starts at --at. Credentials issued before --at are still
judged by the old terms. Only the flags given change: caps and
--jurisdiction for issuers, --claims for verifiers, --until for both
(--until open makes it open-ended). The type or purpose itself is not
amended: deauthorize and authorize again.`,
		Example: `  cairn registry show
  cairn registry amend --did did:jwk:eyJ… --id a1 --max-verification 2 --reason "verification cap forgotten"
  cairn registry amend --did did:web:desk.example --id a2 --claims given_name,family_name,birthdate --at 2026-06-01`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd, e) },
	}
	f := c.Flags()
	f.StringVar(&o.did, "did", "", "the entity's DID")
	f.StringVar(&o.id, "id", "", "the authorization's id (a1, a2, …; see 'cairn registry show')")
	f.IntVar(&o.maxStrength, "max-strength", 0, "new cap on evidence strength (1–4)")
	f.IntVar(&o.maxValidity, "max-validity", 0, "new cap on evidence validity (1–4)")
	f.IntVar(&o.maxVerification, "max-verification", 0, "new cap on verification score (0–4)")
	f.StringVar(&o.jurisdiction, "jurisdiction", "", "new jurisdiction")
	f.StringVar(&o.claims, "claims", "", "new claims of a verifier's purpose, comma-separated")
	f.StringVar(&o.until, "until", "", "new end (a date, an RFC 3339 time, or open)")
	f.StringVar(&o.at, "at", "", "when the change takes effect (default now)")
	f.StringVar(&o.reason, "reason", "", "why (kept with the ended entry, published)")
	_ = c.MarkFlagRequired("did")
	_ = c.MarkFlagRequired("id")
	return c
}

func (o *registryAmendOptions) run(cmd *cobra.Command, e *env) error {
	changed := cmd.Flags().Changed
	ch := registry.Amendment{Reason: o.reason}
	var err error
	if ch.At, err = parseRegistryTime("at", o.at); err != nil {
		return err
	}
	for _, c := range []struct {
		flag string
		v    int
		dst  **int
	}{{"max-strength", o.maxStrength, &ch.MaxStrength}, {"max-validity", o.maxValidity, &ch.MaxValidity}, {"max-verification", o.maxVerification, &ch.MaxVerification}} {
		if changed(c.flag) {
			*c.dst = &c.v
		}
	}
	if changed("jurisdiction") {
		ch.Jurisdiction = &o.jurisdiction
	}
	if changed("claims") {
		if ch.Claims = splitClaims(o.claims); ch.Claims == nil {
			return usageError(errors.New("--claims must name at least one claim"))
		}
	}
	if changed("until") {
		var u time.Time
		if o.until != "open" {
			if u, err = parseRegistryTime("until", o.until); err != nil {
				return err
			}
		}
		ch.Until = &u
	}
	if ch.MaxStrength == nil && ch.MaxValidity == nil && ch.MaxVerification == nil && ch.Jurisdiction == nil && ch.Claims == nil && ch.Until == nil {
		return usageError(errors.New("nothing to amend: give --max-*, --jurisdiction, --claims or --until"))
	}
	s, err := openRegistryDB(cmd, e, false)
	if err != nil {
		return err
	}
	defer s.Close()
	newID, err := registryService(e, s).AmendAuthorization(cmd.Context(), o.did, o.id, ch)
	if err != nil {
		return registryErr(err)
	}
	fmt.Fprintf(e.stderr, "authorization %s replaces %s from %s; publish to make it visible\n", newID, o.id, fmtAt(ch.At, registryNow(e)))
	return nil
}

func fmtAt(at time.Time, now func() time.Time) string {
	if at.IsZero() {
		return "now (" + now().UTC().Truncate(time.Second).Format(time.RFC3339) + ")"
	}
	return at.UTC().Format(time.RFC3339)
}

type registryDeauthorizeOptions struct {
	did, id, at, reason string
}

func newRegistryDeauthorizeCmd(e *env) *cobra.Command {
	o := &registryDeauthorizeOptions{}
	c := &cobra.Command{
		Use:   "deauthorize --did DID --id ID [--at T] [--reason TEXT]",
		Short: "End an authorization (kept on record: what was issued before stays covered)",
		Long: `End authorization ID (see 'show') of an entity at --at (default now; a past
time is allowed, for an authority that learns late). Credentials issued
before --at stay covered by it; from --at on they are not. The entry stays
in the registry with its end and reason. An authorization that has not
started by --at covered no time and is withdrawn (removed).`,
		Example: `  cairn registry deauthorize --did did:jwk:eyJ… --id a2 --reason "programme closed"
  cairn registry deauthorize --did did:web:desk.example --id a1 --at 2026-06-01T00:00:00Z`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			at, err := parseRegistryTime("at", o.at)
			if err != nil {
				return err
			}
			s, err := openRegistryDB(cmd, e, false)
			if err != nil {
				return err
			}
			defer s.Close()
			withdrawn, err := registryService(e, s).EndAuthorization(cmd.Context(), o.did, o.id, at, o.reason)
			if err != nil {
				return registryErr(err)
			}
			if withdrawn {
				fmt.Fprintf(e.stderr, "authorization %s had not started; withdrawn. publish to make it visible\n", o.id)
			} else {
				fmt.Fprintf(e.stderr, "authorization %s ends at %s; publish to make it visible\n", o.id, fmtAt(at, registryNow(e)))
			}
			return nil
		},
	}
	c.Flags().StringVar(&o.did, "did", "", "the entity's DID")
	c.Flags().StringVar(&o.id, "id", "", "the authorization's id (a1, a2, …; see 'cairn registry show')")
	c.Flags().StringVar(&o.at, "at", "", "when the end takes effect (default now)")
	c.Flags().StringVar(&o.reason, "reason", "", "why (kept in the registry, published)")
	_ = c.MarkFlagRequired("did")
	_ = c.MarkFlagRequired("id")
	return c
}

// ---- suspend / reinstate / revoke ----

type registryStatusOptions struct {
	did, reason string
	compromised bool
}

func newRegistryStatusCmd(e *env, verb string) *cobra.Command {
	o := &registryStatusOptions{}
	short := map[string]string{
		"suspend":   "Suspend an entity from now (what it issued before stays valid)",
		"reinstate": "Make a suspended entity active again",
		"revoke":    "Revoke an entity for good (--compromised: distrust everything its key signed)",
	}[verb]
	example := fmt.Sprintf(`  cairn registry %s --did did:jwk:eyJ… --reason "audit pending"`, verb)
	if verb == "revoke" {
		example += "\n  cairn registry revoke --did did:jwk:eyJ… --reason \"key stolen\" --compromised"
	}
	c := &cobra.Command{
		Use:     verb + " --did DID [--reason TEXT]",
		Short:   short,
		Example: example,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := openRegistryDB(cmd, e, false)
			if err != nil {
				return err
			}
			defer s.Close()
			svc := registryService(e, s)
			switch verb {
			case "suspend":
				err = svc.Suspend(cmd.Context(), o.did, o.reason)
			case "reinstate":
				err = svc.Reinstate(cmd.Context(), o.did, o.reason)
			default:
				err = svc.Revoke(cmd.Context(), o.did, o.reason, o.compromised)
			}
			if err != nil {
				return registryErr(err)
			}
			fmt.Fprintf(e.stderr, "%s: done; publish to make it visible\n", verb)
			return nil
		},
	}
	c.Flags().StringVar(&o.did, "did", "", "the entity's DID")
	c.Flags().StringVar(&o.reason, "reason", "", "why (kept in the status history, published)")
	if verb == "revoke" {
		c.Flags().BoolVar(&o.compromised, "compromised", false, "the entity's key is compromised: distrust everything it ever signed")
	}
	_ = c.MarkFlagRequired("did")
	return c
}

// ---- show ----

type registryShowOptions struct {
	asJSON bool
	lang   string
}

func newRegistryShowCmd(e *env) *cobra.Command {
	o := &registryShowOptions{}
	c := &cobra.Command{
		Use:   "show [--json]",
		Short: "Print the working registry (including unpublished changes)",
		Example: `  cairn registry show
  cairn registry show --lang fr
  cairn registry show --json | jq '.registry.entities[].did'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := openRegistryDB(cmd, e, false)
			if err != nil {
				return err
			}
			defer s.Close()
			st, err := registryService(e, s).Show(cmd.Context())
			if err != nil {
				return registryErr(err)
			}
			if o.asJSON {
				return writeJSON(e.stdout, st)
			}
			return printRegistry(e.stdout, st, o.lang)
		},
	}
	c.Flags().BoolVar(&o.asJSON, "json", false, "print the state as JSON")
	c.Flags().StringVar(&o.lang, "lang", "en", "language for display names")
	return c
}

func fmtWindow(from, until time.Time) string {
	u := "open"
	if !until.IsZero() {
		u = until.Format(time.RFC3339)
	}
	return from.Format(time.RFC3339) + " – " + u
}

func authID(id string) string {
	if id == "" {
		return ""
	}
	return id + ": "
}

// authHistory says what an authorization replaced and when it was ended.
func authHistory(replaces string, ended *trust.AuthorizationEnd, until time.Time) string {
	var b strings.Builder
	if replaces != "" {
		b.WriteString(", replaces " + replaces)
	}
	if ended != nil {
		fmt.Fprintf(&b, ", ended %s (recorded %s)", until.Format(time.RFC3339), ended.At.Format(time.RFC3339))
		if ended.Reason != "" {
			b.WriteString(" – " + ended.Reason)
		}
	}
	return b.String()
}

func printRegistry(w io.Writer, st *registry.State, lang string) error {
	r := &st.Registry
	fmt.Fprintf(w, "registry:  %s (%s)\nauthority: %s\npublished: version %d\nentities:  %d\n", r.Name, r.ID, r.Authority, r.Version, len(r.Entities))
	ents := append([]trust.Entity(nil), r.Entities...)
	sort.Slice(ents, func(i, j int) bool {
		return ents[i].Role < ents[j].Role || ents[i].Role == ents[j].Role && ents[i].DID < ents[j].DID
	})
	for _, e := range ents {
		fmt.Fprintf(w, "\n%s %q [%s]\n  did:   %s\n  valid: %s\n", e.Role, e.Name(lang), e.Status, e.DID, fmtWindow(e.ValidFrom, e.ValidUntil))
		for _, c := range e.StatusHistory {
			extra := ""
			if c.Compromised {
				extra = " (key compromised)"
			}
			if c.Reason != "" {
				extra += " – " + c.Reason
			}
			fmt.Fprintf(w, "  %s  %s%s\n", c.At.Format(time.RFC3339), c.Status, extra)
		}
		for _, k := range e.Keys {
			fmt.Fprintf(w, "  BBS key: %s %s\n", k.DID, fmtWindow(k.From, k.Until))
		}
		for _, a := range e.IssuerAuthorizations {
			fmt.Fprintf(w, "  %smay issue %s (strength ≤%d, validity ≤%d, verification ≤%d", authID(a.ID), a.VCT, a.MaxStrength, a.MaxValidity, a.MaxVerification)
			if a.Jurisdiction != "" {
				fmt.Fprintf(w, ", %s", a.Jurisdiction)
			}
			fmt.Fprintf(w, ") %s%s\n", fmtWindow(a.From, a.Until), authHistory(a.Replaces, a.Ended, a.Until))
		}
		for _, a := range e.VerifierAuthorizations {
			fmt.Fprintf(w, "  %smay request for %q: %s %s%s\n", authID(a.ID), a.Purpose, strings.Join(a.Claims, ", "), fmtWindow(a.From, a.Until), authHistory(a.Replaces, a.Ended, a.Until))
		}
	}
	return nil
}

// ---- publish ----

type registryPublishOptions struct {
	keyPath, out string
	ttl          time.Duration
}

func newRegistryPublishCmd(e *env) *cobra.Command {
	o := &registryPublishOptions{}
	c := &cobra.Command{
		Use:   "publish --key FILE [--ttl 720h] [--out FILE]",
		Short: "Sign the registry as its next version and store it (and write it to --out)",
		Long: `Sign the working registry with the authority key as the next version,
valid for --ttl, and store it: 'serve' hands it out and 'bundle' packs it.
With --out the snapshot (a compact JWS, typ cairn-registry+jwt) is also
written to FILE, or to stdout with --out -.`,
		Example: `  cairn registry import-lote PIDProviders.jwt --list pid --seal-anchors eu-lote-seal.pem
  cairn registry publish --key authority.jwk --out registry.jwt
  cairn registry publish --key authority.jwk --ttl 168h --out -`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd, e) },
	}
	c.Flags().StringVar(&o.keyPath, "key", "", "authority private key file")
	c.Flags().DurationVar(&o.ttl, "ttl", 720*time.Hour, "how long the snapshot stays valid")
	c.Flags().StringVar(&o.out, "out", "", "also write the snapshot here (- for stdout)")
	_ = c.MarkFlagRequired("key")
	return c
}

func (o *registryPublishOptions) run(cmd *cobra.Command, e *env) error {
	k, err := loadRegistryKey(o.keyPath)
	if err != nil {
		return err
	}
	s, err := openRegistryDB(cmd, e, false)
	if err != nil {
		return err
	}
	defer s.Close()
	v, compact, err := registryService(e, s).Publish(cmd.Context(), k.Signer(), o.ttl)
	if err != nil {
		return registryErr(err)
	}
	switch o.out {
	case "":
	case "-":
		fmt.Fprintln(e.stdout, compact)
	default:
		if err := fsx.WriteAtomic(o.out, []byte(compact+"\n"), 0o644); err != nil {
			return withExit(ExitFailure, fmt.Errorf("version %d is published and stored, but writing %s failed: %w", v, o.out, err))
		}
	}
	fmt.Fprintf(e.stderr, "published version %d, valid until %s\n", v, registryNow(e)().Add(o.ttl).UTC().Format(time.RFC3339))
	return nil
}

// ---- serve ----

type registryServeOptions struct {
	addr    string
	refresh time.Duration
	limits  clientLimitFlags
	metrics metricsFlags
}

func newRegistryServeCmd(e *env) *cobra.Command {
	o := &registryServeOptions{}
	c := &cobra.Command{
		Use:   "serve [--addr 127.0.0.1:8090]",
		Short: "Serve the latest snapshot and TRQP queries over HTTP",
		Long: `Serve the registry over HTTP until interrupted:
  GET  /registry/snapshot          latest signed snapshot (application/jwt)
  GET  /registry/entities/{did}    one entity of the latest snapshot
  POST /trqp/authorization         TRQP v2 authorization query (action "issue" or "request")
  POST /trqp/recognition           TRQP v2 recognition query (action "issuer" or "verifier")
  GET  /healthz, /readyz
Logs are JSON lines on stderr. Put a TLS-terminating proxy in front of it.

The latest snapshot is served from memory: requests never open the
database, so the authority can publish with the CLI while the server is
busy. The server notices a publication by the file's size and time
(checked on requests and every --refresh) and reloads; SIGHUP reloads
at once. /readyz fails until a snapshot is loaded.

The snapshot, entity and TRQP routes are rate-limited per client address
(429 with Retry-After). Where many clients share one address (an office
behind one NAT), raise --client-rate. Behind a reverse proxy, name it
with --trusted-proxy: only then is its X-Forwarded-For believed.
Refused requests are counted in the metrics and logged at most once per
client a minute; successful requests are logged at debug level only.

/metrics (Prometheus) is not served unless asked for: on a separate
listener with --metrics-addr (keep it on loopback or a private network),
and/or behind a bearer token with --metrics-token-file.`,
		Example: `  cairn registry serve
  cairn registry --db board.db serve --addr 0.0.0.0:8090 --metrics-addr 127.0.0.1:9464
  cairn registry serve --trusted-proxy 10.0.0.0/8 --client-rate 6000`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd, e) },
	}
	c.Flags().StringVar(&o.addr, "addr", "127.0.0.1:8090", "listen address")
	c.Flags().DurationVar(&o.refresh, "refresh", 2*time.Second, "how often to check the database file for a new publication (0: only on requests and SIGHUP)")
	addClientLimitFlags(c, &o.limits, "snapshot, entity and TRQP requests per minute per client address; 0 turns the limit off",
		api.DefaultClientPerMinute, api.DefaultClientBurst)
	addMetricsFlags(c, &o.metrics)
	return c
}

func (o *registryServeOptions) run(cmd *cobra.Command, e *env) error {
	storeURL, err := registryStoreURL(cmd, e)
	if err != nil {
		return err
	}
	path, _ := cmd.Flags().GetString("db")
	if _, err := os.Stat(path); err != nil && storeURL == "" {
		return usageError(fmt.Errorf("no registry database at %s; create one with 'cairn registry init'", path))
	}
	if o.refresh < 0 {
		return usageError(errors.New("--refresh must not be negative"))
	}
	proxies, limit, err := o.limits.parse()
	if err != nil {
		return err
	}
	metrics := server.NewRegistry()
	metricsLn, metricsOnMain, err := o.metrics.setup(server.MetricsHandler(metrics))
	if err != nil {
		return err
	}
	// The snapshot is served from memory; the file is opened (read-only,
	// briefly) only to reload after a publication.
	logger := slog.New(slog.NewJSONHandler(e.stderr, nil))
	var store registry.Store = boltstore.File{Path: path}
	watch := api.FileSignature(path, nil)
	if storeURL != "" { // several instances may serve one PostgreSQL store
		s, err := registrypg.Open(cmd.Context(), storeURL, pg.Options{Logger: logger})
		if err != nil {
			return withExit(ExitFailure, err)
		}
		defer s.Close()
		store, watch = s, s.Watch(time.Second, nil)
	}
	h, err := api.New(store, api.Options{
		Now: registryNow(e), Logger: logger, Metrics: metrics, MetricsElsewhere: true,
		Watch:      watch,
		ClientRate: limit, TrustedProxies: proxies,
		QuietSuccess: true,
	})
	if err != nil {
		return err
	}
	if metricsOnMain != nil {
		h.Handle("metrics", "/metrics", metricsOnMain, server.NoStore())
	}
	if _, err := h.Reload(cmd.Context()); errors.Is(err, registry.ErrNoSnapshot) {
		logger.Warn("nothing published yet: not ready until the authority publishes")
	} else if err != nil {
		logger.Error("loading the latest snapshot failed; retrying on requests and every --refresh", "err", err.Error())
	}
	listeners := []server.Listener{{Name: "registry", Addr: o.addr, Handler: h, Timeouts: server.Timeouts{Read: 10 * time.Second}}}
	if metricsLn != nil {
		listeners = append(listeners, *metricsLn)
	}
	err = server.Run(cmd.Context(), server.Config{
		Listeners: listeners,
		Hooks:     []server.Hook{h.ReloadHook(o.refresh), h.RefusalLogHook()},
		Logger:    logger,
		Listening: func(a []net.Addr) {
			fmt.Fprintf(e.stderr, "registry listening on http://%s\n", a[0])
			if len(a) > 1 {
				fmt.Fprintf(e.stderr, "metrics on http://%s/metrics\n", a[1])
			}
		},
	})
	var le *server.ListenError
	if errors.As(err, &le) {
		return usageError(err)
	}
	if err != nil {
		return withExit(ExitFailure, err)
	}
	fmt.Fprintln(e.stderr, "registry stopped")
	return nil
}

// ---- bundle ----

type registryBundleOptions struct {
	out         string
	statusLists []string
}

func newRegistryBundleCmd(e *env) *cobra.Command {
	o := &registryBundleOptions{}
	c := &cobra.Command{
		Use:   "bundle --out FILE [--status-list URI=FILE]...",
		Short: "Pack the latest snapshot and status lists into an offline bundle",
		Long: `Write an offline bundle for verifiers without network: the latest published
snapshot and the Status List Tokens given with --status-list (the URI the
credentials reference, and a file holding the statuslist+jwt served there).
Every part is verified before the bundle is written: the snapshot against
the authority key, each status list against the key of the registered
issuer its kid names (did:jwk and did:key resolve offline).`,
		Example: `  cairn registry bundle --out bundle.json
  cairn registry bundle --out bundle.json --status-list https://ngo.example/status/1=status-1.jwt`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd, e) },
	}
	c.Flags().StringVar(&o.out, "out", "", "bundle file to write (- for stdout)")
	c.Flags().StringArrayVar(&o.statusLists, "status-list", nil, "URI=FILE of a Status List Token to include (repeatable)")
	_ = c.MarkFlagRequired("out")
	return c
}

func (o *registryBundleOptions) run(cmd *cobra.Command, e *env) error {
	lists := map[string]string{}
	for _, sl := range o.statusLists {
		i := strings.LastIndex(sl, "=")
		if i <= 0 || i == len(sl)-1 {
			return usageError(fmt.Errorf("--status-list %q: use URI=FILE", sl))
		}
		uri, file := sl[:i], sl[i+1:]
		b, err := bounded.ReadFile(file, jose.MaxCompactLen+2)
		if err != nil {
			return usageError(err)
		}
		if _, dup := lists[uri]; dup {
			return usageError(fmt.Errorf("--status-list %s given twice", uri))
		}
		lists[uri] = strings.TrimSpace(string(b))
	}
	s, err := openRegistryDB(cmd, e, false)
	if err != nil {
		return err
	}
	defer s.Close()
	st, err := s.Get(cmd.Context())
	if err != nil {
		return registryErr(err)
	}
	_, snapshot, err := s.Latest(cmd.Context())
	if errors.Is(err, registry.ErrNoSnapshot) {
		return usageError(errors.New("nothing published yet; run 'cairn registry publish' first"))
	}
	if err != nil {
		return withExit(ExitFailure, err)
	}
	now := registryNow(e)()
	b, err := trust.MakeBundle(snapshot, lists, now)
	if err != nil {
		return usageError(err)
	}
	resolver := &did.Resolver{}
	bundle, err := trust.LoadBundle(cmd.Context(), b, []*jose.JWK{st.Authority.PublicJWK}, now, trust.BundleOptions{Resolve: resolver.ResolveKey})
	if err != nil {
		if errors.Is(err, trust.ErrSnapshotExpired) {
			return withExit(ExitExpired, fmt.Errorf("%w; publish again first", err))
		}
		return withExit(ExitInvalid, err)
	}
	if o.out == "-" {
		_, err = e.stdout.Write(append(b, '\n'))
		return withExit(ExitFailure, err)
	}
	if err := fsx.WriteAtomic(o.out, append(b, '\n'), 0o644); err != nil {
		return withExit(ExitFailure, err)
	}
	fmt.Fprintf(e.stderr, "bundle %s: registry version %d (expires %s), %d status list(s)\n",
		o.out, bundle.Registry.Version, bundle.Registry.Expires.Format(time.RFC3339), len(bundle.StatusListURIs()))
	return nil
}
