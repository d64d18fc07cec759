// Package issuer is Cairn's credential issuance service (DESIGN.md §1 flow
// 1): an OpenID4VCI 1.0 (Final) Credential Issuer for SD-JWT VCs
// (format dc+sd-jwt) with the pre-authorized code flow.
//
// It implements, of OpenID4VCI 1.0: the Credential Offer by reference
// (§4.1, credential_offer_uri), the Pre-Authorized Code grant with an
// optional Transaction Code (§3.5, §6.1; wrong codes are counted and lock
// the offer), the Token Endpoint (§6) with its error codes (§6.3), the Nonce
// Endpoint (§7), the Credential Endpoint (§8) with the jwt proof type
// (Appendix F.1, typ openid4vci-proof+jwt) and its errors (§8.3.1), the
// Notification Endpoint (§11), and Credential Issuer Metadata (§12.2, with
// credential_metadata per configuration, Appendix A.3 for dc+sd-jwt). It
// also serves OAuth 2.0 Authorization Server Metadata (RFC 8414) for the
// pre-authorized grant, JWT VC Issuer Metadata (SD-JWT VC draft, §5) with
// the issuer's JWKS, and the issuer's Token Status Lists
// (draft-ietf-oauth-status-list, §5.1 served as application/statuslist+jwt;
// every credential gets a random unique index).
//
// Beside SD-JWT VC, which stays every type's default, the operator may
// offer types in Cairn's experimental jpt format (internal/jptvc: JSON
// Proof Tokens signed with BBS, Config.JPT and BBSKey; jpt.go): listed
// without proof types, issued without key proof, nonce or status entry,
// valid a short time.
//
// Claims are validated against the catalogue type (package schemas) before
// an offer is made, and kept only until the credential is issued or the
// offer expires, sealed at rest (AES-256-GCM under a key derived from the
// hash key, sealed.go). Operators name offers by a public handle, never by
// the id that redeems them (offers.go). Issuance records keep no claim values. Every piece of state
// lives in a Store, which only persists (issuer/boltstore is the bbolt one;
// the conformance suite is in issuer/storetest): the rules are this
// package's (core.go), so several instances can share one store; codes,
// transaction codes, access tokens and nonces are stored only as keyed
// hashes.
//
// The HTTP endpoints are package issuer/api's (on internal/server; it
// also rate-limits the unauthenticated ones per client address). Nonces
// are stateless (a MAC of an expiry and random bytes under a key derived
// from the hash key), so the open nonce endpoint stores nothing and a
// flood cannot exhaust them; a nonce's single use is recorded when a
// credential request consumes it. Status List Tokens are signed
// once per list revision and cached in memory; the revision is read from
// the store on every request, so an instance never serves a list staler
// than the store. The trust registry snapshot can be replaced while
// running (ReloadRegistry: no rollback, no unverified snapshot); an
// expired one refuses every offer (ErrRegistryExpired).
//
// An issuer directory (DirConfig; created and opened by package
// issuer/issuerdir) holds the key, the hash key, the configuration and the
// bbolt store, which one process at a time can open. Operators therefore go through Admin: OpenAdmin talks to a running
// server over its Unix domain socket (ListenAdmin; issuer/api NewAdmin: a
// JSON API reachable only through that 0600 socket in the 0700 directory,
// never on the public listener), or opens the store when no server runs.
// Errors keep their types across the socket.
package issuer

import (
	"context"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/jwp"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/oid4vci"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/schemas"
)

// Defaults and bounds.
const (
	DefaultOfferTTL       = 24 * time.Hour
	MaxOfferTTL           = 30 * 24 * time.Hour
	DefaultCredentialTTL  = 365 * 24 * time.Hour
	DefaultTokenTTL       = 10 * time.Minute
	DefaultNonceTTL       = 5 * time.Minute
	DefaultProofMaxAge    = 5 * time.Minute
	DefaultProofSkew      = time.Minute
	DefaultStatusListSize = 1 << 16
	DefaultMaxTxAttempts  = 5
	DefaultTxCodeLength   = 6
	MinHashKeyLen         = 32
	MaxReferenceLen       = 256
)

