package api

import (
	"net/http"

	"github.com/cairn-id/cairn/docs"
)

// OpenAPI returns the OpenAPI 3.1 document of the public and console APIs
// (docs/verifier-api.json).
func OpenAPI() []byte { return append([]byte(nil), docs.VerifierAPI...) }

func serveOpenAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(docs.VerifierAPI)
}
