package tsl

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"
)

const dsigNS = "http://www.w3.org/2000/09/xmldsig#"

// Algorithm URIs accepted (SHA-1 is not).
const (
	algExcC14N    = "http://www.w3.org/2001/10/xml-exc-c14n#"
	algEnveloped  = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
	AlgRSASHA256  = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
	AlgRSASHA384  = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384"
	AlgRSASHA512  = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"
	AlgECDSA256   = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
	AlgECDSA384   = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384"
	AlgECDSA512   = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512"
	AlgPSSSHA256  = "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1"
	AlgPSSSHA384  = "http://www.w3.org/2007/05/xmldsig-more#sha384-rsa-MGF1"
	AlgPSSSHA512  = "http://www.w3.org/2007/05/xmldsig-more#sha512-rsa-MGF1"
	AlgDigest256  = "http://www.w3.org/2001/04/xmlenc#sha256"
	AlgDigest384  = "http://www.w3.org/2001/04/xmldsig-more#sha384"
	AlgDigest512  = "http://www.w3.org/2001/04/xmlenc#sha512"
	maxReferences = 8
)

var digests = map[string]crypto.Hash{AlgDigest256: crypto.SHA256, AlgDigest384: crypto.SHA384, AlgDigest512: crypto.SHA512}

type sigMethod struct {
	hash crypto.Hash
	kind string // "rsa", "pss", "ecdsa"
}

var sigMethods = map[string]sigMethod{
	AlgRSASHA256: {crypto.SHA256, "rsa"}, AlgRSASHA384: {crypto.SHA384, "rsa"}, AlgRSASHA512: {crypto.SHA512, "rsa"},
	AlgPSSSHA256: {crypto.SHA256, "pss"}, AlgPSSSHA384: {crypto.SHA384, "pss"}, AlgPSSSHA512: {crypto.SHA512, "pss"},
	AlgECDSA256: {crypto.SHA256, "ecdsa"}, AlgECDSA384: {crypto.SHA384, "ecdsa"}, AlgECDSA512: {crypto.SHA512, "ecdsa"},
}

// VerifyOptions are what Verify needs besides the list.
type VerifyOptions struct {
	// SignerAnchors are the certificates pinned for the list's scheme
	// operator (from the EU list of trusted lists, or by hand): the signer
	// in KeyInfo must chain to one of them.
	SignerAnchors []*x509.Certificate
	// Now is the time the signer's chain must be valid at.
	Now time.Time
}

// Signed is a verified list.
type Signed struct {
	List *List
	// Chain runs from the signer to the anchor it closed on.
	Chain     []*x509.Certificate
	Method    string
	Reference int // number of references checked
}

