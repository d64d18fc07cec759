package verifierdir

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"

	"github.com/cairn-id/cairn/internal/fsx"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/oid4vp"
	"github.com/cairn-id/cairn/internal/x509trust"
)

// ErrAccessCertificate marks an access certificate chain or key that
// 'verifier init --x509' refuses.
var ErrAccessCertificate = errors.New("verifierdir: unusable access certificate")

// MaxChainPEM bounds a chain PEM file.
const MaxChainPEM = 64 << 10

// maxKeyFile bounds a key file.
const maxKeyFile = 16 << 10

// ReadAccessKey reads the access certificate's private key from a file
// only its owner may read (0600): a PEM PKCS #8 or SEC 1 EC key, or a
// private JWK. Only P-256 keys are accepted (HAIP 1.0: ES256).
func ReadAccessKey(path string) (*keys.PrivateKey, error) {
	b, err := fsx.ReadSecret(path, maxKeyFile)
	if err != nil {
		return nil, err
	}
	var k *keys.PrivateKey
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '{' {
		if k, err = keys.ParsePrivateJWK(t); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	} else {
		blk, _ := pem.Decode(b)
		if blk == nil {
			return nil, fmt.Errorf("%w: %s holds no PEM private key", ErrAccessCertificate, path)
		}
		var priv any
		switch blk.Type {
		case "PRIVATE KEY":
			priv, err = x509.ParsePKCS8PrivateKey(blk.Bytes)
		case "EC PRIVATE KEY":
			priv, err = x509.ParseECPrivateKey(blk.Bytes)
		default:
			return nil, fmt.Errorf("%w: %s: PEM block %q, want PRIVATE KEY or EC PRIVATE KEY", ErrAccessCertificate, path, blk.Type)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrAccessCertificate, path, err)
		}
		ec, ok := priv.(*ecdsa.PrivateKey)
		if !ok || ec.Curve != elliptic.P256() {
			return nil, fmt.Errorf("%w: %s is not a P-256 key (HAIP signs ES256)", ErrAccessCertificate, path)
		}
		if k, err = keys.FromSigner(ec); err != nil {
			return nil, err
		}
	}
	if pub, ok := k.Public().(*ecdsa.PublicKey); !ok || pub.Curve != elliptic.P256() {
		return nil, fmt.Errorf("%w: %s is not a P-256 key (HAIP signs ES256)", ErrAccessCertificate, path)
	}
	return k, nil
}

// ParseChainPEM reads a PEM chain, leaf first, and drops the self-signed
// certificates at its end (the anchor: HAIP 1.0 §5 keeps it out of x5c).
// dropped counts them. A self-signed leaf is refused.
func ParseChainPEM(b []byte) (chain [][]byte, dropped int, err error) {
	if len(b) > MaxChainPEM {
		return nil, 0, fmt.Errorf("%w: chain PEM larger than %d bytes", ErrAccessCertificate, MaxChainPEM)
	}
	certs, err := x509trust.ParseCertificatesPEM(b)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %w", ErrAccessCertificate, err)
	}
	if bytes.Equal(certs[0].RawIssuer, certs[0].RawSubject) {
		return nil, 0, fmt.Errorf("%w: the leaf %q is self-signed; wallets accept only an access certificate issued by a CA they trust", ErrAccessCertificate, certs[0].Subject)
	}
	for len(certs) > 1 && bytes.Equal(certs[len(certs)-1].RawIssuer, certs[len(certs)-1].RawSubject) {
		certs = certs[:len(certs)-1]
		dropped++
	}
	for _, c := range certs {
		chain = append(chain, c.Raw)
	}
	return chain, dropped, nil
}

// checkX509Identity checks an access certificate identity for baseURL and
// returns the chain to send in x5c and the client id: the leaf certifies
// the key, and x509_san_dns only for a dNSName the leaf carries (and
// which is the host wallets reach).
func checkX509Identity(x *X509Identity, baseURL string) ([][]byte, string, error) {
	if x.Key == nil {
		return nil, "", fmt.Errorf("%w: no key", ErrAccessCertificate)
	}
	chain, _, err := ParseChainPEM(x.ChainPEM)
	if err != nil {
		return nil, "", err
	}
	leaf, _ := x509.ParseCertificate(chain[0])
	lk, ok := leaf.PublicKey.(*ecdsa.PublicKey)
	if !ok || !lk.Equal(x.Key.Public()) {
		return nil, "", fmt.Errorf("%w: the key file's key is not the key of the leaf certificate %q", ErrAccessCertificate, leaf.Subject)
	}
	cid := oid4vp.X509HashClientID(leaf.Raw)
	if x.SanDNS != "" {
		if cid, err = oid4vp.X509SanDNSClientID(leaf, x.SanDNS); err != nil {
			return nil, "", err
		}
		if u, err := url.Parse(baseURL); err != nil || u.Hostname() != x.SanDNS {
			return nil, "", fmt.Errorf("%w: x509_san_dns:%s needs the public URL's host to be %s (wallets check the response_uri against it)", ErrAccessCertificate, x.SanDNS, x.SanDNS)
		}
	}
	if err := oid4vp.CheckSigningChain(cid, chain, x.Key.Public()); err != nil {
		return nil, "", err
	}
	return chain, cid, nil
}

// readAccessChain reads dir's access-chain.pem (nil when there is none).
func readAccessChain(dir string) ([][]byte, error) {
	b, err := os.ReadFile(filepath.Join(dir, AccessChainFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	chain, _, err := ParseChainPEM(b)
	return chain, err
}
