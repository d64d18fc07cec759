package wallet

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// CreateRequest creates a holder.
type CreateRequest struct {
	PIN string
	// DeviceSecret is at least 32 random bytes the holder's app keeps
	// and sends with every unlock; the agent never stores it.
	DeviceSecret []byte
	// Lang is the holder's language (a BCP 47 tag, kept sealed).
	Lang string
}

// Created is a new holder. RecoveryCode is shown to the holder once and
// never stored: only the data key wrapped under it, and a keyed hash of
// it to find the holder, are.
type Created struct {
	HolderID     string
	RecoveryCode string
}

// Settings are a holder's preferences (a sealed record).
type Settings struct {
	Lang string `json:"lang,omitempty"`
}

// CreateHolder creates a holder with a fresh data key, wrapped under the
// PIN, the device secret and the pepper, and separately under a new
// recovery code; HolderKeys holder keys; its settings; and an empty
// consent log.
func (s *Service) CreateHolder(ctx context.Context, r CreateRequest) (*Created, error) {
	if err := CheckPIN(r.PIN); err != nil {
		return nil, err
	}
	if err := checkDeviceSecret(r.DeviceSecret); err != nil {
		return nil, err
	}
	if len(r.Lang) > maxLangLen {
		return nil, fmt.Errorf("%w: language tag too long", ErrInvalidRequest)
	}
	id, err := s.newID()
	if err != nil {
		return nil, err
	}
	dataKey, err := s.random(DataKeyLen)
	if err != nil {
		return nil, err
	}
	defer clear(dataKey)
	code, err := s.random(recoveryCodeBytes)
	if err != nil {
		return nil, err
	}
	h := &Holder{ID: id, Format: FormatV1, CreatedAt: s.cfg.Now()}
	if err := s.wrapPIN(ctx, h, dataKey, r.PIN, r.DeviceSecret); err != nil {
		return nil, err
	}
	if err := s.wrapRecovery(ctx, h, dataKey, code); err != nil {
		return nil, err
	}
	l := &liveSession{holderID: id, dataKey: dataKey, recKey: hkdfKey(dataKey, infoRecords)}
	defer clear(l.recKey)
	hks, err := s.newKeys(0, s.cfg.HolderKeys)
	if err != nil {
		return nil, err
	}
	err = s.cfg.Store.Update(ctx, func(tx Tx) error {
		if _, err := tx.Holder(id); !errors.Is(err, ErrNotFound) {
			if err == nil {
				err = fmt.Errorf("wallet: holder id %s taken", id)
			}
			return err
		}
		if err := tx.PutHolder(h); err != nil {
			return err
		}
		if err := tx.PutRecoveryLookup(h.RecoveryLookup, id); err != nil {
			return err
		}
		for i := range hks {
			if err := s.putJSON(tx, l, KindKey, keyRecordID(hks[i].Index), &hks[i]); err != nil {
				return err
			}
		}
		if err := s.putJSON(tx, l, KindSettings, "settings", &Settings{Lang: r.Lang}); err != nil {
			return err
		}
		return s.putJSON(tx, l, KindLogHead, "head", &logHead{})
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("wallet: holder created", "holder", id, "keys", len(hks))
	return &Created{HolderID: id, RecoveryCode: formatRecoveryCode(code)}, nil
}

// wrapPIN sets h's PIN salt and parameters and wraps dataKey under them.
func (s *Service) wrapPIN(ctx context.Context, h *Holder, dataKey []byte, pin string, device []byte) error {
	salt, err := s.random(SaltLen)
	if err != nil {
		return err
	}
	nonce, err := s.random(24)
	if err != nil {
		return err
	}
	var kek []byte
	if err := s.kdf(ctx, func() { kek = pinKEK(s.cfg.KDF, pin, salt, device, s.cfg.Pepper, h.ID) }); err != nil {
		return err
	}
	defer clear(kek)
	h.PINKDF, h.PINSalt = s.cfg.KDF, salt
	h.WrappedByPIN = seal(kek, nonce, dataKey, wrapAD(h.ID, "pin"))
	return nil
}

// wrapRecovery sets h's recovery salt, parameters and lookup and wraps
// dataKey under the recovery code.
func (s *Service) wrapRecovery(ctx context.Context, h *Holder, dataKey, code []byte) error {
	salt, err := s.random(SaltLen)
	if err != nil {
		return err
	}
	nonce, err := s.random(24)
	if err != nil {
		return err
	}
	var kek []byte
	if err := s.kdf(ctx, func() { kek = recoveryKEK(s.cfg.KDF, code, salt, s.cfg.Pepper, h.ID) }); err != nil {
		return err
	}
	defer clear(kek)
	h.RecoveryKDF, h.RecoverySalt = s.cfg.KDF, salt
	h.WrappedByRecovery = seal(kek, nonce, dataKey, wrapAD(h.ID, "recovery"))
	h.RecoveryLookup = recoveryLookup(s.cfg.Pepper, code)
	return nil
}

// UnwrapWithPIN derives the PIN key-encryption key of h and opens its
// data key: the check a login makes, without lockout or sessions. It is
// exported for tests and tools that show what a given set of secrets
// opens (nothing, without the device secret).
func UnwrapWithPIN(h *Holder, pin string, device, pepper []byte) ([]byte, error) {
	if err := h.PINKDF.Check(); err != nil {
		return nil, err
	}
	kek := pinKEK(h.PINKDF, pin, h.PINSalt, device, pepper, h.ID)
	defer clear(kek)
	dk, err := open(kek, h.WrappedByPIN, wrapAD(h.ID, "pin"))
	if err != nil || len(dk) != DataKeyLen {
		return nil, ErrUnlock
	}
	return dk, nil
}

// LoginRequest unlocks a holder.
type LoginRequest struct {
	HolderID     string
	PIN          string
	DeviceSecret []byte
	// ClientAddr is the client's address for the per-address limit (""
	// for none, e.g. embedded on the phone).
	ClientAddr string
}

// Login unlocks a holder and opens a session. A wrong PIN or device
// secret (ErrUnlock) counts against the holder (stored: FailedPINs,
// LockedUntil) and the client address (in memory); past the free
// attempts each further one locks for twice as long (a *LockedError).
// Attempts are counted before the derivation, so parallel guesses are
// counted too.
func (s *Service) Login(ctx context.Context, r LoginRequest) (*Session, error) {
	dk, _, sess, err := s.unlock(ctx, r, true)
	clear(dk)
	return sess, err
}

// unlock checks the limits, counts the attempt, derives and opens the data
// key; on success it resets the holder's counter and returns the key, the
// holder's epoch and, when open is set, a session stored in the same transaction (so a PIN
// change that won the race leaves no session of the old epoch).
func (s *Service) unlock(ctx context.Context, r LoginRequest, open bool) ([]byte, uint64, *Session, error) {
	if err := CheckPIN(r.PIN); err != nil {
		return nil, 0, nil, err
	}
	if err := checkDeviceSecret(r.DeviceSecret); err != nil {
		return nil, 0, nil, err
	}
	now := s.cfg.Now()
	if err := s.addrs.reserve(r.ClientAddr, now); err != nil {
		return nil, 0, nil, err
	}
	var h *Holder
	err := s.cfg.Store.Update(ctx, func(tx Tx) (err error) {
		h, err = tx.Holder(r.HolderID)
		if err != nil {
			return err
		}
		if now.Before(h.LockedUntil) {
			return &LockedError{Scope: "holder", Until: h.LockedUntil}
		}
		h.FailedPINs++
		if d := s.cfg.HolderLockout.Delay(h.FailedPINs); d > 0 {
			h.LockedUntil = now.Add(d)
		}
		return tx.PutHolder(h)
	})
	if errors.Is(err, ErrNotFound) {
		return nil, 0, nil, ErrUnlock
	}
	if err != nil {
		return nil, 0, nil, err
	}
	var dk []byte
	var uerr error
	if err := s.kdf(ctx, func() { dk, uerr = UnwrapWithPIN(h, r.PIN, r.DeviceSecret, s.cfg.Pepper) }); err != nil {
		return nil, 0, nil, err
	}
	if uerr != nil {
		s.log.Warn("wallet: wrong PIN or device secret", "holder", h.ID, "failures", h.FailedPINs)
		return nil, 0, nil, ErrUnlock
	}
	s.addrs.forgive(r.ClientAddr)
	var rec *SessionRecord
	var sess *Session
	var l *liveSession
	if open {
		if rec, sess, l, err = s.newSession(h.ID, h.Epoch, dk); err != nil {
			clear(dk)
			return nil, 0, nil, err
		}
	}
	err = s.cfg.Store.Update(ctx, func(tx Tx) error {
		cur, err := tx.Holder(h.ID)
		if err != nil {
			return err
		}
		if cur.Epoch != h.Epoch { // the PIN changed meanwhile
			return ErrUnlock
		}
		cur.FailedPINs, cur.LockedUntil = 0, time.Time{}
		if err := tx.PutHolder(cur); err != nil {
			return err
		}
		if rec != nil {
			return tx.PutSession(rec)
		}
		return nil
	})
	if errors.Is(err, ErrNotFound) {
		err = ErrUnlock
	}
	if err != nil {
		clear(dk)
		if l != nil {
			l.wipe()
		}
		return nil, 0, nil, err
	}
	if l != nil {
		s.cache(sess.Token, l, rec.Until())
	}
	return dk, h.Epoch, sess, nil
}

// ChangePINRequest changes a holder's PIN (and optionally device secret).
type ChangePINRequest struct {
	LoginRequest           // the current PIN and device secret
	NewPIN          string // 4 to 8 digits
	NewDeviceSecret []byte // nil: keep the current one
}

// ChangePIN unlocks with the current PIN (counted like a Login), wraps the
// same data key under the new PIN (fresh salt), ends every session of the
// holder, and opens a new one. Every record stays readable.
func (s *Service) ChangePIN(ctx context.Context, r ChangePINRequest) (*Session, error) {
	if err := CheckPIN(r.NewPIN); err != nil {
		return nil, err
	}
	device := r.NewDeviceSecret
	if device == nil {
		device = r.DeviceSecret
	}
	if err := checkDeviceSecret(device); err != nil {
		return nil, err
	}
	dk, epoch, _, err := s.unlock(ctx, r.LoginRequest, false)
	if err != nil {
		return nil, err
	}
	defer clear(dk)
	return s.rewrap(ctx, r.HolderID, epoch, dk, r.NewPIN, device, "pin changed")
}

// rewrap wraps dk under a new PIN and device secret, bumps the holder's
// epoch, deletes every session record of the holder (ending its sessions
// on every instance) and stores a new one, in one transaction.
func (s *Service) rewrap(ctx context.Context, holderID string, epoch uint64, dk []byte, pin string, device []byte, why string) (*Session, error) {
	nh := &Holder{ID: holderID}
	if err := s.wrapPIN(ctx, nh, dk, pin, device); err != nil {
		return nil, err
	}
	rec, sess, l, err := s.newSession(holderID, epoch+1, dk)
	if err != nil {
		return nil, err
	}
	err = s.cfg.Store.Update(ctx, func(tx Tx) error {
		h, err := tx.Holder(holderID)
		if err != nil {
			return err
		}
		if h.Epoch != epoch {
			return fmt.Errorf("%w: changed meanwhile", ErrSession)
		}
		h.PINKDF, h.PINSalt, h.WrappedByPIN = nh.PINKDF, nh.PINSalt, nh.WrappedByPIN
		h.Epoch++
		h.FailedPINs, h.LockedUntil = 0, time.Time{}
		if err := tx.PutHolder(h); err != nil {
			return err
		}
		if _, err := tx.DeleteHolderSessions(holderID); err != nil {
			return err
		}
		return tx.PutSession(rec)
	})
	if err != nil {
		l.wipe()
		return nil, err
	}
	s.uncacheHolder(holderID)
	s.cache(sess.Token, l, rec.Until())
	s.log.Info("wallet: "+why, "holder", holderID)
	return sess, nil
}

// RecoverRequest sets a new PIN and device secret with the recovery code
// (a lost or new phone).
type RecoverRequest struct {
	RecoveryCode    string
	NewPIN          string
	NewDeviceSecret []byte
	ClientAddr      string
}

// Recover finds the holder of a recovery code, opens the data key with it,
// wraps the key under the new PIN and device secret, ends every old
// session and opens a new one; every record stays. The code stays valid.
// Attempts count against the client address; a wrong code is
// ErrRecoveryCode.
func (s *Service) Recover(ctx context.Context, r RecoverRequest) (*Session, error) {
	if err := CheckPIN(r.NewPIN); err != nil {
		return nil, err
	}
	if err := checkDeviceSecret(r.NewDeviceSecret); err != nil {
		return nil, err
	}
	if err := s.addrs.reserve(r.ClientAddr, s.cfg.Now()); err != nil {
		return nil, err
	}
	code, err := ParseRecoveryCode(r.RecoveryCode)
	if err != nil {
		return nil, err
	}
	var h *Holder
	err = s.cfg.Store.View(ctx, func(tx Tx) error {
		id, err := tx.HolderByRecovery(recoveryLookup(s.cfg.Pepper, code))
		if err != nil {
			return err
		}
		h, err = tx.Holder(id)
		return err
	})
	if errors.Is(err, ErrNotFound) {
		return nil, ErrRecoveryCode
	}
	if err != nil {
		return nil, err
	}
	if err := h.RecoveryKDF.Check(); err != nil {
		return nil, err
	}
	var dk []byte
	var uerr error
	err = s.kdf(ctx, func() {
		kek := recoveryKEK(h.RecoveryKDF, code, h.RecoverySalt, s.cfg.Pepper, h.ID)
		defer clear(kek)
		dk, uerr = open(kek, h.WrappedByRecovery, wrapAD(h.ID, "recovery"))
	})
	if err != nil {
		return nil, err
	}
	if uerr != nil || len(dk) != DataKeyLen {
		s.log.Warn("wallet: recovery code does not open its holder's key", "holder", h.ID)
		return nil, ErrRecoveryCode
	}
	defer clear(dk)
	s.addrs.forgive(r.ClientAddr)
	return s.rewrap(ctx, h.ID, h.Epoch, dk, r.NewPIN, r.NewDeviceSecret, "recovered")
}

// Wipe deletes the holder of sess in one transaction: the holder record
// with both wrapped data keys, its recovery index, every sealed record
// and every session record (ending its sessions everywhere). Nothing the store keeps can be opened
// afterwards by anyone, with any PIN, device secret or recovery code.
func (s *Service) Wipe(ctx context.Context, sess *Session) error {
	if sess == nil {
		return ErrSession
	}
	var holderID string
	err := s.cfg.Store.Update(ctx, func(tx Tx) error {
		l, rec, err := s.sessionTx(tx, sess.Token, sess.HolderID)
		if err != nil {
			return err
		}
		l.wipe()
		holderID = rec.HolderID
		h, err := tx.Holder(holderID)
		if err != nil {
			return err
		}
		if err := tx.DeleteRecoveryLookup(h.RecoveryLookup); err != nil {
			return err
		}
		if _, err := tx.DeleteHolderSessions(holderID); err != nil {
			return err
		}
		return tx.DeleteHolder(holderID)
	})
	if err != nil {
		return err
	}
	s.uncacheHolder(holderID)
	s.log.Info("wallet: holder wiped", "holder", holderID)
	return nil
}

// GetSettings returns the holder's settings.
func (s *Service) GetSettings(ctx context.Context, sess *Session) (*Settings, error) {
	var st Settings
	err := s.view(ctx, sess, func(tx Tx, l *liveSession) error {
		err := getJSON(tx, l, KindSettings, "settings", &st)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &st, nil
}

// PutSettings replaces the holder's settings.
func (s *Service) PutSettings(ctx context.Context, sess *Session, st Settings) error {
	if len(st.Lang) > maxLangLen {
		return fmt.Errorf("%w: language tag too long", ErrInvalidRequest)
	}
	return s.update(ctx, sess, func(tx Tx, l *liveSession) error {
		return s.putJSON(tx, l, KindSettings, "settings", &st)
	})
}
