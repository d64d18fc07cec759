package wallet

import (
	"bytes"
	"context"
	"crypto/cipher"
	"encoding/binary"
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
		o := newCredentialOpener(l)
		return tx.ForEachRecord(l.holderID, KindCredential, func(id string, b []byte) error {
			c, err := o.open(id, b)
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
		op := newCredentialOpener(l)
		err = tx.ForEachRecord(l.holderID, KindCredential, func(cid string, b []byte) error {
			o, err := op.open(cid, b)
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

// A credential record's plaintext is its metadata, then Compact, so
// that listing decodes only the short metadata and copies the compact
// form once:
//
//   - format 2 (written since): the byte credentialMetaV2, then ID,
//     Group, KeyIndex, VCT, IssuerDID, Format, IssuerKey, IssuedAt,
//     ExpiresAt, ReceivedAt and Status (a presence byte, then URI and
//     Index), strings and times length-prefixed (uvarint; times in
//     time.Time's binary form), integers as varints; then Compact, to
//     the end;
//   - format 1 (read only): format 2 without Format and IssuerKey (an
//     SD-JWT VC);
//   - format 0 (read only, records written before): the metadata's JSON
//     without Compact, a newline (never inside compact JSON), then
//     Compact.
//
// Formats 1 and 2 cost a fraction of a JSON decode per record, which a listing
// of 1,000 credentials does 1,000 times.

// credentialMetaV1 and credentialMetaV2 start a format 1 or 2
// plaintext (JSON starts with '{').
const (
	credentialMetaV1 = 0x01
	credentialMetaV2 = 0x02
)

func (s *Service) putCredential(tx Tx, l *liveSession, c *Credential) error {
	pt, err := encodeCredential(c)
	if err != nil {
		return err
	}
	defer clear(pt)
	nonce, err := s.random(24)
	if err != nil {
		return err
	}
	return tx.PutRecord(l.holderID, KindCredential, c.ID, seal(l.recKey, nonce, pt, recordAD(l.holderID, KindCredential, c.ID)))
}

// encodeCredential is c's record plaintext, format 2.
func encodeCredential(c *Credential) ([]byte, error) {
	b := make([]byte, 0, 160+len(c.ID)+len(c.Group)+len(c.VCT)+len(c.IssuerDID)+len(c.Compact))
	str := func(s string) { b = append(binary.AppendUvarint(b, uint64(len(s))), s...) }
	tm := func(t time.Time) error {
		tb, err := t.MarshalBinary()
		if err != nil {
			return fmt.Errorf("%w: time %v: %w", ErrInvalidRequest, t, err)
		}
		str(string(tb))
		return nil
	}
	b = append(b, credentialMetaV2)
	str(c.ID)
	str(c.Group)
	b = binary.AppendVarint(b, int64(c.KeyIndex))
	str(c.VCT)
	str(c.IssuerDID)
	str(c.Format)
	str(c.IssuerKey)
	for _, t := range []time.Time{c.IssuedAt, c.ExpiresAt, c.ReceivedAt} {
		if err := tm(t); err != nil {
			return nil, err
		}
	}
	if c.Status == nil {
		b = append(b, 0)
	} else {
		b = append(b, 1)
		str(c.Status.URI)
		b = binary.AppendVarint(b, int64(c.Status.Index))
	}
	return append(b, c.Compact...), nil
}

// errCredentialFormat: a record plaintext that does not decode.
var errCredentialFormat = errors.New("malformed credential record")

// decodeCredential parses a record plaintext (format 2, 1 or 0). It
// does not keep pt.
func decodeCredential(pt []byte) (*Credential, error) {
	if len(pt) > 0 && pt[0] == '{' {
		return decodeCredentialJSON(pt)
	}
	if len(pt) == 0 || (pt[0] != credentialMetaV1 && pt[0] != credentialMetaV2) {
		return nil, errCredentialFormat
	}
	v2 := pt[0] == credentialMetaV2
	// One copy of the plaintext holds every string of the credential
	// (they share it) and Compact.
	d := metaDecoder{b: pt[1:], s: string(pt[1:])}
	c := new(Credential)
	c.ID = d.str()
	c.Group = d.str()
	c.KeyIndex = d.int()
	c.VCT = d.str()
	c.IssuerDID = d.str()
	if v2 {
		c.Format = d.str()
		c.IssuerKey = d.str()
	}
	c.IssuedAt = d.time()
	c.ExpiresAt = d.time()
	c.ReceivedAt = d.time()
	switch d.byte() {
	case 0:
	case 1:
		c.Status = &StatusRef{URI: d.str()}
		c.Status.Index = d.int()
	default:
		d.err = true
	}
	if d.err {
		return nil, errCredentialFormat
	}
	c.Compact = d.s[d.pos:]
	return c, nil
}

func decodeCredentialJSON(pt []byte) (*Credential, error) {
	i := bytes.IndexByte(pt, '\n')
	if i < 0 {
		return nil, fmt.Errorf("%w: no separator", errCredentialFormat)
	}
	c := new(Credential)
	if err := json.Unmarshal(pt[:i], c); err != nil {
		return nil, fmt.Errorf("%w: %w", errCredentialFormat, err)
	}
	c.Compact = string(pt[i+1:])
	return c, nil
}

// metaDecoder reads format 1 metadata from b at pos; s is a copy of b
// that strings are cut from. err sticks at the first fault.
type metaDecoder struct {
	b   []byte
	s   string
	pos int
	err bool
}

func (d *metaDecoder) byte() byte {
	if d.err || d.pos >= len(d.b) {
		d.err = true
		return 0
	}
	d.pos++
	return d.b[d.pos-1]
}

// span returns the bounds of a length-prefixed field.
func (d *metaDecoder) span() (int, int) {
	if d.err {
		return 0, 0
	}
	n, k := binary.Uvarint(d.b[d.pos:])
	if k <= 0 || n > uint64(len(d.b)-d.pos-k) {
		d.err = true
		return 0, 0
	}
	start := d.pos + k
	d.pos = start + int(n)
	return start, d.pos
}

func (d *metaDecoder) str() string {
	i, j := d.span()
	return d.s[i:j]
}

func (d *metaDecoder) int() int {
	if d.err {
		return 0
	}
	v, k := binary.Varint(d.b[d.pos:])
	if k <= 0 || v != int64(int(v)) {
		d.err = true
		return 0
	}
	d.pos += k
	return int(v)
}

func (d *metaDecoder) time() time.Time {
	var t time.Time
	if i, j := d.span(); !d.err && t.UnmarshalBinary(d.b[i:j]) != nil {
		d.err = true
	}
	return t
}

// credentialOpener opens a holder's credential records, one AEAD and
// one plaintext buffer for all (a listing opens many).
type credentialOpener struct {
	l    *liveSession
	aead cipher.AEAD
	buf  []byte
}

func newCredentialOpener(l *liveSession) *credentialOpener {
	return &credentialOpener{l: l, aead: newAEAD(l.recKey)}
}

// open decrypts and decodes the record id; the plaintext buffer is
// cleared before the next record and by done.
func (o *credentialOpener) open(id string, sealed []byte) (*Credential, error) {
	pt, err := openWith(o.aead, o.buf[:0], sealed, recordAD(o.l.holderID, KindCredential, id))
	if err != nil {
		return nil, fmt.Errorf("%w: credential %s", ErrCorrupt, id)
	}
	o.buf = pt
	defer clear(pt)
	c, err := decodeCredential(pt)
	if err != nil {
		return nil, fmt.Errorf("%w: credential %s: %w", ErrCorrupt, id, err)
	}
	return c, nil
}

func openCredential(l *liveSession, id string, sealed []byte) (*Credential, error) {
	return newCredentialOpener(l).open(id, sealed)
}
