package schemas

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/cairn-id/cairn/internal/claimpath"
)

// Typing operator text into claim values.
//
// An issuing operator types claims as text: one answer per claim at a
// prompt, one cell per claim in a registration drive's CSV file. Both
// read the text the same way, by the claim's Field (its kind, allowed
// values, pattern, entry bound), so a value typed at the desk and the
// same value in a CSV cell become the same claim. Messages name the rule,
// never the text: they are shown to the operator and end up in refusal
// lists.

// MaxNumberedChoices: a string claim with at most this many allowed
// values can be answered with the number of a value (InputOptions), as a
// prompt lists them; longer lists (country codes) are typed by value.
const MaxNumberedChoices = 12

// ErrInput matches every *InputError.
var ErrInput = errors.New("schemas: text does not read as the claim")

// The kinds of *InputError (errors.Is matches them); their text is the
// message without details.
var (
	ErrNotWholeNumber = errors.New("must be a whole number")
	ErrNotNumber      = errors.New("must be a number")
	ErrNotYesNo       = errors.New("must be yes or no")
	ErrNotDate        = errors.New("must be a date YYYY-MM-DD")
	ErrNotAllowed     = errors.New("is not one of the allowed values")
	ErrNotForm        = errors.New("is not in the expected form")
	ErrTooManyEntries = errors.New("has too many entries")
	ErrNoValue        = errors.New("has no value")
	ErrNotClaim       = errors.New("is not a claim of this type")
	ErrNotText        = errors.New("cannot be typed as text")
)

// InputError says why text typed for a claim does not read as that
// claim. It never contains the text.
type InputError struct {
	// Pointer is the claim (RFC 6901): the pointer asked for, or the
	// Field's (with "*" for every array element) when parsed by Field;
	// for an entry of a list typed in one text, the entry's pointer.
	Pointer string
	// Entry is the 1-based entry of a list typed in one text ("UA; PL")
	// that failed, or 0.
	Entry int
	// Message is the per-claim wording, e.g. "must be a whole number",
	// "is not one of the allowed values: day, month, year".
	Message string
	// Kind is one of the Err… kinds above.
	Kind error
}

func (e *InputError) Error() string {
	if e.Pointer == "" {
		return e.Message
	}
	return e.Pointer + " " + e.Message
}

// Unwrap lets errors.Is match the kind and ErrInput.
func (e *InputError) Unwrap() []error { return []error{e.Kind, ErrInput} }

// InputOptions adjust how text is read.
type InputOptions struct {
	// NumberedChoices: a number from 1 to n picks the n-th allowed value
	// of a string claim with at most MaxNumberedChoices values (unless the
	// number is itself an allowed value), as a prompt that lists them
	// numbered offers.
	NumberedChoices bool
}

// ParseText reads text typed for the claim f describes as its value: an
// int64 (integer), float64 (number), bool (yes/no in en, fr, ar, uk),
// string (dates as YYYY-MM-DD; allowed values in their schema spelling,
// matched case-insensitively; NFC normalised), or []any of strings for a
// list typed with ";" between entries. Surrounding spaces are ignored.
// Text that is blank (or a list without entries) fails with ErrNoValue;
// whether the claim may be left out is the caller's decision. Objects and
// lists of objects are typed member by member, not as one text. Errors
// are *InputError.
func (f Field) ParseText(text string, o InputOptions) (any, error) {
	return parseField(&f, f.Pointer, text, o)
}

// ParseClaimInput reads text typed for the claim at pointer (RFC 6901,
// array entries by index: "/sex", "/place_of_birth/country",
// "/nationalities/0", "/name_variants/1/script") as in Field.ParseText.
// A pointer that names no claim an operator types fails with ErrNotClaim.
func (t *Type) ParseClaimInput(pointer, text string, o InputOptions) (any, error) {
	f, err := t.inputField(claimpath.Tokens(pointer), pointer)
	if err != nil {
		return nil, err
	}
	return parseField(f, pointer, text, o)
}

