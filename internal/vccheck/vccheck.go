// Package vccheck is the verification pipeline for one presented SD-JWT VC:
// the cryptographic and format checks of internal/sdjwtvc, then the trust
// registry (DESIGN.md §4: was the issuer authorized for this vct at the
// credential's iat?) and the credential's status in its Token Status List
// (draft-ietf-oauth-status-list-21 §8.3), from an offline bundle, or fetched
// through an injected function or a statuslist.Cache (reused while
// the token's ttl, §5.1, and exp allow).
//
// It owns the mapping of those outcomes to distinct errors, so a CLI and a
// caseworker console report the same thing: invalid, untrusted, not
// authorized, revoked, suspended. It also owns when the network may be
// used: trust is decided before a DID is resolved, so an untrusted
// did:web issuer never makes the verifier contact its host, and Offline
// means no network contact at all. NewReport turns an outcome into what
// a desk shows (Report): one plain message with what to do, claims with
// the catalogue's labels (schemas), withheld claims and elements, the
// evidence as claimed and as capped by the registry (DESIGN.md §3), the
// status check and the registry's freshness.
//
// X.509 issuers (OpenID4VC HAIP 1.0 §6.1.1, §6.1; ETSI TS 119 602 lists
// imported into the registry): an issuer key taken from x5c must chain to
// a pinned anchor or to an anchor a registry entity holds; for the latter
// the registry says whether the anchor was trusted at the credential's
// iat (AnchorTrustedAt) and the entity authorized for the vct then. The
// chain's CRLs are checked (x509trust.CRLChecker; unknown never refuses),
// the signing certificate is reported against ETSI TS 119 412-6, and the
// PID profile (PIDProfile) holds a PID to the header type, vct, digest
// algorithm and x5c-only rules, strict or lenient. How iss relates to the
// signing certificate is reported (IssuerBinding; SD-JWT VC §3.5).
//
// For jpt credentials (internal/jptvc) it owns the registry side of the
// issuer's BBS key (bbskey.go): BBSIssuerKey finds it among the issuer
// entity's registered keys by the Issuer Header's kid, BBSKeyAuthorized
// says whether it was the entity's authorized key for the vct on the day
// of iat.
package vccheck

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/sdjwt"
	"github.com/cairn-id/cairn/internal/sdjwtvc"
	"github.com/cairn-id/cairn/internal/statuslist"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/internal/x509trust"
)

// Outcomes beyond those of sdjwtvc and sdjwt.
var (
	ErrNotAuthorized     = errors.New("vccheck: issuer not authorized for this credential type at issuance")
	ErrRevoked           = errors.New("vccheck: credential revoked")
	ErrSuspended         = errors.New("vccheck: credential suspended")
	ErrStatusUnavailable = errors.New("vccheck: credential status could not be checked")
	// ErrIssuerCompromised reports an issuer the registry revoked as
	// compromised; it comes with sdjwtvc.ErrUntrustedIssuer, and
	// Outcome.Compromise says since when.
	ErrIssuerCompromised = errors.New("vccheck: the issuer's key was reported compromised")
	// ErrNeedsNetwork reports a DID (did:web) whose key only the network
	// could give while verification is offline; it comes wrapped in
	// sdjwtvc.ErrIssuerKey.
	ErrNeedsNetwork = errors.New("vccheck: DID cannot be resolved offline")
)

// Options say what to trust and where statuses come from.
type Options struct {
	// Registry, when set, decides which issuers are trusted and for what:
	// every issuer entity that was never revoked as compromised is trusted
	// for its key, and must have been authorized for the vct at iat.
	Registry *trust.Registry
	// Bundle, when set, supplies the registry (unless Registry is set)
	// and the status lists, offline.
	Bundle *trust.Bundle
	// FetchStatusList fetches a Status List Token by URI when the bundle
	// lacks it; nil means offline: a credential with a status reference
	// that cannot be checked fails with ErrStatusUnavailable.
	FetchStatusList func(ctx context.Context, uri string) (string, error)
	// StatusLists, when set, is where status lists come from instead of
	// FetchStatusList: a cache of verified tokens by URI and issuer that
	// keeps each as long as its ttl and exp allow (its Fetch fetches),
	// so that the copies of a credential, or the credentials of one
	// presentation, on one list cost one fetch.
	StatusLists *statuslist.Cache
	// Offline forbids every network contact: no status list is fetched
	// (FetchStatusList is ignored) and no DID is resolved over the network.
	Offline bool
	// Credential are the sdjwtvc options; their Trust is extended with the
	// registry's issuers.
	Credential sdjwtvc.VerifyOptions
	// PIDProfile holds the credential to the EU PID rules (see PIDProfile).
	// Strict also sets the x5c-only policy and refuses typ vc+sd-jwt.
	PIDProfile PIDProfile
	// CRL, when set, checks the certificates of an x5c path against their
	// CRLs (unless Offline).
	CRL *x509trust.CRLChecker
	// SkipUndisclosed leaves Outcome.Undisclosed nil (counting it parses
	// the presentation a second time), for a caller that does not show it.
	SkipUndisclosed bool
}

