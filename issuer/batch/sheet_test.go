package batch

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/schemas"
)

// englishSheetWords are the sheet's own English sentences: none may show
// on a sheet in another language.
var englishSheetWords = []string{"Credential offers", "offers,", "rows refused", "Printed", "Each person scans", "These cards are secrets",
	"Scan before", "Transaction code for", "tell the person", "Rows not offered", "Credential offer QR code"}

// languageSheet runs a small drive with the sheet in lang and returns it.
func languageSheet(t testing.TB, lang string, loc *time.Location) []byte {
	t.Helper()
	cat, err := schemas.Load()
	if err != nil {
		t.Fatal(err)
	}
	rows := []Row{
		{Line: 2, Reference: "تذكرة-7", VCT: "urn:cairn:vct:humanitarian-registration:1", TxCode: true, Claims: map[string]any{}},
		{Line: 3, Reference: "Q-002", VCT: "urn:cairn:vct:identity-attestation:1", Claims: map[string]any{}},
	}
	out := filepath.Join(t.TempDir(), "out")
	if _, err := Run(context.Background(), rows, newFakeCreator(), Options{OutDir: out, Catalogue: cat, Now: func() time.Time { return fixedNow },
		TTL: 48 * time.Hour, Lang: lang, Location: loc, Workers: 1}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(out, SheetFile))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSheetLanguages: with --lang ar, fr or uk the sheet is in that
// language, with lang and dir set and the expiry as a local date.
func TestSheetLanguages(t *testing.T) {
	beirut, err := time.LoadLocation("Asia/Beirut")
	if err != nil {
		beirut = time.FixedZone("EET", 2*3600)
	}
	for _, tc := range []struct {
		lang string
		want []string
	}{
		{"ar", []string{`<html lang="ar" dir="rtl">`, "عروض الوثائق", "امسح الرمز قبل 28 نوفمبر 2026، 14:00", "التسجيل الإنساني", "رمز المعاملة لـ <span dir=\"auto\">تذكرة-7</span>"}},
		{"fr", []string{`<html lang="fr" dir="ltr">`, "Offres d&#39;attestation", "À scanner avant le 28 novembre 2026, 14 h 00", "Code de transaction pour"}},
		{"uk", []string{`<html lang="uk" dir="ltr">`, "Пропозиції посвідчень", "Відскануйте до 28 листопада 2026 р., 14:00", "Код транзакції для"}},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			sheet := string(languageSheet(t, tc.lang, beirut))
			checkWellFormed(t, sheet)
			for _, w := range tc.want {
				if !strings.Contains(sheet, w) {
					t.Errorf("no %q in the sheet", w)
				}
			}
			for _, en := range englishSheetWords {
				if strings.Contains(sheet, en) {
					t.Errorf("English %q on the %s sheet", en, tc.lang)
				}
			}
		})
	}
	if en := string(languageSheet(t, "en", nil)); !strings.Contains(en, `<html lang="en" dir="ltr">`) || !strings.Contains(en, "Scan before 2026-11-28 12:00:00 UTC") {
		t.Error("the English sheet changed")
	}
}
