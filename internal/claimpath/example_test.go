package claimpath_test

import (
	"fmt"

	"github.com/cairn-id/cairn/internal/claimpath"
)

func ExampleFromPath() {
	fmt.Println(claimpath.FromPath([]any{"address", "street/no", nil, 0}))
	// Output: /address/street~1no/*/0
}

func ExamplePresent() {
	claims := map[string]any{"nationalities": []any{}, "name": "A"}
	for _, p := range []string{"/name", "/nationalities", "/nationalities/*"} {
		toks, _ := claimpath.Split(p)
		fmt.Println(p, claimpath.Present(claims, toks))
	}
	// Output:
	// /name true
	// /nationalities true
	// /nationalities/* false
}
