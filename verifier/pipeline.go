package verifier

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cairn-id/cairn/internal/assurance"
	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/oid4vp"
	"github.com/cairn-id/cairn/internal/sdjwt"
	"github.com/cairn-id/cairn/internal/sdjwtvc"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/internal/vccheck"
	"github.com/cairn-id/cairn/schemas"
)

// Result is the outcome of one presentation: the overall code and
// outcome, each credential's, the claims kept (only those the query asked
// for), how many disclosed claims were dropped, identity findings, the
// facts the assurance step used and its result, and the caseworker's
// review beside it.
type Result struct {
	SessionID   string             `json:"session_id,omitempty"`
	Purpose     string             `json:"purpose,omitempty"`
	Outcome     string             `json:"outcome"`
	Code        Code               `json:"code"`
	Message     string             `json:"message,omitempty"`
	VerifiedAt  time.Time          `json:"verified_at"`
	HolderKey   string             `json:"holder_key,omitempty"` // RFC 7638 thumbprint
	Credentials []CredentialResult `json:"credentials,omitempty"`
	// DroppedClaims counts the selectively disclosed claims beyond the
	// query: not kept.
	DroppedClaims int       `json:"dropped_claims"`
	Findings      []Finding `json:"identity_findings,omitempty"`
	Facts         []Facts   `json:"facts,omitempty"`
	// Assurance is the assurance engine's result (internal/assurance) for
	// the purpose's policy; AssuranceNote says why there is none.
	Assurance     json.RawMessage `json:"assurance,omitempty"`
	AssuranceNote string          `json:"assurance_note,omitempty"`
	// AssuranceProvisional: the only problem was a status that could not
	// be checked (status_unavailable): the outcome stays undetermined, and
	// Assurance is what the credentials meet if their status is
	// confirmed. Revoked, expired, untrusted … credentials never reach
	// the assessment. AssuranceProvisionalNote says so in the result's
	// language (Localize).
	AssuranceProvisional     bool   `json:"assurance_provisional,omitempty"`
	AssuranceProvisionalNote string `json:"assurance_provisional_note,omitempty"`
	// Offline proximity checks only.
	BundleCreated    time.Time         `json:"bundle_created,omitzero"`
	BundleAge        string            `json:"bundle_age,omitempty"`
	StaleAccepted    bool              `json:"stale_accepted,omitempty"`
	ChallengeChecked *bool             `json:"challenge_checked,omitempty"`
	Review           *ReviewedDecision `json:"review,omitempty"`
	// OverAsking: the request of this session asked for more than the
	// registry authorizes this verifier to ask for the purpose (checked
	// against the registry when the request was made).
	OverAsking *OverAsking `json:"over_asking,omitempty"`
	// WalletError is the wallet's error response (§8.5), encrypted or not,
	// as the wallet sent it: CodeWalletDeclined for access_denied,
	// CodeWalletError for any other.
	WalletError *WalletError `json:"wallet_error,omitempty"`
	// RedirectURI is set by Respond for a same-device session: where the
	// wallet sends its user, with the one-time response_code. Never stored.
	RedirectURI string `json:"-"`
}

// WalletError is a wallet's error response.
type WalletError struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
	// Encrypted: it came as direct_post.jwt.
	Encrypted bool `json:"encrypted"`
}

