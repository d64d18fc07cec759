package wallet

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/cairn-id/cairn/internal/httpx"
	"github.com/cairn-id/cairn/internal/i18n"
	"github.com/cairn-id/cairn/internal/oid4vp"
	"github.com/cairn-id/cairn/internal/purposes"
	"github.com/cairn-id/cairn/internal/sdjwt"
	"github.com/cairn-id/cairn/internal/sdjwtvc"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/internal/vccheck"
)

// RequestPreview is the consent view of a presentation request, in the
// holder's language.
type RequestPreview struct {
	// ID answers the preview (Respond, RefuseRequest) until ExpiresAt.
	ID        string    `json:"id"`
	ExpiresAt time.Time `json:"expires_at"`
	// VerifierID is the full client_id; VerifierDID the registry entity
	// ("" for a dev-mode redirect_uri verifier).
	VerifierID   string `json:"verifier_id"`
	VerifierDID  string `json:"verifier_did,omitempty"`
	VerifierName string `json:"verifier_name"`
	Registered   bool   `json:"registered"`
	// Purpose is the id of the verifier's registered purpose that best
	// covers the request (OpenID4VP carries none: the registry's
	// purposes are compared with what is asked, trust.FitPurpose: fewest
	// claims outside, then the closest fit); when several still tie, all
	// of them, comma-separated, rather than one picked by name.
	// PurposeName is the same in the holder's language, as people read
	// it: the shipped purpose names (internal/purposes), the id for a
	// purpose that has none.
	Purpose     string `json:"purpose,omitempty"`
	PurposeName string `json:"purpose_name,omitempty"`
	// Queries lists, per credential query to answer, the credential that
	// answers it and exactly the claims that would leave.
	Queries []QueryAnswer `json:"queries"`
	// CanAnswer is false when the stored credentials do not satisfy the
	// request; Missing then says what is lacking.
	CanAnswer bool     `json:"can_answer"`
	Missing   []string `json:"missing,omitempty"`
	// OutsidePurpose names each requested claim beyond the verifier's
	// registered purpose; Warnings are the notices to show (over-asking,
	// one per claim; keys running low; linkable single copies;
	// unregistered verifier).
	OutsidePurpose []ClaimLabel `json:"outside_purpose,omitempty"`
	Warnings       []Notice     `json:"warnings,omitempty"`
	// KeyIndex is the holder key this verifier is shown; KeysLow: no
	// unused key remains (offer a refresh: RefreshKeys, then re-issuance).
	KeyIndex int  `json:"key_index"`
	KeysLow  bool `json:"keys_low"`
	// Encrypted: the response will be direct_post.jwt.
	Encrypted bool `json:"encrypted"`
	// WithRevoked, when a credential its issuer revoked was left out
	// (the warning says so), is the same consent view with the revoked
	// credentials offered too: what a Consent with OfferRevoked sends.
	// The holder's explicit choice, made on the consent screen: the
	// request is not fetched again (a verifier serves it once).
	WithRevoked *RequestPreview `json:"with_revoked,omitempty"`
}

// QueryAnswer is one credential query and the stored credential chosen.
type QueryAnswer struct {
	QueryID string `json:"query_id"`
	// Format is the credential's format ("dc+sd-jwt", or "jpt": no holder
	// binding, the preview then warns NoticeNoHolderBinding).
	Format       string       `json:"format"`
	CredentialID string       `json:"credential_id"`
	VCT          string       `json:"vct"`
	TypeLabel    string       `json:"type_label"`
	IssuerDID    string       `json:"issuer_did"`
	IssuerName   string       `json:"issuer_name"`
	Claims       []ClaimLabel `json:"claims"`
}

// Consent is the holder's answer to a request preview.
type Consent struct {
	// Only, when not nil, restricts the claims sent to these JSON
	// Pointers (each must be one of the preview's claims); nil sends all
	// the preview lists.
	Only []string `json:"only,omitempty"`
	// OfferRevoked sends the preview's WithRevoked answer (revoked
	// credentials included) instead of its own; ErrConsent when the
	// preview has none.
	OfferRevoked bool `json:"offer_revoked,omitempty"`
}

