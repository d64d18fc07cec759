// Package browsertest drives Debian's chromium for the pages' browser
// tests (issue 12): a headless browser at a 360-pixel-wide viewport, an
// automated accessibility audit run in the page (lang and dir set, every
// form control labelled, every button and link named, images with alt
// text, text contrast computed ≥ 4.5:1 as WCAG 2.2 §1.4.3 defines it, no
// horizontal scrolling, touch targets of at least 44 CSS pixels), a check
// that inline script does not run under the Content-Security-Policy, the
// bytes a page loads, and screenshots; Launch alone starts a headless
// chromium for any test that renders HTML (the issuer's offer sheets). It
// is imported by tests only (internal/layering checks it).
package browsertest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Width and Height are the viewport: a small phone.
const (
	Width  = 360
	Height = 740
)

// MaxPageBytes is the budget of one page with everything it loads.
const MaxPageBytes = 150 << 10

// Browser is one headless chromium with one tab.
type Browser struct {
	t     *testing.T
	Ctx   context.Context
	dir   string
	shots string
	// Sizes records each audited page's bytes.
	Sizes map[string]int
}

// Launch starts a headless chromium whose window is width by height
// pixels, or skips the test without one (fails under CI=true: .ci/run
// installs it). bound stops a hung browser; it is not an assertion about
// speed. more adds chromium flags (FakeCamera's, say). It returns the
// browser's context and the temporary directory holding its profile;
// everything is closed when the test ends.
func Launch(t *testing.T, width, height int, bound time.Duration, more ...chromedp.ExecAllocatorOption) (context.Context, string) {
	t.Helper()
	if testing.Short() && os.Getenv("CI") != "true" {
		t.Skip("browser test (-short)")
	}
	path := ""
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("no chromium on PATH: .ci/run installs it (apt-get install chromium)")
		}
		t.Skip("no chromium on PATH")
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	t.Cleanup(cancel)
	opts := append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(filepath.Join(dir, "profile")),
		chromedp.WindowSize(width, height),
	}, more...)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(cancelBrowser)
	return bctx, dir
}

// New starts chromium at the phone viewport (Launch, bounded at four
// minutes). Screenshots go to a temporary directory and, when
// CAIRN_PAGES_SHOTS names a directory, there too. more adds chromium
// flags (see Launch).
func New(t *testing.T, more ...chromedp.ExecAllocatorOption) *Browser {
	t.Helper()
	bctx, dir := Launch(t, Width, Height, 4*time.Minute, more...)
	b := &Browser{t: t, Ctx: bctx, dir: dir, shots: os.Getenv("CAIRN_PAGES_SHOTS"), Sizes: map[string]int{}}
	if err := chromedp.Do(bctx, chromedp.EmulateViewport(Width, Height, chromedp.EmulateMobile, chromedp.EmulateTouch)); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return b
}

// Tab returns a Browser driving another tab (ctx from
// chromedp.NewContext(b.Ctx)), sharing the screenshots and sizes.
func (b *Browser) Tab(ctx context.Context) *Browser {
	b.t.Helper()
	tab := &Browser{t: b.t, Ctx: ctx, dir: b.dir, shots: b.shots, Sizes: b.Sizes}
	// the first action on a tab creates it: no timeout of its own, or
	// the tab would close with it
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(Width, Height, chromedp.EmulateMobile, chromedp.EmulateTouch)); err != nil {
		b.t.Fatalf("opening a tab: %v", err)
	}
	return tab
}

// Do runs actions, failing the test on an error (or after 30 seconds,
// a bound on a hung step, not an assertion about speed).
func (b *Browser) Do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	for i, a := range actions {
		ctx, cancel := context.WithTimeout(b.Ctx, 30*time.Second)
		err := chromedp.Do(ctx, a)
		cancel()
		if err != nil {
			text, _ := chromedp.Run(b.Ctx, chromedp.Evaluate[string](`location.href + "\n" + document.body.innerText`))
			b.t.Fatalf("%s (step %d): %v; the page shows:\n%s", what, i+1, err, text)
		}
	}
}

// Eval evaluates a JavaScript expression returning a string.
func (b *Browser) Eval(expr string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.Ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		b.t.Fatalf("evaluating %.60q: %v", expr, err)
	}
	return v
}

// Visit loads url and waits for its main element.
func (b *Browser) Visit(url string) {
	b.t.Helper()
	b.Do("loading "+url, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("main")))
}

// Report is what the audit found on one page.
type Report struct {
	Problems     []string `json:"problems"`
	Checked      int      `json:"checked"`
	MinContrast  float64  `json:"min"`
	Lang         string   `json:"lang"`
	Dir          string   `json:"dir"`
	ComputedDir  string   `json:"computedDir"`
	Bytes        int      `json:"bytes"`
	Requests     int      `json:"requests"`
	InlineRan    bool     `json:"inlineRan"`
	CSPViolation bool     `json:"cspViolation"`
}