// CredentialResult is one presented credential's outcome. Claims holds
// only the claims the query asked for.
type CredentialResult struct {
	QueryID    string    `json:"query_id"`
	Index      int       `json:"index"`
	Code       Code      `json:"code"`
	Outcome    string    `json:"outcome"`
	Message    string    `json:"message,omitempty"`
	Issuer     string    `json:"issuer,omitempty"`
	IssuerName string    `json:"issuer_name,omitempty"`
	VCT        string    `json:"vct,omitempty"`
	TypeName   string    `json:"type_name,omitempty"`
	IssuedAt   time.Time `json:"issued_at,omitzero"`
	ExpiresAt  time.Time `json:"expires_at,omitzero"`
	// IssuerStatusNow is the issuer's registry status now (it may have
	// been suspended since it issued).
	IssuerStatusNow string `json:"issuer_status_now,omitempty"`
	Status          string `json:"status,omitempty"`
	StatusFrom      string `json:"status_from,omitempty"`
	// StatusFetchedAt is when the status list used was fetched (cached).
	StatusFetchedAt time.Time      `json:"status_fetched_at,omitzero"`
	Claims          map[string]any `json:"claims,omitempty"`
	// Format is the presented format ("" for dc+sd-jwt, "jpt"). A jpt
	// credential has no holder binding (NoHolderBinding; Note says what
	// that means in plain words): whoever held the presentation could
	// have replayed it until the session's nonce expired.
	Format          string `json:"format,omitempty"`
	NoHolderBinding bool   `json:"no_holder_binding,omitempty"`
	Note            string `json:"note,omitempty"`
	// Evidence is the evidence claim after the registry's and the type's
	// caps; EvidenceDeclared what the issuer wrote, when a cap lowered it.
	Evidence         *schemas.Evidence `json:"evidence,omitempty"`
	EvidenceDeclared *schemas.Evidence `json:"evidence_declared,omitempty"`
	SchemaProblems   []schemas.Problem `json:"schema_problems,omitempty"`
}

// Facts are one verified credential's facts for the assurance step
// (DESIGN.md §3): who issued it, what type, when, the evidence it claims
// with the caps of the registry authorization that covered its iat and of
// its type, the holder key, and its core identity claims.
type Facts struct {
	ID            string                     `json:"id"`
	Issuer        string                     `json:"issuer"`
	IssuerName    string                     `json:"issuer_name,omitempty"`
	VCT           string                     `json:"vct"`
	IssuedAt      time.Time                  `json:"issued_at"`
	HolderKey     string                     `json:"holder_key"`
	Evidence      schemas.Evidence           `json:"evidence"`
	Authorization *trust.IssuerAuthorization `json:"authorization,omitempty"`
	TypeCaps      schemas.Evidence           `json:"type_caps"`
	// Kind is "pid" for an EU PID (urn:eudi:pid:1, or a domestic
	// urn:eudi:pid:… type the registry authorizes by name): its evidence
	// is the assurance policy's, and it is not third-party evidence.
	Kind       string `json:"kind,omitempty"`
	FamilyName string `json:"family_name,omitempty"`
	GivenName  string `json:"given_name,omitempty"`
	Birthdate  string `json:"birthdate,omitempty"`
	// BirthdatePrecision and NameVariants, when the query kept them.
	BirthdatePrecision string           `json:"birthdate_precision,omitempty"`
	NameVariants       []map[string]any `json:"name_variants,omitempty"`
}

// Finding is a disagreement of a core identity claim between two
// credentials (internal/assurance's; no values: they would end up in
// logs).
type Finding = assurance.Finding

// Localize fills the messages in lang.
func (r *Result) Localize(lang string) {
	r.Message = Message(r.Code, lang)
	r.AssuranceProvisionalNote = ""
	if r.AssuranceProvisional {
		r.AssuranceProvisionalNote = provisionalNote(r.Assurance, lang)
	}
	if r.OverAsking != nil {
		r.OverAsking.Message = Message(r.OverAsking.Code, lang)
	}
	for i := range r.Credentials {
		r.Credentials[i].Message = Message(r.Credentials[i].Code, lang)
		if r.Credentials[i].NoHolderBinding {
			r.Credentials[i].Note = Message(CodeNoHolderBinding, lang)
		}
	}
}

