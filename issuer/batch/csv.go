package batch

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cairn-id/cairn/internal/claimpath"
	"github.com/cairn-id/cairn/schemas"
)

// Limits.
const (
	MaxFileSize  = 16 << 20
	MaxRows      = 10_000
	MaxFieldSize = 4 << 10
	// MaxColumns bounds the header.
	MaxColumns = 200
	// MaxIndex is the largest array index a column name may use.
	MaxIndex = 99
	// MaxReferenceLen bounds a reference, in characters: it is printed on
	// a card.
	MaxReferenceLen = 64
)

// Reserved column names.
const (
	ColReference = "reference"
	ColVCT       = "vct"
	ColTxCode    = "tx_code"
	// ColEvidence names the row's evidence preset (schemas.Type.EvidencePreset,
	// e.g. declared-only); an empty cell takes the type's default.
	ColEvidence = "evidence"
)

// ErrUnusableCSV: the file as a whole cannot be used (no header, missing
// reference column, bad column names, too large). No row was read.
var ErrUnusableCSV = errors.New("batch: unusable CSV")

// ReadOptions are the defaults rows fall back on.
type ReadOptions struct {
	// DefaultVCT is the credential type of rows without a vct cell: its
	// full vct or short name (schemas.Catalogue.Resolve), as in the column.
	DefaultVCT string
	// TxCode is whether rows without a tx_code cell ask for a transaction
	// code.
	TxCode bool
}

// Row is one data row of the CSV file. A row with a non-empty Refusal is
// not offered; its other fields are filled as far as they were read.
type Row struct {
	Line      int // 1-based line of the row's first field in the file
	Reference string
	VCT       string
	TxCode    bool
	// Evidence is the row's evidence preset's scores; nil: the type's
	// default evidence.
	Evidence *schemas.Evidence
	Claims   map[string]any
	// Refusal says why the row cannot be offered, naming columns and claim
	// paths, never values.
	Refusal string
}

// registered claims the credential layer sets; never CSV columns.
var issuerSet = map[string]bool{
	"iss": true, "sub": true, "iat": true, "nbf": true, "exp": true, "jti": true,
	"cnf": true, "status": true, "vct#integrity": true, "evidence": true,
}

// column is one claim column of the header.
type column struct {
	index int
	name  string
	path  []segment
}

// segment is a path step: a claim name or an array index.
type segment struct {
	key     string
	index   int
	isIndex bool
}

