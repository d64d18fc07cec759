package api

import (
	"net/http"

	"github.com/cairn-id/cairn/docs"
)

// OpenAPI returns the OpenAPI 3.1 document of the API
// (docs/wallet-api.json).
func OpenAPI() []byte { return append([]byte(nil), docs.WalletAPI...) }

func (h *Handler) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(docs.WalletAPI)
}