// Errors of CreateOffer and the status operations. A claim validation
// failure is a *ValidationError.
var (
	ErrInvalidConfig    = errors.New("issuer: invalid configuration")
	ErrInvalidOffer     = errors.New("issuer: invalid offer request")
	ErrUnknownType      = errors.New("issuer: credential type not offered by this issuer")
	ErrNotAuthorized    = errors.New("issuer: the registry does not authorize this issuer for this type")
	ErrEvidenceAboveCap = errors.New("issuer: evidence score above the allowed cap")
	// ErrFormatNotEnabled: an offer names a format the type is not
	// offered in (jpt not enabled for it, or an unknown format). It also
	// matches ErrInvalidOffer.
	ErrFormatNotEnabled = fmt.Errorf("%w: format not enabled for this type", ErrInvalidOffer)
	// ErrExternalType: the type is issued outside Cairn (the EU PID,
	// schemas.Type.External); a Cairn issuer never offers it.
	ErrExternalType = errors.New("issuer: the type is issued outside Cairn (an EU PID comes from a Member State's PID provider) and is never offered")
	// ErrRegistryExpired: the trust registry snapshot in use has expired,
	// so every offer is refused (fail closed) until a fresh one is loaded.
	// Errors that carry it also match ErrNotAuthorized.
	ErrRegistryExpired = errors.New("issuer: the trust registry snapshot has expired")
	// ErrRegistryReload: a reloaded snapshot was refused (rollback to an
	// older version, or another registry); the previous one stays.
	ErrRegistryReload = errors.New("issuer: registry reload refused")
)

// errRegistryExpired matches both ErrNotAuthorized and ErrRegistryExpired.
var errRegistryExpired = fmt.Errorf("%w: %w", ErrNotAuthorized, ErrRegistryExpired)

// ValidationError lists the claims (JSON Pointers) that fail the type's
// schema and, in Problems, why each fails ("/household_size must be a
// whole number"); it never carries claim values.
type ValidationError struct {
	VCT      string
	Paths    []string
	Problems []schemas.Problem
	cause    error
}

func (e *ValidationError) Error() string {
	if len(e.Problems) == 0 {
		return fmt.Sprintf("issuer: claims do not match %s at %s", e.VCT, strings.Join(e.Paths, ", "))
	}
	return "issuer: " + (&schemas.ValidationError{VCT: e.VCT, Problems: e.Problems}).Error()
}

// Unwrap returns the schemas error (errors.Is(err, schemas.ErrInvalidClaims)).
func (e *ValidationError) Unwrap() error { return e.cause }

// Config configures a Service.
type Config struct {
	// URL is the Credential Issuer Identifier: https, an origin or an
	// origin with a path (CheckIdentifier), no query or fragment. http
	// and loopback hosts need Dev. With a path, every endpoint is under
	// it (https://host/issuers/clinic/token) and issuer/api serves the
	// well-known documents with the path after them.
	URL string
	// Dev allows http:// and loopback URLs (local tests only).
	Dev bool
	// Names is the issuer's display name per locale (at least "en").
	Names map[string]string
	// Types are the vcts this issuer offers (each in Catalogue).
	Types     []string
	Catalogue *schemas.Catalogue
	// Key signs credentials and status lists; iss is its did:jwk.
	Key *keys.PrivateKey
	// JPT are the vcts (each one of Types) also offered in the
	// experimental jpt format (jpt.go), signed with BBSKey; SD-JWT VC
	// stays every type's default. JPTValidity is their lifetime
	// (jptvc.DefaultValidity when zero; whole days, at most the type's
	// MaxTTL).
	JPT         []string
	BBSKey      *jwp.PrivateKey
	JPTValidity time.Duration
	// HashKey (at least 32 random bytes, kept out of the store) keys the
	// hashes of codes, transaction codes, tokens and nonces, and derives
	// pre-authorized codes from offer ids.
	HashKey []byte
	Store   Store
	// Registry, when set, is a verified registry snapshot: offers need an
	// authorization for the type and evidence above its caps is refused;
	// once it expires every offer is refused (ErrRegistryExpired).
	// SetRegistry and ReloadRegistry replace it while the Service runs.
	Registry *trust.Registry

	// MaxLiveNonces is no longer used: nonces are stateless (NewNonce),
	// so no flood of nonce requests takes store space. Kept so existing
	// configurations compile.
	MaxLiveNonces int
	// BatchSize is the most key proofs one Credential Request may carry,
	// one copy each (copies.go); 0 means DefaultBatchSize, 1 no batch
	// issuance.
	BatchSize int

	Now    func() time.Time
	Rand   io.Reader
	Logger *slog.Logger

	OfferTTL, CredentialTTL, TokenTTL, NonceTTL, ProofMaxAge time.Duration
	StatusListSize, MaxTxAttempts, TxCodeLength              int
}

