package examples

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestQuickstart builds cairn and runs quickstart.sh (what `make demo`
// runs), checking that each step happened and the replay was refused.
func TestQuickstart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	bin := filepath.Join(t.TempDir(), "cairn")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "../cmd/cairn")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.CommandContext(ctx, "bash", "quickstart.sh")
	cmd.Env = append(os.Environ(), "CAIRN="+bin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("quickstart.sh: %v\n%s", err, out)
	}
	for _, want := range []string{"== 6.", "\nVALID\n", "Helping Hands (registry: issuer is active now)", "given_name: \"Amina\"", "audience_mismatch", "refused with exit code 3"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, hidden := range []string{"1994-07-02", "KEN-KAK-2026-004512"} {
		if strings.Contains(string(out), hidden) {
			t.Errorf("undisclosed value %q appeared in the verifier's output", hidden)
		}
	}
}
