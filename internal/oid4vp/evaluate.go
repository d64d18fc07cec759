package oid4vp

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/cairn-id/cairn/internal/sdjwt"
)

// Credential is what DCQL evaluation needs to know of one credential. For
// the wallet it is a stored credential with every disclosure processed; for
// the verifier a verified presentation, with only what was disclosed.
type Credential interface {
	// Format is the credential format identifier (FormatSDJWTVC).
	Format() string
	// VCT is the credential type (the vct claim).
	VCT() string
	// Claims is the processed claims tree (sdjwt Process or Verify).
	Claims() map[string]any
	// Disclosable lists the concrete paths of the selectively disclosable
	// claims in Claims (one per disclosure). Claims not at or below one
	// of them are always visible.
	Disclosable() []ClaimPath
	// HolderBound reports cryptographic holder binding: for a stored
	// credential a cnf key, for a presentation a verified KB-JWT.
	HolderBound() bool
}

// SDJWTCredential adapts a processed SD-JWT VC to Credential.
type SDJWTCredential struct {
	Tree    map[string]any
	SDPaths []ClaimPath
	Bound   bool
}

// Format implements Credential.
func (c *SDJWTCredential) Format() string { return FormatSDJWTVC }

// VCT implements Credential.
func (c *SDJWTCredential) VCT() string { s, _ := c.Tree["vct"].(string); return s }

// Claims implements Credential.
func (c *SDJWTCredential) Claims() map[string]any { return c.Tree }

// Disclosable implements Credential.
func (c *SDJWTCredential) Disclosable() []ClaimPath { return c.SDPaths }

// HolderBound implements Credential.
func (c *SDJWTCredential) HolderBound() bool { return c.Bound }

// NewSDJWTCredential processes a stored SD-JWT (all disclosures, as issued)
// for the wallet side: holder bound when it has a cnf.jwk.
func NewSDJWTCredential(t *sdjwt.SDJWT) (*SDJWTCredential, error) {
	claims, err := t.Process()
	if err != nil {
		return nil, err
	}
	_, bound := claims["cnf"].(map[string]any)
	return sdCredential(claims, t.Disclosures, bound)
}

// VerifiedCredential adapts a verified presentation for the verifier side:
// holder bound when a KB-JWT was verified.
func VerifiedCredential(v *sdjwt.Verified) (*SDJWTCredential, error) {
	return sdCredential(v.Claims, v.Disclosures, v.KeyBinding != nil)
}

func sdCredential(claims map[string]any, discs []*sdjwt.Disclosure, bound bool) (*SDJWTCredential, error) {
	c := &SDJWTCredential{Tree: claims, Bound: bound}
	for _, d := range discs {
		p, err := ParsePointer(d.Path, claims)
		if err != nil {
			return nil, err
		}
		c.SDPaths = append(c.SDPaths, p)
	}
	return c, nil
}

// JPTCredential adapts a jpt credential (internal/jptvc) to Credential:
// every top-level claim is its own payload slot, so each is disclosable on
// its own and nothing is always visible; there is no holder binding. For
// the wallet Tree holds every claim of the stored credential, for the
// verifier the disclosed ones.
type JPTCredential struct {
	Type string
	Tree map[string]any
}

// Format implements Credential.
func (c *JPTCredential) Format() string { return FormatJPT }

// VCT implements Credential.
func (c *JPTCredential) VCT() string { return c.Type }

// Claims implements Credential.
func (c *JPTCredential) Claims() map[string]any { return c.Tree }

// Disclosable implements Credential: one path per top-level claim.
func (c *JPTCredential) Disclosable() []ClaimPath {
	out := make([]ClaimPath, 0, len(c.Tree))
	for k := range c.Tree {
		out = append(out, ClaimPath{k})
	}
	slices.SortFunc(out, func(a, b ClaimPath) int { return strings.Compare(a[0].(string), b[0].(string)) })
	return out
}

// HolderBound implements Credential: a jpt credential never is.
func (c *JPTCredential) HolderBound() bool { return false }

// Evaluated reports whether Evaluate and CheckResponse match credentials
// of format f (dc+sd-jwt and jpt).
func Evaluated(f string) bool { return f == FormatSDJWTVC || f == FormatJPT }

