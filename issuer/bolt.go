package issuer

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/cairn-id/cairn/internal/statuslist"
)

var (
	bucketOffers  = []byte("offers")
	bucketCodes   = []byte("codes")
	bucketTokens  = []byte("tokens")
	bucketNonces  = []byte("nonces")
	bucketRecords = []byte("records")
	bucketLists   = []byte("lists")
	bucketMeta    = []byte("meta")
	keyCurrent    = []byte("current_list")
	keyNonceCount = []byte("nonce_count") // entries in bucketNonces, so the cap costs no scan
	allBuckets    = [][]byte{bucketOffers, bucketCodes, bucketTokens, bucketNonces, bucketRecords, bucketLists, bucketMeta}
)

// MaxStoredValue bounds one stored value (an offer with its claims, a
// status list).
const MaxStoredValue = 4 << 20

// BoltStore is the embedded Store: one bbolt file per issuer.
type BoltStore struct {
	db *bolt.DB
}

var _ Store = (*BoltStore)(nil)

// OpenBolt opens (creating if needed) the bbolt file at path. It waits at
// most a second for another process holding the file.
func OpenBolt(path string) (*BoltStore, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return nil, fmt.Errorf("issuer: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		// Recount once at open: a file written before the counter
		// existed, or by a crash between versions, gets a true count.
		return setNonceCount(tx, tx.Bucket(bucketNonces).Stats().KeyN)
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("issuer: prepare %s: %w", path, err)
	}
	return &BoltStore{db: db}, nil
}

// Close closes the file.
func (s *BoltStore) Close() error { return s.db.Close() }

func getJSON(b *bolt.Bucket, key []byte, v any) error {
	raw := b.Get(key)
	if raw == nil {
		return ErrNotFound
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("issuer: stored value is corrupt: %w", err)
	}
	return nil
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if len(raw) > MaxStoredValue {
		return fmt.Errorf("issuer: stored value of %d bytes exceeds %d", len(raw), MaxStoredValue)
	}
	return b.Put(key, raw)
}

func (s *BoltStore) update(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.Update(fn)
}

func (s *BoltStore) view(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(fn)
}

// PutOffer implements Store.
func (s *BoltStore) PutOffer(ctx context.Context, o *StoredOffer) error {
	if o.ID == "" || o.CodeHash == "" {
		return fmt.Errorf("issuer: offer needs an id and a code hash")
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		offers, codes := tx.Bucket(bucketOffers), tx.Bucket(bucketCodes)
		if offers.Get([]byte(o.ID)) != nil || codes.Get([]byte(o.CodeHash)) != nil {
			return ErrExists
		}
		if err := putJSON(offers, []byte(o.ID), o); err != nil {
			return err
		}
		return codes.Put([]byte(o.CodeHash), []byte(o.ID))
	})
}

// GetOffer implements Store.
func (s *BoltStore) GetOffer(ctx context.Context, id string, now time.Time) (*StoredOffer, error) {
	var o StoredOffer
	err := s.view(ctx, func(tx *bolt.Tx) error {
		return getJSON(tx.Bucket(bucketOffers), []byte(id), &o)
	})
	if err != nil {
		return nil, err
	}
	if !now.Before(o.ExpiresAt) {
		return nil, ErrExpired
	}
	return &o, nil
}

