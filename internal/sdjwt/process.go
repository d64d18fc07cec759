package sdjwt

import (
	"github.com/cairn-id/cairn/internal/claimpath"

	"fmt"
	"strconv"
)

// processor runs the payload processing of §7.1 steps 3–5 over a decoded
// payload: it replaces digests with the disclosed claims, drops undisclosed
// array elements and reserved members, and enforces that every digest
// appears once, every disclosure is used once, and no claim name collides.
// It never mutates its input. Every container in the output is new, except
// that with share set (Verify, whose payload nobody else holds) a subtree
// of the payload that needs no processing at all (no _sd, no "...", as
// cnf usually is) is used as it is. Disclosure values are always copied, so
// Claims and Disclosure.Value never share a container.
type processor struct {
	discs []*Disclosure
	// byDigest maps every disclosure's digest to its index and every decoy
	// (or undisclosed) digest seen so far to -1; with used, it detects a
	// digest that appears twice in one map operation per digest.
	byDigest map[string]int
	used     []bool
	maxDepth int
	segs     []string // JSON Pointer segments (unescaped) of the current position
	share    bool     // see above
	inDisc   int      // > 0 while processing a disclosure's value
}

// process returns the processed payload and sets Path on every disclosure.
// share lets the result share unprocessed subtrees with payload (see
// processor).
// algs are the accepted _sd_alg values (nil: every supported one); the
// disclosures' digests must have been computed with the payload's.
func process(payload map[string]any, discs []*Disclosure, lim Limits, share bool, algs []string) (map[string]any, error) {
	lim = lim.withDefaults()
	if _, err := checkHashAlg(payload, algs); err != nil {
		return nil, err
	}
	p := &processor{
		discs:    discs,
		byDigest: make(map[string]int, 2*len(discs)+8),
		used:     make([]bool, len(discs)),
		maxDepth: lim.MaxDepth,
		segs:     make([]string, 0, 8),
		share:    share,
	}
	for i, d := range discs {
		n := len(p.byDigest)
		p.byDigest[d.Digest] = i
		if len(p.byDigest) == n {
			return nil, fmt.Errorf("%w: %s", ErrDuplicateDisclosure, d.Digest)
		}
	}
	out, err := p.object(payload, 1)
	if err != nil {
		return nil, err
	}
	for i, u := range p.used {
		if !u {
			return nil, fmt.Errorf("%w: %s", ErrUnreferencedDisclosure, discs[i].Digest)
		}
	}
	delete(out, "_sd_alg")
	return out, nil
}

func (p *processor) pointer(last string) string {
	return claimpath.Join(append(p.segs, last)...)
}

// claimDigest records a digest found in the payload or a disclosure and
// returns the disclosure it names, or -1 for a decoy.
func (p *processor) claimDigest(d string) (int, error) {
	i, ok := p.byDigest[d]
	switch {
	case !ok:
		p.byDigest[d] = -1
		return -1, nil
	case i < 0 || p.used[i]:
		return -1, fmt.Errorf("%w: %s", ErrDuplicateDigest, d)
	}
	p.used[i] = true
	return i, nil
}

// discValue processes the value of a disclosure (never shared).
func (p *processor) discValue(v any, seg string, depth int) (any, error) {
	p.inDisc++
	out, err := p.value(v, seg, depth)
	p.inDisc--
	return out, err
}

// plainBudget bounds the values plain looks at for one candidate subtree,
// so that looking for shareable subtrees stays linear in the payload size
// (a subtree it gives up on is copied, as Process always does).
const plainBudget = 64

// plain reports whether v, a value at depth, needs no processing: no _sd
// or "..." member anywhere and no nesting beyond the limit (anything else
// goes through object and array, which report it). It gives up (false)
// once *budget values have been looked at.
func (p *processor) plain(v any, depth int, budget *int) bool {
	if *budget--; *budget < 0 {
		return false
	}
	switch c := v.(type) {
	case map[string]any:
		if depth > p.maxDepth {
			return false
		}
		for k, el := range c {
			if k == "_sd" || k == "..." || !p.plain(el, depth+1, budget) {
				return false
			}
		}
	case []any:
		if depth > p.maxDepth {
			return false
		}
		for _, el := range c {
			if !p.plain(el, depth+1, budget) {
				return false
			}
		}
	}
	return true
}

