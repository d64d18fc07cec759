package issuer

import (
	"errors"

	"github.com/cairn-id/cairn/internal/jose"
)

// Batch issuance (OpenID4VCI 1.0 §8.2 proofs, §12.2.4
// batch_credential_issuance): one Credential Request may carry up to
// Config.BatchSize key proofs, and gets one copy per proof: the same
// claims, fresh salts and decoys, each bound to its proof's key (cnf.jwk,
// sub) and each with its own random unused status index. The copies'
// Records name each other (Record.Copies), so revoking, suspending or
// reinstating any copy changes every copy's status list entry. A wallet
// keeps copy i for holder key i and shows each verifier a different one,
// so verifiers cannot link a holder by key, signature, salt or status
// index (DESIGN.md §3).

const (
	// DefaultBatchSize is Config.BatchSize when zero: the wallet's
	// default number of holder keys.
	DefaultBatchSize = 5
	// MaxBatchSize bounds Config.BatchSize.
	MaxBatchSize = 64
)

// ErrBatch: a batch request with more proofs than the batch size, or with
// two proofs of one key. The HTTP layer answers invalid_proof.
var ErrBatch = errors.New("issuer: invalid batch of key proofs")

// BatchHolder is the key of one further proof of a batch request.
type BatchHolder struct {
	JWK *jose.JWK
	DID string
}

// BatchSize is the most proofs (so copies) one Credential Request may
// carry; 1 means no batch issuance.
func (s *Service) BatchSize() int { return s.cfg.BatchSize }
