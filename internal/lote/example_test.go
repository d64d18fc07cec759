package lote_test

import (
	"fmt"
	"os"
	"time"

	"github.com/cairn-id/cairn/internal/lote"
	"github.com/cairn-id/cairn/internal/trust"
)

// The EUDI reference PID Providers list names no service types: the
// Annex D profile finds no anchor in it unless lenient.
func ExampleCheckPIDProfile() {
	b, err := os.ReadFile("../../testdata/eudi/trust-lists/lote-pid-providers-eudi-ref-2026-03-16.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	l, err := lote.Parse(b)
	if err != nil {
		fmt.Println(err)
		return
	}
	now := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	_, err = lote.CheckPIDProfile(l, lote.ProfileOptions{Now: now})
	fmt.Println("strict:", err != nil)
	r, _ := lote.CheckPIDProfile(l, lote.ProfileOptions{Now: now, Lenient: true})
	fmt.Println("lenient:", r.AnchorCount(trust.AnchorPID), "anchors, flagged", r.Entities[0].Anchors[0].Flags)
	// Output:
	// strict: true
	// lenient: 7 anchors, flagged [service_type_missing]
}
