package verifier

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/oid4vp"
	"github.com/cairn-id/cairn/internal/trust"
)

// The verifier as an X.509 relying party under the OpenID4VC High
// Assurance Interoperability Profile (HAIP 1.0 §5, §5.1): an access
// certificate names the verifier (x509_hash, or x509_san_dns), every
// request object is signed with its key and carries its chain without the
// anchor, answers come only as direct_post.jwt encrypted to a fresh
// ECDH-ES P-256 key of the session (A128GCM or A256GCM), a same-device
// answer is followed by a redirect with a one-time response_code, and a
// PID query names the registry's PID Provider anchors in trusted_authorities
// (aki). Whether a credential's own x5c chain closes on those anchors is
// the credential pipeline's business (vccheck), not this file's.

// ProfileHAIP is Config.Profile for HAIP 1.0.
const ProfileHAIP = "haip"

// pidVCTPrefix starts every PID type (urn:eudi:pid:1 and the domestic
// urn:eudi:pid:<cc>:… types).
const pidVCTPrefix = "urn:eudi:pid:"

// ErrProfile marks a configuration a profile refuses.
var ErrProfile = errors.New("verifier: the configuration breaks the profile")

// clientIDOf is the client id of cfg: x509_hash or x509_san_dns of the
// leaf of X5C, or decentralized_identifier:DID. The chain is checked here
// (oid4vp.CheckSigningChain: no self-signed certificate, each issued by
// the next, the leaf certifying the signer's key).
func clientIDOf(cfg Config) (string, error) {
	if len(cfg.X5C) == 0 {
		if cfg.SanDNS != "" {
			return "", errors.New("verifier: SanDNS needs an X5C chain")
		}
		return oid4vp.PrefixDecentralizedIdentifier + ":" + cfg.DID, nil
	}
	leaf, err := x509.ParseCertificate(cfg.X5C[0])
	if err != nil {
		return "", fmt.Errorf("verifier: access certificate: %w", err)
	}
	cid := oid4vp.X509HashClientID(leaf.Raw)
	if cfg.SanDNS != "" {
		if cid, err = oid4vp.X509SanDNSClientID(leaf, cfg.SanDNS); err != nil {
			return "", err
		}
	}
	if err := oid4vp.CheckSigningChain(cid, cfg.X5C, cfg.Signer.Public()); err != nil {
		return "", err
	}
	return cid, nil
}

// checkProfile refuses what cfg's profile forbids.
func checkProfile(cfg Config, clientID string) error {
	switch cfg.Profile {
	case "":
		return nil
	case ProfileHAIP:
	default:
		return fmt.Errorf("%w: unknown profile %q", ErrProfile, cfg.Profile)
	}
	cid, err := oid4vp.ParseClientID(clientID)
	if err != nil {
		return err
	}
	switch {
	case !oid4vp.IsX509Prefix(cid.Prefix):
		return fmt.Errorf("%w: HAIP needs an X.509 client id (x509_hash or x509_san_dns), not %s", ErrProfile, cid.Prefix)
	case cfg.ResponseMode != oid4vp.ResponseModeDirectPostJWT:
		return fmt.Errorf("%w: HAIP answers come as direct_post.jwt only, not %s", ErrProfile, cfg.ResponseMode)
	case cfg.Signer == nil:
		return fmt.Errorf("%w: HAIP requests are signed", ErrProfile)
	}
	if cfg.Signer.Alg() != jose.ES256 {
		return fmt.Errorf("%w: HAIP request objects are signed ES256 (a P-256 key), not %s", ErrProfile, cfg.Signer.Alg())
	}
	return nil
}

// isPIDQuery reports whether a credential query asks for a PID.
func isPIDQuery(cq *oid4vp.CredentialQuery) bool {
	return slices.ContainsFunc(cq.Meta.VCTValues, func(v string) bool { return strings.HasPrefix(v, pidVCTPrefix) })
}

// requestQuery is the DCQL query a session's request carries: the
// purpose's, with, on each PID credential query that names no trusted
// authorities itself, trusted_authorities of type aki listing the key
// identifiers of the registry's PID anchors trusted at now (§6.1.1.1).
// The purpose's parsed query is never changed: a copy is made.
func (s *Service) requestQuery(p *Purpose, now time.Time) (*oid4vp.Query, error) {
	q := p.Query()
	reg := s.Registry()
	if reg == nil || !slices.ContainsFunc(q.Credentials, func(c oid4vp.CredentialQuery) bool { return isPIDQuery(&c) }) {
		return q, nil
	}
	akis := pidAKIs(reg, now)
	if len(akis) == 0 {
		return q, nil
	}
	if len(akis) > oid4vp.MaxValues {
		s.cfg.Logger.Warn("too many PID anchors to name in trusted_authorities; left out", "anchors", len(akis))
		return q, nil
	}
	cp, err := oid4vp.ParseQuery(p.DCQL)
	if err != nil {
		return nil, err
	}
	for i := range cp.Credentials {
		cq := &cp.Credentials[i]
		if isPIDQuery(cq) && len(cq.TrustedAuthorities) == 0 {
			cq.TrustedAuthorities = []oid4vp.TrustedAuthority{{Type: "aki", Values: akis}}
		}
	}
	return cp, nil
}

