package wallet

import (
	"context"
	"fmt"
	"strings"

	"github.com/cairn-id/cairn/internal/proximity"
	"github.com/cairn-id/cairn/internal/qr"
	"github.com/cairn-id/cairn/internal/sdjwtvc"
)

// ProximityRequest says what to show offline.
type ProximityRequest struct {
	// CredentialID is a stored credential (any copy of its group: the
	// copy bound to the key of VerifierID is used when there is one).
	CredentialID string `json:"credential_id"`
	// Paths are the JSON Pointers of the claims to disclose.
	Paths []string `json:"paths"`
	// VerifierID names the offline verifier for the choice of holder key
	// (KeyForVerifier); "" means proximity.Audience, one key for every
	// offline verifier.
	VerifierID string `json:"verifier_id,omitempty"`
}

// ProximityCode is an offline presentation: Text (docs/proximity.md) and
// its QR code as PNG, with the QR version it needed.
type ProximityCode struct {
	Text    string `json:"text"`
	PNG     []byte `json:"png"`
	Version int    `json:"version"`
	// Level is the error correction level used: "M", or "L" when M would
	// need a version above 25.
	Level string `json:"level"`
	// KeyIndex is the holder key the presentation is bound to.
	KeyIndex int `json:"key_index"`
}

// MaxChallengeLen bounds a proximity challenge.
const MaxChallengeLen = 128

// Proximity makes an offline presentation of r's claims bound to the
// verifier's challenge (KB-JWT nonce = challenge, aud =
// proximity.Audience), encodes it (internal/proximity) and renders its QR
// code (medium error correction; low when medium would not fit). It is
// logged as an offline presentation.
func (s *Service) Proximity(ctx context.Context, sess *Session, challenge string, r ProximityRequest) (*ProximityCode, error) {
	if challenge == "" || len(challenge) > MaxChallengeLen || strings.ContainsFunc(challenge, func(c rune) bool { return c < 0x21 || c > 0x7e }) {
		return nil, fmt.Errorf("%w: challenge must be 1 to %d printable ASCII characters", ErrInvalidRequest, MaxChallengeLen)
	}
	vid := r.VerifierID
	if vid == "" {
		vid = proximity.Audience
	}
	first, err := s.GetCredential(ctx, sess, r.CredentialID)
	if err != nil {
		return nil, err
	}
	if first.Format == FormatJPT {
		return nil, fmt.Errorf("%w: a jpt credential is presented online only (no offline format for it yet)", ErrInvalidRequest)
	}
	ka, err := s.KeyForVerifier(ctx, sess, vid)
	if err != nil {
		return nil, err
	}
	all, err := s.ListCredentials(ctx, sess)
	if err != nil {
		return nil, err
	}
	var group []Credential
	for _, c := range all {
		if c.Group == first.Group {
			group = append(group, c)
		}
	}
	cred := chooseCopies(group, ka.Index)[0]
	k, err := s.HolderKey(ctx, sess, cred.KeyIndex)
	if err != nil {
		return nil, err
	}
	pres, err := sdjwtvc.Present(cred.Compact, k.JoseSigner(), sdjwtvc.PresentOptions{Paths: r.Paths, Audience: proximity.Audience, Nonce: challenge, Now: s.cfg.Now})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidRequest, err)
	}
	text, err := proximity.Encode(pres)
	if err != nil {
		return nil, err
	}
	out := &ProximityCode{Text: text, KeyIndex: cred.KeyIndex}
	level := qr.LevelMedium
	out.Level = "M"
	if out.Version, err = QRVersion(text, level); err != nil || out.Version > 25 {
		level, out.Level = qr.LevelLow, "L"
		if out.Version, err = QRVersion(text, level); err != nil {
			return nil, err
		}
	}
	if out.PNG, err = qr.Encode(text, level); err != nil {
		return nil, err
	}
	if _, err := s.AppendLog(ctx, sess, LogEntry{Event: EventPresentation, PartyName: "offline verifier", PartyID: vid,
		CredentialTypes: []string{cred.VCT}, Claims: claimNames(r.Paths), CredentialIDs: []string{cred.ID}, Offline: true}); err != nil {
		return nil, err
	}
	return out, nil
}

// QRVersion is the QR version (1–40) text needs at level.
func QRVersion(text string, level qr.Level) (int, error) {
	m, err := qr.Modules(text, level)
	if err != nil {
		return 0, err
	}
	return (len(m) - 2*qr.QuietZone - 17) / 4, nil
}