// Verify checks the enveloped signature of a trusted list and parses it.
// Exactly one ds:Signature must be a child of the root; every Reference
// of its SignedInfo must digest to its DigestValue (URI "" is the whole
// list with the enveloped-signature transform, "#id" the element with
// that Id, e.g. the XAdES SignedProperties), each with exclusive c14n; the
// SignedInfo, canonicalized with exclusive c14n, must verify under the
// first KeyInfo certificate, which must chain to an anchor at o.Now. A
// list without a signature fails with ErrUnsigned.
func Verify(b []byte, o VerifyOptions) (*Signed, error) {
	if len(o.SignerAnchors) == 0 {
		return nil, fmt.Errorf("%w: no signer anchors pinned", ErrUntrustedSigner)
	}
	if o.Now.IsZero() {
		return nil, errors.New("tsl: Verify needs a time")
	}
	l, err := Parse(b)
	if err != nil {
		return nil, err
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(b); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	root := doc.Root()
	if root == nil {
		return nil, fmt.Errorf("%w: no root element", ErrMalformed)
	}
	var sig *etree.Element
	for _, c := range root.ChildElements() {
		if c.Tag == "Signature" && c.NamespaceURI() == dsigNS {
			if sig != nil {
				return nil, fmt.Errorf("%w: more than one enveloped signature", ErrSignature)
			}
			sig = c
		}
	}
	if sig == nil {
		return nil, ErrUnsigned
	}
	si := child(sig, "SignedInfo")
	sv := child(sig, "SignatureValue")
	if si == nil || sv == nil || len(children(sig, "SignedInfo")) != 1 || len(children(sig, "SignatureValue")) != 1 {
		return nil, fmt.Errorf("%w: Signature needs one SignedInfo and one SignatureValue", ErrSignature)
	}
	if cm := child(si, "CanonicalizationMethod"); cm == nil || cm.SelectAttrValue("Algorithm", "") != algExcC14N {
		return nil, fmt.Errorf("%w: SignedInfo must use exclusive c14n", ErrSignature)
	}
	smEl := child(si, "SignatureMethod")
	if smEl == nil {
		return nil, fmt.Errorf("%w: no SignatureMethod", ErrSignature)
	}
	method := smEl.SelectAttrValue("Algorithm", "")
	sm, ok := sigMethods[method]
	if !ok {
		return nil, fmt.Errorf("%w: signature method %q not accepted", ErrSignature, method)
	}
	chain, err := keyInfoCerts(sig)
	if err != nil {
		return nil, err
	}
	// The signature over SignedInfo first: the references are only
	// trusted once SignedInfo is.
	canonSI, err := canonicalize(si, "")
	if err != nil {
		return nil, fmt.Errorf("%w: SignedInfo: %v", ErrSignature, err)
	}
	sigBytes, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(sv.Text()), ""))
	if err != nil {
		return nil, fmt.Errorf("%w: SignatureValue: %v", ErrSignature, err)
	}
	if err := checkSignature(sm, chain[0].PublicKey, canonSI, sigBytes); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSignature, err)
	}
	refs := children(si, "Reference")
	if len(refs) == 0 || len(refs) > maxReferences {
		return nil, fmt.Errorf("%w: SignedInfo needs 1–%d references", ErrSignature, maxReferences)
	}
	coversList := false
	for i, ref := range refs {
		whole, err := checkReference(root, sig, ref)
		if err != nil {
			return nil, fmt.Errorf("%w: reference %d: %v", ErrSignature, i, err)
		}
		coversList = coversList || whole
	}
	if !coversList {
		return nil, fmt.Errorf("%w: no reference covers the list", ErrSignature)
	}
	roots := x509.NewCertPool()
	for _, a := range o.SignerAnchors {
		roots.AddCert(a)
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	paths, err := chain[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: o.Now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUntrustedSigner, err)
	}
	return &Signed{List: l, Chain: paths[0], Method: method, Reference: len(refs)}, nil
}

func children(el *etree.Element, tag string) []*etree.Element {
	var out []*etree.Element
	for _, c := range el.ChildElements() {
		if c.Tag == tag && c.NamespaceURI() == dsigNS {
			out = append(out, c)
		}
	}
	return out
}

func child(el *etree.Element, tag string) *etree.Element {
	if cs := children(el, tag); len(cs) > 0 {
		return cs[0]
	}
	return nil
}

func keyInfoCerts(sig *etree.Element) ([]*x509.Certificate, error) {
	ki := child(sig, "KeyInfo")
	var certs []*x509.Certificate
	if ki != nil {
		for _, xd := range children(ki, "X509Data") {
			for _, xc := range children(xd, "X509Certificate") {
				der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(xc.Text()), ""))
				if err != nil {
					return nil, fmt.Errorf("%w: X509Certificate: %v", ErrMalformed, err)
				}
				c, err := x509.ParseCertificate(der)
				if err != nil {
					return nil, fmt.Errorf("%w: X509Certificate: %v", ErrMalformed, err)
				}
				certs = append(certs, c)
			}
		}
	}
	if len(certs) == 0 || len(certs) > 8 {
		return nil, fmt.Errorf("%w: KeyInfo needs 1–8 X509Certificate", ErrSignature)
	}
	return certs, nil
}

// canonicalize returns el (with the namespaces in scope) in exclusive c14n.
func canonicalize(el *etree.Element, prefixList string) ([]byte, error) {
	ctx, err := etreeutils.NSBuildParentContext(el)
	if err != nil {
		return nil, err
	}
	detached, err := etreeutils.NSDetatch(ctx, el)
	if err != nil {
		return nil, err
	}
	return dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList(prefixList).Canonicalize(detached)
}

