package wallet

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Consent log events.
const (
	EventOfferAccepted = "offer_accepted"
	EventOfferRefused  = "offer_refused"
	EventPresentation  = "presentation"
	EventRefusal       = "presentation_refused"
	EventImport        = "import"
)

// ErrLogTampered: the consent log was modified, truncated, or entries were
// removed or reordered. Errors of VerifyLog are *LogTamperedError.
var ErrLogTampered = errors.New("wallet: consent log tampered with")

// LogTamperedError says where the chain breaks.
type LogTamperedError struct {
	Seq    uint64 // the first entry (1-based) found wrong; 0: the head
	Reason string
}

func (e *LogTamperedError) Error() string {
	return fmt.Sprintf("wallet: consent log tampered with at entry %d: %s", e.Seq, e.Reason)
}

// Is makes a LogTamperedError match ErrLogTampered.
func (e *LogTamperedError) Is(target error) bool { return target == ErrLogTampered }

// LogEntry is one consent log entry: an offer accepted or refused, or a
// presentation made or refused. Seq, Prev, Hash (and At when zero) are
// set by AppendLog.
type LogEntry struct {
	Seq uint64 `json:"seq"`
	// Prev is the Hash of the previous entry ("" for the first).
	Prev  string    `json:"prev"`
	At    time.Time `json:"at"`
	Event string    `json:"event"`
	// The other party: a verifier (presentations) or an issuer (offers).
	PartyName string `json:"party_name,omitempty"`
	PartyID   string `json:"party_id,omitempty"`
	Purpose   string `json:"purpose,omitempty"`
	// CredentialTypes (vcts) and Claims (paths, e.g. "address/city")
	// that left or arrived.
	CredentialTypes []string `json:"credential_types,omitempty"`
	Claims          []string `json:"claims,omitempty"`
	CredentialIDs   []string `json:"credential_ids,omitempty"`
	Offline         bool     `json:"offline,omitempty"`
	Note            string   `json:"note,omitempty"`
	// Hash is hex SHA-256 of the entry's JSON with Hash empty; it commits
	// to Prev, so to every earlier entry.
	Hash string `json:"hash"`
}

// MaxLogEntryLen bounds one encoded entry.
const MaxLogEntryLen = 64 << 10