// verifyOne runs the per-credential pipeline.
func (s *Service) verifyOne(ctx context.Context, pres string, o vccheck.Options, cr *CredentialResult, reg *trust.Registry) (*sdjwtvc.Result, *trust.Decision) {
	out, err := vccheck.Verify(ctx, pres, o)
	if errors.Is(err, sdjwt.ErrAudience) && kbAudience(pres) == strings.TrimPrefix(o.Credential.Audience, oid4vp.PrefixDecentralizedIdentifier+":") {
		err = errKBAudienceNoPrefix
	}
	if out != nil {
		if r := out.Result; r != nil {
			cr.Issuer, cr.VCT, cr.IssuedAt, cr.ExpiresAt = r.Issuer, r.VCT, r.IssuedAt, r.ExpiresAt
		}
		cr.Status, cr.StatusFrom, cr.StatusFetchedAt = out.Status, out.StatusFrom, out.StatusFetchedAt
	}
	if reg != nil && cr.Issuer != "" {
		e := reg.Entity(cr.Issuer)
		if e == nil && out != nil && out.Anchor != nil {
			// An X.509-anchored issuer (a PID provider from a trusted
			// list): the registry entity is the anchor's, not its iss.
			e = out.Anchor.Entity
		}
		if e != nil {
			cr.IssuerName = e.Name("en")
			cr.IssuerStatusNow = string(e.StatusAt(s.cfg.Now()))
		}
	}
	cr.Code = codeOf(err)
	// A status that could not be checked is the one failure after which
	// the credential is otherwise verified (signature, trust, binding):
	// it goes on, undetermined, to the type checks and a provisional
	// assessment.
	unchecked := cr.Code == Code(vccheck.CodeStatusUnavailable) && out != nil && out.Result != nil
	if err != nil {
		s.cfg.Logger.Info("credential refused", "code", string(cr.Code), "cause", err.Error())
		if !unchecked {
			return nil, nil
		}
	}
	r := out.Result
	t, terr := s.typeOf(r.VCT, reg)
	if terr != nil {
		cr.Code = CodeUnknownType
		return nil, nil
	}
	cr.TypeName = englishName(t)
	if probs := disclosedProblems(t, r.Claims); len(probs) > 0 {
		cr.Code, cr.SchemaProblems = CodeSchemaInvalid, probs
		return nil, nil
	}
	return r, out.Decision
}

// typeOf is the catalogue type a credential of type vct is read as: its
// own, or, for a domestic PID type (urn:eudi:pid:…) that the registry
// authorizes a PID provider for by name, the EU PID's (assurance.IsPID).
func (s *Service) typeOf(vct string, reg *trust.Registry) (*schemas.Type, error) {
	t, err := s.cfg.Catalogue.Lookup(vct)
	if err == nil || !assurance.IsPID(vct, nil, registeredPIDTypes(reg)) {
		return t, err
	}
	return s.cfg.Catalogue.Lookup(assurance.PIDVCT)
}

// registeredPIDTypes are the PID types the registry names in an issuer
// authorization (not the urn:eudi:pid:* pattern itself): the domestic
// types registered for PID providers.
func registeredPIDTypes(reg *trust.Registry) []string {
	if reg == nil {
		return nil
	}
	var out []string
	for _, e := range reg.Entities {
		for _, a := range e.IssuerAuthorizations {
			if strings.HasPrefix(a.VCT, vccheck.PIDVCTPrefix) && !strings.Contains(a.VCT, "*") && !slices.Contains(out, a.VCT) {
				out = append(out, a.VCT)
			}
		}
	}
	return out
}

// typeNames caches each catalogue type's English name (types are
// immutable once loaded; choosing the locale parses language tags).
var typeNames sync.Map // *schemas.Type -> string

func englishName(t *schemas.Type) string {
	if n, ok := typeNames.Load(t); ok {
		return n.(string)
	}
	n := t.DisplayName("en")
	typeNames.Store(t, n)
	return n
}

// disclosedProblems validates the disclosed claims against the type's
// schema; a required claim left undisclosed is no problem.
func disclosedProblems(t *schemas.Type, claims map[string]any) []schemas.Problem {
	// The registered claims were checked by the credential layer; the
	// schemas accept them, so they are left out.
	user := make(map[string]any, len(claims))
	for k, v := range claims {
		switch k {
		case "iss", "vct", "iat", "exp", "nbf", "cnf", "status", "sub", "vct#integrity":
		default:
			user[k] = v
		}
	}
	err := t.ValidateDecoded(user)
	if err == nil {
		return nil
	}
	var ve *schemas.ValidationError
	if !errors.As(err, &ve) {
		return []schemas.Problem{{Message: "could not be validated"}}
	}
	var out []schemas.Problem
	for _, p := range ve.Problems {
		if p.Message != "is required" {
			out = append(out, p)
		}
	}
	return out
}

