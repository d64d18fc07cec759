package api

import (
	"context"
	"encoding/json"
	"errors"
	"github.com/cairn-id/cairn/issuer"
	"maps"
	"sync"
	"time"
)

// memStore is an in-memory issuer.Store for this package's tests, which cannot
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

func (m *memStore) View(ctx context.Context, fn func(tx issuer.Tx) error) error {
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

func (m *memStore) Update(ctx context.Context, fn func(tx issuer.Tx) error) error {
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

func (m *memStore) Batch(ctx context.Context, fn func(tx issuer.Tx) error) error {
	return m.Update(ctx, fn)
}

func (m *memStore) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	return nil
}

func (m *memStore) dump() (map[string]map[string]string, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := map[string]map[string]string{}
	for b, kv := range m.state {
		out[b] = map[string]string{}
		for k, v := range kv {
			out[b][k] = string(v)
		}
	}
	return out, nil
}

type memTx struct {
	st       memState
	writable bool
}

var errMemReadOnly = errors.New("memstore: write in a read-only transaction")

func memGet[T any](t *memTx, b, k string) (*T, error) {
	raw, ok := t.st[b][k]
	if !ok {
		return nil, issuer.ErrNotFound
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

func (t *memTx) Offer(id string) (*issuer.StoredOffer, error) {
	return memGet[issuer.StoredOffer](t, "offers", id)
}
func (t *memTx) PutOffer(o *issuer.StoredOffer) error { return t.put("offers", o.ID, o) }
func (t *memTx) DeleteOffer(id string) error          { return t.del("offers", id) }
func (t *memTx) ForEachOffer(fn func(*issuer.StoredOffer) error) error {
	return memEach(t, "offers", fn)
}
func (t *memTx) OfferByCode(h string) (string, error) {
	id, err := memGet[string](t, "codes", h)
	if err != nil {
		return "", err
	}
	return *id, nil
}
func (t *memTx) PutCode(h, id string) error { return t.put("codes", h, id) }
func (t *memTx) DeleteCode(h string) error  { return t.del("codes", h) }
func (t *memTx) Token(h string) (*issuer.AccessToken, error) {
	return memGet[issuer.AccessToken](t, "tokens", h)
}
func (t *memTx) PutToken(tok *issuer.AccessToken) error { return t.put("tokens", tok.Hash, tok) }
func (t *memTx) DeleteToken(h string) error             { return t.del("tokens", h) }
func (t *memTx) ForEachToken(fn func(*issuer.AccessToken) error) error {
	return memEach(t, "tokens", fn)
}
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
		return issuer.ErrNotFound
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
func (t *memTx) Record(id string) (*issuer.Record, error) {
	return memGet[issuer.Record](t, "records", id)
}
func (t *memTx) PutRecord(r *issuer.Record) error                  { return t.put("records", r.CredentialID, r) }
func (t *memTx) ForEachRecord(fn func(*issuer.Record) error) error { return memEach(t, "records", fn) }
func (t *memTx) Reservation(id string) (*issuer.Reservation, error) {
	return memGet[issuer.Reservation](t, "reservations", id)
}
func (t *memTx) PutReservation(r *issuer.Reservation) error {
	return t.put("reservations", r.CredentialID, r)
}
func (t *memTx) DeleteReservation(id string) error { return t.del("reservations", id) }
func (t *memTx) ForEachReservation(fn func(*issuer.Reservation) error) error {
	return memEach(t, "reservations", fn)
}
func (t *memTx) StatusList(id string) (*issuer.StatusList, error) {
	return memGet[issuer.StatusList](t, "lists", id)
}
func (t *memTx) StatusListRevision(id string) (uint64, error) {
	l, err := t.StatusList(id)
	if err != nil {
		return 0, err
	}
	return l.Revision, nil
}
func (t *memTx) PutStatusList(l *issuer.StatusList) error { return t.put("lists", l.ID, l) }
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
	if errors.Is(err, issuer.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return *id, nil
}
func (t *memTx) SetCurrentStatusList(id string) error { return t.put("meta", "current_list", id) }

// memFiles are the memStores of memOpen by path: reopening a path finds
// what an earlier Service stored there.
var memFiles sync.Map

// memOpen is a StoreOpener over memStores.
func memOpen(path string) (issuer.Store, error) {
	v, _ := memFiles.LoadOrStore(path, newMemStore())
	m := v.(*memStore)
	m.mu.Lock()
	m.closed = false
	m.mu.Unlock()
	return m, nil
}