// Outcome is what a verification found, also on failure where known.
type Outcome struct {
	Result   *sdjwtvc.Result
	Decision *trust.Decision // set when a registry was consulted
	// Status is "valid", "revoked", "suspended", "status 0x03" …, or ""
	// when the credential carries no status reference.
	Status string
	// StatusFrom says where the status came from: "bundle" or the URI.
	StatusFrom string
	// StatusURI is the status list the credential points at, when it
	// carries a status reference; StatusListIssuedAt is when the list
	// that was read (or the bundled copy that was not usable) was issued,
	// zero when none was held.
	StatusURI          string
	StatusListIssuedAt time.Time
	// StatusFetchedAt is when the list read was fetched (for this call,
	// or earlier by Options.StatusLists); zero for a bundled list.
	StatusFetchedAt time.Time
	// Compromise is the registry's revocation of the issuer as
	// compromised, when that is why it is not trusted.
	Compromise *trust.StatusChange
	// Registry is the registry consulted, if any.
	Registry *trust.Registry
	// Undisclosed counts, by JSON Pointer of each object and array of the
	// credential, the digests no presented disclosure answers (withheld or
	// decoys); set when the credential verified far enough to be read.
	Undisclosed map[string]int
	// PresentedNonce and PresentedAudience are what the key binding JWT
	// carried, set on a nonce or audience mismatch.
	PresentedNonce, PresentedAudience string
	// Chain is the validated x5c path (leaf, intermediates, the anchor it
	// closed on) when the issuer key came from x5c.
	Chain *x509trust.Path
	// CertProfile is the TS 119 412-6 report on the signing certificate of
	// a validated x5c path; Revocation its CRL check, when one was made.
	CertProfile *x509trust.ProfileReport
	Revocation  *x509trust.RevocationReport
	// Anchor is the registry's answer about the anchor the chain closed
	// on, when it is a registry entity's (trusted at iat, revoked now …).
	Anchor *trust.AnchorDecision
	// IssuerBinding is how iss relates to the signing certificate, when
	// the key came from a validated x5c chain (see IssuerBinding).
	IssuerBinding *IssuerBinding
	// PID is the PID profile's report on the header and payload, when a
	// profile other than off was applied.
	PID *PIDReport
	// Warnings are departures accepted (lenient mode) or noticed.
	Warnings []string
}

