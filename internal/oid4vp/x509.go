package oid4vp

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"slices"

	"github.com/cairn-id/cairn/internal/jose"
)

// X.509 client identifier prefixes (§5.9.3) as HAIP 1.0 §5 uses them: the
// verifier signs its request object with the key of an access certificate
// (x5c header, leaf first, without the trust anchor) and its client id
// names that certificate: x509_hash by the SHA-256 of its DER, x509_san_dns
// by one of its dNSName subject alternative names. Whether the chain ends
// at a trusted access-certificate anchor is the wallet's decision
// (VerifyOptions.X509Chain); this file only binds a client id to a leaf.

// MaxX5C bounds the certificates of an x5c header.
const MaxX5C = 5

// X509HashClientID returns the x509_hash client id of a leaf certificate:
// "x509_hash:" and the base64url (unpadded) SHA-256 of its DER (§5.9.3).
func X509HashClientID(leafDER []byte) string {
	h := sha256.Sum256(leafDER)
	return PrefixX509Hash + ":" + jose.B64.EncodeToString(h[:])
}

// X509SanDNSClientID returns "x509_san_dns:"+name when the leaf carries
// name as a dNSName subject alternative name, and ErrInvalidClient (naming
// the SANs it does carry) otherwise: a URI or IP SAN never counts.
func X509SanDNSClientID(leaf *x509.Certificate, name string) (string, error) {
	if leaf == nil || name == "" {
		return "", fmt.Errorf("%w: x509_san_dns needs a certificate and a DNS name", ErrInvalidClient)
	}
	if !slices.Contains(leaf.DNSNames, name) {
		var uris []string
		for _, u := range leaf.URIs {
			uris = append(uris, u.String())
		}
		return "", fmt.Errorf("%w: x509_san_dns:%s: the certificate %q has no dNSName %q (its dNSNames: %q; URI SANs: %q)",
			ErrInvalidClient, name, leaf.Subject.String(), name, leaf.DNSNames, uris)
	}
	return PrefixX509SanDNS + ":" + name, nil
}

// CheckX509ClientID checks that clientID, an x509_hash or x509_san_dns
// client id, names leaf (its hash, or one of its dNSNames).
func CheckX509ClientID(clientID string, leaf *x509.Certificate) error {
	cid, err := ParseClientID(clientID)
	if err != nil {
		return err
	}
	switch cid.Prefix {
	case PrefixX509Hash:
		if want := X509HashClientID(leaf.Raw); clientID != want {
			return fmt.Errorf("%w: %s is not the hash of the signing certificate (%s)", ErrInvalidClient, clientID, want)
		}
		return nil
	case PrefixX509SanDNS:
		_, err := X509SanDNSClientID(leaf, cid.Value)
		return err
	}
	return fmt.Errorf("%w: %q is not an X.509 client id", ErrInvalidClient, clientID)
}

// IsX509Prefix reports whether prefix is one of the X.509 client id
// prefixes Cairn handles.
func IsX509Prefix(prefix string) bool {
	return prefix == PrefixX509Hash || prefix == PrefixX509SanDNS
}

// EncodeX5C is the x5c header value of chain (RFC 7515 §4.1.6: standard
// base64 of each DER, leaf first).
func EncodeX5C(chain [][]byte) []string {
	out := make([]string, len(chain))
	for i, der := range chain {
		out[i] = base64.StdEncoding.EncodeToString(der)
	}
	return out
}

// DecodeX5C reads an x5c header value: 1 to MaxX5C standard-base64 DER
// certificates, the first parsed as the leaf.
func DecodeX5C(v any) ([][]byte, *x509.Certificate, error) {
	arr, ok := v.([]any)
	if !ok || len(arr) == 0 || len(arr) > MaxX5C {
		return nil, nil, fmt.Errorf("%w: x5c must be an array of 1 to %d certificates", ErrInvalidClient, MaxX5C)
	}
	chain := make([][]byte, 0, len(arr))
	for i, e := range arr {
		s, isStr := e.(string)
		if !isStr {
			return nil, nil, fmt.Errorf("%w: x5c[%d] is not a string", ErrInvalidClient, i)
		}
		der, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(der) == 0 {
			return nil, nil, fmt.Errorf("%w: x5c[%d] is not base64 DER", ErrInvalidClient, i)
		}
		chain = append(chain, der)
	}
	leaf, err := x509.ParseCertificate(chain[0])
	if err != nil {
		return nil, nil, fmt.Errorf("%w: x5c[0]: %v", ErrInvalidClient, err)
	}
	return chain, leaf, nil
}

// sameKey reports whether the leaf certificate certifies the public key
// pub (ECDSA keys compared by value).
func sameKey(leaf *x509.Certificate, pub any) bool {
	lk, ok := leaf.PublicKey.(*ecdsa.PublicKey)
	pk, ok2 := pub.(*ecdsa.PublicKey)
	if !ok || !ok2 {
		return false
	}
	return lk.Equal(pk)
}

// selfSigned reports whether c names itself as issuer (a root, or a leaf
// nobody certified).
func selfSigned(c *x509.Certificate) bool { return bytes.Equal(c.RawIssuer, c.RawSubject) }
