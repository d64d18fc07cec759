package api_test

import (
	"sync"

	"github.com/cairn-id/cairn/internal/testkit"
	"github.com/cairn-id/cairn/wallet/api"
)

// loadResponseSchemas is docs/wallet-api.json as the tests hold the agent
// to it: every JSON answer a test receives is checked against its
// response schemas (see agent.do), so the document's bodies stay the
// API's; TestOpenAPIMatchesRoutes keeps its operations the routes.
var loadResponseSchemas = sync.OnceValues(func() (*testkit.OpenAPI, error) {
	return testkit.LoadOpenAPI("docs/wallet-api.json", api.OpenAPI())
})
