package interop

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// requireNodePackage returns the node binary when node is on PATH and
// dir/node_modules holds npm package pkg at exactly version want. A missing
// node or node_modules skips the test, or fails it with
// CAIRN_INTEROP=required (a skip is never a pass); another version fails.
func requireNodePackage(t *testing.T, dir, pkg, want string) string {
	t.Helper()
	node, err := exec.LookPath("node")
	meta := filepath.Join(dir, "node_modules", filepath.FromSlash(pkg), "package.json")
	missing := ""
	if err != nil {
		missing = "node (>= 20) is not on PATH"
	} else if _, err := os.Stat(meta); err != nil {
		missing = "interop/" + dir + "/node_modules is missing"
	}
	if missing != "" {
		if os.Getenv("CAIRN_INTEROP") == "required" {
			t.Fatalf("interop: %s and CAIRN_INTEROP=required: install Node >= %d and run 'make interop-deps' (cd interop/%s && npm ci)", missing, minNodeMajor, dir)
		}
		t.Skip("interop: run 'make interop-deps' (npm ci) first")
	}
	var v struct{ Version string }
	b, _ := os.ReadFile(meta)
	if err := json.Unmarshal(b, &v); err != nil || v.Version != want {
		t.Fatalf("interop: %s %q installed, lockfile pins %s: run 'make interop-deps'", pkg, v.Version, want)
	}
	return node
}
