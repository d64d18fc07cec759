package vccheck

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-id/cairn/internal/claimpath"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/internal/x509trust"
	"github.com/cairn-id/cairn/schemas"
)

// Report is what one verification found, enriched for the person at the
// desk: the outcome as one plain message with what to do, the claims with
// their catalogue labels and value labels in a chosen language, which
// claims or elements were withheld, the evidence as claimed and as capped
// by the registry, the status check, and how fresh the registry was. A CLI
// prints it; a verifier service renders or serves it. Build one with
// NewReport.
type Report struct {
	// Lang is the language of labels and phrases.
	Lang  string `json:"lang"`
	Valid bool   `json:"valid"`
	Code  Code   `json:"code,omitempty"`
	// Message is one plain sentence saying what was found; Advice what to
	// do about it. Both are empty for a valid credential.
	Message string `json:"message,omitempty"`
	Advice  string `json:"advice,omitempty"`
	// Expected and Presented are the desk's and the presentation's values
	// on a nonce or audience mismatch, e.g. `nonce "n-2"`.
	Expected  string `json:"expected,omitempty"`
	Presented string `json:"presented,omitempty"`
	// Detail is the technical cause (the error's text).
	Detail string `json:"detail,omitempty"`

	Issuer   *Party `json:"issuer,omitempty"`
	VCT      string `json:"vct,omitempty"`
	TypeName string `json:"type_name,omitempty"`

	IssuedAt  time.Time `json:"issued_at,omitzero"`
	NotBefore time.Time `json:"not_before,omitzero"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`

	// Claims are the disclosed claims (registered JWT claims left out),
	// in catalogue order, then by name.
	Claims []Claim `json:"claims_labelled,omitempty"`
	// Withheld are the claims of the type that were not disclosed and the
	// arrays some of whose elements may have been withheld.
	Withheld []Withheld `json:"withheld,omitempty"`
	Evidence *Evidence  `json:"evidence,omitempty"`
	Status   *Status    `json:"status_check,omitempty"`
	Registry *Registry  `json:"registry,omitempty"`
	// Compromise is the registry's revocation of the issuer's key as
	// compromised, when that is why the credential is refused.
	Compromise *trust.StatusChange `json:"issuer_compromised,omitempty"`
	// Chain is the x5c certificate path the issuer key came from, when it
	// validated: each certificate (leaf first) and the anchor it closed on.
	Chain *Chain `json:"x509_chain,omitempty"`
	// CertProfile is the ETSI TS 119 412-6 report on the signing
	// certificate; CertRevocation the CRL check of the path.
	CertProfile    *x509trust.ProfileReport    `json:"certificate_profile,omitempty"`
	CertRevocation *x509trust.RevocationReport `json:"certificate_revocation,omitempty"`
	// Provider is the registry entity whose anchor the x5c chain closed
	// on (a PID provider imported from a trusted list), with the list
	// that states it.
	Provider *Provider `json:"provider,omitempty"`
	// IssuerBinding is how iss relates to the signing certificate of an
	// x5c chain: the issuer is the certificate's subject.
	IssuerBinding *IssuerBinding `json:"issuer_certificate,omitempty"`
	// PID is the PID profile's findings on the header and payload (every
	// one, also when several refuse the credential together).
	PID *PIDReport `json:"pid_profile,omitempty"`
	// Warnings are departures accepted (lenient mode) or noticed.
	Warnings []string `json:"warnings,omitempty"`
}

// Chain is a validated x5c path as shown: the certificates, leaf first,
// then the anchor, and where that anchor was configured from.
type Chain struct {
	Certificates []x509trust.Link `json:"certificates"`
	Anchor       AnchorInfo       `json:"anchor"`
	// AnchorInX5C: x5c carried a copy of the anchor, which was ignored.
	AnchorInX5C bool `json:"anchor_in_x5c,omitempty"`
}

// AnchorInfo names the trust anchor a chain closed on.
type AnchorInfo struct {
	Name    string `json:"name"`
	Subject string `json:"subject"`
	Context string `json:"context"`
	SKI     string `json:"ski"` // base64url
	Source  string `json:"source,omitempty"`
}

