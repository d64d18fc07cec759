package wallet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"
)

// ErrNoCredential: no credential with that id.
var ErrNoCredential = errors.New("wallet: no such credential")

// MaxCredentialLen bounds a stored compact credential.
const MaxCredentialLen = 256 << 10

// StatusRef is a credential's entry in its issuer's status list.
type StatusRef struct {
	URI   string `json:"uri"`
	Index int    `json:"idx"`
}

// Credential is a stored credential copy, sealed as one record. Copies of
// one credential bound to different holder keys share Group.
type Credential struct {
	// ID is random and opaque ("" in PutCredential: a new one).
	ID       string `json:"id"`
	Group    string `json:"group"`
	KeyIndex int    `json:"key_index"`
	// Format is "" (SD-JWT VC, bound to the key KeyIndex) or FormatJPT
	// (a JSON Proof Token with BBS: no holder binding, KeyIndex only
	// files it).
	Format string `json:"format,omitempty"`
	// IssuerKey is, for a jpt credential, the did:jwk of the issuer's BBS
	// key it was verified with on receipt (a further key of IssuerDID in
	// the registry).
	IssuerKey string `json:"issuer_key,omitempty"`
	VCT       string `json:"vct"`
	// IssuerDID is the iss of the credential.
	IssuerDID  string     `json:"issuer_did"`
	IssuedAt   time.Time  `json:"issued_at"`
	ExpiresAt  time.Time  `json:"expires_at,omitzero"`
	Compact    string     `json:"compact"` // the SD-JWT VC as issued, with every disclosure; or the issued JWP
	Status     *StatusRef `json:"status,omitempty"`
	ReceivedAt time.Time  `json:"received_at"`
}

// checkRecordID accepts the ids this package generates and similar:
// 8 to 64 characters of [A-Za-z0-9_-].
func checkRecordID(id string) error {
	if len(id) < 8 || len(id) > maxRecordIDLen {
		return fmt.Errorf("%w: id of %d characters", ErrInvalidRequest, len(id))
	}
	for _, c := range id {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_') {
			return fmt.Errorf("%w: id characters are [A-Za-z0-9_-]", ErrInvalidRequest)
		}
	}
	return nil
}

// PutCredential stores c sealed (replacing one with the same ID) and
// returns it with its ID, Group ("" means a group of its own) and
// ReceivedAt (zero means now) filled in. Its key index must be a holder
// key's.
func (s *Service) PutCredential(ctx context.Context, sess *Session, c Credential) (*Credential, error) {
	out, err := s.PutCredentials(ctx, sess, []Credential{c})
	if err != nil {
		return nil, err
	}
	return &out[0], nil
}

