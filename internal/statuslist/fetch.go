package statuslist

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/cairn-id/cairn/internal/httpx"
)

// MediaType is the media type of a Status List Token in its JWT form
// (§5.1, §8.1): what a fetch asks for and what the response must carry.
const MediaType = "application/" + TokenType

// DefaultFetchTimeout bounds one fetch when NewFetcher is given no timeout.
const DefaultFetchTimeout = 10 * time.Second

// Fetcher fetches Status List Tokens by URI (§8.1): GET with Accept
// application/statuslist+jwt, a 200 answer of that media type, at most
// MaxTokenLen bytes, within the client's time bound. It does not verify the
// token: the caller knows whose key must have signed it (VerifyToken).
type Fetcher struct {
	// Client makes the requests; NewFetcher sets the SSRF-guarded client
	// of internal/httpx. Its Timeout bounds each fetch; without one (and
	// without a deadline on the context) DefaultFetchTimeout does.
	Client *http.Client
	// MaxLen caps a token's size; zero means MaxTokenLen.
	MaxLen int64
}

// NewFetcher returns a Fetcher using httpx.NewClient(o), with
// DefaultFetchTimeout when o sets no timeout.
func NewFetcher(o httpx.Options) *Fetcher {
	if o.Timeout <= 0 {
		o.Timeout = DefaultFetchTimeout
	}
	return &Fetcher{Client: httpx.NewClient(o)}
}

// Fetch returns the Status List Token served at uri, trimmed of
// surrounding white space. Its signature fits vccheck.Options'
// FetchStatusList.
func (f *Fetcher) Fetch(ctx context.Context, uri string) (string, error) {
	max := f.MaxLen
	if max <= 0 {
		max = MaxTokenLen
	}
	if _, ok := ctx.Deadline(); !ok && f.Client != nil && f.Client.Timeout <= 0 {
		// Never unbounded, whatever client was injected.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultFetchTimeout)
		defer cancel()
	}
	b, _, err := httpx.GetBounded(ctx, f.Client, uri, MediaType, max)
	if err != nil {
		return "", err
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", fmt.Errorf("%w: %s answered an empty body", ErrInvalidToken, uri)
	}
	return tok, nil
}

// Offline holds verified Status List Tokens by URI, as an offline bundle
// does (trust.Bundle).
type Offline interface {
	// Token returns the verified token of the list at uri, if held.
	Token(uri string) (*Token, bool)
}

// OfflineStatus reads the status ref points at from tokens held offline;
// held is false when the list at ref.URI is not among them (or held is nil).
func OfflineStatus(o Offline, ref Reference) (status uint8, held bool, err error) {
	if o == nil {
		return 0, false, nil
	}
	tok, ok := o.Token(ref.URI)
	if !ok {
		return 0, false, nil
	}
	s, err := tok.List.Get(ref.Index)
	return s, true, err
}