// Service is an issuer. It is safe for concurrent use; all state is in
// the Store.
type Service struct {
	cfg         Config
	registry    atomic.Pointer[trust.Registry]
	ctr         atomic.Pointer[countersBox]
	statusCache *statusCache

	base   string
	did    string
	kid    string
	signer *jose.Signer
	types  map[string]*schemas.Type // by configuration id
	// jptTypes are the jpt configurations (jpt.go), by configuration id.
	jptTypes map[string]*schemas.Type
	// nonceKey MACs stateless nonces, claimsKey seals pending offers'
	// claims; both derived from HashKey (HKDF, distinct labels).
	nonceKey, claimsKey []byte
	byVCT               map[string]string // vct -> configuration id
	log                 *slog.Logger
}

// ConfigurationID is the credential_configuration_id of a type:
// "<name>.v<major>".
func ConfigurationID(t *schemas.Type) string { return fmt.Sprintf("%s.v%d", t.Name, t.Version) }

// CheckURL checks a Credential Issuer Identifier that is an origin
// (https://issuer.example, no path), as an issuer directory of 'cairn
// issuer init' requires.
func CheckURL(raw string, dev bool) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || (u.Path != "" && u.Path != "/") {
		return "", fmt.Errorf("%w: url must be an origin like https://issuer.example (no path, query or fragment)", ErrInvalidConfig)
	}
	return checkIdentifier(u, dev)
}

// CheckIdentifier checks a Credential Issuer Identifier as Config.URL
// requires: https (http and loopback hosts only with dev), no query,
// fragment or user info, and either an origin or an origin with a path
// of plain segments (https://host/issuers/clinic, for several issuers on
// one host; OpenID4VCI 1.0 §12.2.2 puts their metadata at
// /.well-known/openid-credential-issuer/issuers/clinic). A terminating
// "/" is dropped.
func CheckIdentifier(raw string, dev bool) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery || u.RawPath != "" {
		return "", fmt.Errorf("%w: url must be like https://issuer.example or https://host/issuers/name (no query or fragment)", ErrInvalidConfig)
	}
	p := strings.TrimSuffix(u.Path, "/")
	if p != "" {
		for _, seg := range strings.Split(strings.TrimPrefix(p, "/"), "/") {
			if !pathSegment(seg) {
				return "", fmt.Errorf("%w: url path segments must be letters, digits, '-', '_' or '.' (not %q)", ErrInvalidConfig, seg)
			}
		}
	}
	base, err := checkIdentifier(u, dev)
	if err != nil {
		return "", err
	}
	return base + p, nil
}