// Presented is the outcome of Respond.
type Presented struct {
	VerifierID   string   `json:"verifier_id"`
	VerifierName string   `json:"verifier_name"`
	Claims       []string `json:"claims"`
	// RedirectURI is where the verifier asks the holder's browser to go
	// next ("" when none).
	RedirectURI string `json:"redirect_uri,omitempty"`
}

type pendingReq struct {
	ClientID     string                 `json:"client_id"`
	VerifierDID  string                 `json:"verifier_did,omitempty"`
	VerifierName string                 `json:"verifier_name"`
	Purpose      string                 `json:"purpose,omitempty"`
	Nonce        string                 `json:"nonce"`
	State        string                 `json:"state,omitempty"`
	ResponseMode string                 `json:"response_mode"`
	ResponseURI  string                 `json:"response_uri"`
	Metadata     *oid4vp.ClientMetadata `json:"client_metadata,omitempty"`
	CanAnswer    bool                   `json:"can_answer"`
	Plan         []plannedQuery         `json:"plan"`
}

type plannedQuery struct {
	QueryID      string   `json:"q"`
	Format       string   `json:"f,omitempty"`
	CredentialID string   `json:"c"`
	KeyIndex     int      `json:"k"`
	VCT          string   `json:"vct"`
	Pointers     []string `json:"p"`
}

// PreviewRequest reads the scanned text of an OpenID4VP 1.0 request
// (openid4vp://…), fetches the request object (request_uri with GET, or
// POST with a wallet_nonce when request_uri_method=post, §5.10) through
// the guarded client, verifies it (typ, signature by the key of the
// decentralized_identifier client id, resolved through the DID
// resolver; the unsigned redirect_uri prefix only in Dev), checks the
// verifier is registered and active, evaluates the DCQL query against the
// stored copies bound to the key this verifier is given (KeyForVerifier;
// a credential with a single copy answers with it, with a warning), and
// returns the consent view. The request is kept sealed until answered.
func (s *Service) PreviewRequest(ctx context.Context, sess *Session, requestText, lang string) (*RequestPreview, error) {
	return s.PreviewRequestWith(ctx, sess, requestText, lang, PreviewOptions{})
}

// PreviewOptions change what PreviewRequestWith offers.
type PreviewOptions struct {
	// OfferRevoked lets a credential known to be revoked answer the
	// request. By default it is left out (a verifier refuses it, and
	// showing it tells the verifier only that): the preview warns either
	// way.
	OfferRevoked bool `json:"offer_revoked,omitempty"`
}

