package issuer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"
)

// MemoryStore is a Store held in memory: for tests (this package's, the
// HTTP layer's, the CLI's) and for a throw-away issuer that must not
// touch a disk. It passes the conformance suite of issuer/storetest.
// Every value is kept as JSON, so what a caller holds is a copy; an
// Update works on a copy of the maps and replaces them on commit, under
// one lock (serializable by construction). Nothing survives the process.
type MemoryStore struct {
	mu     sync.RWMutex
	state  memState
	closed bool
}

type memState map[string]map[string][]byte

// The buckets of a MemoryStore (Dump's outer keys).
var memBuckets = []string{"offers", "codes", "tokens", "nonces", "records", "reservations", "lists", "meta"}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	st := memState{}
	for _, b := range memBuckets {
		st[b] = map[string][]byte{}
	}
	return &MemoryStore{state: st}
}

// ErrMemoryClosed is the error of a MemoryStore used after Close.
var ErrMemoryClosed = errors.New("issuer: memory store closed")

// errMemReadOnly is a write in a View transaction.
var errMemReadOnly = errors.New("issuer: memory store: write in a read-only transaction")

// View implements Store.
func (m *MemoryStore) View(ctx context.Context, fn func(tx Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return ErrMemoryClosed
	}
	return fn(&memTx{st: m.state})
}

// Update implements Store.
func (m *MemoryStore) Update(ctx context.Context, fn func(tx Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrMemoryClosed
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

// Batch implements Store: an Update (fn runs once).
func (m *MemoryStore) Batch(ctx context.Context, fn func(tx Tx) error) error {
	return m.Update(ctx, fn)
}

// Close implements Store; the contents stay for a MemoryOpener to reopen.
func (m *MemoryStore) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	return nil
}

// Dump returns every stored value as JSON text, by bucket and key: for
// "this changed nothing" assertions. It holds claim values while offers
// are pending; do not log it.
func (m *MemoryStore) Dump() map[string]map[string]string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := map[string]map[string]string{}
	for b, kv := range m.state {
		out[b] = map[string]string{}
		for k, v := range kv {
			out[b][k] = string(v)
		}
	}
	return out
}

// MemoryOpener returns a StoreOpener over MemoryStores kept by path:
// reopening a path (after Close) finds what was stored there before, as
// with a store file. Each call returns an opener with its own paths.
func MemoryOpener() StoreOpener {
	var mu sync.Mutex
	stores := map[string]*MemoryStore{}
	return func(path string) (Store, error) {
		mu.Lock()
		defer mu.Unlock()
		m, ok := stores[path]
		if !ok {
			m = NewMemoryStore()
			stores[path] = m
		}
		m.mu.Lock()
		m.closed = false
		m.mu.Unlock()
		return m, nil
	}
}

type memTx struct {
	st       memState
	writable bool
}

func memGet[T any](t *memTx, b, k string) (*T, error) {
	raw, ok := t.st[b][k]
	if !ok {
		return nil, ErrNotFound
	}
	v := new(T)
	if err := json.Unmarshal(raw, v); err != nil {
		return nil, fmt.Errorf("issuer: memory store: %s %q: %w", b, k, err)
	}
	return v, nil
}

// add is put of a key not stored yet (ErrExists).
func (t *memTx) add(b, k string, v any) error {
	if _, ok := t.st[b][k]; ok {
		return fmt.Errorf("%w: %s %q", ErrExists, b, k)
	}
	return t.put(b, k, v)
}

func (t *memTx) put(b, k string, v any) error {
	if !t.writable {
		return errMemReadOnly
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("issuer: memory store: %s %q: %w", b, k, err)
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

func memValue[T any](t *memTx, b, k string) (T, error) {
	v, err := memGet[T](t, b, k)
	if err != nil {
		var zero T
		return zero, err
	}
	return *v, nil
}

func (t *memTx) Offer(id string) (*StoredOffer, error) { return memGet[StoredOffer](t, "offers", id) }
func (t *memTx) PutOffer(o *StoredOffer) error         { return t.put("offers", o.ID, o) }
func (t *memTx) DeleteOffer(id string) error           { return t.del("offers", id) }
func (t *memTx) ForEachOffer(fn func(*StoredOffer) error) error {
	return memEach(t, "offers", fn)
}
func (t *memTx) OfferByCode(h string) (string, error)           { return memValue[string](t, "codes", h) }
func (t *memTx) PutCode(h, id string) error                     { return t.put("codes", h, id) }
func (t *memTx) DeleteCode(h string) error                      { return t.del("codes", h) }
func (t *memTx) Token(h string) (*AccessToken, error)           { return memGet[AccessToken](t, "tokens", h) }
func (t *memTx) PutToken(tok *AccessToken) error                { return t.put("tokens", tok.Hash, tok) }
func (t *memTx) AddToken(tok *AccessToken) error                { return t.add("tokens", tok.Hash, tok) }
func (t *memTx) DeleteToken(h string) error                     { return t.del("tokens", h) }
func (t *memTx) ForEachToken(fn func(*AccessToken) error) error { return memEach(t, "tokens", fn) }
func (t *memTx) Nonce(h string) (time.Time, error)              { return memValue[time.Time](t, "nonces", h) }
func (t *memTx) PutNonce(h string, exp time.Time) error         { return t.put("nonces", h, exp) }
func (t *memTx) AddNonce(h string, exp time.Time) error         { return t.add("nonces", h, exp) }
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
func (t *memTx) AddRecord(r *Record) error                  { return t.add("records", r.CredentialID, r) }
func (t *memTx) ForEachRecord(fn func(*Record) error) error { return memEach(t, "records", fn) }
func (t *memTx) Reservation(id string) (*Reservation, error) {
	return memGet[Reservation](t, "reservations", id)
}
func (t *memTx) PutReservation(r *Reservation) error { return t.put("reservations", r.CredentialID, r) }
func (t *memTx) AddReservation(r *Reservation) error { return t.add("reservations", r.CredentialID, r) }
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
	return t.updateList(id, func(l *StatusList) { l.Bits, l.Revision = bits, rev })
}
func (t *memTx) PutStatusListAllocator(id string, a []byte, rev uint64) error {
	return t.updateList(id, func(l *StatusList) { l.Allocator, l.Revision = a, rev })
}
func (t *memTx) StatusListSize(id string) (int, error) {
	l, err := t.StatusList(id)
	if err != nil {
		return 0, err
	}
	return l.Size, nil
}
func (t *memTx) ClaimStatusIndex(id string, idx int) error {
	l, err := t.StatusList(id)
	if err != nil {
		return err
	}
	a, err := ClaimInAllocatorState(l.Allocator, idx)
	if err != nil {
		return err
	}
	l.Allocator = a
	return t.PutStatusList(l)
}
func (t *memTx) StatusListAllocation(id string) ([]byte, error) {
	l, err := t.StatusList(id)
	if err != nil {
		return nil, err
	}
	return l.Allocator, nil
}
func (t *memTx) updateList(id string, change func(*StatusList)) error {
	l, err := t.StatusList(id)
	if err != nil {
		return err
	}
	change(l)
	return t.PutStatusList(l)
}
func (t *memTx) CurrentStatusList() (string, error) {
	id, err := memValue[string](t, "meta", "current_list")
	if errors.Is(err, ErrNotFound) {
		return "", nil
	}
	return id, err
}
func (t *memTx) SetCurrentStatusList(id string) error { return t.put("meta", "current_list", id) }
