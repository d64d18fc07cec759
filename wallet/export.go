package wallet

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/cairn-id/cairn/internal/jsonx"
)

// The wallet export file (docs/wallet-export.md):
//
//	magic    8 bytes  "CAIRNWEX"
//	version  1 byte   1
//	t        4 bytes  Argon2id passes, big-endian
//	m        4 bytes  Argon2id memory in KiB, big-endian
//	p        1 byte   Argon2id lanes
//	salt     16 bytes
//	nonce    24 bytes
//	sealed   the rest: XChaCha20-Poly1305 of the payload JSON under
//	         Argon2id(passphrase, salt, t, m, p) (32 bytes), with the
//	         58 header bytes above as associated data
const (
	ExportMagic      = "CAIRNWEX"
	ExportVersion    = 1
	exportHeaderLen  = 8 + 1 + 4 + 4 + 1 + SaltLen + 24
	MaxExportLen     = 64 << 20
	MinPassphraseLen = 12
	exportFormat     = "cairn-wallet-export-v1"
	// maxExportMemory bounds the Argon2id memory an import accepts from
	// a file (256 MiB), tighter than the store's bound.
	maxExportMemory = 256 << 10
)

// Export errors.
var (
	// ErrExportFormat: not a wallet export, an unknown version, or
	// parameters out of bounds.
	ErrExportFormat = errors.New("wallet: not a valid wallet export")
	// ErrPassphrase: the passphrase does not open the export (or the
	// file was modified).
	ErrPassphrase = errors.New("wallet: wrong passphrase or modified export")
	// ErrNotEmpty: imports go into a fresh holder only.
	ErrNotEmpty = errors.New("wallet: the holder already has credentials or log entries")
)

// ExportHeader is the clear header of an export file.
type ExportHeader struct {
	Version int
	KDF     KDFParams
	Salt    []byte
	Nonce   []byte
}

// ParseExportHeader reads and checks the header of an export file (the
// magic, the version, the size and the Argon2id bounds), without the
// passphrase.
func ParseExportHeader(file []byte) (*ExportHeader, error) {
	if len(file) > MaxExportLen {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrExportFormat, MaxExportLen)
	}
	if len(file) < exportHeaderLen+16 || string(file[:8]) != ExportMagic {
		return nil, fmt.Errorf("%w: no wallet export magic", ErrExportFormat)
	}
	if file[8] != ExportVersion {
		return nil, fmt.Errorf("%w: version %d (this agent reads %d)", ErrExportFormat, file[8], ExportVersion)
	}
	h := &ExportHeader{Version: int(file[8]), KDF: KDFParams{
		Time:      binary.BigEndian.Uint32(file[9:13]),
		MemoryKiB: binary.BigEndian.Uint32(file[13:17]),
		Threads:   file[17],
	}}
	if err := h.KDF.Check(); err != nil || h.KDF.MemoryKiB > maxExportMemory {
		return nil, fmt.Errorf("%w: argon2id t=%d m=%d p=%d out of bounds", ErrExportFormat, h.KDF.Time, h.KDF.MemoryKiB, h.KDF.Threads)
	}
	h.Salt = append([]byte(nil), file[18:18+SaltLen]...)
	h.Nonce = append([]byte(nil), file[18+SaltLen:exportHeaderLen]...)
	return h, nil
}

func (h *ExportHeader) marshal() []byte {
	b := make([]byte, 0, exportHeaderLen)
	b = append(b, ExportMagic...)
	b = append(b, byte(h.Version))
	b = binary.BigEndian.AppendUint32(b, h.KDF.Time)
	b = binary.BigEndian.AppendUint32(b, h.KDF.MemoryKiB)
	b = append(b, h.KDF.Threads)
	b = append(b, h.Salt...)
	return append(b, h.Nonce...)
}

func exportKey(passphrase string, h *ExportHeader) []byte {
	return argon2.IDKey([]byte(passphrase), h.Salt, h.KDF.Time, h.KDF.MemoryKiB, h.KDF.Threads, 32)
}

func checkPassphrase(p string) error {
	if utf8.RuneCountInString(p) < MinPassphraseLen || len(p) > 1024 || !utf8.ValidString(p) {
		return fmt.Errorf("%w: a passphrase has %d to 1024 characters", ErrInvalidRequest, MinPassphraseLen)
	}
	return nil
}

// exportPayload is the sealed content of an export file.
type exportPayload struct {
	Format      string       `json:"format"`
	ExportedAt  time.Time    `json:"exported_at"`
	Settings    Settings     `json:"settings"`
	Keys        []keyRecord  `json:"keys"`
	KeyUse      *keyUse      `json:"key_use,omitempty"`
	Credentials []Credential `json:"credentials"`
	Log         []LogEntry   `json:"log"`
}

