package verifier

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/oid4vp"
	"github.com/cairn-id/cairn/internal/proximity"
	"github.com/cairn-id/cairn/internal/sdjwt"
	"github.com/cairn-id/cairn/internal/sdjwtvc"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/internal/vccheck"
	"github.com/cairn-id/cairn/schemas"
)

// ProximityAudience is the KB-JWT aud of every proximity presentation
// (proximity.Audience, docs/proximity.md): the screen shows only a
// challenge, which is the KB-JWT nonce; no other aud is accepted.
const ProximityAudience = proximity.Audience

// MaxProximityLen bounds the text of a proximity QR.
const MaxProximityLen = 8 << 10

// offlineHTTP is the only HTTP client the offline path could reach (the
// did:web branch of its resolver, which vccheck.OfflineResolver refuses
// first): it sends nothing and counts the attempts, so a test can show
// that a check made none.
var (
	offlineAttempts atomic.Int64
	offlineHTTP     = &http.Client{Transport: refuseNetwork{}}
)

type refuseNetwork struct{}

func (refuseNetwork) RoundTrip(r *http.Request) (*http.Response, error) {
	offlineAttempts.Add(1)
	return nil, fmt.Errorf("%w: %s", vccheck.ErrNeedsNetwork, r.URL.Host)
}

// ProximityOptions configure CheckProximity.
type ProximityOptions struct {
	// Bundle is the verified offline bundle: the registry and the status
	// lists. Required.
	Bundle *trust.Bundle
	// Challenge is what the caseworker's screen showed, the KB-JWT nonce.
	// Empty: the nonce is not checked (the result says so).
	Challenge string
	// Purpose, when set, is the purpose whose query the presentation must
	// answer (under the credential query id of its first query).
	Purpose *Purpose
	// Resolver resolves issuer DIDs without network (wrapped by
	// vccheck.OfflineResolver; nil: did:jwk and did:key only).
	Resolver  sdjwtvc.DIDKeyResolver
	Catalogue *schemas.Catalogue
	Now       func() time.Time
	// Stale: the bundle is past its expiry and the caller accepted that
	// knowingly; the result says so.
	Stale    bool
	KBMaxAge time.Duration
}

// CheckProximity verifies an offline proximity presentation (DESIGN.md §1
// flow 3): the text of the wallet's QR, the CP1 encoding of one SD-JWT+KB
// presentation (internal/proximity, docs/proximity.md) or the raw compact
// SD-JWT+KB (one a line; raw ones may also be separated by blanks), whose
// KB-JWT has nonce = the challenge and aud = ProximityAudience, checked against
// the bundle with no network at all: status lists only from the bundle,
// no did:web resolved. The result carries the bundle's age.
func CheckProximity(ctx context.Context, text string, o ProximityOptions) *Result {
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	res := &Result{VerifiedAt: now().UTC()}
	if o.Bundle != nil {
		res.BundleCreated = o.Bundle.Created
		res.BundleAge = now().Sub(o.Bundle.Created).Round(time.Minute).String()
	}
	res.StaleAccepted = o.Stale
	checked := o.Challenge != ""
	res.ChallengeChecked = &checked
	text = strings.TrimSpace(text)
	if o.Bundle == nil || o.Bundle.Registry == nil {
		res.Code, res.Outcome = CodeBundleInvalid, OutcomeInvalid
		return res
	}
	if text == "" || len(text) > MaxProximityLen {
		res.Code, res.Outcome = CodeNoQR, OutcomeInvalid
		return res
	}
	// One presentation per line; base45 has spaces, so a CP1 line is one
	// presentation, and a raw line may hold several separated by blanks.
	var pres []string
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, proximity.Prefix) {
			if mayHaveSpace(line) {
				pres = append(pres, strings.Fields(line)...)
			} else if line != "" {
				pres = append(pres, line)
			}
			continue
		}
		d, err := proximity.Decode(line)
		if err != nil {
			res.Code, res.Outcome = CodeNoQR, OutcomeInvalid
			return res
		}
		pres = append(pres, d)
	}
	cat := o.Catalogue
	if cat == nil {
		var err error
		if cat, err = defaultCatalogue(); err != nil {
			res.Code, res.Outcome = CodeUnknownType, OutcomeInvalid
			return res
		}
	}
	var p *Purpose
	if o.Purpose != nil {
		p = o.Purpose
	} else {
		p = anyQuery(pres)
	}
	base := o.Resolver
	if base == nil {
		base = &did.Resolver{HTTPClient: offlineHTTP} // never asked for did:web: OfflineResolver refuses it first
	}
	svc := &Service{cfg: Config{Catalogue: cat, Now: now, Logger: slog.New(slog.DiscardHandler)}}
	tok := oid4vp.VPToken{}
	qid := p.Query().Credentials[0].ID
	tok[qid] = pres
	nonce := o.Challenge
	if nonce == "" {
		nonce = kbField(pres[0], "nonce")
	}
	vo := vccheck.Options{
		SkipUndisclosed: true,
		Bundle:          o.Bundle,
		Offline:         true,
		Credential: sdjwtvc.VerifyOptions{
			Trust:             sdjwtvc.Trust{Resolver: vccheck.OfflineResolver(withLocalKeyCache(base))},
			RequireKeyBinding: true,
			Nonce:             nonce,
			Audience:          ProximityAudience,
			Now:               now,
			KBMaxAge:          o.KBMaxAge,
			ClockSkew:         DefaultClockSkew,
		},
	}
	if nonce == "" {
		res.Code, res.Outcome = Code("key_binding_missing"), OutcomeInvalid
		return res
	}
	svc.assemble(ctx, res, p, tok, vo, o.Bundle.Registry, nil)
	if o.Challenge != "" {
		for i := range res.Credentials {
			if res.Credentials[i].Code == "nonce_mismatch" {
				res.Credentials[i].Code = CodeChallengeNeeded
				if res.Code == "nonce_mismatch" {
					res.Code = CodeChallengeNeeded
				}
			}
		}
	}
	return res
}