// ChainOf describes a validated path for display.
func ChainOf(p *x509trust.Path) *Chain {
	if p == nil {
		return nil
	}
	a := p.Anchor
	return &Chain{Certificates: p.Links(), AnchorInX5C: p.AnchorInX5C, Anchor: AnchorInfo{Name: a.Name, Subject: a.Cert.Subject.String(),
		Context: string(a.Context), SKI: base64.RawURLEncoding.EncodeToString(a.SKI), Source: a.Source}}
}

// Provider is a registry entity anchored by X.509 (imported from an ETSI
// list) as a report names it: the entity keyed by the list, not by iss.
type Provider struct {
	DID       string             `json:"did"`
	Name      string             `json:"name"`
	StatusNow trust.EntityStatus `json:"status_now,omitempty"`
	// List is the list the entity came from (format, type, territory,
	// its name there), with Source the list that last stated the anchor
	// the chain closed on: location, sequence number, issue time.
	List trust.EntityList `json:"list"`
	// TrustedAtIAT is whether the anchor was trusted at the credential's
	// iat; AnchorStatusNow its standing now, RevokedAt since when.
	TrustedAtIAT    bool               `json:"trusted_at_iat"`
	AnchorStatusNow trust.AnchorStatus `json:"anchor_status_now"`
	RevokedAt       time.Time          `json:"anchor_revoked_at,omitzero"`
}

// providerOf is the report's Provider for a registry anchor decision.
func providerOf(d *trust.AnchorDecision, lang string) *Provider {
	if d == nil || d.Entity == nil {
		return nil
	}
	e := d.Entity
	p := &Provider{DID: e.DID, Name: e.Name(lang), StatusNow: e.Status, TrustedAtIAT: d.Trusted, AnchorStatusNow: d.CurrentStatus, RevokedAt: d.RevokedAt}
	if e.List != nil {
		p.List = *e.List
	}
	if a := d.Anchor; a != nil {
		// The anchor's own source is the list that last stated it.
		p.List.Source = a.Source
	}
	return p
}

// Line says who issued the credential as a desk reads it: "issued by
// <name> (listed in <list> seq N)".
func (p *Provider) Line() string {
	where := p.List.Source.URL
	if where == "" {
		where = p.List.Type
	}
	if where == "" {
		where = "the registry"
	}
	s := fmt.Sprintf("issued by %s (listed in %s seq %d", p.Name, where, p.List.Source.Sequence)
	if p.List.Territory != "" {
		s += ", " + p.List.Territory
	}
	s += ")"
	if p.AnchorStatusNow == trust.AnchorRevoked && !p.RevokedAt.IsZero() {
		s += fmt.Sprintf("; its anchor was removed on %s", p.RevokedAt.UTC().Format("2006-01-02"))
	}
	return s
}

// Party is an issuer or registry: its name (from the registry, in the
// report's language) before its identifier.
type Party struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	// StatusNow is the issuer's standing in the registry now.
	StatusNow trust.EntityStatus `json:"status_now,omitempty"`
}

// Claim is one disclosed claim.
type Claim struct {
	Path  string `json:"path"`  // JSON Pointer
	Label string `json:"label"` // catalogue label, or the claim name
	Value any    `json:"value"`
	// Display is the value as a person reads it: dates as dates,
	// enumerated values with their labels ("2 (Female)"), arrays joined.
	Display string `json:"display"`
	// MoreWithheld is set on an array some of whose elements were not
	// disclosed (or are decoys: a verifier cannot count them); NoneShown
	// when not one element was disclosed.
	MoreWithheld bool `json:"more_withheld,omitempty"`
	NoneShown    bool `json:"none_shown,omitempty"`
}

// Withheld is a claim, or the elements of an array, not disclosed.
type Withheld struct {
	Path  string `json:"path"`
	Label string `json:"label"`
	// Kind is "claim" (a claim of the type not disclosed, or not in the
	// credential) or "elements" (elements of a disclosed array).
	Kind string `json:"kind"`
}

// Scores are GPG 45-style evidence scores.
type Scores struct {
	Strength     int `json:"strength"`
	Validity     int `json:"validity"`
	Verification int `json:"verification"`
}

// Evidence is the evidence claim as the issuer claimed it and, when the
// registry authorized the issuer with caps, as capped (DESIGN.md §3):
// the capped values are the ones to weigh.
type Evidence struct {
	Claimed Scores  `json:"claimed"`
	Capped  *Scores `json:"capped,omitempty"`
	Caps    *Scores `json:"caps,omitempty"`
	Method  string  `json:"method,omitempty"`
}