// Verify runs the whole pipeline.
func Verify(ctx context.Context, serialized string, o Options) (*Outcome, error) {
	reg := o.Registry
	if reg == nil && o.Bundle != nil {
		reg = o.Bundle.Registry
	}
	copts := o.Credential
	out := &Outcome{Registry: reg}
	if err := applyPIDProfile(serialized, o, out); err != nil {
		return out, err
	}
	switch o.PIDProfile {
	case PIDProfileStrict:
		copts.Trust.X509.Only = true
		copts.AcceptLegacyTyp = false
		copts.HashAlgs = PIDHashAlgs
	case PIDProfileLenient:
		copts.AcceptLegacyTyp = true
	}
	// A copy, so the caller's slice is never appended to.
	trusted := append([]string(nil), copts.Trust.TrustedDIDs...)
	if reg != nil {
		for _, e := range reg.Entities {
			if e.Role == trust.RoleIssuer && !e.Compromised() {
				trusted = append(trusted, e.DID)
			}
		}
	}
	copts.Trust.TrustedDIDs = trusted
	if reg != nil {
		// Entities anchored by X.509 (imported trusted lists): their
		// anchors close x5c chains; Authorize then asks whether the anchor
		// was trusted at iat and its entity authorized for the vct.
		if set := withRegistryAnchors(copts.Trust.X509.Anchors, reg); set != nil {
			copts.Trust.X509.Anchors = set
		}
	}
	var g *guard
	if copts.Trust.Resolver != nil {
		g = &guard{next: copts.Trust.Resolver, trusted: make(map[string]bool, len(trusted)), pinned: copts.Trust.PinnedKeys, offline: o.Offline}
		for _, d := range trusted {
			g.trusted[d] = true
		}
		copts.Trust.Resolver = g
	}
	prev := copts.Trust.Authorize
	copts.Trust.Authorize = func(ctx context.Context, r *sdjwtvc.Result) error {
		if err := checkHolder(r); err != nil {
			return err
		}
		if prev != nil {
			if err := prev(ctx, r); err != nil {
				return err
			}
		}
		if reg == nil {
			return nil
		}
		issuer := r.Issuer
		if did := registryAnchorEntity(r.Key.Chain); did != "" {
			a := r.Key.Chain.Anchor
			ad, err := reg.AnchorTrustedAt(a.DER, trust.AnchorPID, r.IssuedAt)
			if err != nil {
				return fmt.Errorf("%w: %v", ErrNotAuthorized, err)
			}
			out.Anchor = &ad
			if !ad.Trusted {
				return fmt.Errorf("%w: %w: the registry's anchor %q was not trusted for PIDs at iat %s (%s)", sdjwtvc.ErrUntrustedIssuer, sdjwtvc.ErrUntrustedChain,
					a.Name, r.IssuedAt.Format(time.RFC3339), ad.Reason)
			}
			if ad.CurrentStatus == trust.AnchorRevoked {
				out.Warnings = append(out.Warnings, fmt.Sprintf("the anchor %q was trusted at iat (%s) and has been revoked since %s", a.Name,
					r.IssuedAt.Format("2006-01-02"), ad.RevokedAt.UTC().Format("2006-01-02")))
			}
			issuer = did
		}
		d, err := reg.IssuerAuthorized(issuer, r.VCT, r.IssuedAt)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrNotAuthorized, err)
		}
		out.Decision = &d
		if !d.Authorized {
			return fmt.Errorf("%w: %s", ErrNotAuthorized, d.Reason)
		}
		return nil
	}
	res, err := sdjwtvc.Verify(ctx, serialized, copts)
	out.Result = res
	if res != nil {
		out.Chain = res.Key.Chain
		out.Warnings = append(out.Warnings, res.Warnings...)
		if out.Chain != nil {
			out.IssuerBinding = bindIssuer(out.Chain.Leaf(), res.Issuer)
			if w := out.IssuerBinding.Warning(); w != "" {
				out.Warnings = append(out.Warnings, w)
			}
		}
		if err == nil && out.Chain != nil {
			err = checkChain(ctx, out.Chain, o, out)
		}
	}
	if res != nil && !o.SkipUndisclosed {
		out.Undisclosed = undisclosed(serialized)
	}
	if errors.Is(err, sdjwt.ErrNonce) || errors.Is(err, sdjwt.ErrAudience) {
		out.PresentedNonce, out.PresentedAudience = presentedKB(serialized)
	}
	if err != nil {
		if g != nil && g.refused != nil && errors.Is(err, sdjwtvc.ErrIssuerKey) && !errors.Is(err, g.refused) {
			// sdjwtvc flattened the guard's refusal into ErrIssuerKey.
			err = g.refused
		}
		if errors.Is(err, sdjwtvc.ErrUntrustedIssuer) && reg != nil {
			iss := ""
			if res != nil {
				iss = res.Issuer
			} else if g != nil {
				iss = g.refusedDID
			}
			if c := compromise(reg, iss); c != nil {
				out.Compromise = c
				err = fmt.Errorf("%w on %s (%s): %w", ErrIssuerCompromised, c.At.UTC().Format("2006-01-02"), orNone(c.Reason), err)
			}
		}
		return out, err
	}
	if res.Status == nil {
		return out, nil
	}
	if _, ok := res.Status["status_list"]; !ok {
		return out, nil
	}
	ref, err := statuslist.ParseReference(res.Status)
	if err != nil {
		return out, fmt.Errorf("%w: %v", ErrStatusUnavailable, err)
	}
	out.StatusURI = ref.URI
	status, from, err := lookupStatus(ctx, ref, res, o, copts, out)
	if err != nil {
		return out, err
	}
	out.StatusFrom = from
	out.Status, err = StatusOf(status)
	return out, err
}