// Redeem implements Store.
func (s *BoltStore) Redeem(ctx context.Context, r RedeemRequest) (*StoredOffer, error) {
	var out *StoredOffer
	var txErr error // a wrong code commits the counter, then reports
	err := s.update(ctx, func(tx *bolt.Tx) error {
		offers := tx.Bucket(bucketOffers)
		id := tx.Bucket(bucketCodes).Get([]byte(r.CodeHash))
		if id == nil {
			return ErrNotFound
		}
		var o StoredOffer
		if err := getJSON(offers, id, &o); err != nil {
			return err
		}
		if !r.Now.Before(o.ExpiresAt) {
			return ErrExpired
		}
		switch o.State {
		case OfferPending:
		case OfferLocked:
			return ErrLocked
		default:
			return ErrUsed
		}
		switch {
		case o.TxCodeHash == "" && r.TxCodeHash != "":
			return ErrTxUnwanted
		case o.TxCodeHash != "" && r.TxCodeHash == "":
			return ErrTxRequired
		case o.TxCodeHash != "" && subtle.ConstantTimeCompare([]byte(o.TxCodeHash), []byte(r.TxCodeHash)) != 1:
			o.TxAttempts++
			txErr = ErrTxCode
			if r.MaxAttempts > 0 && o.TxAttempts >= r.MaxAttempts {
				o.State = OfferLocked
				txErr = fmt.Errorf("%w (%w)", ErrTxCode, ErrLocked)
			}
			return putJSON(offers, id, &o)
		}
		o.State = OfferRedeemed
		if err := putJSON(offers, id, &o); err != nil {
			return err
		}
		tok := r.Token
		tok.OfferID = o.ID
		tokens := tx.Bucket(bucketTokens)
		if tok.Hash == "" || tokens.Get([]byte(tok.Hash)) != nil {
			return fmt.Errorf("issuer: access token hash empty or taken: %w", ErrExists)
		}
		if err := putJSON(tokens, []byte(tok.Hash), &tok); err != nil {
			return err
		}
		out = &o
		return nil
	})
	if err != nil {
		return nil, err
	}
	if txErr != nil {
		return nil, txErr
	}
	return out, nil
}

// PeekToken implements Store.
func (s *BoltStore) PeekToken(ctx context.Context, tokenHash string, now time.Time) (*AccessToken, *StoredOffer, error) {
	var tok AccessToken
	var o StoredOffer
	err := s.view(ctx, func(tx *bolt.Tx) error {
		return peek(tx, tokenHash, now, &tok, &o)
	})
	if err != nil {
		return nil, nil, err
	}
	return &tok, &o, nil
}

func peek(tx *bolt.Tx, tokenHash string, now time.Time, tok *AccessToken, o *StoredOffer) error {
	if err := getJSON(tx.Bucket(bucketTokens), []byte(tokenHash), tok); err != nil {
		return err
	}
	if !now.Before(tok.ExpiresAt) {
		return ErrExpired
	}
	if tok.CredentialID != "" {
		return ErrUsed
	}
	if err := getJSON(tx.Bucket(bucketOffers), []byte(tok.OfferID), o); err != nil {
		return err
	}
	if !now.Before(o.ExpiresAt) {
		return ErrExpired
	}
	if o.State != OfferRedeemed {
		return ErrUsed
	}
	return nil
}

// PutNonce implements Store.
func (s *BoltStore) PutNonce(ctx context.Context, nonceHash string, expires time.Time, max int) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketNonces)
		if b.Get([]byte(nonceHash)) != nil {
			return ErrExists
		}
		n, err := nonceCount(tx)
		if err != nil {
			return err
		}
		if max > 0 && n >= max {
			return fmt.Errorf("%w (%d stored)", ErrTooManyNonces, n)
		}
		if err := b.Put([]byte(nonceHash), []byte(strconv.FormatInt(expires.UnixNano(), 10))); err != nil {
			return err
		}
		return setNonceCount(tx, n+1)
	})
}

// NonceCount implements Store.
func (s *BoltStore) NonceCount(ctx context.Context) (int, error) {
	var n int
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		n, err = nonceCount(tx)
		return err
	})
	return n, err
}

func nonceCount(tx *bolt.Tx) (int, error) {
	v := tx.Bucket(bucketMeta).Get(keyNonceCount)
	if v == nil {
		return 0, nil
	}
	n, err := strconv.Atoi(string(v))
	if err != nil || n < 0 {
		return 0, fmt.Errorf("issuer: stored nonce counter is corrupt")
	}
	return n, nil
}

func setNonceCount(tx *bolt.Tx, n int) error {
	if n < 0 {
		n = 0
	}
	return tx.Bucket(bucketMeta).Put(keyNonceCount, []byte(strconv.Itoa(n)))
}

