package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cairn-id/cairn/issuer"
	"github.com/cairn-id/cairn/issuer/batch"
	"github.com/cairn-id/cairn/schemas"
)

type issuerOfferBatchOptions struct {
	dir    string
	csv    string
	out    string
	vct    string
	txCode bool
	batch  string
	ttl    time.Duration
	lang   string
	title  string
	asJSON bool
}

// newIssuerOfferBatchCmd is `cairn issuer offer-batch`: a registration
// drive's offers from a CSV file, as PNGs and one printable sheet.
func newIssuerOfferBatchCmd(e *env) *cobra.Command {
	o := &issuerOfferBatchOptions{}
	c := &cobra.Command{
		Use:   "offer-batch --dir ISSUER-DIR --csv FILE --out DIR [--type TYPE] [--tx-code]",
		Short: "Create the credential offers of a registration drive from a CSV file",
		Long: `Read a CSV file with one row per person, validate every row against its
credential type and create one offer per good row. The output directory
(which must not exist or be empty) receives one QR code PNG per offer,
sheet.html (A4 cards to print: reference, credential type, QR code, expiry
and, on a stub to cut off, the transaction code to tell the person) and
summary.json (counts and the refused rows; no claims, URIs or codes).

CSV: UTF-8 (byte order mark allowed), header row, RFC 4180 quoting.
  reference   your label for the person (queue ticket, case number); required, unique
  vct         credential type, full or short name (optional with --type)
  tx_code     yes/no: ask this person for a transaction code (default: --tx-code)
  evidence    evidence preset of the type (default: the type's default), e.g.
              declared-only when no document was seen ('cairn schemas show TYPE')
  other       claims, named as JSON Pointers (/address/locality) or dotted
              names (address.locality, nationalities.0); a column for an
              array claim (nationalities) takes ";"-separated values.
Values are typed by the credential type's schema (numbers, yes/no
booleans, dates as YYYY-MM-DD, a birthdate also as YYYY or YYYY-MM,
countries as codes or names in en/fr/ar/uk); an empty cell leaves the
claim out.
At most 10,000 rows, 4 KiB per cell, 16 MiB per file.

Every offer is marked with the drive's name (--batch, default the CSV
file's name without extension): 'cairn issuer cancel --batch NAME' cancels
them all. Running a drive again (after an interruption, with a new --out)
skips the rows whose reference already has an offer or a credential of the
same type, and says how many it skipped.

A bad row never stops the others: it is reported with its line number and
why (claim paths, never values).

Exit codes: 0 every row offered; 3 some rows refused (the others were
offered; see summary.json); 10 every row refused: no offer was created;
2 the CSV file cannot be used, or the output directory is not empty;
1 the batch failed (storage, disk).`,
		Example: `  cairn issuer offer-batch --dir ngo --csv drive-2026-11-26.csv --out drive-2026-11-26
  cairn issuer offer-batch --dir ngo --csv camp4.csv --out camp4 \
      --type humanitarian-registration --tx-code --ttl 72h --lang ar

  # drive-2026-11-26.csv (examples/desk has it and camp4.csv)
  reference,vct,given_name,family_name,birthdate,nationalities,sex
  Q-001,identity-attestation,Amina,Yusuf,1990-04-02,ER;SO,2
  Q-002,identity-attestation,Олена,Коваленко,1985-01,UA,2
  Q-003,identity-attestation,Dawit,Tesfaye,1979,Érythrée,1`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd.Context(), e) },
	}
	c.Flags().StringVar(&o.dir, "dir", "", "issuer directory")
	c.Flags().StringVar(&o.csv, "csv", "", "CSV file of the drive")
	c.Flags().StringVar(&o.out, "out", "", "output directory (must not exist or be empty)")
	c.Flags().StringVar(&o.vct, "type", "", "credential type of rows without a vct cell (full vct or short name)")
	c.Flags().BoolVar(&o.txCode, "tx-code", false, "require a transaction code for rows without a tx_code cell")
	c.Flags().DurationVar(&o.ttl, "ttl", 0, "how long the offers stay valid (default 24h, at most 720h)")
	c.Flags().StringVar(&o.lang, "lang", "en", "language of the sheet: its words, type names, direction and dates (en, fr, ar, uk)")
	c.Flags().StringVar(&o.title, "title", "", "heading of the sheet (e.g. organisation and place)")
	c.Flags().BoolVar(&o.asJSON, "json", false, "print the summary as JSON on stdout")
	c.Flags().StringVar(&o.batch, "batch", "", "name of the drive on its offers (default: the CSV file name without extension)")
	for _, f := range []string{"dir", "csv", "out"} {
		_ = c.MarkFlagRequired(f)
	}
	return c
}

