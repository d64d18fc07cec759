package wallet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/cairn-id/cairn/internal/claimpath"
	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/httpx"
	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/jptvc"
	"github.com/cairn-id/cairn/internal/oid4vci"
	"github.com/cairn-id/cairn/internal/sdjwtvc"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/internal/vccheck"
)

// OfferPreview is what the holder sees of an offer before accepting it,
// in their language.
type OfferPreview struct {
	// ID answers the preview (AcceptOffer, RefuseOffer) until ExpiresAt.
	ID        string    `json:"id"`
	ExpiresAt time.Time `json:"expires_at"`
	// IssuerURL is the credential_issuer; IssuerDID the registry entity it
	// was matched to ("" when none).
	IssuerURL  string `json:"issuer_url"`
	IssuerDID  string `json:"issuer_did,omitempty"`
	IssuerName string `json:"issuer_name"`
	// ConfigurationID, VCT, TypeLabel and Claims describe the offered
	// credential (the first configuration of the offer): labels from the
	// catalogue, else from the issuer's metadata.
	ConfigurationID string       `json:"configuration_id"`
	VCT             string       `json:"vct"`
	TypeLabel       string       `json:"type_label"`
	Claims          []ClaimLabel `json:"claims"`
	// TxCode is set when the offer needs a transaction code.
	TxCode *oid4vci.TxCode `json:"tx_code,omitempty"`
	// Trusted: the registry knows the issuer and it is authorized for
	// VCT now; TrustReason is the registry's reason either way.
	Trusted     bool   `json:"trusted"`
	TrustReason string `json:"trust_reason"`
	// Warning is the clear warning shown for an untrusted issuer
	// (NoticeUntrustedIssuer): accepting then needs confirmUntrusted.
	Warning *Notice `json:"warning,omitempty"`
	// Copies is how many copies the wallet will ask for (one per holder
	// key when the issuer supports batch issuance, else 1); Linkable is
	// set when a single copy will be shown to every verifier.
	Copies   int  `json:"copies"`
	Linkable bool `json:"linkable"`
	// Format is the credential format: "dc+sd-jwt", or the experimental
	// Cairn-defined "jpt" (BBS proofs, no holder binding); Note then
	// explains what that means (NoticeNoHolderBinding).
	Format string  `json:"format"`
	Note   *Notice `json:"note,omitempty"`
}

// Accepted is the outcome of AcceptOffer.
type Accepted struct {
	Group      string   `json:"group"`
	IDs        []string `json:"ids"`
	KeyIndices []int    `json:"key_indices"`
	VCT        string   `json:"vct"`
	IssuerDID  string   `json:"issuer_did"`
	IssuerName string   `json:"issuer_name"`
	Trusted    bool     `json:"trusted"`
	// Linkable: the issuer gave one copy (no batch issuance), bound to
	// key 0, so every verifier that sees it sees the same signature,
	// salts and status index: they can link it. Note says so
	// (NoticeSingleCopy), in the language of the preview.
	Linkable bool    `json:"linkable"`
	Note     *Notice `json:"note,omitempty"`
	// Status is the credential's status at issuance ("valid", or "" when
	// it carries no status reference).
	Status string `json:"status,omitempty"`
	// Format is "jpt" for a jpt credential ("" for SD-JWT VC).
	Format string `json:"format,omitempty"`
}

type pendingOffer struct {
	Offer      *oid4vci.CredentialOffer `json:"offer"`
	Format     string                   `json:"format,omitempty"`
	ConfigID   string                   `json:"config_id"`
	VCT        string                   `json:"vct"`
	IssuerDID  string                   `json:"issuer_did,omitempty"`
	IssuerName string                   `json:"issuer_name"`
	Trusted    bool                     `json:"trusted"`
	Lang       string                   `json:"lang,omitempty"`
}