// kbAudience reads, without verifying, the aud of a presentation's KB-JWT
// (only to tell a missing client id prefix apart from another audience on
// a presentation already refused).
func kbAudience(pres string) string {
	i := strings.LastIndexByte(pres, '~')
	if i < 0 || i == len(pres)-1 {
		return ""
	}
	j, err := jose.ParseLimited(pres[i+1:], 16<<10)
	if err != nil {
		return ""
	}
	var p struct {
		Aud any `json:"aud"`
	}
	if json.Unmarshal(j.Payload, &p) != nil {
		return ""
	}
	a, _ := p.Aud.(string)
	return a
}

// evidenceOf reads the evidence claim and caps it with the authorization
// that covered iat and the type.
func evidenceOf(claims map[string]any, auth *trust.IssuerAuthorization, t *schemas.Type) (declared schemas.Evidence, capped schemas.Evidence, ok bool) {
	raw, present := claims["evidence"]
	if !present {
		return declared, capped, false
	}
	if declared, ok = evidenceFromDecoded(raw); !ok {
		b, err := json.Marshal(raw)
		if err != nil || json.Unmarshal(b, &declared) != nil {
			return declared, capped, false
		}
	}
	capped = declared
	if t != nil {
		capped = t.CapEvidence(capped)
	}
	if auth != nil {
		capped.Strength, capped.Validity, capped.Verification = trust.CapEvidence(*auth, capped.Strength, capped.Validity, capped.Verification)
	}
	return declared, capped, true
}

// evidenceFromDecoded reads a decoded evidence object without a JSON
// round trip: integer members as json.Number, string members as strings,
// other members ignored (as json.Unmarshal into schemas.Evidence would);
// anything else is !ok, and the caller takes the round trip.
func evidenceFromDecoded(raw any) (schemas.Evidence, bool) {
	var e schemas.Evidence
	m, ok := raw.(map[string]any)
	if !ok {
		return e, false
	}
	ints := map[string]*int{"strength": &e.Strength, "validity": &e.Validity, "verification": &e.Verification, "identity_fraud": &e.IdentityFraud}
	strs := map[string]*string{"known_since": &e.KnownSince, "method": &e.Method}
	for k, v := range m {
		if p, isInt := ints[k]; isInt {
			n, isNum := v.(json.Number)
			if !isNum {
				return e, false
			}
			i, err := strconv.Atoi(string(n))
			if err != nil {
				return e, false
			}
			*p = i
		} else if p, isStr := strs[k]; isStr {
			s, isS := v.(string)
			if !isS {
				return e, false
			}
			*p = s
		} else {
			for name := range ints {
				if strings.EqualFold(k, name) {
					return e, false // json.Unmarshal matches case-insensitively
				}
			}
			for name := range strs {
				if strings.EqualFold(k, name) {
					return e, false
				}
			}
		}
	}
	return e, true
}

// verify runs the whole pipeline on a vp_token for a session.
func (s *Service) verify(ctx context.Context, sess *Session, tok oid4vp.VPToken) *Result {
	now := s.cfg.Now()
	p := s.cfg.Purposes[sess.Purpose]
	res := &Result{SessionID: sess.ID, Purpose: sess.Purpose, VerifiedAt: now.UTC()}
	reg := s.Registry()
	o := vccheck.Options{
		SkipUndisclosed: true, // DroppedClaims says what was shown beyond the query
		Registry:        reg,
		StatusLists:     s.status,
		Credential: sdjwtvc.VerifyOptions{
			Trust:             sdjwtvc.Trust{Resolver: withLocalKeyCache(s.cfg.Resolver)},
			RequireKeyBinding: true,
			Nonce:             sess.Nonce,
			Audience:          s.clientID,
			Now:               s.cfg.Now,
			KBMaxAge:          s.cfg.KBMaxAge,
			ClockSkew:         s.cfg.ClockSkew,
		},
	}
	s.assemble(ctx, res, p, tok, o, reg, &jptSession{Audience: s.clientID, Nonce: sess.Nonce, Until: sess.ExpiresAt.Add(s.cfg.ClockSkew)})
	return res
}