// hash computes e's Hash.
func (e LogEntry) hash() (string, error) {
	e.Hash = ""
	b, err := json.Marshal(e)
	if err != nil {
		return "", err
	}
	if len(b) > MaxLogEntryLen {
		return "", fmt.Errorf("%w: log entry too large", ErrInvalidRequest)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// logHead is the sealed head of the chain: the last entry's Seq and Hash.
type logHead struct {
	Seq  uint64 `json:"seq"`
	Hash string `json:"hash"`
}

func logRecordID(seq uint64) string { return fmt.Sprintf("%016x", seq) }

// AppendLog appends e to the holder's consent log and returns it with
// Seq, Prev, At and Hash set.
func (s *Service) AppendLog(ctx context.Context, sess *Session, e LogEntry) (*LogEntry, error) {
	if e.Event == "" {
		return nil, fmt.Errorf("%w: a log entry needs an event", ErrInvalidRequest)
	}
	if e.At.IsZero() {
		e.At = s.cfg.Now()
	}
	e.At = e.At.UTC()
	err := s.update(ctx, sess, func(tx Tx, l *liveSession) error { return s.appendLog(tx, l, &e) })
	if err != nil {
		return nil, err
	}
	return &e, nil
}

func (s *Service) appendLog(tx Tx, l *liveSession, e *LogEntry) error {
	var h logHead
	if err := getJSON(tx, l, KindLogHead, "head", &h); err != nil {
		if errors.Is(err, ErrNotFound) {
			return &LogTamperedError{Reason: "the chain head is missing"}
		}
		return err
	}
	e.Seq, e.Prev = h.Seq+1, h.Hash
	hash, err := e.hash()
	if err != nil {
		return err
	}
	e.Hash = hash
	if err := s.putJSON(tx, l, KindLog, logRecordID(e.Seq), e); err != nil {
		return err
	}
	return s.putJSON(tx, l, KindLogHead, "head", &logHead{Seq: e.Seq, Hash: e.Hash})
}

// Log returns the holder's consent log in order. It opens every entry but
// does not check the chain (VerifyLog does).
func (s *Service) Log(ctx context.Context, sess *Session) ([]LogEntry, error) {
	var out []LogEntry
	err := s.view(ctx, sess, func(tx Tx, l *liveSession) error {
		out = nil
		return tx.ForEachRecord(l.holderID, KindLog, func(id string, b []byte) error {
			var e LogEntry
			if err := openJSON(l, KindLog, id, b, &e); err != nil {
				return err
			}
			out = append(out, e)
			return nil
		})
	})
	return out, err
}

// VerifyLog checks the holder's consent log: every entry opens under its
// own address (a modified or moved entry does not), sequence numbers run
// from 1 without gap, each entry's Prev is the Hash of the one before,
// each Hash is right, and the sealed head names the last entry (so a
// truncation shows). It returns the number of entries, or a
// *LogTamperedError.
func (s *Service) VerifyLog(ctx context.Context, sess *Session) (int, error) {
	var n int
	err := s.view(ctx, sess, func(tx Tx, l *liveSession) error {
		var err error
		n, err = verifyChain(tx, l)
		return err
	})
	return n, err
}

func verifyChain(tx Tx, l *liveSession) (int, error) {
	var prev string
	var seq uint64
	err := tx.ForEachRecord(l.holderID, KindLog, func(id string, b []byte) error {
		seq++
		var e LogEntry
		if err := openJSON(l, KindLog, id, b, &e); err != nil {
			return &LogTamperedError{Seq: seq, Reason: "an entry was modified or moved"}
		}
		if id != logRecordID(seq) || e.Seq != seq {
			return &LogTamperedError{Seq: seq, Reason: "an entry is missing or out of order"}
		}
		if e.Prev != prev {
			return &LogTamperedError{Seq: seq, Reason: "the entry does not follow the one before"}
		}
		if h, err := e.hash(); err != nil || h != e.Hash {
			return &LogTamperedError{Seq: seq, Reason: "the entry's hash is wrong"}
		}
		prev = e.Hash
		return nil
	})
	if err != nil {
		return 0, err
	}
	var h logHead
	if err := getJSON(tx, l, KindLogHead, "head", &h); err != nil {
		if errors.Is(err, ErrNotFound) || errors.Is(err, ErrCorrupt) {
			return 0, &LogTamperedError{Reason: "the chain head is missing or modified"}
		}
		return 0, err
	}
	if h.Seq != seq || h.Hash != prev {
		return 0, &LogTamperedError{Seq: min(h.Seq, seq+1), Reason: "the log ends before its head (entries removed)"}
	}
	return int(seq), nil
}

// LogExport is the JSON form of a consent log export.
type LogExport struct {
	Format  string     `json:"format"` // "cairn-consent-log-v1"
	Head    string     `json:"head"`   // hex hash of the last entry
	Entries []LogEntry `json:"entries"`
}

// ExportLogJSON verifies the holder's consent log and returns it as
// indented JSON (a LogExport).
func (s *Service) ExportLogJSON(ctx context.Context, sess *Session) ([]byte, error) {
	if _, err := s.VerifyLog(ctx, sess); err != nil {
		return nil, err
	}
	entries, err := s.Log(ctx, sess)
	if err != nil {
		return nil, err
	}
	x := LogExport{Format: "cairn-consent-log-v1", Entries: entries}
	if x.Entries == nil {
		x.Entries = []LogEntry{}
	}
	if len(entries) > 0 {
		x.Head = entries[len(entries)-1].Hash
	}
	return json.MarshalIndent(x, "", "  ")
}
