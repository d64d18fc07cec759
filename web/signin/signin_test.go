package signin

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var cheap = KDF{Time: 1, MemoryKiB: 64, Threads: 1}

func TestHashVerify(t *testing.T) {
	h, err := Hash("correct horse battery", cheap, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := Verify(h, "correct horse battery"); !ok || err != nil {
		t.Fatalf("the right secret: %v %v", ok, err)
	}
	if ok, _ := Verify(h, "correct horse batterY"); ok {
		t.Error("a wrong secret verified")
	}
	h2, _ := Hash("correct horse battery", cheap, nil)
	if h2 == h {
		t.Error("two hashes of one secret are equal: no salt")
	}
	parts := strings.Split(h, "$")
	for name, bad := range map[string]string{
		"argon2i":         strings.Replace(h, "$argon2id$", "$argon2i$", 1),
		"version":         strings.Replace(h, "$v=19$", "$v=16$", 1),
		"huge memory":     strings.Replace(h, "m=64,", "m=99999999,", 1),
		"zero time":       strings.Replace(h, ",t=1,", ",t=0,", 1),
		"unknown param":   strings.Replace(h, ",p=1$", ",p=1,x=2$", 1),
		"short salt":      "$" + strings.Join([]string{parts[1], parts[2], parts[3], "YWJj", parts[5]}, "$"),
		"missing part":    strings.Join(parts[:5], "$"),
		"not base64 hash": h + "!",
		"empty":           "",
	} {
		if _, err := Verify(bad, "correct horse battery"); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestSchemes: a chosen password is stored with Argon2id, a generated
// code with the fast scheme (even a password that looks like a code);
// each verifies, wrong secrets and tampered code hashes are refused.
func TestSchemes(t *testing.T) {
	code, codeHash, err := NewCode(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(codeHash, "$"+codeScheme+"$v=1$") || Slow(codeHash) {
		t.Errorf("a generated code's hash %q is not of the fast scheme", codeHash)
	}
	// a chosen password in the form of a code still gets Argon2id
	pwHash, err := Hash(code, cheap, nil)
	if err != nil || !strings.HasPrefix(pwHash, "$argon2id$v=19$") || !Slow(pwHash) {
		t.Errorf("a chosen password's hash %q %v is not Argon2id", pwHash, err)
	}
	other, _, _ := NewCode(nil)
	for _, c := range []struct {
		hash, secret string
		want         bool
	}{
		{codeHash, code, true},
		{codeHash, strings.ToLower(code), true},                        // typed in lower case
		{codeHash, strings.ReplaceAll(code, "-", ""), true},            // or without the dashes
		{codeHash, strings.ReplaceAll(code, "-", " "), true},           // or with spaces
		{codeHash, other, false},                                       // another code
		{codeHash, code[:len(code)-1], false},                          // a letter short
		{codeHash, code[:len(code)-1] + "A", code[len(code)-1] == 'A'}, // the last letter changed
		{codeHash, "", false},
		{pwHash, code, true},
		{pwHash, strings.ToLower(code), false}, // passwords are exact
		{pwHash, other, false},
	} {
		if ok, err := Verify(c.hash, c.secret); ok != c.want || err != nil {
			t.Errorf("Verify(%.30s…, %q) = %v %v, want %v", c.hash, c.secret, ok, err, c.want)
		}
	}
	parts := strings.Split(codeHash, "$")
	for name, bad := range map[string]string{
		"version":      strings.Replace(codeHash, "$v=1$", "$v=2$", 1),
		"short mac":    "$" + strings.Join([]string{parts[1], parts[2], parts[3], parts[4][:20]}, "$"),
		"short salt":   "$" + strings.Join([]string{parts[1], parts[2], "YWJj", parts[4]}, "$"),
		"extra part":   codeHash + "$x",
		"missing part": strings.Join(parts[:4], "$"),
		"not base64":   codeHash[:len(codeHash)-1] + "!",
		"unknown id":   strings.Replace(codeHash, codeScheme, "sha256", 1),
	} {
		if _, err := Verify(bad, code); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: %v", name, err)
		}
		if !errors.Is(checkHash(bad), ErrFormat) {
			t.Errorf("%s: stored", name)
		}
	}
	// both schemes are accepted in the accounts file
	f := File{Path: filepath.Join(t.TempDir(), "accounts.json")}
	for _, a := range []Account{{Name: "pw", Role: RoleDesk, Scope: "clinic", Hash: pwHash}, {Name: "code", Role: RoleCaseworker, Scope: "verifier", Hash: codeHash}} {
		if err := f.Add(a, false); err != nil {
			t.Fatal(err)
		}
	}
	if as, err := f.Load(); err != nil || len(as) != 2 {
		t.Errorf("load: %v %v", as, err)
	}
}

// FuzzParsePHC: the stored-hash parser never panics and bounds what it
// accepts.
func FuzzParsePHC(f *testing.F) {
	h, _ := Hash("x", cheap, nil)
	f.Add(h)
	f.Add("$argon2id$v=19$m=8,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA")
	f.Add("$$$$$")
	_, ch, _ := NewCode(nil)
	f.Add(ch)
	f.Fuzz(func(t *testing.T, s string) {
		p, salt, key, err := parsePHC(s)
		if err == nil && (p.MemoryKiB > maxMemoryKiB || p.Time > maxTime || len(salt) < 8 || len(key) < 16) {
			t.Fatalf("accepted out of bounds: %+v %d %d", p, len(salt), len(key))
		}
		salt, mac, err := parseCodeHash(s)
		if err == nil && (len(salt) < 8 || len(mac) != 32) {
			t.Fatalf("accepted a code hash out of bounds: %d %d", len(salt), len(mac))
		}
		if checkHash(s) == nil {
			_, _ = Verify(s, "x")
		}
	})
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"/desk/clinic/":          "/desk/clinic/",
		"/caseworker/?lang=fr":   "/caseworker/?lang=fr",
		"":                       "",
		"https://evil.example/":  "",
		"//evil.example/":        "",
		"/\\evil.example":        "",
		"desk/":                  "",
		"/x\r\nSet-Cookie: a=b":  "",
		"javascript:alert(1)":    "",
		"/%2F%2Fevil.example/":   "/%2F%2Fevil.example/",
		"/ok#frag":               "/ok",
		"/user@evil.example/abc": "/user@evil.example/abc",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCodesAndNames(t *testing.T) {
	c, _, err := NewCode(nil)
	if err != nil || len(c) != 24 || strings.Count(c, "-") != 4 {
		t.Errorf("code %q %v", c, err)
	}
	if c2, _, _ := NewCode(nil); c2 == c {
		t.Error("two codes are equal")
	}
	for _, n := range []string{"caseworker", "desk-clinic", "a.b_c"} {
		if CheckName(n) != nil {
			t.Errorf("%q refused", n)
		}
	}
	for _, n := range []string{"", "Ana", "-x", "a b", strings.Repeat("a", 64)} {
		if !errors.Is(CheckName(n), ErrInvalid) {
			t.Errorf("%q accepted", n)
		}
	}
	for _, s := range []string{"short", strings.Repeat("x", MaxSecretLen+1), "eleven char"} {
		if !errors.Is(CheckSecret(s), ErrInvalid) {
			t.Errorf("secret of %d accepted", len(s))
		}
	}
	if CheckSecret("twelve chars") != nil {
		t.Error("12 characters refused")
	}
}

// TestFileRefusesBadFiles: a tampered accounts file is refused whole.
func TestFileRefusesBadFiles(t *testing.T) {
	dir := t.TempDir()
	h, _ := Hash("x", cheap, nil)
	for name, body := range map[string]string{
		"not json":  "{",
		"format":    `{"format":2,"accounts":[]}`,
		"bad role":  `{"format":1,"accounts":[{"name":"a","role":"root","scope":"s","hash":"` + h + `"}]}`,
		"bad hash":  `{"format":1,"accounts":[{"name":"a","role":"desk","scope":"s","hash":"plain"}]}`,
		"bad scope": `{"format":1,"accounts":[{"name":"a","role":"desk","scope":"S S","hash":"` + h + `"}]}`,
		"bad name":  `{"format":1,"accounts":[{"name":"A","role":"desk","scope":"s","hash":"` + h + `"}]}`,
	} {
		p := filepath.Join(dir, name+".json")
		os.WriteFile(p, []byte(body), 0o600)
		if _, err := (File{Path: p}).Load(); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if as, err := (File{Path: filepath.Join(dir, "none.json")}).Load(); as != nil || err != nil {
		t.Errorf("a missing file: %v %v", as, err)
	}
}
