package batch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cairn-id/cairn/internal/fsx"
	"github.com/cairn-id/cairn/internal/qr"
	"github.com/cairn-id/cairn/schemas"
)

// Request is what Run asks an OfferCreator for: one offer for one person.
// It mirrors issuer.OfferRequest (without evidence overrides: a drive uses
// the type's defaults).
type Request struct {
	VCT       string
	Claims    map[string]any
	TxCode    bool
	Reference string
	TTL       time.Duration
	// Batch names the drive (issuer.OfferRequest.Batch).
	Batch string
	// Evidence: the row's preset; nil for the type's default.
	Evidence *schemas.Evidence
}

// Result is a created offer; it mirrors issuer.Offer.
type Result struct {
	// ID redeems the offer: it is only in URI, never in a file.
	ID string
	// Handle is the offer's public name (summary, 'cairn issuer cancel').
	Handle string
	// URI is the text of the QR code (openid-credential-offer://…).
	URI      string
	OfferURL string
	// TxCode is the transaction code to tell the holder; empty if none.
	TxCode    string
	ExpiresAt time.Time
}

// OfferCreator creates credential offers. Implementations must be safe
// for concurrent use when Options.Workers > 1. An error refuses that row
// only; its message becomes the row's reason, so it must not carry claim
// values (issuer.ValidationError lists claim paths only).
type OfferCreator interface {
	CreateOffer(ctx context.Context, r Request) (*Result, error)
}

// OfferCreatorFunc adapts a function to OfferCreator.
type OfferCreatorFunc func(ctx context.Context, r Request) (*Result, error)

// CreateOffer calls f.
func (f OfferCreatorFunc) CreateOffer(ctx context.Context, r Request) (*Result, error) {
	return f(ctx, r)
}

// Output file names.
const (
	SheetFile   = "sheet.html"
	SummaryFile = "summary.json"
)

// ErrOutDirInUse: the output directory exists and is not empty.
var ErrOutDirInUse = errors.New("batch: output directory is not empty")

// Options configure Run.
type Options struct {
	// OutDir receives the PNGs, the sheet and the summary. It must not
	// exist or be empty.
	OutDir string
	// Catalogue names the types on the sheet; nil loads the embedded one.
	Catalogue *schemas.Catalogue
	// Progress, if set, receives a progress bar.
	Progress io.Writer
	// ProgressTerminal redraws one bar with \r (for a terminal); otherwise
	// one line is written per 10%.
	ProgressTerminal bool
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// TTL is how long offers stay redeemable (zero: the issuer's default).
	TTL time.Duration
	// Batch names the drive on every offer, so it can be cancelled as a
	// whole ('cairn issuer cancel --batch') and resumed.
	Batch string
	// Lang is the language of the sheet: its words, type names, direction
	// and dates (en, fr, ar, uk; default "en"; internal/i18n).
	Lang string
	// Location is the time zone of the dates on the sheet (default UTC);
	// the CLI passes the desk's local zone.
	Location *time.Location
	// Title heads the sheet, e.g. the organisation and the drive.
	Title string
	// Workers is how many rows are offered and encoded at once (default:
	// GOMAXPROCS). QR encoding dominates the time.
	Workers int
}

// Summary is what a batch did; Run writes it as summary.json. It holds no
// claim values, offer URIs or transaction codes.
type Summary struct {
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// Complete is false when the batch was cancelled before every row was
	// processed.
	Complete bool          `json:"complete"`
	Rows     int           `json:"rows"`
	Offered  int           `json:"offered"`
	Refused  int           `json:"refused"`
	Offers   []OfferRecord `json:"offers"`
	// RefusedRows lists every row not offered, in line order.
	RefusedRows []Refusal `json:"refused_rows"`
	Sheet       string    `json:"sheet"`
}

// OfferRecord is one offer made.
type OfferRecord struct {
	Line           int       `json:"line"`
	Reference      string    `json:"reference"`
	VCT            string    `json:"vct"`
	OfferHandle    string    `json:"offer_handle"` // the public handle; the id that redeems is only in the QR code
	File           string    `json:"file"`
	TxCodeRequired bool      `json:"tx_code_required"`
	ExpiresAt      time.Time `json:"expires_at"`
}

// Refusal is one row not offered and why.
type Refusal struct {
	Line      int    `json:"line"`
	Reference string `json:"reference,omitempty"`
	Reason    string `json:"reason"`
}

// outcome is the result of one row.
type outcome struct {
	row    *Row
	result *Result
	png    []byte
	file   string
	reason string
	done   bool
}

// Run makes one offer per good row of rows with creator and writes the
// QR codes, the sheet and the summary to o.OutDir. Rows with a Refusal,
// and rows the creator refuses, are reported in the summary and never
// stop the others. Run returns an error only when the batch itself fails
// (output directory in use or unwritable, ctx cancelled); the summary is
// written in every case it can be.
func Run(ctx context.Context, rows []Row, creator OfferCreator, o Options) (*Summary, error) {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	cat := o.Catalogue
	if cat == nil {
		var err error
		if cat, err = schemas.Load(); err != nil {
			return nil, err
		}
	}
	if err := prepareOutDir(o.OutDir); err != nil {
		return nil, err
	}
	sum := &Summary{Started: now().UTC(), Rows: len(rows)}
	outs := make([]outcome, len(rows))
	var todo []int
	for i := range rows {
		outs[i].row = &rows[i]
		if rows[i].Refusal != "" {
			outs[i].reason, outs[i].done = rows[i].Refusal, true
			continue
		}
		todo = append(todo, i)
	}

	bar := newProgress(o.Progress, o.ProgressTerminal, len(todo))
	workers := o.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	jobs := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var writeErr error
	finished := 0
	for range min(workers, max(len(todo), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				out := &outs[i]
				offerRow(ctx, out, creator, o.TTL, o.Batch)
				var err error
				if out.png != nil {
					out.file = pngName(out.row.Reference, out.row.Line)
					err = writeNew(filepath.Join(o.OutDir, out.file), out.png)
				}
				mu.Lock()
				if err != nil && writeErr == nil {
					writeErr = err
				}
				finished++
				bar.update(finished)
				mu.Unlock()
			}
		}()
	}
	stopped := false
