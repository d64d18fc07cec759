// Package docs embeds the documents the binary serves: the OpenAPI 3.1
// documents of the wallet agent's API (wallet-api.json, served by
// wallet/api at /openapi.json) and of the verifier's public and console
// APIs (verifier-api.json, served by verifier/api at /openapi.json). The
// other files here are for people.
package docs

import _ "embed"

// WalletAPI is the OpenAPI 3.1 document of the wallet agent's API.
//
//go:embed wallet-api.json
var WalletAPI []byte

// VerifierAPI is the OpenAPI 3.1 document of the verifier's public and
// console APIs.
//
//go:embed verifier-api.json
var VerifierAPI []byte
