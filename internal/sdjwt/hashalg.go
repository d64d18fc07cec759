package sdjwt

import (
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"fmt"
	"hash"
	"slices"

	"github.com/cairn-id/cairn/internal/jose"
)

// hashAlgs are the _sd_alg values Verify and Process accept (§4.1.1): the
// full-length hashes of the IANA Named Information Hash Algorithm
// registry. Truncated sha-256 variants, BLAKE2 and KangarooTwelve are not
// accepted. Issue writes HashAlg (sha-256) only.
var hashAlgs = map[string]func() hash.Hash{
	"sha-256":  sha256.New,
	"sha-384":  sha512.New384,
	"sha-512":  sha512.New,
	"sha3-256": func() hash.Hash { return sha3.New256() },
	"sha3-384": func() hash.Hash { return sha3.New384() },
	"sha3-512": func() hash.Hash { return sha3.New512() },
}

// HashAlgs returns the _sd_alg values Verify and Process accept, HashAlg
// first. VerifyOptions.HashAlgs narrows them (a profile that requires
// sha-256, as HAIP does).
func HashAlgs() []string {
	out := make([]string, 0, len(hashAlgs))
	for n := range hashAlgs {
		if n != HashAlg {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return append([]string{HashAlg}, out...)
}

// declaredHashAlg is the payload's _sd_alg, HashAlg when it has none
// (§4.1.1); ok is false for a value that is not a supported name.
func declaredHashAlg(payload map[string]any) (alg string, ok bool) {
	v, present := payload["_sd_alg"]
	if !present {
		return HashAlg, true
	}
	s, isStr := v.(string)
	if !isStr || hashAlgs[s] == nil {
		return "", false
	}
	return s, true
}

// checkHashAlg returns the payload's hash algorithm, or ErrHashAlg when
// it is not supported or not in allowed (nil allows every supported one).
func checkHashAlg(payload map[string]any, allowed []string) (string, error) {
	alg, ok := declaredHashAlg(payload)
	if !ok {
		return "", fmt.Errorf("%w: %v (supported: %v)", ErrHashAlg, payload["_sd_alg"], HashAlgs())
	}
	if allowed != nil && !slices.Contains(allowed, alg) {
		return "", fmt.Errorf("%w: %s is not accepted here (accepted: %v)", ErrHashAlg, alg, allowed)
	}
	return alg, nil
}

// digestWith is base64url(alg(s)) for a supported alg (§4.2.3).
func digestWith(alg, s string) string {
	if alg == HashAlg {
		return digestOf(s)
	}
	h := hashAlgs[alg]()
	h.Write([]byte(s))
	return jose.B64.EncodeToString(h.Sum(nil))
}

// rehash recomputes the disclosures' digests with the payload's _sd_alg
// when that is a supported algorithm other than sha-256 (parsing computes
// sha-256 digests as it decodes); an unsupported one is left for process
// to refuse.
func (t *SDJWT) rehash() {
	alg, ok := declaredHashAlg(t.Payload)
	if !ok || alg == HashAlg {
		return
	}
	for _, d := range t.Disclosures {
		d.Digest = digestWith(alg, d.Encoded)
	}
}

// sdHashAlg is the hash of sd_hash: the one of the disclosures (§4.3.1).
func (t *SDJWT) sdHashAlg() string {
	if alg, ok := declaredHashAlg(t.Payload); ok {
		return alg
	}
	return HashAlg
}