// PreviewRequestWith is PreviewRequest with options. Before evaluating
// the query it reads the status of the holder's credentials (Statuses,
// with refresh): a credential known to be revoked (now, or last time its
// list was read) is not offered unless o.OfferRevoked, and a revoked or
// suspended credential that matches a query is named in a warning.
func (s *Service) PreviewRequestWith(ctx context.Context, sess *Session, requestText, lang string, o PreviewOptions) (*RequestPreview, error) {
	if err := s.checkSession(ctx, sess); err != nil {
		return nil, err
	}
	requestText = strings.TrimSpace(requestText)
	if requestText == "" || len(requestText) > maxScanText {
		return nil, fmt.Errorf("%w: empty or too long", ErrRequest)
	}
	vo := oid4vp.Options{Dev: s.cfg.Flows.Dev}
	ru, err := oid4vp.ParseRequestURI(requestText, vo)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRequest, err)
	}
	req, err := s.requestObject(ctx, ru)
	if err != nil {
		return nil, err
	}
	cid, err := oid4vp.ParseClientID(req.ClientID)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRequest, err)
	}
	now := s.cfg.Now()
	p := &RequestPreview{VerifierID: req.ClientID, Encrypted: req.ResponseMode == oid4vp.ResponseModeDirectPostJWT, Queries: []QueryAnswer{}}
	reg := s.registry()
	var ent *trust.Entity
	switch cid.Prefix {
	case oid4vp.PrefixDecentralizedIdentifier:
		p.VerifierDID = cid.Value
		if reg != nil {
			ent = reg.Entity(cid.Value)
		}
		if ent == nil || ent.Role != trust.RoleVerifier || ent.StatusAt(now) != trust.StatusActive {
			return nil, fmt.Errorf("%w: %s", ErrVerifierUnknown, cid.Value)
		}
		p.Registered, p.VerifierName = true, ent.Name(lang)
	case oid4vp.PrefixRedirectURI:
		if !s.cfg.Flows.Dev {
			return nil, fmt.Errorf("%w: redirect_uri client ids only in development", ErrRequest)
		}
		p.VerifierName = cid.Value
		p.Warnings = append(p.Warnings, notice(NoticeUnregisteredVerifier, lang))
	default:
		return nil, fmt.Errorf("%w: client id prefix %q", ErrRequest, cid.Prefix)
	}
	ka, err := s.KeyForVerifier(ctx, sess, req.ClientID)
	if err != nil {
		return nil, err
	}
	p.KeyIndex, p.KeysLow = ka.Index, ka.Low
	if ka.Low {
		p.Warnings = append(p.Warnings, notice(NoticeKeysLow, lang))
	}
	all, err := s.ListCredentials(ctx, sess)
	if err != nil {
		return nil, err
	}
	cands := chooseCopies(all, ka.Index)
	sts, err := s.Statuses(ctx, sess, cands, true)
	if err != nil {
		return nil, err
	}
	ocs := make([]oid4vp.Credential, 0, len(cands))
	kept := make([]Credential, 0, len(cands))
	revoked := false
	for _, c := range cands {
		var oc oid4vp.Credential
		if c.Format == FormatJPT {
			if jptExpired(&c, now) {
				continue // a verifier refuses it; re-issue instead
			}
			if oc, err = s.jptCandidate(&c); err != nil {
				continue
			}
		} else {
			t, err := sdjwt.Parse(c.Compact, sdjwt.Limits{})
			if err != nil {
				continue
			}
			if oc, err = oid4vp.NewSDJWTCredential(t); err != nil {
				continue
			}
		}
		ocs = append(ocs, oc)
		kept = append(kept, c)
		revoked = revoked || sts[c.Group].Known() == StatusRevoked
	}
	pv, pr, err := s.answerRequest(req, *p, ent, reg, ka, ocs, kept, sts, revoked, lang, o.OfferRevoked, now)
	if err != nil {
		return nil, err
	}
	pend := &pending{Kind: pendingKindRequest, Request: pr}
	if revoked && !o.OfferRevoked && slices.ContainsFunc(pv.Warnings, func(n Notice) bool { return n.Code == NoticeRevoked }) {
		// A revoked credential matched and was left out: the answer with
		// it, for the holder to choose on the consent screen.
		alt, apr, err := s.answerRequest(req, *p, ent, reg, ka, ocs, kept, sts, revoked, lang, true, now)
		if err != nil {
			return nil, err
		}
		pv.WithRevoked, pend.RequestRevoked = alt, apr
	}
	p = pv
	id, exp, err := s.putPending(ctx, sess, pend)
	if err != nil {
		return nil, err
	}
	p.ID, p.ExpiresAt = id, exp
	if p.WithRevoked != nil {
		p.WithRevoked.ID, p.WithRevoked.ExpiresAt = id, exp
	}
	return p, nil
}