// pathSegment reports whether s is a non-empty segment of unreserved
// characters other than "." and "..".
func pathSegment(s string) bool {
	if s == "" || s == "." || s == ".." || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// checkIdentifier checks the scheme and host of an identifier and
// returns its origin.
func checkIdentifier(u *url.URL, dev bool) (string, error) {
	switch u.Scheme {
	case "https":
	case "http":
		if !dev {
			return "", fmt.Errorf("%w: url must be https (http only in dev mode)", ErrInvalidConfig)
		}
	default:
		return "", fmt.Errorf("%w: url scheme must be https", ErrInvalidConfig)
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); (ip != nil && (ip.IsLoopback() || ip.IsPrivate() || ip.IsUnspecified())) || host == "localhost" {
		if !dev {
			return "", fmt.Errorf("%w: loopback or private host %q only in dev mode", ErrInvalidConfig, host)
		}
	}
	return u.Scheme + "://" + u.Host, nil
}

// New checks cfg and returns a Service.
func New(cfg Config) (*Service, error) {
	base, err := CheckIdentifier(cfg.URL, cfg.Dev)
	if err != nil {
		return nil, err
	}
	if cfg.Key == nil || cfg.Store == nil || cfg.Catalogue == nil {
		return nil, fmt.Errorf("%w: key, store and catalogue are required", ErrInvalidConfig)
	}
	if len(cfg.HashKey) < MinHashKeyLen {
		return nil, fmt.Errorf("%w: hash key shorter than %d bytes", ErrInvalidConfig, MinHashKeyLen)
	}
	if cfg.Names["en"] == "" {
		return nil, fmt.Errorf("%w: an English display name is required", ErrInvalidConfig)
	}
	if len(cfg.Types) == 0 {
		return nil, fmt.Errorf("%w: at least one credential type", ErrInvalidConfig)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.OfferTTL, DefaultOfferTTL)
	def(&cfg.CredentialTTL, DefaultCredentialTTL)
	def(&cfg.TokenTTL, DefaultTokenTTL)
	def(&cfg.NonceTTL, DefaultNonceTTL)
	def(&cfg.ProofMaxAge, DefaultProofMaxAge)
	if cfg.StatusListSize <= 0 {
		cfg.StatusListSize = DefaultStatusListSize
	}
	if cfg.MaxTxAttempts <= 0 {
		cfg.MaxTxAttempts = DefaultMaxTxAttempts
	}
	if cfg.TxCodeLength <= 0 {
		cfg.TxCodeLength = DefaultTxCodeLength
	}
	if cfg.TxCodeLength < 4 || cfg.TxCodeLength > 12 {
		return nil, fmt.Errorf("%w: transaction code length must be 4 to 12 digits", ErrInvalidConfig)
	}
	if cfg.MaxLiveNonces <= 0 {
		cfg.MaxLiveNonces = DefaultMaxLiveNonces
	}
	if cfg.BatchSize == 0 {
		cfg.BatchSize = DefaultBatchSize
	}
	if cfg.BatchSize < 1 || cfg.BatchSize > MaxBatchSize {
		return nil, fmt.Errorf("%w: batch size must be 1 to %d", ErrInvalidConfig, MaxBatchSize)
	}
	s := &Service{cfg: cfg, base: base, did: cfg.Key.DIDJWK(), types: map[string]*schemas.Type{}, jptTypes: map[string]*schemas.Type{}, byVCT: map[string]string{}, log: cfg.Logger,
		statusCache: newStatusCache(),
	}
	s.registry.Store(cfg.Registry)
	if s.nonceKey, err = hkdf.Key(sha256.New, cfg.HashKey, nil, "cairn issuer c_nonce mac v1", 32); err != nil {
		return nil, err
	}
	if s.claimsKey, err = hkdf.Key(sha256.New, cfg.HashKey, nil, "cairn issuer offer claims aes-256-gcm v1", 32); err != nil {
		return nil, err
	}
	s.kid = s.did + "#0"
	s.signer = cfg.Key.JoseSigner().WithKeyID(s.kid)
	for _, vct := range cfg.Types {
		t, err := cfg.Catalogue.Lookup(vct)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
		}
		if t.External {
			return nil, fmt.Errorf("%w: %w: %s", ErrInvalidConfig, ErrExternalType, vct)
		}
		id := ConfigurationID(t)
		s.types[id], s.byVCT[vct] = t, id
	}
	if err := s.configureJPT(); err != nil {
		return nil, err
	}
	return s, nil
}

// URL is the Credential Issuer Identifier.
func (s *Service) URL() string { return s.base }

// DID is the issuer's did:jwk (the iss of its credentials).
func (s *Service) DID() string { return s.did }

// hash is the keyed hash under which secrets are stored.
func (s *Service) hash(kind, v string) string {
	m := hmac.New(sha256.New, s.cfg.HashKey)
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write([]byte(v))
	return jose.B64.EncodeToString(m.Sum(nil))
}

// ReferenceHash is the keyed hash under which records keep an offer's
// reference (the clear reference is never stored in a record).
func (s *Service) ReferenceHash(ref string) string { return s.hash("reference", ref) }

// preAuthCode derives an offer's pre-authorized code from its id, so the
// code itself is never stored.
func (s *Service) preAuthCode(offerID string) string { return s.hash("pre-authorized_code", offerID) }

func (s *Service) random(n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(s.cfg.Rand, b); err != nil {
		return "", fmt.Errorf("issuer: randomness: %w", err)
	}
	return jose.B64.EncodeToString(b), nil
}

// credentialID is 16 random bytes, base64url, never starting with "-":
// operators pass it as a command-line argument, where a leading dash reads
// as a flag.
func (s *Service) credentialID() (string, error) {
	for {
		id, err := s.random(16)
		if err != nil || !strings.HasPrefix(id, "-") {
			return id, err
		}
	}
}