// Status is the outcome of the status list check.
type Status struct {
	// Checked is false when the status could not be checked.
	Checked bool   `json:"checked"`
	Value   string `json:"value,omitempty"` // valid, revoked, suspended …
	URI     string `json:"uri"`
	From    string `json:"from,omitempty"` // "bundle" or the URI
	// ListIssuedAt and ListAge say how old the list read (or the copy
	// held) was; zero when no copy was held.
	ListIssuedAt time.Time     `json:"list_issued_at,omitzero"`
	ListAge      time.Duration `json:"list_age_ns,omitempty"`
	Cause        string        `json:"cause,omitempty"`
}

// Registry tells which registry decided and how fresh it was.
type Registry struct {
	ID        string    `json:"id"`
	Name      string    `json:"name,omitempty"`
	Version   uint64    `json:"version"`
	IssuedAt  time.Time `json:"issued_at"`
	ExpiresAt time.Time `json:"expires_at"`
	// Age is how old the snapshot was; StaleBy how long past its expiry
	// it was accepted under an explicit grace (AcceptStale), zero when
	// it had not expired.
	Age         time.Duration `json:"-"`
	StaleBy     time.Duration `json:"-"`
	AcceptStale time.Duration `json:"-"`
	// DecisionReason is the registry's reason for its decision.
	DecisionReason string `json:"decision_reason,omitempty"`
}

// ReportOptions say how to present a report.
type ReportOptions struct {
	// Lang is a BCP 47 tag for labels ("en" when empty).
	Lang string
	// Catalogue gives the labels; nil leaves claim names as labels.
	Catalogue *schemas.Catalogue
	// Now is the time of verification (ages are measured from it).
	Now time.Time
	// Nonce and Audience are what the desk expected.
	Nonce, Audience string
	// Stale is how long past its expiry the registry snapshot was
	// accepted (trust.Loaded.Stale), under the grace AcceptStale.
	Stale, AcceptStale time.Duration
	// WithheldClaims lists, in Withheld, the claims the credential's type
	// defines that were not disclosed (a catalogue view: without it the
	// report names only what was disclosed, and marks arrays whose
	// elements may have been withheld).
	WithheldClaims bool
}

// NewReport builds the report of a verification from Verify's outcome and
// error.
func NewReport(oc *Outcome, err error, o ReportOptions) *Report {
	if oc == nil {
		oc = &Outcome{}
	}
	lang := o.Lang
	if lang == "" {
		lang = "en"
	}
	r := &Report{Lang: lang, Valid: err == nil, Code: Classify(err)}
	if err != nil {
		r.Detail = err.Error()
	}
	res := oc.Result
	var typ *schemas.Type
	if res != nil {
		r.VCT = res.VCT
		r.IssuedAt, r.NotBefore, r.ExpiresAt = res.IssuedAt, res.NotBefore, res.ExpiresAt
		r.Issuer = &Party{ID: res.Issuer}
		if o.Catalogue != nil {
			if t, lerr := o.Catalogue.Lookup(res.VCT); lerr == nil {
				typ = t
				r.TypeName = t.DisplayName(lang)
			}
		}
	}
	if reg := oc.Registry; reg != nil {
		r.Registry = &Registry{ID: reg.ID, Name: reg.Name, Version: reg.Version, IssuedAt: reg.IssuedAt.UTC(), ExpiresAt: reg.Expires.UTC(),
			Age: o.Now.Sub(reg.IssuedAt), StaleBy: o.Stale, AcceptStale: o.AcceptStale}
		if oc.Decision != nil {
			r.Registry.DecisionReason = oc.Decision.Reason
		}
		if r.Issuer != nil {
			if e := reg.Entity(r.Issuer.ID); e != nil {
				r.Issuer.Name, r.Issuer.StatusNow = e.Name(lang), e.Status
			}
		}
	}
	r.Compromise = oc.Compromise
	r.Chain, r.CertProfile, r.CertRevocation = ChainOf(oc.Chain), oc.CertProfile, oc.Revocation
	r.Warnings, r.PID, r.IssuerBinding = oc.Warnings, oc.PID, oc.IssuerBinding
	r.Provider = providerOf(oc.Anchor, lang)
	if oc.StatusURI != "" {
		s := &Status{URI: oc.StatusURI, Checked: oc.Status != "" && !errors.Is(err, ErrStatusUnavailable), Value: oc.Status, From: oc.StatusFrom, ListIssuedAt: oc.StatusListIssuedAt.UTC()}
		if !oc.StatusListIssuedAt.IsZero() {
			s.ListIssuedAt = oc.StatusListIssuedAt.UTC()
			s.ListAge = o.Now.Sub(oc.StatusListIssuedAt)
		}
		if errors.Is(err, ErrStatusUnavailable) {
			s.Checked = false
			s.Cause = statusCause(err)
		}
		r.Status = s
	}
	if res != nil && err == nil {
		r.Claims, r.Withheld = claimsOf(res.Claims, oc.Undisclosed, typ, lang, o.WithheldClaims)
		r.Evidence = evidenceOf(res.Claims, oc)
	}
	r.explain(err, oc, o)
	return r
}