// PreviewOffer reads the scanned text of a credential offer
// (openid-credential-offer://, by value or by reference, OpenID4VCI 1.0
// §4.1), fetches it and the issuer's metadata through the guarded
// client, looks the issuer up in the registry and returns the preview in
// lang. The offer is kept sealed until answered or expired.
//
// The registry names issuers by DID and the offer by URL: the issuer is
// matched to the did:web of its URL, or to the did:jwk of a key of its
// JWT VC Issuer Metadata (/.well-known/jwt-vc-issuer); AcceptOffer then
// requires the credential's iss to be that DID.
func (s *Service) PreviewOffer(ctx context.Context, sess *Session, offerText, lang string) (*OfferPreview, error) {
	if err := s.checkSession(ctx, sess); err != nil {
		return nil, err
	}
	offerText = strings.TrimSpace(offerText)
	if offerText == "" || len(offerText) > maxScanText {
		return nil, fmt.Errorf("%w: empty or too long", ErrOffer)
	}
	c := s.vciClient()
	offer, err := c.ResolveOffer(ctx, offerText)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOffer, err)
	}
	if offer.PreAuthorized() == nil {
		return nil, fmt.Errorf("%w: only pre-authorized offers are supported", ErrOffer)
	}
	md, err := c.IssuerMetadata(ctx, offer.CredentialIssuer)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOffer, err)
	}
	configID := offer.CredentialConfigurationIDs[0]
	conf, ok := md.CredentialConfigurationsSupported[configID]
	if !ok || (conf.Format != oid4vci.FormatSDJWTVC && conf.Format != jptvc.Format) {
		return nil, fmt.Errorf("%w: configuration %q is not an SD-JWT VC or jpt credential of the issuer's metadata", ErrOffer, configID)
	}
	if conf.Format == jptvc.Format && s.cfg.Flows.Catalogue == nil {
		return nil, fmt.Errorf("%w: a jpt credential needs the type catalogue, which this wallet has not", ErrOffer)
	}
	p := &OfferPreview{IssuerURL: offer.CredentialIssuer, ConfigurationID: configID, VCT: conf.VCT, Format: conf.Format}
	// Labels: catalogue first, the issuer's metadata otherwise.
	if t, ok := s.typeLabels(conf.VCT, lang); ok {
		p.TypeLabel = t.DisplayName(lang)
		for _, f := range t.ClaimFields(lang) {
			p.Claims = append(p.Claims, ClaimLabel{Path: f.Pointer, Label: f.Label})
		}
	} else {
		p.TypeLabel = conf.VCT
		if cm := conf.CredentialMetadata; cm != nil {
			if n := displayName(cm.Display, lang); n != "" {
				p.TypeLabel = n
			}
			for _, cd := range cm.Claims {
				names := map[string]string{}
				for _, d := range cd.Display {
					names[d.Locale] = d.Name
				}
				ptr := claimpath.FromPath(cd.Path)
				l := pickLocale(names, lang)
				if l == "" {
					l = ptr
				}
				p.Claims = append(p.Claims, ClaimLabel{Path: ptr, Label: l})
			}
		}
	}
	if tc := offer.PreAuthorized().TxCode; tc != nil {
		t := *tc
		p.TxCode = &t
	}
	// Registry.
	p.IssuerName = displayName(md.Display, lang)
	p.TrustReason = "the registry does not know this issuer"
	if reg := s.registry(); reg != nil {
		for _, d := range s.issuerDIDs(ctx, offer.CredentialIssuer) {
			e := reg.Entity(d)
			if e == nil || e.Role != trust.RoleIssuer {
				continue
			}
			p.IssuerDID = d
			if n := e.Name(lang); n != "" {
				p.IssuerName = n
			}
			dec, err := reg.IssuerAuthorized(d, conf.VCT, s.cfg.Now())
			if err != nil {
				return nil, fmt.Errorf("%w: registry: %w", ErrOffer, err)
			}
			p.Trusted, p.TrustReason = dec.Authorized, dec.Reason
			break
		}
	} else {
		p.TrustReason = "no registry is available"
	}
	if p.IssuerName == "" {
		if u, err := url.Parse(offer.CredentialIssuer); err == nil {
			p.IssuerName = u.Host
		}
	}
	if !p.Trusted {
		w := notice(NoticeUntrustedIssuer, lang, "issuer", p.IssuerName, "type", p.TypeLabel)
		p.Warning = &w
	}
	n := s.cfg.HolderKeys
	switch {
	case conf.Format == jptvc.Format:
		// One copy: every presentation is a fresh BBS proof, so copies
		// would add nothing to unlinkability.
		p.Copies = 1
		nt := notice(NoticeNoHolderBinding, lang)
		p.Note = &nt
	case md.BatchCredentialIssuance != nil && md.BatchCredentialIssuance.BatchSize >= n:
		p.Copies = n
	default:
		p.Copies, p.Linkable = 1, true
	}
	po := &pendingOffer{Offer: offer, Format: conf.Format, ConfigID: configID, VCT: conf.VCT, IssuerDID: p.IssuerDID, IssuerName: p.IssuerName, Trusted: p.Trusted, Lang: lang}
	id, exp, err := s.putPending(ctx, sess, &pending{Kind: pendingKindOffer, Offer: po})
	if err != nil {
		return nil, err
	}
	p.ID, p.ExpiresAt = id, exp
	return p, nil
}