// digits returns n uniformly random decimal digits.
func (s *Service) digits(n int) (string, error) {
	out := make([]byte, 0, n)
	var b [1]byte
	for len(out) < n {
		if _, err := io.ReadFull(s.cfg.Rand, b[:]); err != nil {
			return "", fmt.Errorf("issuer: randomness: %w", err)
		}
		if b[0] < 250 { // 250 = 25*10: no modulo bias
			out = append(out, '0'+b[0]%10)
		}
	}
	return string(out), nil
}

// OfferRequest is what an operator asks to offer.
type OfferRequest struct {
	VCT    string
	Claims map[string]any
	// TxCode asks for a numeric transaction code the holder must type.
	TxCode bool
	// Evidence overrides the type's default evidence scores.
	Evidence *schemas.Evidence
	// Reference is the operator's label for the person (e.g. a case
	// number): sealed with the offer's claims; the issuance record keeps
	// only its keyed hash, so a credential can be found by reference
	// (Service.Find) but the record does not say it.
	Reference string
	// Batch names the offer-batch drive making the offer (for
	// cancelling a batch and resuming it); empty for single offers.
	Batch string
	// TTL is how long the offer stays redeemable (DefaultOfferTTL when
	// zero, at most MaxOfferTTL).
	TTL time.Duration
	// Format is the credential format offered: FormatSDJWTVC (also when
	// empty) or FormatJPT, which the type must have enabled (Config.JPT;
	// else ErrFormatNotEnabled).
	Format string
}

// Offer is a created offer.
type Offer struct {
	// ID redeems the offer: it is in URI and OfferURL only. Never print
	// it, store it in a file or log it: use Handle.
	ID string
	// Handle is the offer's public name for lists, files and commands
	// ('cairn issuer cancel HANDLE').
	Handle string
	// URI is openid-credential-offer://?credential_offer_uri=<escaped
	// OfferURL>, the text of the QR code.
	URI      string
	OfferURL string
	// TxCode is shown to the operator to tell the holder; only its keyed
	// hash is stored. Empty when no transaction code was asked for.
	TxCode    string
	ExpiresAt time.Time
}

// registered claims the credential layer sets; an offer may not.
var reservedClaims = []string{"iss", "sub", "iat", "nbf", "exp", "jti", "cnf", "vct", "vct#integrity", "status", "_sd", "_sd_alg", "evidence"}