// mayHaveSpace reports whether strings.Fields could split s: an ASCII
// blank or any non-ASCII byte (Unicode spaces) in it.
func mayHaveSpace(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ' ', c >= '\t' && c <= '\r', c >= 0x80:
			return true
		}
	}
	return false
}

// anyQuery is the purpose of a proximity check without one: one query
// accepting the presented credentials' types and asking for exactly the
// top-level claims they all disclose (read here unverified, only to build
// the query; the presentations are verified after): shown in person, what
// the holder chose to show is kept.
func anyQuery(pres []string) *Purpose {
	cq := oid4vp.CredentialQuery{ID: "proximity", Format: oid4vp.FormatSDJWTVC, Multiple: len(pres) > 1, Meta: oid4vp.Meta{VCTValues: vctsOf(pres)}}
	// Claims every presentation discloses (a claims query without
	// claim_sets must be met by each).
	count := map[string]int{}
	var order []string
	for _, p := range pres {
		tok, err := sdjwt.Parse(p, sdjwt.Limits{})
		if err != nil {
			continue
		}
		c, err := oid4vp.NewSDJWTCredential(tok)
		if err != nil {
			continue
		}
		seen := map[string]bool{}
		for _, sp := range c.SDPaths {
			if name, ok := sp[0].(string); ok && !seen[name] {
				seen[name] = true
				if count[name] == 0 {
					order = append(order, name)
				}
				count[name]++
			}
		}
	}
	for _, name := range order {
		if count[name] == len(pres) && len(cq.Claims) < oid4vp.MaxClaimsPerQuery {
			cq.Claims = append(cq.Claims, oid4vp.ClaimQuery{ID: fmt.Sprintf("c%d", len(cq.Claims)), Path: oid4vp.ClaimPath{name}})
		}
	}
	q := &oid4vp.Query{Credentials: []oid4vp.CredentialQuery{cq}}
	return &Purpose{ID: "proximity", Names: map[string]string{"en": "Proximity check"}, Policy: "basic-services", query: q}
}

func vctsOf(pres []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range pres {
		v := jwtField(strings.SplitN(p, "~", 2)[0], "vct")
		if v == "" {
			v = "unknown"
		}
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func jwtField(compact, name string) string {
	j, err := jose.ParseLimited(compact, MaxProximityLen)
	if err != nil {
		return ""
	}
	var m map[string]any
	if json.Unmarshal(j.Payload, &m) != nil {
		return ""
	}
	s, _ := m[name].(string)
	return s
}

func kbField(pres, name string) string {
	i := strings.LastIndexByte(pres, '~')
	if i < 0 {
		return ""
	}
	return jwtField(pres[i+1:], name)
}

// defaultCatalogue is the embedded catalogue, loaded once.
var defaultCatalogue = sync.OnceValues(schemas.Load)

// ErrBundleStale: an offline bundle whose registry snapshot is past its
// expiry, refused unless the caller accepts it knowingly.
var ErrBundleStale = errors.New("verifier: the offline bundle is past its expiry")

// LoadOfflineBundle verifies an offline bundle at now with no network
// (status list issuers resolved only from did:jwk and did:key). A bundle
// whose snapshot has expired is ErrBundleStale, unless acceptStale: it is
// then verified as of just before its expiry (signatures and everything
// else still checked) and reported stale.
func LoadOfflineBundle(ctx context.Context, raw []byte, pinned []*jose.JWK, now time.Time, acceptStale bool) (*trust.Bundle, bool, error) {
	opts := trust.BundleOptions{Resolve: vccheck.OfflineResolver(&did.Resolver{HTTPClient: offlineHTTP}).ResolveKey}
	b, err := trust.LoadBundle(ctx, raw, pinned, now, opts)
	if err == nil || !errors.Is(err, trust.ErrSnapshotExpired) {
		return b, false, err
	}
	exp, ok := bundleExpiry(raw)
	if !ok {
		return nil, false, err
	}
	if !acceptStale {
		return nil, false, fmt.Errorf("%w (expired %s)", ErrBundleStale, exp.UTC().Format(time.RFC3339))
	}
	b, err = trust.LoadBundle(ctx, raw, pinned, exp.Add(-time.Second), opts)
	if err != nil {
		return nil, false, err
	}
	b.Age = now.Sub(b.Created)
	return b, true, nil
}

// bundleExpiry reads, without verifying, the exp of a bundle's snapshot
// (only to verify it again as of that time).
func bundleExpiry(raw []byte) (time.Time, bool) {
	var bj struct {
		Snapshot string `json:"snapshot"`
	}
	if json.Unmarshal(raw, &bj) != nil {
		return time.Time{}, false
	}
	j, err := jose.ParseLimited(bj.Snapshot, trust.MaxSnapshotLen)
	if err != nil {
		return time.Time{}, false
	}
	var p struct {
		Exp int64 `json:"exp"`
	}
	if json.Unmarshal(j.Payload, &p) != nil || p.Exp == 0 {
		return time.Time{}, false
	}
	return time.Unix(p.Exp, 0), true
}