// statusCause is the cause of ErrStatusUnavailable without the sentinel's
// own words.
func statusCause(err error) string {
	s := err.Error()
	if i := strings.Index(s, ErrStatusUnavailable.Error()+": "); i >= 0 {
		return s[i+len(ErrStatusUnavailable.Error())+2:]
	}
	return s
}

// explain sets Message, Advice, Expected and Presented from the outcome.
func (r *Report) explain(err error, oc *Outcome, o ReportOptions) {
	if err == nil {
		return
	}
	day := func(t time.Time) string { return t.UTC().Format("2006-01-02") }
	switch r.Code {
	case "nonce_mismatch":
		r.Message = "the presentation was made for another request: its nonce is not the one this desk sent"
		r.Advice = "ask the person to present again, to this request"
		r.Expected = strconv.Quote(o.Nonce)
		r.Presented = strconv.Quote(oc.PresentedNonce)
		r.Expected, r.Presented = "nonce "+r.Expected, "nonce "+r.Presented
	case "audience_mismatch":
		r.Message = "the presentation was made for another desk"
		r.Advice = "ask the person to present again, to this desk"
		r.Expected, r.Presented = "audience "+strconv.Quote(o.Audience), "audience "+strconv.Quote(oc.PresentedAudience)
	case "key_binding_missing":
		r.Message = "the credential was shown without proof that the person presenting it holds it"
		r.Advice = "ask the person to present it again from their wallet"
	case "key_binding_invalid":
		r.Message = "the proof that the person holds the credential is invalid or too old"
		r.Advice = "ask the person to present again"
	case "invalid_signature":
		r.Message = "the credential's signature does not verify: it was altered or not signed by its issuer"
		r.Advice = "do not accept it"
	case CodeIssuerCompromised:
		c := oc.Compromise
		r.Message = fmt.Sprintf("the issuer's key was reported compromised on %s (%s): nothing signed with it can be trusted", day(c.At), orNone(c.Reason))
		r.Advice = "do not accept it; the person should ask the issuer for a new credential"
	case CodeUntrusted:
		r.Message = "the issuer is not trusted by this desk"
		r.Advice = "do not accept it; if the issuer should be trusted, ask your registry administrator"
	case CodeNotAuthorized:
		r.Message = "the issuer was not authorized by the registry to issue this type of credential when it issued it"
		r.Advice = "do not accept it; the person should ask an authorized issuer"
	case CodeExpired:
		r.Message = "the credential has expired"
		if oc.Result != nil && !oc.Result.ExpiresAt.IsZero() {
			r.Message += " (on " + day(oc.Result.ExpiresAt) + ")"
		}
		r.Advice = "the person should ask the issuer for a new credential"
	case CodeNotYetValid:
		r.Message = "the credential is not valid yet"
		r.Advice = "check the desk's clock; otherwise do not accept it before it is valid"
	case CodeRevoked:
		r.Message = "the issuer has revoked this credential"
		r.Advice = "do not accept it; the person should contact the issuer"
	case CodeSuspended:
		r.Message = "the issuer has suspended this credential"
		r.Advice = "do not accept it for now; the person should contact the issuer"
	case CodeStatusUnavailable:
		r.Message = "could not check revocation: " + r.Status.causeOr(statusCause(err))
		if r.Status != nil && !r.Status.ListIssuedAt.IsZero() {
			r.Message += fmt.Sprintf("; the copy of the status list held was issued %s ago", trust.RoughAge(r.Status.ListAge))
		} else {
			r.Message += "; no copy of the status list is held"
		}
		r.Advice = "check the connection and verify again, or verify with an offline bundle that carries this status list ('cairn registry bundle'); the signature and the issuer were checked, the revocation was not"
	case CodeNoX5C:
		r.Message = "the credential carries no certificate chain (x5c), and this issuer's key can only come from one"
		r.Advice = "do not accept it; a PID must be signed under a certificate of a listed PID provider"
	case CodeUntrustedChain:
		r.Message = "the issuer's certificate chain does not end at a trust anchor this desk holds"
		r.Advice = "do not accept it; if the provider should be trusted, import its list of trusted entities or configure its CA"
	case CodeWrongVCT:
		r.Message = "the credential is not of a PID type (urn:eudi:pid:…)"
		r.Advice = "do not accept it as a PID"
	case CodeCertificateProfile:
		r.Message = "the issuer's signing certificate does not meet the PID provider certificate profile (ETSI TS 119 412-6)"
		r.Advice = "do not accept it under the strict profile"
	case CodeCertificateRevoked:
		r.Message = "a certificate of the issuer's chain has been revoked by its CA"
		r.Advice = "do not accept it; the person should ask the provider for a new credential"
	case CodeIssuerKeyUnresolved:
		r.Message = "the issuer's key could not be found"
		r.Advice = "verify online, or pin the issuer's key"
	default:
		r.Message = "the credential is not valid"
		r.Advice = "do not accept it; ask the person to present again if it may have been damaged in transfer"
	}
}

