package did_test

import (
	"context"
	"fmt"

	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/jose"
)

func ExampleFromJWK() {
	k, _ := jose.ParseJWK([]byte(`{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"ignored"}`))
	fmt.Println(did.FromJWK(k))
	// Output: did:jwk:eyJjcnYiOiJFZDI1NTE5Iiwia3R5IjoiT0tQIiwieCI6IjExcVlBWUt4Q3JmVlNfN1R5V1FIT2c3aGN2UGFwaU1scndJYWFQY0hVUm8ifQ
}

func ExampleKeyDID() {
	k, _ := jose.ParseJWK([]byte(`{"kty":"EC","crv":"P-256","x":"igrFmi0whuihKnj9R3Om1SoMph72wUGeFaBbzG2vzns","y":"efsX5b10x8yjyrj4ny3pGfLcY7Xby1KzgqOdqnsrJIM"}`))
	pub, _ := k.PublicKey()
	d, _ := did.KeyDID(pub)
	fmt.Println(d)
	// Output: did:key:zDnaerx9CtbPJ1q36T5Ln5wYt3MQYeGRG5ehnPAmxcf5mDZpv
}

func ExampleResolver_ResolveKey() {
	var r did.Resolver // did:jwk and did:key need no network
	k, err := r.ResolveKey(context.Background(), "did:key:zDnaerx9CtbPJ1q36T5Ln5wYt3MQYeGRG5ehnPAmxcf5mDZpv")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(k.Kty, k.Crv, k.X)
	// Output: EC P-256 igrFmi0whuihKnj9R3Om1SoMph72wUGeFaBbzG2vzns
}

func ExampleParseDIDURL() {
	d, frag, _ := did.ParseDIDURL("did:web:example.com%3A8443:org:clinic#key-1")
	fmt.Println(d)
	fmt.Println(frag)
	// Output:
	// did:web:example.com%3A8443:org:clinic
	// key-1
}

func ExampleWebURL() {
	u, _ := did.WebURL("did:web:example.com%3A8443:org:clinic")
	fmt.Println(u)
	// Output: https://example.com:8443/org/clinic/did.json
}