// assemble verifies every presentation of tok with o and decides the
// whole: per-credential codes, one holder key, the query answered, core
// identity consistency, then assurance.
//
// A credential query of format jpt is answered by jpt presentations
// (verifyJPT, with js; nil outside an online session refuses them).
func (s *Service) assemble(ctx context.Context, res *Result, p *Purpose, tok oid4vp.VPToken, o vccheck.Options, reg *trust.Registry, js *jptSession) {
	formats := map[string]string{}
	for _, cq := range p.Query().Credentials {
		formats[cq.ID] = cq.Format
	}
	presented := map[string][]oid4vp.Credential{}
	type verified struct {
		r   *sdjwtvc.Result
		d   *trust.Decision
		idx int // into res.Credentials
	}
	var all []verified
	// unread: a credential whose status could not be checked was not read
	// either; no assessment can be made without it.
	firstBad, undetermined, unread := Code(""), false, false
	for _, qid := range tok.IDs() {
		for i, pres := range tok[qid] {
			cr := CredentialResult{QueryID: qid, Index: i}
			var r *sdjwtvc.Result
			var d *trust.Decision
			if formats[qid] == oid4vp.FormatJPT {
				r, d = s.verifyJPT(ctx, pres, js, &cr, reg)
			} else {
				r, d = s.verifyOne(ctx, pres, o, &cr, reg)
			}
			cr.Outcome = OutcomeOf(cr.Code)
			res.Credentials = append(res.Credentials, cr)
			switch {
			case cr.Code == Code(vccheck.CodeStatusUnavailable):
				undetermined = true
				unread = unread || r == nil
			case r == nil && firstBad == "":
				firstBad = cr.Code
			}
			if r == nil {
				continue
			}
			all = append(all, verified{r: r, d: d, idx: len(res.Credentials) - 1})
			if cr.Format == oid4vp.FormatJPT {
				presented[qid] = append(presented[qid], &oid4vp.JPTCredential{Type: r.VCT, Tree: r.Claims})
				continue
			}
			c, err := oid4vp.VerifiedCredential(&sdjwt.Verified{Claims: r.Claims, Disclosures: r.Disclosures, HolderKey: r.HolderJWK, KeyBinding: r.KeyBinding})
			if err != nil {
				res.Credentials[len(res.Credentials)-1].Code = Code(vccheck.CodeInvalid)
				res.Credentials[len(res.Credentials)-1].Outcome = OutcomeInvalid
				if firstBad == "" {
					firstBad = Code(vccheck.CodeInvalid)
				}
				continue
			}
			presented[qid] = append(presented[qid], c)
		}
	}
	finish := func(c Code) {
		res.Code, res.Outcome = c, OutcomeOf(c)
		for i := range res.Credentials {
			if res.Credentials[i].Code == CodeValid {
				res.Credentials[i].Claims = nil
			}
		}
	}
	// One holder key across every credential, bad ones included: a
	// presentation mixing holders is refused as a whole, with its own code.
	holders := map[string]bool{}
	for _, v := range all {
		if v.r.HolderJWK != nil {
			holders[v.r.HolderJWK.Thumbprint()] = true
		}
	}
	if len(holders) > 1 {
		for _, v := range all {
			res.Credentials[v.idx].Code, res.Credentials[v.idx].Outcome = CodeHolderMismatch, OutcomeInvalid
		}
		finish(CodeHolderMismatch)
		return
	}
	// Any definite failure (revoked, expired, untrusted …) ends here,
	// without an assessment. A status that could not be checked does not:
	// the assessment is made, provisional, and the outcome stays
	// undetermined.
	switch {
	case firstBad != "":
		finish(firstBad)
		return
	case undetermined && (len(all) == 0 || unread):
		finish(Code(vccheck.CodeStatusUnavailable))
		return
	case len(all) == 0:
		finish(CodeQueryNotSatisfied)
		return
	}
	for h := range holders {
		res.HolderKey = h
	}
	check, err := oid4vp.CheckResponse(p.Query(), presented)
	if err != nil {
		s.cfg.Logger.Info("query not satisfied", "purpose", p.ID, "cause", err.Error())
		finish(CodeQueryNotSatisfied)
		return
	}
	res.DroppedClaims = len(check.Extra)
	// Keep only the claims the query asked for, per presentation.
	kept := map[string][]map[string]any{}
	for _, a := range check.Answered {
		for _, ap := range a.Presentations {
			m := map[string]any{}
			for _, c := range ap.Claims {
				setPath(m, c.Path, c.Value)
			}
			kept[a.ID] = append(kept[a.ID], m)
		}
	}
	for _, v := range all {
		cr := &res.Credentials[v.idx]
		if ks := kept[cr.QueryID]; cr.Index < len(ks) {
			cr.Claims = ks[cr.Index]
		}
		t, _ := s.typeOf(v.r.VCT, reg)
		var auth *trust.IssuerAuthorization
		if v.d != nil {
			auth = v.d.Authorization
		}
		f := Facts{ID: cr.QueryID + "/" + itoa(cr.Index), Issuer: v.r.Issuer, IssuerName: cr.IssuerName, VCT: v.r.VCT, IssuedAt: v.r.IssuedAt, HolderKey: res.HolderKey, Authorization: auth}
		if t != nil {
			f.TypeCaps = t.MaxEvidence
		}
		if assurance.IsPID(v.r.VCT, nil, registeredPIDTypes(reg)) {
			f.Kind = assurance.KindPID
		} else if declared, capped, ok := evidenceOf(v.r.Claims, auth, t); ok {
			f.Evidence = declared
			cr.Evidence = &capped
			if capped != declared {
				cr.EvidenceDeclared = &declared
			}
		}
		f.FamilyName, _ = cr.Claims["family_name"].(string)
		f.GivenName, _ = cr.Claims["given_name"].(string)
		f.Birthdate, _ = cr.Claims["birthdate"].(string)
		f.BirthdatePrecision, _ = cr.Claims["birthdate_precision"].(string)
		if nv, ok := cr.Claims["name_variants"].([]any); ok {
			for _, x := range nv {
				if m, ok := x.(map[string]any); ok {
					f.NameVariants = append(f.NameVariants, m)
				}
			}
		}
		res.Facts = append(res.Facts, f)
	}
	res.Findings = identityFindings(res.Facts, s.cfg.Catalogue)
	code := CodeValid
	if len(res.Findings) > 0 {
		code = CodeIdentityMismatch
	}
	if undetermined {
		// The verdict stays "could not check"; the findings are listed.
		code, res.AssuranceProvisional = Code(vccheck.CodeStatusUnavailable), true
	}
	res.Code, res.Outcome = code, OutcomeOf(code)
	assess := s.cfg.Assess
	if assess == nil {
		assess = Assess(s.cfg.Catalogue)
	}
	a, err := assess(p.Policy, res.Facts, s.cfg.Now())
	if err != nil {
		res.AssuranceNote = "assurance not evaluated: " + err.Error()
		return
	}
	res.Assurance = a
}