// Audit checks the page now shown, fails the test on any problem, saves
// a screenshot as name.png and returns the report.
func (b *Browser) Audit(name, wantLang, wantDir string) Report {
	b.t.Helper()
	var r Report
	if err := json.Unmarshal([]byte(b.Eval(auditJS)), &r); err != nil {
		b.t.Fatalf("%s: audit: %v", name, err)
	}
	// inline script must not run: the CSP refuses it (and reports it)
	b.Eval(`(() => { window.__cspViolation = false; document.addEventListener("securitypolicyviolation", () => { window.__cspViolation = true; });
		window.__inlineRan = false; const s = document.createElement("script"); s.textContent = "window.__inlineRan = true"; document.body.appendChild(s); return ""; })()`)
	b.Do(name+": waiting for the CSP report", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Poll[bool](`window.__cspViolation === true`, chromedp.WithPollingTimeout(5*time.Second))(ctx, t)
		return err
	}))
	var inline map[string]bool
	if err := json.Unmarshal([]byte(b.Eval(`JSON.stringify({ran: window.__inlineRan, v: window.__cspViolation})`)), &inline); err != nil {
		b.t.Fatal(err)
	}
	r.InlineRan, r.CSPViolation = inline["ran"], inline["v"]
	for _, p := range r.Problems {
		b.t.Errorf("%s: %s", name, p)
	}
	if r.Lang != wantLang || r.Dir != wantDir || r.ComputedDir != wantDir {
		b.t.Errorf("%s: lang %q dir %q (computed %q); want %s %s", name, r.Lang, r.Dir, r.ComputedDir, wantLang, wantDir)
	}
	if r.InlineRan || !r.CSPViolation {
		b.t.Errorf("%s: an inline script ran (%v) or the CSP did not refuse it (%v)", name, r.InlineRan, r.CSPViolation)
	}
	if r.Checked == 0 {
		b.t.Errorf("%s: no text checked for contrast", name)
	}
	if r.Bytes > MaxPageBytes || r.Bytes == 0 {
		b.t.Errorf("%s: %d bytes loaded, budget %d", name, r.Bytes, MaxPageBytes)
	}
	b.Sizes[name] = r.Bytes
	b.t.Logf("%s: %d bytes in %d requests; %d texts, lowest contrast %.2f:1", name, r.Bytes, r.Requests, r.Checked, r.MinContrast)
	b.Shot(name)
	return r
}

// Shot saves a full-page screenshot as name.png.
func (b *Browser) Shot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.Ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("%s: screenshot: %v", name, err)
	}
	if len(png) < 8 || string(png[1:4]) != "PNG" {
		b.t.Fatalf("%s: the screenshot is not a PNG", name)
	}
	file := name + ".png"
	if err := os.WriteFile(filepath.Join(b.dir, file), png, 0o600); err != nil {
		b.t.Fatal(err)
	}
	if b.shots != "" {
		if err := os.MkdirAll(b.shots, 0o755); err == nil {
			_ = os.WriteFile(filepath.Join(b.shots, file), png, 0o644)
		}
	}
	b.t.Logf("screenshot %s", filepath.Join(b.dir, file))
}

// Text is the page's visible text.
func (b *Browser) Text() string { return b.Eval(`document.body.innerText`) }

// Contains fails the test unless the visible text has every one of want.
func (b *Browser) Contains(name string, want ...string) {
	b.t.Helper()
	text := b.Text()
	for _, w := range want {
		if !strings.Contains(text, w) {
			b.t.Errorf("%s: no %q in the page", name, w)
		}
	}
}