// issuerDIDs are the DIDs an issuer URL may be registered under: the
// did:web of the URL, then the did:jwk of each key of its JWT VC Issuer
// Metadata (fetched through the guarded client; failures ignored).
func (s *Service) issuerDIDs(ctx context.Context, issuerURL string) []string {
	var out []string
	u, err := url.Parse(issuerURL)
	if err != nil {
		return nil
	}
	web := "did:web:" + strings.ReplaceAll(u.Host, ":", "%3A")
	if p := strings.Trim(u.Path, "/"); p != "" {
		web += ":" + strings.ReplaceAll(p, "/", ":")
	}
	out = append(out, web)
	wk := u.Scheme + "://" + u.Host + "/.well-known/jwt-vc-issuer" + strings.TrimSuffix(u.Path, "/")
	b, _, err := httpx.GetBounded(ctx, s.cfg.Flows.HTTPClient, wk, "application/json", 64<<10)
	if err != nil {
		return out
	}
	var m struct {
		Issuer string `json:"issuer"`
		JWKS   struct {
			Keys []json.RawMessage `json:"keys"`
		} `json:"jwks"`
	}
	if json.Unmarshal(b, &m) != nil || m.Issuer != issuerURL {
		return out
	}
	for _, raw := range m.JWKS.Keys {
		if k, err := jose.ParseJWK(raw); err == nil {
			out = append(out, did.FromJWK(k))
		}
	}
	return out
}

func displayName(ds []oid4vci.Display, lang string) string {
	names := map[string]string{}
	for _, d := range ds {
		if _, dup := names[d.Locale]; !dup {
			names[d.Locale] = d.Name
		}
	}
	return pickLocale(names, lang)
}

