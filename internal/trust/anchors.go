package trust

import (
	"bytes"
	"crypto/sha1"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"time"
)

// X.509 trust anchors of registered entities.
//
// EUDI Wallet ecosystems trust X.509 only: a PID's x5c chain must end at a
// PID Provider anchor published in an ETSI TS 119 602 List of Trusted
// Entities (HAIP 1.0 §6.1.1; ARF OIA_12), and QEAA providers are anchored
// in ETSI TS 119 612 trusted lists. An Entity imported from such a list
// carries its anchors here, each with the context it may be used for, a
// status history and the list that last stated it. The anchors are plain
// data (DER, SKI, context): path validation lives elsewhere
// (internal/x509trust), which takes them as its anchors.

// AnchorContext says what an anchor may be used for.
type AnchorContext string

// Anchor contexts.
const (
	// AnchorPID anchors PID signing certificates (TS 119 602 Annex D,
	// service type …/SvcType/PID/Issuance).
	AnchorPID AnchorContext = "pid"
	// AnchorPIDStatus anchors the signers of PID status lists
	// (…/SvcType/PID/Revocation).
	AnchorPIDStatus AnchorContext = "pid-status"
	// AnchorQEAA anchors qualified EAA providers (TS 119 612 trusted lists).
	AnchorQEAA AnchorContext = "qeaa"
	// AnchorAccess anchors relying-party access certificates.
	AnchorAccess AnchorContext = "access"
)

// ValidAnchorContext reports whether c is one of the four contexts.
func ValidAnchorContext(c AnchorContext) bool {
	return c == AnchorPID || c == AnchorPIDStatus || c == AnchorQEAA || c == AnchorAccess
}

// AnchorStatus is an anchor's standing.
type AnchorStatus string

// Anchor statuses.
const (
	AnchorTrusted AnchorStatus = "trusted"
	AnchorRevoked AnchorStatus = "revoked"
)

// AnchorStatusChange is one entry of an anchor's history: from At on the
// anchor had Status, as the list of Sequence said (or, for a revocation
// because the anchor left the list, as the import of that list found).
type AnchorStatusChange struct {
	Status   AnchorStatus `json:"status"`
	At       time.Time    `json:"at"`
	Reason   string       `json:"reason,omitempty"`
	Sequence uint64       `json:"sequence,omitempty"`
}

// ListSource names the list a statement comes from: its location, its
// sequence number and issue time.
type ListSource struct {
	URL      string    `json:"url,omitempty"`
	Sequence uint64    `json:"sequence"`
	IssuedAt time.Time `json:"issued_at"`
}

// X509Anchor is one trust anchor of an entity. DER is the certificate as
// the list published it; SKI the lowercase hex of its subject key
// identifier (the extension, or RFC 5280 §4.2.1.2 method 1 when absent).
// Flags record what an import had to tolerate ("service_type_missing",
// "unsigned_list", …). Status is the last entry of History.
type X509Anchor struct {
	DER         []byte               `json:"der"`
	SKI         string               `json:"ski"`
	Context     AnchorContext        `json:"context"`
	ServiceType string               `json:"service_type,omitempty"`
	Flags       []string             `json:"flags,omitempty"`
	Status      AnchorStatus         `json:"status"`
	History     []AnchorStatusChange `json:"history"`
	Source      ListSource           `json:"source"`
}

// EntityList records that an entity was imported from a trusted list, and
// how it is recognized there on the next import.
type EntityList struct {
	// Format is "etsi-119602" (LoTE) or "etsi-119612" (trusted list).
	Format string `json:"format"`
	// Type is the LoTEType or TSLType URI, Territory its scheme territory.
	Type      string `json:"type"`
	Territory string `json:"territory,omitempty"`
	// Key is the entity's name in the list (its English TEName or TSPName).
	Key    string     `json:"key"`
	Source ListSource `json:"source"`
}

// Bounds on anchors.
const (
	MaxAnchors     = 64
	MaxAnchorDER   = 16 << 10
	MaxAnchorFlags = 8
)