// answerRequest evaluates req's DCQL query over the candidate copies
// (ocs, kept; sts their statuses, revoked whether any is revoked) and
// returns base (the verifier's part of the consent view) completed with
// the answer, its warnings and purpose, and the plan Respond follows.
// Revoked credentials answer only with offerRevoked.
func (s *Service) answerRequest(req *oid4vp.AuthorizationRequest, base RequestPreview, ent *trust.Entity, reg *trust.Registry, ka *KeyAssignment,
	ocs []oid4vp.Credential, kept []Credential, sts map[string]CredentialStatus, revoked bool, lang string, offerRevoked bool, now time.Time) (*RequestPreview, *pendingReq, error) {
	p := &base
	p.Queries, p.Warnings = []QueryAnswer{}, slices.Clone(base.Warnings)
	o := PreviewOptions{OfferRevoked: offerRevoked}
	if revoked && offerRevoked {
		// Revoked credentials last: one answers a query only where no
		// other does (or beside the others, for multiple).
		ocs, kept = slices.Clone(ocs), slices.Clone(kept)
		idx := make([]int, len(kept))
		for i := range idx {
			idx[i] = i
		}
		slices.SortStableFunc(idx, func(i, j int) int {
			ri, rj := sts[kept[i].Group].Known() == StatusRevoked, sts[kept[j].Group].Known() == StatusRevoked
			switch {
			case ri == rj:
				return 0
			case rj:
				return -1
			}
			return 1
		})
		sortedOCs, sortedKept := make([]oid4vp.Credential, len(idx)), make([]Credential, len(idx))
		for n, i := range idx {
			sortedOCs[n], sortedKept[n] = ocs[i], kept[i]
		}
		ocs, kept = sortedOCs, sortedKept
	}
	res := oid4vp.Evaluate(req.DCQLQuery, ocs)
	// Warn about each revoked or suspended credential that matches a
	// query; leave the revoked ones out unless asked.
	warned := map[string]bool{}
	for _, qr := range res.Queries {
		for _, m := range qr.Matches {
			c := kept[m.Index]
			st := sts[c.Group].Known()
			if (st != StatusRevoked && st != StatusSuspended) || warned[c.Group] {
				continue
			}
			warned[c.Group] = true
			key := NoticeSuspended
			if st == StatusRevoked {
				key = NoticeRevoked
				if !o.OfferRevoked {
					key += "/excluded"
				}
			}
			n := notice(key, lang, "type", s.typeName(c.VCT, lang), "issuer", s.issuerName(c.IssuerDID, lang))
			n.Credential = c.ID
			p.Warnings = append(p.Warnings, n)
		}
	}
	if revoked && !o.OfferRevoked {
		var keepOCs []oid4vp.Credential
		var keepCs []Credential
		for i, c := range kept {
			if sts[c.Group].Known() != StatusRevoked {
				keepOCs, keepCs = append(keepOCs, ocs[i]), append(keepCs, c)
			}
		}
		ocs, kept = keepOCs, keepCs
		res = oid4vp.Evaluate(req.DCQLQuery, ocs)
	}
	p.CanAnswer, p.Missing = res.Satisfiable, res.Missing
	pr := &pendingReq{ClientID: req.ClientID, VerifierDID: p.VerifierDID, VerifierName: p.VerifierName, Nonce: req.Nonce, State: req.State,
		ResponseMode: req.ResponseMode, ResponseURI: req.ResponseURI, Metadata: req.ClientMetadata, CanAnswer: res.Satisfiable}
	var asked []string
	linkable, bearer := false, false
	if res.Satisfiable {
		for _, qid := range res.Answer {
			qr := res.Query(qid)
			if qr == nil || len(qr.Matches) == 0 {
				continue
			}
			// A query with multiple: true is answered by every matching
			// credential (the verifier's purposes accrete them); any other
			// by the first.
			matches := qr.Matches[:1]
			if qr.Multiple {
				matches = qr.Matches
			}
			for _, m := range matches {
				c := kept[m.Index]
				ptrs := m.Pointers()
				if c.Format != FormatJPT {
					// What leaves is what the disclosures reveal: a member of an
					// object disclosable only as a whole brings its siblings.
					more, err := inseparable(c.Compact, ptrs)
					if err != nil {
						return nil, nil, fmt.Errorf("wallet: credential %s: %w", c.ID, err)
					}
					ptrs = append(ptrs, more...)
				}
				format := oid4vp.FormatSDJWTVC
				if c.Format == FormatJPT {
					format = FormatJPT
				}
				qa := QueryAnswer{QueryID: qid, Format: format, CredentialID: c.ID, VCT: c.VCT, TypeLabel: s.typeName(c.VCT, lang), IssuerDID: c.IssuerDID, IssuerName: s.issuerName(c.IssuerDID, lang)}
				for _, ptr := range ptrs {
					qa.Claims = append(qa.Claims, ClaimLabel{Path: ptr, Label: s.claimLabel(c.VCT, ptr, lang)})
					if !slices.Contains(asked, ptr) {
						asked = append(asked, ptr)
					}
				}
				p.Queries = append(p.Queries, qa)
				pr.Plan = append(pr.Plan, plannedQuery{QueryID: qid, Format: c.Format, CredentialID: c.ID, KeyIndex: c.KeyIndex, VCT: c.VCT, Pointers: ptrs})
				switch {
				case c.Format == FormatJPT:
					// One copy, but a fresh proof each time: not linkable
					// by the proof; a bearer presentation instead.
					bearer = true
				case c.KeyIndex != ka.Index:
					linkable = true
				}
			}
		}
	}
	if linkable {
		p.Warnings = append(p.Warnings, notice(NoticeLinkable, lang))
	}
	if bearer {
		p.Warnings = append(p.Warnings, notice(NoticeNoHolderBinding, lang))
	}
	if ent != nil && len(asked) > 0 {
		// One rule for the wallet and the verifier (which flags its own
		// over-asking): trust.FitPurpose.
		fit, err := reg.FitPurpose(ent.DID, asked, now)
		if err != nil {
			fit = trust.PurposeFit{Outside: asked}
		}
		purpose := strings.Join(fit.Purposes, ", ")
		p.Purpose, pr.Purpose = purpose, purpose
		p.PurposeName = purposeNames(fit.Purposes, lang)
		for _, c := range fit.Outside {
			l := c
			for _, q := range p.Queries {
				for _, cl := range q.Claims {
					if n, _ := trust.NormalizeClaim(cl.Path); n == c {
						l = cl.Label
					}
				}
			}
			p.OutsidePurpose = append(p.OutsidePurpose, ClaimLabel{Path: c, Label: l})
			key := NoticeOutsidePurpose
			if purpose == "" {
				key += "/none"
			}
			n := notice(key, lang, "verifier", p.VerifierName, "claim", l, "purpose", p.PurposeName)
			n.Claim = c
			p.Warnings = append(p.Warnings, n)
		}
	}
	return p, pr, nil
}

