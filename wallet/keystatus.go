package wallet

import (
	"context"
	"errors"
	"strconv"
)

// KeyState is one holder key as the holder's app shows it: how many
// verifiers were given it and how often it was presented. Verifier ids
// stay sealed.
type KeyState struct {
	Index     int  `json:"index"`
	Used      bool `json:"used"`
	Verifiers int  `json:"verifiers"`
	Uses      int  `json:"uses"`
}

// KeyStatus is the holder's keys at a glance: Low says no unused key
// remains (time to offer RefreshKeys and re-issuance).
type KeyStatus struct {
	Keys   []KeyState `json:"keys"`
	Unused int        `json:"unused"`
	Low    bool       `json:"low"`
}

// KeyStatus returns the use of each holder key, in index order, without
// changing anything.
func (s *Service) KeyStatus(ctx context.Context, sess *Session) (*KeyStatus, error) {
	out := &KeyStatus{}
	err := s.view(ctx, sess, func(tx Tx, l *liveSession) error {
		out.Keys, out.Unused = nil, 0
		var u keyUse
		if err := getJSON(tx, l, KindKeyUse, "assignments", &u); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		shared := map[int]int{}
		for _, i := range u.Verifiers {
			shared[i]++
		}
		return forEachKey(tx, l, func(k *keyRecord) error {
			st := KeyState{Index: k.Index, Verifiers: shared[k.Index], Uses: u.Uses[strconv.Itoa(k.Index)]}
			st.Used = st.Verifiers > 0
			if !st.Used {
				out.Unused++
			}
			out.Keys = append(out.Keys, st)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	out.Low = out.Unused == 0
	return out, nil
}
