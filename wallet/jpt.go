package wallet

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/jptvc"
	"github.com/cairn-id/cairn/internal/jwp"
	"github.com/cairn-id/cairn/internal/oid4vci"
	"github.com/cairn-id/cairn/internal/oid4vp"
	"github.com/cairn-id/cairn/internal/vccheck"
)

// The experimental jpt format (internal/jptvc; Cairn-defined, not an
// OpenID4VC format identifier): a JSON Proof Token signed with BBS. The
// wallet keeps one copy, since each presentation is a fresh zero-knowledge
// proof that shares no bytes with another beyond the issuer header and the
// disclosed values; and there is no holder key, so a presentation is a
// bearer token until the verifier's nonce expires (the consent view says
// so, NoticeNoHolderBinding).

// FormatJPT is the Format of a stored jpt credential ("" or
// oid4vci.FormatSDJWTVC is an SD-JWT VC).
const FormatJPT = jptvc.Format

// acceptJPT runs the pre-authorized code flow for a jpt configuration: a
// credential request without a key proof (the configuration lists no
// proof types), one credential, verified (BBS signature under the
// registered issuer key, the issuer's authority for the type at iat,
// schema) and stored sealed as one copy under the holder's key keyIndex
// (no binding to it: the index only files it).
func (s *Service) acceptJPT(ctx context.Context, sess *Session, o *pendingOffer, txCode string, po *PendingOffer, keyIndex int) (*Accepted, error) {
	c := s.vciClient()
	is, err := c.RunPreAuthorized(ctx, oid4vci.PreAuthorizedRequest{Offer: o.Offer, TxCode: txCode, ConfigurationID: o.ConfigID})
	if err != nil {
		if code := oid4vci.ErrorCode(err); code == "invalid_grant" && o.Offer.PreAuthorized().TxCode != nil {
			s.putBack(ctx, sess, po)
			return nil, fmt.Errorf("%w: %w", ErrTxCode, err)
		}
		return nil, fmt.Errorf("%w: %w", ErrIssuance, err)
	}
	if len(is.Credentials) != 1 {
		return nil, fmt.Errorf("%w: asked for one jpt credential, got %d", ErrIssuance, len(is.Credentials))
	}
	compact := is.Credentials[0]
	if len(compact) > MaxCredentialLen {
		return nil, fmt.Errorf("%w: credential too large", ErrCredentialInvalid)
	}
	st, err := s.openJPT(compact, o)
	if err != nil {
		return nil, err
	}
	stored, err := s.PutCredentials(ctx, sess, []Credential{{KeyIndex: keyIndex, Format: FormatJPT, IssuerKey: did.FromBBSKey(st.Key), VCT: st.Type.VCT,
		IssuerDID: st.Issuer, IssuedAt: st.IssuedAt, ExpiresAt: st.ExpiresAt, Compact: compact}})
	if err != nil {
		return nil, err
	}
	out := &Accepted{Group: stored[0].Group, IDs: []string{stored[0].ID}, KeyIndices: []int{keyIndex}, VCT: o.VCT,
		IssuerDID: st.Issuer, IssuerName: o.IssuerName, Trusted: o.Trusted, Format: FormatJPT}
	n := notice(NoticeNoHolderBinding, o.Lang)
	out.Note = &n
	note := "jpt credential (no holder binding)"
	if !o.Trusted {
		note += "; issuer not trusted by the registry; accepted after a warning"
	}
	if _, err := s.AppendLog(ctx, sess, LogEntry{Event: EventOfferAccepted, PartyName: o.IssuerName, PartyID: st.Issuer,
		CredentialTypes: []string{o.VCT}, CredentialIDs: out.IDs, Note: note}); err != nil {
		return nil, err
	}
	_ = c.Notify(ctx, is, oid4vci.EventCredentialAccepted, "")
	return out, nil
}