func (s *Status) causeOr(def string) string {
	if s != nil && s.Cause != "" {
		return s.Cause
	}
	return def
}

// registered are the JWT and SD-JWT VC claims shown apart from the
// credential's own claims.
var registered = map[string]bool{"iss": true, "vct": true, "iat": true, "exp": true, "nbf": true, "cnf": true, "status": true, "sub": true, "jti": true, "vct#integrity": true}

func claimsOf(claims map[string]any, hidden map[string]int, typ *schemas.Type, lang string, typeClaims bool) ([]Claim, []Withheld) {
	label := func(path []any) string {
		if typ != nil {
			return typ.Label(path, lang)
		}
		for i := len(path) - 1; i >= 0; i-- {
			if s, ok := path[i].(string); ok {
				return s
			}
		}
		return ""
	}
	var names []string
	for k := range claims {
		if !registered[k] {
			names = append(names, k)
		}
	}
	order := map[string]int{}
	if typ != nil {
		for i, cm := range typ.Metadata.Claims {
			if len(cm.Path) == 1 {
				if s, ok := cm.Path[0].(string); ok {
					if _, seen := order[s]; !seen {
						order[s] = i
					}
				}
			}
		}
	}
	rank := func(n string) int {
		if i, ok := order[n]; ok {
			return i
		}
		return len(order) + 1
	}
	sort.Slice(names, func(i, j int) bool {
		if ri, rj := rank(names[i]), rank(names[j]); ri != rj {
			return ri < rj
		}
		return names[i] < names[j]
	})
	var out []Claim
	var withheld []Withheld
	for _, n := range names {
		ptr := "/" + claimpath.Escape(n)
		c := Claim{Path: ptr, Label: label([]any{n}), Value: claims[n], Display: display(typ, []any{n}, claims[n], lang)}
		if arr, ok := claims[n].([]any); ok && hidden[ptr] > 0 {
			c.MoreWithheld = true
			c.NoneShown = len(arr) == 0
			withheld = append(withheld, Withheld{Path: ptr, Label: c.Label, Kind: "elements"})
		}
		out = append(out, c)
	}
	// Claims the type defines, absent, where the credential hides digests
	// at its top level: withheld (or not in the credential; the digests
	// do not say which).
	if typeClaims && typ != nil && hidden[""] > 0 {
		seen := map[string]bool{}
		for _, cm := range typ.Metadata.Claims {
			if len(cm.Path) != 1 {
				continue
			}
			n, ok := cm.Path[0].(string)
			if !ok || seen[n] || registered[n] || n == "evidence" || cm.SD == schemas.SDNever {
				continue
			}
			seen[n] = true
			if _, present := claims[n]; !present {
				withheld = append(withheld, Withheld{Path: "/" + claimpath.Escape(n), Label: label([]any{n}), Kind: "claim"})
			}
		}
	}
	return out, withheld
}

