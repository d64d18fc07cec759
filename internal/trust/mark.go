package trust

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/cairn-id/cairn/internal/bounded"
	"github.com/cairn-id/cairn/internal/fsx"
)

// MarksType is the "type" member of a high-water mark file.
const MarksType = "cairn-trust-state"

// maxMarksLen bounds a high-water mark file; a few thousand registries fit.
const maxMarksLen = 1 << 20

// ErrMarksUnreadable reports a high-water mark file that exists but cannot
// be read or parsed (damaged, empty, not ours). The rollback check cannot
// be made, so nothing is accepted until the file is reset: the check fails
// closed, never open.
var ErrMarksUnreadable = errors.New("trust: high-water mark file unreadable")

// Mark is the newest snapshot a verifier accepted from one registry (an
// authority DID and its registry id): its version and the digest of its
// compact form. A later snapshot must have a higher version, or the same
// version and the same digest.
type Mark struct {
	Authority string    `json:"authority"`
	Registry  string    `json:"registry"`
	Version   uint64    `json:"version"`
	Digest    string    `json:"digest"` // "sha-256:" + base64url of the compact snapshot's SHA-256
	Accepted  time.Time `json:"accepted"`
}

type marksFile struct {
	Type  string `json:"type"`
	Marks []Mark `json:"marks"`
}

// Marks is a verifier's per-registry high-water marks, kept in one small
// file (replaced atomically with fsx.WriteAtomic) so that a snapshot or
// bundle older than one already accepted, or another snapshot under the
// same version (equivocation), is refused wherever it comes from: a
// snapshot file, a bundle carried by hand, or an HTTP fetch. A missing
// file holds no marks; an unreadable one refuses everything
// (ErrMarksUnreadable) until reset with Forget.
//
// Concurrent writers each re-read the file before replacing it; two
// processes accepting different registries at the same instant may lose
// one of the two advances (never a mark regression below what either
// read), which the next acceptance restores.
type Marks struct {
	path string
	now  func() time.Time
}

// OpenMarks returns the marks kept in path; nothing is read until used.
// now is the clock for Mark.Accepted (nil means time.Now).
func OpenMarks(path string, now func() time.Time) *Marks {
	if now == nil {
		now = time.Now
	}
	return &Marks{path: path, now: now}
}

// Path is the file the marks live in.
func (m *Marks) Path() string { return m.path }

// SnapshotDigest is the digest a Mark records of a compact snapshot.
func SnapshotDigest(compact string) string {
	sum := sha256.Sum256([]byte(strings.TrimSpace(compact)))
	return "sha-256:" + base64.RawURLEncoding.EncodeToString(sum[:])
}

func (m *Marks) read() ([]Mark, error) {
	b, err := bounded.ReadFile(m.path, maxMarksLen)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrMarksUnreadable, m.path, err)
	}
	var f marksFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%w: %s: not a high-water mark file: %v", ErrMarksUnreadable, m.path, err)
	}
	if f.Type != MarksType {
		return nil, fmt.Errorf("%w: %s: type %q, want %q", ErrMarksUnreadable, m.path, f.Type, MarksType)
	}
	for _, k := range f.Marks {
		if k.Authority == "" || k.Version == 0 || !strings.HasPrefix(k.Digest, "sha-256:") {
			return nil, fmt.Errorf("%w: %s: incomplete mark for %q", ErrMarksUnreadable, m.path, k.Authority)
		}
	}
	return f.Marks, nil
}

// All returns every mark held, sorted by authority and registry.
func (m *Marks) All() ([]Mark, error) {
	marks, err := m.read()
	if err != nil {
		return nil, err
	}
	sort.Slice(marks, func(i, j int) bool {
		if marks[i].Authority != marks[j].Authority {
			return marks[i].Authority < marks[j].Authority
		}
		return marks[i].Registry < marks[j].Registry
	})
	return marks, nil
}

func find(marks []Mark, r *Registry) int {
	for i, k := range marks {
		if k.Authority == r.Authority && k.Registry == r.ID {
			return i
		}
	}
	return -1
}

// check compares r (whose compact form has digest) with the mark held.
func (m *Marks) check(marks []Mark, r *Registry, digest string) error {
	i := find(marks, r)
	if i < 0 {
		return nil
	}
	held := marks[i]
	switch {
	case r.Version < held.Version:
		return fmt.Errorf("%w: got version %d of %s, but version %d was already accepted (high-water mark in %s)",
			ErrSnapshotRollback, r.Version, r.displayName(), held.Version, m.path)
	case r.Version == held.Version && digest != held.Digest:
		return fmt.Errorf("%w: version %d of %s republished with other content (equivocation; high-water mark in %s)",
			ErrSnapshotRollback, r.Version, r.displayName(), m.path)
	}
	return nil
}

func (r *Registry) displayName() string {
	if r.Name != "" {
		return fmt.Sprintf("%q (%s)", r.Name, r.Authority)
	}
	return r.Authority
}

// Check refuses compact (already verified as r) when it is older than the
// mark held for its registry, or claims the mark's version with other
// content (ErrSnapshotRollback). It records nothing.
func (m *Marks) Check(r *Registry, compact string) error {
	marks, err := m.read()
	if err != nil {
		return err
	}
	return m.check(marks, r, SnapshotDigest(compact))
}

// Advance is Check, then records compact as the registry's mark when it
// is newer than the one held (or the first one).
func (m *Marks) Advance(r *Registry, compact string) error {
	marks, err := m.read()
	if err != nil {
		return err
	}
	digest := SnapshotDigest(compact)
	if err := m.check(marks, r, digest); err != nil {
		return err
	}
	mark := Mark{Authority: r.Authority, Registry: r.ID, Version: r.Version, Digest: digest, Accepted: m.now().UTC().Truncate(time.Second)}
	if i := find(marks, r); i >= 0 {
		if marks[i].Version == r.Version {
			return nil // already held
		}
		marks[i] = mark
	} else {
		marks = append(marks, mark)
	}
	return m.write(marks)
}

func (m *Marks) write(marks []Mark) error {
	if marks == nil {
		marks = []Mark{}
	}
	b, err := json.MarshalIndent(marksFile{Type: MarksType, Marks: marks}, "", "  ")
	if err != nil {
		return fmt.Errorf("trust: encode high-water marks: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(m.path), 0o700); err != nil {
		return fmt.Errorf("trust: high-water marks: %w", err)
	}
	if err := fsx.WriteAtomic(m.path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("trust: write high-water marks: %w", err)
	}
	return nil
}

// Forget removes the marks of authority (every registry it signs), or,
// when authority is "", the whole file, readable or not. It returns how
// many marks were removed (-1 when a whole unreadable file was removed).
// Forgetting lets an older snapshot be accepted again: it is the explicit
// reset for a damaged file or a registry that was deliberately rebuilt.
func (m *Marks) Forget(authority string) (int, error) {
	if authority == "" {
		marks, rerr := m.read()
		err := os.Remove(m.path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return 0, nil
		case err != nil:
			return 0, fmt.Errorf("trust: remove high-water marks: %w", err)
		case rerr != nil:
			return -1, nil
		}
		return len(marks), nil
	}
	marks, err := m.read()
	if err != nil {
		return 0, err
	}
	kept := marks[:0]
	for _, k := range marks {
		if k.Authority != authority {
			kept = append(kept, k)
		}
	}
	removed := len(marks) - len(kept)
	if removed == 0 {
		return 0, nil
	}
	return removed, m.write(kept)
}
