package issuer

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"
)

// Offer management for operators (issue 8, "Issuer desk"): pending
// offers are listed and cancelled by their public Handle, never by the
// id that redeems them; credentials are found and revoked by the desk's
// reference, which records keep only as a keyed hash.

// OfferInfo is what an operator sees of a stored offer: no claim values,
// no id (the id redeems the offer).
type OfferInfo struct {
	Handle    string    `json:"handle"`
	VCT       string    `json:"vct"`
	Reference string    `json:"reference,omitempty"`
	Batch     string    `json:"batch,omitempty"`
	State     string    `json:"state"` // pending, redeemed, locked or expired
	TxCode    bool      `json:"tx_code,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// OfferExpired is OfferInfo.State for an offer past its expiry, not yet
// swept.
const OfferExpired = "expired"

// Offers lists the stored offers, oldest first (then by reference); pendingOnly keeps the
// ones still redeemable (pending and not expired).
func (s *Service) Offers(ctx context.Context, pendingOnly bool) ([]OfferInfo, error) {
	now := s.cfg.Now()
	var stored []*StoredOffer
	err := s.cfg.Store.View(ctx, func(tx Tx) error {
		return tx.ForEachOffer(func(o *StoredOffer) error { stored = append(stored, o); return nil })
	})
	if err != nil {
		return nil, err
	}
	out := []OfferInfo{}
	for _, o := range stored {
		state := o.State
		if !now.Before(o.ExpiresAt) {
			state = OfferExpired
		}
		if pendingOnly && state != OfferPending {
			continue
		}
		_, ref, err := s.OfferContent(o)
		if err != nil {
			return nil, err
		}
		out = append(out, OfferInfo{Handle: o.Handle, VCT: o.VCT, Reference: ref, Batch: o.Batch, State: state,
			TxCode: o.TxCodeHash != "", CreatedAt: o.CreatedAt, ExpiresAt: o.ExpiresAt})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if !a.CreatedAt.Equal(b.CreatedAt) {
			return a.CreatedAt.Before(b.CreatedAt)
		}
		if a.Reference != b.Reference {
			return a.Reference < b.Reference
		}
		return a.Handle < b.Handle
	})
	return out, nil
}

// CancelOffer deletes the offer whose Handle is handle, with its claims
// and code, so a lost printed sheet can no longer be redeemed
// (ErrNotFound when none). An access token already granted for it stops
// working at the credential endpoint.
func (s *Service) CancelOffer(ctx context.Context, handle string) error {
	n, err := s.cancel(ctx, func(o *StoredOffer) bool { return handle != "" && o.Handle == handle })
	if err == nil && n == 0 {
		err = fmt.Errorf("offer %q: %w", handle, ErrNotFound)
	}
	return err
}

// CancelBatch deletes every offer made by the offer-batch drive batch and
// returns how many (ErrNotFound when none).
func (s *Service) CancelBatch(ctx context.Context, batch string) (int, error) {
	n, err := s.cancel(ctx, func(o *StoredOffer) bool { return batch != "" && o.Batch == batch })
	if err == nil && n == 0 {
		err = fmt.Errorf("batch %q: %w", batch, ErrNotFound)
	}
	return n, err
}

func (s *Service) cancel(ctx context.Context, match func(*StoredOffer) bool) (int, error) {
	var n int
	err := s.cfg.Store.Update(ctx, func(tx Tx) error {
		n = 0
		var del []*StoredOffer
		if err := tx.ForEachOffer(func(o *StoredOffer) error {
			if match(o) {
				del = append(del, o)
			}
			return nil
		}); err != nil {
			return err
		}
		for _, o := range del {
			if err := errors.Join(tx.DeleteOffer(o.ID), tx.DeleteCode(o.CodeHash)); err != nil {
				return err
			}
		}
		n = len(del)
		return nil
	})
	if err == nil && n > 0 {
		s.log.Info("offers cancelled", "count", n)
	}
	return n, err
}

// FindByReference returns the records of credentials issued for offers
// made with this reference (records keep its keyed hash only).
func (s *Service) FindByReference(ctx context.Context, reference string) ([]Record, error) {
	if reference == "" {
		return nil, fmt.Errorf("%w: empty reference", ErrInvalidOffer)
	}
	h := s.ReferenceHash(reference)
	recs, err := s.Records(ctx)
	if err != nil {
		return nil, err
	}
	out := []Record{}
	for _, r := range recs {
		if r.ReferenceHash == h {
			out = append(out, r)
		}
	}
	return out, nil
}

// RevokeReference revokes every credential issued with this reference
// that is not revoked yet and returns their ids (ErrNotFound when the
// reference matches no credential). jpt credentials have no status entry
// and are skipped (they expire on their own; FindByReference lists them).
func (s *Service) RevokeReference(ctx context.Context, reference string) ([]string, error) {
	recs, err := s.FindByReference(ctx, reference)
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("reference: %w", ErrNotFound)
	}
	ids := []string{}
	for _, r := range recs {
		if r.State == StateRevoked || r.Format == FormatJPT {
			continue
		}
		if err := s.Revoke(ctx, r.CredentialID); err != nil {
			return ids, err
		}
		ids = append(ids, r.CredentialID)
	}
	return ids, nil
}

// Offered reports, for each reference, whether an offer of vct with that
// reference is stored or a credential of vct was issued for it: an
// interrupted offer-batch drive run again skips those rows.
func (s *Service) Offered(ctx context.Context, vct string, references []string) (map[string]bool, error) {
	want := map[string]string{} // hash -> reference
	for _, r := range references {
		if r != "" {
			want[s.ReferenceHash(r)] = r
		}
	}
	out := map[string]bool{}
	err := s.cfg.Store.View(ctx, func(tx Tx) error {
		out = map[string]bool{}
		return errors.Join(
			tx.ForEachOffer(func(o *StoredOffer) error {
				h := o.ReferenceHash
				if h == "" && o.Reference != "" {
					h = s.ReferenceHash(o.Reference)
				}
				if ref, ok := want[h]; ok && o.VCT == vct {
					out[ref] = true
				}
				return nil
			}),
			tx.ForEachRecord(func(r *Record) error {
				if ref, ok := want[r.ReferenceHash]; ok && r.VCT == vct {
					out[ref] = true
				}
				return nil
			}),
		)
	})
	return out, err
}
