package issuer

import (
	"context"
	"time"

	"github.com/cairn-id/cairn/internal/statuslist"
)

// StatusListToken signs the current state of a status list (§5.1).
func (s *Service) StatusListToken(l *StatusList) (string, error) {
	e, err := s.signStatusList(l, s.cfg.Now())
	return e.token, err
}

func (s *Service) signStatusList(l *StatusList, now time.Time) (cachedStatusList, error) {
	lst, err := statuslist.New(2, l.Size)
	if err != nil {
		return cachedStatusList{}, err
	}
	for i, b := range l.Bits {
		if b == 0 {
			continue
		}
		for j := 0; j < 4; j++ {
			if v := (b >> (2 * j)) & 0x3; v != 0 && i*4+j < l.Size {
				if err := lst.Set(i*4+j, v); err != nil {
					return cachedStatusList{}, err
				}
			}
		}
	}
	tok, err := lst.SignToken(s.signer, statuslist.TokenOptions{
		Subject: s.StatusListURI(l.ID), Issuer: s.did, IssuedAt: now,
		ExpiresIn: StatusListTokenLifetime, TTL: StatusListTokenTTL,
	})
	if err != nil {
		return cachedStatusList{}, err
	}
	return cachedStatusList{revision: l.Revision, token: tok, iat: now, exp: now.Add(StatusListTokenLifetime)}, nil
}

// statusListToken returns the signed token of list id: the cached one
// when the store's revision is the cached one's, else a new signature.
func (s *Service) statusListToken(ctx context.Context, id string, now time.Time) (cachedStatusList, error) {
	rev, err := s.StatusListRevision(ctx, id)
	if err != nil {
		return cachedStatusList{}, err
	}
	if e, ok := s.statusCache.get(id, rev, now); ok {
		s.counters().StatusListCache(true)
		return e, nil
	}
	s.counters().StatusListCache(false)
	l, err := s.StatusList(ctx, id)
	if err != nil {
		return cachedStatusList{}, err
	}
	e, err := s.signStatusList(l, now)
	if err != nil {
		return cachedStatusList{}, err
	}
	s.statusCache.put(id, e)
	return e, nil
}

// SignedStatusList returns the Status List Token of list id (ErrNotFound)
// and its exp: the token cached for the list's current revision, or a new
// signature.
func (s *Service) SignedStatusList(ctx context.Context, id string) (token string, exp time.Time, err error) {
	e, err := s.statusListToken(ctx, id, s.cfg.Now())
	return e.token, e.exp, err
}