// chooseCopies picks, per credential group, the copy bound to key index
// k, else the group's copy with the lowest key index (a credential
// issued without batch issuance has only one).
func chooseCopies(all []Credential, k int) []Credential {
	best := map[string]int{}
	var order []string
	for i, c := range all {
		j, ok := best[c.Group]
		if !ok {
			best[c.Group] = i
			order = append(order, c.Group)
			continue
		}
		cur := all[j]
		if cur.KeyIndex != k && (c.KeyIndex == k || c.KeyIndex < cur.KeyIndex) {
			best[c.Group] = i
		}
	}
	out := make([]Credential, 0, len(order))
	for _, g := range order {
		out = append(out, all[best[g]])
	}
	return out
}

// PurposeNames is a purpose as recorded (RequestPreview.Purpose,
// LogEntry.Purpose: one purpose id, or several joined with commas) as the
// holder reads it in lang: each shipped purpose's name
// (internal/purposes), the id of any other.
func PurposeNames(purpose, lang string) string {
	if purpose == "" {
		return ""
	}
	ids := strings.Split(purpose, ",")
	for i := range ids {
		ids[i] = strings.TrimSpace(ids[i])
	}
	return purposeNames(ids, lang)
}

// purposeNames is ids as the holder reads them: each purpose's name in
// lang (the id when it has none), joined as lang joins a list.
func purposeNames(ids []string, lang string) string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		n, ok := purposes.Name(id, lang)
		if !ok {
			n = id
		}
		out = append(out, n)
	}
	sep := ", "
	if i18n.Pick(lang) == "ar" {
		sep = "، "
	}
	return strings.Join(out, sep)
}

func (s *Service) issuerName(issuerDID, lang string) string {
	if reg := s.registry(); reg != nil {
		if e := reg.Entity(issuerDID); e != nil {
			if n := e.Name(lang); n != "" {
				return n
			}
		}
	}
	return vccheck.ShortID(issuerDID)
}

