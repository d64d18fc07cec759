package verifier

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/cairn-id/cairn/internal/oid4vp"
	"github.com/cairn-id/cairn/internal/purposes"
)

// ErrPurpose marks a purpose file this package refuses.
var ErrPurpose = errors.New("verifier: invalid purpose")

// MaxPurposeFile bounds one purpose file.
const MaxPurposeFile = 64 << 10

// Purpose is what a desk may ask for and why: a registered purpose of the
// verifier in the trust registry (its ID), its name in the four languages
// of the console, the DCQL query of the request, the assurance policy the
// result is evaluated against, and how long results are kept.
type Purpose struct {
	ID        string            `json:"id"`
	Names     map[string]string `json:"names"`
	Policy    string            `json:"assurance_policy"`
	Retention Duration          `json:"retention"`
	DCQL      json.RawMessage   `json:"dcql_query"`

	query *oid4vp.Query
}

// Query is the purpose's parsed DCQL query.
func (p *Purpose) Query() *oid4vp.Query { return p.query }

// Name is the purpose's name in lang (English when missing).
func (p *Purpose) Name(lang string) string {
	if n := p.Names[lang]; n != "" {
		return n
	}
	return p.Names["en"]
}

// Claims lists the JSON pointers the query may ask for, for the registry's
// "may verifier Z ask for these claims?" (trust.VerifierMayRequest).
func (p *Purpose) Claims() []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range p.query.Credentials {
		for _, cl := range c.Claims {
			ptr := cl.Path.Pointer()
			if i := strings.Index(ptr, "/*"); i >= 0 {
				ptr = ptr[:i]
			}
			if !seen[ptr] {
				seen[ptr] = true
				out = append(out, ptr)
			}
		}
	}
	sort.Strings(out)
	return out
}

// Duration is a time.Duration written as Go writes one ("24h", "90m").
type Duration time.Duration

// MarshalJSON writes d as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads a string such as "720h".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration such as \"24h\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

var purposeID = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// MaxRetention bounds how long any result may be kept.
const MaxRetention = 366 * 24 * time.Hour

// ParsePurpose reads and checks one purpose file: an id, an English name
// (and at most the four console languages), a valid DCQL query, a policy
// name and a retention between one minute and MaxRetention.
func ParsePurpose(b []byte) (*Purpose, error) {
	if len(b) > MaxPurposeFile {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrPurpose, MaxPurposeFile)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var p Purpose
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPurpose, err)
	}
	if !purposeID.MatchString(p.ID) {
		return nil, fmt.Errorf("%w: id %q must be lower-case letters, digits, '.', '_' or '-'", ErrPurpose, p.ID)
	}
	if p.Names["en"] == "" {
		return nil, fmt.Errorf("%w: %s: an English name (names.en) is required", ErrPurpose, p.ID)
	}
	for l := range p.Names {
		if !contains(Languages, l) {
			return nil, fmt.Errorf("%w: %s: names.%s: languages are %v", ErrPurpose, p.ID, l, Languages)
		}
	}
	if p.Policy == "" {
		return nil, fmt.Errorf("%w: %s: assurance_policy is required", ErrPurpose, p.ID)
	}
	if r := time.Duration(p.Retention); r < time.Minute || r > MaxRetention {
		return nil, fmt.Errorf("%w: %s: retention must be between 1m and %s", ErrPurpose, p.ID, MaxRetention)
	}
	q, err := oid4vp.ParseQuery(p.DCQL)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: dcql_query: %w", ErrPurpose, p.ID, err)
	}
	p.query = q
	return &p, nil
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// Purposes is a set of purposes by id.
type Purposes map[string]*Purpose

// IDs lists the purpose ids, sorted.
func (ps Purposes) IDs() []string {
	out := make([]string, 0, len(ps))
	for id := range ps {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// DefaultPurposes are the purposes shipped in the binary: clinic access,
// school enrolment, cash-assistance eligibility and opening a basic bank
// account (internal/purposes, where wallets find their names too).
func DefaultPurposes() (Purposes, error) {
	ps := Purposes{}
	shipped := purposes.FS()
	err := fs.WalkDir(shipped, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(shipped, path)
		if err != nil {
			return err
		}
		p, err := ParsePurpose(b)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		ps[p.ID] = p
		return nil
	})
	return ps, err
}

// LoadPurposes returns the default purposes with those of dir's *.json
// files added (a file with a default's id replaces it). An empty dir
// means the defaults only; a missing dir is an error.
func LoadPurposes(dir string) (Purposes, error) {
	ps, err := DefaultPurposes()
	if err != nil || dir == "" {
		return ps, err
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(dir); err != nil {
		return nil, err
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		p, err := ParsePurpose(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		ps[p.ID] = p
	}
	return ps, nil
}
