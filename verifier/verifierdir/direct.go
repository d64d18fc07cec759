package verifierdir

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cairn-id/cairn/verifier"
)

// Operator commands directly on a PostgreSQL store (issue 13): any
// machine holding a copy of the verifier directory (its key, results key,
// configuration and purposes) and the store URL creates sessions and reads
// results, with no running server and no admin socket; the database
// arbitrates between instances, as for the issuer's operator commands.

// ErrNeedsStore: a direct operator command was given no PostgreSQL store
// (with the bbolt file, a running server holds it: use its admin socket).
var ErrNeedsStore = errors.New("verifierdir: direct access needs a PostgreSQL store (--store, --store-file or $CAIRN_STORE); otherwise use the running server's admin socket")

// ErrNoResult: a session has no result to show yet (pending), or none
// any more (unknown, expired unanswered, or past its retention). The
// wrapped *verifier.Error says which.
var ErrNoResult = errors.New("verifierdir: no result")

// MaxWait bounds the wait of ReadResult, as the console API's ?wait does.
const MaxWait = 60 * time.Second

// OpenDirect opens dir's Service over the PostgreSQL store o.StoreURL
// names, for the operator commands; ErrNeedsStore when there is none.
// Close the Service to release the store.
func OpenDirect(dir string, o Options) (*verifier.Service, error) {
	if o.StoreURL == "" {
		return nil, ErrNeedsStore
	}
	svc, _, err := Open(dir, o)
	return svc, err
}

// CreateRequest creates a session for purpose on svc, as the console's
// POST /console/sessions does, with its over-asking warning (if any) in
// lang. An unknown purpose is a *verifier.Error with CodeUnknownPurpose.
func CreateRequest(ctx context.Context, svc *verifier.Service, purpose string, o verifier.CreateOptions, lang string) (*verifier.Request, error) {
	out, err := svc.CreateSession(ctx, purpose, o)
	if err != nil {
		return nil, err
	}
	if out.OverAsking != nil {
		out.OverAsking.Message = verifier.Message(out.OverAsking.Code, lang)
	}
	return out, nil
}

// ReadResult returns the result of session id, waiting up to wait
// (at most MaxWait; 0: no wait) while it is pending, with its messages in
// lang, as the console's GET /console/sessions/{id}/result does. A
// pending, unknown or expired session is ErrNoResult.
func ReadResult(ctx context.Context, svc *verifier.Service, id string, wait time.Duration, lang string) (*verifier.Result, error) {
	var res *verifier.Result
	var err error
	if wait = min(wait, MaxWait); wait > 0 {
		res, err = svc.WaitResult(ctx, id, wait, time.Second)
	} else {
		res, err = svc.Result(ctx, id)
	}
	switch c := verifier.CodeOfError(err); c {
	case "":
	case verifier.CodeResultPending, verifier.CodeSessionNotFound, verifier.CodeSessionExpired:
		return nil, fmt.Errorf("%w: %s: %s: %w", ErrNoResult, c, verifier.Message(c, lang), err)
	}
	if err != nil {
		return nil, err
	}
	res.Localize(lang)
	return res, nil
}
