package verifier

import (
	"context"
	"errors"
	"time"

	"github.com/cairn-id/cairn/internal/jptvc"
	"github.com/cairn-id/cairn/internal/jwp"
	"github.com/cairn-id/cairn/internal/oid4vp"
	"github.com/cairn-id/cairn/internal/sdjwtvc"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/internal/vccheck"
)

// The experimental jpt format (internal/jptvc; Cairn-defined, not an
// OpenID4VP format identifier). A purpose asks for it with format "jpt"
// and require_cryptographic_holder_binding: false. Each presentation is a
// presented JWP: a BBS proof over the Issuer Header (type by its cid,
// issuer key by the disclosed iss and the kid: a BBS did:jwk the registry
// lists as a further key of that issuer entity, vccheck.BBSIssuerKey), the disclosed claims and a Presentation Header that must carry
// this verifier's full client id as aud and the session's nonce.
//
// There is no holder binding: whoever holds a presentation can replay it
// until its nonce expires. The result says so (NoHolderBinding), and a
// proof seen before is refused (CodeJPTReplayed) by a keyed hash kept only
// until the session that was to receive it expires (SeenProof); the proof
// itself is never stored, nor any part of it in a result: a result keeps
// the disclosed claims the query asked for and the verdict.

// jptSession is what verifying a jpt presentation needs of its session.
type jptSession struct {
	Audience, Nonce string
	// Until is the end of the replay window: the session's expiry.
	Until time.Time
}

// verifyJPT runs the pipeline for one presented jpt credential and returns
// its facts as a credential result of the shared pipeline (no holder key,
// no status) and the registry's decision at iat.
func (s *Service) verifyJPT(ctx context.Context, pres string, js *jptSession, cr *CredentialResult, reg *trust.Registry) (*sdjwtvc.Result, *trust.Decision) {
	cr.Format, cr.NoHolderBinding = oid4vp.FormatJPT, true
	fail := func(c Code, err error) (*sdjwtvc.Result, *trust.Decision) {
		cr.Code = c
		s.cfg.Logger.Info("credential refused", "format", "jpt", "code", string(c), "cause", err.Error())
		return nil, nil
	}
	if js == nil {
		return fail(Code(vccheck.CodeInvalid), errors.New("a jpt presentation outside an online session"))
	}
	p, err := jwp.ParsePresented(pres)
	if err != nil {
		return fail(jptCode(err), err)
	}
	if len(p.Proof) != 1 {
		return fail(Code(vccheck.CodeInvalid), errors.New("not one proof value"))
	}
	if c, err := s.seeProof(ctx, p.Proof[0], js.Until); c != "" || err != nil {
		if err != nil {
			return fail(Code(vccheck.CodeInvalid), err)
		}
		return fail(c, errors.New("this proof was presented before"))
	}
	v, err := jptvc.Verify(p, jptvc.VerifyOptions{
		Catalogue: s.cfg.Catalogue,
		Key:       func(iss, kid string) (*jwp.PublicKey, error) { return vccheck.BBSIssuerKey(reg, iss, kid) },
		Authorized: func(iss string, pub *jwp.PublicKey, vct string, iat time.Time) (trust.Decision, error) {
			return vccheck.BBSKeyAuthorized(reg, iss, pub, vct, iat)
		},
		Audience: js.Audience, Nonce: js.Nonce, Now: s.cfg.Now, ClockSkew: s.cfg.ClockSkew,
	})
	// Say who issued what even when refused: the type from the header,
	// the issuer once its proof verified.
	if h, herr := jwp.ParseHeader(p.IssuerHeader); herr == nil {
		if t, terr := jptvc.TypeByCID(s.cfg.Catalogue, h.Cid); terr == nil {
			cr.VCT, cr.TypeName = t.VCT, englishName(t)
		}
	}
	if v != nil {
		cr.Issuer = v.Issuer
	}
	if cr.Issuer != "" {
		if e := reg.Entity(cr.Issuer); e != nil {
			cr.IssuerName = e.Name("en")
			cr.IssuerStatusNow = string(e.StatusAt(s.cfg.Now()))
		}
	}
	if err != nil {
		return fail(jptCode(err), err)
	}
	cr.IssuedAt, cr.ExpiresAt = v.IssuedAt, v.ExpiresAt
	if probs := disclosedProblems(v.Type, v.Claims); len(probs) > 0 {
		cr.Code, cr.SchemaProblems = CodeSchemaInvalid, probs
		return nil, nil
	}
	cr.Code = CodeValid
	return &sdjwtvc.Result{Issuer: v.Issuer, VCT: v.Type.VCT, IssuedAt: v.IssuedAt, ExpiresAt: v.ExpiresAt, Claims: v.Claims}, v.Decision
}

// seeProof records the keyed hash of proof until until and returns
// CodeJPTReplayed when it was recorded already (and has not expired).
func (s *Service) seeProof(ctx context.Context, proof []byte, until time.Time) (Code, error) {
	d := s.cfg.Sealer.ProofDigest(proof)
	now := s.cfg.Now()
	var code Code
	err := s.cfg.Store.Update(ctx, func(tx Tx) error {
		code = ""
		old, err := tx.SeenProof(d)
		switch {
		case err == nil && now.Before(old.ExpiresAt):
			code = CodeJPTReplayed
			return nil
		case err == nil:
			if err := tx.DeleteSeenProof(d); err != nil {
				return err
			}
		case !errors.Is(err, ErrNotFound):
			return err
		}
		err = tx.PutSeenProof(&SeenProof{Digest: d, ExpiresAt: until})
		if errors.Is(err, ErrExists) {
			code = CodeJPTReplayed
			return nil
		}
		return err
	})
	return code, err
}

// jptCode classifies an error of internal/jwp or internal/jptvc.
func jptCode(err error) Code {
	switch {
	case errors.Is(err, vccheck.ErrUnknownBBSKey), errors.Is(err, jptvc.ErrUnregisteredKey):
		return CodeJPTKeyUnregistered
	case errors.Is(err, jwp.ErrAudience):
		return CodeJPTAudience
	case errors.Is(err, jwp.ErrNonce):
		return CodeJPTNonce
	case errors.Is(err, jwp.ErrInvalidProof):
		return CodeJPTProofInvalid
	case errors.Is(err, jptvc.ErrUnknownType):
		return CodeUnknownType
	case errors.Is(err, jptvc.ErrExpired):
		return Code(vccheck.CodeExpired)
	case errors.Is(err, jptvc.ErrNotYetValid):
		return Code(vccheck.CodeNotYetValid)
	case errors.Is(err, jptvc.ErrNotAuthorized):
		return Code(vccheck.CodeNotAuthorized)
	case errors.Is(err, jptvc.ErrMissingClaim):
		return Code(vccheck.CodeMissingClaim)
	}
	return Code(vccheck.CodeInvalid)
}