// CreateOffer validates r and stores an offer.
func (s *Service) CreateOffer(ctx context.Context, r OfferRequest) (*Offer, error) {
	cid, ok := s.byVCT[r.VCT]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownType, r.VCT)
	}
	t := s.types[cid]
	switch r.Format {
	case "", FormatSDJWTVC:
	case FormatJPT:
		cid = JPTConfigurationID(t)
		if !s.IsJPT(cid) {
			return nil, fmt.Errorf("%w: %s is not offered as jpt by this issuer (enable it: cairn issuer jpt --enable)", ErrFormatNotEnabled, r.VCT)
		}
	default:
		return nil, fmt.Errorf("%w: unknown format %q (dc+sd-jwt or jpt)", ErrFormatNotEnabled, r.Format)
	}
	now := s.cfg.Now()
	var bad []string
	for _, k := range reservedClaims {
		if _, ok := r.Claims[k]; ok {
			bad = append(bad, "/"+k)
		}
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("%w: claims %s are set by the issuer (evidence goes in OfferRequest.Evidence)", ErrInvalidOffer, strings.Join(bad, ", "))
	}
	if len(r.Reference) > MaxReferenceLen {
		return nil, fmt.Errorf("%w: reference longer than %d bytes", ErrInvalidOffer, MaxReferenceLen)
	}
	ttl := r.TTL
	if ttl == 0 {
		ttl = s.cfg.OfferTTL
	}
	if ttl < 0 || ttl > MaxOfferTTL {
		return nil, fmt.Errorf("%w: offer TTL must be between 0 and %s", ErrInvalidOffer, MaxOfferTTL)
	}
	ev := t.DefaultEvidence
	if r.Evidence != nil {
		ev = *r.Evidence
	}
	if err := checkEvidence(t, ev, s.registry.Load(), s.did, now); err != nil {
		return nil, err
	}
	claims := make(map[string]any, len(r.Claims)+1)
	for k, v := range r.Claims {
		claims[k] = v
	}
	evMap, err := evidenceClaim(ev)
	if err != nil {
		return nil, err
	}
	claims["evidence"] = evMap
	if err := t.Validate(claims); err != nil {
		var ve *schemas.ValidationError
		if errors.As(err, &ve) {
			out := &ValidationError{VCT: r.VCT, Problems: ve.Problems, cause: err}
			for _, p := range ve.Problems {
				ptr := p.Pointer
				if ptr == "" {
					ptr = "/"
				}
				if !slices.Contains(out.Paths, ptr) {
					out.Paths = append(out.Paths, ptr)
				}
			}
			sort.Strings(out.Paths)
			return nil, out
		}
		return nil, fmt.Errorf("%w: %w", ErrInvalidOffer, err)
	}
	// Store the claims as JSON values so a second instance reads the same.
	raw, err := json.Marshal(r.Claims)
	if err != nil {
		return nil, fmt.Errorf("%w: claims: %w", ErrInvalidOffer, err)
	}
	var stored map[string]any
	if err := json.Unmarshal(raw, &stored); err != nil {
		return nil, fmt.Errorf("%w: claims: %w", ErrInvalidOffer, err)
	}
	id, err := s.random(16)
	if err != nil {
		return nil, err
	}
	handle, err := s.credentialID() // random, never starting with "-"
	if err != nil {
		return nil, err
	}
	sealed, err := s.seal(id, stored, r.Reference)
	if err != nil {
		return nil, fmt.Errorf("issuer: seal offer: %w", err)
	}
	code := s.preAuthCode(id)
	o := &StoredOffer{
		ID: id, Handle: handle, ConfigurationID: cid, VCT: r.VCT, Sealed: sealed, Evidence: ev, Batch: r.Batch,
		CodeHash: s.hash("code", code), State: OfferPending, CreatedAt: now, ExpiresAt: now.Add(ttl),
	}
	if r.Reference != "" {
		o.ReferenceHash = s.ReferenceHash(r.Reference)
	}
	var tx string
	if r.TxCode {
		if tx, err = s.digits(s.cfg.TxCodeLength); err != nil {
			return nil, err
		}
		o.TxCodeHash, o.TxCodeLength = s.hash("tx_code", code+"\x00"+tx), len(tx)
	}
	if err := s.putOffer(ctx, o); err != nil {
		return nil, fmt.Errorf("issuer: store offer: %w", err)
	}
	s.counters().OfferCreated()
	offerURL := s.OfferURL(id)
	uri, err := oid4vci.BuildOfferURIByReference(offerURL, oid4vci.Options{AllowHTTP: s.cfg.Dev})
	if err != nil {
		return nil, fmt.Errorf("issuer: offer URI: %w", err)
	}
	return &Offer{ID: id, Handle: handle, OfferURL: offerURL, TxCode: tx, ExpiresAt: o.ExpiresAt, URI: uri}, nil
}

func evidenceClaim(e schemas.Evidence) (map[string]any, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	err = json.Unmarshal(b, &m)
	return m, err
}

// EvidenceError names the scores above their cap. Asked and Caps, when
// set, hold the value asked for and the cap of each of Fields (same
// order); VCT, Issuer and AuthorizationID name the registry authorization
// to amend (Source "registry").
type EvidenceError struct {
	Fields []string
	Source string // "type" or "registry"

	Asked, Caps                  []int
	VCT, Issuer, AuthorizationID string
}

func (e *EvidenceError) Error() string {
	msg := fmt.Sprintf("issuer: evidence %s above the %s cap", strings.Join(e.Fields, ", "), e.Source)
	if len(e.Asked) != len(e.Fields) || len(e.Caps) != len(e.Fields) {
		return msg
	}
	var scores, flags []string
	for i, f := range e.Fields {
		scores = append(scores, fmt.Sprintf("%s asked %d, cap %d", f, e.Asked[i], e.Caps[i]))
		if (f == "strength" || f == "validity" || f == "verification") && e.Asked[i] <= 4 {
			flags = append(flags, fmt.Sprintf(" --max-%s %d", f, e.Asked[i]))
		}
	}
	msg += " (" + strings.Join(scores, "; ") + ")"
	switch {
	case e.Source == "type":
		msg += "; the credential type allows no more: offer lower evidence"
	case len(flags) > 0:
		cmd := fmt.Sprintf("cairn registry amend --did %s --id %s", e.Issuer, e.AuthorizationID)
		if e.AuthorizationID == "" {
			cmd = fmt.Sprintf("cairn registry amend --did %s --id ID", e.Issuer)
		}
		msg += fmt.Sprintf("; offer lower evidence, or ask the registry authority to raise the cap for %s with '%s%s' then 'cairn registry publish', and load the new snapshot here", e.VCT, cmd, strings.Join(flags, ""))
	}
	return msg
}