func itoa(i int) string { return strconv.Itoa(i) }

// setPath puts v at the concrete path p inside m (object members only;
// array elements become arrays grown as needed).
func setPath(m map[string]any, p oid4vp.ClaimPath, v any) {
	var cur any = m
	for i, el := range p {
		last := i == len(p)-1
		switch k := el.(type) {
		case string:
			obj, ok := cur.(map[string]any)
			if !ok {
				return
			}
			if last {
				obj[k] = v
				return
			}
			next, ok := obj[k]
			if !ok {
				if _, isIdx := p[i+1].(int); isIdx {
					next = []any{}
				} else {
					next = map[string]any{}
				}
				obj[k] = next
			}
			if arr, isArr := next.([]any); isArr {
				if idx, isIdx := p[i+1].(int); isIdx && idx >= len(arr) && idx < 1024 {
					arr = append(arr, make([]any, idx+1-len(arr))...)
					obj[k] = arr
					next = arr
				}
			}
			cur = next
		case int:
			arr, ok := cur.([]any)
			if !ok || k >= len(arr) {
				return
			}
			if last {
				arr[k] = v
				return
			}
			if arr[k] == nil {
				arr[k] = map[string]any{}
			}
			cur = arr[k]
		default:
			return
		}
	}
}

// identityFindings are the disagreements of core identity claims between
// the verified credentials, from internal/assurance's consistency rules
// (the one source of truth; its agreements through a variant or a
// coarser precision are in the assurance result).
func identityFindings(facts []Facts, cat *schemas.Catalogue) []Finding {
	var out []Finding
	for _, f := range assurance.Consistency(AssuranceCredentials(facts, cat)) {
		if f.Outcome == assurance.Disagree {
			out = append(out, f)
		}
	}
	return out
}
