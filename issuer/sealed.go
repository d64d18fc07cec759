package issuer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/seal"
)

// Pending offers' claims and reference are sealed at rest (issue 9):
// AES-256-GCM under a key derived from the hash key (HKDF-SHA-256, label
// "cairn issuer offer claims aes-256-gcm v1"), which is kept outside the
// store, with the offer id as associated data so a sealed blob cannot be
// moved to another offer. A stolen issuer.db without hash.key reveals no
// claim value and no reference.

// ErrSealed: an offer's sealed content does not open (another hash key,
// or a damaged or moved entry).
var ErrSealed = errors.New("issuer: sealed offer content does not open (wrong hash.key or damaged store)")

// sealedContent is what StoredOffer.Sealed holds once opened.
type sealedContent struct {
	Claims    map[string]any `json:"claims"`
	Reference string         `json:"reference,omitempty"`
}

func sealAAD(id string) []byte { return []byte("cairn offer v1\x00" + id) }

func (s *Service) box() (*seal.Box, error) { return seal.New(s.claimsKey, s.cfg.Rand) }

// seal encrypts an offer's claims and reference for o.Sealed.
func (s *Service) seal(id string, claims map[string]any, reference string) (string, error) {
	pt, err := json.Marshal(sealedContent{Claims: claims, Reference: reference})
	if err != nil {
		return "", err
	}
	b, err := s.box()
	if err != nil {
		return "", err
	}
	sealed, err := b.Seal(pt, sealAAD(id))
	if err != nil {
		return "", fmt.Errorf("issuer: %w", err)
	}
	return jose.B64.EncodeToString(sealed), nil
}

// OfferContent returns a stored offer's claims and reference: opened
// from Sealed, or, for an offer stored before sealing existed, its clear
// Claims and Reference.
func (s *Service) OfferContent(o *StoredOffer) (map[string]any, string, error) {
	if o.Sealed == "" {
		return o.Claims, o.Reference, nil
	}
	b, err := jose.B64.DecodeString(o.Sealed)
	if err != nil {
		return nil, "", ErrSealed
	}
	box, err := s.box()
	if err != nil {
		return nil, "", err
	}
	pt, err := box.Open(b, sealAAD(o.ID))
	if err != nil {
		return nil, "", ErrSealed
	}
	var c sealedContent
	if err := json.Unmarshal(pt, &c); err != nil {
		return nil, "", fmt.Errorf("%w: %w", ErrSealed, err)
	}
	return c.Claims, c.Reference, nil
}

// SealClearOffers rewrites the offers an earlier version stored with
// clear claims and reference: sealed, with a handle and the reference's
// keyed hash. OpenDir runs it, so an old store opens and keeps working
// (its pending offers stay redeemable) and holds no clear claim after
// its first open. It returns how many offers it rewrote.
func (s *Service) SealClearOffers(ctx context.Context) (int, error) {
	var n int
	err := s.cfg.Store.View(ctx, func(tx Tx) error { // no write (and no commit) when nothing is in clear
		n = 0
		return tx.ForEachOffer(func(o *StoredOffer) error {
			if o.Sealed == "" {
				n++
			}
			return nil
		})
	})
	if err != nil || n == 0 {
		return 0, err
	}
	err = s.cfg.Store.Update(ctx, func(tx Tx) error {
		n = 0
		var old []*StoredOffer
		if err := tx.ForEachOffer(func(o *StoredOffer) error {
			if o.Sealed == "" {
				old = append(old, o)
			}
			return nil
		}); err != nil {
			return err
		}
		for _, o := range old {
			sealed, err := s.seal(o.ID, o.Claims, o.Reference)
			if err != nil {
				return err
			}
			if o.Handle == "" {
				if o.Handle, err = s.credentialID(); err != nil {
					return err
				}
			}
			if o.Reference != "" && o.ReferenceHash == "" {
				o.ReferenceHash = s.ReferenceHash(o.Reference)
			}
			o.Sealed, o.Claims, o.Reference = sealed, nil, ""
			if err := tx.PutOffer(o); err != nil {
				return err
			}
		}
		n = len(old)
		return nil
	})
	return n, err
}