// ClaimText is the text typed for one claim: Path holds claim names
// (string) and array indexes (int).
type ClaimText struct {
	Path []any
	Text string
}

// ClaimsFromText builds the claims of one credential of the type from
// texts (as a CSV row has them), types each as ParseClaimInput does and
// validates the result. Blank texts are left out. Array indexes need not
// be contiguous: entries keep their order and are renumbered from 0. On
// failure it returns a *ValidationError: the texts that do not read as
// their claims (by the pointers given) or, when all do, what Validate
// finds; other errors are as Validate's.
func (t *Type) ClaimsFromText(texts []ClaimText, o InputOptions) (map[string]any, error) {
	root := &textNode{}
	var problems []Problem
	typed := map[string]string{} // claim pointer → text, for precision claims
	for _, ct := range texts {
		if strings.TrimSpace(ct.Text) != "" {
			typed[claimpath.FromPath(ct.Path)] = strings.TrimSpace(ct.Text)
		}
	}
	for _, ct := range texts {
		if strings.TrimSpace(ct.Text) == "" {
			continue
		}
		ptr := claimpath.FromPath(ct.Path)
		f, err := t.inputField(pathTokens(ct.Path), ptr)
		var v any
		if err == nil {
			v, err = parseField(f, ptr, ct.Text, o)
		}
		var ie *InputError
		if errors.As(err, &ie) {
			problems = append(problems, Problem{Pointer: ie.Pointer, Message: ie.Message})
			continue
		}
		if err != nil {
			return nil, err
		}
		root.insert(ct.Path, v)
		if p := DatePrecision(ct.Text); f.Precision != "" && p != "" {
			pp := append(append([]any(nil), ct.Path[:len(ct.Path)-1]...), f.Precision)
			switch given, ok := typed[claimpath.FromPath(pp)]; {
			case !ok:
				root.insert(pp, p)
			case !strings.EqualFold(given, p):
				problems = append(problems, Problem{Pointer: claimpath.FromPath(pp), Message: "does not match the date typed (" + p + " only)"})
			}
		}
	}
	if len(problems) > 0 {
		sort.SliceStable(problems, func(i, j int) bool { return problems[i].Pointer < problems[j].Pointer })
		return nil, &ValidationError{VCT: t.VCT, Problems: problems}
	}
	claims, _ := root.value().(map[string]any)
	if claims == nil {
		claims = map[string]any{}
	}
	if err := t.Validate(claims); err != nil {
		return nil, err
	}
	return claims, nil
}

// textNode is the claim tree ClaimsFromText builds.
type textNode struct {
	members map[string]*textNode
	entries map[int]*textNode
	leaf    any
	isLeaf  bool
}

func (n *textNode) insert(path []any, v any) {
	cur := n
	for _, step := range path {
		var next *textNode
		switch s := step.(type) {
		case int:
			if cur.entries == nil {
				cur.entries = map[int]*textNode{}
			}
			if next = cur.entries[s]; next == nil {
				next = &textNode{}
				cur.entries[s] = next
			}
		default:
			name := fmt.Sprint(s)
			if cur.members == nil {
				cur.members = map[string]*textNode{}
			}
			if next = cur.members[name]; next == nil {
				next = &textNode{}
				cur.members[name] = next
			}
		}
		cur = next
	}
	cur.leaf, cur.isLeaf = v, true
}

func (n *textNode) value() any {
	switch {
	case n.isLeaf:
		return n.leaf
	case n.entries != nil:
		idx := make([]int, 0, len(n.entries))
		for i := range n.entries {
			idx = append(idx, i)
		}
		sort.Ints(idx)
		out := make([]any, 0, len(idx))
		for _, i := range idx {
			out = append(out, n.entries[i].value())
		}
		return out
	default:
		out := make(map[string]any, len(n.members))
		for k, c := range n.members {
			out[k] = c.value()
		}
		return out
	}
}