// Unwrap makes errors.Is(err, ErrEvidenceAboveCap) match.
func (e *EvidenceError) Unwrap() error { return ErrEvidenceAboveCap }

// checkEvidence refuses evidence above the type's caps and, with a
// registry, types issuerDID is not authorized for and evidence above the
// authorization's caps.
func checkEvidence(t *schemas.Type, e schemas.Evidence, reg *trust.Registry, issuerDID string, now time.Time) error {
	if c := t.CapEvidence(e); c != e {
		f := above(e, c)
		asked, caps := scoresOf(f, e, t.MaxEvidence)
		return &EvidenceError{Fields: f, Source: "type", Asked: asked, Caps: caps, VCT: t.VCT}
	}
	if reg == nil {
		return nil
	}
	if !now.Before(reg.Expires) {
		return fmt.Errorf("%w: registry %s version %d expired at %s; offers are refused until a fresh snapshot is loaded",
			errRegistryExpired, reg.ID, reg.Version, reg.Expires.UTC().Format(time.RFC3339))
	}
	d, err := reg.IssuerAuthorized(issuerDID, t.VCT, now)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNotAuthorized, err)
	}
	if !d.Authorized || d.Authorization == nil {
		return fmt.Errorf("%w: %s", ErrNotAuthorized, d.Reason)
	}
	c := e
	c.Strength, c.Validity, c.Verification = trust.CapEvidence(*d.Authorization, e.Strength, e.Validity, e.Verification)
	if c != e {
		a := d.Authorization
		f := above(e, c)
		asked, caps := scoresOf(f, e, schemas.Evidence{Strength: a.MaxStrength, Validity: a.MaxValidity, Verification: a.MaxVerification})
		return &EvidenceError{Fields: f, Source: "registry", Asked: asked, Caps: caps, VCT: t.VCT, Issuer: issuerDID, AuthorizationID: a.ID}
	}
	return nil
}

// scoresOf returns, for each named score, the value asked and its cap.
func scoresOf(fields []string, asked, caps schemas.Evidence) ([]int, []int) {
	pick := func(e schemas.Evidence, f string) int {
		switch f {
		case "strength":
			return e.Strength
		case "validity":
			return e.Validity
		case "verification":
			return e.Verification
		case "identity_fraud":
			return e.IdentityFraud
		}
		return 0
	}
	var a, c []int
	for _, f := range fields {
		a, c = append(a, pick(asked, f)), append(c, pick(caps, f))
	}
	return a, c
}

func above(e, c schemas.Evidence) []string {
	var f []string
	if c.Strength != e.Strength {
		f = append(f, "strength")
	}
	if c.Validity != e.Validity {
		f = append(f, "validity")
	}
	if c.Verification != e.Verification {
		f = append(f, "verification")
	}
	if c.IdentityFraud != e.IdentityFraud {
		f = append(f, "identity_fraud")
	}
	if len(f) == 0 {
		f = append(f, "evidence")
	}
	return f
}

// Revoke marks a credential revoked for good (status list value 1). A jpt
// credential has no status entry: ErrNoStatus.
func (s *Service) Revoke(ctx context.Context, credentialID string) error {
	return s.setStatus(ctx, credentialID, StateRevoked)
}

// Suspend marks a credential suspended (status list value 2).
func (s *Service) Suspend(ctx context.Context, credentialID string) error {
	return s.setStatus(ctx, credentialID, StateSuspended)
}

// Reinstate makes a suspended credential valid again; a revoked one
// stays revoked (ErrRevoked).
func (s *Service) Reinstate(ctx context.Context, credentialID string) error {
	return s.setStatus(ctx, credentialID, StateValid)
}

func (s *Service) setStatus(ctx context.Context, id, state string) error {
	_, err := s.changeStatus(ctx, id, state)
	if err != nil {
		return fmt.Errorf("issuer: set %s to %s: %w", id, state, err)
	}
	s.log.Info("credential status changed", "credential_id", id, "state", state)
	return nil
}
