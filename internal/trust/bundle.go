package trust

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/jsonx"
	"github.com/cairn-id/cairn/internal/statuslist"
)

// BundleType is the "type" member of an offline bundle.
const BundleType = "cairn-bundle"

// Bounds on offline bundles.
const (
	MaxBundleLen         = 16 << 20
	MaxBundleStatusLists = 256
)

// Bundle errors.
var (
	ErrBundleMalformed   = errors.New("trust: malformed bundle")
	ErrBundleStatusList  = errors.New("trust: bundle status list not acceptable")
	ErrStatusListMissing = errors.New("trust: status list not in bundle")
)

// KeyResolver returns the public key a DID URL (or a DID) names. For
// offline use it must work without network, as did:jwk does; did.Resolver's
// ResolveKey fits.
type KeyResolver func(ctx context.Context, didURL string) (*jose.JWK, error)

// BundleOptions say how to check the status lists of a bundle.
type BundleOptions struct {
	// Resolve finds the key of a status list token's issuer (required
	// when the bundle holds status lists).
	Resolve KeyResolver
	// MaxDecompressed caps each decoded status list (see statuslist.Decode).
	MaxDecompressed int
	// AcceptStale accepts a snapshot that expired less than this long
	// ago (Bundle.Stale says by how much); zero accepts none.
	AcceptStale time.Duration
}

// bundleJSON is the file format of an offline bundle.
type bundleJSON struct {
	Type        string            `json:"type"`
	Snapshot    string            `json:"snapshot"`
	StatusLists map[string]string `json:"status_lists"`
	Created     int64             `json:"created"`
}

// Bundle is a verified offline bundle: a registry snapshot and the status
// lists a verifier needs when it has no network.
type Bundle struct {
	Registry *Registry
	// Snapshot is the compact snapshot the bundle carried.
	Snapshot string
	Created  time.Time
	// Age is how old the bundle was when loaded; SnapshotAge how old its
	// registry snapshot was. Verifiers show both.
	Age         time.Duration
	SnapshotAge time.Duration
	// Stale is how long past its expiry the snapshot was accepted under
	// BundleOptions.AcceptStale; zero when it had not expired.
	Stale time.Duration
	lists map[string]*statuslist.Token
}

// MakeBundle assembles a bundle file. It does not verify its parts: the
// authority or verifier that builds it loads it back with LoadBundle.
func MakeBundle(snapshot string, statusLists map[string]string, created time.Time) ([]byte, error) {
	if len(statusLists) > MaxBundleStatusLists {
		return nil, fmt.Errorf("%w: more than %d status lists", ErrBundleMalformed, MaxBundleStatusLists)
	}
	if statusLists == nil {
		statusLists = map[string]string{}
	}
	b, err := json.MarshalIndent(bundleJSON{Type: BundleType, Snapshot: snapshot, StatusLists: statusLists, Created: created.Unix()}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("trust: encode bundle: %w", err)
	}
	if len(b) > MaxBundleLen {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrBundleMalformed, len(b), MaxBundleLen)
	}
	return b, nil
}

// LoadBundle parses and verifies an offline bundle at now: the snapshot
// against the pinned registry keys (as VerifySnapshot), and every status
// list token against the key of the issuer entity its kid (or iss) names.
// That issuer must be in the snapshot, be an issuer and never have been
// revoked as compromised; its key comes from opts.Resolve. A bundle with
// any part that fails is refused whole.
func LoadBundle(ctx context.Context, b []byte, pinned []*jose.JWK, now time.Time, opts BundleOptions) (*Bundle, error) {
	if len(b) > MaxBundleLen {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrBundleMalformed, MaxBundleLen)
	}
	var bj bundleJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&bj); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBundleMalformed, err)
	}
	if !jsonx.AtEOF(dec) {
		return nil, fmt.Errorf("%w: trailing data", ErrBundleMalformed)
	}
	if bj.Type != BundleType {
		return nil, fmt.Errorf("%w: type %q, want %q", ErrBundleMalformed, bj.Type, BundleType)
	}
	if bj.Created <= 0 {
		return nil, fmt.Errorf("%w: created missing", ErrBundleMalformed)
	}
	if len(bj.StatusLists) > MaxBundleStatusLists {
		return nil, fmt.Errorf("%w: more than %d status lists", ErrBundleMalformed, MaxBundleStatusLists)
	}
	reg, stale, err := verifySnapshotGrace(bj.Snapshot, pinned, now, opts.AcceptStale)
	if err != nil {
		return nil, err
	}
	created := time.Unix(bj.Created, 0).UTC()
	if created.After(now.Add(clockSkew)) {
		return nil, fmt.Errorf("%w: created in the future", ErrBundleMalformed)
	}
	out := &Bundle{
		Registry: reg, Snapshot: bj.Snapshot, Created: created,
		Age: now.Sub(created), SnapshotAge: now.Sub(reg.IssuedAt), Stale: stale,
		lists: make(map[string]*statuslist.Token, len(bj.StatusLists)),
	}
	uris := make([]string, 0, len(bj.StatusLists))
	for u := range bj.StatusLists {
		uris = append(uris, u)
	}
	sort.Strings(uris) // deterministic error reports
	for _, uri := range uris {
		tok, err := verifyBundledStatusList(ctx, reg, uri, bj.StatusLists[uri], now, opts)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrBundleStatusList, uri, err)
		}
		out.lists[uri] = tok
	}
	return out, nil
}

