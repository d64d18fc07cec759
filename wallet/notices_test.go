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
	if n := notice(NoticeOutsidePurpose+"/none", "uk-UA", "verifier", "V", "claim", "C"); n.Code != NoticeOutsidePurpose || n.Text != "V запитує «C», але жодна його зареєстрована мета цього не охоплює." {
		t.Errorf("notice: %+v", n)
	}
}