// PutCredentials stores several credentials in one transaction (all or
// none), e.g. the copies of a batch issuance, one per holder key: give
// them one Group, or leave Group empty on all of them for a new shared
// one. IDs and ReceivedAt are filled in as by PutCredential.
func (s *Service) PutCredentials(ctx context.Context, sess *Session, cs []Credential) ([]Credential, error) {
	if len(cs) == 0 || len(cs) > 10000 {
		return nil, fmt.Errorf("%w: %d credentials", ErrInvalidRequest, len(cs))
	}
	out := slices.Clone(cs)
	var shared string
	for i := range out {
		c := &out[i]
		var err error
		if c.ID == "" {
			if c.ID, err = s.newID(); err != nil {
				return nil, err
			}
		} else if err := checkRecordID(c.ID); err != nil {
			return nil, err
		}
		if c.Group == "" {
			if shared == "" {
				if shared, err = s.newID(); err != nil {
					return nil, err
				}
			}
			c.Group = shared
		} else if err := checkRecordID(c.Group); err != nil {
			return nil, err
		}
		if c.Compact == "" || len(c.Compact) > MaxCredentialLen {
			return nil, fmt.Errorf("%w: a credential needs its compact form (at most %d bytes)", ErrInvalidRequest, MaxCredentialLen)
		}
		if c.ReceivedAt.IsZero() {
			c.ReceivedAt = s.cfg.Now()
		}
	}
	err := s.update(ctx, sess, func(tx Tx, l *liveSession) error {
		for i := range out {
			c := &out[i]
			if _, err := tx.Record(l.holderID, KindKey, keyRecordID(c.KeyIndex)); err != nil {
				if errors.Is(err, ErrNotFound) {
					return fmt.Errorf("%w: %d", ErrNoKey, c.KeyIndex)
				}
				return err
			}
			if err := s.putCredential(tx, l, c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListCredentials returns every credential of the holder, decrypted,
// ordered by ReceivedAt then ID.
func (s *Service) ListCredentials(ctx context.Context, sess *Session) ([]Credential, error) {
	var out []Credential
	err := s.view(ctx, sess, func(tx Tx, l *liveSession) error {
		out = out[:0]
		return tx.ForEachRecord(l.holderID, KindCredential, func(id string, b []byte) error {
			c, err := openCredential(l, id, b)
			if err != nil {
				return err
			}
			out = append(out, *c)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].ReceivedAt.Equal(out[j].ReceivedAt) {
			return out[i].ReceivedAt.Before(out[j].ReceivedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// GetCredential returns one credential.
func (s *Service) GetCredential(ctx context.Context, sess *Session, id string) (*Credential, error) {
	if checkRecordID(id) != nil {
		return nil, ErrNoCredential
	}
	var c *Credential
	err := s.view(ctx, sess, func(tx Tx, l *liveSession) error {
		b, err := tx.Record(l.holderID, KindCredential, id)
		if err != nil {
			return err
		}
		c, err = openCredential(l, id, b)
		return err
	})
	if errors.Is(err, ErrNotFound) {
		return nil, ErrNoCredential
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

// DeleteCredential deletes the credential id and every copy of its group
// (one per holder key), returning how many copies went.
func (s *Service) DeleteCredential(ctx context.Context, sess *Session, id string) (int, error) {
	if checkRecordID(id) != nil {
		return 0, ErrNoCredential
	}
	var n int
	err := s.update(ctx, sess, func(tx Tx, l *liveSession) error {
		n = 0
		b, err := tx.Record(l.holderID, KindCredential, id)
		if err != nil {
			return err
		}
		c, err := openCredential(l, id, b)
		if err != nil {
			return err
		}
		var ids []string
		err = tx.ForEachRecord(l.holderID, KindCredential, func(cid string, b []byte) error {
			o, err := openCredential(l, cid, b)
			if err != nil {
				return err
			}
			if o.Group == c.Group {
				ids = append(ids, cid)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, cid := range ids {
			if err := tx.DeleteRecord(l.holderID, KindCredential, cid); err != nil {
				return err
			}
		}
		n = len(ids)
		return s.forgetStatus(tx, l, c.Group)
	})
	if errors.Is(err, ErrNotFound) {
		return 0, ErrNoCredential
	}
	return n, err
}

// PendingOffer is an offer the holder has previewed and not yet answered
// (receiving keeps what it needs to resume in Data), sealed.
type PendingOffer struct {
	ID        string    `json:"id"`
	Data      []byte    `json:"data"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// MaxPendingLen bounds PendingOffer.Data.
const MaxPendingLen = 64 << 10

// PutPendingOffer stores p sealed (a new random ID when empty; CreatedAt
// now when zero) and returns its ID.
func (s *Service) PutPendingOffer(ctx context.Context, sess *Session, p PendingOffer) (string, error) {
	var err error
	if p.ID == "" {
		if p.ID, err = s.newID(); err != nil {
			return "", err
		}
	} else if err := checkRecordID(p.ID); err != nil {
		return "", err
	}
	if len(p.Data) > MaxPendingLen {
		return "", fmt.Errorf("%w: pending offer too large", ErrInvalidRequest)
	}
	if p.CreatedAt.IsZero() {
		p.CreatedAt = s.cfg.Now()
	}
	err = s.update(ctx, sess, func(tx Tx, l *liveSession) error { return s.putJSON(tx, l, KindPending, p.ID, &p) })
	return p.ID, err
}

// TakePendingOffer returns and deletes a pending offer in one
// transaction (single use): ErrNotFound when absent or expired.
func (s *Service) TakePendingOffer(ctx context.Context, sess *Session, id string) (*PendingOffer, error) {
	if checkRecordID(id) != nil {
		return nil, ErrNotFound
	}
	var p PendingOffer
	err := s.update(ctx, sess, func(tx Tx, l *liveSession) error {
		if err := getJSON(tx, l, KindPending, id, &p); err != nil {
			return err
		}
		return tx.DeleteRecord(l.holderID, KindPending, id)
	})
	if err != nil {
		return nil, err
	}
	if !p.ExpiresAt.IsZero() && !s.cfg.Now().Before(p.ExpiresAt) {
		return nil, fmt.Errorf("%w: pending offer expired", ErrNotFound)
	}
	return &p, nil
}

// SweepPending deletes the holder's expired pending offers.
func (s *Service) SweepPending(ctx context.Context, sess *Session) (int, error) {
	now := s.cfg.Now()
	var n int
	err := s.update(ctx, sess, func(tx Tx, l *liveSession) error {
		var ids []string
		err := tx.ForEachRecord(l.holderID, KindPending, func(id string, b []byte) error {
			var p PendingOffer
			if err := openJSON(l, KindPending, id, b, &p); err != nil {
				return err
			}
			if !p.ExpiresAt.IsZero() && !now.Before(p.ExpiresAt) {
				ids = append(ids, id)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, id := range ids {
			if err := tx.DeleteRecord(l.holderID, KindPending, id); err != nil {
				return err
			}
		}
		n = len(ids)
		return nil
	})
	return n, err
}

// A credential record's plaintext is its JSON without Compact, a newline
// (never inside compact JSON), then Compact: listing then decodes only
// the small JSON part, not the long compact string.

func (s *Service) putCredential(tx Tx, l *liveSession, c *Credential) error {
	meta := *c
	meta.Compact = ""
	js, err := json.Marshal(&meta)
	if err != nil {
		return fmt.Errorf("wallet: encode credential: %w", err)
	}
	pt := append(append(js, '\n'), c.Compact...)
	defer clear(pt)
	nonce, err := s.random(24)
	if err != nil {
		return err
	}
	return tx.PutRecord(l.holderID, KindCredential, c.ID, seal(l.recKey, nonce, pt, recordAD(l.holderID, KindCredential, c.ID)))
}

func openCredential(l *liveSession, id string, sealed []byte) (*Credential, error) {
	pt, err := open(l.recKey, sealed, recordAD(l.holderID, KindCredential, id))
	if err != nil {
		return nil, fmt.Errorf("%w: credential %s", ErrCorrupt, id)
	}
	i := bytes.IndexByte(pt, '\n')
	if i < 0 {
		return nil, fmt.Errorf("%w: credential %s: no separator", ErrCorrupt, id)
	}
	c := new(Credential)
	if err := json.Unmarshal(pt[:i], c); err != nil {
		return nil, fmt.Errorf("%w: credential %s: %v", ErrCorrupt, id, err)
	}
	c.Compact = string(pt[i+1:])
	clear(pt)
	return c, nil
}
