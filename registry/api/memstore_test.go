package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"

	"github.com/cairn-id/cairn/registry"
)

// memStore is a registry.Store in memory, enough for the HTTP tests (the
// stores themselves are tested by registry/storetest). Failing makes
// every call fail, for the internal-error paths.
type memStore struct {
	mu        sync.Mutex
	state     []byte
	snapshots map[uint64]string
	latest    uint64
	failing   error
}

func newMemStore() *memStore { return &memStore{snapshots: map[uint64]string{}} }

func (m *memStore) Get(context.Context) (*registry.State, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failing != nil {
		return nil, m.failing
	}
	if m.state == nil {
		return nil, registry.ErrNotInitialized
	}
	var st registry.State
	return &st, json.Unmarshal(m.state, &st)
}

func (m *memStore) put(st *registry.State) (uint64, error) {
	var stored uint64
	if m.state != nil {
		var cur registry.State
		if err := json.Unmarshal(m.state, &cur); err != nil {
			return 0, err
		}
		stored = cur.Revision
	}
	if stored != st.Revision {
		return 0, registry.ErrConflict
	}
	next := *st
	next.Revision = stored + 1
	b, err := json.Marshal(&next)
	if err != nil {
		return 0, err
	}
	m.state = b
	return next.Revision, nil
}

func (m *memStore) Put(_ context.Context, st *registry.State) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.put(st)
}

func (m *memStore) Publish(_ context.Context, st *registry.State, compact string) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v := st.Registry.Version
	if _, ok := m.snapshots[v]; ok {
		return 0, registry.ErrVersionExists
	}
	rev, err := m.put(st)
	if err != nil {
		return 0, err
	}
	m.snapshots[v] = compact
	if v > m.latest {
		m.latest = v
	}
	return rev, nil
}

func (m *memStore) Latest(context.Context) (uint64, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failing != nil {
		return 0, "", m.failing
	}
	if m.latest == 0 {
		return 0, "", registry.ErrNoSnapshot
	}
	return m.latest, m.snapshots[m.latest], nil
}

func (m *memStore) Snapshot(_ context.Context, v uint64) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.snapshots[v]
	if !ok {
		return "", registry.ErrNoSnapshot
	}
	return s, nil
}

func (m *memStore) Close() error { return nil }

func (m *memStore) fail(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failing = err
}

var errDisk = errors.New("disk on fire")