feed:
	for _, i := range todo {
		mu.Lock()
		failed := writeErr != nil
		mu.Unlock()
		if failed {
			stopped = true
			break
		}
		select {
		case jobs <- i:
		case <-ctx.Done():
			stopped = true
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	bar.finish()

	sum.Complete = !stopped
	for i := range outs {
		out := &outs[i]
		switch {
		case !out.done:
			continue // not reached before cancellation
		case out.reason != "":
			sum.RefusedRows = append(sum.RefusedRows, Refusal{Line: out.row.Line, Reference: out.row.Reference, Reason: out.reason})
		case out.file != "":
			sum.Offers = append(sum.Offers, OfferRecord{
				Line: out.row.Line, Reference: out.row.Reference, VCT: out.row.VCT, OfferHandle: out.result.Handle,
				File: out.file, TxCodeRequired: out.result.TxCode != "", ExpiresAt: out.result.ExpiresAt.UTC(),
			})
		}
	}
	sum.Offered, sum.Refused = len(sum.Offers), len(sum.RefusedRows)
	sum.Sheet = SheetFile
	sum.Finished = now().UTC()

	sheet, err := renderSheet(sheetData(sum, outs, cat, o))
	if err != nil {
		return sum, err
	}
	if err := writeNew(filepath.Join(o.OutDir, SheetFile), sheet); err != nil {
		return sum, err
	}
	js, err := json.MarshalIndent(sum, "", "  ")
	if err != nil {
		return sum, fmt.Errorf("batch: encoding summary: %w", err)
	}
	if err := writeNew(filepath.Join(o.OutDir, SummaryFile), append(js, '\n')); err != nil {
		return sum, err
	}
	if writeErr != nil {
		return sum, writeErr
	}
	if stopped {
		return sum, fmt.Errorf("batch: stopped after %d of %d rows: %w", finished, len(todo), ctx.Err())
	}
	return sum, nil
}

// offerRow asks for the row's offer and encodes its QR code, reading the
// PNG back so a code that does not scan is never printed.
func offerRow(ctx context.Context, out *outcome, creator OfferCreator, ttl time.Duration, batchName string) {
	out.done = true
	r := out.row
	res, err := creator.CreateOffer(ctx, Request{VCT: r.VCT, Claims: r.Claims, TxCode: r.TxCode, Reference: r.Reference, TTL: ttl, Batch: batchName, Evidence: r.Evidence})
	if err != nil {
		out.reason = "offer refused: " + err.Error()
		return
	}
	if res == nil || res.URI == "" {
		out.reason = "offer refused: the issuer returned no offer"
		return
	}
	png, err := qr.Encode(res.URI, qr.LevelMedium)
	if err != nil {
		out.reason = "QR code: " + err.Error()
		return
	}
	if back, err := qr.Decode(png); err != nil || back != res.URI {
		out.reason = "QR code does not read back; offer " + res.Handle + " was created but not printed (cancel it: cairn issuer cancel " + res.Handle + ")"
		return
	}
	out.result, out.png = res, png
}

// prepareOutDir creates dir, or accepts it if it exists and is empty.
func prepareOutDir(dir string) error {
	if dir == "" {
		return errors.New("batch: no output directory")
	}
	f, err := os.Open(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("batch: creating output directory: %w", err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("batch: output directory: %w", err)
	}
	defer f.Close()
	names, err := f.Readdirnames(1)
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("batch: output directory: %w", err)
	}
	if len(names) > 0 {
		return fmt.Errorf("%w: %s (a previous batch is never overwritten)", ErrOutDirInUse, dir)
	}
	return nil
}

// writeNew writes a file that must not exist yet, readable by the owner
// only.
func writeNew(path string, data []byte) error {
	if err := fsx.WriteNew(path, data, 0o600); err != nil {
		return fmt.Errorf("batch: %w", err)
	}
	return nil
}

// maxStemLen bounds the reference part of a file name.
const maxStemLen = 40

// pngName is the file name of a row's QR code: the reference reduced to
// ASCII letters, digits, "-" and "_" (anything else becomes one "_"), then
// the line number, which keeps names unique.
func pngName(reference string, line int) string {
	var b strings.Builder
	lastSep := true
	for _, c := range reference {
		ok := c < 0x80 && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-')
		switch {
		case ok:
			b.WriteRune(c)
			lastSep = false
		case !lastSep:
			b.WriteByte('_')
			lastSep = true
		}
		if b.Len() >= maxStemLen {
			break
		}
	}
	stem := strings.Trim(b.String(), "_-")
	if stem == "" {
		stem = "row"
	}
	return stem + "-" + strconv.Itoa(line) + ".png"
}
