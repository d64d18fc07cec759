package testkit

import (
	"encoding/json"
	"os"
	"testing"
)

// ReadJSON decodes the JSON file at path into v, failing the test on any
// error (a missing fixture is a failure, not a skip).
func ReadJSON(tb testing.TB, path string, v any) {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
}
