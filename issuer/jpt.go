package issuer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/cairn-id/cairn/internal/jptvc"
	"github.com/cairn-id/cairn/internal/jwp"
	"github.com/cairn-id/cairn/schemas"
)

// The experimental jpt format (internal/jptvc: a JSON Proof Token signed
// with BBS, Cairn-defined, no OpenID4VCI identifier exists). The operator
// enables it per credential type (Config.JPT); SD-JWT VC stays each type's
// default configuration and stays on. A jpt configuration
// ("<name>.v<major>.jpt") is listed in the metadata without
// proof_types_supported, so:
//
//   - its Credential Request carries no key proof and needs no c_nonce: a
//     jpt credential has no holder binding (no cnf, no sub), it is a
//     bearer credential; a request that sends proofs anyway is refused
//     with invalid_proof (OpenID4VCI 1.0 §8.3.1.2: the proofs parameter is
//     invalid for this configuration), never silently issued unbound, so a
//     wallet that believes it asked for a bound credential learns it
//     did not get one;
//   - it gets no status-list entry and no status claim: revocation is by
//     short validity (jptvc.DefaultValidity, 30 days, unless
//     Config.JPTValidity) and re-issue; Revoke, Suspend and Reinstate on
//     its record are ErrNoStatus;
//   - the issuance is still single-use on the access token and
//     transactional: one transaction uses the token and reserves the
//     credential id, the credential is signed outside it, a second writes
//     the Record (Format jpt, no status entry) and deletes the offer.
//
// The Issuer Header of every jpt credential of one type is the same
// octets (kid of the BBS key, typ, cid of the type's claim list), so it
// tells a verifier nothing about which credential it sees.

// JPTSuffix ends the credential_configuration_id of a type's jpt
// configuration.
const JPTSuffix = ".jpt"

// ErrNoStatus: a jpt credential has no status-list entry, so it cannot be
// revoked, suspended or reinstated; it stops being valid at its exp.
var ErrNoStatus = errors.New("issuer: jpt credentials carry no status; they are not revocable and expire on their own")

// ErrProofNotAccepted: a Credential Request for a jpt configuration sent
// key proofs, which it takes none of (the HTTP layer answers invalid_proof).
var ErrProofNotAccepted = errors.New("issuer: this credential configuration takes no key proof (jpt credentials are not bound to a key)")

// Formats an offer may name (OfferRequest.Format).
const (
	FormatSDJWTVC = "dc+sd-jwt"
	FormatJPT     = jptvc.Format
)

// JPTConfigurationID is the credential_configuration_id of type t's jpt
// configuration: "<name>.v<major>.jpt".
func JPTConfigurationID(t *schemas.Type) string { return ConfigurationID(t) + JPTSuffix }

// IsJPT reports whether configuration id is one of this issuer's jpt
// configurations.
func (s *Service) IsJPT(id string) bool {
	_, ok := s.jptTypes[id]
	return ok
}

// JPTTypes are the vcts this issuer offers in jpt format too.
func (s *Service) JPTTypes() []string { return slices.Clone(s.cfg.JPT) }

// BBSPublicKey is the issuer's BBS key (nil without jpt types), whose
// did:jwk the registry lists as a further key of this issuer.
func (s *Service) BBSPublicKey() *jwp.PublicKey {
	if s.cfg.BBSKey == nil {
		return nil
	}
	pub := s.cfg.BBSKey.Public
	return &pub
}

// configureJPT checks the jpt part of cfg and fills s.jptTypes.
func (s *Service) configureJPT() error {
	if len(s.cfg.JPT) == 0 {
		return nil
	}
	if s.cfg.BBSKey == nil {
		return fmt.Errorf("%w: jpt is enabled for %v but no BBS key is configured", ErrInvalidConfig, s.cfg.JPT)
	}
	if s.cfg.JPTValidity < 0 {
		return fmt.Errorf("%w: negative jpt validity", ErrInvalidConfig)
	}
	for _, vct := range s.cfg.JPT {
		id, ok := s.byVCT[vct]
		if !ok {
			return fmt.Errorf("%w: jpt enabled for %s, which is not one of the issuer's types", ErrInvalidConfig, vct)
		}
		t := s.types[id]
		if _, err := jptvc.ClaimSet(t); err != nil {
			return fmt.Errorf("%w: %s cannot be issued as jpt: %w", ErrInvalidConfig, vct, err)
		}
		s.jptTypes[JPTConfigurationID(t)] = t
	}
	return nil
}

// JPTRequest is a Credential Request for a jpt configuration: no proof,
// no nonce.
type JPTRequest struct {
	AccessToken     string
	ConfigurationID string
}

// IssueJPT issues the jpt credential an access token was granted for, in
// the three steps of IssueCredential without the nonce and the status
// index: (1) one transaction uses the token (ErrNotFound, ErrExpired,
// ErrUsed; ErrUnknownType for another configuration) and reserves the
// credential id, (2) the credential is signed outside any transaction,
// (3) one transaction writes the Record (Format jpt, no status entry,
// ExpiresAt its exp) and deletes the offer. When signing or step 3 fails
// the reservation is marked failed and the token given back. Of
// concurrent calls with one token at most one succeeds.
func (s *Service) IssueJPT(ctx context.Context, r JPTRequest) (*IssuedCredential, error) {
	t, ok := s.jptTypes[r.ConfigurationID]
	if !ok {
		return nil, fmt.Errorf("%w: jpt configuration %q", ErrUnknownType, r.ConfigurationID)
	}
	now := s.cfg.Now()
	id, err := s.credentialID()
	if err != nil {
		return nil, err
	}
	res, o, err := s.reserve(ctx, s.hash("access_token", r.AccessToken), "", time.Time{}, []string{id}, r.ConfigurationID, false, now)
	if err != nil {
		return nil, err
	}
	ctx = context.WithoutCancel(ctx)
	cred, rec, err := s.signJPT(o, t, id, now)
	if err == nil {
		if err = s.commitIssuance(ctx, res, []*Record{rec}, now); err == nil {
			return &IssuedCredential{Credential: cred, Record: rec}, nil
		}
	}
	if relErr := s.releaseReservation(ctx, res); relErr != nil {
		return nil, fmt.Errorf("%w (and releasing the reservation: %w)", err, relErr)
	}
	return nil, err
}

// signJPT builds and signs the jpt credential of an offer.
func (s *Service) signJPT(o *StoredOffer, t *schemas.Type, credID string, now time.Time) (string, *Record, error) {
	claims, err := s.offerClaims(o)
	if err != nil {
		return "", nil, err
	}
	c := jptvc.Credential{Issuer: s.did, IssuedAt: now, Validity: s.cfg.JPTValidity, Claims: claims}
	_, exp, err := c.Times(t)
	if err != nil {
		return "", nil, fmt.Errorf("issuer: jpt validity: %w", err)
	}
	cred, err := jptvc.Issue(s.cfg.BBSKey, t, c)
	if err != nil {
		return "", nil, fmt.Errorf("issuer: sign jpt credential: %w", err)
	}
	nid, err := s.random(16)
	if err != nil {
		return "", nil, err
	}
	return cred, &Record{CredentialID: credID, Format: FormatJPT, ExpiresAt: exp, NotificationID: nid}, nil
}
