package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/jwp"
	"github.com/cairn-id/cairn/internal/keys"
)

func newKeysCmd(e *env) *cobra.Command {
	c := &cobra.Command{
		Use:   "keys",
		Short: "Create and inspect signing keys (private JWK files) and their DIDs",
		Long: `Keys are private JWK files, written with mode 0600 and never overwritten.
A key is identified by its did:jwk, the default DID for holders and issuers.`,
	}
	c.AddCommand(newKeysGenerateCmd(e), newKeysShowCmd(e), newKeysPublicCmd(e))
	return c
}

type keysGenerateOptions struct {
	alg    string
	out    string
	asJSON bool
}

func newKeysGenerateCmd(e *env) *cobra.Command {
	o := &keysGenerateOptions{}
	c := &cobra.Command{
		Use:   "generate --out FILE",
		Short: "Generate a signing key and print its did:jwk",
		Long: `Generate a new signing key, write it as a private JWK to FILE (mode 0600)
and print its did:jwk. An existing FILE is never overwritten.

Algorithms: ES256 (P-256, the default and baseline), ES384 (P-384),
EdDSA (Ed25519), and BBS: a BLS12-381 issuer key for the experimental
unlinkable credential format jpt (JSON Web Proof alg BBS; its JWK has
kty OKP, crv BLS12381G2, proof_alg BBS). A BBS key signs credentials
only, never JWS.`,
		Example: `  cairn keys generate --out issuer.jwk
  cairn keys generate --alg EdDSA --out holder.jwk --json
  cairn keys generate --alg BBS --out issuer-bbs.jwk`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.OutOrStdout())
		},
	}
	c.Flags().StringVar(&o.alg, "alg", string(keys.DefaultAlg), "signature algorithm: ES256, ES384, EdDSA or BBS")
	c.Flags().StringVar(&o.out, "out", "", "file to write the private JWK to (must not exist)")
	c.Flags().BoolVar(&o.asJSON, "json", false, `print {"did", "alg", "jwk", "file"} as JSON`)
	_ = c.MarkFlagRequired("out")
	return c
}

func parseAlg(s string) (jose.Alg, error) {
	for _, a := range []jose.Alg{jose.ES256, jose.ES384, jose.EdDSA} {
		if strings.EqualFold(s, string(a)) {
			return a, nil
		}
	}
	return "", fmt.Errorf("unknown --alg %q: use ES256, ES384, EdDSA or BBS", s)
}

func (o *keysGenerateOptions) run(w io.Writer) error {
	if o.out == "" || o.out == "-" {
		return usageError(errors.New("--out must name a file: private keys are never printed"))
	}
	if strings.EqualFold(o.alg, keys.AlgBBS) {
		return o.runBBS(w)
	}
	alg, err := parseAlg(o.alg)
	if err != nil {
		return usageError(err)
	}
	k, err := keys.Generate(alg, nil)
	if err != nil {
		return withExit(ExitFailure, err)
	}
	if err := keys.Save(o.out, k); err != nil {
		if errors.Is(err, keys.ErrExists) {
			return withExit(ExitFailure, fmt.Errorf("%s already exists; refusing to overwrite a key (choose another --out)", o.out))
		}
		return withExit(ExitFailure, err)
	}
	if o.asJSON {
		return writeJSON(w, map[string]any{"did": k.DIDJWK(), "alg": k.Alg(), "jwk": k.PublicJWK(), "file": o.out})
	}
	_, err = fmt.Fprintln(w, k.DIDJWK())
	return err
}

// runBBS writes a BBS issuer key (keys.SaveBBS) and prints its did:jwk.
func (o *keysGenerateOptions) runBBS(w io.Writer) error {
	k, err := keys.GenerateBBS(nil)
	if err != nil {
		return withExit(ExitFailure, err)
	}
	if err := keys.SaveBBS(o.out, k); err != nil {
		if errors.Is(err, keys.ErrExists) {
			return withExit(ExitFailure, fmt.Errorf("%s already exists; refusing to overwrite a key (choose another --out)", o.out))
		}
		return withExit(ExitFailure, err)
	}
	didJWK := keys.BBSDIDJWK(&k.Public)
	if o.asJSON {
		return writeJSON(w, map[string]any{"did": didJWK, "alg": keys.AlgBBS, "jwk": json.RawMessage(k.Public.JWK()), "file": o.out})
	}
	_, err = fmt.Fprintln(w, didJWK)
	return err
}

type keysShowOptions struct {
	asJSON bool
}

func newKeysShowCmd(e *env) *cobra.Command {
	o := &keysShowOptions{}
	c := &cobra.Command{
		Use:   "show FILE",
		Short: "Print the did:jwk, did:key and public JWK of a key file",
		Long: `Print the identifiers and public JWK of a key file. FILE may be a private
JWK (which must not be readable by group or others) or a public JWK.
Private members are never printed. BBS key files (cairn keys generate
--alg BBS) show their did:jwk and thumbprint (the kid of their JPTs),
without did:key.`,
		Example: `  cairn keys show issuer.jwk
  cairn keys show issuer-bbs.jwk
  cairn keys show --json holder.jwk`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd.OutOrStdout(), args[0])
		},
	}
	c.Flags().BoolVar(&o.asJSON, "json", false, `print {"did", "did_key", "alg", "thumbprint", "private", "jwk"} as JSON`)
	return c
}