// Evaluator evaluates DCQL queries (§6.4) against candidate credentials.
// The zero value is ready to use.
type Evaluator struct {
	// TrustedAuthority decides whether a credential is issued under one of
	// a query's trusted_authorities (§6.1.1). When nil, a credential query
	// with trusted_authorities matches nothing (Cairn cannot check AKI,
	// ETSI TL or federation trust itself).
	TrustedAuthority func(c Credential, tas []TrustedAuthority) bool
}

// Result is the wallet-side outcome of evaluating a query.
type Result struct {
	// Queries has one entry per credential query, in query order.
	Queries []QueryResult
	// Sets has one entry per credential_sets entry (none without them).
	Sets []SetResult
	// Satisfiable: every required credential set (or, without
	// credential_sets, every credential query) can be answered.
	Satisfiable bool
	// Answer lists the credential query ids to answer, in order: without
	// credential_sets all of them (when Satisfiable); with them, the
	// first satisfiable option of each set, required or not.
	Answer []string
	// Missing says, in plain words, what keeps the query from being
	// satisfied (empty when Satisfiable).
	Missing []string
}

// Query returns the result for credential query id, or nil.
func (r *Result) Query(id string) *QueryResult {
	for i := range r.Queries {
		if r.Queries[i].ID == id {
			return &r.Queries[i]
		}
	}
	return nil
}

// QueryResult is the outcome for one credential query.
type QueryResult struct {
	ID     string
	Format string
	// Supported is false for formats other than dc+sd-jwt and jpt; Reason
	// says so.
	Supported bool
	// Multiple: the response may carry more than one of Matches
	// (otherwise exactly one, the holder's choice).
	Multiple bool
	// Matches are the candidates that satisfy the query, in input order.
	Matches []Match
	// Rejected says why each other candidate of a requested format and
	// type does not (candidates of other types are not listed).
	Rejected []Rejection
	// Reason summarises why there is no match ("" when Satisfied).
	Reason string
}

// Satisfied reports whether at least one candidate matches.
func (q *QueryResult) Satisfied() bool { return len(q.Matches) > 0 }

// Match is one candidate credential satisfying a credential query, with
// exactly what to disclose.
type Match struct {
	Index int // into the candidates given to Evaluate
	// ClaimSet is the index of the claim_sets option used (the first
	// satisfiable one), -1 without claim_sets.
	ClaimSet int
	// Claims are the claims to disclose, concrete paths (nulls expanded,
	// values filtered), in query order then document order. Empty when
	// the query names no claims (only always-visible claims then leave).
	Claims []DisclosedClaim
}

// Pointers returns the JSON Pointers of m.Claims, the form
// sdjwtvc.PresentOptions.Paths takes.
func (m *Match) Pointers() []string {
	out := make([]string, 0, len(m.Claims))
	for _, c := range m.Claims {
		out = append(out, c.Path.Pointer())
	}
	return out
}

// DisclosedClaim is one claim a presentation would reveal.
type DisclosedClaim struct {
	ClaimID string    // the claims query id, "" when it has none
	Query   ClaimPath // the path as the query gave it
	Path    ClaimPath // concrete
	Value   any
	// Disclosable is true when the claim is selectively disclosable (at or
	// below a disclosure); false when it is always visible anyway.
	Disclosable bool
}

// Rejection is why candidate Index does not satisfy a query.
type Rejection struct {
	Index  int
	Reason string
}

// SetResult is the outcome of one credential set query (§6.2).
type SetResult struct {
	Required bool
	// Option is the index of the first satisfiable option, -1 when none.
	Option int
	Reason string // when Option is -1
}

// Evaluate evaluates q with the zero Evaluator.
func Evaluate(q *Query, creds []Credential) *Result { return Evaluator{}.Evaluate(q, creds) }

