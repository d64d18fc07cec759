package qr

import (
	"errors"
	"testing"
)

func FuzzDecode(f *testing.F) {
	good, err := Encode(offerURI(120), LevelMedium)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add(pngHeader(100000, 100000))
	f.Add(pngHeader(2, 2))
	f.Add([]byte{})
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		text, err := Decode(data)
		if err != nil {
			if text != "" {
				t.Fatalf("text %q returned with error %v", text, err)
			}
			if !errors.Is(err, ErrNotPNG) && !errors.Is(err, ErrNoCode) && !errors.Is(err, ErrImageTooLarge) {
				t.Fatalf("unexpected error class: %v", err)
			}
		}
	})
}

func FuzzEncodeRoundTrip(f *testing.F) {
	f.Add("openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fx")
	f.Add("Олена")
	f.Add("")
	f.Fuzz(func(t *testing.T, text string) {
		if len(text) > 200 {
			return // keep each iteration fast; long texts are covered by the table test
		}
		b, err := Encode(text, LevelMedium)
		if err != nil {
			return
		}
		got, err := Decode(b)
		if err != nil {
			t.Fatalf("Decode(Encode(%q)): %v", text, err)
		}
		if got != text {
			t.Fatalf("round trip %q -> %q", text, got)
		}
	})
}