// ReadCSV reads a registration drive's CSV file (format in the package
// documentation) and returns its data rows, typed and validated against
// cat. It returns an error wrapping ErrUnusableCSV when the file as a
// whole cannot be used; bad rows come back with a Refusal instead.
func ReadCSV(r io.Reader, cat *schemas.Catalogue, o ReadOptions) ([]Row, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("batch: reading CSV: %w", err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrUnusableCSV, MaxFileSize)
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	if o.DefaultVCT != "" {
		t, err := cat.Resolve(o.DefaultVCT)
		if err != nil {
			return nil, fmt.Errorf("%w: default type: %w", ErrUnusableCSV, err)
		}
		o.DefaultVCT = t.VCT
	}
	cr := csv.NewReader(bufio.NewReader(bytes.NewReader(data)))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("%w: empty file", ErrUnusableCSV)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: header: %w", ErrUnusableCSV, err)
	}
	h, err := parseHeader(header)
	if err != nil {
		return nil, err
	}
	if h.vct < 0 && o.DefaultVCT == "" {
		return nil, fmt.Errorf("%w: no %q column and no default type", ErrUnusableCSV, ColVCT)
	}
	var rows []Row
	firstLine := map[string]int{} // reference → line
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if len(rows) >= MaxRows {
			return nil, fmt.Errorf("%w: more than %d rows", ErrUnusableCSV, MaxRows)
		}
		var perr *csv.ParseError
		if errors.As(err, &perr) {
			// The reader resumes after the malformed record.
			rows = append(rows, Row{Line: perr.StartLine, Refusal: "malformed CSV: " + perr.Err.Error()})
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrUnusableCSV, err)
		}
		line, _ := cr.FieldPos(0)
		if blank(rec) {
			continue
		}
		row := Row{Line: line}
		h.readRow(&row, rec, cat, o)
		if row.Refusal == "" {
			if prev, dup := firstLine[row.Reference]; dup {
				row.Refusal = fmt.Sprintf("reference repeats the one on line %d", prev)
			} else {
				firstLine[row.Reference] = line
			}
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

type header struct {
	n         int
	reference int
	vct       int
	txCode    int
	evidence  int
	claims    []column
}

func parseHeader(names []string) (*header, error) {
	if len(names) > MaxColumns {
		return nil, fmt.Errorf("%w: %d columns, limit %d", ErrUnusableCSV, len(names), MaxColumns)
	}
	h := &header{n: len(names), reference: -1, vct: -1, txCode: -1, evidence: -1}
	seen := map[string]bool{}
	for i, raw := range names {
		if !utf8.ValidString(raw) || len(raw) > 256 {
			return nil, fmt.Errorf("%w: column %d has an invalid name", ErrUnusableCSV, i+1)
		}
		name := strings.TrimSpace(raw)
		if name == "" {
			return nil, fmt.Errorf("%w: column %d has no name", ErrUnusableCSV, i+1)
		}
		if seen[name] {
			return nil, fmt.Errorf("%w: column %q appears twice", ErrUnusableCSV, name)
		}
		seen[name] = true
		switch strings.ToLower(name) {
		case ColReference:
			h.reference = i
			continue
		case ColVCT:
			h.vct = i
			continue
		case ColTxCode:
			h.txCode = i
			continue
		case ColEvidence:
			h.evidence = i
			continue
		}
		path, err := parseColumnName(name)
		if err != nil {
			return nil, fmt.Errorf("%w: column %q: %w", ErrUnusableCSV, name, err)
		}
		if !path[0].isIndex && issuerSet[path[0].key] {
			return nil, fmt.Errorf("%w: column %q: %s is set by the issuer, not the CSV", ErrUnusableCSV, name, path[0].key)
		}
		h.claims = append(h.claims, column{index: i, name: name, path: path})
	}
	if h.reference < 0 {
		return nil, fmt.Errorf("%w: no %q column", ErrUnusableCSV, ColReference)
	}
	if err := checkPaths(h.claims); err != nil {
		return nil, err
	}
	return h, nil
}

// parseColumnName turns a JSON Pointer or dotted name into a path.
func parseColumnName(name string) ([]segment, error) {
	var parts []string
	if strings.HasPrefix(name, "/") {
		var err error
		if parts, err = claimpath.Split(name); err != nil {
			return nil, err
		}
	} else {
		parts = strings.Split(name, ".")
	}
	path := make([]segment, 0, len(parts))
	for i, p := range parts {
		if p == "" {
			return nil, errors.New("empty path segment")
		}
		if isDigits(p) {
			if i == 0 {
				return nil, errors.New("a claim name cannot be an array index")
			}
			n, err := strconv.Atoi(p)
			if err != nil || n > MaxIndex || (len(p) > 1 && p[0] == '0') {
				return nil, fmt.Errorf("array index must be 0 to %d", MaxIndex)
			}
			path = append(path, segment{index: n, isIndex: true})
			continue
		}
		path = append(path, segment{key: p})
	}
	return path, nil
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// checkPaths refuses columns that cannot all be placed in one claim set:
// one a prefix of another (address and address.locality), or a step used
// both as an array index and as a name.
func checkPaths(cols []column) error {
	type node struct {
		leaf     string
		children map[segment]*node
		hasIndex bool
		hasKey   bool
	}
	root := &node{children: map[segment]*node{}}
	for _, c := range cols {
		cur := root
		for i, s := range c.path {
			if cur.leaf != "" {
				return fmt.Errorf("%w: columns %q and %q overlap", ErrUnusableCSV, cur.leaf, c.name)
			}
			if s.isIndex {
				cur.hasIndex = true
			} else {
				cur.hasKey = true
			}
			if cur.hasIndex && cur.hasKey {
				return fmt.Errorf("%w: column %q mixes array indices and names at one level", ErrUnusableCSV, c.name)
			}
			next := cur.children[s]
			if next == nil {
				next = &node{children: map[segment]*node{}}
				cur.children[s] = next
			}
			cur = next
			if i == len(c.path)-1 {
				if len(cur.children) > 0 || cur.leaf != "" {
					return fmt.Errorf("%w: column %q overlaps another column", ErrUnusableCSV, c.name)
				}
				cur.leaf = c.name
			}
		}
	}
	return nil
}

// readRow fills row from rec, or sets row.Refusal.
func (h *header) readRow(row *Row, rec []string, cat *schemas.Catalogue, o ReadOptions) {
	if len(rec) != h.n {
		row.Refusal = fmt.Sprintf("has %d fields, the header has %d", len(rec), h.n)
		return
	}
	cells := make([]string, len(rec))
	for i, f := range rec {
		if len(f) > MaxFieldSize {
			row.Refusal = fmt.Sprintf("column %q is longer than %d bytes", h.name(i), MaxFieldSize)
			return
		}
		if !utf8.ValidString(f) {
			row.Refusal = fmt.Sprintf("column %q is not valid UTF-8", h.name(i))
			return
		}
		cells[i] = strings.TrimSpace(f)
	}
	ref := cells[h.reference]
	switch {
	case ref == "":
		row.Refusal = "reference is empty"
		return
	case utf8.RuneCountInString(ref) > MaxReferenceLen:
		row.Refusal = fmt.Sprintf("reference is longer than %d characters", MaxReferenceLen)
		return
	case strings.IndexFunc(ref, unicode.IsControl) >= 0:
		row.Refusal = "reference contains control characters"
		return
	}
	row.Reference = ref
	row.VCT = o.DefaultVCT
	if h.vct >= 0 && cells[h.vct] != "" {
		row.VCT = cells[h.vct]
	}
	if row.VCT == "" {
		row.Refusal = "vct is empty and no default type was given"
		return
	}
	typ, err := cat.Resolve(row.VCT)
	if err != nil {
		row.Refusal = "unknown credential type in column \"vct\""
		return
	}
	row.VCT = typ.VCT
	row.TxCode = o.TxCode
	if h.txCode >= 0 && cells[h.txCode] != "" {
		b, err := schemas.ParseYesNo(cells[h.txCode])
		if err != nil {
			row.Refusal = "tx_code must be yes or no"
			return
		}
		row.TxCode = b
	}
	if h.evidence >= 0 && cells[h.evidence] != "" {
		ev, err := typ.EvidencePreset(cells[h.evidence])
		if err != nil {
			row.Refusal = fmt.Sprintf("unknown evidence preset in column %q (%s has %s)", ColEvidence, typ.Name, strings.Join(typ.EvidencePresetNames(), ", "))
			return
		}
		row.Evidence = &ev
	}
	claims, refusal := typeClaims(typ, h.claims, cells)
	if refusal != "" {
		row.Refusal = refusal
		return
	}
	row.Claims = claims
}

func (h *header) name(i int) string {
	switch i {
	case h.reference:
		return ColReference
	case h.vct:
		return ColVCT
	case h.txCode:
		return ColTxCode
	case h.evidence:
		return ColEvidence
	}
	for _, c := range h.claims {
		if c.index == i {
			return c.name
		}
	}
	return strconv.Itoa(i + 1)
}
