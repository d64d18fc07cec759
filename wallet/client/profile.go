package client

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cairn-id/cairn/internal/fsx"
	"github.com/cairn-id/cairn/wallet/api"
)

// SessionFileName is the session file's name in the default directory.
const SessionFileName = "wallet-session.json"

// DefaultSessionPath is $XDG_CONFIG_HOME/cairn/wallet-session.json, or
// ~/.config/cairn/wallet-session.json; getenv reads the environment.
func DefaultSessionPath(getenv func(string) string) (string, error) {
	if d := getenv("XDG_CONFIG_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "cairn", SessionFileName), nil
	}
	home := getenv("HOME")
	if home == "" {
		return "", errors.New("client: neither XDG_CONFIG_HOME nor HOME is set; give --session")
	}
	return filepath.Join(home, ".config", "cairn", SessionFileName), nil
}

// DevicePath is the device secret's file next to a session file:
// wallet-session.json → wallet-session-device.json.
func DevicePath(session string) string {
	return strings.TrimSuffix(session, ".json") + "-device.json"
}

// Session is what the session file keeps.
type Session struct {
	Agent     string    `json:"agent"`
	HolderID  string    `json:"holder_id"`
	Token     string    `json:"token,omitempty"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

// Device is what the device file keeps: the holder's device secret.
type Device struct {
	HolderID string `json:"holder_id"`
	Secret   []byte `json:"device_secret"`
}

// ErrNoProfile: no session file (or no holder in it): create a holder or
// recover one first.
var ErrNoProfile = errors.New("client: no wallet holder on this machine")

// Profile keeps one holder's session and device secret in two 0600 files
// (their directory is created 0700).
type Profile struct {
	SessionPath string
	// Agent overrides the agent URL kept in the session file.
	Agent string
	Lang  string
	HTTP  *http.Client
	Rand  io.Reader // nil: crypto/rand
}

const maxStateFile = 64 << 10

func readJSON(path string, v any) error {
	b, err := fsx.ReadSecret(path, maxStateFile)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w (%s)", ErrNoProfile, path)
	}
	if err != nil {
		return fmt.Errorf("client: %w", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("client: %s: %w", path, err)
	}
	return nil
}

func writeJSON(path string, v any) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return fsx.WriteAtomic(path, append(b, '\n'), 0o600)
}

// Load reads the session file.
func (p *Profile) Load() (*Session, error) {
	var s Session
	if err := readJSON(p.SessionPath, &s); err != nil {
		return nil, err
	}
	if s.HolderID == "" {
		return nil, fmt.Errorf("%w (%s holds no holder)", ErrNoProfile, p.SessionPath)
	}
	if p.Agent != "" {
		s.Agent = p.Agent
	}
	return &s, nil
}

func (p *Profile) device(holderID string) ([]byte, error) {
	var d Device
	if err := readJSON(DevicePath(p.SessionPath), &d); err != nil {
		return nil, err
	}
	if d.HolderID != holderID {
		return nil, fmt.Errorf("client: %s is the device secret of another holder", DevicePath(p.SessionPath))
	}
	return d.Secret, nil
}

// Client is a Client for the session's agent.
func (p *Profile) Client(s *Session) *Client {
	return &Client{BaseURL: s.Agent, HTTP: p.HTTP, Lang: p.Lang}
}

func (p *Profile) newDevice() ([]byte, error) {
	r := p.Rand
	if r == nil {
		r = rand.Reader
	}
	b := make([]byte, 32)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, err
	}
	return b, nil
}

func (p *Profile) save(agent string, sess *api.Session) (*Session, error) {
	s := &Session{Agent: agent, HolderID: sess.HolderID, Token: sess.Token, ExpiresAt: sess.ExpiresAt}
	return s, writeJSON(p.SessionPath, s)
}

// Create creates a holder on p.Agent with a new device secret (written
// first, so a holder is never created without it being kept), logs in
// and saves the session. The recovery code is in the result, to be shown
// once; it is not kept.
func (p *Profile) Create(ctx context.Context, pin, lang string) (*api.Created, error) {
	if p.Agent == "" {
		return nil, errors.New("client: give the agent's URL (--agent)")
	}
	for _, f := range []string{p.SessionPath, DevicePath(p.SessionPath)} {
		if _, err := os.Lstat(f); err == nil {
			return nil, fmt.Errorf("client: %s already exists: this machine keeps a holder (wipe it, or give another --session)", f)
		}
	}
	dev, err := p.newDevice()
	if err != nil {
		return nil, err
	}
	c := &Client{BaseURL: p.Agent, HTTP: p.HTTP, Lang: p.Lang}
	if err := CheckAgentURL(p.Agent); err != nil {
		return nil, err
	}
	created, err := c.CreateHolder(ctx, pin, dev, lang)
	if err != nil {
		return nil, err
	}
	if err := writeJSON(DevicePath(p.SessionPath), Device{HolderID: created.HolderID, Secret: dev}); err != nil {
		return nil, err
	}
	if _, err := p.save(p.Agent, &api.Session{HolderID: created.HolderID}); err != nil {
		return nil, err
	}
	sess, err := c.Login(ctx, created.HolderID, pin, dev)
	if err != nil {
		return created, err
	}
	_, err = p.save(p.Agent, sess)
	return created, err
}

// Login logs the profile's holder in with pin and saves the session.
func (p *Profile) Login(ctx context.Context, pin string) (*Session, error) {
	s, err := p.Load()
	if err != nil {
		return nil, err
	}
	dev, err := p.device(s.HolderID)
	if err != nil {
		return nil, err
	}
	sess, err := p.Client(s).Login(ctx, s.HolderID, pin, dev)
	if err != nil {
		return nil, err
	}
	return p.save(s.Agent, sess)
}

// ChangePIN changes the PIN (the device secret stays), which ends every
// session of the holder, and saves the new one.
func (p *Profile) ChangePIN(ctx context.Context, pin, newPIN string) (*Session, error) {
	s, _, err := p.Open()
	if err != nil {
		return nil, err
	}
	dev, err := p.device(s.HolderID)
	if err != nil {
		return nil, err
	}
	sess, err := p.Client(s).ChangePIN(ctx, s.Token, pin, dev, newPIN, nil)
	if err != nil {
		return nil, err
	}
	return p.save(s.Agent, sess)
}

// Logout ends the session and forgets its token (the holder stays).
func (p *Profile) Logout(ctx context.Context) error {
	s, err := p.Load()
	if err != nil {
		return err
	}
	if s.Token != "" {
		if err := p.Client(s).Logout(ctx, s.Token); err != nil && !errors.Is(err, ErrNoSession) {
			return err
		}
	}
	_, err = p.save(s.Agent, &api.Session{HolderID: s.HolderID})
	return err
}

// Recover sets a new PIN and a new device secret with the recovery code
// (a lost phone, or this machine taking over) on p.Agent, and saves the
// session and the device secret.
func (p *Profile) Recover(ctx context.Context, code, newPIN string) (*Session, error) {
	agent := p.Agent
	if agent == "" {
		if s, err := p.Load(); err == nil {
			agent = s.Agent
		}
	}
	if agent == "" {
		return nil, errors.New("client: give the agent's URL (--agent)")
	}
	dev, err := p.newDevice()
	if err != nil {
		return nil, err
	}
	sess, err := (&Client{BaseURL: agent, HTTP: p.HTTP, Lang: p.Lang}).Recover(ctx, code, newPIN, dev)
	if err != nil {
		return nil, err
	}
	if err := writeJSON(DevicePath(p.SessionPath), Device{HolderID: sess.HolderID, Secret: dev}); err != nil {
		return nil, err
	}
	return p.save(agent, sess)
}

// Wipe deletes the holder on the agent, then the two local files.
func (p *Profile) Wipe(ctx context.Context) error {
	s, err := p.Load()
	if err != nil {
		return err
	}
	if s.Token == "" {
		return fmt.Errorf("%w: log in first", ErrNoSession)
	}
	if err := p.Client(s).Wipe(ctx, s.Token); err != nil {
		return err
	}
	return errors.Join(removeIfThere(DevicePath(p.SessionPath)), removeIfThere(p.SessionPath))
}

func removeIfThere(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// Open returns the session (with a token) and its client, for the
// commands that need a logged-in holder.
func (p *Profile) Open() (*Session, *Client, error) {
	s, err := p.Load()
	if err != nil {
		return nil, nil, err
	}
	if s.Token == "" {
		return nil, nil, fmt.Errorf("%w: run 'cairn wallet holder login'", ErrNoSession)
	}
	return s, p.Client(s), nil
}