// inputFieldTree is the type's ClaimFields, built once for typing (labels
// do not matter here).
func (t *Type) inputFieldTree() []Field {
	t.fieldsOnce.Do(func() { t.fields = t.ClaimFields("en") })
	return t.fields
}

// inputField finds the Field of the claim at the path toks; ptr names it
// in errors.
func (t *Type) inputField(toks []string, ptr string) (*Field, error) {
	notClaim := &InputError{Pointer: ptr, Message: ErrNotClaim.Error(), Kind: ErrNotClaim}
	fields := t.inputFieldTree()
	var f *Field
	for i := 0; i < len(toks); i++ {
		f = nil
		for j := range fields {
			if name, _ := fields[j].Path[len(fields[j].Path)-1].(string); name == toks[i] {
				f = &fields[j]
				break
			}
		}
		if f == nil {
			return nil, notClaim
		}
		if i+1 < len(toks) && (f.Kind == KindStringArray || f.Kind == KindObjectArray) {
			if !isIndex(toks[i+1]) {
				return nil, notClaim
			}
			i++
			if f.Kind == KindStringArray {
				if i+1 < len(toks) {
					return nil, notClaim
				}
				elem := Field{Pointer: f.Pointer + "/*", Label: f.Label, Kind: f.Elem, Enum: f.Enum, Pattern: f.Pattern}
				return &elem, nil
			}
		}
		fields = f.Fields
	}
	if f == nil {
		return nil, notClaim
	}
	return f, nil
}

func isIndex(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n >= 0 && strconv.Itoa(n) == s
}

func pathTokens(p []any) []string {
	out := make([]string, len(p))
	for i, e := range p {
		out[i] = fmt.Sprint(e)
	}
	return out
}

func inputErr(ptr string, kind error, format string, args ...any) *InputError {
	msg := kind.Error()
	if format != "" {
		msg = fmt.Sprintf(format, args...)
	}
	return &InputError{Pointer: ptr, Message: msg, Kind: kind}
}

// parseField reads text as f's value; ptr names the claim in errors.
func parseField(f *Field, ptr, text string, o InputOptions) (any, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, inputErr(ptr, ErrNoValue, "")
	}
	switch f.Kind {
	case KindStringArray:
		elem := Field{Kind: f.Elem, Enum: f.Enum, Pattern: f.Pattern}
		var out []any
		for _, part := range strings.Split(text, ";") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			v, err := parseScalar(&elem, ptr+"/"+strconv.Itoa(len(out)), part, o)
			if err != nil {
				err.Entry = len(out) + 1
				return nil, err
			}
			out = append(out, v)
		}
		if len(out) == 0 {
			return nil, inputErr(ptr, ErrNoValue, "")
		}
		if f.MaxItems > 0 && len(out) > f.MaxItems {
			return nil, inputErr(ptr, ErrTooManyEntries, "must have at most %d entries", f.MaxItems)
		}
		return out, nil
	case KindObject, KindObjectArray:
		return nil, inputErr(ptr, ErrNotText, "is a group of claims: type each of its members")
	case KindUnsupported:
		return nil, inputErr(ptr, ErrNotText, "")
	}
	v, err := parseScalar(f, ptr, text, o)
	if err != nil {
		return nil, err
	}
	return v, nil
}

// parseScalar reads a non-blank text as a single value of f's kind.
func parseScalar(f *Field, ptr, s string, o InputOptions) (any, *InputError) {
	switch f.Kind {
	case KindInteger:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, inputErr(ptr, ErrNotWholeNumber, "")
		}
		if len(f.Enum) > 0 && !slices.Contains(f.Enum, strconv.FormatInt(n, 10)) {
			return nil, notAllowed(f, ptr)
		}
		return n, nil
	case KindNumber:
		x, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", "."), 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, inputErr(ptr, ErrNotNumber, "")
		}
		if len(f.Enum) > 0 && !slices.Contains(f.Enum, fmt.Sprint(x)) {
			return nil, notAllowed(f, ptr)
		}
		return x, nil
	case KindBoolean:
		b, err := ParseYesNo(s)
		if err != nil {
			return nil, inputErr(ptr, ErrNotYesNo, "%s (oui/non, نعم/لا, так/ні)", ErrNotYesNo.Error())
		}
		return b, nil
	case KindString, KindDate:
		return parseString(f, ptr, s, o)
	}
	return nil, inputErr(ptr, ErrNotText, "")
}

