package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/testkit"
	"github.com/cairn-id/cairn/web/signin"
)

// cheapKDF keeps the hashing of chosen passwords fast in tests.
var cheapKDF = &signin.KDF{Time: 1, MemoryKiB: 64, Threads: 1}

// operatorBrowser is a client with a cookie jar that does not follow
// redirects.
type operatorBrowser struct {
	t    *testing.T
	c    *http.Client
	base string
}

func newOperatorBrowser(t *testing.T, base string) *operatorBrowser {
	jar, _ := cookiejar.New(nil)
	return &operatorBrowser{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

func (b *operatorBrowser) do(method, path string, form url.Values, header map[string]string) (*http.Response, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res, string(out)
}

var csrfMeta = regexp.MustCompile(`<meta name="csrf-token" content="([^"]*)">`)

// csrf is the token of the session, from a page.
func (b *operatorBrowser) csrf() string {
	b.t.Helper()
	_, page := b.do("GET", "/signin/", nil, nil)
	m := csrfMeta.FindStringSubmatch(page)
	if m == nil || m[1] == "" {
		b.t.Fatalf("no CSRF token in %.300q", page)
	}
	return m[1]
}

// signIn posts the sign-in form and returns the answer.
func (b *operatorBrowser) signIn(name, secret, next string) (*http.Response, string) {
	b.t.Helper()
	return b.do("POST", "/signin/", url.Values{"csrf": {b.csrf()}, "name": {name}, "secret": {secret}, "next": {next}}, nil)
}

func readCode(t *testing.T, s *Stack, name string) string {
	t.Helper()
	p := filepath.Join(s.Data(), OperatorCodesDir, name+".code")
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s mode %v", p, fi.Mode().Perm())
	}
	b, _ := os.ReadFile(p)
	return strings.TrimSpace(string(b))
}

// openPublic opens a stack behind a public https URL (not dev mode).
func openPublic(t *testing.T) (*Stack, *httptest.Server, *testkit.SyncBuffer) {
	t.Helper()
	logs := &testkit.SyncBuffer{}
	s, err := Open(context.Background(), Config{Data: filepath.Join(t.TempDir(), "data"), URL: "https://cairn.example", Now: func() time.Time { return t0 },
		Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(func() { srv.Close(); s.Close() })
	return s, srv, logs
}

// TestOperatorSignIn: outside dev mode the desk and the console are
// served behind the sign-in with the seeded accounts; a page asked for
// without a sign-in redirects to it (a script's call gets 401); a
// sign-in renews the session and returns to the page; the wrong role
// is refused; sign-out ends it at once; /metrics is not on the public
// listener; the audit lines name the operator and never the secret.
func TestOperatorSignIn(t *testing.T) {
	s, srv, logs := openPublic(t)
	if len(s.OperatorCodes) != len(DemoIssuers)+1 {
		t.Fatalf("seeded codes %v", s.OperatorCodes)
	}
	b := newOperatorBrowser(t, srv.URL)
	for _, c := range []struct{ path, role string }{{"/desk/", "desk"}, {"/desk/clinic/offer?type=x", "desk"}, {"/caseworker/", "caseworker"}} {
		res, _ := b.do("GET", c.path, nil, nil)
		loc, _ := url.Parse(res.Header.Get("Location"))
		if res.StatusCode != http.StatusSeeOther || loc.Path != "/signin/" || loc.Query().Get("next") != c.path || loc.Query().Get("role") != c.role {
			t.Errorf("GET %s signed out: %d %q", c.path, res.StatusCode, res.Header.Get("Location"))
		}
	}
	res, body := b.do("POST", "/caseworker/api/console/sessions", nil, map[string]string{"X-CSRF-Token": b.csrf(), "Content-Type": "application/json"})
	if res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, `"code":"signin_required"`) {
		t.Errorf("script call signed out: %d %s", res.StatusCode, body)
	}
	if res, _ := b.do("GET", "/metrics", nil, nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("/metrics on the public listener outside dev mode: %d", res.StatusCode)
	}
	_, page := b.do("GET", "/signin/?role=caseworker&lang=ar", nil, nil)
	for _, want := range []string{`dir="rtl"`, `<label for="name">`, `<label for="secret">`, `autocomplete="current-password"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the sign-in page lacks %q", want)
		}
	}
	if strings.Contains(page, "<script>") || strings.Contains(page, "onclick") {
		t.Error("inline script on the sign-in page")
	}

	code := readCode(t, s, "caseworker")
	before := b.c.Jar.Cookies(mustURL(srv.URL))
	res, _ = b.signIn("caseworker", code, "/caseworker/?lang=fr")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/caseworker/?lang=fr" {
		t.Fatalf("sign-in: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	after := b.c.Jar.Cookies(mustURL(srv.URL))
	if sessionCookie(before) == "" || sessionCookie(before) == sessionCookie(after) {
		t.Error("the session id was not renewed on sign-in")
	}
	res, body = b.do("GET", "/caseworker/", nil, nil)
	if res.StatusCode != 200 || !strings.Contains(body, "caseworker") || !strings.Contains(body, `action="/signin/out"`) {
		t.Errorf("console signed in: %d %.300q", res.StatusCode, body)
	}
	res, body = b.do("GET", "/caseworker/api/console/purposes", nil, nil)
	if res.StatusCode != 200 || !strings.Contains(body, "clinic-access") {
		t.Errorf("console API signed in: %d %.200q", res.StatusCode, body)
	}
	// The refusal tells them to sign out: the page offers it.
	if res, body := b.do("GET", "/desk/", nil, nil); res.StatusCode != http.StatusForbidden || !strings.Contains(body, `action="/signin/out"`) {
		t.Errorf("a caseworker on the desk: %d, sign-out form shown: %v", res.StatusCode, strings.Contains(body, `action="/signin/out"`))
	}
	// Sign-out without the token is refused and signs nobody out.
	if res, _ := b.do("POST", "/signin/out", url.Values{}, nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("sign-out without CSRF: %d", res.StatusCode)
	}
	res, _ = b.do("POST", "/signin/out", url.Values{"csrf": {b.csrf()}}, nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Errorf("sign-out: %d", res.StatusCode)
	}
	if res, _ := b.do("GET", "/caseworker/", nil, nil); res.StatusCode != http.StatusSeeOther {
		t.Errorf("console after sign-out: %d", res.StatusCode)
	}
	// A session cookie copied before the sign-out is worth nothing.
	stale := newOperatorBrowser(t, srv.URL)
	stale.c.Jar.SetCookies(mustURL(srv.URL), after)
	if res, _ := stale.do("GET", "/caseworker/", nil, nil); res.StatusCode != http.StatusSeeOther {
		t.Errorf("the signed-out session's cookie still reaches the console: %d", res.StatusCode)
	}
	l := logs.String()
	for _, want := range []string{`"msg":"operator signed in","service":"signin","name":"caseworker","role":"caseworker","scope":"verifier","addr":"127.0.0.1"`,
		`"msg":"operator signed out","service":"signin","name":"caseworker"`} {
		if !strings.Contains(l, want) {
			t.Errorf("log lacks %s:\n%s", want, l)
		}
	}
	if strings.Contains(l, code) {
		t.Error("the log holds a sign-in code")
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func sessionCookie(cs []*http.Cookie) string {
	for _, c := range cs {
		if c.Name == "cairn_session" || c.Name == "__Host-cairn_session" {
			return c.Value
		}
	}
	return ""
}

// TestOperatorWrongSecretLimited: a wrong secret is refused (the same
// answer for an unknown name); after signin.FreeFailures in a row the
// name is locked, even for the right secret; and one address gets
// DefaultAddressRate.Burst attempts before the rest are refused 429.
func TestOperatorWrongSecretLimited(t *testing.T) {
	s, srv, logs := openPublic(t)
	b := newOperatorBrowser(t, srv.URL)
	code := readCode(t, s, "desk-clinic")
	attempts := 0
	try := func(name, secret string, want int) {
		t.Helper()
		attempts++
		res, body := b.signIn(name, secret, "/desk/")
		if res.StatusCode != want {
			t.Fatalf("attempt %d (%s): %d, want %d: %.300q", attempts, name, res.StatusCode, want, body)
		}
		if want == http.StatusTooManyRequests && res.Header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
	}
	try("nobody", "whatever-it-is", http.StatusUnauthorized)
	for i := 0; i < signin.FreeFailures+1; i++ {
		try("desk-clinic", code+"x", http.StatusUnauthorized)
	}
	try("desk-clinic", code, http.StatusTooManyRequests) // locked
	if res, _ := b.do("GET", "/desk/clinic/", nil, nil); res.StatusCode != http.StatusSeeOther {
		t.Errorf("not signed in after the lock: %d", res.StatusCode)
	}
	for attempts < signin.DefaultAddressRate.Burst {
		try("desk-school", "not-the-code-at-all", http.StatusUnauthorized)
	}
	// The address is out of attempts: even the right secret of another
	// account waits.
	try("desk-employer", readCode(t, s, "desk-employer"), http.StatusTooManyRequests)
	if !strings.Contains(logs.String(), `"reason":"account locked","name":"desk-clinic"`) || !strings.Contains(logs.String(), `"reason":"address rate"`) {
		t.Errorf("log:\n%s", logs)
	}
}

// TestDeskOperatorScope: the desk operator of the clinic sees and acts
// for the clinic only: the desk's list sends them to it, the school's
// pages and forms are refused 403, and the school gets no offer; a
// desk operator is refused on the console; a state change without the
// CSRF token is refused and changes nothing.
func TestDeskOperatorScope(t *testing.T) {
	s, srv, _ := openPublic(t)
	b := newOperatorBrowser(t, srv.URL)
	if res, _ := b.signIn("desk-clinic", readCode(t, s, "desk-clinic"), "/desk/"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", res.StatusCode)
	}
	if res, _ := b.do("GET", "/desk/", nil, nil); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/desk/clinic/" {
		t.Errorf("desk list: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	if res, body := b.do("GET", "/desk/clinic/", nil, nil); res.StatusCode != 200 || !strings.Contains(body, "Riverside Community Clinic") {
		t.Errorf("own office: %d", res.StatusCode)
	}
	school := s.Issuer("school")
	clinic := s.Issuer("clinic")
	pending := func(is *Issuer) int {
		offers, err := is.Service.Offers(context.Background(), false)
		if err != nil {
			t.Fatal(err)
		}
		return len(offers)
	}
	offer := func(office, vct string, withToken bool) int {
		form := url.Values{"type": {vct}, "family_name": {"Haddad"}, "given_name": {"Amina"}, "birthdate": {"1991-04-12"},
			"language": {"en"}, "level": {"B1"}, "assessed_on": {"2026-06-20"}}
		if withToken {
			form.Set("csrf", b.csrf())
		}
		res, _ := b.do("POST", "/desk/"+office+"/offer", form, nil)
		return res.StatusCode
	}
	if code, _ := b.do("GET", "/desk/school/", nil, nil); code.StatusCode != http.StatusForbidden {
		t.Errorf("another office's page: %d", code.StatusCode)
	}
	if code := offer("school", school.Types[0], true); code != http.StatusForbidden {
		t.Errorf("an offer for another office: %d", code)
	}
	if res, _ := b.do("POST", "/desk/school/cancel", url.Values{"csrf": {b.csrf()}, "handle": {"x"}}, nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("a cancel at another office: %d", res.StatusCode)
	}
	if n := pending(school); n != 0 {
		t.Errorf("the school has %d offers", n)
	}
	if code := offer("clinic", clinic.Types[0], false); code != http.StatusForbidden {
		t.Errorf("an offer without the CSRF token: %d", code)
	}
	if n := pending(clinic); n != 0 {
		t.Errorf("an offer without the CSRF token was made: %d", n)
	}
	// The same form with the token reaches the desk (which answers it).
	if code := offer("clinic", clinic.Types[0], true); code == http.StatusForbidden {
		t.Errorf("an offer at the own office with the token: %d", code)
	}
	if res, _ := b.do("GET", "/caseworker/", nil, nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("a desk operator on the console: %d", res.StatusCode)
	}
}

// TestOperatorAccounts: accounts added with a chosen password or a
// generated code (0600 file, never overwritten without Replace), for a
// known issuer only; removed accounts cannot sign in; no secret is in
// the accounts file.
func TestOperatorAccounts(t *testing.T) {
	s, srv, _ := openPublic(t)
	data := s.Data()
	for _, c := range []struct {
		name string
		req  OperatorRequest
		want error
	}{
		{"unknown issuer", OperatorRequest{Name: "ana", Role: signin.RoleDesk, Issuer: "bakery"}, ErrUnknownIssuer},
		{"bad name", OperatorRequest{Name: "Ana Smith", Role: signin.RoleCaseworker}, signin.ErrInvalid},
		{"bad role", OperatorRequest{Name: "ana", Role: "admin"}, signin.ErrInvalid},
		{"short password", OperatorRequest{Name: "ana", Role: signin.RoleCaseworker, Secret: "short"}, signin.ErrInvalid},
		{"caseworker with issuer", OperatorRequest{Name: "ana", Role: signin.RoleCaseworker, Issuer: "clinic"}, signin.ErrInvalid},
		{"exists", OperatorRequest{Name: "caseworker", Role: signin.RoleCaseworker}, signin.ErrExists},
	} {
		if _, err := AddOperator(data, c.req); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if _, err := os.Stat(filepath.Join(data, OperatorCodesDir, "ana.code")); !os.IsNotExist(err) {
		t.Errorf("a refused account left a code file: %v", err)
	}
	const pw = "correct horse battery"
	if p, err := AddOperator(data, OperatorRequest{Name: "ana", Role: signin.RoleDesk, Issuer: "school", Secret: pw, KDF: cheapKDF}); err != nil || p != "" {
		t.Fatalf("add ana: %q %v", p, err)
	}
	raw, _ := os.ReadFile(filepath.Join(data, OperatorsFile))
	if strings.Contains(string(raw), pw) || strings.Contains(string(raw), readCode(t, s, "caseworker")) {
		t.Errorf("accounts file:\n%s", raw)
	}
	// The chosen password is stored with Argon2id, the generated codes
	// with the fast scheme.
	for name, slow := range map[string]bool{"ana": true, "caseworker": false, "desk-clinic": false} {
		if a, err := OperatorAccounts(data).Find(name); err != nil || a == nil || signin.Slow(a.Hash) != slow {
			t.Errorf("%s's hash: %+v %v, want slow %v", name, a, err, slow)
		}
	}
	if fi, _ := os.Stat(filepath.Join(data, OperatorsFile)); fi.Mode().Perm() != 0o600 {
		t.Errorf("accounts file mode %v", fi.Mode().Perm())
	}
	b := newOperatorBrowser(t, srv.URL)
	if res, _ := b.signIn("ana", pw, "/desk/"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("ana signs in: %d", res.StatusCode)
	}
	if res, _ := b.do("GET", "/desk/", nil, nil); res.Header.Get("Location") != "/desk/school/" {
		t.Errorf("ana's desk: %q", res.Header.Get("Location"))
	}
	old := readCode(t, s, "caseworker")
	p, err := AddOperator(data, OperatorRequest{Name: "caseworker", Role: signin.RoleCaseworker, Replace: true, KDF: cheapKDF})
	if err != nil || readCode(t, s, "caseworker") == old {
		t.Fatalf("replace: %q %v", p, err)
	}
	if res, _ := newOperatorBrowser(t, srv.URL).signIn("caseworker", old, ""); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("the replaced code still signs in: %d", res.StatusCode)
	}
	if err := RemoveOperator(data, "ana"); err != nil {
		t.Fatal(err)
	}
	if res, _ := newOperatorBrowser(t, srv.URL).signIn("ana", pw, ""); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("a removed account signs in: %d", res.StatusCode)
	}
	if err := RemoveOperator(data, "ana"); !errors.Is(err, signin.ErrUnknown) {
		t.Errorf("remove twice: %v", err)
	}
}

// TestConcurrentOperatorAdds: accounts added at the same moment (as by
// two 'cairn operator add' at once) are all kept: each add reads,
// changes and writes the accounts file under its lock.
func TestConcurrentOperatorAdds(t *testing.T) {
	data := t.TempDir()
	const n = 16
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			req := OperatorRequest{Name: fmt.Sprintf("op%02d", i), Role: signin.RoleCaseworker, KDF: cheapKDF}
			if i%2 == 0 {
				req.Role, req.Issuer = signin.RoleDesk, "clinic"
			}
			if i%3 == 0 {
				req.Secret = "a chosen password " + req.Name
			}
			_, errs[i] = addOperator(data, []string{"clinic"}, req)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	as, err := OperatorAccounts(data).Load()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range as {
		names = append(names, a.Name)
	}
	slices.Sort(names)
	var want []string
	for i := range n {
		want = append(want, fmt.Sprintf("op%02d", i))
	}
	if !slices.Equal(names, want) {
		t.Errorf("%d accounts kept of %d: %v", len(names), n, names)
	}
	// and an account added twice at once is added once
	errs = make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = addOperator(data, []string{"clinic"}, OperatorRequest{Name: "same", Role: signin.RoleCaseworker, Secret: "one chosen password", KDF: cheapKDF})
		})
	}
	wg.Wait()
	added := 0
	for _, err := range errs {
		switch {
		case err == nil:
			added++
		case !errors.Is(err, signin.ErrExists):
			t.Errorf("adding the same name: %v", err)
		}
	}
	if as, _ := OperatorAccounts(data).Load(); added != 1 || len(as) != n+1 {
		t.Errorf("the same name added %d times, %d accounts", added, len(as))
	}
}
