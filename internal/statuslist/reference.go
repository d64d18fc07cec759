package statuslist

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
)

// MaxURILen bounds the uri of a reference.
const MaxURILen = 2048

// Reference is the status_list member of a Referenced Token's status claim
// (§6.1): the index of the token's entry and the URI of the list.
type Reference struct {
	Index int
	URI   string
}

// ParseReference reads the value of a Referenced Token's "status" claim,
// {"status_list": {"idx": n, "uri": "…"}}. Other members of status (other
// status mechanisms, §6.1) and of status_list are ignored.
//
// idx must be a non-negative integer: a json.Number, an integral float64
// (what encoding/json produces without UseNumber) or a Go integer. Indices
// of MaxEntries or more fail with ErrIndexOutOfRange, since no list this
// package decodes can hold them.
//
// uri must be an absolute URI with a scheme and a host. https is not
// required here: the fetcher enforces scheme and SSRF policy (development
// setups serve lists over http://localhost).
func ParseReference(status map[string]any) (Reference, error) {
	slv, ok := status["status_list"]
	if !ok {
		return Reference{}, fmt.Errorf("%w: status has no status_list member", ErrInvalidReference)
	}
	sl, ok := slv.(map[string]any)
	if !ok {
		return Reference{}, fmt.Errorf("%w: status_list is not an object", ErrInvalidReference)
	}
	idxv, ok := sl["idx"]
	if !ok {
		return Reference{}, fmt.Errorf("%w: idx missing", ErrInvalidReference)
	}
	idx, err := index(idxv)
	if err != nil {
		return Reference{}, err
	}
	uriv, ok := sl["uri"]
	if !ok {
		return Reference{}, fmt.Errorf("%w: uri missing", ErrInvalidReference)
	}
	uri, ok := uriv.(string)
	if !ok {
		return Reference{}, fmt.Errorf("%w: uri is not a string", ErrInvalidReference)
	}
	if len(uri) > MaxURILen {
		return Reference{}, fmt.Errorf("%w: uri longer than %d bytes", ErrInvalidReference, MaxURILen)
	}
	u, err := url.Parse(uri)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return Reference{}, fmt.Errorf("%w: uri %q is not an absolute URI with a host", ErrInvalidReference, uri)
	}
	return Reference{Index: idx, URI: uri}, nil
}

func index(v any) (int, error) {
	var f float64
	switch n := v.(type) {
	case json.Number:
		i, err := n.Int64()
		if err != nil {
			// "1.0" or "1e3" are still integers in JSON's number model.
			g, ferr := n.Float64()
			if ferr != nil {
				return 0, fmt.Errorf("%w: idx %q is not a number", ErrInvalidReference, n)
			}
			f = g
			break
		}
		return checkIndex(i)
	case float64:
		f = n
	case int:
		return checkIndex(int64(n))
	case int64:
		return checkIndex(n)
	case int32:
		return checkIndex(int64(n))
	case uint32:
		return checkIndex(int64(n))
	default:
		return 0, fmt.Errorf("%w: idx is a %T, not a number", ErrInvalidReference, v)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) || f != math.Trunc(f) {
		return 0, fmt.Errorf("%w: idx %v is not an integer", ErrInvalidReference, f)
	}
	if f < 0 {
		return 0, fmt.Errorf("%w: idx %v is negative", ErrInvalidReference, f)
	}
	if f >= MaxEntries {
		return 0, fmt.Errorf("%w: idx %v, limit %d", ErrIndexOutOfRange, f, MaxEntries)
	}
	return int(f), nil
}

func checkIndex(i int64) (int, error) {
	if i < 0 {
		return 0, fmt.Errorf("%w: idx %d is negative", ErrInvalidReference, i)
	}
	if i >= MaxEntries {
		return 0, fmt.Errorf("%w: idx %d, limit %d", ErrIndexOutOfRange, i, MaxEntries)
	}
	return int(i), nil
}

// Claim returns the value of the "status" claim that carries r.
func (r Reference) Claim() map[string]any {
	return map[string]any{
		"status_list": map[string]any{"idx": r.Index, "uri": r.URI},
	}
}