func parseString(f *Field, ptr, s string, o InputOptions) (any, *InputError) {
	s = norm.NFC.String(s)
	if len(f.Enum) > 0 {
		numbered := o.NumberedChoices && len(f.Enum) <= MaxNumberedChoices
		if n, err := strconv.Atoi(s); numbered && err == nil && n >= 1 && n <= len(f.Enum) && !slices.Contains(f.Enum, s) {
			return f.Enum[n-1], nil
		}
		for _, c := range f.Enum {
			if strings.EqualFold(c, s) {
				return c, nil
			}
		}
		if isCountryEnum(f.Enum) {
			if code, ok := countryByName(s); ok && slices.Contains(f.Enum, code) {
				return code, nil
			}
		}
		return nil, notAllowed(f, ptr)
	}
	if f.Kind == KindDate {
		if f.Precision != "" {
			if full, p := partialDate(s); p != "" {
				return full, nil
			}
		}
		if _, err := time.Parse(time.DateOnly, s); err != nil || len(s) != len(time.DateOnly) {
			return nil, inputErr(ptr, ErrNotDate, "")
		}
		return s, nil
	}
	// The catalogue's patterns are simple enough for RE2; one that is not
	// is left to Validate.
	if re := compiledPattern(f.Pattern); re != nil && !re.MatchString(s) {
		return nil, inputErr(ptr, ErrNotForm, "")
	}
	return s, nil
}

// partialDate reads a year-only ("1990") or year-month ("1990-05") date
// as its first day and says which it was ("year", "month"); "" for any
// other text.
func partialDate(s string) (full, precision string) {
	switch len(s) {
	case 4:
		if _, err := time.Parse("2006", s); err == nil {
			return s + "-01-01", "year"
		}
	case 7:
		if _, err := time.Parse("2006-01", s); err == nil {
			return s + "-01", "month"
		}
	}
	return "", ""
}

// DatePrecision says how much of a date typed for a Field with a
// Precision claim is given: "year" for YYYY, "month" for YYYY-MM, "" for
// a full date (or text that is not a date).
func DatePrecision(text string) string {
	_, p := partialDate(strings.TrimSpace(text))
	return p
}

func notAllowed(f *Field, ptr string) *InputError {
	if len(f.Enum) <= MaxNumberedChoices {
		return inputErr(ptr, ErrNotAllowed, "%s: %s", ErrNotAllowed.Error(), strings.Join(f.Enum, ", "))
	}
	return inputErr(ptr, ErrNotAllowed, "%s (%d codes such as %s)", ErrNotAllowed.Error(), len(f.Enum), strings.Join(f.Enum[:3], ", "))
}

// patterns caches compiled schema patterns (nil: not RE2). Fields come
// from the catalogue, so the cache holds at most its patterns.
var patterns sync.Map // string → *regexp.Regexp

func compiledPattern(p string) *regexp.Regexp {
	if p == "" {
		return nil
	}
	if re, ok := patterns.Load(p); ok {
		return re.(*regexp.Regexp)
	}
	re, err := regexp.Compile(p)
	if err != nil {
		re = nil
	}
	patterns.Store(p, re)
	return re
}

// ParseYesNo reads yes or no in the catalogue's languages (en, fr, ar,
// uk), case-insensitively: yes, y, true, 1, oui, o, نعم, так, т; no, n,
// false, 0, non, لا, ні, н. Other text fails with ErrNotYesNo.
func ParseYesNo(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "y", "yes", "true", "1", "o", "oui", "نعم", "т", "так":
		return true, nil
	case "n", "no", "false", "0", "non", "لا", "н", "ні":
		return false, nil
	}
	return false, ErrNotYesNo
}