// decodeExportPayload decodes and checks a payload: the format, unique
// key indices with valid P-256 scalars, credentials with valid ids bound
// to a key of the set, and a consent log whose chain holds.
func decodeExportPayload(b []byte) (*exportPayload, error) {
	var p exportPayload
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("%w: payload: %v", ErrExportFormat, err)
	}
	if !jsonx.AtEOF(dec) {
		return nil, fmt.Errorf("%w: payload: trailing data", ErrExportFormat)
	}
	if p.Format != exportFormat {
		return nil, fmt.Errorf("%w: payload format %q", ErrExportFormat, p.Format)
	}
	if len(p.Keys) == 0 || len(p.Keys) > 9999 {
		return nil, fmt.Errorf("%w: %d holder keys", ErrExportFormat, len(p.Keys))
	}
	if len(p.Settings.Lang) > maxLangLen {
		return nil, fmt.Errorf("%w: language tag", ErrExportFormat)
	}
	idx := map[int]bool{}
	for i := range p.Keys {
		k := &p.Keys[i]
		if k.Index < 0 || k.Index > 9999 || idx[k.Index] {
			return nil, fmt.Errorf("%w: holder key index %d", ErrExportFormat, k.Index)
		}
		if _, err := k.private(); err != nil {
			return nil, fmt.Errorf("%w: holder key %d", ErrExportFormat, k.Index)
		}
		idx[k.Index] = true
	}
	ids := map[string]bool{}
	for _, c := range p.Credentials {
		if checkRecordID(c.ID) != nil || checkRecordID(c.Group) != nil || ids[c.ID] || !idx[c.KeyIndex] ||
			c.Compact == "" || len(c.Compact) > MaxCredentialLen {
			return nil, fmt.Errorf("%w: credential %q", ErrExportFormat, c.ID)
		}
		ids[c.ID] = true
	}
	if p.KeyUse != nil {
		for _, i := range p.KeyUse.Verifiers {
			if !idx[i] {
				return nil, fmt.Errorf("%w: key assignment to key %d", ErrExportFormat, i)
			}
		}
	}
	var prev string
	for i, e := range p.Log {
		h, err := e.hash()
		if e.Seq != uint64(i+1) || e.Prev != prev || err != nil || h != e.Hash {
			return nil, fmt.Errorf("%w: consent log entry %d", ErrExportFormat, i+1)
		}
		prev = e.Hash
	}
	return &p, nil
}

