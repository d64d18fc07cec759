package wallet

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
)

// keyRecord is a sealed holder key: its index and P-256 private scalar.
type keyRecord struct {
	Index     int       `json:"i"`
	D         []byte    `json:"d"`
	CreatedAt time.Time `json:"created_at"`
}

// keyRecordID is the record id of key i (zero-padded, so the store's byte
// order is index order).
func keyRecordID(i int) string { return fmt.Sprintf("%04d", i) }

// newKeys generates n P-256 keys with indices from, from+1, ….
func (s *Service) newKeys(from, n int) ([]keyRecord, error) {
	out := make([]keyRecord, n)
	for i := range out {
		k, err := keys.Generate(jose.ES256, s.cfg.Rand)
		if err != nil {
			return nil, err
		}
		d, err := k.Signer().(*ecdsa.PrivateKey).Bytes()
		if err != nil {
			return nil, fmt.Errorf("wallet: holder key: %w", err)
		}
		out[i] = keyRecord{Index: from + i, D: d, CreatedAt: s.cfg.Now()}
	}
	return out, nil
}

func (k *keyRecord) private() (*keys.PrivateKey, error) {
	p, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), k.D)
	if err != nil {
		return nil, fmt.Errorf("%w: holder key %d: %v", ErrCorrupt, k.Index, err)
	}
	return keys.FromSigner(p)
}

// ErrNoKey: no holder key with that index.
var ErrNoKey = errors.New("wallet: no such holder key")

// HolderKey returns holder key i (its Signer, JoseSigner and PublicJWK),
// e.g. for the key proof of an issuance or the key binding JWT of a
// presentation.
func (s *Service) HolderKey(ctx context.Context, sess *Session, i int) (*keys.PrivateKey, error) {
	var k keyRecord
	err := s.view(ctx, sess, func(tx Tx, l *liveSession) error { return getJSON(tx, l, KindKey, keyRecordID(i), &k) })
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("%w: %d", ErrNoKey, i)
	}
	if err != nil {
		return nil, err
	}
	defer clear(k.D)
	return k.private()
}

// PublicKey is a holder key's index and public JWK.
type PublicKey struct {
	Index int       `json:"index"`
	JWK   *jose.JWK `json:"jwk"`
}

// HolderKeys lists the public holder keys in index order.
func (s *Service) HolderKeys(ctx context.Context, sess *Session) ([]PublicKey, error) {
	var out []PublicKey
	err := s.view(ctx, sess, func(tx Tx, l *liveSession) error {
		out = nil
		return forEachKey(tx, l, func(k *keyRecord) error {
			p, err := k.private()
			if err != nil {
				return err
			}
			out = append(out, PublicKey{Index: k.Index, JWK: p.PublicJWK()})
			return nil
		})
	})
	return out, err
}

func forEachKey(tx Tx, l *liveSession, fn func(k *keyRecord) error) error {
	return tx.ForEachRecord(l.holderID, KindKey, func(id string, b []byte) error {
		var k keyRecord
		if err := openJSON(l, KindKey, id, b, &k); err != nil {
			return err
		}
		defer clear(k.D)
		if keyRecordID(k.Index) != id {
			return fmt.Errorf("%w: key %s holds index %d", ErrCorrupt, id, k.Index)
		}
		return fn(&k)
	})
}

// keyUse is the sealed verifier-to-key assignment.
type keyUse struct {
	// Verifiers maps a verifier id (its client id) to its key index.
	Verifiers map[string]int `json:"verifiers"`
	// Uses counts how often each key index was handed out.
	Uses map[string]int `json:"uses"`
}

// KeyAssignment is the key a verifier is shown.
type KeyAssignment struct {
	Index int
	// New: the verifier had no key before this call.
	New bool
	// Unused is how many keys no verifier has been given yet.
	Unused int
	// Low: no unused key remains, so the next new verifier will share a
	// key with another: time to offer a refresh (RefreshKeys, then
	// re-issuance of the credentials to the new keys).
	Low bool
}

// KeyForVerifier returns the holder key index to present to verifierID:
// the one it was given before, else the least-used key no verifier has,
// else (keys running low) the key shared by the fewest verifiers. The
// assignment is stored sealed; verifier ids never appear in clear.
func (s *Service) KeyForVerifier(ctx context.Context, sess *Session, verifierID string) (*KeyAssignment, error) {
	if verifierID == "" || len(verifierID) > 2048 {
		return nil, fmt.Errorf("%w: verifier id", ErrInvalidRequest)
	}
	var out *KeyAssignment
	err := s.update(ctx, sess, func(tx Tx, l *liveSession) error {
		out = nil
		var u keyUse
		if err := getJSON(tx, l, KindKeyUse, "assignments", &u); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		if u.Verifiers == nil {
			u.Verifiers = map[string]int{}
		}
		if u.Uses == nil {
			u.Uses = map[string]int{}
		}
		var indices []int
		if err := forEachKey(tx, l, func(k *keyRecord) error { indices = append(indices, k.Index); return nil }); err != nil {
			return err
		}
		if len(indices) == 0 {
			return ErrNoKey
		}
		shared := map[int]int{} // index -> verifiers
		for _, i := range u.Verifiers {
			shared[i]++
		}
		a := &KeyAssignment{}
		if i, ok := u.Verifiers[verifierID]; ok {
			a.Index = i
		} else {
			sort.SliceStable(indices, func(x, y int) bool {
				ix, iy := indices[x], indices[y]
				if shared[ix] != shared[iy] {
					return shared[ix] < shared[iy]
				}
				return u.Uses[strconv.Itoa(ix)] < u.Uses[strconv.Itoa(iy)]
			})
			a.Index, a.New = indices[0], true
			u.Verifiers[verifierID] = a.Index
			shared[a.Index]++
		}
		u.Uses[strconv.Itoa(a.Index)]++
		for _, i := range indices {
			if shared[i] == 0 {
				a.Unused++
			}
		}
		a.Low = a.Unused == 0
		out = a
		return s.putJSON(tx, l, KindKeyUse, "assignments", &u)
	})
	return out, err
}

// RefreshKeys adds HolderKeys fresh keys (indices after the highest) and
// returns them; the old keys and the credentials bound to them stay. The
// refresh flow: when KeyForVerifier reports Low, the app offers it, then
// asks each issuer for copies bound to the new keys.
func (s *Service) RefreshKeys(ctx context.Context, sess *Session) ([]PublicKey, error) {
	var out []PublicKey
	err := s.update(ctx, sess, func(tx Tx, l *liveSession) error {
		out = nil
		next := 0
		if err := forEachKey(tx, l, func(k *keyRecord) error { next = max(next, k.Index+1); return nil }); err != nil {
			return err
		}
		if next+s.cfg.HolderKeys > 9999 {
			return fmt.Errorf("%w: too many holder keys", ErrInvalidRequest)
		}
		ks, err := s.newKeys(next, s.cfg.HolderKeys)
		if err != nil {
			return err
		}
		for i := range ks {
			p, err := ks[i].private()
			if err != nil {
				return err
			}
			if err := s.putJSON(tx, l, KindKey, keyRecordID(ks[i].Index), &ks[i]); err != nil {
				return err
			}
			out = append(out, PublicKey{Index: ks[i].Index, JWK: p.PublicJWK()})
		}
		return nil
	})
	return out, err
}