// ClaimsFromJSON reads claims prepared as JSON (an offer's claims file)
// through the same typing as operator text: a string given for a number,
// a yes/no, a date or an allowed value is read as ParseText reads it
// (country names become codes, "1990" for a date with a precision claim
// becomes 1990-01-01 with the precision set). Values of other shapes, and
// claims the type does not describe, are kept as they are for Validate
// to judge. It returns a new map, or a *ValidationError naming the
// strings that do not read as their claims and, with them, what Validate
// finds wrong with the rest (it does not validate claims that all read).
func (t *Type) ClaimsFromJSON(claims map[string]any, o InputOptions) (map[string]any, error) {
	var problems []Problem
	out := t.jsonMembers(t.inputFieldTree(), claims, "", o, &problems)
	if len(problems) > 0 {
		// Name the other failing claims too, as one refusal.
		var ve *ValidationError
		if errors.As(t.Validate(out), &ve) {
			for _, p := range ve.Problems {
				if !slices.ContainsFunc(problems, func(q Problem) bool { return q.Pointer == p.Pointer }) {
					problems = append(problems, p)
				}
			}
		}
		sort.SliceStable(problems, func(i, j int) bool { return problems[i].Pointer < problems[j].Pointer })
		return nil, &ValidationError{VCT: t.VCT, Problems: problems}
	}
	return out, nil
}

func (t *Type) jsonMembers(fields []Field, obj map[string]any, prefix string, o InputOptions, problems *[]Problem) map[string]any {
	out := make(map[string]any, len(obj))
	for k, v := range obj {
		out[k] = v
	}
	for i := range fields {
		f := &fields[i]
		name, _ := f.Path[len(f.Path)-1].(string)
		v, ok := obj[name]
		if !ok {
			continue
		}
		ptr := prefix + "/" + claimpath.Escape(name)
		switch f.Kind {
		case KindObject:
			if m, ok := v.(map[string]any); ok {
				out[name] = t.jsonMembers(f.Fields, m, ptr, o, problems)
			}
		case KindObjectArray:
			if list, ok := v.([]any); ok {
				typed := make([]any, len(list))
				for j, e := range list {
					typed[j] = e
					if m, ok := e.(map[string]any); ok {
						typed[j] = t.jsonMembers(f.Fields, m, ptr+"/"+strconv.Itoa(j), o, problems)
					}
				}
				out[name] = typed
			}
		case KindStringArray:
			list, ok := v.([]any)
			if !ok {
				continue
			}
			elem := Field{Kind: f.Elem, Enum: f.Enum, Pattern: f.Pattern}
			typed := make([]any, len(list))
			for j, e := range list {
				typed[j] = e
				if s, ok := e.(string); ok && strings.TrimSpace(s) != "" {
					x, err := parseScalar(&elem, ptr+"/"+strconv.Itoa(j), strings.TrimSpace(s), o)
					if err != nil {
						*problems = append(*problems, Problem{Pointer: err.Pointer, Message: err.Message})
						continue
					}
					typed[j] = x
				}
			}
			out[name] = typed
		case KindInteger, KindNumber, KindBoolean, KindDate, KindString:
			s, ok := v.(string)
			if !ok || strings.TrimSpace(s) == "" {
				continue
			}
			x, err := parseScalar(f, ptr, strings.TrimSpace(s), o)
			if err != nil {
				*problems = append(*problems, Problem{Pointer: err.Pointer, Message: err.Message})
				continue
			}
			out[name] = x
			if p := DatePrecision(s); f.Precision != "" && p != "" {
				if given, set := obj[f.Precision]; !set {
					out[f.Precision] = p
				} else if g, _ := given.(string); !strings.EqualFold(g, p) {
					*problems = append(*problems, Problem{Pointer: prefix + "/" + f.Precision, Message: "does not match the date typed (" + p + " only)"})
				}
			}
		}
	}
	return out
}
