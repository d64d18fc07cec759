package sdjwt

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/cairn-id/cairn/internal/claimpath"
	"github.com/cairn-id/cairn/internal/jose"
)

// saltBytes is the salt length: 128 bits, as §9.3 recommends.
const saltBytes = 16

// Issue creates an SD-JWT (§4) from claims. Each JSON Pointer in
// opts.Disclosable names a claim (object member) or array element to make
// selectively disclosable; a pointer below another one gives a recursive
// disclosure (§4.2.6). Digests in every _sd array are sorted so that their
// order does not reveal the claims' order (§4.2.4.1), and _sd_alg is set.
func Issue(claims map[string]any, opts IssueOptions) (*SDJWT, error) {
	if opts.Signer == nil {
		return nil, errors.New("sdjwt: Issue needs a signer")
	}
	rnd := opts.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	// Normalise the input to plain JSON values (json.Number for numbers) so
	// that disclosures encode numbers exactly as given.
	raw, err := json.Marshal(claims)
	if err != nil {
		return nil, fmt.Errorf("sdjwt: encode claims: %w", err)
	}
	root, err := decodeObject(raw)
	if err != nil {
		return nil, fmt.Errorf("sdjwt: claims are not a JSON object: %w", err)
	}
	if err := checkNoReserved(root, true); err != nil {
		return nil, err
	}
	marks := map[string]bool{}
	for _, ptr := range opts.Disclosable {
		segs, err := parsePointer(ptr)
		if err != nil {
			return nil, err
		}
		if len(segs) == 0 {
			return nil, fmt.Errorf("%w: the whole payload cannot be disclosable", ErrPath)
		}
		if slices.Contains(opts.NeverDisclosable, segs[0]) {
			return nil, fmt.Errorf("%w: %q", ErrNeverDisclosable, segs[0])
		}
		if last := segs[len(segs)-1]; last == "_sd" || last == "..." || (len(segs) == 1 && last == "_sd_alg") {
			return nil, fmt.Errorf("%w: %q cannot be disclosable", ErrReservedClaim, last)
		}
		if err := markPaths(root, segs, "", marks); err != nil {
			return nil, fmt.Errorf("%w: %s", err, ptr)
		}
	}
	is := &issuer{rnd: rnd, marks: marks, decoys: opts.Decoys}
	out, err := is.value(root, "")
	if err != nil {
		return nil, err
	}
	payload := out.(map[string]any)
	payload["_sd_alg"] = HashAlg
	pb, err := marshalJSON(payload)
	if err != nil {
		return nil, fmt.Errorf("sdjwt: encode payload: %w", err)
	}
	jwt, err := opts.Signer.Sign(opts.Header, pb)
	if err != nil {
		return nil, fmt.Errorf("sdjwt: sign: %w", err)
	}
	jws, err := jose.Parse(jwt)
	if err != nil {
		return nil, fmt.Errorf("sdjwt: signed JWT does not parse: %w", err)
	}
	return &SDJWT{IssuerJWT: jwt, Header: jws.Header, Payload: payload, Disclosures: is.discs}, nil
}

func checkNoReserved(v any, top bool) error {
	switch c := v.(type) {
	case map[string]any:
		for k, child := range c {
			if k == "_sd" || k == "..." || (top && k == "_sd_alg") {
				return fmt.Errorf("%w: input claims contain %q", ErrReservedClaim, k)
			}
			if err := checkNoReserved(child, false); err != nil {
				return err
			}
		}
	case []any:
		for _, child := range c {
			if err := checkNoReserved(child, false); err != nil {
				return err
			}
		}
	}
	return nil
}

// parsePointer splits an RFC 6901 JSON Pointer into unescaped segments.
func parsePointer(ptr string) ([]string, error) {
	segs, err := claimpath.Split(ptr)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrPath, err)
	}
	return segs, nil
}

// markPaths records in marks the concrete pointer of every value segs
// names in v, expanding "*" over array elements.
func markPaths(v any, segs []string, prefix string, marks map[string]bool) error {
	if len(segs) == 0 {
		marks[prefix] = true
		return nil
	}
	seg := segs[0]
	switch c := v.(type) {
	case map[string]any:
		child, ok := c[seg]
		if !ok {
			return fmt.Errorf("%w: no claim %q", ErrPath, seg)
		}
		return markPaths(child, segs[1:], prefix+"/"+claimpath.Escape(seg), marks)
	case []any:
		if seg == claimpath.Wildcard {
			for i, child := range c {
				if err := markPaths(child, segs[1:], prefix+"/"+strconv.Itoa(i), marks); err != nil {
					return err
				}
			}
			return nil
		}
		i, ok := claimpath.Index(seg)
		if !ok || i >= len(c) {
			return fmt.Errorf("%w: no array element %q", ErrPath, seg)
		}
		return markPaths(c[i], segs[1:], prefix+"/"+seg, marks)
	}
	return fmt.Errorf("%w: %q is below a value that is not an object or array", ErrPath, seg)
}

