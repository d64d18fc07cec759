package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func TestBuild(t *testing.T) {
	osv := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(osv, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("GO-2026-0001.json", `{"id":"GO-2026-0001","modified":"0001-01-01T00:00:00Z","published":"2026-02-01T00:00:00Z","affected":[{"package":{"name":"stdlib"}},{"package":{"name":"stdlib"}}]}`)
	write("GO-2026-0002.json", `{"id":"GO-2026-0002","modified":"2026-03-01T00:00:00Z","affected":[{"package":{"name":"example.com/m"}},{"package":{"name":"stdlib"}}]}`)
	out := t.TempDir()
	if err := build(osv, out); err != nil {
		t.Fatal(err)
	}
	var mods []moduleEntry
	b, err := os.ReadFile(filepath.Join(out, "index", "modules.json"))
	if err != nil || json.Unmarshal(b, &mods) != nil {
		t.Fatalf("modules.json: %v %s", err, b)
	}
	if len(mods) != 2 || mods[0].Path != "example.com/m" || len(mods[0].Vulns) != 1 || mods[1].Path != "stdlib" || len(mods[1].Vulns) != 2 {
		t.Fatalf("modules index %+v", mods)
	}
	if got := mods[1].Vulns[0]; got.ID != "GO-2026-0001" || got.Modified.IsZero() {
		t.Fatalf("stdlib entry %+v: want the published date in place of a zero modified", got)
	}
	var db map[string]string
	b, _ = os.ReadFile(filepath.Join(out, "index", "db.json"))
	if json.Unmarshal(b, &db) != nil || db["modified"] != "2026-03-01T00:00:00Z" {
		t.Fatalf("db.json %s", b)
	}
	if _, err := os.Stat(filepath.Join(out, "ID", "GO-2026-0002.json")); err != nil {
		t.Fatal(err)
	}
	write("bad.json", `{"id":"../x"}`)
	if err := build(osv, t.TempDir()); err == nil {
		t.Fatal("an id with a path separator was accepted")
	}
}
