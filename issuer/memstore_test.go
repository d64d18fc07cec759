package issuer

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"sync"
	"time"
)

// memStore is an in-memory Store for this package's tests, which cannot
// import issuer/boltstore (it imports issuer). Every value is kept as
// JSON, so what a caller holds is a copy; a transaction works on a copy
// of the maps and replaces them on commit.
type memStore struct {
	mu     sync.RWMutex
	state  memState
	closed bool
}

type memState map[string]map[string][]byte

var memBuckets = []string{"offers", "codes", "tokens", "nonces", "records", "reservations", "lists", "meta"}

func newMemStore() *memStore {
	st := memState{}
	for _, b := range memBuckets {
		st[b] = map[string][]byte{}
	}
	return &memStore{state: st}
}

var errMemClosed = errors.New("memstore: closed")

func (m *memStore) View(ctx context.Context, fn func(tx Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return errMemClosed
	}
	return fn(&memTx{st: m.state})
}

func (m *memStore) Update(ctx context.Context, fn func(tx Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return errMemClosed
	}
	work := memState{}
	for b, kv := range m.state {
		work[b] = maps.Clone(kv)
	}
	if err := fn(&memTx{st: work, writable: true}); err != nil {
		return err
	}
	m.state = work
	return nil
}

func (m *memStore) Batch(ctx context.Context, fn func(tx Tx) error) error { return m.Update(ctx, fn) }

func (m *memStore) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	return nil
}

type memTx struct {
	st       memState
	writable bool
}

var errMemReadOnly = errors.New("memstore: write in a read-only transaction")

func memGet[T any](t *memTx, b, k string) (*T, error) {
	raw, ok := t.st[b][k]
	if !ok {
		return nil, ErrNotFound
	}
	v := new(T)
	return v, json.Unmarshal(raw, v)
}

func (t *memTx) put(b, k string, v any) error {
	if !t.writable {
		return errMemReadOnly
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	t.st[b][k] = raw
	return nil
}

func (t *memTx) del(b, k string) error {
	if !t.writable {
		return errMemReadOnly
	}
	delete(t.st[b], k)
	return nil
}

func memEach[T any](t *memTx, b string, fn func(*T) error) error {
	for k := range t.st[b] {
		v, err := memGet[T](t, b, k)
		if err != nil {
			return err
		}
		if err := fn(v); err != nil {
			return err
		}
	}
	return nil
}

func (t *memTx) Offer(id string) (*StoredOffer, error) { return memGet[StoredOffer](t, "offers", id) }
func (t *memTx) PutOffer(o *StoredOffer) error         { return t.put("offers", o.ID, o) }
func (t *memTx) DeleteOffer(id string) error           { return t.del("offers", id) }
func (t *memTx) ForEachOffer(fn func(*StoredOffer) error) error {
	return memEach(t, "offers", fn)
}
func (t *memTx) OfferByCode(h string) (string, error) {
	id, err := memGet[string](t, "codes", h)
	if err != nil {
		return "", err
	}
	return *id, nil
}
func (t *memTx) PutCode(h, id string) error                     { return t.put("codes", h, id) }
func (t *memTx) DeleteCode(h string) error                      { return t.del("codes", h) }
func (t *memTx) Token(h string) (*AccessToken, error)           { return memGet[AccessToken](t, "tokens", h) }
func (t *memTx) PutToken(tok *AccessToken) error                { return t.put("tokens", tok.Hash, tok) }
func (t *memTx) DeleteToken(h string) error                     { return t.del("tokens", h) }
func (t *memTx) ForEachToken(fn func(*AccessToken) error) error { return memEach(t, "tokens", fn) }
func (t *memTx) Nonce(h string) (time.Time, error) {
	exp, err := memGet[time.Time](t, "nonces", h)
	if err != nil {
		return time.Time{}, err
	}
	return *exp, nil
}
func (t *memTx) PutNonce(h string, exp time.Time) error { return t.put("nonces", h, exp) }
func (t *memTx) DeleteNonce(h string) error {
	if _, ok := t.st["nonces"][h]; !ok {
		return ErrNotFound
	}
	return t.del("nonces", h)
}
func (t *memTx) NonceCount() (int, error) { return len(t.st["nonces"]), nil }
func (t *memTx) ForEachNonce(fn func(string, time.Time) error) error {
	for h := range t.st["nonces"] {
		exp, err := t.Nonce(h)
		if err != nil {
			return err
		}
		if err := fn(h, exp); err != nil {
			return err
		}
	}
	return nil
}
func (t *memTx) Record(id string) (*Record, error)          { return memGet[Record](t, "records", id) }
func (t *memTx) PutRecord(r *Record) error                  { return t.put("records", r.CredentialID, r) }
func (t *memTx) ForEachRecord(fn func(*Record) error) error { return memEach(t, "records", fn) }
func (t *memTx) Reservation(id string) (*Reservation, error) {
	return memGet[Reservation](t, "reservations", id)
}
func (t *memTx) PutReservation(r *Reservation) error { return t.put("reservations", r.CredentialID, r) }
func (t *memTx) DeleteReservation(id string) error   { return t.del("reservations", id) }
func (t *memTx) ForEachReservation(fn func(*Reservation) error) error {
	return memEach(t, "reservations", fn)
}
func (t *memTx) StatusList(id string) (*StatusList, error) { return memGet[StatusList](t, "lists", id) }
func (t *memTx) StatusListRevision(id string) (uint64, error) {
	l, err := t.StatusList(id)
	if err != nil {
		return 0, err
	}
	return l.Revision, nil
}
func (t *memTx) PutStatusList(l *StatusList) error { return t.put("lists", l.ID, l) }
func (t *memTx) PutStatusListBits(id string, bits []byte, rev uint64) error {
	l, err := t.StatusList(id)
	if err != nil {
		return err
	}
	l.Bits, l.Revision = bits, rev
	return t.PutStatusList(l)
}
func (t *memTx) PutStatusListAllocator(id string, a []byte, rev uint64) error {
	l, err := t.StatusList(id)
	if err != nil {
		return err
	}
	l.Allocator, l.Revision = a, rev
	return t.PutStatusList(l)
}
func (t *memTx) CurrentStatusList() (string, error) {
	id, err := memGet[string](t, "meta", "current_list")
	if errors.Is(err, ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return *id, nil
}
func (t *memTx) SetCurrentStatusList(id string) error { return t.put("meta", "current_list", id) }
