package main

import (
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/cairn-id/cairn/issuer"
)

// Offer management at the desk (issue 8): list pending offers and cancel
// them by their public handle, or a whole offer-batch drive.

func newIssuerOffersCmd(e *env) *cobra.Command {
	var dir string
	var pending, asJSON bool
	c := &cobra.Command{
		Use:   "offers --dir DIR [--pending] [--json]",
		Short: "List the stored offers (handle, type, reference, batch, state, expiry)",
		Long: `List the offers the store holds: their public handle (for 'cairn issuer
cancel'), credential type, your reference, the offer-batch drive, the state
(pending, redeemed, locked, expired) and the expiry. No claim values, and
never the id in the QR code, which redeems the offer. --pending keeps the
offers that can still be redeemed. While 'cairn issuer serve' runs on DIR,
the list comes through its admin socket.`,
		Example: `  cairn issuer offers --dir ngo --pending
  cairn issuer offers --dir ngo --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			adm, err := openAdmin(cmd.Context(), e, dir, nil)
			if err != nil {
				return err
			}
			defer adm.Close()
			list, err := adm.Offers(cmd.Context(), pending)
			if err != nil {
				return err
			}
			if asJSON {
				if list == nil {
					list = []issuer.OfferInfo{}
				}
				return writeJSON(e.stdout, list)
			}
			if len(list) == 0 {
				fmt.Fprintln(e.stderr, "no offers")
				return nil
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "HANDLE\tTYPE\tREFERENCE\tBATCH\tSTATE\tEXPIRES")
			for _, o := range list {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", o.Handle, o.VCT, dash(o.Reference), dash(o.Batch), o.State, o.ExpiresAt.UTC().Format(time.RFC3339))
			}
			return tw.Flush()
		},
	}
	c.Flags().StringVar(&dir, "dir", "", "issuer directory")
	c.Flags().BoolVar(&pending, "pending", false, "only offers that can still be redeemed")
	c.Flags().BoolVar(&asJSON, "json", false, "print the offers as JSON")
	_ = c.MarkFlagRequired("dir")
	return c
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func newIssuerCancelCmd(e *env) *cobra.Command {
	var dir, batchName string
	c := &cobra.Command{
		Use:   "cancel --dir DIR [--] HANDLE | --batch NAME",
		Short: "Cancel a pending offer (a lost printed sheet) or every offer of a batch",
		Long: `Delete an offer with its claims so its QR code no longer redeems: HANDLE
is from 'cairn issuer offers' or the offer-batch summary (put -- before one
that starts with a dash). --batch NAME cancels every offer of that
offer-batch drive. While 'cairn issuer serve' runs on DIR, this goes
through its admin socket.`,
		Example: `  cairn issuer cancel --dir ngo 9fQ2x7Lm0aV1b2c3d4e5fg
  cairn issuer cancel --dir ngo --batch camp4`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if (len(args) == 1) == (batchName != "") || (len(args) == 1 && args[0] == "") {
				return usageError(errors.New("give one offer HANDLE or --batch NAME"))
			}
			adm, err := openAdmin(cmd.Context(), e, dir, nil)
			if err != nil {
				return err
			}
			defer adm.Close()
			if batchName != "" {
				n, err := adm.CancelBatch(cmd.Context(), batchName)
				if errors.Is(err, issuer.ErrNotFound) {
					return usageError(fmt.Errorf("no offers of batch %q", batchName))
				}
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "%d offers of batch %s cancelled\n", n, batchName)
				return nil
			}
			err = adm.CancelOffer(cmd.Context(), args[0])
			if errors.Is(err, issuer.ErrNotFound) {
				return usageError(fmt.Errorf("no offer %q (handles are listed by 'cairn issuer offers')", args[0]))
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "offer %s cancelled\n", args[0])
			return nil
		},
	}
	c.Flags().StringVar(&dir, "dir", "", "issuer directory")
	c.Flags().StringVar(&batchName, "batch", "", "cancel every offer of this offer-batch drive")
	_ = c.MarkFlagRequired("dir")
	return c
}