type issuer struct {
	rnd    io.Reader
	marks  map[string]bool
	decoys int
	discs  []*Disclosure
}

// value returns v with its disclosable parts replaced by digests, bottom-up
// so that a recursive disclosure holds the digests of its children.
func (is *issuer) value(v any, ptr string) (any, error) {
	switch c := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(c))
		var sd []any
		keys := make([]string, 0, len(c))
		for k := range c {
			keys = append(keys, k)
		}
		slices.Sort(keys) // deterministic disclosure order for a given Rand
		for _, k := range keys {
			p := ptr + "/" + claimpath.Escape(k)
			child, err := is.value(c[k], p)
			if err != nil {
				return nil, err
			}
			if !is.marks[p] {
				out[k] = child
				continue
			}
			d, err := is.disclose([]any{nil, k, child})
			if err != nil {
				return nil, err
			}
			sd = append(sd, d)
		}
		if len(sd) > 0 {
			n, err := is.decoyCount()
			if err != nil {
				return nil, err
			}
			for range n {
				dd, err := is.decoy()
				if err != nil {
					return nil, err
				}
				sd = append(sd, dd)
			}
		}
		if len(sd) > 0 {
			slices.SortFunc(sd, func(a, b any) int { return strings.Compare(a.(string), b.(string)) })
			out["_sd"] = sd
		}
		return out, nil
	case []any:
		out := make([]any, 0, len(c))
		marked := false
		for i, el := range c {
			p := ptr + "/" + strconv.Itoa(i)
			child, err := is.value(el, p)
			if err != nil {
				return nil, err
			}
			if !is.marks[p] {
				out = append(out, child)
				continue
			}
			marked = true
			d, err := is.disclose([]any{nil, child})
			if err != nil {
				return nil, err
			}
			out = append(out, map[string]any{"...": d})
		}
		if marked {
			n, err := is.decoyCount()
			if err != nil {
				return nil, err
			}
			for range n {
				dd, err := is.decoy()
				if err != nil {
					return nil, err
				}
				pos, err := is.intn(len(out) + 1)
				if err != nil {
					return nil, err
				}
				out = slices.Insert(out, pos, any(map[string]any{"...": dd}))
			}
		}
		return out, nil
	}
	return v, nil
}

// disclose encodes arr (salt first, filled in here) as a disclosure and
// returns its digest.
func (is *issuer) disclose(arr []any) (string, error) {
	salt := make([]byte, saltBytes)
	if _, err := io.ReadFull(is.rnd, salt); err != nil {
		return "", fmt.Errorf("sdjwt: salt: %w", err)
	}
	arr[0] = jose.B64.EncodeToString(salt)
	b, err := marshalJSON(arr)
	if err != nil {
		return "", fmt.Errorf("sdjwt: encode disclosure: %w", err)
	}
	d := &Disclosure{Encoded: jose.B64.EncodeToString(b), Salt: arr[0].(string)}
	if len(arr) == 2 {
		d.IsArray, d.Value = true, arr[1]
	} else {
		d.Name, d.Value = arr[1].(string), arr[2]
	}
	d.Digest = digestOf(d.Encoded)
	is.discs = append(is.discs, d)
	return d.Digest, nil
}

// decoy returns a digest over random bytes (§4.2.5).
func (is *issuer) decoy() (string, error) {
	b := make([]byte, saltBytes)
	if _, err := io.ReadFull(is.rnd, b); err != nil {
		return "", fmt.Errorf("sdjwt: decoy: %w", err)
	}
	sum := sha256.Sum256(b)
	return jose.B64.EncodeToString(sum[:]), nil
}

// decoyCount is Decoys plus a random 0..Decoys, so the count of real
// digests cannot be inferred from the total.
func (is *issuer) decoyCount() (int, error) {
	if is.decoys <= 0 {
		return 0, nil
	}
	extra, err := is.intn(is.decoys + 1)
	return is.decoys + extra, err
}

func (is *issuer) intn(n int) (int, error) {
	var b [8]byte
	if _, err := io.ReadFull(is.rnd, b[:]); err != nil {
		return 0, fmt.Errorf("sdjwt: random: %w", err)
	}
	return int(binary.BigEndian.Uint64(b[:]) % uint64(n)), nil
}

// marshalJSON encodes without HTML escaping and without a trailing newline.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