// requestObject fetches (or takes) and verifies the request object.
func (s *Service) requestObject(ctx context.Context, ru *oid4vp.RequestURI) (*oid4vp.AuthorizationRequest, error) {
	vo := oid4vp.Options{Dev: s.cfg.Flows.Dev}
	if ru.Params != nil {
		// Unsigned (dev, redirect_uri prefix only: ParseRequestURI checks).
		if err := ru.Params.Validate(vo); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrRequest, err)
		}
		return ru.Params, nil
	}
	compact, walletNonce := ru.Request, ""
	if ru.RequestURI != "" {
		var body io.Reader
		method := http.MethodGet
		if ru.RequestURIMethod == oid4vp.RequestURIMethodPost {
			n, err := s.random(16)
			if err != nil {
				return nil, err
			}
			walletNonce = base64.RawURLEncoding.EncodeToString(n)
			method = http.MethodPost
			body = strings.NewReader((&oid4vp.RequestURIPost{WalletNonce: walletNonce}).Form().Encode())
		}
		hr, err := http.NewRequestWithContext(ctx, method, ru.RequestURI, body)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrRequest, err)
		}
		hr.Header.Set("Accept", oid4vp.RequestObjectMediaType)
		if body != nil {
			hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		res, err := s.cfg.Flows.HTTPClient.Do(hr)
		if err != nil {
			return nil, fmt.Errorf("%w: request_uri: %w", ErrRequest, err)
		}
		defer res.Body.Close()
		b, err := httpx.ReadLimited(res.Body, MaxRequestObjectLen)
		if err != nil {
			return nil, fmt.Errorf("%w: request_uri: %w", ErrRequest, err)
		}
		if res.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("%w: request_uri: HTTP %d", ErrRequest, res.StatusCode)
		}
		compact = string(bytes.TrimSpace(b))
	}
	req, err := oid4vp.VerifyRequestObject(ctx, compact, oid4vp.VerifyOptions{Options: vo, ClientID: ru.ClientID,
		Resolver: s.cfg.Flows.Resolver, WalletNonce: walletNonce, Now: s.cfg.Now})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRequest, err)
	}
	return req, nil
}

// Respond answers request preview previewID with the holder's consent:
// one SD-JWT+KB presentation per query (only the consented claims; KB-JWT
// aud the full client id, nonce the request's, sd_hash over the
// presentation; signed by the copy's holder key), or, for a jpt
// credential, a presented JWP (a fresh BBS proof disclosing the consented
// top-level claims and iss, vct, iat, exp, Presentation Header {aud: the
// full client id, nonce}), posted as vp_token with
// direct_post, or direct_post.jwt encrypted to the verifier's key from
// client_metadata (ECDH-ES). It returns the verifier's redirect_uri, if
// any, and logs the presentation.
func (s *Service) Respond(ctx context.Context, sess *Session, previewID string, c Consent) (*Presented, error) {
	p, po, err := s.takePending(ctx, sess, previewID, pendingKindRequest)
	if err != nil {
		return nil, err
	}
	r := p.Request
	if c.OfferRevoked {
		if p.RequestRevoked == nil {
			s.putBack(ctx, sess, po)
			return nil, fmt.Errorf("%w: no revoked credential to offer", ErrConsent)
		}
		r = p.RequestRevoked
	}
	if !r.CanAnswer {
		return nil, ErrCannotAnswer
	}
	var all []string
	for _, q := range r.Plan {
		all = append(all, q.Pointers...)
	}
	for _, o := range c.Only {
		if !slices.Contains(all, o) {
			s.putBack(ctx, sess, po)
			return nil, fmt.Errorf("%w: %q", ErrConsent, o)
		}
	}
	out := &Presented{VerifierID: r.ClientID, VerifierName: r.VerifierName}
	vp := oid4vp.VPToken{}
	var types, ids []string
	for _, q := range r.Plan {
		ptrs := q.Pointers
		if c.Only != nil {
			ptrs = slices.DeleteFunc(slices.Clone(ptrs), func(x string) bool { return !slices.Contains(c.Only, x) })
		}
		cred, err := s.GetCredential(ctx, sess, q.CredentialID)
		if err != nil {
			return nil, err
		}
		if cred.Format == FormatJPT {
			pres, err := s.presentJPT(cred, r.ClientID, r.Nonce, ptrs)
			if err != nil {
				return nil, fmt.Errorf("wallet: present %s: %w", q.QueryID, err)
			}
			vp[q.QueryID] = append(vp[q.QueryID], pres)
			for _, p := range ptrs {
				if !slices.Contains(out.Claims, p) {
					out.Claims = append(out.Claims, p)
				}
			}
			types = append(types, q.VCT)
			ids = append(ids, q.CredentialID)
			continue
		}
		// A claim the holder left out must not leave with a sibling the
		// issuer made disclosable only together with it.
		more, err := inseparable(cred.Compact, ptrs)
		if err != nil {
			return nil, fmt.Errorf("wallet: credential %s: %w", cred.ID, err)
		}
		if len(more) > 0 {
			s.putBack(ctx, sess, po)
			return nil, fmt.Errorf("%w: %q would leave too (the issuer made it disclosable only together with what was kept)", ErrConsent, more)
		}
		k, err := s.HolderKey(ctx, sess, cred.KeyIndex)
		if err != nil {
			return nil, err
		}
		pres, err := sdjwtvc.Present(cred.Compact, k.JoseSigner(), sdjwtvc.PresentOptions{Paths: ptrs, Audience: oid4vp.KBAudience(r.ClientID), Nonce: r.Nonce, Now: s.cfg.Now})
		if err != nil {
			return nil, fmt.Errorf("wallet: present %s: %w", q.QueryID, err)
		}
		vp[q.QueryID] = append(vp[q.QueryID], pres)
		for _, p := range ptrs { // each claim once, however many credentials carry it
			if !slices.Contains(out.Claims, p) {
				out.Claims = append(out.Claims, p)
			}
		}
		types = append(types, q.VCT)
		ids = append(ids, q.CredentialID)
	}
	resp := &oid4vp.Response{VPToken: vp, State: r.State}
	redirect, err := s.post(ctx, r, resp)
	if err != nil {
		return nil, err
	}
	out.RedirectURI = redirect
	note := ""
	if c.OfferRevoked {
		note = "a credential revoked by its issuer was offered at the holder's choice"
	}
	if _, err := s.AppendLog(ctx, sess, LogEntry{Event: EventPresentation, PartyName: r.VerifierName, PartyID: r.ClientID, Purpose: r.Purpose,
		CredentialTypes: types, Claims: claimNames(out.Claims), CredentialIDs: ids, Note: note}); err != nil {
		return nil, err
	}
	return out, nil
}

