package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cairn-id/cairn/internal/bounded"
	"github.com/cairn-id/cairn/internal/fsx"
	"github.com/cairn-id/cairn/wallet"
	walletapi "github.com/cairn-id/cairn/wallet/api"
	"github.com/cairn-id/cairn/wallet/client"
)

// walletFlowExit is walletExit with the flows' outcomes: an untrusted
// issuer or verifier exits 4, an invalid offer, request or credential 3.
func walletFlowExit(err error) error {
	switch {
	case errors.Is(err, client.ErrUntrusted):
		return withExit(ExitUntrusted, err)
	case errors.Is(err, client.ErrInvalid):
		return withExit(ExitInvalid, err)
	}
	return walletExit(err)
}

// scanned is the OFFER or REQUEST argument: the text, or standard input
// for "-", which (the holder's answers then having no input) needs --yes.
func scanned(e *env, arg, what string, yes bool) (string, error) {
	if arg != "-" {
		return arg, nil
	}
	b, err := bounded.ReadAll(e.stdin, 64<<10)
	if err != nil {
		return "", usageError(err)
	}
	if !yes {
		return "", usageError(fmt.Errorf("with the %s on standard input, confirm with --yes", what))
	}
	return strings.TrimSpace(string(b)), nil
}

// openScanned is scanned, then open: the text of the OFFER or REQUEST
// argument, the session and its client.
func (f *walletFlags) openScanned(e *env, arg, what string, yes bool, lang string) (string, *client.Session, *client.Client, error) {
	text, err := scanned(e, arg, what, yes)
	if err != nil {
		return "", nil, nil, err
	}
	s, c, err := f.open(e, lang)
	if err != nil {
		return "", nil, nil, err
	}
	return text, s, c, nil
}

// confirm asks a yes/no question; only "y" or "yes" is yes.
func (s *secretReader) confirm(question string) (bool, error) {
	fmt.Fprint(s.e.stderr, question+" [y/N]: ")
	line, err := s.in.ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		return false, err
	}
	a := strings.ToLower(strings.TrimSpace(line))
	return a == "y" || a == "yes", nil
}

func newWalletReceiveCmd(e *env, f *walletFlags) *cobra.Command {
	var txFile, lang string
	var yes bool
	c := &cobra.Command{
		Use:   "receive OFFER [--tx-code-file F] [--yes]",
		Short: "Receive a credential: preview the offer, then accept it (or refuse)",
		Long: `Hand the agent the scanned text of a credential offer
(openid-credential-offer://…; "-" reads it from standard input), show its
preview (issuer, whether the registry trusts it for the type, the type
and the claims in the holder's language), then accept it: the agent runs
the issuance, verifies the credential and keeps one copy per holder key.
A transaction code, when the offer needs one, is read from --tx-code-file
or asked for. Without --yes the holder is asked to confirm; answering no
refuses the offer (logged). An issuer the registry does not know is
accepted only after its warning is confirmed (--yes confirms it too).

Exit codes: 3 invalid offer or credential, 4 untrusted issuer not
confirmed, 22 wrong transaction code, 21 not logged in.`,
		Example: `  cairn wallet receive 'openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fngo.example%2Foffers%2Fabc'
  cairn wallet receive - --tx-code-file code.txt --yes < offer.txt`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			text, s, c, err := f.openScanned(e, args[0], "offer", yes, lang)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			pv, err := c.PreviewOffer(ctx, s.Token, text, lang)
			if err != nil {
				return walletFlowExit(err)
			}
			printOfferPreview(e.stdout, pv)
			sr := newSecretReader(e)
			var tx string
			if pv.TxCode != nil {
				if tx, err = sr.read(txFile, "Transaction code"); err != nil {
					return err
				}
			}
			q := "Accept this credential?"
			if pv.Warning != nil {
				q = "Accept it anyway, from an issuer the registry does not know?"
			}
			ok, err := sr.confirmed(yes, q)
			if err != nil {
				return err
			}
			if !ok {
				if err := c.RefuseOffer(ctx, s.Token, pv.ID); err != nil {
					return walletFlowExit(err)
				}
				fmt.Fprintln(e.stdout, "refused")
				return nil
			}
			a, err := c.AcceptOffer(ctx, s.Token, pv.ID, tx, !pv.Trusted)
			if err != nil {
				return walletFlowExit(err)
			}
			fmt.Fprintf(e.stdout, "received: %s from %s, %d cop%s\n", a.VCT, nonEmpty(a.IssuerName, a.IssuerDID), len(a.IDs), plural(len(a.IDs), "y", "ies"))
			if a.Note != nil {
				fmt.Fprintln(e.stdout, "note:", a.Note.Text)
			}
			return nil
		},
	}
	c.Flags().StringVar(&txFile, "tx-code-file", "", "read the transaction code from the first line of FILE (default: ask when needed)")
	c.Flags().BoolVar(&yes, "yes", false, "accept without asking (also confirms an untrusted issuer's warning)")
	c.Flags().StringVar(&lang, "lang", "", "language of the preview (BCP 47; default: the holder's setting)")
	return c
}

func nonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func printOfferPreview(w io.Writer, p *wallet.OfferPreview) {
	fmt.Fprintf(w, "issuer:  %s (%s)\n", nonEmpty(p.IssuerName, p.IssuerURL), trustWord(p.Trusted, "trusted for this type", "NOT in the trust registry for this type"))
	fmt.Fprintf(w, "type:    %s\n", p.TypeLabel)
	var labels []string
	for _, c := range p.Claims {
		labels = append(labels, c.Label)
	}
	fmt.Fprintf(w, "claims:  %s\n", strings.Join(labels, ", "))
	if p.TxCode != nil {
		fmt.Fprintln(w, "needs:   a transaction code")
	}
	if p.Linkable {
		fmt.Fprintln(w, "note:    one copy only: verifiers who see it could link its uses")
	}
	if p.Warning != nil {
		fmt.Fprintln(w, "WARNING:", p.Warning.Text)
	}
}

func trustWord(ok bool, yes, no string) string {
	if ok {
		return yes
	}
	return no
}

func newWalletPresentCmd(e *env, f *walletFlags) *cobra.Command {
	var only []string
	var lang string
	var yes, offerRevoked bool
	c := &cobra.Command{
		Use:   "present REQUEST [--yes] [--only CLAIM...] [--offer-revoked]",
		Short: "Answer a verifier's request: show the consent view and warnings, then send",
		Long: `Hand the agent the scanned text of an OpenID4VP request (openid4vp://…;
"-" reads it from standard input). The consent view shows the verifier
(registered or not), its purpose, which credential answers each query and
exactly which claims would leave, and a warning for each claim asked
beyond the verifier's registered purpose. Then, without --yes, the
holder is asked; no refuses (the verifier gets access_denied, nothing
else). --only sends just those claims (names or JSON Pointers, e.g.
given_name or /address/locality; repeatable), each one the view lists.

A credential its issuer has revoked is left out of the consent view (a
verifier would refuse it; the view says so). --offer-revoked offers it
anyway, with a warning on standard error: for a holder who must show it
all the same, e.g. to prove what it once said.

Exit codes: 3 invalid request, 4 verifier not registered and active, 1
when no stored credential answers, 21 not logged in.`,
		Example: `  cairn wallet present 'openid4vp://?client_id=decentralized_identifier%3Adid%3Aweb%3Ashelter.example&request_uri=...'
  cairn wallet present "$(cat request.txt)" --only given_name --only family_name --yes
  cairn wallet present "$(cat request.txt)" --offer-revoked`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			text, s, c, err := f.openScanned(e, args[0], "request", yes, lang)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			if offerRevoked {
				fmt.Fprintln(e.stderr, "WARNING: --offer-revoked: a credential its issuer has revoked may be sent; the verifier will see it is revoked and will most likely refuse it.")
			}
			pv, err := c.PreviewRequestWith(ctx, s.Token, lang, walletapi.PresentationRequest{Request: text, OfferRevoked: offerRevoked})
			if err != nil {
				return walletFlowExit(err)
			}
			printRequestPreview(e.stdout, pv)
			if !pv.CanAnswer {
				_ = c.RefuseRequest(ctx, s.Token, pv.ID)
				return reportedExit(ExitFailure, fmt.Errorf("no stored credential answers: missing %s", strings.Join(pv.Missing, ", ")))
			}
			ptrs := client.Pointers(only)
			ok, err := newSecretReader(e).confirmed(yes, "Send this to "+nonEmpty(pv.VerifierName, pv.VerifierID)+"?")
			if err != nil {
				return err
			}
			if !ok {
				if err := c.RefuseRequest(ctx, s.Token, pv.ID); err != nil {
					return walletFlowExit(err)
				}
				fmt.Fprintln(e.stdout, "refused: the verifier was told access_denied")
				return nil
			}
			pr, err := c.Respond(ctx, s.Token, pv.ID, ptrs)
			if err != nil {
				return walletFlowExit(err)
			}
			fmt.Fprintf(e.stdout, "sent to %s: %s\n", nonEmpty(pr.VerifierName, pr.VerifierID), strings.Join(pr.Claims, ", "))
			if pr.RedirectURI != "" {
				fmt.Fprintln(e.stdout, "next:", pr.RedirectURI)
			}
			return nil
		},
	}
	c.Flags().StringArrayVar(&only, "only", nil, "send only this claim (name or JSON Pointer; repeatable)")
	c.Flags().BoolVar(&yes, "yes", false, "send without asking")
	c.Flags().BoolVar(&offerRevoked, "offer-revoked", false, "offer credentials their issuer has revoked too (with a warning; a verifier will most likely refuse them)")
	c.Flags().StringVar(&lang, "lang", "", "language of the consent view (BCP 47; default: the holder's setting)")
	return c
}