func (o *issuerOfferBatchOptions) run(ctx context.Context, e *env) error {
	cat, err := schemas.Load()
	if err != nil {
		return err
	}
	resolveTypeRefs(cat, &o.vct)
	f, err := os.Open(o.csv)
	if err != nil {
		return usageError(err)
	}
	rows, err := batch.ReadCSV(f, cat, batch.ReadOptions{DefaultVCT: o.vct, TxCode: o.txCode})
	f.Close()
	if err != nil {
		return usageError(fmt.Errorf("%s: %w", o.csv, err))
	}
	if len(rows) == 0 {
		return usageError(fmt.Errorf("%s: no rows", o.csv))
	}
	// Through the admin socket when 'cairn issuer serve' runs, so a drive
	// can be prepared while the desk keeps issuing.
	adm, err := openAdmin(ctx, e, o.dir, nil)
	if err != nil {
		return err
	}
	defer adm.Close()
	name := o.batch
	if name == "" {
		name = strings.TrimSuffix(filepath.Base(o.csv), filepath.Ext(o.csv))
	}
	if names, _ := os.ReadDir(o.out); len(names) > 0 {
		return usageError(fmt.Errorf("%w: %s (a previous batch is never overwritten)", batch.ErrOutDirInUse, o.out))
	}
	rows, skipped, err := skipOffered(ctx, adm, rows)
	if err != nil {
		return err
	}
	if skipped > 0 {
		fmt.Fprintf(e.stderr, "skipped %d rows already offered (same reference and type): resuming the drive\n", skipped)
	}
	if len(rows) == 0 {
		fmt.Fprintln(e.stderr, "every row was already offered; nothing to do")
		return nil
	}
	sum, err := batch.Run(ctx, rows, batch.FromIssuer(adm), batch.Options{
		Batch: name, OutDir: o.out, Catalogue: cat, Progress: e.stderr, ProgressTerminal: writerIsTerminal(e.stderr),
		Now: e.now, TTL: o.ttl, Lang: o.lang, Location: time.Local, Title: o.title,
	})
	if errors.Is(err, batch.ErrOutDirInUse) {
		return usageError(err)
	}
	if sum != nil {
		if perr := o.report(e, sum); perr != nil && err == nil {
			err = perr
		}
	}
	if err != nil {
		return err
	}
	if sum.Offered == 0 && sum.Refused > 0 {
		return withExit(ExitNothingOffered, fmt.Errorf("no offer was created: all %d rows were refused (listed above and in %s); there is nothing to print",
			sum.Rows, filepath.Join(o.out, batch.SummaryFile)))
	}
	if sum.Refused > 0 {
		return withExit(ExitInvalid, fmt.Errorf("%d of %d rows refused (listed above and in %s); the other %d offers are ready",
			sum.Refused, sum.Rows, filepath.Join(o.out, batch.SummaryFile), sum.Offered))
	}
	return nil
}

// report prints the summary: JSON on stdout with --json, else a line on
// stdout; refused rows go to stderr either way.
func (o *issuerOfferBatchOptions) report(e *env, sum *batch.Summary) error {
	for _, r := range sum.RefusedRows {
		fmt.Fprintf(e.stderr, "line %d (%s): %s\n", r.Line, r.Reference, r.Reason)
	}
	if o.asJSON {
		return writeJSON(e.stdout, sum)
	}
	if sum.Offered == 0 {
		return nil // the error says nothing was created
	}
	_, err := fmt.Fprintf(e.stdout, "%d offers for %d rows; print %s\n", sum.Offered, sum.Rows, filepath.Join(o.out, batch.SheetFile))
	return err
}

// skipOffered drops the rows whose reference already has an offer or a
// credential of the row's type (a drive run again after an interruption)
// and returns how many it dropped.
func skipOffered(ctx context.Context, adm issuer.Admin, rows []batch.Row) ([]batch.Row, int, error) {
	byVCT := map[string][]string{}
	for _, r := range rows {
		if r.Refusal == "" && r.Reference != "" {
			byVCT[r.VCT] = append(byVCT[r.VCT], r.Reference)
		}
	}
	done := map[string]map[string]bool{}
	for vct, refs := range byVCT {
		m, err := adm.Offered(ctx, vct, refs)
		if err != nil {
			return nil, 0, err
		}
		done[vct] = m
	}
	out := rows[:0:0]
	for _, r := range rows {
		if r.Refusal == "" && done[r.VCT][r.Reference] {
			continue
		}
		out = append(out, r)
	}
	return out, len(rows) - len(out), nil
}