// Export returns the whole wallet of the session's holder (holder keys,
// credentials, consent log, key assignments, settings; not pending
// offers) as one file encrypted under passphrase. The log must verify.
func (s *Service) Export(ctx context.Context, sess *Session, passphrase string) ([]byte, error) {
	if err := checkPassphrase(passphrase); err != nil {
		return nil, err
	}
	p := exportPayload{Format: exportFormat, ExportedAt: s.cfg.Now().UTC(), Credentials: []Credential{}, Log: []LogEntry{}}
	err := s.view(ctx, sess, func(tx Tx, l *liveSession) error {
		if _, err := verifyChain(tx, l); err != nil {
			return err
		}
		if err := getJSON(tx, l, KindSettings, "settings", &p.Settings); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		var u keyUse
		if err := getJSON(tx, l, KindKeyUse, "assignments", &u); err == nil {
			p.KeyUse = &u
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		err := tx.ForEachRecord(l.holderID, KindKey, func(id string, b []byte) error {
			var k keyRecord
			if err := openJSON(l, KindKey, id, b, &k); err != nil {
				return err
			}
			p.Keys = append(p.Keys, k)
			return nil
		})
		if err != nil {
			return err
		}
		o := newCredentialOpener(l)
		err = tx.ForEachRecord(l.holderID, KindCredential, func(id string, b []byte) error {
			c, err := o.open(id, b)
			if err != nil {
				return err
			}
			p.Credentials = append(p.Credentials, *c)
			return nil
		})
		if err != nil {
			return err
		}
		return tx.ForEachRecord(l.holderID, KindLog, func(id string, b []byte) error {
			var e LogEntry
			if err := openJSON(l, KindLog, id, b, &e); err != nil {
				return err
			}
			p.Log = append(p.Log, e)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	defer func() {
		for i := range p.Keys {
			clear(p.Keys[i].D)
		}
	}()
	pt, err := json.Marshal(&p)
	if err != nil {
		return nil, fmt.Errorf("wallet: export: %w", err)
	}
	defer clear(pt)
	h := &ExportHeader{Version: ExportVersion, KDF: s.cfg.KDF}
	if h.Salt, err = s.random(SaltLen); err != nil {
		return nil, err
	}
	if h.Nonce, err = s.random(24); err != nil {
		return nil, err
	}
	if h.KDF.MemoryKiB > maxExportMemory {
		h.KDF = DefaultKDF
	}
	var key []byte
	if err := s.kdf(ctx, func() { key = exportKey(passphrase, h) }); err != nil {
		return nil, err
	}
	defer clear(key)
	head := h.marshal()
	out := newAEAD(key).Seal(head, h.Nonce, pt, head)
	if len(out) > MaxExportLen {
		return nil, fmt.Errorf("%w: the export would exceed %d bytes", ErrInvalidRequest, MaxExportLen)
	}
	return out, nil
}

// OpenExport decrypts and checks an export file without importing it
// (e.g. to show what it holds).
func (s *Service) OpenExport(ctx context.Context, file []byte, passphrase string) (*ExportSummary, error) {
	p, err := s.openExport(ctx, file, passphrase)
	if err != nil {
		return nil, err
	}
	defer p.wipe()
	return p.summary(), nil
}

// ExportSummary counts what an export holds or an import brought in.
type ExportSummary struct {
	ExportedAt  time.Time
	Keys        int
	Credentials int
	LogEntries  int
}

func (p *exportPayload) summary() *ExportSummary {
	return &ExportSummary{ExportedAt: p.ExportedAt, Keys: len(p.Keys), Credentials: len(p.Credentials), LogEntries: len(p.Log)}
}

func (p *exportPayload) wipe() {
	for i := range p.Keys {
		clear(p.Keys[i].D)
	}
}

func (s *Service) openExport(ctx context.Context, file []byte, passphrase string) (*exportPayload, error) {
	h, err := ParseExportHeader(file)
	if err != nil {
		return nil, err
	}
	var key []byte
	if err := s.kdf(ctx, func() { key = exportKey(passphrase, h) }); err != nil {
		return nil, err
	}
	defer clear(key)
	pt, err := newAEAD(key).Open(nil, h.Nonce, file[exportHeaderLen:], file[:exportHeaderLen])
	if err != nil {
		return nil, ErrPassphrase
	}
	defer clear(pt)
	return decodeExportPayload(pt)
}

// Import brings an export into the session's holder, which must be fresh
// (no credentials, no consent log entries): the holder's keys are
// replaced by the exported ones (so every credential stays usable), and
// the credentials, key assignments, settings and log (its chain intact)
// are sealed under this holder's data key. An "import" entry is then
// appended to the log.
func (s *Service) Import(ctx context.Context, sess *Session, file []byte, passphrase string) (*ExportSummary, error) {
	if err := s.checkSession(ctx, sess); err != nil {
		return nil, err
	}
	p, err := s.openExport(ctx, file, passphrase)
	if err != nil {
		return nil, err
	}
	defer p.wipe()
	err = s.update(ctx, sess, func(tx Tx, l *liveSession) error {
		var head logHead
		if err := getJSON(tx, l, KindLogHead, "head", &head); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		n := 0
		if err := tx.ForEachRecord(l.holderID, KindCredential, func(string, []byte) error { n++; return nil }); err != nil {
			return err
		}
		if n > 0 || head.Seq > 0 {
			return ErrNotEmpty
		}
		var old []string
		if err := tx.ForEachRecord(l.holderID, KindKey, func(id string, _ []byte) error { old = append(old, id); return nil }); err != nil {
			return err
		}
		for _, id := range old {
			if err := tx.DeleteRecord(l.holderID, KindKey, id); err != nil {
				return err
			}
		}
		for i := range p.Keys {
			if err := s.putJSON(tx, l, KindKey, keyRecordID(p.Keys[i].Index), &p.Keys[i]); err != nil {
				return err
			}
		}
		if p.KeyUse != nil {
			if err := s.putJSON(tx, l, KindKeyUse, "assignments", p.KeyUse); err != nil {
				return err
			}
		} else if err := tx.DeleteRecord(l.holderID, KindKeyUse, "assignments"); err != nil {
			return err
		}
		if err := s.putJSON(tx, l, KindSettings, "settings", &p.Settings); err != nil {
			return err
		}
		for i := range p.Credentials {
			if err := s.putCredential(tx, l, &p.Credentials[i]); err != nil {
				return err
			}
		}
		head = logHead{}
		for i := range p.Log {
			if err := s.putJSON(tx, l, KindLog, logRecordID(p.Log[i].Seq), &p.Log[i]); err != nil {
				return err
			}
			head = logHead{Seq: p.Log[i].Seq, Hash: p.Log[i].Hash}
		}
		if err := s.putJSON(tx, l, KindLogHead, "head", &head); err != nil {
			return err
		}
		return s.appendLog(tx, l, &LogEntry{At: s.cfg.Now().UTC(), Event: EventImport,
			Note: fmt.Sprintf("export of %s", p.ExportedAt.Format(time.RFC3339))})
	})
	if err != nil {
		return nil, err
	}
	return p.summary(), nil
}