// Evaluate applies §6.4 to the candidates: per credential query the
// candidates whose format and vct fit, that meet the holder binding and
// trusted authority constraints and whose claims satisfy the claims
// queries (all of them without claim_sets, the first satisfiable set with
// them); then credential_sets in order. q must be valid (ParseQuery or
// Validate).
func (e Evaluator) Evaluate(q *Query, creds []Credential) *Result {
	r := &Result{Queries: make([]QueryResult, 0, len(q.Credentials))}
	for i := range q.Credentials {
		r.Queries = append(r.Queries, e.evalQuery(&q.Credentials[i], creds))
	}
	satisfied := func(id string) bool {
		qr := r.Query(id)
		return qr != nil && qr.Satisfied()
	}
	r.Satisfiable = true
	if len(q.CredentialSets) == 0 {
		for _, qr := range r.Queries {
			if !qr.Satisfied() {
				r.Satisfiable = false
				r.Missing = append(r.Missing, fmt.Sprintf("credential query %q: %s", qr.ID, qr.Reason))
			}
		}
		if r.Satisfiable {
			for _, qr := range r.Queries {
				r.Answer = append(r.Answer, qr.ID)
			}
		}
		return r
	}
	for i, s := range q.CredentialSets {
		sr := SetResult{Required: s.IsRequired(), Option: -1}
		for j, opt := range s.Options {
			if !slices.ContainsFunc(opt, func(id string) bool { return !satisfied(id) }) {
				sr.Option = j
				break
			}
		}
		if sr.Option >= 0 {
			for _, id := range s.Options[sr.Option] {
				if !slices.Contains(r.Answer, id) {
					r.Answer = append(r.Answer, id)
				}
			}
		} else {
			sr.Reason = fmt.Sprintf("no option of credential set %d can be answered:", i)
			for j, opt := range s.Options {
				for _, id := range opt {
					if !satisfied(id) {
						sr.Reason += fmt.Sprintf(" option %d needs %q (%s);", j, id, r.Query(id).Reason)
						break
					}
				}
			}
			if sr.Required {
				r.Satisfiable = false
				r.Missing = append(r.Missing, sr.Reason)
			}
		}
		r.Sets = append(r.Sets, sr)
	}
	if !r.Satisfiable {
		r.Answer = nil
	}
	return r
}

func (e Evaluator) evalQuery(cq *CredentialQuery, creds []Credential) QueryResult {
	qr := QueryResult{ID: cq.ID, Format: cq.Format, Multiple: cq.Multiple, Supported: Evaluated(cq.Format)}
	if !qr.Supported {
		qr.Reason = fmt.Sprintf("format %q is not supported (only %s and %s)", cq.Format, FormatSDJWTVC, FormatJPT)
		return qr
	}
	for i, c := range creds {
		if c == nil || c.Format() != cq.Format || !slices.Contains(cq.Meta.VCTValues, c.VCT()) {
			continue // not of a requested type: not worth a reason
		}
		m, reason := e.matchCredential(cq, c)
		if reason != "" {
			qr.Rejected = append(qr.Rejected, Rejection{Index: i, Reason: reason})
			continue
		}
		m.Index = i
		qr.Matches = append(qr.Matches, *m)
	}
	switch {
	case qr.Satisfied():
	case len(qr.Rejected) > 0:
		var reasons []string
		for _, rj := range qr.Rejected {
			if !slices.Contains(reasons, rj.Reason) {
				reasons = append(reasons, rj.Reason)
			}
		}
		qr.Reason = joinReasons(reasons)
	default:
		qr.Reason = fmt.Sprintf("no credential of type %q", cq.Meta.VCTValues)
	}
	return qr
}