// addNonceCount adds d to the nonce counter.
func addNonceCount(tx *bolt.Tx, d int) error {
	n, err := nonceCount(tx)
	if err != nil {
		return err
	}
	return setNonceCount(tx, n+d)
}

func nonceExpiry(v []byte) (time.Time, error) {
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("issuer: stored nonce is corrupt: %w", err)
	}
	return time.Unix(0, n), nil
}

// Issue implements Store.
func (s *BoltStore) Issue(ctx context.Context, r IssueRequest) (*Record, error) {
	if r.Sign == nil {
		return nil, errors.New("issuer: IssueRequest.Sign is required")
	}
	var rec *Record
	err := s.update(ctx, func(tx *bolt.Tx) error {
		nonces := tx.Bucket(bucketNonces)
		v := nonces.Get([]byte(r.NonceHash))
		if v == nil {
			return fmt.Errorf("%w: %w", ErrNonce, ErrNotFound)
		}
		exp, err := nonceExpiry(v)
		if err != nil {
			return err
		}
		if !r.Now.Before(exp) {
			return fmt.Errorf("%w: %w", ErrNonce, ErrExpired)
		}
		var tok AccessToken
		var o StoredOffer
		if err := peek(tx, r.TokenHash, r.Now, &tok, &o); err != nil {
			return err
		}
		lists := tx.Bucket(bucketLists)
		list, idx, err := allocate(tx.Bucket(bucketMeta), lists, r)
		if err != nil {
			return err
		}
		rec, err = r.Sign(&o, list.ID, idx)
		if err != nil {
			return err
		}
		rec.VCT, rec.StatusList, rec.StatusIndex = o.VCT, list.ID, idx
		rec.IssuedAt, rec.UpdatedAt, rec.State = r.Now, r.Now, StateValid
		records := tx.Bucket(bucketRecords)
		if rec.CredentialID == "" || records.Get([]byte(rec.CredentialID)) != nil {
			return fmt.Errorf("issuer: credential id empty or taken: %w", ErrExists)
		}
		if err := putJSON(records, []byte(rec.CredentialID), rec); err != nil {
			return err
		}
		if err := putJSON(lists, []byte(list.ID), list); err != nil {
			return err
		}
		tok.CredentialID = rec.CredentialID
		if err := putJSON(tx.Bucket(bucketTokens), []byte(tok.Hash), &tok); err != nil {
			return err
		}
		if err := tx.Bucket(bucketOffers).Delete([]byte(o.ID)); err != nil {
			return err
		}
		if err := tx.Bucket(bucketCodes).Delete([]byte(o.CodeHash)); err != nil {
			return err
		}
		if err := nonces.Delete([]byte(r.NonceHash)); err != nil {
			return err
		}
		return addNonceCount(tx, -1)
	})
	if err != nil {
		return nil, err
	}
	return rec, nil
}

// allocate draws a random unused index of the current list, starting a
// new list when it is full.
func allocate(meta, lists *bolt.Bucket, r IssueRequest) (*StatusList, int, error) {
	size := r.StatusListSize
	if size <= 0 || size > statuslist.MaxEntries {
		return nil, 0, fmt.Errorf("issuer: status list size %d out of range", size)
	}
	cur := 0
	if v := meta.Get(keyCurrent); v != nil {
		n, err := strconv.Atoi(string(v))
		if err != nil {
			return nil, 0, fmt.Errorf("issuer: stored list counter is corrupt: %w", err)
		}
		cur = n
	}
	for tries := 0; tries < 2; tries++ {
		if cur == 0 {
			cur = 1
			if err := newList(meta, lists, cur, size); err != nil {
				return nil, 0, err
			}
		}
		var l StatusList
		if err := getJSON(lists, []byte(strconv.Itoa(cur)), &l); err != nil {
			return nil, 0, err
		}
		a := statuslist.NewAllocator(l.Size, r.Rand)
		if err := a.UnmarshalBinary(l.Allocator); err != nil {
			return nil, 0, err
		}
		idx, err := a.Allocate()
		if errors.Is(err, statuslist.ErrListFull) {
			cur++
			if err := newList(meta, lists, cur, size); err != nil {
				return nil, 0, err
			}
			continue
		}
		if err != nil {
			return nil, 0, err
		}
		if l.Allocator, err = a.MarshalBinary(); err != nil {
			return nil, 0, err
		}
		l.Revision++
		return &l, idx, nil
	}
	return nil, 0, ErrListFull
}

