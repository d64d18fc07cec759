package keys_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
)

func Example() {
	dir, _ := os.MkdirTemp("", "cairn-keys-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "holder.jwk")

	k, _ := keys.Generate(jose.ES256, nil)
	if err := keys.Save(path, k); err != nil {
		fmt.Println(err)
		return
	}
	loaded, _ := keys.Load(path)
	fmt.Println(loaded.DIDJWK() == k.DIDJWK(), loaded.Alg())

	err := keys.Save(path, k)
	fmt.Println(err != nil)
	// Output:
	// true ES256
	// true
}

func ExampleParsePrivateJWK() {
	k, err := keys.ParsePrivateJWK([]byte(`{"kty":"OKP","crv":"Ed25519",
		"d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",
		"x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(k.Alg(), k.PublicJWK().Thumbprint())
	// Output: EdDSA kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k
}
