package vccheck_test

import (
	"fmt"

	"github.com/cairn-id/cairn/internal/vccheck"
)

func ExampleClassify() {
	// A revoked credential, as Verify reports it.
	err := fmt.Errorf("%w: list https://issuer.example/sl/1", vccheck.ErrRevoked)
	fmt.Println(vccheck.Classify(err))
	fmt.Println(vccheck.Classify(nil) == vccheck.CodeValid)
	// Output:
	// revoked
	// true
}