// pidAKIs are the base64url key identifiers of the PID anchors trusted at
// at, in registry order, without repeats.
func pidAKIs(reg *trust.Registry, at time.Time) []string {
	var out []string
	for _, a := range reg.AnchorsAt(trust.AnchorPID, at) {
		b, err := hex.DecodeString(a.SKI)
		if err != nil || len(b) == 0 {
			continue
		}
		if v := jose.B64.EncodeToString(b); !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// vpFormats is vp_formats_supported for q: every format the query names,
// with the algorithms this verifier checks (B.3.4 for dc+sd-jwt).
func vpFormats(q *oid4vp.Query) map[string]any {
	algs := []any{"ES256", "ES384", "EdDSA"}
	out := map[string]any{}
	for _, c := range q.Credentials {
		switch c.Format {
		case oid4vp.FormatSDJWTVC:
			out[c.Format] = map[string]any{"sd-jwt_alg_values": algs, "kb-jwt_alg_values": algs}
		case oid4vp.FormatMDoc:
			// COSE ES256 (-7); Cairn does not verify mdocs, the wallet is
			// told what it would take.
			out[c.Format] = map[string]any{"issuerauth_alg_values": []any{-7}, "deviceauth_alg_values": []any{-7}}
		case oid4vp.FormatJPT:
			// Cairn-defined (docs/unlinkable.md): JSON Proof Algorithms.
			out[c.Format] = map[string]any{"proof_alg_values": []any{"BBS"}}
		default:
			out[c.Format] = map[string]any{}
		}
	}
	return out
}

// checkResponseKid checks that a direct_post.jwt answer is encrypted to
// this session's key, by the kid of its JWE header: the kid of another
// session's key is CodeEncKeyReused (a response made for another request,
// or a wallet reusing a verifier's key), any other kid, or none,
// CodeEncKeyMismatch. An unencrypted error response (§8.3.1) has no JWE
// and is left to ParseResponse.
func (s *Service) checkResponseKid(ctx context.Context, sess *Session, body []byte) error {
	if sess.ResponseMode != oid4vp.ResponseModeDirectPostJWT || sess.EncKid == "" || !bytes.Contains(body, []byte("response=")) {
		return nil
	}
	kid := oid4vp.ResponseKid(body)
	if kid == sess.EncKid {
		return nil
	}
	if kid == "" {
		if vals, err := url.ParseQuery(string(body)); err != nil || vals.Get("response") == "" {
			return nil // not a JWE: ParseResponse says what is wrong
		}
		return refuse(CodeEncKeyMismatch, errors.New("the JWE header names no kid"))
	}
	other := ""
	err := s.cfg.Store.View(ctx, func(tx Tx) error {
		return tx.ForEachSession(func(o *Session) error {
			if o.ID != sess.ID && o.EncKid == kid {
				other = o.ID
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	if other != "" {
		s.cfg.Logger.Warn("a response encrypted to another session's key", "session", sess.ID, "key_of", other)
		return refuse(CodeEncKeyReused, fmt.Errorf("kid %s is the key of session %s", kid, other))
	}
	return refuse(CodeEncKeyMismatch, fmt.Errorf("kid %q is not this session's key", kid))
}

func hashCode(code string) []byte {
	h := sha256.Sum256([]byte(code))
	return h[:]
}

// MaxResponseCodeLen bounds a presented response_code.
const MaxResponseCodeLen = 128

// ResultByCode releases a same-device session's result to whoever
// presents the response_code its answer was redirected with (OpenID4VP
// 1.0 §8.2; the code binds the result to the browser the wallet sent back,
// against session fixation, §13.3), once: a second redemption, a wrong
// code or a session that is not same-device is CodeResponseCodeInvalid;
// the code of another session is CodeResultOtherSession; before the
// answer, CodeResultPending.
func (s *Service) ResultByCode(ctx context.Context, id, code string) (*Result, error) {
	if code == "" || len(code) > MaxResponseCodeLen {
		return nil, refuse(CodeResponseCodeInvalid, errors.New("no response_code"))
	}
	h := hashCode(code)
	now := s.cfg.Now()
	err := s.cfg.Store.Update(ctx, func(tx Tx) error {
		sess, err := s.getSession(tx, id)
		if err != nil {
			return err
		}
		if !sess.SameDevice {
			return refuse(CodeResponseCodeInvalid, errors.New("not a same-device session"))
		}
		if subtle.ConstantTimeCompare(sess.ResponseCodeHash, h) != 1 {
			other := false
			if err := tx.ForEachSession(func(o *Session) error {
				if o.ID != id && len(o.ResponseCodeHash) > 0 && subtle.ConstantTimeCompare(o.ResponseCodeHash, h) == 1 {
					other = true
				}
				return nil
			}); err != nil {
				return err
			}
			switch {
			case other:
				return refuse(CodeResultOtherSession, nil)
			case sess.Status != SessionAnswered:
				if err := live(sess, now); err != nil {
					return err
				}
				return refuse(CodeResultPending, nil)
			}
			return refuse(CodeResponseCodeInvalid, errors.New("wrong response_code"))
		}
		if sess.ResponseCodeUsed {
			return refuse(CodeResponseCodeInvalid, errors.New("response_code already redeemed"))
		}
		sess.ResponseCodeUsed = true
		return tx.PutSession(sess)
	})
	if err != nil {
		return nil, err
	}
	return s.Result(ctx, id)
}
