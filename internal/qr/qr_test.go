package qr

import (
	"bytes"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"
)

// offerURI is a credential offer by reference, the size the issuer prints.
func offerURI(n int) string {
	const prefix = "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fissuer.ngo.example%2Fcredential-offer%2F"
	var b strings.Builder
	b.WriteString(prefix)
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := 0; b.Len() < n; i++ {
		b.WriteByte(alphabet[(i*7+3)%len(alphabet)])
	}
	return b.String()
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	long := offerURI(300)
	if len(long) != 300 {
		t.Fatalf("test URI is %d bytes", len(long))
	}
	cases := []struct {
		name  string
		text  string
		level Level
	}{
		{"short", "hello", LevelMedium},
		{"offer ~300 chars", long, LevelMedium},
		{"offer low", long, LevelLow},
		{"offer quartile", long, LevelQuartile},
		{"offer high", long, LevelHigh},
		{"arabic", "أمينة يوسف — تسجيل", LevelMedium},
		{"cyrillic", "Олена Коваленко, Київ", LevelMedium},
		{"emoji and CJK", "🪨 cairn 石塚", LevelMedium},
		// gozxing's detector cannot read this valid code; Decode falls back.
		{"detector regression", "opial_offer_uri=hZtBx", LevelMedium},
		{"max-ish", strings.Repeat("a", 1200), LevelMedium},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := Encode(tc.text, tc.level)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := png.DecodeConfig(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Width < MinImageSize || cfg.Height != cfg.Width {
				t.Errorf("image %d×%d, want square ≥ %d", cfg.Width, cfg.Height, MinImageSize)
			}
			checkQuietZone(t, b)
			got, err := Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.text {
				t.Errorf("decoded %q, want %q", got, tc.text)
			}
		})
	}
}

// checkQuietZone asserts the outer QuietZone modules of the image are white.
func checkQuietZone(t *testing.T, b []byte) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	side := img.Bounds().Dx()
	// At least QuietZone modules of at least one pixel each; find the
	// module size from the first dark pixel on the diagonal (the finder
	// pattern's corner sits right after the quiet zone).
	first := -1
	for i := 0; i < side; i++ {
		if dark(img.At(i, i)) {
			first = i
			break
		}
	}
	if first < 0 {
		t.Fatal("no dark pixel on the diagonal")
	}
	for y := 0; y < first; y++ {
		for x := 0; x < side; x++ {
			if dark(img.At(x, y)) || dark(img.At(y, x)) {
				t.Fatalf("dark pixel at (%d,%d) inside the quiet zone", x, y)
			}
		}
	}
	// The quiet zone is QuietZone modules; the finder's outer ring is one
	// module, so 7 modules of finder follow it. Module size = first/QuietZone.
	if first%QuietZone != 0 || first == 0 {
		t.Errorf("quiet zone of %d px is not %d whole modules", first, QuietZone)
	}
}

func dark(c color.Color) bool {
	r, g, b, _ := c.RGBA()
	return r+g+b < 3*0x8000
}

func TestEncodeErrors(t *testing.T) {
	if _, err := Encode(strings.Repeat("x", MaxTextLen+1), LevelMedium); !errors.Is(err, ErrTooLong) {
		t.Errorf("over MaxTextLen: %v, want ErrTooLong", err)
	}
	// Fits the byte limit but not a version 40 code at level H.
	if _, err := Encode(strings.Repeat("x", 2000), LevelHigh); !errors.Is(err, ErrTooLong) {
		t.Errorf("2000 bytes at H: %v, want ErrTooLong", err)
	}
	if _, err := Encode("caf\xe9", LevelMedium); !errors.Is(err, ErrNotUTF8) {
		t.Errorf("Latin-1 bytes: %v, want ErrNotUTF8", err)
	}
	if _, err := Encode("x", Level(42)); !errors.Is(err, ErrLevel) {
		t.Errorf("bad level: %v, want ErrLevel", err)
	}
}

func pngOf(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// pngHeader is a PNG signature and IHDR chunk claiming w×h, without pixels.
func pngHeader(w, h int) []byte {
	img := pngOfImage(image.NewGray(image.Rect(0, 0, 1, 1)))
	// IHDR data starts at byte 16: width, height big-endian.
	b := append([]byte(nil), img...)
	put := func(off, v int) {
		b[off], b[off+1], b[off+2], b[off+3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
	}
	put(16, w)
	put(20, h)
	// IHDR: length(8..12) type(12..16) data(16..29) crc(29..33).
	put(29, int(crc32.ChecksumIEEE(b[12:29])))
	return b
}

func pngOfImage(img image.Image) []byte {
	var buf bytes.Buffer
	_ = png.Encode(&buf, img)
	return buf.Bytes()
}

func TestDecodeRejects(t *testing.T) {
	blank := image.NewGray(image.Rect(0, 0, 300, 300))
	for i := range blank.Pix {
		blank.Pix[i] = 0xff
	}
	cases := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrNotPNG},
		{"text", []byte("openid-credential-offer://x"), ErrNotPNG},
		{"jpeg magic", []byte{0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 'J', 'F', 'I', 'F'}, ErrNotPNG},
		{"oversized file", make([]byte, MaxPNGSize+1), ErrImageTooLarge},
		{"header claims 100000×100000", pngHeader(100000, 100000), ErrImageTooLarge},
		{"header claims 4097 wide", pngHeader(MaxImageSide+1, 10), ErrImageTooLarge},
		{"header claims 4000×4000 (too many pixels)", pngHeader(4000, 4000), ErrImageTooLarge},
		{"truncated", pngOf(t, blank)[:60], ErrNotPNG},
		{"blank image", pngOf(t, blank), ErrNoCode},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Decode(tc.in)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Decode = %q, %v; want %v", got, err, tc.want)
			}
		})
	}
}

