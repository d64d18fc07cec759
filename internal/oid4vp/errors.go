package oid4vp

import "errors"

// Errors at the package boundary; match them with errors.Is.
var (
	// ErrInvalidQuery: a dcql_query breaks §6 (syntax, ids, references,
	// paths, bounds).
	ErrInvalidQuery = errors.New("oid4vp: invalid DCQL query")
	// ErrInvalidRequest: an authorization request, request URI or request
	// object is malformed or breaks §5 (the invalid_request error).
	ErrInvalidRequest = errors.New("oid4vp: invalid authorization request")
	// ErrInvalidClient: the client_id or its prefix is unacceptable, or the
	// request object is not signed by the client it names (§5.9,
	// invalid_client).
	ErrInvalidClient = errors.New("oid4vp: invalid client")
	// ErrRequestSignature: the request object signature, typ, alg or key
	// did not verify.
	ErrRequestSignature = errors.New("oid4vp: request object signature invalid")
	// ErrExpired: the request object is expired or issued in the future.
	ErrExpired = errors.New("oid4vp: request object expired or not yet valid")
	// ErrWalletNonce: a POSTed request_uri answered without our wallet_nonce
	// (§5.10).
	ErrWalletNonce = errors.New("oid4vp: wallet_nonce mismatch")
	// ErrInvalidResponse: an authorization response (form, vp_token, JWE
	// payload) is malformed.
	ErrInvalidResponse = errors.New("oid4vp: invalid authorization response")
	// ErrTooLarge: an input exceeds its bound.
	ErrTooLarge = errors.New("oid4vp: too large")
	// ErrUnsupported: a valid feature Cairn does not implement (other
	// response modes, client id prefixes, formats).
	ErrUnsupported = errors.New("oid4vp: not supported")
	// ErrKBAudience: a KB-JWT aud is not the full client_id (§B.3.6).
	ErrKBAudience = errors.New("oid4vp: key binding audience is not the client_id")
	// ErrResponseMismatch: a vp_token does not answer the DCQL query.
	ErrResponseMismatch = errors.New("oid4vp: vp_token does not satisfy the DCQL query")
)
