package wallet

import (
	"regexp"
	"slices"
	"testing"
)

// TestNoticeTexts: every notice exists in en, fr, ar and uk, with the
// same placeholders in each.
func TestNoticeTexts(t *testing.T) {
	ph := regexp.MustCompile(`\{[a-z]+\}`)
	for key, texts := range noticeTexts {
		want := ph.FindAllString(texts["en"], -1)
		slices.Sort(want)
		for _, l := range []string{"en", "fr", "ar", "uk"} {
			got := ph.FindAllString(texts[l], -1)
			slices.Sort(got)
			if texts[l] == "" || !slices.Equal(got, want) {
				t.Errorf("%s/%s: %q (placeholders %v, want %v)", key, l, texts[l], got, want)
			}
		}
	}
	if n := notice(NoticeOutsidePurpose+"/none", "uk-UA", "verifier", "V", "claim", "C"); n.Code != NoticeOutsidePurpose || n.Text != "\u2068V\u2069 запитує «\u2068C\u2069», але жодна його зареєстрована мета цього не охоплює." {
		t.Errorf("notice: %+v", n)
	}
}

// TestNoticeLanguage: the language is picked as everywhere else
// (i18n.Pick): an Accept-Language list's first language Cairn has, a
// region's base language, English for anything unknown.
func TestNoticeLanguage(t *testing.T) {
	for _, tc := range []struct{ lang, want string }{
		{"de, fr;q=0.5", "fr"}, {"fr-CA", "fr"}, {"ar-SY", "ar"}, {"uk", "uk"}, {"de", "en"}, {"", "en"}, {"en-GB", "en"},
	} {
		n := notice(NoticeUnregisteredVerifier, tc.lang)
		if n.Text != noticeTexts[NoticeUnregisteredVerifier][tc.want] {
			t.Errorf("%q: %q, want the %s text", tc.lang, n.Text, tc.want)
		}
	}
}

// TestNoticeIsolates: every inserted value of the Arabic over-asking
// notice is wrapped in directional isolates, in the template's order.
func TestNoticeIsolates(t *testing.T) {
	n := notice(NoticeOutsidePurpose, "ar", "verifier", "Clinic desk", "claim", "Date of birth", "purpose", "Clinic access, School enrolment")
	want := "يطلب \u2068Clinic desk\u2069 «\u2068Date of birth\u2069» خارج الغرض المسجل له «\u2068Clinic access, School enrolment\u2069»."
	if n.Text != want {
		t.Errorf("got  %q\nwant %q", n.Text, want)
	}
}