// auditJS runs in the page and returns the Report's JSON (but the CSP check).
const auditJS = `(() => {
  const problems = [];
  const html = document.documentElement;
  const visible = (el) => {
    if (el.closest("[hidden]") || el.closest("details:not([open]) > :not(summary)")) return false;
    const cs = getComputedStyle(el);
    if (cs.visibility === "hidden" || cs.display === "none") return false;
    const r = el.getBoundingClientRect();
    return r.width > 1 && r.height > 1;
  };
  const short = (el) => el.outerHTML.slice(0, 100);
  document.querySelectorAll("input, select, textarea").forEach((el) => {
    if (el.type === "hidden") return;
    const named = (el.labels && el.labels.length > 0 && Array.from(el.labels).some((l) => l.textContent.trim())) ||
      (el.getAttribute("aria-label") || "").trim() || el.getAttribute("aria-labelledby");
    if (!named) problems.push("control without a label: " + short(el));
  });
  document.querySelectorAll("button, a[href], summary").forEach((el) => {
    if (!el.textContent.trim() && !(el.getAttribute("aria-label") || "").trim() && !el.querySelector("img[alt]:not([alt=''])")) problems.push("no accessible name: " + short(el));
  });
  document.querySelectorAll("img").forEach((el) => { if (!el.hasAttribute("alt")) problems.push("image without alt: " + short(el)); });
  const ids = {};
  document.querySelectorAll("[id]").forEach((el) => { if (ids[el.id]) problems.push("duplicate id " + el.id); ids[el.id] = true; });
  if (document.querySelectorAll("main").length !== 1) problems.push("not exactly one main");
  if (Array.from(document.querySelectorAll("h1")).filter(visible).length !== 1) problems.push("not exactly one visible h1");
  const parse = (c) => { const m = c.match(/rgba?\(([^)]+)\)/); if (!m) return null; const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number); return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 }; };
  const lin = (v) => { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  const lum = (c) => 0.2126 * lin(c.r) + 0.7152 * lin(c.g) + 0.0722 * lin(c.b);
  const background = (el) => { for (let e = el; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor); if (c && c.a > 0) return c; } return { r: 255, g: 255, b: 255, a: 1 }; };
  let checked = 0, min = 21;
  const seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.textContent.trim()) continue;
    const el = node.parentElement;
    if (!el || seen.has(el)) continue;
    seen.add(el);
    if (!visible(el) || el.closest(".sr")) continue;
    const fg = parse(getComputedStyle(el).color), bg = background(el);
    if (!fg) continue;
    const a = lum(fg), b = lum(bg);
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    checked++;
    if (ratio < min) min = ratio;
    if (ratio < 4.5) problems.push("contrast " + ratio.toFixed(2) + ":1 of " + el.tagName.toLowerCase() + " '" + node.textContent.trim().slice(0, 40) + "'");
  }
  if (html.scrollWidth > window.innerWidth + 1) problems.push("scrolls sideways: " + html.scrollWidth + " px wide at " + window.innerWidth);
  document.querySelectorAll("button, .button, nav a, select, input[type=text], input[type=date], input[type=password], input:not([type]), .check").forEach((el) => {
    if (!visible(el)) return;
    const r = el.getBoundingClientRect();
    if (r.height < 44 || r.width < 44) problems.push("touch target " + Math.round(r.width) + "x" + Math.round(r.height) + ": " + short(el));
  });
  let bytes = 0, requests = 0;
  const nav = performance.getEntriesByType("navigation")[0];
  if (nav) { bytes += nav.encodedBodySize; requests++; }
  performance.getEntriesByType("resource").forEach((e) => { bytes += e.encodedBodySize; requests++; });
  return JSON.stringify({ problems, checked, min, lang: html.lang, dir: html.dir, computedDir: getComputedStyle(html).direction, bytes, requests });
})()`

// FakeCamera is the chromium flags that give pages a camera showing the
// video in file (a Y4M or MJPEG file, such as Y4M writes) and grant it
// without asking.
func FakeCamera(file string) []chromedp.ExecAllocatorOption {
	return []chromedp.ExecAllocatorOption{
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-file-for-fake-video-capture", file),
	}
}

// Y4M writes img as an uncompressed YUV4MPEG2 video of frames identical
// frames (4:2:0, grey: the luma of each pixel, neutral chroma), width and
// height rounded down to even, for FakeCamera.
func Y4M(w io.Writer, img image.Image, frames int) error {
	b := img.Bounds()
	wd, ht := b.Dx()&^1, b.Dy()&^1
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "YUV4MPEG2 W%d H%d F10:1 Ip A1:1 C420jpeg\n", wd, ht)
	luma := make([]byte, wd*ht)
	for y := 0; y < ht; y++ {
		for x := 0; x < wd; x++ {
			luma[y*wd+x] = color.GrayModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.Gray).Y
		}
	}
	chroma := bytes.Repeat([]byte{128}, (wd/2)*(ht/2))
	for i := 0; i < frames; i++ {
		bw.WriteString("FRAME\n")
		bw.Write(luma)
		bw.Write(chroma)
		bw.Write(chroma)
	}
	return bw.Flush()
}

// CameraFrame is a w by h white picture with the image in pngData (a QR
// code) scaled up, nearest neighbour, to fill about two thirds of its
// height, centred: what a camera held before a code would see.
func CameraFrame(pngData []byte, w, h int) (image.Image, error) {
	src, err := png.Decode(bytes.NewReader(pngData))
	if err != nil {
		return nil, err
	}
	sb := src.Bounds()
	out := image.NewGray(image.Rect(0, 0, w, h))
	for i := range out.Pix {
		out.Pix[i] = 255
	}
	k := max(1, (h*2/3)/max(sb.Dx(), sb.Dy()))
	ox, oy := (w-sb.Dx()*k)/2, (h-sb.Dy()*k)/2
	for y := 0; y < sb.Dy()*k; y++ {
		for x := 0; x < sb.Dx()*k; x++ {
			if px, py := ox+x, oy+y; px >= 0 && py >= 0 && px < w && py < h {
				out.SetGray(px, py, color.GrayModel.Convert(src.At(sb.Min.X+x/k, sb.Min.Y+y/k)).(color.Gray))
			}
		}
	}
	return out, nil
}

// CameraVideo writes, in a temporary directory, a 640 by 480 Y4M video
// of a few frames showing the QR code in pngData (CameraFrame), and
// returns its path for FakeCamera.
func CameraVideo(t *testing.T, pngData []byte) string {
	t.Helper()
	frame, err := CameraFrame(pngData, 640, 480)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Y4M(&buf, frame, 5); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "camera.y4m")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