// checkReference digests what ref points to; whole reports a reference to
// the whole list.
func checkReference(root, sig, ref *etree.Element) (whole bool, err error) {
	uri, ok := attr(ref, "URI")
	if !ok {
		return false, errors.New("reference without URI")
	}
	var target *etree.Element
	enveloped, c14n := false, false
	prefixList := ""
	if tr := child(ref, "Transforms"); tr != nil {
		for _, t := range children(tr, "Transform") {
			switch t.SelectAttrValue("Algorithm", "") {
			case algEnveloped:
				enveloped = true
			case algExcC14N:
				c14n = true
				for _, inc := range t.ChildElements() {
					if inc.Tag == "InclusiveNamespaces" {
						prefixList = inc.SelectAttrValue("PrefixList", "")
					}
				}
			default:
				return false, fmt.Errorf("transform %q not accepted", t.SelectAttrValue("Algorithm", ""))
			}
		}
	}
	if !c14n {
		return false, errors.New("reference must use exclusive c14n")
	}
	switch {
	case uri == "" || uri == "#"+root.SelectAttrValue("Id", "\x00"):
		if !enveloped {
			return false, errors.New("a reference to the list needs the enveloped-signature transform")
		}
		target, whole = root, true
	case strings.HasPrefix(uri, "#"):
		id := uri[1:]
		var found []*etree.Element
		for _, el := range root.FindElements("//*") {
			if a, ok := attr(el, "Id"); ok && a == id {
				found = append(found, el)
			}
		}
		if len(found) != 1 {
			return false, fmt.Errorf("%d elements with Id %q", len(found), id)
		}
		target = found[0]
		if enveloped {
			return false, errors.New("enveloped-signature transform on a fragment")
		}
	default:
		return false, fmt.Errorf("URI %q not accepted", uri)
	}
	dm := child(ref, "DigestMethod")
	dv := child(ref, "DigestValue")
	if dm == nil || dv == nil {
		return false, errors.New("reference needs DigestMethod and DigestValue")
	}
	h, ok := digests[dm.SelectAttrValue("Algorithm", "")]
	if !ok {
		return false, fmt.Errorf("digest %q not accepted", dm.SelectAttrValue("Algorithm", ""))
	}
	want, err := base64.StdEncoding.DecodeString(strings.TrimSpace(dv.Text()))
	if err != nil {
		return false, fmt.Errorf("DigestValue: %v", err)
	}
	var canon []byte
	if whole {
		cp := root.Copy()
		for _, c := range cp.ChildElements() {
			if c.Tag == "Signature" && c.Space == sig.Space && c.SelectAttrValue("Id", "") == sig.SelectAttrValue("Id", "") {
				cp.RemoveChild(c)
			}
		}
		canon, err = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList(prefixList).Canonicalize(cp)
	} else {
		canon, err = canonicalize(target, prefixList)
	}
	if err != nil {
		return false, err
	}
	d := h.New()
	d.Write(canon)
	if subtle.ConstantTimeCompare(d.Sum(nil), want) != 1 {
		return false, fmt.Errorf("digest of %q does not match", uri)
	}
	return whole, nil
}

func attr(el *etree.Element, key string) (string, bool) {
	for _, a := range el.Attr {
		if a.Key == key && a.Space == "" {
			return a.Value, true
		}
	}
	return "", false
}

func checkSignature(sm sigMethod, pub crypto.PublicKey, signed, sig []byte) error {
	h := sm.hash.New()
	h.Write(signed)
	digest := h.Sum(nil)
	switch sm.kind {
	case "rsa", "pss":
		k, ok := pub.(*rsa.PublicKey)
		if !ok {
			return errors.New("signature method needs an RSA key")
		}
		if k.N.BitLen() < 2048 {
			return errors.New("RSA key shorter than 2048 bits")
		}
		if sm.kind == "rsa" {
			return rsa.VerifyPKCS1v15(k, sm.hash, digest, sig)
		}
		// RFC 6931 §2.3.10: salt as long as the hash, MGF1 with the same hash.
		return rsa.VerifyPSS(k, sm.hash, digest, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: sm.hash})
	case "ecdsa":
		k, ok := pub.(*ecdsa.PublicKey)
		if !ok {
			return errors.New("signature method needs an EC key")
		}
		// XML-DSig ECDSA values are r||s, each the size of the order.
		size := (k.Curve.Params().BitSize + 7) / 8
		if len(sig) != 2*size {
			return fmt.Errorf("ECDSA signature of %d bytes, want %d", len(sig), 2*size)
		}
		r, s := new(big.Int).SetBytes(sig[:size]), new(big.Int).SetBytes(sig[size:])
		if !ecdsa.Verify(k, digest, r, s) {
			return errors.New("ECDSA signature does not verify")
		}
		return nil
	}
	return errors.New("unknown signature kind")
}