func (o *keysShowOptions) run(w io.Writer, path string) error {
	if bbsPub, private, ok, err := loadBBSKey(path); err != nil {
		return err
	} else if ok {
		return o.showBBS(w, path, bbsPub, private)
	}
	pub, private, err := loadAnyKey(path)
	if err != nil {
		return err
	}
	pk, err := pub.PublicKey()
	if err != nil {
		return usageError(err)
	}
	alg, err := jose.AlgForPublicKey(pk)
	if err != nil {
		return usageError(err)
	}
	didKey, err := did.KeyDID(pk)
	if err != nil {
		return withExit(ExitFailure, err)
	}
	didJWK := did.FromJWK(pub)
	if o.asJSON {
		return writeJSON(w, map[string]any{
			"did": didJWK, "did_key": didKey, "alg": alg, "thumbprint": pub.Thumbprint(),
			"private": private, "jwk": pub, "file": path,
		})
	}
	jb, err := json.Marshal(pub)
	if err != nil {
		return withExit(ExitFailure, err)
	}
	kind := "public key"
	if private {
		kind = "private key"
	}
	_, err = fmt.Fprintf(w, "file:       %s (%s)\nalg:        %s\ndid:jwk:    %s\ndid:key:    %s\nthumbprint: %s\njwk:        %s\n",
		path, kind, alg, didJWK, didKey, pub.Thumbprint(), jb)
	return err
}

// showBBS prints a BBS issuer key: no did:key (Cairn defines none for
// BLS12-381 keys); the thumbprint is the kid of its JPT Issuer Headers.
func (o *keysShowOptions) showBBS(w io.Writer, path string, pub *jwp.PublicKey, private bool) error {
	didJWK := keys.BBSDIDJWK(pub)
	if o.asJSON {
		return writeJSON(w, map[string]any{
			"did": didJWK, "alg": keys.AlgBBS, "thumbprint": pub.Thumbprint(),
			"private": private, "jwk": json.RawMessage(pub.JWK()), "file": path,
		})
	}
	kind := "public key"
	if private {
		kind = "private key"
	}
	_, err := fmt.Fprintf(w, "file:       %s (%s)\nalg:        %s\ndid:jwk:    %s\nthumbprint: %s\njwk:        %s\n",
		path, kind, keys.AlgBBS, didJWK, pub.Thumbprint(), pub.JWK())
	return err
}

// loadBBSKey reads path as a BBS key file (keys.LoadBBSPublic): ok is
// false, with no error, for a file that is not one, so the caller tries
// the JWS key forms; a private BBS file others may read is an error.
func loadBBSKey(path string) (pub *jwp.PublicKey, private, ok bool, err error) {
	pub, private, err = keys.LoadBBSPublic(path)
	switch {
	case err == nil:
		return pub, private, true, nil
	case errors.Is(err, keys.ErrInsecurePermissions):
		return nil, false, false, withExit(ExitFailure, err)
	}
	return nil, false, false, nil
}

// loadAnyKey reads a public JWK file, or a private one (through the
// permission check of keys.Load), and returns the public JWK.
func loadAnyKey(path string) (pub *jose.JWK, private bool, err error) {
	pub, err = keys.LoadPublicJWK(path)
	if err == nil {
		return pub, false, nil
	}
	if !errors.Is(err, keys.ErrPrivateKeyFile) {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, os.ErrPermission) {
			return nil, false, usageError(err)
		}
		return nil, false, usageError(fmt.Errorf("%s is not a key file Cairn can read: %w", path, err))
	}
	k, err := keys.Load(path)
	if err != nil {
		if errors.Is(err, keys.ErrInsecurePermissions) {
			return nil, false, withExit(ExitFailure, err)
		}
		return nil, false, usageError(err)
	}
	return k.PublicJWK(), true, nil
}

func newKeysPublicCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "public FILE",
		Short: "Print the public JWK of a key file, to pin with --issuer-jwk or --registry-key",
		Long: `Print the public JWK of a key file (private or public) on standard output,
as one JSON object and nothing else: the file a verifier pins with
'cairn credential verify --issuer-jwk' or '--registry-key'. Private
members are never printed. For a BBS key file the public JWK keeps
kty OKP, crv BLS12381G2, proof_alg BBS and its kid.`,
		Example: `  cairn keys public ngo.jwk > ngo.pub.jwk
  cairn keys public issuer-bbs.jwk > bbs.pub.jwk
  cairn credential verify --issuer-jwk ngo.pub.jwk --no-kb cred.sdjwt`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if bbsPub, _, ok, err := loadBBSKey(args[0]); err != nil {
				return err
			} else if ok {
				return writeJSON(cmd.OutOrStdout(), json.RawMessage(bbsPub.JWK()))
			}
			pub, _, err := loadAnyKey(args[0])
			if err != nil {
				return err
			}
			return writeJSON(cmd.OutOrStdout(), pub)
		},
	}
}
