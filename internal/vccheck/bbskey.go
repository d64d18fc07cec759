package vccheck

import (
	"errors"
	"fmt"
	"time"

	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/jwp"
	"github.com/cairn-id/cairn/internal/trust"
)

// The registry side of jpt credentials (internal/jptvc): their issuer
// signs with a BBS key that the registry lists as a further key of the
// issuer entity named by the iss claim (trust.EntityKey), so the entity's
// status and authorizations decide for it as for its SD-JWT VC key.

// ErrUnknownBBSKey: the registry lists no BBS key of the issuer with the
// Issuer Header's kid.
var ErrUnknownBBSKey = errors.New("vccheck: the issuer has no registered BBS key with this kid")

// BBSIssuerKey returns the BBS key of issuer entity iss whose kid (the RFC
// 7638 thumbprint: the kid of the Issuer Header of a JPT it issued) is
// kid, from the registry alone: no network. Keys that do not parse are
// skipped. ErrUnknownBBSKey when there is none; use BBSKeyAuthorized next.
func BBSIssuerKey(reg *trust.Registry, iss, kid string) (*jwp.PublicKey, error) {
	e := reg.Entity(iss)
	if e == nil || kid == "" {
		return nil, fmt.Errorf("%w: issuer %s", ErrUnknownBBSKey, iss)
	}
	for _, k := range e.Keys {
		pub, err := did.BBSKey(k.DID)
		if err == nil && pub.Kid == kid {
			return pub, nil
		}
	}
	return nil, fmt.Errorf("%w: issuer %s, kid %s", ErrUnknownBBSKey, iss, kid)
}

// BBSKeyAuthorized answers "was pub the registered BBS key of issuer
// entity iss, and iss authorized to issue vct, when the credential was
// issued?". A jpt credential's iat is the start of its UTC day (jptvc
// rounds it so that it says nothing finer), so for an iat at 00:00 UTC the
// question covers that whole day: the issuer is taken as authorized when
// it was at some instant of the day (trust.Registry.IssuerKeyAuthorized);
// any other iat is asked about as an instant. The Decision explains a no
// (trust.ReasonUnknownKey, trust.ReasonKeyNotValidAtTime, or the reasons
// of trust.Registry.IssuerAuthorized); errors are bad questions only.
func BBSKeyAuthorized(reg *trust.Registry, iss string, pub *jwp.PublicKey, vct string, iat time.Time) (trust.Decision, error) {
	if reg == nil || pub == nil {
		return trust.Decision{}, errors.Join(trust.ErrBadQuery, errors.New("vccheck: no registry or no key"))
	}
	until := time.Time{}
	if iat.UTC().Truncate(24 * time.Hour).Equal(iat) {
		until = iat.Add(24 * time.Hour)
	}
	return reg.IssuerKeyAuthorized(iss, did.FromBBSKey(pub), vct, iat, until)
}