func newList(meta, lists *bolt.Bucket, n, size int) error {
	l, err := statuslist.New(2, size)
	if err != nil {
		return err
	}
	alloc, err := statuslist.NewAllocator(size, nil).MarshalBinary()
	if err != nil {
		return err
	}
	id := strconv.Itoa(n)
	if err := putJSON(lists, []byte(id), &StatusList{ID: id, Size: size, Bits: l.Bytes(), Allocator: alloc}); err != nil {
		return err
	}
	return meta.Put(keyCurrent, []byte(id))
}

// Notify implements Store.
func (s *BoltStore) Notify(ctx context.Context, tokenHash, notificationID, event string, now time.Time) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		var tok AccessToken
		if err := getJSON(tx.Bucket(bucketTokens), []byte(tokenHash), &tok); err != nil {
			return fmt.Errorf("%w: %w", ErrBadToken, err)
		}
		if !now.Before(tok.ExpiresAt) {
			return fmt.Errorf("%w: %w", ErrBadToken, ErrExpired)
		}
		if tok.CredentialID == "" {
			return ErrNotFound
		}
		records := tx.Bucket(bucketRecords)
		var rec Record
		if err := getJSON(records, []byte(tok.CredentialID), &rec); err != nil {
			return err
		}
		if rec.NotificationID == "" || subtle.ConstantTimeCompare([]byte(rec.NotificationID), []byte(notificationID)) != 1 {
			return ErrNotFound
		}
		rec.Notification, rec.UpdatedAt = event, now
		return putJSON(records, []byte(rec.CredentialID), &rec)
	})
}

var stateStatus = map[string]uint8{
	StateValid:     statuslist.StatusValid,
	StateRevoked:   statuslist.StatusInvalid,
	StateSuspended: statuslist.StatusSuspended,
}

// SetStatus implements Store. A revoked credential stays revoked.
func (s *BoltStore) SetStatus(ctx context.Context, credentialID, state string, now time.Time) (*Record, error) {
	status, ok := stateStatus[state]
	if !ok {
		return nil, fmt.Errorf("issuer: unknown state %q", state)
	}
	var rec Record
	err := s.update(ctx, func(tx *bolt.Tx) error {
		records, lists := tx.Bucket(bucketRecords), tx.Bucket(bucketLists)
		if err := getJSON(records, []byte(credentialID), &rec); err != nil {
			return err
		}
		if rec.State == StateRevoked && state != StateRevoked {
			return ErrRevoked
		}
		var l StatusList
		if err := getJSON(lists, []byte(rec.StatusList), &l); err != nil {
			return err
		}
		bits, err := setBits(l.Bits, l.Size, rec.StatusIndex, status)
		if err != nil {
			return err
		}
		l.Bits = bits
		l.Revision++
		rec.State, rec.UpdatedAt = state, now
		if err := putJSON(lists, []byte(l.ID), &l); err != nil {
			return err
		}
		return putJSON(records, []byte(rec.CredentialID), &rec)
	})
	if err != nil {
		return nil, err
	}
	return &rec, nil
}

// ErrRevoked: a revoked credential cannot be suspended or reinstated.
var ErrRevoked = errors.New("issuer: credential is revoked for good")

