// Package interop holds Cairn's interoperability tests against independent
// SD-JWT implementations; it has no production code. Today the counterpart
// is sd-jwt-js (@sd-jwt/core and @sd-jwt/sd-jwt-vc 0.20.0, OpenWallet
// Foundation), driven through Node by interop_test.go with the script in
// sdjwtjs/.
//
// The tests check, in both directions, that an SD-JWT VC
// (draft-ietf-oauth-sd-jwt-vc-25, header typ dc+sd-jwt) issued and
// presented with a Key Binding JWT (RFC 9901 §4.3) by one side verifies on
// the other to the same processed claims (RFC 9901 §7.1, §7.3), including
// array-element, recursive (§4.2.6) and decoy (§4.2.5) digests, and that
// mutated presentations are refused by both. sd-jwt-js checks less than
// RFC 9901 requires in places; the Node script adds those checks after the
// library has accepted a token, and the tests never read a JS acceptance as
// proof of validity.
//
// The OpenID4VP 1.0 tests run independent peers built on
// @openid4vc/openid4vp 0.4.6 (oid4vp/): a verifier asking Cairn's wallet
// (request objects by request_uri, direct_post and direct_post.jwt,
// §5, §8.2, §8.3) and a holder answering Cairn's verifier, each checking
// beyond what the library checks.
//
// The BBS test (bbs_test.go) runs @digitalbazaar/bbs-signatures 3.0.0
// (bbs/): both BLS12-381 ciphersuites of draft-irtf-cfrg-bbs-signatures,
// with identical key generation and signatures and each side verifying the
// other's signatures and proofs. See README.md.
package interop