// openJPT verifies an issued jpt credential for the offer o: the
// issuer's BBS key from the registry (a further key of the issuer entity
// named by iss, vccheck.BBSIssuerKey), the key and the issuer's authority
// for the type at iat (vccheck.BBSKeyAuthorized), the offered type and
// issuer, the schema. A BBS key is found only in the registry, so a jpt
// credential from an issuer the registry does not know is refused even
// after the untrusted-issuer warning.
func (s *Service) openJPT(compact string, o *pendingOffer) (*jptvc.Stored, error) {
	reg := s.registry()
	if reg == nil {
		return nil, fmt.Errorf("%w: a jpt credential's key is found only in the registry, and there is none", ErrCredentialInvalid)
	}
	key := func(iss, kid string) (*jwp.PublicKey, error) { return vccheck.BBSIssuerKey(reg, iss, kid) }
	st, err := jptvc.Open(s.cfg.Flows.Catalogue, compact, key)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCredentialInvalid, err)
	}
	if o.IssuerDID != "" && st.Issuer != o.IssuerDID {
		return nil, fmt.Errorf("%w: issued by another issuer than the registered issuer of the offer", ErrCredentialInvalid)
	}
	if st.Type.VCT != o.VCT {
		return nil, fmt.Errorf("%w: type %q, offered %q", ErrCredentialInvalid, st.Type.VCT, o.VCT)
	}
	d, err := vccheck.BBSKeyAuthorized(reg, st.Issuer, st.Key, st.Type.VCT, st.IssuedAt)
	if err != nil || !d.Authorized {
		return nil, fmt.Errorf("%w: the issuer (with this key) was not authorized for this type when it issued it: %s", ErrCredentialInvalid, d.Reason)
	}
	if !s.cfg.Now().Before(st.ExpiresAt) {
		return nil, fmt.Errorf("%w: already expired", ErrCredentialInvalid)
	}
	return st, nil
}

// jptCandidate adapts a stored jpt credential for DCQL evaluation: every
// claim, each top-level claim disclosable on its own.
func (s *Service) jptCandidate(c *Credential) (oid4vp.Credential, error) {
	if s.cfg.Flows.Catalogue == nil {
		return nil, fmt.Errorf("wallet: no catalogue for jpt credentials")
	}
	claims, err := jptvc.Claims(s.cfg.Flows.Catalogue, c.Compact)
	if err != nil {
		return nil, err
	}
	return &oid4vp.JPTCredential{Type: c.VCT, Tree: claims}, nil
}

// presentJPT makes the jpt presentation of cred for a verifier: the
// top-level claims of ptrs (plus iss, vct, iat and exp, jptvc.Always),
// under the Presentation Header {aud: the full client id, nonce}.
func (s *Service) presentJPT(cred *Credential, clientID, nonce string, ptrs []string) (string, error) {
	if s.cfg.Flows.Catalogue == nil {
		return "", fmt.Errorf("wallet: no catalogue for jpt credentials")
	}
	st, err := jptvc.Open(s.cfg.Flows.Catalogue, cred.Compact, jptvc.KeyOf(cred.IssuerDID, cred.IssuerKey))
	if err != nil {
		return "", fmt.Errorf("wallet: credential %s: %w", cred.ID, err)
	}
	names := make([]string, 0, len(ptrs))
	for _, p := range ptrs {
		n := strings.TrimPrefix(p, "/")
		if n == "" || strings.Contains(n, "/") {
			return "", fmt.Errorf("%w: %q is not a top-level claim of a jpt credential", ErrConsent, p)
		}
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return st.Present(s.cfg.Rand, oid4vp.KBAudience(clientID), nonce, names)
}

// jptExpired reports whether a stored jpt credential is past its exp (a
// verifier refuses it, and there is no status list to say more).
func jptExpired(c *Credential, now time.Time) bool {
	return c.Format == FormatJPT && !c.ExpiresAt.IsZero() && !now.Before(c.ExpiresAt)
}