// matchCredential checks one credential against one credential query.
// With claim_sets the first satisfiable set is used, on both sides:
// the wallet discloses it, the verifier keeps it.
func (e Evaluator) matchCredential(cq *CredentialQuery, c Credential) (*Match, string) {
	if c == nil {
		return nil, "no credential"
	}
	if c.Format() != cq.Format {
		return nil, fmt.Sprintf("format %q, the query asks for %q", c.Format(), cq.Format)
	}
	if !slices.Contains(cq.Meta.VCTValues, c.VCT()) {
		return nil, fmt.Sprintf("type %q is not one of %q", c.VCT(), cq.Meta.VCTValues)
	}
	if cq.HolderBindingRequired() && !c.HolderBound() {
		return nil, "not cryptographically bound to a holder key, which the query requires"
	}
	if len(cq.TrustedAuthorities) > 0 && (e.TrustedAuthority == nil || !e.TrustedAuthority(c, cq.TrustedAuthorities)) {
		return nil, "issuer is not one of the query's trusted_authorities"
	}
	m := &Match{ClaimSet: -1}
	if len(cq.Claims) == 0 {
		return m, ""
	}
	claims := c.Claims()
	sd := c.Disclosable()
	results := make([][]DisclosedClaim, len(cq.Claims))
	reasons := make([]string, len(cq.Claims))
	for i := range cq.Claims {
		results[i], reasons[i] = selectClaim(&cq.Claims[i], claims, sd)
	}
	if len(cq.ClaimSets) == 0 {
		for i := range cq.Claims {
			if reasons[i] != "" {
				return nil, reasons[i]
			}
			m.Claims = append(m.Claims, results[i]...)
		}
		return m, ""
	}
	byID := make(map[string]int, len(cq.Claims))
	for i, cl := range cq.Claims {
		byID[cl.ID] = i
	}
	var why []string
	for k, set := range cq.ClaimSets {
		ok := true
		for _, id := range set {
			if reasons[byID[id]] != "" {
				ok = false
				why = append(why, fmt.Sprintf("claim set %d: %s", k, reasons[byID[id]]))
				break
			}
		}
		if !ok {
			continue
		}
		m.ClaimSet = k
		for _, id := range set {
			m.Claims = append(m.Claims, results[byID[id]]...)
		}
		return m, ""
	}
	if len(why) == 1 {
		return nil, why[0]
	}
	return nil, fmt.Sprintf("no claim set can be satisfied (%s)", joinReasons(why))
}

func joinReasons(r []string) string {
	out := ""
	for i, s := range r {
		if i > 0 {
			out += "; "
		}
		out += s
	}
	return out
}

// selectClaim selects the claims one claims query asks for, filtered by
// its values, or says why it cannot be satisfied.
func selectClaim(cl *ClaimQuery, claims map[string]any, sd []ClaimPath) ([]DisclosedClaim, string) {
	sel, err := cl.Path.Select(claims)
	if err != nil {
		switch {
		case errors.Is(err, errPathNotFound):
			return nil, fmt.Sprintf("claim %s is not present", cl.Path)
		default:
			return nil, fmt.Sprintf("claim %s cannot be selected: %v", cl.Path, err)
		}
	}
	out := make([]DisclosedClaim, 0, len(sel))
	for _, s := range sel {
		if len(cl.Values) > 0 && !slices.ContainsFunc(cl.Values, func(w any) bool { return valueEqual(s.Value, w) }) {
			continue
		}
		out = append(out, DisclosedClaim{ClaimID: cl.ID, Query: cl.Path, Path: s.Path, Value: s.Value, Disclosable: underAny(s.Path, sd)})
	}
	if len(out) == 0 {
		return nil, fmt.Sprintf("claim %s does not have one of the requested values", cl.Path)
	}
	return out, ""
}

// underAny reports whether p is at or below one of the paths.
func underAny(p ClaimPath, paths []ClaimPath) bool {
	for _, s := range paths {
		if p.hasPrefix(s) {
			return true
		}
	}
	return false
}

// valueEqual compares a claim value with a values entry (§6.3: type and
// value match exactly): strings with strings, booleans with booleans,
// integers with integers.
func valueEqual(claim, want any) bool {
	switch w := want.(type) {
	case string:
		s, ok := claim.(string)
		return ok && s == w
	case bool:
		b, ok := claim.(bool)
		return ok && b == w
	}
	wi, ok := asInt(want)
	if !ok {
		return false
	}
	ci, ok := asInt(claim)
	return ok && ci == wi
}

func asInt(v any) (int64, bool) {
	switch x := v.(type) {
	case json.Number:
		n, err := strconv.ParseInt(string(x), 10, 64)
		return n, err == nil
	case float64:
		if x != float64(int64(x)) {
			return 0, false
		}
		return int64(x), true
	case int:
		return int64(x), true
	case int64:
		return x, true
	}
	return 0, false
}