// parseTerminal turns Terminal's output back into a module matrix: dark
// is what the code shows dark once displayed (colours on: the foreground).
func parseTerminal(t *testing.T, out string, o TerminalOptions) (modules [][]bool, hint string) {
	t.Helper()
	lines := strings.Split(out, "\n")
	var rows []string
	i := 0
	for ; i < len(lines); i++ {
		l := lines[i]
		if !o.Plain {
			if !strings.HasPrefix(l, ansiDarkOnLight) {
				break
			}
			if !strings.HasSuffix(l, ansiReset) {
				t.Fatalf("line %d lacks the colour reset", i)
			}
			l = strings.TrimSuffix(strings.TrimPrefix(l, ansiDarkOnLight), ansiReset)
		} else if l == "" || strings.HasPrefix(l, "If the code") {
			break
		}
		rows = append(rows, l)
	}
	hint = strings.Join(lines[i:], "\n")
	inverted := o.Plain && o.Invert
	for _, r := range rows {
		var top, bottom []bool
		for _, c := range r {
			var a, b bool
			switch c {
			case blockFull:
				a, b = true, true
			case blockUpper:
				a = true
			case blockLower:
				b = true
			case blockNone:
			default:
				t.Fatalf("unexpected rune %q", c)
			}
			top = append(top, a != inverted)
			bottom = append(bottom, b != inverted)
		}
		modules = append(modules, top, bottom)
	}
	return modules, hint
}

func TestTerminalMatchesBitmap(t *testing.T) {
	texts := []string{"hi", offerURI(300), "Олена — أمينة"}
	opts := []TerminalOptions{{}, {Plain: true}, {Plain: true, Invert: true}, {Level: LevelHigh}}
	for _, text := range texts {
		for _, o := range opts {
			var buf bytes.Buffer
			if err := TerminalWith(&buf, text, o); err != nil {
				t.Fatal(err)
			}
			got, hint := parseTerminal(t, buf.String(), o)
			want, err := Modules(text, o.Level)
			if err != nil {
				t.Fatal(err)
			}
			// The rendering pads an odd last row with a light row.
			if len(got) != len(want)+len(want)%2 {
				t.Fatalf("%+v: %d module rows, want %d", o, len(got), len(want))
			}
			for y := range want {
				if len(got[y]) != len(want[y]) {
					t.Fatalf("%+v: row %d has %d modules, want %d", o, y, len(got[y]), len(want[y]))
				}
				for x := range want[y] {
					if got[y][x] != want[y][x] {
						t.Fatalf("%+v: module (%d,%d) = %v, want %v", o, x, y, got[y][x], want[y][x])
					}
				}
			}
			for y := len(want); y < len(got); y++ {
				for x, d := range got[y] {
					if d {
						t.Fatalf("%+v: padding module (%d,%d) is dark", o, x, y)
					}
				}
			}
			// Quiet zone: the first and last QuietZone rows and columns are light.
			for y := range want {
				for x := range want[y] {
					inZone := y < QuietZone || x < QuietZone || y >= len(want)-QuietZone || x >= len(want)-QuietZone
					if inZone && got[y][x] {
						t.Fatalf("%+v: dark module (%d,%d) in the quiet zone", o, x, y)
					}
				}
			}
			if !strings.Contains(hint, text) {
				t.Errorf("%+v: hint %q lacks the text", o, hint)
			}
			// And the parsed matrix, drawn as an image, decodes to the text.
			if dec, err := Decode(pngOf(t, matrixImage(got, 4))); err != nil || dec != text {
				t.Errorf("%+v: terminal matrix decodes to %q, %v", o, dec, err)
			}
		}
	}
}

func TestTerminalNoHint(t *testing.T) {
	var buf bytes.Buffer
	if err := TerminalWith(&buf, "secret-ish", TerminalOptions{NoHint: true}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "secret-ish") {
		t.Error("NoHint output contains the text")
	}
	if err := Terminal(&buf, strings.Repeat("x", MaxTextLen+1)); !errors.Is(err, ErrTooLong) {
		t.Errorf("too long: %v", err)
	}
}

func matrixImage(m [][]bool, scale int) image.Image {
	img := image.NewGray(image.Rect(0, 0, len(m[0])*scale, len(m)*scale))
	for y := range img.Bounds().Dy() {
		for x := range img.Bounds().Dx() {
			v := uint8(0xff)
			if m[y/scale][x/scale] {
				v = 0
			}
			img.SetGray(x, y, color.Gray{Y: v})
		}
	}
	return img
}
