package qr

import "testing"

func BenchmarkEncodeOffer(b *testing.B) {
	text := offerURI(300)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Encode(text, LevelMedium); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeOffer(b *testing.B) {
	png, err := Encode(offerURI(300), LevelMedium)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(png); err != nil {
			b.Fatal(err)
		}
	}
}