// AcceptOffer runs the pre-authorized code flow for preview previewID
// (OpenID4VCI 1.0 §3.5): token (with txCode when the offer asks for
// one), nonce, and one credential request carrying one key proof per
// key of the current key set (the newest Config.HolderKeys keys: after a
// RefreshKeys, the new ones) when the issuer's batch_size allows it,
// else one proof by the set's first key, key 0 until a refresh (the
// result then says the credential is linkable). Every copy is
// verified (signature, registry authority at iat, status, schema, cnf
// equal to the key it was asked for) before all are stored with one
// group id; the acceptance is logged. An issuer the registry does not
// trust needs confirmUntrusted (else ErrUntrustedIssuer, and the preview
// stays answerable); a missing transaction code is ErrTxCode likewise.
func (s *Service) AcceptOffer(ctx context.Context, sess *Session, previewID, txCode string, confirmUntrusted bool) (*Accepted, error) {
	p, po, err := s.takePending(ctx, sess, previewID, pendingKindOffer)
	if err != nil {
		return nil, err
	}
	o := p.Offer
	if !o.Trusted && !confirmUntrusted {
		s.putBack(ctx, sess, po)
		return nil, ErrUntrustedIssuer
	}
	if err := o.Offer.PreAuthorized().CheckTxCode(txCode); err != nil {
		s.putBack(ctx, sess, po)
		return nil, fmt.Errorf("%w: %w", ErrTxCode, err)
	}
	keys, err := s.HolderKeys(ctx, sess)
	if err != nil {
		return nil, err
	}
	if o.Format == jptvc.Format {
		return s.acceptJPT(ctx, sess, o, txCode, po, keys[0].Index)
	}
	// The current key set: the newest HolderKeys keys (all of them until
	// a RefreshKeys).
	if len(keys) > s.cfg.HolderKeys {
		keys = keys[len(keys)-s.cfg.HolderKeys:]
	}
	c := s.vciClient()
	md, err := c.IssuerMetadata(ctx, o.Offer.CredentialIssuer)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrIssuance, err)
	}
	n := len(keys)
	if b := md.BatchCredentialIssuance; b == nil || b.BatchSize < n {
		n = 1
	}
	signers := make([]*jose.Signer, n)
	for i := range n {
		k, err := s.HolderKey(ctx, sess, keys[i].Index)
		if err != nil {
			return nil, err
		}
		signers[i] = k.JoseSigner()
	}
	is, err := c.RunPreAuthorized(ctx, oid4vci.PreAuthorizedRequest{Offer: o.Offer, TxCode: txCode, ConfigurationID: o.ConfigID, Holder: signers[0], More: signers[1:]})
	if err != nil {
		if code := oid4vci.ErrorCode(err); code == "invalid_grant" && o.Offer.PreAuthorized().TxCode != nil {
			// Most likely a mistyped code: the issuer counts the
			// attempts, the holder may try again.
			s.putBack(ctx, sess, po)
			return nil, fmt.Errorf("%w: %w", ErrTxCode, err)
		}
		return nil, fmt.Errorf("%w: %w", ErrIssuance, err)
	}
	if len(is.Credentials) != n {
		return nil, fmt.Errorf("%w: asked for %d copies, got %d", ErrIssuance, n, len(is.Credentials))
	}
	out := &Accepted{VCT: o.VCT, IssuerName: o.IssuerName, Trusted: o.Trusted, Linkable: n == 1 && len(keys) > 1}
	creds := make([]Credential, n)
	for i, compact := range is.Credentials {
		oc, err := s.verifyIssued(ctx, compact, o, keys[i].JWK)
		if err != nil {
			return nil, err
		}
		r := oc.Result
		if i == 0 {
			out.IssuerDID, out.Status = r.Issuer, oc.Status
		} else if r.Issuer != out.IssuerDID || r.VCT != o.VCT {
			return nil, fmt.Errorf("%w: the copies differ in issuer or type", ErrCredentialInvalid)
		}
		c := Credential{KeyIndex: keys[i].Index, VCT: r.VCT, IssuerDID: r.Issuer, IssuedAt: r.IssuedAt, ExpiresAt: r.ExpiresAt, Compact: compact}
		if oc.StatusURI != "" {
			if idx, ok := statusIndex(r.Status); ok {
				c.Status = &StatusRef{URI: oc.StatusURI, Index: idx}
			}
		}
		creds[i] = c
		out.KeyIndices = append(out.KeyIndices, keys[i].Index)
	}
	stored, err := s.PutCredentials(ctx, sess, creds)
	if err != nil {
		return nil, err
	}
	out.Group = stored[0].Group
	for _, c := range stored {
		out.IDs = append(out.IDs, c.ID)
	}
	if out.Linkable {
		n := notice(NoticeSingleCopy, o.Lang)
		out.Note = &n
	}
	note := ""
	if !o.Trusted {
		note = "issuer not trusted by the registry; accepted after a warning"
	}
	if _, err := s.AppendLog(ctx, sess, LogEntry{Event: EventOfferAccepted, PartyName: o.IssuerName, PartyID: out.IssuerDID,
		CredentialTypes: []string{o.VCT}, CredentialIDs: out.IDs, Note: note}); err != nil {
		return nil, err
	}
	_ = c.Notify(ctx, is, oid4vci.EventCredentialAccepted, "")
	return out, nil
}

