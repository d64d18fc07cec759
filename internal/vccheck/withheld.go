package vccheck

import (
	"encoding/json"
	"strconv"

	"github.com/cairn-id/cairn/internal/claimpath"
	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/sdjwt"
)

// undisclosed maps the JSON Pointer (RFC 6901) of every object and array
// of a presented credential, as the verifier sees it after processing, to
// the number of its digests that no presented disclosure answers. Those
// are withheld claims or elements and decoys, which a verifier cannot tell
// apart (RFC 9901 §4.2.5): a count above zero means "some may have been
// withheld", zero means "nothing here was withheld". It is only called on
// a presentation that verified, so it parses without re-checking.
func undisclosed(serialized string) map[string]int {
	t, err := sdjwt.Parse(serialized, sdjwt.Limits{})
	if err != nil {
		return nil
	}
	byDigest := make(map[string]*sdjwt.Disclosure, len(t.Disclosures))
	for _, d := range t.Disclosures {
		byDigest[d.Digest] = d
	}
	out := map[string]int{}
	var walk func(v any, ptr string, depth int)
	walk = func(v any, ptr string, depth int) {
		if depth > 64 {
			return
		}
		switch x := v.(type) {
		case map[string]any:
			hidden := 0
			if sd, ok := x["_sd"].([]any); ok {
				for _, e := range sd {
					s, _ := e.(string)
					if d := byDigest[s]; d != nil && !d.IsArray {
						walk(d.Value, ptr+"/"+claimpath.Escape(d.Name), depth+1)
					} else {
						hidden++
					}
				}
			}
			out[ptr] = hidden
			for k, c := range x {
				if k != "_sd" && k != "_sd_alg" {
					walk(c, ptr+"/"+claimpath.Escape(k), depth+1)
				}
			}
		case []any:
			hidden, i := 0, 0
			for _, el := range x {
				if m, ok := el.(map[string]any); ok && len(m) == 1 {
					if s, ok := m["..."].(string); ok {
						if d := byDigest[s]; d != nil && d.IsArray {
							walk(d.Value, ptr+"/"+strconv.Itoa(i), depth+1)
							i++
						} else {
							hidden++
						}
						continue
					}
				}
				walk(el, ptr+"/"+strconv.Itoa(i), depth+1)
				i++
			}
			out[ptr] = hidden
		}
	}
	walk(t.Payload, "", 0)
	return out
}

// presentedKB returns the nonce and audience a presentation's key binding
// JWT carries, unverified: what a desk shows beside the values it expected
// when they do not match.
func presentedKB(serialized string) (nonce, aud string) {
	t, err := sdjwt.Parse(serialized, sdjwt.Limits{})
	if err != nil || t.KBJWT == "" {
		return "", ""
	}
	j, err := jose.Parse(t.KBJWT)
	if err != nil {
		return "", ""
	}
	var p struct {
		Nonce any `json:"nonce"`
		Aud   any `json:"aud"`
	}
	if json.Unmarshal(j.Payload, &p) != nil {
		return "", ""
	}
	return text(p.Nonce), text(p.Aud)
}

func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	}
	b, _ := json.Marshal(v)
	return string(b)
}
