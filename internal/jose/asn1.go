package jose

import (
	"fmt"
	"math/big"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// unmarshalECDSASig parses the ASN.1 SEQUENCE{r, s} that crypto.Signer
// implementations return for ECDSA.
func unmarshalECDSASig(der []byte, r, s **big.Int) error {
	var inner cryptobyte.String
	in := cryptobyte.String(der)
	*r, *s = new(big.Int), new(big.Int)
	if !in.ReadASN1(&inner, asn1.SEQUENCE) || !in.Empty() ||
		!inner.ReadASN1Integer(*r) || !inner.ReadASN1Integer(*s) || !inner.Empty() {
		return fmt.Errorf("jose: signer returned a malformed ECDSA signature")
	}
	return nil
}