func (p *processor) value(v any, seg string, depth int) (any, error) {
	switch v.(type) {
	case map[string]any, []any:
		if budget := plainBudget; p.share && p.inDisc == 0 && p.plain(v, depth+1, &budget) {
			return v, nil
		}
	}
	switch c := v.(type) {
	case map[string]any:
		p.segs = append(p.segs, seg)
		out, err := p.object(c, depth+1)
		p.segs = p.segs[:len(p.segs)-1]
		return out, err
	case []any:
		p.segs = append(p.segs, seg)
		out, err := p.array(c, depth+1)
		p.segs = p.segs[:len(p.segs)-1]
		return out, err
	}
	return v, nil
}

func (p *processor) object(in map[string]any, depth int) (map[string]any, error) {
	if depth > p.maxDepth {
		return nil, fmt.Errorf("%w: nesting deeper than %d", ErrTooLarge, p.maxDepth)
	}
	sdv, hasSD := in["_sd"]
	size := len(in)
	if sd, isArr := sdv.([]any); isArr {
		size += min(len(sd), len(p.discs)) - 1 // room for what _sd may disclose
	}
	out := make(map[string]any, size)
	for k, v := range in {
		switch k {
		case "_sd":
			continue
		case "...":
			return nil, fmt.Errorf(`%w: "..." member outside an array element`, ErrReservedClaim)
		}
		pv, err := p.value(v, k, depth)
		if err != nil {
			return nil, err
		}
		out[k] = pv
	}
	if !hasSD {
		return out, nil
	}
	digests, ok := sdv.([]any)
	if !ok {
		return nil, fmt.Errorf("%w: _sd is not an array", ErrReservedClaim)
	}
	for _, dv := range digests {
		ds, ok := dv.(string)
		if !ok {
			return nil, fmt.Errorf("%w: _sd holds a non-string", ErrReservedClaim)
		}
		i, err := p.claimDigest(ds)
		if err != nil {
			return nil, err
		}
		if i < 0 {
			continue
		}
		d := p.discs[i]
		if d.IsArray {
			return nil, fmt.Errorf("%w: array-element disclosure %s referenced from _sd", ErrDisclosure, d.Digest)
		}
		if d.Name == "_sd" || d.Name == "..." {
			return nil, fmt.Errorf("%w: disclosure names %q", ErrReservedClaim, d.Name)
		}
		if _, exists := out[d.Name]; exists {
			return nil, fmt.Errorf("%w: %q", ErrClaimCollision, d.Name)
		}
		d.Path = p.pointer(d.Name)
		pv, err := p.discValue(d.Value, d.Name, depth)
		if err != nil {
			return nil, err
		}
		out[d.Name] = pv
	}
	return out, nil
}

func (p *processor) array(in []any, depth int) ([]any, error) {
	if depth > p.maxDepth {
		return nil, fmt.Errorf("%w: nesting deeper than %d", ErrTooLarge, p.maxDepth)
	}
	out := make([]any, 0, len(in))
	for _, el := range in {
		if m, ok := el.(map[string]any); ok {
			if dv, has := m["..."]; has {
				if len(m) != 1 {
					return nil, fmt.Errorf(`%w: array element {"...": …} has other members`, ErrReservedClaim)
				}
				ds, ok := dv.(string)
				if !ok {
					return nil, fmt.Errorf(`%w: "..." is not a string digest`, ErrReservedClaim)
				}
				i, err := p.claimDigest(ds)
				if err != nil {
					return nil, err
				}
				if i < 0 {
					continue // decoy or undisclosed: the element is removed
				}
				d := p.discs[i]
				if !d.IsArray {
					return nil, fmt.Errorf("%w: object-property disclosure %s referenced from an array", ErrDisclosure, d.Digest)
				}
				idx := strconv.Itoa(len(out))
				d.Path = p.pointer(idx)
				pv, err := p.discValue(d.Value, idx, depth)
				if err != nil {
					return nil, err
				}
				out = append(out, pv)
				continue
			}
		}
		pv, err := p.value(el, strconv.Itoa(len(out)), depth)
		if err != nil {
			return nil, err
		}
		out = append(out, pv)
	}
	return out, nil
}

// Process runs the holder-side processing of §7.1 steps 3–5 without any
// signature check: it returns the claims the disclosures reveal and sets
// each Disclosure.Path. It applies the same structural checks as Verify.
func (t *SDJWT) Process() (map[string]any, error) {
	return process(t.Payload, t.Disclosures, Limits{}, false, nil)
}
