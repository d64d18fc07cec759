package walletpage

import (
	"io/fs"
	"regexp"
	"slices"
	"strconv"
	"testing"

	"github.com/cairn-id/cairn/web"
)

// TestScriptStrings: every text wallet.js shows is sent to it translated.
func TestScriptStrings(t *testing.T) {
	js, err := fs.ReadFile(web.Static(), "wallet.js")
	if err != nil {
		t.Fatal(err)
	}
	keys := regexp.MustCompile(`\bt\(("(?:[^"\\]|\\.)*")`).FindAllStringSubmatch(string(js), -1)
	if len(keys) < 30 {
		t.Fatalf("only %d texts found", len(keys))
	}
	for _, m := range keys {
		k, _ := strconv.Unquote(m[1])
		if !slices.Contains(scriptStrings, k) {
			t.Errorf("wallet.js shows %q, which the page does not send", k)
		}
	}
}
