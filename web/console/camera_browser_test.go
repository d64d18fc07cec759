package console

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/cairn-id/cairn/internal/browsertest"
	"github.com/cairn-id/cairn/internal/qr"
)

// cameraAPI answers the console's offline check like the verifier's
// console API does as far as the camera is concerned: it decodes the
// posted frame (qr.Decode, as the verifier does), answers qr_unreadable
// until a frame holds a code, then a valid result carrying the code's
// text as a claim.
type cameraAPI struct{ frames, decoded atomic.Int32 }

func (c *cameraAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Path != "/console/check" {
		io.WriteString(w, `[]`)
		return
	}
	c.frames.Add(1)
	b, _ := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	text, err := qr.Decode(b)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"code":"qr_unreadable","message":"No readable QR code was found in the image."}`)
		return
	}
	c.decoded.Add(1)
	io.WriteString(w, `{"outcome":"valid","code":"valid","message":"ok","verified_at":"2026-05-01T10:00:00Z","dropped_claims":0,"credentials":[{"query_id":"q","index":0,"code":"valid","outcome":"valid","vct":"urn:cairn:vct:identity-attestation:1","claims":{"family_name":"`+text+`"}}]}`)
}

// TestConsoleCameraScan: the console's offline check reads a proximity
// code through chromium's fake camera. This chromium has no
// BarcodeDetector, so the page sends frames to the check endpoint until
// one decodes.
func TestConsoleCameraScan(t *testing.T) {
	png, err := qr.Encode("Haddad-K7P2", qr.LevelMedium)
	if err != nil {
		t.Fatal(err)
	}
	video := browsertest.CameraVideo(t, png)
	api := &cameraAPI{}
	h, _, _ := site(t, api)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	b := browsertest.New(t, browsertest.FakeCamera(video)...)
	b.Visit(srv.URL + "/caseworker/")
	b.Do("scanning a proximity code",
		chromedp.WaitVisible(chromedp.ID("o-camera-start")),
		chromedp.Click(chromedp.ID("o-camera-start")),
		chromedp.WaitVisible(chromedp.ID("c-result")),
	)
	if txt := b.Text(); !strings.Contains(txt, "Haddad-K7P2") {
		t.Errorf("the result does not show the scanned code's claim:\n%s", txt)
	}
	if api.decoded.Load() != 1 {
		t.Errorf("%d frames decoded, want exactly 1 (then the camera stops)", api.decoded.Load())
	}
	t.Logf("BarcodeDetector: %s; frames sent: %d", b.Eval(`String("BarcodeDetector" in window)`), api.frames.Load())
}