func verifyBundledStatusList(ctx context.Context, reg *Registry, uri, compact string, now time.Time, opts BundleOptions) (*statuslist.Token, error) {
	if opts.Resolve == nil {
		return nil, errors.New("no key resolver configured")
	}
	j, err := jose.Parse(compact)
	if err != nil {
		return nil, err
	}
	var claims struct {
		Iss string `json:"iss"`
	}
	// Only iss is needed here; statuslist.VerifyToken checks all claims.
	_ = json.Unmarshal(j.Payload, &claims)
	issuerDID := ""
	if strings.HasPrefix(j.Header.Kid, "did:") {
		issuerDID = didOf(j.Header.Kid)
	}
	if strings.HasPrefix(claims.Iss, "did:") {
		if issuerDID != "" && issuerDID != claims.Iss {
			return nil, fmt.Errorf("kid names %s but iss is %s", issuerDID, claims.Iss)
		}
		issuerDID = claims.Iss
	}
	if issuerDID == "" {
		return nil, errors.New("token names no issuer DID (kid or iss)")
	}
	e := reg.Entity(issuerDID)
	switch {
	case e == nil:
		return nil, fmt.Errorf("issuer %s is not in the registry", issuerDID)
	case e.Role != RoleIssuer:
		return nil, fmt.Errorf("%s is not an issuer", issuerDID)
	case e.Compromised():
		return nil, fmt.Errorf("issuer %s was revoked as compromised", issuerDID)
	}
	keyRef := issuerDID
	if strings.HasPrefix(j.Header.Kid, "did:") {
		keyRef = j.Header.Kid
	}
	jwk, err := opts.Resolve(ctx, keyRef)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", keyRef, err)
	}
	pub, err := jwk.PublicKey()
	if err != nil {
		return nil, err
	}
	return statuslist.VerifyToken(compact, statuslist.VerifyOptions{
		Key: pub, Now: func() time.Time { return now }, ExpectedSubject: uri,
		MaxDecompressed: opts.MaxDecompressed, ClockSkew: clockSkew,
	})
}

// Status returns the status a bundled list holds for ref.
func (b *Bundle) Status(ref statuslist.Reference) (uint8, error) {
	tok, ok := b.lists[ref.URI]
	if !ok {
		return 0, fmt.Errorf("%w: %s", ErrStatusListMissing, ref.URI)
	}
	return tok.List.Get(ref.Index)
}

// Token returns the verified bundled Status List Token for uri; with it a
// Bundle is a statuslist.Offline.
func (b *Bundle) Token(uri string) (*statuslist.Token, bool) {
	tok, ok := b.lists[uri]
	return tok, ok
}

// StatusListURIs lists the URIs of the bundled status lists, sorted.
func (b *Bundle) StatusListURIs() []string {
	out := make([]string, 0, len(b.lists))
	for u := range b.lists {
		out = append(out, u)
	}
	sort.Strings(out)
	return out
}

// StatusListIssuedAt returns when the bundled list for uri was issued.
func (b *Bundle) StatusListIssuedAt(uri string) (time.Time, bool) {
	tok, ok := b.lists[uri]
	if !ok {
		return time.Time{}, false
	}
	return tok.IssuedAt, true
}
