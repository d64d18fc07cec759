// Package purposes holds the purpose definitions shipped in the binary:
// for each purpose id a verifier may be authorized for in the trust
// registry (DESIGN.md §4), its names in en, fr, ar and uk, the DCQL query
// (OpenID4VP 1.0 §6) a desk asks with, the assurance policy and the
// retention. The verifier loads them as its default purposes
// (verifier.DefaultPurposes, which checks them); a wallet shows a
// registered purpose by its name here, since an OpenID4VP request carries
// no purpose and the registry only its id. It parses nothing itself
// beyond the names.
package purposes

import (
	"embed"
	"encoding/json"
	"io/fs"
	"sync"

	"github.com/cairn-id/cairn/internal/i18n"
)

//go:embed *.json
var files embed.FS

// FS is the shipped definitions, one <id>.json file each at its root.
func FS() fs.FS { return files }

var names = sync.OnceValue(func() map[string]map[string]string {
	out := map[string]map[string]string{}
	ents, _ := fs.ReadDir(files, ".")
	for _, e := range ents {
		b, err := files.ReadFile(e.Name())
		if err != nil {
			continue
		}
		var p struct {
			ID    string            `json:"id"`
			Names map[string]string `json:"names"`
		}
		if json.Unmarshal(b, &p) == nil && p.ID != "" {
			out[p.ID] = p.Names
		}
	}
	return out
})

// Name is the name of shipped purpose id in lang (a language tag or an
// Accept-Language list, picked by i18n.Pick), English when that language
// has none; ok is false for an id that is not shipped.
func Name(id, lang string) (name string, ok bool) {
	n := names()[id]
	if n == nil {
		return "", false
	}
	if s := n[i18n.Pick(lang)]; s != "" {
		return s, true
	}
	return n["en"], n["en"] != ""
}
