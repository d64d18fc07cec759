package fsx

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// BenchmarkWriteNew measures WriteNew (temporary file, fsync, hard link,
// directory fsync) against the baseline it replaced in cmd/cairn and
// issuer/batch: one O_EXCL open and write, no sync. Compare the two in the
// same run; the ratio is the price of crash safety per file (a batch
// writes one QR PNG per row).
func BenchmarkWriteNew(b *testing.B) {
	data := make([]byte, 2048) // about one offer QR PNG
	b.Run("fsx.WriteNew", func(b *testing.B) {
		dir := b.TempDir()
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if err := WriteNew(filepath.Join(dir, strconv.Itoa(i)), data, 0o600); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("baseline-O_EXCL", func(b *testing.B) {
		dir := b.TempDir()
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			f, err := os.OpenFile(filepath.Join(dir, strconv.Itoa(i)), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := f.Write(data); err != nil {
				b.Fatal(err)
			}
			if err := f.Close(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