// SKIOf returns the lowercase hex subject key identifier of cert: its
// extension, or the SHA-1 of its subjectPublicKey bits (RFC 5280 §4.2.1.2,
// method 1) when it has none.
func SKIOf(cert *x509.Certificate) string {
	if len(cert.SubjectKeyId) > 0 {
		return hex.EncodeToString(cert.SubjectKeyId)
	}
	var spki struct {
		Algorithm asn1.RawValue
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(cert.RawSubjectPublicKeyInfo, &spki); err != nil {
		return ""
	}
	sum := sha1.Sum(spki.PublicKey.Bytes)
	return hex.EncodeToString(sum[:])
}

// StatusAt returns the anchor's status at t, or "" before its first entry.
func (a *X509Anchor) StatusAt(t time.Time) AnchorStatus {
	var s AnchorStatus
	for _, c := range a.History {
		if c.At.After(t) {
			break
		}
		s = c.Status
	}
	return s
}

// RevokedAt returns when the anchor was last revoked, if it is revoked now.
func (a *X509Anchor) RevokedAt() (time.Time, bool) {
	if n := len(a.History); n > 0 && a.History[n-1].Status == AnchorRevoked {
		return a.History[n-1].At, true
	}
	return time.Time{}, false
}

func (a *X509Anchor) validate(did string) error {
	if len(a.DER) == 0 || len(a.DER) > MaxAnchorDER {
		return invalid("entity %s: anchor certificate empty or larger than %d bytes", did, MaxAnchorDER)
	}
	cert, err := x509.ParseCertificate(a.DER)
	if err != nil {
		return invalid("entity %s: anchor is not a certificate: %v", did, err)
	}
	if a.SKI != SKIOf(cert) {
		return invalid("entity %s: anchor ski %q is not the certificate's (%s)", did, a.SKI, SKIOf(cert))
	}
	if !ValidAnchorContext(a.Context) {
		return invalid("entity %s: anchor context %q", did, a.Context)
	}
	if len(a.ServiceType) > MaxStringLen || len(a.Source.URL) > MaxStringLen || len(a.Flags) > MaxAnchorFlags {
		return invalid("entity %s: anchor service type, source or flags too long", did)
	}
	for _, f := range a.Flags {
		if f == "" || len(f) > 64 {
			return invalid("entity %s: anchor flag %q", did, f)
		}
	}
	if len(a.History) == 0 || len(a.History) > MaxHistory {
		return invalid("entity %s: anchor needs 1–%d history entries", did, MaxHistory)
	}
	for i, c := range a.History {
		if (c.Status != AnchorTrusted && c.Status != AnchorRevoked) || len(c.Reason) > MaxStringLen {
			return invalid("entity %s: anchor history entry %d", did, i)
		}
		if i > 0 && c.At.Before(a.History[i-1].At) {
			return invalid("entity %s: anchor history out of order", did)
		}
	}
	if a.Status != a.History[len(a.History)-1].Status {
		return invalid("entity %s: anchor status disagrees with its history", did)
	}
	return nil
}

func (l *EntityList) validate(did string) error {
	if l.Format != "etsi-119602" && l.Format != "etsi-119612" {
		return invalid("entity %s: list format %q", did, l.Format)
	}
	if l.Type == "" || l.Key == "" || len(l.Type) > MaxStringLen || len(l.Key) > MaxStringLen ||
		len(l.Territory) > 8 || len(l.Source.URL) > MaxStringLen {
		return invalid("entity %s: list source needs a type and key within bounds", did)
	}
	return nil
}

func (e *Entity) validateAnchors() error {
	if len(e.X509Anchors) > MaxAnchors {
		return invalid("entity %s: more than %d anchors", e.DID, MaxAnchors)
	}
	for i := range e.X509Anchors {
		a := &e.X509Anchors[i]
		if err := a.validate(e.DID); err != nil {
			return err
		}
		for _, b := range e.X509Anchors[:i] {
			if b.Context == a.Context && bytes.Equal(b.DER, a.DER) {
				return invalid("entity %s: anchor %s listed twice for %s", e.DID, a.SKI, a.Context)
			}
		}
	}
	if e.List != nil {
		return e.List.validate(e.DID)
	}
	return nil
}

// Reason codes of AnchorDecision.
const (
	ReasonAnchorTrusted       = "anchor_trusted"
	ReasonUnknownAnchor       = "unknown_anchor"
	ReasonAnchorNotYetTrusted = "anchor_not_trusted_at_time"
	ReasonAnchorRevokedAtTime = "anchor_revoked_at_time"
)

// AnchorDecision answers "was this certificate a trusted anchor for
// context at time t?". Entity and Anchor are set whenever the anchor was
// found. CurrentStatus is the anchor's status now (its last history
// entry), so a verifier can say "trusted at iat, revoked now"; RevokedAt is
// when, if it is revoked now.
type AnchorDecision struct {
	Trusted       bool
	Reason        string
	Entity        *Entity
	Anchor        *X509Anchor
	CurrentStatus AnchorStatus
	RevokedAt     time.Time
}

// AnchorTrustedAt answers whether the certificate der was a trusted anchor
// for ctx at at. The anchor's history decides, and the entity holding it
// must pass the checks every question makes (never revoked as
// compromised, inside its validity window and active at at); an anchor
// that left its list is revoked from the import that found it gone, so a
// credential signed before then keeps its answer. The certificate is
// matched byte for byte.
func (r *Registry) AnchorTrustedAt(der []byte, ctx AnchorContext, at time.Time) (AnchorDecision, error) {
	if len(der) == 0 || !ValidAnchorContext(ctx) || at.IsZero() {
		return AnchorDecision{}, errors.Join(ErrBadQuery, errors.New("trust: anchor question needs a certificate, a context and a time"))
	}
	var d AnchorDecision
	d.Reason = ReasonUnknownAnchor
	for i := range r.Entities {
		e := &r.Entities[i]
		for j := range e.X509Anchors {
			a := &e.X509Anchors[j]
			if a.Context != ctx || !bytes.Equal(a.DER, der) {
				continue
			}
			cand := AnchorDecision{Entity: e, Anchor: a, CurrentStatus: a.Status}
			cand.RevokedAt, _ = a.RevokedAt()
			switch a.StatusAt(at) {
			case AnchorTrusted:
				ed, ok := r.checkEntityAt(e.DID, e.Role, at)
				if ok {
					cand.Trusted, cand.Reason = true, ReasonAnchorTrusted
					return cand, nil
				}
				cand.Reason = ed.Reason
			case AnchorRevoked:
				cand.Reason = ReasonAnchorRevokedAtTime
			default:
				cand.Reason = ReasonAnchorNotYetTrusted
			}
			d = cand
		}
	}
	return d, nil
}

// AnchorRef is an anchor as a path validator takes it: plain data.
type AnchorRef struct {
	DER     []byte
	SKI     string
	Context AnchorContext
	// EntityDID names the entity holding it.
	EntityDID string
}

// AnchorsAt returns the anchors for ctx that were trusted at at, in
// registry order, for a path validator to build its anchor set from. The
// caller still asks AnchorTrustedAt about the anchor a chain closed on, to
// explain the answer.
func (r *Registry) AnchorsAt(ctx AnchorContext, at time.Time) []AnchorRef {
	var out []AnchorRef
	for i := range r.Entities {
		e := &r.Entities[i]
		if len(e.X509Anchors) == 0 {
			continue
		}
		if _, ok := r.checkEntityAt(e.DID, e.Role, at); !ok {
			continue
		}
		for _, a := range e.X509Anchors {
			if a.Context == ctx && a.StatusAt(at) == AnchorTrusted {
				out = append(out, AnchorRef{DER: slices.Clone(a.DER), SKI: a.SKI, Context: a.Context, EntityDID: e.DID})
			}
		}
	}
	return out
}

// vctMatches reports whether an authorization's vct covers vct: equal, or
// a pattern "<prefix>:*" covering every vct that starts with "<prefix>:"
// and goes on ("urn:eudi:pid:*" covers "urn:eudi:pid:1" and
// "urn:eudi:pid:de:1").
func vctMatches(pattern, vct string) bool {
	if pattern == vct {
		return true
	}
	prefix, ok := strings.CutSuffix(pattern, "*")
	return ok && strings.HasSuffix(prefix, ":") && len(vct) > len(prefix) && strings.HasPrefix(vct, prefix)
}

// hasAnchors reports whether any entity carries X.509 anchors, which makes
// a snapshot format 2.
func (r *Registry) hasAnchors() bool {
	for i := range r.Entities {
		if len(r.Entities[i].X509Anchors) > 0 || r.Entities[i].List != nil {
			return true
		}
	}
	return false
}