// setBits sets entry idx of a 2-bit packed list (LSB first, §4.1 of the
// status list draft).
func setBits(bits []byte, size, idx int, status uint8) ([]byte, error) {
	if idx < 0 || idx >= size || idx/4 >= len(bits) {
		return nil, statuslist.ErrIndexOutOfRange
	}
	out := append([]byte(nil), bits...)
	shift := uint(idx%4) * 2
	out[idx/4] = out[idx/4]&^(0x3<<shift) | (status&0x3)<<shift
	return out, nil
}

// StatusList implements Store.
func (s *BoltStore) StatusList(ctx context.Context, id string) (*StatusList, error) {
	var l StatusList
	err := s.view(ctx, func(tx *bolt.Tx) error { return getJSON(tx.Bucket(bucketLists), []byte(id), &l) })
	if err != nil {
		return nil, err
	}
	return &l, nil
}

// StatusListRevision implements Store. It decodes only the revision.
func (s *BoltStore) StatusListRevision(ctx context.Context, id string) (uint64, error) {
	var l struct {
		Revision uint64 `json:"revision"`
	}
	err := s.view(ctx, func(tx *bolt.Tx) error { return getJSON(tx.Bucket(bucketLists), []byte(id), &l) })
	return l.Revision, err
}

// Records implements Store.
func (s *BoltStore) Records(ctx context.Context) ([]Record, error) {
	var out []Record
	err := s.view(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketRecords).ForEach(func(k, v []byte) error {
			var r Record
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("issuer: stored record is corrupt: %w", err)
			}
			out = append(out, r)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	sortRecords(out)
	return out, nil
}

func sortRecords(rs []Record) {
	sort.Slice(rs, func(i, j int) bool {
		if !rs[i].IssuedAt.Equal(rs[j].IssuedAt) {
			return rs[i].IssuedAt.Before(rs[j].IssuedAt)
		}
		return rs[i].CredentialID < rs[j].CredentialID
	})
}

// Sweep implements Store.
func (s *BoltStore) Sweep(ctx context.Context, now time.Time) (SweepStats, error) {
	var st SweepStats
	err := s.update(ctx, func(tx *bolt.Tx) error {
		st = SweepStats{}
		offers, codes := tx.Bucket(bucketOffers), tx.Bucket(bucketCodes)
		var dead []StoredOffer
		err := offers.ForEach(func(k, v []byte) error {
			var o StoredOffer
			if err := json.Unmarshal(v, &o); err != nil {
				return fmt.Errorf("issuer: stored offer is corrupt: %w", err)
			}
			if !now.Before(o.ExpiresAt) {
				dead = append(dead, o)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, o := range dead {
			if err := offers.Delete([]byte(o.ID)); err != nil {
				return err
			}
			if err := codes.Delete([]byte(o.CodeHash)); err != nil {
				return err
			}
			st.Offers++
		}
		var deadKeys [][]byte
		nonces := tx.Bucket(bucketNonces)
		err = nonces.ForEach(func(k, v []byte) error {
			exp, err := nonceExpiry(v)
			if err != nil || !now.Before(exp) {
				deadKeys = append(deadKeys, append([]byte(nil), k...))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range deadKeys {
			if err := nonces.Delete(k); err != nil {
				return err
			}
			st.Nonces++
		}
		if err := addNonceCount(tx, -st.Nonces); err != nil {
			return err
		}
		deadKeys = deadKeys[:0]
		tokens := tx.Bucket(bucketTokens)
		err = tokens.ForEach(func(k, v []byte) error {
			var t AccessToken
			if err := json.Unmarshal(v, &t); err != nil || !now.Before(t.ExpiresAt) {
				deadKeys = append(deadKeys, append([]byte(nil), k...))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range deadKeys {
			if err := tokens.Delete(k); err != nil {
				return err
			}
			st.Tokens++
		}
		return nil
	})
	return st, err
}

// dump returns every bucket's contents, for tests that check a failed
// request changed nothing.
func (s *BoltStore) dump() (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			m := map[string]string{}
			out[string(name)] = m
			return b.ForEach(func(k, v []byte) error {
				m[string(k)] = string(v)
				return nil
			})
		})
	})
	return out, err
}
