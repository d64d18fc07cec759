package batch

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cairn-id/cairn/internal/browsertest"
)

// TestSheetArabicInChromium renders the Arabic sheet in headless Chromium:
// the document's computed direction is rtl and no English sentence of the
// sheet shows in the rendered text. It writes a screenshot PNG to a
// temporary directory (and to $CAIRN_SHEET_PNG when set). Without a
// chromium binary the test skips, except under CI=true, where it fails
// (.ci/run installs Debian's chromium).
func TestSheetArabicInChromium(t *testing.T) {
	// A bound on a hung browser, not an assertion about speed.
	bctx, _ := browsertest.Launch(t, 1024, 1400, 2*time.Minute)
	dir := t.TempDir()
	sheet := filepath.Join(dir, SheetFile)
	if err := os.WriteFile(sheet, languageSheet(t, "ar", time.FixedZone("EET", 2*3600)), 0o600); err != nil {
		t.Fatal(err)
	}

	if err := chromedp.Do(bctx, chromedp.Navigate("file://"+sheet)); err != nil {
		t.Fatalf("loading the sheet: %v", err)
	}
	dirAttr, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.documentElement.getAttribute("dir")`))
	if err != nil {
		t.Fatal(err)
	}
	computed, err := chromedp.Run(bctx, chromedp.Evaluate[string](`getComputedStyle(document.documentElement).direction`))
	if err != nil {
		t.Fatal(err)
	}
	lang, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.documentElement.lang`))
	if err != nil {
		t.Fatal(err)
	}
	if dirAttr != "rtl" || computed != "rtl" || lang != "ar" {
		t.Errorf("dir attribute %q, computed direction %q, lang %q; want rtl, rtl, ar", dirAttr, computed, lang)
	}
	cardDir, err := chromedp.Run(bctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector(".card")).direction`))
	if err != nil || cardDir != "rtl" {
		t.Errorf("card direction %q (%v)", cardDir, err)
	}
	text, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.body.innerText`))
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range englishSheetWords {
		if strings.Contains(text, en) {
			t.Errorf("English %q in the rendered Arabic sheet", en)
		}
	}
	for _, ar := range []string{"عروض الوثائق", "امسح الرمز قبل", "رمز المعاملة"} {
		if !strings.Contains(text, ar) {
			t.Errorf("no %q in the rendered text", ar)
		}
	}
	png, err := chromedp.Run(bctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if len(png) < 8 || string(png[1:4]) != "PNG" {
		t.Fatal(errors.New("the screenshot is not a PNG"))
	}
	shot := filepath.Join(dir, "sheet-ar.png")
	if err := os.WriteFile(shot, png, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", shot, len(png))
	if extra := os.Getenv("CAIRN_SHEET_PNG"); extra != "" {
		if err := os.WriteFile(extra, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