func claimNames(ptrs []string) []string {
	out := make([]string, len(ptrs))
	for i, p := range ptrs {
		out[i] = strings.TrimPrefix(p, "/")
	}
	return out
}

// post delivers resp to the request's response_uri.
func (s *Service) post(ctx context.Context, r *pendingReq, resp *oid4vp.Response) (string, error) {
	var form url.Values
	var err error
	if r.ResponseMode == oid4vp.ResponseModeDirectPostJWT {
		ar := &oid4vp.AuthorizationRequest{ClientID: r.ClientID, ResponseMode: r.ResponseMode, ClientMetadata: r.Metadata}
		form, err = resp.EncryptedForm(ar, s.cfg.Rand)
	} else {
		form, err = resp.Form()
	}
	if err != nil {
		return "", fmt.Errorf("wallet: response: %w", err)
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, r.ResponseURI, strings.NewReader(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrDelivery, err)
	}
	hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := s.cfg.Flows.HTTPClient.Do(hr)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrDelivery, err)
	}
	defer res.Body.Close()
	b, err := httpx.ReadLimited(res.Body, oid4vp.MaxDirectPostResultLen)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrDelivery, err)
	}
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%w: HTTP %d", ErrDelivery, res.StatusCode)
	}
	redirect, err := oid4vp.ParseDirectPostResult(b, oid4vp.Options{Dev: s.cfg.Flows.Dev})
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrDelivery, err)
	}
	return redirect, nil
}

// RefuseRequest answers request preview previewID with error=access_denied
// (and the request's state, nothing else) and logs the refusal. The
// refusal is logged even when the verifier cannot be reached.
func (s *Service) RefuseRequest(ctx context.Context, sess *Session, previewID string) error {
	p, _, err := s.takePending(ctx, sess, previewID, pendingKindRequest)
	if err != nil {
		return err
	}
	r := p.Request
	// With direct_post.jwt the refusal is encrypted like an answer would
	// be (OpenID4VP 1.0 §8.3.1).
	_, perr := s.post(ctx, &pendingReq{ClientID: r.ClientID, ResponseMode: r.ResponseMode, ResponseURI: r.ResponseURI, Metadata: r.Metadata}, oid4vp.ErrorResponse(r.State))
	if _, err := s.AppendLog(ctx, sess, LogEntry{Event: EventRefusal, PartyName: r.VerifierName, PartyID: r.ClientID, Purpose: r.Purpose}); err != nil {
		return errors.Join(err, perr)
	}
	return perr
}