func printRequestPreview(w io.Writer, p *wallet.RequestPreview) {
	fmt.Fprintf(w, "verifier: %s (%s)\n", nonEmpty(p.VerifierName, p.VerifierID), trustWord(p.Registered, "registered", "NOT registered"))
	if p.Purpose != "" {
		fmt.Fprintf(w, "purpose:  %s\n", nonEmpty(p.PurposeName, p.Purpose))
	}
	for _, q := range p.Queries {
		var labels []string
		for _, c := range q.Claims {
			labels = append(labels, c.Label+" ("+c.Path+")")
		}
		fmt.Fprintf(w, "sends:    %s from %s: %s\n", q.TypeLabel, nonEmpty(q.IssuerName, q.IssuerDID), strings.Join(labels, ", "))
	}
	for _, m := range p.Missing {
		fmt.Fprintln(w, "missing: ", m)
	}
	for _, warn := range p.Warnings {
		fmt.Fprintln(w, "WARNING:", warn.Text)
	}
}

func newWalletProximityCmd(e *env, f *walletFlags) *cobra.Command {
	var challenge, png, credential, verifier string
	var claims []string
	c := &cobra.Command{
		Use:   "proximity --challenge C --png FILE [--credential ID] [--claim NAME...]",
		Short: "Make an offline presentation for a verifier's challenge: its text and QR code (PNG)",
		Long: `Make an offline presentation (docs/proximity.md) of a credential's claims
bound to the challenge the verifier shows: print its text and write its
QR code to FILE (PNG, mode 0600, never overwritten). --credential is an
ID from 'cairn wallet list' (default: the only credential); --claim
chooses the claims (names or JSON Pointers; default: all of them). It is
logged as an offline presentation.`,
		Example: `  cairn wallet proximity --challenge 7Q2K-91AB --png qr.png
  cairn wallet proximity --challenge 7Q2K-91AB --png qr.png --credential 0hye92yyGVTNpVx5Xu-Qcw --claim given_name --claim family_name`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if challenge == "" || png == "" {
				return usageError(errors.New("give --challenge and --png"))
			}
			s, c, err := f.open(e, "")
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			req, err := c.ProximityRequest(ctx, s.Token, credential, claims)
			if errors.Is(err, client.ErrChoose) {
				return usageError(err)
			}
			if err != nil {
				return walletExit(err)
			}
			req.VerifierID = verifier
			pc, err := c.Proximity(ctx, s.Token, challenge, *req)
			if err != nil {
				return walletFlowExit(err)
			}
			if err := fsx.WriteNew(png, pc.PNG, 0o600); err != nil {
				return err
			}
			fmt.Fprintln(e.stdout, pc.Text)
			fmt.Fprintf(e.stderr, "QR code version %d (level %s) written to %s\n", pc.Version, pc.Level, png)
			return nil
		},
	}
	c.Flags().StringVar(&challenge, "challenge", "", "the challenge the verifier shows")
	c.Flags().StringVar(&png, "png", "", "write the QR code to FILE (PNG)")
	c.Flags().StringVar(&credential, "credential", "", "the credential to show (an ID from 'cairn wallet list'; default: the only one)")
	c.Flags().StringArrayVar(&claims, "claim", nil, "a claim to show (name or JSON Pointer; repeatable; default: all)")
	c.Flags().StringVar(&verifier, "verifier", "", "the offline verifier's id, for the choice of holder key (default: one key for every offline verifier)")
	return c
}
