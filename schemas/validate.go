package schemas

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"

	"github.com/cairn-id/cairn/internal/claimpath"
)

// ValidationError lists why claims do not match a type. Messages name the
// failing claim (by JSON Pointer) and the rule, never the claim's value:
// these errors end up in logs.
type ValidationError struct {
	VCT      string
	Problems []Problem
}

// Problem is one failing claim.
type Problem struct {
	Pointer string `json:"pointer"` // RFC 6901; "" is the whole claim set
	Message string `json:"message"`
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "claims do not match %s:", e.VCT)
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte(';')
		}
		ptr := p.Pointer
		if ptr == "" {
			ptr = "(claims)"
		}
		fmt.Fprintf(&b, " %s %s", ptr, p.Message)
	}
	return b.String()
}

// Unwrap lets errors.Is(err, ErrInvalidClaims) match.
func (e *ValidationError) Unwrap() error { return ErrInvalidClaims }

// Validate checks the full set of user claims of a credential of this type
// (as issued, every selectively disclosable claim included) against the
// type's schema. The registered JWT claims (iss, iat, exp, cnf, vct,
// status, …) may be present or absent. It returns a *ValidationError
// listing each failing claim, or an error wrapping ErrClaimsTooLarge, or
// (when the type's schema does not compile: a build defect) one wrapping
// ErrCatalogue. The first call compiles the type's schema.
func (t *Type) Validate(claims map[string]any) error {
	sch, err := t.compile()
	if err != nil {
		return err
	}
	return t.validateWith(sch, claims)
}

// ValidateDecoded is Validate for claims that a JSON decoder produced
// (encoding/json or internal/jsonx: map[string]any, []any, string,
// json.Number, float64, bool, nil), such as a verified SD-JWT's disclosed
// claims: they are validated as they are, without Validate's JSON round
// trip, when they hold no other Go type and are at most MaxClaimsDepth
// deep; otherwise it is Validate. Their size is not measured: the caller
// bounds it (a parsed presentation is bounded by its length).
func (t *Type) ValidateDecoded(claims map[string]any) error {
	sch, err := t.compile()
	if err != nil {
		return err
	}
	if !decoded(claims, 0) {
		return t.validateWith(sch, claims)
	}
	return t.validateInstance(sch, claims)
}

// MaxClaimsDepth bounds the nesting ValidateDecoded accepts without a
// round trip.
const MaxClaimsDepth = 32

// decoded reports whether v is in the JSON data model as a decoder
// produces it.
func decoded(v any, depth int) bool {
	if depth > MaxClaimsDepth {
		return false
	}
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			if !decoded(e, depth+1) {
				return false
			}
		}
	case []any:
		for _, e := range x {
			if !decoded(e, depth+1) {
				return false
			}
		}
	case string, json.Number, float64, bool, nil:
	default:
		return false
	}
	return true
}

func (t *Type) validateWith(sch *jsonschema.Schema, claims map[string]any) error {
	if claims == nil {
		claims = map[string]any{}
	}
	// A JSON round trip turns any Go values (ints, []string, structs) into
	// the JSON data model the validator understands, and bounds the work.
	b, err := json.Marshal(claims)
	if err != nil {
		return &ValidationError{VCT: t.VCT, Problems: []Problem{{Message: "is not representable as JSON"}}}
	}
	if len(b) > MaxClaimsSize {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrClaimsTooLarge, len(b), MaxClaimsSize)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return &ValidationError{VCT: t.VCT, Problems: []Problem{{Message: "is not representable as JSON"}}}
	}
	return t.validateInstance(sch, inst)
}

func (t *Type) validateInstance(sch *jsonschema.Schema, inst any) error {
	if m, ok := inst.(map[string]any); ok && m == nil {
		inst = map[string]any{}
	}
	err := sch.Validate(inst)
	if err == nil {
		return nil
	}
	var verr *jsonschema.ValidationError
	if !errors.As(err, &verr) {
		return fmt.Errorf("schemas: validating %s: %w", t.VCT, err)
	}
	seen := map[Problem]bool{}
	var problems []Problem
	collectProblems(verr, func(p Problem) {
		if !seen[p] {
			seen[p] = true
			problems = append(problems, p)
		}
	})
	sort.SliceStable(problems, func(i, j int) bool { return problems[i].Pointer < problems[j].Pointer })
	return &ValidationError{VCT: t.VCT, Problems: problems}
}

// collectProblems reports the leaves of the validator's error tree.
func collectProblems(e *jsonschema.ValidationError, add func(Problem)) {
	if len(e.Causes) > 0 {
		for _, c := range e.Causes {
			collectProblems(c, add)
		}
		return
	}
	ptr := claimpath.Join(e.InstanceLocation...)
	if req, ok := e.ErrorKind.(*kind.Required); ok {
		for _, m := range req.Missing {
			add(Problem{Pointer: claimpath.Join(append(append([]string(nil), e.InstanceLocation...), m)...), Message: "is required"})
		}
		return
	}
	if ap, ok := e.ErrorKind.(*kind.AdditionalProperties); ok {
		for _, name := range ap.Properties {
			add(Problem{Pointer: claimpath.Join(append(append([]string(nil), e.InstanceLocation...), name)...), Message: "is not a claim of this type"})
		}
		return
	}
	add(Problem{Pointer: ptr, Message: message(e.ErrorKind)})
}

// message describes a failed rule without the failing value.
func message(k jsonschema.ErrorKind) string {
	switch k := k.(type) {
	case *kind.Type:
		want := make([]string, len(k.Want))
		for i, w := range k.Want {
			want[i] = typeWords(w)
		}
		return "must be " + strings.Join(want, " or ")
	case *kind.Enum:
		return "is not one of the allowed values"
	case *kind.Const:
		return "is not the allowed value"
	case *kind.Format:
		if k.Want == "date" {
			return ErrNotDate.Error()
		}
		return "is not a valid " + k.Want
	case *kind.FalseSchema:
		return "is not a claim of this type"
	case *kind.Minimum:
		return "must be at least " + k.Want.RatString()
	case *kind.Maximum:
		return "must be at most " + k.Want.RatString()
	case *kind.MinLength:
		return fmt.Sprintf("must have at least %d characters", k.Want)
	case *kind.MaxLength:
		return fmt.Sprintf("must have at most %d characters", k.Want)
	case *kind.MinItems:
		return fmt.Sprintf("must have at least %d entries", k.Want)
	case *kind.MaxItems:
		return fmt.Sprintf("must have at most %d entries", k.Want)
	case *kind.MinProperties:
		return fmt.Sprintf("must have at least %d members", k.Want)
	case *kind.UniqueItems:
		return "has duplicate entries"
	case *kind.Pattern:
		if k.Want == datePattern {
			return ErrNotDate.Error()
		}
		return "is not in the expected form"
	}
	return "does not satisfy " + strings.Join(k.KeywordPath(), "/")
}

// datePattern is the pattern of the catalogue's dates (common.schema.json).
const datePattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"

// typeWords names a JSON type as the operator typing claims knows it (the
// same words as the typing of operator text: "must be a whole number").
func typeWords(jsonType string) string {
	switch jsonType {
	case "integer":
		return "a whole number"
	case "number":
		return "a number"
	case "boolean":
		return "true or false"
	case "string":
		return "text"
	case "array":
		return "a list"
	case "object":
		return "a group of claims"
	case "null":
		return "null"
	}
	return jsonType
}