// display renders a claim value as a person reads it.
func display(typ *schemas.Type, path []any, v any, lang string) string {
	withLabel := func(s string) string {
		if typ != nil {
			if l, ok := typ.ValueLabel(path, v, lang); ok {
				return s + " (" + l + ")"
			}
		}
		return s
	}
	switch x := v.(type) {
	case nil:
		return "—"
	case string:
		return withLabel(x)
	case json.Number:
		return withLabel(x.String())
	case float64:
		return withLabel(strconv.FormatFloat(x, 'f', -1, 64))
	case bool:
		return withLabel(strconv.FormatBool(x))
	case []any:
		parts := make([]string, 0, len(x))
		for _, el := range x {
			parts = append(parts, display(typ, append(append([]any(nil), path...), nil), el, lang))
		}
		return strings.Join(parts, ", ")
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			p := append(append([]any(nil), path...), k)
			l := k
			if typ != nil {
				l = typ.Label(p, lang)
			}
			parts = append(parts, l+": "+display(typ, p, x[k], lang))
		}
		return strings.Join(parts, "; ")
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func evidenceOf(claims map[string]any, oc *Outcome) *Evidence {
	m, ok := claims["evidence"].(map[string]any)
	if !ok {
		return nil
	}
	score := func(k string) int {
		switch n := m[k].(type) {
		case json.Number:
			i, _ := n.Int64()
			return int(i)
		case float64:
			return int(n)
		}
		return 0
	}
	e := &Evidence{Claimed: Scores{Strength: score("strength"), Validity: score("validity"), Verification: score("verification")}}
	e.Method, _ = m["method"].(string)
	if oc.Decision != nil && oc.Decision.Authorization != nil {
		a := *oc.Decision.Authorization
		s, v, ver := trust.CapEvidence(a, e.Claimed.Strength, e.Claimed.Validity, e.Claimed.Verification)
		e.Capped = &Scores{Strength: s, Validity: v, Verification: ver}
		e.Caps = &Scores{Strength: a.MaxStrength, Validity: a.MaxValidity, Verification: a.MaxVerification}
	}
	return e
}

// ShortID shortens a long identifier (a did:jwk runs to 150 characters)
// to its method or scheme prefix, the first and the last characters:
// "did:jwk:eyJjcnYi…Q3In0". Identifiers of 40 characters or fewer are
// returned whole.
func ShortID(id string) string {
	if len(id) <= 40 {
		return id
	}
	i := strings.LastIndex(id[:min(len(id), 32)], ":")
	head := id[:i+1]
	rest := id[i+1:]
	if len(rest) <= 16 {
		return id
	}
	return head + rest[:8] + "…" + rest[len(rest)-6:]
}

// phrases are the few words a report adds around the catalogue's labels,
// in the catalogue's required locales.
var phrases = map[string]map[string]string{
	"not_disclosed":   {"en": "not disclosed", "fr": "non communiqué", "ar": "لم يُفصح عنه", "uk": "не розкрито"},
	"more_withheld":   {"en": "+ possibly more not disclosed", "fr": "+ peut-être d'autres non communiqués", "ar": "+ ربما غيرها لم يُفصح عنه", "uk": "+ можливо, інші не розкрито"},
	"withheld_claims": {"en": "not disclosed (withheld, or not in the credential)", "fr": "non communiqué (retenu, ou absent de l'attestation)", "ar": "لم يُفصح عنه (محجوب، أو غير موجود في الوثيقة)", "uk": "не розкрито (приховано або відсутнє в посвідченні)"},
}

// Phrase returns one of the report's own phrases ("not_disclosed",
// "more_withheld", "withheld_claims") in the report's language, falling
// back to its base language and then English.
func (r *Report) Phrase(key string) string {
	m := phrases[key]
	if m == nil {
		return key
	}
	lang := strings.ToLower(r.Lang)
	if p, ok := m[lang]; ok {
		return p
	}
	if base, _, ok := strings.Cut(lang, "-"); ok {
		if p, ok := m[base]; ok {
			return p
		}
	}
	return m["en"]
}
