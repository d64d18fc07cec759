package stack

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/cairn-id/cairn/internal/browsertest"
)

// TestSignInInChromium goes through the real sign-in guard of the
// stack's pages in a browser at 360 px (the web/ browser tests mount the
// desk and console without it): a signed-out visit to a desk page is
// sent to the sign-in page (audited in English and Arabic, and with its
// error), a wrong code is refused, the seeded code reaches the desk; the
// clinic's desk operator is refused (403) the school's desk and the
// console; the operator's Latin name in the Arabic page is isolated.
func TestSignInInChromium(t *testing.T) {
	b := browsertest.New(t)
	s, srv := serve(t, filepath.Join(t.TempDir(), "data"), nil)
	status := func() string {
		return b.Eval(`String(performance.getEntriesByType("navigation")[0].responseStatus)`)
	}

	b.Visit(srv.URL + "/desk/clinic/")
	b.Do("sent to the sign-in", chromedp.WaitVisible(chromedp.ID("f-signin")))
	if u := b.Eval(`location.pathname + location.search`); !strings.HasPrefix(u, "/signin/?") || !strings.Contains(u, "next=%2Fdesk%2Fclinic%2F") || !strings.Contains(u, "role=desk") {
		t.Errorf("signed out, /desk/clinic/ went to %q", u)
	}
	b.Contains("signin", "Sign in with your desk account")
	b.Audit("signin", "en", "ltr")
	b.Do("a wrong code", chromedp.SendKeys(chromedp.ID("name"), "desk-clinic"), chromedp.SendKeys(chromedp.ID("secret"), "AAAA-BBBB-CCCC-DDDD-EEEE"),
		chromedp.Click(chromedp.CSS("#f-signin button[type=submit]")), chromedp.WaitVisible(chromedp.ID("signin-error")))
	if st := status(); st != "401" {
		t.Errorf("a wrong code answered %s", st)
	}
	b.Contains("signin-error", "Wrong name or password.")
	b.Audit("signin-error", "en", "ltr")
	// the code typed in lower case still signs in (codes ignore case)
	b.Do("signing in", chromedp.SetValue(chromedp.ID("name"), "desk-clinic"), chromedp.SetValue(chromedp.ID("secret"), strings.ToLower(readCode(t, s, "desk-clinic"))),
		chromedp.Click(chromedp.CSS("#f-signin button[type=submit]")), chromedp.WaitVisible(chromedp.CSS("form.signout")))
	if p := b.Eval(`location.pathname`); p != "/desk/clinic/" {
		t.Errorf("signed in at %q, want the desk page asked for", p)
	}
	b.Contains("desk", "Riverside Community Clinic", "Signed in as desk-clinic", "Make an offer")
	b.Audit("desk", "en", "ltr")

	for _, c := range []struct{ path, text string }{
		{"/desk/school/", "Your account does not act for this office."},
		{"/caseworker/", "This page is for another kind of account."},
	} {
		b.Visit(srv.URL + c.path)
		if st := status(); st != "403" {
			t.Errorf("the clinic's desk operator at %s: %s", c.path, st)
		}
		b.Contains(c.path, c.text)
	}

	// Arabic: the page right to left, the Latin operator name in the
	// sign-out bar and the office's name in the heading isolated.
	b.Visit(srv.URL + "/desk/clinic/?lang=ar")
	if got := b.Eval(`Array.from(document.querySelectorAll("h1 bdi, form.signout bdi")).map(e => e.textContent + "|" + getComputedStyle(e).unicodeBidi).join(";")`); !strings.HasPrefix(got, "desk-clinic|isolate;") || strings.Count(got, "|isolate") != 2 {
		t.Errorf("Arabic desk page: isolated values %q", got)
	}
	b.Contains("desk-ar", "مسجّل الدخول باسم desk-clinic")
	b.Audit("desk-ar", "ar", "rtl")
	b.Do("signing out", chromedp.Click(chromedp.CSS("form.signout button[type=submit]")), chromedp.WaitVisible(chromedp.ID("f-signin")))
	b.Visit(srv.URL + "/signin/?lang=ar&role=desk")
	b.Audit("signin-ar", "ar", "rtl")
	b.Visit(srv.URL + "/desk/clinic/")
	b.Do("signed out, the desk asks to sign in again", chromedp.WaitVisible(chromedp.ID("f-signin")))
}