func lookupStatus(ctx context.Context, ref statuslist.Reference, res *sdjwtvc.Result, o Options, copts sdjwtvc.VerifyOptions, out *Outcome) (uint8, string, error) {
	if o.Bundle != nil {
		if t, ok := o.Bundle.StatusListIssuedAt(ref.URI); ok {
			out.StatusListIssuedAt = t
		}
		s, held, err := statuslist.OfflineStatus(o.Bundle, ref)
		if err != nil {
			return 0, "", fmt.Errorf("%w: %v", ErrStatusUnavailable, err)
		}
		if held {
			return s, "bundle", nil
		}
	}
	if o.FetchStatusList == nil && o.StatusLists == nil || o.Offline {
		return 0, "", fmt.Errorf("%w: %s is not in the bundle and fetching is off", ErrStatusUnavailable, ref.URI)
	}
	verify := func(tok string) (*statuslist.Token, error) {
		return VerifyStatusList(ctx, tok, res.Issuer, ref.URI, copts)
	}
	var t *statuslist.Token
	if o.StatusLists != nil {
		got, err := o.StatusLists.Get(ctx, ref.URI, res.Issuer, verify)
		if err != nil {
			if !errors.Is(err, ErrStatusUnavailable) {
				err = fmt.Errorf("%w: fetch %s: %v", ErrStatusUnavailable, ref.URI, err)
			}
			return 0, "", err
		}
		t, out.StatusFetchedAt = got.Token, got.FetchedAt
	} else {
		tok, err := o.FetchStatusList(ctx, ref.URI)
		if err != nil {
			return 0, "", fmt.Errorf("%w: fetch %s: %v", ErrStatusUnavailable, ref.URI, err)
		}
		out.StatusFetchedAt = time.Now()
		if copts.Now != nil {
			out.StatusFetchedAt = copts.Now()
		}
		if t, err = verify(tok); err != nil {
			return 0, "", err
		}
	}
	out.StatusListIssuedAt = t.IssuedAt
	s, err := t.List.Get(ref.Index)
	if err != nil {
		return 0, "", fmt.Errorf("%w: %v", ErrStatusUnavailable, err)
	}
	return s, ref.URI, nil
}

// VerifyStatusList verifies the Status List Token tok fetched from uri
// for a credential of issuer iss (§8.3): the list must be signed by the
// credential's issuer, its key found the way the credential's was
// (copts.Trust.StatusListKey: by x5c to pid-status anchors for an X.509
// issuer), and its sub must be uri. Failures are
// ErrStatusUnavailable.
func VerifyStatusList(ctx context.Context, tok, iss, uri string, copts sdjwtvc.VerifyOptions) (*statuslist.Token, error) {
	j, err := jose.ParseLimited(tok, statuslist.MaxTokenLen)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrStatusUnavailable, err)
	}
	if copts.Now == nil {
		return nil, fmt.Errorf("%w: no clock", ErrStatusUnavailable)
	}
	key, _, _, err := copts.Trust.StatusListKey(ctx, iss, j.Header, copts.Now())
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrStatusUnavailable, err)
	}
	pub, err := key.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrStatusUnavailable, err)
	}
	t, err := statuslist.VerifyToken(tok, statuslist.VerifyOptions{Key: pub, Now: copts.Now, ExpectedSubject: uri, ClockSkew: time.Minute})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrStatusUnavailable, err)
	}
	return t, nil
}

// StatusOf names a status value (§7.1) as Verify reports it in
// Outcome.Status, with the error Verify returns for it: "valid" (nil),
// "revoked" (ErrRevoked), "suspended" (ErrSuspended), or "status 0xNN"
// (ErrStatusUnavailable: values from 0x03 are application-specific and
// Cairn assigns none, so an unknown one is not taken as valid).
func StatusOf(status uint8) (string, error) {
	switch status {
	case statuslist.StatusValid:
		return "valid", nil
	case statuslist.StatusInvalid:
		return "revoked", ErrRevoked
	case statuslist.StatusSuspended:
		return "suspended", ErrSuspended
	}
	return fmt.Sprintf("status 0x%02x", status), fmt.Errorf("%w: unknown status value 0x%02x", ErrStatusUnavailable, status)
}

// compromise returns the revocation that marked the issuer entity did
// as compromised, or nil.
func compromise(reg *trust.Registry, did string) *trust.StatusChange {
	e := reg.Entity(did)
	if e == nil || e.Role != trust.RoleIssuer {
		return nil
	}
	for i := range e.StatusHistory {
		c := e.StatusHistory[i]
		if c.Status == trust.StatusRevoked && c.Compromised {
			return &c
		}
	}
	return nil
}

func orNone(reason string) string {
	if reason == "" {
		return "no reason given"
	}
	return reason
}
