package batch

import (
	"bytes"
	"context"
	"path/filepath"
	"strconv"
	"testing"
)

// BenchmarkRun500 measures a 500-row drive with the in-memory creator:
// QR encoding and read-back dominate.
func BenchmarkRun500(b *testing.B) {
	cat := catalogue(b)
	drive := genDrive(500)
	rows, err := ReadCSV(bytes.NewReader(encodeDrive(drive)), cat, ReadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	b.ReportAllocs()
	offers, n := 0, 0
	for b.Loop() {
		n++
		sum, err := Run(context.Background(), rows, newFakeCreator(), Options{OutDir: filepath.Join(dir, strconv.Itoa(n)), Catalogue: cat})
		if err != nil {
			b.Fatal(err)
		}
		offers += sum.Offered
	}
	b.ReportMetric(float64(offers)/b.Elapsed().Seconds(), "offers/s")
}

// BenchmarkReadCSV500 measures reading and typing a 500-row drive.
func BenchmarkReadCSV500(b *testing.B) {
	cat := catalogue(b)
	data := encodeDrive(genDrive(500))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadCSV(bytes.NewReader(data), cat, ReadOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
