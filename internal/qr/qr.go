// Package qr owns Cairn's QR codes: PNG images for paper and screens,
// compact Unicode renderings for terminals, and decoding of uploaded PNG
// images. It carries the OpenID4VCI credential offer URIs
// (openid-credential-offer://, OpenID4VCI 1.0 §4.1.3) and the OpenID4VP
// request URIs (openid4vp://, OpenID4VP 1.0 §5) of DESIGN.md §1, but knows
// nothing about them: it encodes and decodes text.
//
// Encoding uses github.com/skip2/go-qrcode (byte mode, so UTF-8 text is
// kept as is); decoding uses github.com/makiuchi-d/gozxing with the
// character set fixed to UTF-8. Decode bounds the file size and checks the
// image dimensions from the PNG header before decoding any pixel, so a
// small file that claims a huge image is refused cheaply.
package qr

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/png"
	"unicode/utf8"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
	qrcode "github.com/skip2/go-qrcode"
)

// Limits.
const (
	// MaxTextLen bounds the text Encode accepts, in bytes. A version 40 QR
	// code at medium error correction holds 2,331 bytes; offers by
	// reference are about 300.
	MaxTextLen = 2331
	// MinImageSize is the smallest side of the PNG Encode writes, in
	// pixels: enough for a cheap phone camera to read it off paper.
	MinImageSize = 256
	// QuietZone is the light border around every code, in modules (ISO/IEC
	// 18004 asks for four).
	QuietZone = 4
	// MaxPNGSize bounds the PNG files Decode accepts, in bytes.
	MaxPNGSize = 4 << 20
	// MaxImageSide bounds the width and height of the images Decode
	// accepts, in pixels (a phone photo scaled for upload fits).
	MaxImageSide = 4096
	// MaxImagePixels bounds width×height for Decode.
	MaxImagePixels = 12_000_000
)

// Level is an error correction level. The zero value is LevelMedium, the
// default: it survives a crease or a smudge on a printed sheet without
// making the code much denser.
type Level int

// Error correction levels (ISO/IEC 18004 §6.5.1: about 7, 15, 25 and 30%
// of the codewords may be restored).
const (
	LevelMedium Level = iota
	LevelLow
	LevelQuartile
	LevelHigh
)

// Sentinel errors.
var (
	// ErrTooLong: the text does not fit in a QR code (or exceeds MaxTextLen).
	ErrTooLong = errors.New("qr: text too long for a QR code")
	// ErrImageTooLarge: the PNG file or its dimensions exceed the limits.
	ErrImageTooLarge = errors.New("qr: image too large")
	// ErrNotPNG: the input is not a PNG image.
	ErrNotPNG = errors.New("qr: not a PNG image")
	// ErrNoCode: no readable QR code was found in the image.
	ErrNoCode = errors.New("qr: no QR code found")
	// ErrNotUTF8: the text to encode is not valid UTF-8 (a decoder could
	// not return it unchanged).
	ErrNotUTF8 = errors.New("qr: text is not valid UTF-8")
	// ErrLevel: an unknown error correction level.
	ErrLevel = errors.New("qr: unknown error correction level")
)

func (l Level) recovery() (qrcode.RecoveryLevel, error) {
	switch l {
	case LevelLow:
		return qrcode.Low, nil
	case LevelMedium:
		return qrcode.Medium, nil
	case LevelQuartile:
		return qrcode.High, nil // go-qrcode calls Q "High"
	case LevelHigh:
		return qrcode.Highest, nil
	}
	return 0, fmt.Errorf("%w: %d", ErrLevel, int(l))
}

// newCode builds the symbol for text, quiet zone included.
func newCode(text string, level Level) (*qrcode.QRCode, error) {
	if len(text) > MaxTextLen {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLong, len(text), MaxTextLen)
	}
	if !utf8.ValidString(text) {
		return nil, ErrNotUTF8
	}
	rl, err := level.recovery()
	if err != nil {
		return nil, err
	}
	code, err := qrcode.New(text, rl)
	if err != nil {
		// go-qrcode's only failure for valid levels is content too long.
		return nil, fmt.Errorf("%w: %v", ErrTooLong, err)
	}
	return code, nil
}

// Modules returns the module matrix of text's QR code, quiet zone
// included: modules[y][x] is true for a dark module. Tests and renderers
// other than PNG and terminal use it.
func Modules(text string, level Level) ([][]bool, error) {
	code, err := newCode(text, level)
	if err != nil {
		return nil, err
	}
	return code.Bitmap(), nil
}

// Encode returns text as a PNG QR code: black on white, with the quiet
// zone, a whole number of pixels per module and at least MinImageSize
// pixels a side.
func Encode(text string, level Level) ([]byte, error) {
	code, err := newCode(text, level)
	if err != nil {
		return nil, err
	}
	side := len(code.Bitmap()) // modules, quiet zone included
	perModule := (MinImageSize + side - 1) / side
	b, err := code.PNG(-perModule)
	if err != nil {
		return nil, fmt.Errorf("qr: encoding PNG: %w", err)
	}
	return b, nil
}

// Decode reads the QR code in a PNG image and returns its text. It refuses
// files over MaxPNGSize and images whose header claims more than
// MaxImageSide a side or MaxImagePixels in all, before decoding pixels.
func Decode(pngData []byte) (string, error) {
	if len(pngData) > MaxPNGSize {
		return "", fmt.Errorf("%w: %d bytes, limit %d", ErrImageTooLarge, len(pngData), MaxPNGSize)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(pngData))
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrNotPNG, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > MaxImageSide || cfg.Height > MaxImageSide ||
		cfg.Width*cfg.Height > MaxImagePixels {
		return "", fmt.Errorf("%w: %d×%d pixels, limit %d a side", ErrImageTooLarge, cfg.Width, cfg.Height, MaxImageSide)
	}
	img, err := png.Decode(bytes.NewReader(pngData))
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrNotPNG, err)
	}
	return decodeImage(img)
}

func decodeImage(img image.Image) (text string, err error) {
	// gozxing indexes slices from header-derived values; a malformed image
	// must not take the process down.
	defer func() {
		if r := recover(); r != nil {
			text, err = "", fmt.Errorf("%w: decoder failure", ErrNoCode)
		}
	}()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrNoCode, err)
	}
	// The finder-pattern detector reads photos; it fails on some valid,
	// perfectly clean symbols (seen with gozxing v0.1.1 on a version 2-M
	// code that matches the zxing encoder's output module for module), so
	// a clean, axis-aligned image gets a second try as a pure barcode.
	reader := zxqr.NewQRCodeReader()
	res, err := reader.Decode(bmp, map[gozxing.DecodeHintType]any{
		gozxing.DecodeHintType_CHARACTER_SET: "UTF-8",
		gozxing.DecodeHintType_TRY_HARDER:    true,
	})
	if err != nil {
		var pureErr error
		res, pureErr = reader.Decode(bmp, map[gozxing.DecodeHintType]any{
			gozxing.DecodeHintType_CHARACTER_SET: "UTF-8",
			gozxing.DecodeHintType_PURE_BARCODE:  true,
		})
		if pureErr != nil {
			return "", fmt.Errorf("%w: %v", ErrNoCode, err)
		}
	}
	return res.GetText(), nil
}
