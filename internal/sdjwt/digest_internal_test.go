package sdjwt

import (
	"crypto/sha256"
	"strings"
	"testing"

	"github.com/cairn-id/cairn/internal/jose"
)

func TestDigestOf(t *testing.T) {
	for _, n := range []int{0, 1, 511, 512, 513, 4000} {
		s := strings.Repeat("WyJzYWx0IiwiYSIsMV0~", n/20+1)[:n]
		sum := sha256.Sum256([]byte(s))
		if got, want := digestOf(s), jose.B64.EncodeToString(sum[:]); got != want {
			t.Fatalf("digestOf(%d bytes) = %s, want %s", n, got, want)
		}
	}
}
