package purposes_test

import (
	"fmt"
	"io/fs"
	"testing"

	"github.com/cairn-id/cairn/internal/purposes"
)

// TestNames: every shipped purpose has a name of its own in each of the
// four languages; a language list is picked like everywhere (i18n.Pick);
// an unknown id has none.
func TestNames(t *testing.T) {
	files, err := fs.Glob(purposes.FS(), "*.json")
	if err != nil || len(files) < 4 {
		t.Fatalf("shipped: %v %v", files, err)
	}
	for _, f := range files {
		id := f[:len(f)-len(".json")]
		seen := map[string]bool{}
		for _, l := range []string{"en", "fr", "ar", "uk"} {
			n, ok := purposes.Name(id, l)
			if !ok || n == "" || seen[n] {
				t.Errorf("%s/%s: %q %v (missing or untranslated)", id, l, n, ok)
			}
			seen[n] = true
		}
		en, _ := purposes.Name(id, "en")
		if n, _ := purposes.Name(id, "de"); n != en {
			t.Errorf("%s: German gets %q, want English", id, n)
		}
		fr, _ := purposes.Name(id, "fr")
		if n, _ := purposes.Name(id, "de, fr;q=0.5"); n != fr {
			t.Errorf("%s: a list preferring French gets %q", id, n)
		}
	}
	if n, ok := purposes.Name("no-such-purpose", "en"); ok || n != "" {
		t.Errorf("unknown purpose: %q %v", n, ok)
	}
}

func ExampleName() {
	n, _ := purposes.Name("bank-account", "fr-CA")
	fmt.Println(n)
	// Output: Ouverture d'un compte bancaire de base
}