// verifyIssued verifies one issued copy: vccheck with the registry (or,
// for an issuer the holder accepted untrusted, its signature under its
// own DID), the status, the catalogue schema and the binding to want.
func (s *Service) verifyIssued(ctx context.Context, compact string, o *pendingOffer, want *jose.JWK) (*vccheck.Outcome, error) {
	// The Service's status cache: the copies of one issuance (and later
	// listings) share one fetch of their list.
	opts := vccheck.Options{StatusLists: s.statusCache,
		Credential: sdjwtvc.VerifyOptions{Now: s.cfg.Now, Trust: sdjwtvc.Trust{Resolver: s.cfg.Flows.Resolver}}}
	if o.Trusted {
		opts.Registry = s.registry()
	} else {
		// Trusted only in the sense "its signature is its own": the
		// holder confirmed the warning.
		opts.Credential.Trust.Authorize = func(context.Context, *sdjwtvc.Result) error { return nil }
		iss, err := peekIssuer(compact)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrCredentialInvalid, err)
		}
		opts.Credential.Trust.TrustedDIDs = []string{iss}
	}
	oc, err := vccheck.Verify(ctx, compact, opts)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrCredentialInvalid, vccheck.Classify(err), err)
	}
	r := oc.Result
	if o.IssuerDID != "" && r.Issuer != o.IssuerDID {
		return nil, fmt.Errorf("%w: issued by %s, not the registered issuer of the offer", ErrCredentialInvalid, vccheck.ShortID(r.Issuer))
	}
	if r.VCT != o.VCT {
		return nil, fmt.Errorf("%w: type %q, offered %q", ErrCredentialInvalid, r.VCT, o.VCT)
	}
	if r.HolderJWK == nil || !r.HolderJWK.Equal(want) {
		return nil, fmt.Errorf("%w: not bound to the holder key it was asked for", ErrCredentialInvalid)
	}
	if t, ok := s.typeLabels(r.VCT, "en"); ok {
		if err := t.Validate(userClaims(r.Claims)); err != nil {
			return nil, fmt.Errorf("%w: schema: %w", ErrCredentialInvalid, err)
		}
	}
	return oc, nil
}

// registeredClaims are the JWT and SD-JWT VC claims that are not the
// credential's subject data.
var registeredClaims = []string{"iss", "sub", "iat", "nbf", "exp", "vct", "vct#integrity", "cnf", "status", "jti", "aud", "_sd_alg"}

func userClaims(all map[string]any) map[string]any {
	out := make(map[string]any, len(all))
	for k, v := range all {
		if !slices.Contains(registeredClaims, k) {
			out[k] = v
		}
	}
	return out
}

func statusIndex(st map[string]any) (int, bool) {
	sl, _ := st["status_list"].(map[string]any)
	switch v := sl["idx"].(type) {
	case float64:
		return int(v), true
	case json.Number:
		i, err := v.Int64()
		return int(i), err == nil
	case int:
		return v, true
	case int64:
		return int(v), true
	}
	return 0, false
}

// peekIssuer reads iss from an SD-JWT's issuer JWT without verifying it.
func peekIssuer(compact string) (string, error) {
	jwt, _, _ := strings.Cut(compact, "~")
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return "", errors.New("not a compact JWS")
	}
	b, err := jose.B64.DecodeString(parts[1])
	if err != nil {
		return "", err
	}
	var p struct {
		Iss string `json:"iss"`
	}
	if err := json.Unmarshal(b, &p); err != nil || p.Iss == "" {
		return "", errors.New("no iss")
	}
	return p.Iss, nil
}

// RefuseOffer forgets the previewed offer and logs the refusal.
func (s *Service) RefuseOffer(ctx context.Context, sess *Session, previewID string) error {
	p, _, err := s.takePending(ctx, sess, previewID, pendingKindOffer)
	if err != nil {
		return err
	}
	_, err = s.AppendLog(ctx, sess, LogEntry{Event: EventOfferRefused, PartyName: p.Offer.IssuerName, PartyID: p.Offer.IssuerDID, CredentialTypes: []string{p.Offer.VCT}})
	return err
}
