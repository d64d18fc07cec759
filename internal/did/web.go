package did

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/cairn-id/cairn/internal/jose"
)

// maxVerificationMethods bounds the methods accepted from one document.
const maxVerificationMethods = 64

// WebURL turns a did:web into the HTTPS URL of its document (did:web §3.2):
// "did:web:example.com" → https://example.com/.well-known/did.json,
// "did:web:example.com%3A8443:user:alice" → https://example.com:8443/user/alice/did.json.
func WebURL(did string) (*url.URL, error) {
	d, frag, err := ParseDIDURL(did)
	if err != nil {
		return nil, err
	}
	if frag != "" || !strings.HasPrefix(d, "did:web:") {
		return nil, fmt.Errorf("%w: not a did:web without fragment", ErrInvalidDID)
	}
	parts := strings.Split(d[len("did:web:"):], ":")
	hostport, err := url.PathUnescape(parts[0])
	if err != nil {
		return nil, fmt.Errorf("%w: did:web host: %v", ErrInvalidDID, err)
	}
	if err := checkHostPort(hostport); err != nil {
		return nil, err
	}
	u := &url.URL{Scheme: "https", Host: strings.ToLower(hostport)}
	if len(parts) == 1 {
		u.Path = "/.well-known/did.json"
		return u, nil
	}
	var path strings.Builder
	for _, p := range parts[1:] {
		seg, err := url.PathUnescape(p)
		if err != nil || seg == "" || seg == "." || seg == ".." || strings.ContainsAny(seg, "/\\?#") || hasControl(seg) {
			return nil, fmt.Errorf("%w: did:web path segment %q", ErrInvalidDID, p)
		}
		path.WriteByte('/')
		path.WriteString(seg)
	}
	path.WriteString("/did.json")
	u.Path = path.String()
	return u, nil
}

// checkHostPort accepts a DNS name or IPv4 literal with an optional port.
// IPv6 literals, user info and empty labels are refused.
func checkHostPort(hp string) error {
	host, port := hp, ""
	if i := strings.LastIndexByte(hp, ':'); i >= 0 {
		host, port = hp[:i], hp[i+1:]
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || port[0] == '0' {
			return fmt.Errorf("%w: did:web port %q", ErrInvalidDID, port)
		}
	}
	if host == "" || len(host) > 253 {
		return fmt.Errorf("%w: did:web host %q", ErrInvalidDID, host)
	}
	for _, label := range strings.Split(host, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("%w: did:web host %q", ErrInvalidDID, host)
		}
		for i := 0; i < len(label); i++ {
			if !isAlnum(label[i]) && label[i] != '-' {
				return fmt.Errorf("%w: did:web host %q", ErrInvalidDID, host)
			}
		}
	}
	return nil
}

func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}

// hostIP returns the IP of a URL whose host is an IP literal, or nil.
func hostIP(u *url.URL) net.IP {
	return net.ParseIP(u.Hostname())
}

// acceptableContentType is deliberately tolerant: servers publish DID
// documents as application/did+json, application/did+ld+json,
// application/json, application/ld+json, and static hosts often as
// text/plain or octet-stream. HTML (an error or login page) is refused.
func acceptableContentType(ct string) bool {
	if ct == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json") ||
		mt == "text/plain" || mt == "application/octet-stream"
}

type rawVM struct {
	ID                 string          `json:"id"`
	Type               string          `json:"type"`
	Controller         string          `json:"controller"`
	PublicKeyJWK       json.RawMessage `json:"publicKeyJwk"`
	PublicKeyMultibase string          `json:"publicKeyMultibase"`
}

