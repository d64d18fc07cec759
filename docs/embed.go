// Package docs embeds the documents the binary serves: the wallet
// agent's OpenAPI 3.1 document (wallet-api.json, served by wallet/api
// at /openapi.json). The other files here are for people.
package docs

import _ "embed"

// WalletAPI is the OpenAPI 3.1 document of the wallet agent's API.
//
//go:embed wallet-api.json
var WalletAPI []byte