// ParseDocument parses a DID document (DID Core §5) fetched for did. The
// document id must equal did; relative method ids ("#key-1") are resolved
// against it and methods belonging to another DID are refused. Keys are
// read from publicKeyJwk (private members refused) or, for Ed25519 and
// P-256/P-384, publicKeyMultibase; methods with other key formats are kept
// with a nil PublicKeyJWK. Relationship entries may be references or
// embedded methods; references to unknown methods are dropped.
func ParseDocument(did string, b []byte) (*Document, error) {
	var raw struct {
		ID     *string           `json:"id"`
		VMs    []json.RawMessage `json:"verificationMethod"`
		Assert []json.RawMessage `json:"assertionMethod"`
		Auth   []json.RawMessage `json:"authentication"`
		Agree  []json.RawMessage `json:"keyAgreement"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidDocument, err)
	}
	if raw.ID == nil || *raw.ID != did {
		return nil, fmt.Errorf("%w: document id does not equal %s", ErrInvalidDocument, did)
	}
	if len(raw.VMs)+len(raw.Assert)+len(raw.Auth)+len(raw.Agree) > 4*maxVerificationMethods {
		return nil, fmt.Errorf("%w: too many verification methods", ErrInvalidDocument)
	}
	doc := &Document{ID: did}
	seen := map[string]bool{}
	addVM := func(m json.RawMessage) (string, error) {
		vm, err := parseVM(did, m)
		if err != nil {
			return "", err
		}
		if seen[vm.ID] {
			return "", fmt.Errorf("%w: duplicate verification method %s", ErrInvalidDocument, vm.ID)
		}
		if len(doc.VerificationMethods) >= maxVerificationMethods {
			return "", fmt.Errorf("%w: too many verification methods", ErrInvalidDocument)
		}
		seen[vm.ID] = true
		doc.VerificationMethods = append(doc.VerificationMethods, vm)
		return vm.ID, nil
	}
	for _, m := range raw.VMs {
		if _, err := addVM(m); err != nil {
			return nil, err
		}
	}
	// References may point at methods defined later in the document, so
	// embedded methods are collected first and references resolved after.
	rels := []struct {
		in  []json.RawMessage
		out *[]string
	}{{raw.Assert, &doc.AssertionMethod}, {raw.Auth, &doc.Authentication}, {raw.Agree, &doc.KeyAgreement}}
	refs := make([][]string, len(rels))
	for i, rel := range rels {
		for _, m := range rel.in {
			var ref string
			if json.Unmarshal(m, &ref) == nil {
				abs, err := absoluteVMID(did, ref)
				if err != nil {
					return nil, err
				}
				refs[i] = append(refs[i], abs)
				continue
			}
			id, err := addVM(m)
			if err != nil {
				return nil, err
			}
			refs[i] = append(refs[i], id)
		}
	}
	for i, rel := range rels {
		for _, id := range refs[i] {
			if seen[id] {
				*rel.out = append(*rel.out, id)
			}
		}
	}
	return doc, nil
}

func parseVM(did string, m json.RawMessage) (VerificationMethod, error) {
	var r rawVM
	if err := json.Unmarshal(m, &r); err != nil {
		return VerificationMethod{}, fmt.Errorf("%w: verification method: %v", ErrInvalidDocument, err)
	}
	id, err := absoluteVMID(did, r.ID)
	if err != nil {
		return VerificationMethod{}, err
	}
	vm := VerificationMethod{ID: id, Type: r.Type, Controller: r.Controller}
	if vm.Controller == "" {
		vm.Controller = did
	}
	switch {
	case len(r.PublicKeyJWK) > 0 && string(r.PublicKeyJWK) != "null":
		k, err := jose.ParseJWK(r.PublicKeyJWK)
		if err != nil {
			if errors.Is(err, jose.ErrPrivateKeyInJWK) {
				return VerificationMethod{}, fmt.Errorf("%w: %s publishes private key material", ErrInvalidDocument, id)
			}
			break // unsupported key type: listed, never used
		}
		vm.PublicKeyJWK = k
	case r.PublicKeyMultibase != "":
		if pub, err := parseMultibaseKey(r.PublicKeyMultibase); err == nil {
			vm.PublicKeyJWK, _ = jose.NewJWK(pub)
		}
	}
	return vm, nil
}

// absoluteVMID resolves a method id against did and refuses ids of other
// DIDs, so a document cannot lend its trust to someone else's key.
func absoluteVMID(did, id string) (string, error) {
	if strings.HasPrefix(id, "#") {
		id = did + id
	}
	d, frag, err := ParseDIDURL(id)
	if err != nil || d != did || frag == "" {
		return "", fmt.Errorf("%w: verification method id %q is not a fragment of %s", ErrInvalidDocument, id, did)
	}
	return id, nil
}
