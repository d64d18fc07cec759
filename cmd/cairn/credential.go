package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/httpx"
	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/sdjwt"
	"github.com/cairn-id/cairn/internal/sdjwtvc"
	"github.com/cairn-id/cairn/internal/statuslist"
	trustpkg "github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/internal/vccheck"
	"github.com/cairn-id/cairn/internal/x509trust"
	"github.com/cairn-id/cairn/schemas"
)

// maxInputBytes bounds a credential or claims file read by the CLI.
const maxInputBytes = 1 << 20

func newCredentialCmd(e *env) *cobra.Command {
	c := &cobra.Command{
		Use:   "credential",
		Short: "Issue, present, inspect and verify SD-JWT verifiable credentials",
		Long: `Work with SD-JWT VCs (RFC 9901, draft-ietf-oauth-sd-jwt-vc-25) directly,
without any server: what an issuer signs, what a holder presents, what a
verifier checks.

Claim paths are JSON Pointers (RFC 6901): /given_name, /address/locality,
/nationalities/0. A "*" segment means every element of an array:
/nationalities/*.`,
	}
	c.AddCommand(newCredentialIssueCmd(e), newCredentialPresentCmd(e), newCredentialInspectCmd(e), newCredentialVerifyCmd(e))
	return c
}

// readInput reads FILE, or standard input for "-" or no argument, bounded.
func readInput(e *env, args []string) (string, error) {
	var r io.Reader = e.stdin
	name := "standard input"
	if len(args) == 1 && args[0] != "-" {
		f, err := os.Open(args[0])
		if err != nil {
			return "", usageError(err)
		}
		defer f.Close()
		r, name = f, args[0]
	}
	b, err := io.ReadAll(io.LimitReader(r, maxInputBytes+1))
	if err != nil {
		return "", usageError(fmt.Errorf("read %s: %w", name, err))
	}
	if len(b) > maxInputBytes {
		return "", usageError(fmt.Errorf("%s is larger than %d bytes", name, maxInputBytes))
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", usageError(fmt.Errorf("%s is empty: expected an SD-JWT", name))
	}
	return s, nil
}

// ---- issue ----

type credentialIssueOptions struct {
	keyFile    string
	vct        string
	claimsFile string
	sd         []string
	holderJWK  string
	holderDID  string
	ttl        time.Duration
	decoys     int
	legacyTyp  bool
	statusURI  string
	statusIdx  int
}

func newCredentialIssueCmd(e *env) *cobra.Command {
	o := &credentialIssueOptions{}
	c := &cobra.Command{
		Use:   "issue --key FILE --vct URI --claims FILE.json [--sd PATH]...",
		Short: "Sign claims as an SD-JWT VC (header typ dc+sd-jwt)",
		Long: `Sign the claims in a JSON file as an SD-JWT VC. The issuer is the did:jwk of
--key; iss, iat, exp (from --ttl), vct and cnf (the holder key) are set here
and must not appear in the claims file. Each --sd names a claim that the
holder may later choose to disclose or withhold; everything else is always
visible. iss, nbf, exp, cnf, vct and status can never be made disclosable.

The credential is printed on standard output.`,
		Example: `  # A registration credential bound to the holder's did:jwk, valid one year
  cairn credential issue --key ngo.jwk --vct urn:cairn:vct:humanitarian-registration:1 \
    --claims person.json --sd /given_name --sd /family_name --sd /birthdate \
    --holder-did did:jwk:eyJrdHkiOi... --ttl 8760h > cred.sdjwt

  # Every element of an array disclosable on its own
  cairn credential issue --key ngo.jwk --vct urn:example:languages --claims c.json \
    --sd '/languages/*' --holder-jwk holder.pub.jwk`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runCredentialIssue(cmd, e, o) },
	}
	f := c.Flags()
	f.StringVar(&o.keyFile, "key", "", "issuer private key (JWK file from 'cairn keys generate')")
	f.StringVar(&o.vct, "vct", "", "credential type (vct), e.g. urn:cairn:vct:humanitarian-registration:1")
	f.StringVar(&o.claimsFile, "claims", "", "JSON file with the user claims (an object)")
	f.StringArrayVar(&o.sd, "sd", nil, "JSON Pointer of a selectively disclosable claim (repeatable; '*' = every array element)")
	f.StringVar(&o.holderJWK, "holder-jwk", "", "holder public JWK file, put in cnf.jwk")
	f.StringVar(&o.holderDID, "holder-did", "", "holder DID (did:jwk or did:key), its key put in cnf.jwk")
	f.DurationVar(&o.ttl, "ttl", 365*24*time.Hour, "validity period (sets exp = iat + ttl); 0 for no expiry")
	f.IntVar(&o.decoys, "decoys", 2, "minimum decoy digests per level, hiding how many claims exist")
	f.BoolVar(&o.legacyTyp, "legacy-typ", false, "write typ vc+sd-jwt for verifiers that predate dc+sd-jwt")
	f.StringVar(&o.statusURI, "status-list", "", "URI of the Token Status List that holds this credential's status (sets the status claim)")
	f.IntVar(&o.statusIdx, "status-index", 0, "index of this credential in --status-list")
	for _, n := range []string{"key", "vct", "claims"} {
		_ = c.MarkFlagRequired(n)
	}
	c.MarkFlagsMutuallyExclusive("holder-jwk", "holder-did")
	return c
}

func runCredentialIssue(cmd *cobra.Command, e *env, o *credentialIssueOptions) error {
	if o.ttl < 0 || o.decoys < 0 || o.decoys > 64 {
		return usageError(errors.New("--ttl must not be negative and --decoys must be between 0 and 64"))
	}
	key, err := keys.Load(o.keyFile)
	if err != nil {
		return usageError(fmt.Errorf("issuer key: %w", err))
	}
	raw, err := os.ReadFile(o.claimsFile)
	if err != nil {
		return usageError(fmt.Errorf("claims: %w", err))
	}
	claims, err := decodeClaims(raw)
	if err != nil {
		return usageError(fmt.Errorf("claims %s: %w", o.claimsFile, err))
	}
	var holder *jose.JWK
	switch {
	case o.holderJWK != "":
		if holder, err = keys.LoadPublicJWK(o.holderJWK); err != nil {
			return usageError(fmt.Errorf("holder key: %w", err))
		}
	case o.holderDID != "":
		r := &did.Resolver{}
		if holder, err = r.ResolveKey(cmd.Context(), o.holderDID); err != nil {
			return usageError(fmt.Errorf("holder DID: %w", err))
		}
	default:
		fmt.Fprintln(e.stderr, "cairn: warning: no --holder-jwk or --holder-did: the credential has no cnf and cannot be key-bound")
	}
	now := e.now().UTC().Truncate(time.Second)
	issuer := key.DIDJWK()
	cred := sdjwtvc.Credential{
		VCT: o.vct, Issuer: issuer, IssuedAt: now, HolderJWK: holder,
		Claims: claims, Disclosable: o.sd, Decoys: o.decoys,
	}
	if o.ttl > 0 {
		cred.ExpiresAt = now.Add(o.ttl)
	}
	if o.statusURI != "" {
		if o.statusIdx < 0 {
			return usageError(errors.New("--status-index must not be negative"))
		}
		cred.Status = map[string]any{"status_list": map[string]any{"idx": o.statusIdx, "uri": o.statusURI}}
	}
	s, err := sdjwtvc.Issue(cred, sdjwtvc.IssueOptions{Signer: key.JoseSigner().WithKeyID(issuer + "#0"), LegacyTyp: o.legacyTyp})
	if err != nil {
		return usageError(err)
	}
	fmt.Fprintln(cmd.OutOrStdout(), s)
	return nil
}

// decodeClaims parses a JSON object keeping numbers exact.
func decodeClaims(raw []byte) (map[string]any, error) {
	if len(raw) > maxInputBytes {
		return nil, fmt.Errorf("larger than %d bytes", maxInputBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	if m == nil {
		return nil, errors.New("not a JSON object")
	}
	if dec.More() {
		return nil, errors.New("trailing data after the JSON object")
	}
	return m, nil
}

// ---- present ----

type credentialPresentOptions struct {
	holderKey string
	disclose  []string
	nonce     string
	aud       string
}

func newCredentialPresentCmd(e *env) *cobra.Command {
	o := &credentialPresentOptions{}
	c := &cobra.Command{
		Use:   "present --holder-key FILE [--disclose PATH]... --nonce N --aud A [FILE|-]",
		Short: "Disclose chosen claims and add a key binding JWT (SD-JWT+KB)",
		Long: `Make a presentation from a credential you hold: keep only the disclosures
needed for the claims named by --disclose (their parents come along
automatically), and sign a key binding JWT over the verifier's nonce and
audience with the holder key the credential is bound to. Claims not named
stay hidden. The presentation is printed on standard output.`,
		Example: `  # Show only the name to a verifier that sent nonce n-123
  cairn credential present --holder-key me.jwk --disclose /given_name \
    --disclose /family_name --nonce n-123 --aud https://verifier.example cred.sdjwt

  # Every nationality, read from standard input
  cat cred.sdjwt | cairn credential present --holder-key me.jwk \
    --disclose '/nationalities/*' --nonce n-1 --aud x509_san_dns:desk.example -`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runCredentialPresent(cmd, e, o, args) },
	}
	f := c.Flags()
	f.StringVar(&o.holderKey, "holder-key", "", "holder private key (JWK file); must match the credential's cnf.jwk")
	f.StringArrayVar(&o.disclose, "disclose", nil, "JSON Pointer of a claim to disclose (repeatable; '*' = every array element)")
	f.StringVar(&o.nonce, "nonce", "", "the verifier's nonce")
	f.StringVar(&o.aud, "aud", "", "the verifier's identifier (full client_id)")
	for _, n := range []string{"holder-key", "nonce", "aud"} {
		_ = c.MarkFlagRequired(n)
	}
	return c
}

func runCredentialPresent(cmd *cobra.Command, e *env, o *credentialPresentOptions, args []string) error {
	in, err := readInput(e, args)
	if err != nil {
		return err
	}
	key, err := keys.Load(o.holderKey)
	if err != nil {
		return usageError(fmt.Errorf("holder key: %w", err))
	}
	p, err := sdjwtvc.Present(in, key.JoseSigner(), sdjwtvc.PresentOptions{Paths: o.disclose, Audience: o.aud, Nonce: o.nonce, Now: e.now})
	switch {
	case errors.Is(err, sdjwtvc.ErrHolderMismatch):
		return usageError(errors.New("--holder-key is not the key this credential is bound to (cnf.jwk)"))
	case errors.Is(err, sdjwtvc.ErrAlreadyPresented), errors.Is(err, sdjwt.ErrPath):
		return usageError(err)
	case errors.Is(err, sdjwtvc.ErrKeyBindingSign):
		return withExit(ExitFailure, err)
	case err != nil:
		return withExit(ExitInvalid, err)
	}
	fmt.Fprintln(cmd.OutOrStdout(), p)
	return nil
}

// ---- inspect ----

type credentialInspectOptions struct{ json bool }

func newCredentialInspectCmd(e *env) *cobra.Command {
	o := &credentialInspectOptions{}
	c := &cobra.Command{
		Use:   "inspect [FILE|-]",
		Short: "Show the header, payload and disclosures of an SD-JWT, without verifying it",
		Long: `Decode an SD-JWT or SD-JWT+KB and show what is inside: the issuer JWT's
header and payload, each disclosure with the claim path it reveals, and the
key binding JWT if there is one. Nothing is verified: use
'cairn credential verify' to decide whether to believe it.`,
		Example: `  cairn credential inspect cred.sdjwt
  cairn credential inspect --json - < presentation.txt | jq .disclosures`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runCredentialInspect(cmd, e, o, args) },
	}
	c.Flags().BoolVar(&o.json, "json", false, "print JSON")
	return c
}

type inspectDisclosure struct {
	Path   string `json:"path"`
	Name   string `json:"name,omitempty"`
	Value  any    `json:"value"`
	Salt   string `json:"salt"`
	Digest string `json:"digest"`
}

type inspectOutput struct {
	Verified    bool                `json:"verified"`
	Header      any                 `json:"header"`
	Payload     map[string]any      `json:"payload"`
	Disclosures []inspectDisclosure `json:"disclosures"`
	KeyBinding  *inspectKB          `json:"key_binding,omitempty"`
	Problem     string              `json:"problem,omitempty"`
}

type inspectKB struct {
	Header  any `json:"header"`
	Payload any `json:"payload"`
}

func runCredentialInspect(cmd *cobra.Command, e *env, o *credentialInspectOptions, args []string) error {
	in, err := readInput(e, args)
	if err != nil {
		return err
	}
	t, err := sdjwt.Parse(in, sdjwt.Limits{})
	if err != nil {
		return withExit(ExitInvalid, err)
	}
	out := inspectOutput{Header: t.Header.Params, Payload: t.Payload}
	if _, perr := t.Process(); perr != nil {
		out.Problem = perr.Error()
	}
	for _, d := range t.Disclosures {
		out.Disclosures = append(out.Disclosures, inspectDisclosure{Path: d.Path, Name: d.Name, Value: d.Value, Salt: d.Salt, Digest: d.Digest})
	}
	if t.KBJWT != "" {
		if j, err := jose.Parse(t.KBJWT); err == nil {
			var p any
			_ = json.Unmarshal(j.Payload, &p)
			out.KeyBinding = &inspectKB{Header: j.Header.Params, Payload: p}
		} else {
			out.Problem = "key binding JWT: " + err.Error()
		}
	}
	w := cmd.OutOrStdout()
	if o.json {
		return writeJSON(w, out)
	}
	fmt.Fprintln(w, "NOT VERIFIED — decoded only; use 'cairn credential verify' to check it.")
	fmt.Fprintln(w, "\nHeader:")
	writeIndented(w, t.Header.Params)
	fmt.Fprintln(w, "\nPayload (as signed; _sd holds digests of the disclosable claims):")
	writeIndented(w, t.Payload)
	fmt.Fprintf(w, "\nDisclosures (%d):\n", len(t.Disclosures))
	for _, d := range out.Disclosures {
		v, _ := json.Marshal(d.Value)
		fmt.Fprintf(w, "  %-30s %s\n", orUnknown(d.Path), v)
	}
	if out.KeyBinding != nil {
		fmt.Fprintln(w, "\nKey binding JWT:")
		writeIndented(w, out.KeyBinding.Payload)
	}
	if out.Problem != "" {
		fmt.Fprintln(w, "\nProblem:", out.Problem)
	}
	return nil
}

func orUnknown(p string) string {
	if p == "" {
		return "(not referenced)"
	}
	return p
}

func writeIndented(w io.Writer, v any) {
	b, _ := json.MarshalIndent(v, "  ", "  ")
	fmt.Fprintf(w, "  %s\n", b)
}

// ---- verify ----

type credentialVerifyOptions struct {
	issuerJWKs  []string
	trustDIDs   []string
	nonce       string
	aud         string
	noKB        bool
	at          string
	json        bool
	legacyTyp   bool
	kbMaxAge    time.Duration
	registry    string
	regKeys     []string
	offline     bool
	devNetwork  bool
	trustState  string
	lang        string
	verbose     bool
	acceptStale time.Duration
	x509Anchors []string
	lenient     bool
	pidProfile  string
}

func newCredentialVerifyCmd(e *env) *cobra.Command {
	o := &credentialVerifyOptions{}
	c := &cobra.Command{
		Use:   "verify [--issuer-jwk FILE]... [--trust-did DID]... [--x509-anchor PEM]... (--nonce N --aud A | --no-kb) [FILE|-]",
		Short: "Verify an SD-JWT VC presentation and print the disclosed claims",
		Long: `Verify an SD-JWT VC: the issuer's signature and header type, every
disclosure (RFC 9901 §7.1), validity dates, and — unless --no-kb — the key
binding JWT against your nonce and audience. The issuer must be trusted:
either its key is pinned with --issuer-jwk or its DID is named with
--trust-did. An issuer that is neither is untrusted (exit 4), never valid.
Trust is decided before anything is fetched: the DID document of a did:web
issuer is fetched only when that DID is trusted (--trust-did or the
registry), never for an untrusted issuer. A pinned --issuer-jwk whose kid
is the issuer's DID URL (did:web:…#key) is used without fetching.

--x509-anchor pins X.509 trust anchors (PEM CA certificates, e.g. a PID
provider's CA) as --issuer-jwk pins keys: a credential signed under an
x5c chain that closes on one of them, at the verification time, is
trusted whatever its iss; the anchors also vouch for the signers of its
Status List Tokens. A copy of the anchor inside x5c is ignored, never
trusted (HAIP 1.0 §6.1.1). With anchors and no --issuer-jwk, --trust-did
or --registry, every issuer key must come from x5c (a credential without
one fails with no_x5c). The result names the chain (each certificate's
subject and validity) and the anchor it closed on, reports the signing
certificate against the ETSI TS 119 412-6 PID profile, says how iss
relates to the signing certificate (under SD-JWT VC's X.509 mechanism the
issuer is the certificate's subject; an iss that the certificate's URI or
DNS names contradict is a warning, one it does not name is unconfirmed),
and checks the chain's CRLs (unless --offline; a CRL is signed, so an
http distribution point is fetched too, never from an internal address;
an unreachable CRL is "unknown", not a refusal). The header type must be dc+sd-jwt; --lenient accepts the
legacy vc+sd-jwt with a warning and, with anchors, reports departures
from the PID rules (vct, _sd_alg, x5c) as warnings.

--pid-profile holds the credential to the EU PID rules (HAIP 1.0 §6.1.1,
ARF PID_14, ETSI TS 119 412-6): header type dc+sd-jwt, a vct under
urn:eudi:pid:, _sd_alg sha-256, the issuer key from x5c only, and a
signing certificate meeting TS 119 412-6. strict refuses every departure,
each with its own code, all listed at once (a legacy PID: wrong_typ,
wrong_vct, unsupported_sd_alg); lenient lists them as warnings and
accepts typ vc+sd-jwt and any _sd_alg Cairn supports (sha3-256 …); off
applies no PID rule (the certificate profile is still reported, never
refused). The default is off, since the command verifies any SD-JWT VC
and the PID rules would refuse every non-PID type; --lenient with
--x509-anchor means lenient. A desk that takes PIDs for identity should
use strict.

With --registry (a signed snapshot or an offline bundle from 'cairn registry
publish' or 'cairn registry bundle', checked against the authority keys
given with --registry-key) the registry decides: the issuer must be
registered and must have been authorized for the credential's type when it
was issued. A credential with a status reference is checked against its
status list, from the bundle or fetched (unless --offline). --offline
means no network at all: status lists come only from the bundle, and a
did:web issuer, whose key only the network could give (the registry does
not carry issuer keys), is reported as unresolvable (exit 3).

` + trustStateDoc + `

The result is printed once, on standard output: a plain message and what
to do, and for a nonce or audience mismatch the value this desk expected.
With --lang, claims carry the catalogue's labels in that language,
enumerated values their labels (sex 2 (Female)), the issuer's and the
registry's names come before their identifiers (shortened unless
--verbose), and the claims the type defines but the holder did not
disclose are listed; arrays whose elements may have been withheld are
marked everywhere. With a registry that caps the issuer's evidence, the
evidence is shown as claimed and as capped. --json adds ISO 8601 times
beside the epoch values.

A registry snapshot past its expiry is refused, saying how old it is and
how to refresh it. An offline desk that cannot refresh may accept it for
a while with --accept-stale DURATION; every result then says that it was
accepted stale, and by how much.

Exit codes: 0 valid, 1 a marks file that must be reset, 2 usage, 3 invalid,
4 untrusted issuer (or its key reported compromised, or an x5c chain that
does not end at a pinned anchor, or a registry that does not verify, has
expired or is older than one already accepted), 5 expired or not yet
valid (the credential or a certificate of its chain), 6 revoked (the
credential, or a certificate of its chain in its CA's CRL), 7 suspended, 8 issuer not
authorized for this type at issuance, 9 could not check revocation (status
list unreachable or unusable; the signature and issuer were checked).`,
		Example: `  # A presentation made for nonce n-123 and this desk
  cairn credential verify --trust-did did:jwk:eyJr... --nonce n-123 \
    --aud https://desk.example presentation.txt

  # A credential as issued (no key binding), checked at a given time, as JSON
  cairn credential verify --issuer-jwk ngo.pub.jwk --no-kb \
    --at 2026-01-01T00:00:00Z --json cred.sdjwt

  # Offline at a border post: registry and status lists from a bundle
  cairn credential verify --registry bundle.json --registry-key authority.pub.jwk \
    --offline --nonce n-9 --aud https://post.example presentation.txt

  # An EU PID signed under a PID provider's CA, checked when it was valid
  cairn credential verify --x509-anchor pid-issuer-ca-ut-02.pem --no-kb \
    --at 2026-09-01T00:00:00Z pid.sdjwt

  # The same held to the PID rules of HAIP: every departure refused, as JSON
  cairn credential verify --x509-anchor pid-issuer-ca-ut-02.pem --pid-profile strict \
    --no-kb --json pid.sdjwt

  # The same in French, the bundle's snapshot expired yesterday
  cairn credential verify --registry bundle.json --registry-key authority.pub.jwk \
    --offline --accept-stale 72h --lang fr --nonce n-9 --aud https://post.example presentation.txt`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runCredentialVerify(cmd, e, o, args) },
	}
	f := c.Flags()
	f.StringArrayVar(&o.issuerJWKs, "issuer-jwk", nil, "pinned issuer public JWK file (repeatable)")
	f.StringArrayVar(&o.trustDIDs, "trust-did", nil, "trusted issuer DID (repeatable)")
	f.StringVar(&o.nonce, "nonce", "", "nonce the key binding JWT must carry")
	f.StringVar(&o.aud, "aud", "", "audience the key binding JWT must carry")
	f.BoolVar(&o.noKB, "no-kb", false, "do not require key binding (a credential as issued)")
	f.StringVar(&o.at, "at", "", "verify as of this time (RFC 3339) instead of now")
	f.BoolVar(&o.json, "json", false, "print the result as JSON")
	f.BoolVar(&o.legacyTyp, "accept-legacy-typ", false, "also accept typ vc+sd-jwt (as --lenient does, with a warning)")
	f.StringArrayVar(&o.x509Anchors, "x509-anchor", nil, "pinned X.509 trust anchor, a PEM CA certificate file (repeatable): issuer keys from x5c chains that close on it")
	f.BoolVar(&o.lenient, "lenient", false, "accept typ vc+sd-jwt with a warning; with --x509-anchor, report departures from the PID rules as warnings")
	f.StringVar(&o.pidProfile, "pid-profile", "", "hold the credential to the EU PID rules: strict (refuse each departure), lenient (warn) or off (default; lenient with --lenient and --x509-anchor)")
	f.DurationVar(&o.kbMaxAge, "kb-max-age", 5*time.Minute, "oldest key binding JWT accepted")
	f.StringVar(&o.registry, "registry", "", "trust registry snapshot or offline bundle file")
	f.StringArrayVar(&o.regKeys, "registry-key", nil, "pinned registry authority public JWK file (repeatable; required with --registry)")
	f.BoolVar(&o.offline, "offline", false, "no network at all: status lists only from the bundle, no did:web resolved")
	f.BoolVar(&o.devNetwork, "dev-allow-private-network", false, "DEVELOPMENT ONLY: allow fetching status lists and CRLs from loopback/private addresses over http")
	f.StringVar(&o.trustState, "trust-state", "", trustStateHelp+"; used with --registry")
	f.StringVar(&o.lang, "lang", "", "show claims with the catalogue's labels in this language (en, fr, ar, uk), enumerated values with their labels, names before identifiers")
	f.BoolVar(&o.verbose, "verbose", false, "show identifiers (DIDs, registry ids) in full instead of a short form")
	f.DurationVar(&o.acceptStale, "accept-stale", 0, "accept a registry snapshot that expired less than this long ago (an offline desk's explicit grace, e.g. 72h); every result says so")
	return c
}

type verifyOutput struct {
	Valid      bool           `json:"valid"`
	Issuer     string         `json:"issuer,omitempty"`
	IssuerName string         `json:"issuer_name,omitempty"`
	VCT        string         `json:"vct,omitempty"`
	TypeName   string         `json:"type_name,omitempty"`
	Status     string         `json:"status,omitempty"`
	Registry   *registryInfo  `json:"registry,omitempty"`
	Claims     map[string]any `json:"claims,omitempty"`
	HolderJWK  map[string]any `json:"holder_jwk,omitempty"`
	Code       string         `json:"code,omitempty"`
	Error      string         `json:"error,omitempty"`
	// What the report adds: the plain message and what to do, ISO 8601
	// times beside the epoch values of claims, labelled and withheld
	// claims, evidence as claimed and capped, the status check.
	Message     string                 `json:"message,omitempty"`
	Advice      string                 `json:"advice,omitempty"`
	Expected    string                 `json:"expected,omitempty"`
	Presented   string                 `json:"presented,omitempty"`
	IssuedAt    string                 `json:"issued_at,omitempty"`
	NotBefore   string                 `json:"not_before,omitempty"`
	ExpiresAt   string                 `json:"expires_at,omitempty"`
	Labelled    []vccheck.Claim        `json:"claims_labelled,omitempty"`
	Withheld    []vccheck.Withheld     `json:"withheld,omitempty"`
	Evidence    *vccheck.Evidence      `json:"evidence,omitempty"`
	StatusCheck *vccheck.Status        `json:"status_check,omitempty"`
	Compromised *trustpkg.StatusChange `json:"issuer_compromised,omitempty"`
	// The x5c path, the signing certificate's PID profile report, the
	// chain's CRL check, and warnings (lenient mode, an anchor in x5c).
	X509Chain      *vccheck.Chain              `json:"x509_chain,omitempty"`
	CertProfile    *x509trust.ProfileReport    `json:"certificate_profile,omitempty"`
	CertRevocation *x509trust.RevocationReport `json:"certificate_revocation,omitempty"`
	Warnings       []string                    `json:"warnings,omitempty"`
	// PIDProfile is the PID profile's findings, when one was applied;
	// Codes every code of a refusal that has several (strict).
	PIDProfile *vccheck.PIDReport `json:"pid_profile,omitempty"`
	// IssuerCertificate is how iss relates to the signing certificate
	// (the issuer is the certificate's subject).
	IssuerCertificate *vccheck.IssuerBinding `json:"issuer_certificate,omitempty"`
	// Provider is the registry entity whose X.509 anchor the chain
	// closed on, and the list that states it.
	Provider *vccheck.Provider `json:"provider,omitempty"`
	Codes    []string          `json:"codes,omitempty"`
}

// registryInfo tells how fresh the trust decision's inputs were.
type registryInfo struct {
	ID             string                `json:"id"`
	Name           string                `json:"name,omitempty"`
	Version        uint64                `json:"version"`
	IssuedAt       string                `json:"issued_at"`
	ExpiresAt      string                `json:"expires_at,omitempty"`
	AgeSeconds     int64                 `json:"age_seconds"`
	AcceptedStale  bool                  `json:"accepted_stale,omitempty"`
	StaleSeconds   int64                 `json:"stale_seconds,omitempty"`
	AcceptStale    string                `json:"accept_stale,omitempty"`
	IssuerStatus   trustpkg.EntityStatus `json:"issuer_status_now,omitempty"`
	DecisionReason string                `json:"decision_reason,omitempty"`
}

func runCredentialVerify(cmd *cobra.Command, e *env, o *credentialVerifyOptions, args []string) error {
	if o.noKB && (o.nonce != "" || o.aud != "") {
		return usageError(errors.New("--no-kb cannot be combined with --nonce or --aud"))
	}
	if !o.noKB && (o.nonce == "" || o.aud == "") {
		return usageError(errors.New("give --nonce and --aud to check key binding, or --no-kb for a credential as issued"))
	}
	if o.acceptStale < 0 {
		return usageError(errors.New("--accept-stale must not be negative"))
	}
	if o.acceptStale > 0 && o.registry == "" {
		return usageError(errors.New("--accept-stale needs --registry"))
	}
	now := e.now
	if o.at != "" {
		at, err := time.Parse(time.RFC3339, o.at)
		if err != nil {
			return usageError(fmt.Errorf("--at: %w", err))
		}
		now = func() time.Time { return at }
	}
	pinned, err := loadPublicJWKs("--issuer-jwk", o.issuerJWKs)
	if err != nil {
		return err
	}
	anchors, err := loadX509Anchors(o.x509Anchors)
	if err != nil {
		return err
	}
	trust := sdjwtvc.Trust{TrustedDIDs: o.trustDIDs, Resolver: &did.Resolver{}, PinnedKeys: pinned,
		X509: sdjwtvc.X509Trust{Anchors: anchors, Only: anchors.Len() > 0 && len(pinned) == 0 && len(o.trustDIDs) == 0 && o.registry == ""}}
	in, err := readInput(e, args)
	if err != nil {
		return err
	}
	vo := vccheck.Options{Credential: sdjwtvc.VerifyOptions{
		Trust: trust, RequireKeyBinding: !o.noKB, Nonce: o.nonce, Audience: o.aud,
		Now: now, KBMaxAge: o.kbMaxAge, AcceptLegacyTyp: o.legacyTyp || o.lenient,
	}}
	if o.lenient && anchors.Len() > 0 {
		vo.PIDProfile = vccheck.PIDProfileLenient
	}
	if o.pidProfile != "" {
		p, err := vccheck.ParsePIDProfile(o.pidProfile)
		if err != nil {
			return usageError(fmt.Errorf("--pid-profile: %w", err))
		}
		if o.lenient && p == vccheck.PIDProfileStrict {
			return usageError(errors.New("--lenient contradicts --pid-profile strict"))
		}
		vo.PIDProfile = p
	}
	var reg *trustpkg.Registry
	var stale time.Duration
	if o.registry != "" {
		var err error
		if len(o.regKeys) == 0 {
			return usageError(errors.New("--registry needs at least one --registry-key (the authority's public JWK you pinned)"))
		}
		marks, err := openTrustState(e, o.trustState)
		if err != nil {
			return err
		}
		l, err := loadVerifierRegistryStale(cmd.Context(), o.registry, o.regKeys, now(), o.offline, marks, o.acceptStale)
		if err != nil {
			return err
		}
		reg, vo.Bundle, stale = l.Registry, l.Bundle, l.Stale
		vo.Registry = reg
	} else if len(o.regKeys) > 0 {
		return usageError(errors.New("--registry-key needs --registry"))
	}
	vo.Offline = o.offline
	if !o.offline {
		vo.FetchStatusList = statuslist.NewFetcher(httpx.Options{AllowPrivate: o.devNetwork}).Fetch
		if anchors.Len() > 0 {
			vo.CRL = x509trust.NewCRLChecker(x509trust.CRLClient(o.devNetwork), e.now)
		}
	}
	oc, verr := vccheck.Verify(cmd.Context(), in, vo)
	res := oc.Result
	code, exit := classifyVerifyError(verr)
	lang := o.lang
	if lang == "" {
		lang = "en"
	}
	ropts := vccheck.ReportOptions{Lang: lang, Now: now(), Nonce: o.nonce, Audience: o.aud, Stale: stale, AcceptStale: o.acceptStale, WithheldClaims: o.lang != ""}
	if cat, cerr := schemas.Load(); cerr == nil {
		ropts.Catalogue = cat
	}
	rep := vccheck.NewReport(oc, verr, ropts)
	out := verifyOutput{Valid: verr == nil, Code: code, Status: oc.Status,
		Message: rep.Message, Advice: rep.Advice, Expected: rep.Expected, Presented: rep.Presented,
		TypeName: rep.TypeName, Withheld: rep.Withheld, Evidence: rep.Evidence, StatusCheck: rep.Status,
		Compromised: rep.Compromise, IssuedAt: isoTime(rep.IssuedAt), NotBefore: isoTime(rep.NotBefore), ExpiresAt: isoTime(rep.ExpiresAt),
		X509Chain: rep.Chain, CertProfile: rep.CertProfile, CertRevocation: rep.CertRevocation, Warnings: rep.Warnings, PIDProfile: rep.PID,
		IssuerCertificate: rep.IssuerBinding, Provider: rep.Provider}
	if p := rep.PID; verr != nil && p != nil && p.Profile == vccheck.PIDProfileStrict.String() && len(p.Findings) > 1 {
		// The strict profile refused with all its findings at once.
		for _, f := range p.Findings {
			out.Codes = append(out.Codes, string(f.Code))
		}
	}
	if verr != nil {
		out.Error = verr.Error()
	}
	if res != nil {
		out.Issuer, out.VCT = res.Issuer, res.VCT
		if verr == nil {
			out.Claims = res.Claims
			out.Labelled = rep.Claims
			if res.HolderJWK != nil {
				out.HolderJWK = res.HolderJWK.Map()
			}
		}
	}
	if reg != nil {
		out.Registry = &registryInfo{ID: reg.ID, Name: reg.Name, Version: reg.Version, IssuedAt: reg.IssuedAt.UTC().Format(time.RFC3339),
			ExpiresAt: isoTime(reg.Expires), AgeSeconds: int64(now().Sub(reg.IssuedAt) / time.Second)}
		if stale > 0 {
			out.Registry.AcceptedStale, out.Registry.StaleSeconds, out.Registry.AcceptStale = true, int64(stale/time.Second), shortDuration(o.acceptStale)
		}
		if e := reg.Entity(out.Issuer); e != nil {
			out.IssuerName = e.Name("en")
			out.Registry.IssuerStatus = e.Status
		}
		if oc.Decision != nil {
			out.Registry.DecisionReason = oc.Decision.Reason
		}
	}
	w := cmd.OutOrStdout()
	if o.json {
		if err := writeJSON(w, out); err != nil {
			return err
		}
	} else {
		printVerifyHuman(w, out, rep, verifyPrint{labels: o.lang != "", verbose: o.verbose, acceptStale: o.acceptStale})
	}
	if verr != nil {
		// The result, with its message, is on standard output: the exit
		// code carries the rest, nothing is repeated on standard error.
		return reportedExit(exit, verr)
	}
	return nil
}

// shortDuration writes a duration as given on a command line: 72h, not
// 72h0m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func isoTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// verifyExit is the process exit code of each verification code; a code
// not listed (every format or signature failure) exits ExitInvalid.
var verifyExit = map[vccheck.Code]int{
	vccheck.CodeValid:              ExitOK,
	vccheck.CodeUntrusted:          ExitUntrusted,
	vccheck.CodeIssuerCompromised:  ExitUntrusted,
	vccheck.CodeExpired:            ExitExpired,
	vccheck.CodeNotYetValid:        ExitExpired,
	vccheck.CodeRevoked:            ExitRevoked,
	vccheck.CodeSuspended:          ExitSuspended,
	vccheck.CodeNotAuthorized:      ExitNotAuthorized,
	vccheck.CodeStatusUnavailable:  ExitStatusUnknown,
	vccheck.CodeUntrustedChain:     ExitUntrusted,
	vccheck.CodeCertificateRevoked: ExitRevoked,
}

// classifyVerifyError maps a verification error to its JSON code and the
// process exit code.
func classifyVerifyError(err error) (string, int) {
	code := vccheck.Classify(err)
	exit, ok := verifyExit[code]
	if !ok {
		exit = ExitInvalid
	}
	return string(code), exit
}

// verifyPrint says how printVerifyHuman shows a result.
type verifyPrint struct {
	labels      bool // --lang given: catalogue labels and value labels
	verbose     bool // full identifiers
	acceptStale time.Duration
}

func (p verifyPrint) id(s string) string {
	if p.verbose {
		return s
	}
	return vccheck.ShortID(s)
}

// headline is the first word of a result that is not valid.
func headline(code string) string {
	if vccheck.Code(code) == vccheck.CodeStatusUnavailable {
		return "NOT CHECKED"
	}
	return "INVALID"
}

func printVerifyHuman(w io.Writer, out verifyOutput, rep *vccheck.Report, p verifyPrint) {
	if !out.Valid {
		codes := out.Code
		if len(out.Codes) > 1 {
			codes = strings.Join(out.Codes, ", ")
		}
		fmt.Fprintf(w, "%s (%s): %s\n", headline(out.Code), codes, rep.Message)
		if rep.Expected != "" {
			fmt.Fprintf(w, "  expected %s; the presentation carries %s\n", rep.Expected, rep.Presented)
		}
		fmt.Fprintf(w, "  what to do: %s\n", rep.Advice)
		if vccheck.Code(out.Code) != vccheck.CodeStatusUnavailable { // its message has the cause
			fmt.Fprintf(w, "  detail: %s\n", strings.ReplaceAll(out.Error, "\n", "; "))
		}
		if out.Issuer != "" {
			fmt.Fprintf(w, "  issuer: %s\n  type:   %s\n", p.party(out.IssuerName, out.Issuer), out.VCT)
		}
		printX509(w, rep)
		return
	}
	if p.labels {
		printVerifyLabelled(w, out, rep, p)
		return
	}
	fmt.Fprintf(w, "VALID\n  issuer:  %s\n", p.id(out.Issuer))
	if out.IssuerName != "" {
		fmt.Fprintf(w, "           %s (registry: issuer is %s now)\n", out.IssuerName, out.Registry.IssuerStatus)
	}
	fmt.Fprintf(w, "  type:    %s\n", out.VCT)
	printVerifyCommon(w, out, rep, p)
	registered := map[string]bool{"iss": true, "vct": true, "iat": true, "exp": true, "nbf": true, "cnf": true, "status": true}
	names := make([]string, 0, len(out.Claims))
	for k := range out.Claims {
		if !registered[k] {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	more := map[string]vccheck.Claim{}
	for _, c := range rep.Claims {
		more[c.Path] = c
	}
	fmt.Fprintf(w, "  claims (%d):\n", len(names))
	for _, k := range names {
		b, _ := json.Marshal(out.Claims[k])
		mark := ""
		if c := more["/"+k]; c.NoneShown {
			mark = "  (not disclosed)"
		} else if c.MoreWithheld {
			mark = "  (+ possibly more not disclosed)"
		}
		fmt.Fprintf(w, "    %s: %s%s\n", k, b, mark)
	}
	printWithheld(w, rep)
}

// party writes a name before its identifier.
func (p verifyPrint) party(name, id string) string {
	if name == "" {
		return p.id(id)
	}
	return name + " (" + p.id(id) + ")"
}

// printVerifyCommon prints what both layouts share: status, registry,
// times, holder, evidence.
func printVerifyCommon(w io.Writer, out verifyOutput, rep *vccheck.Report, p verifyPrint) {
	if out.Status != "" {
		st := out.Status
		if c := rep.Status; c != nil && !c.ListIssuedAt.IsZero() {
			from := "fetched"
			if c.From == "bundle" {
				from = "from the bundle"
			}
			st += fmt.Sprintf(" (status list %s, issued %s ago)", from, trustpkg.RoughAge(c.ListAge))
		}
		fmt.Fprintf(w, "  status:  %s\n", st)
	}
	if r := rep.Registry; r != nil {
		name := r.ID
		if p.labels {
			name = p.party(r.Name, r.ID)
		}
		fmt.Fprintf(w, "  registry %s v%d, issued %s (%s old)\n", name, r.Version, out.Registry.IssuedAt, (time.Duration(out.Registry.AgeSeconds) * time.Second).String())
		if r.StaleBy > 0 {
			fmt.Fprintf(w, "  registry snapshot expired %s ago, accepted under --accept-stale %s: refresh it ('cairn registry fetch' or a new bundle)\n", trustpkg.RoughAge(r.StaleBy), shortDuration(p.acceptStale))
		}
	}
	for _, d := range []struct{ label, claim string }{{"issued", "iat"}, {"expires", "exp"}, {"valid from", "nbf"}} {
		if secs, ok := toUnix(out.Claims[d.claim]); ok {
			fmt.Fprintf(w, "  %-8s %s\n", d.label+":", time.Unix(secs, 0).UTC().Format("2006-01-02 15:04 MST"))
		}
	}
	if out.HolderJWK != nil {
		if k, err := jose.JWKFromMap(out.HolderJWK); err == nil {
			fmt.Fprintf(w, "  holder:  key %s (RFC 7638 thumbprint)\n", k.Thumbprint())
		}
	}
	if ev := rep.Evidence; ev != nil {
		fmt.Fprintf(w, "  evidence: %s\n", evidenceText(ev))
	}
	printX509(w, rep)
}

// printX509 shows the x5c path (subjects and validity, the anchor it
// closed on), the PID certificate profile findings, the CRL check and
// any warnings.
func printX509(w io.Writer, rep *vccheck.Report) {
	day := func(t time.Time) string { return t.UTC().Format("2006-01-02") }
	if c := rep.Chain; c != nil {
		fmt.Fprintf(w, "  x509 chain (%d):\n", len(c.Certificates))
		for i, l := range c.Certificates {
			role := "signer"
			switch {
			case i == len(c.Certificates)-1:
				role = "anchor"
			case i > 0:
				role = "CA"
			}
			fmt.Fprintf(w, "    %-6s %s (valid %s to %s)\n", role, l.Subject, day(l.NotBefore), day(l.NotAfter))
		}
		src := ""
		if c.Anchor.Source != "" {
			src = " from " + c.Anchor.Source
		}
		fmt.Fprintf(w, "  closed on anchor %q (%s, SKI %s)%s\n", c.Anchor.Name, c.Anchor.Context, c.Anchor.SKI, src)
	}
	if pr := rep.Provider; pr != nil {
		fmt.Fprintf(w, "  %s\n", pr.Line())
	}
	if b := rep.IssuerBinding; b != nil {
		fmt.Fprintf(w, "  issuer (certificate subject): %s\n    %s\n", b.Subject, b.Describe())
	}
	if p := rep.PID; p != nil {
		if len(p.Findings) == 0 {
			fmt.Fprintf(w, "  PID profile (%s): no departure\n", p.Profile)
		} else {
			fmt.Fprintf(w, "  PID profile (%s): %d finding(s):\n", p.Profile, len(p.Findings))
			for _, f := range p.Findings {
				fmt.Fprintf(w, "    %s %s: %s\n", f.Severity, f.Code, f.Message)
			}
		}
	}
	if p := rep.CertProfile; p != nil {
		if len(p.Findings) == 0 {
			fmt.Fprintf(w, "  certificate profile: meets %s\n", p.Profile)
		} else {
			fmt.Fprintf(w, "  certificate profile: %d finding(s) against %s:\n", len(p.Findings), p.Profile)
			for _, f := range p.Findings {
				fmt.Fprintf(w, "    %s %s: %s\n", f.Severity, f.Code, f.Message)
			}
		}
	}
	if r := rep.CertRevocation; r != nil {
		fmt.Fprintf(w, "  certificate revocation (CRL): %s\n", r.Status)
		for _, c := range r.Certs {
			if c.Status != x509trust.RevocationGood {
				fmt.Fprintf(w, "    %s: %s (%s)\n", c.Subject, c.Status, c.Reason)
			}
		}
	}
	for _, wn := range rep.Warnings {
		if rep.PID != nil && strings.HasPrefix(wn, "PID profile (") {
			continue // listed with the PID profile above
		}
		if rep.IssuerBinding != nil && rep.IssuerBinding.Warning() == wn {
			continue // said with the issuer certificate above
		}
		fmt.Fprintf(w, "  warning: %s\n", wn)
	}
}

// evidenceText shows each score as claimed and, when the registry caps it
// lower, as capped: "strength 3 → 2 (registry cap)".
func evidenceText(ev *vccheck.Evidence) string {
	one := func(name string, claimed int, capped *int) string {
		if capped != nil && *capped != claimed {
			return fmt.Sprintf("%s %d → %d (registry cap)", name, claimed, *capped)
		}
		return fmt.Sprintf("%s %d", name, claimed)
	}
	var cs, cv, cver *int
	if ev.Capped != nil {
		cs, cv, cver = &ev.Capped.Strength, &ev.Capped.Validity, &ev.Capped.Verification
	}
	s := one("strength", ev.Claimed.Strength, cs) + ", " + one("validity", ev.Claimed.Validity, cv) + ", " + one("verification", ev.Claimed.Verification, cver)
	if ev.Capped == nil {
		s += " (as claimed; no registry caps)"
	}
	if ev.Method != "" {
		s += "; method " + ev.Method
	}
	return s
}

func printVerifyLabelled(w io.Writer, out verifyOutput, rep *vccheck.Report, p verifyPrint) {
	if rep.TypeName != "" {
		fmt.Fprintf(w, "VALID — %s\n", rep.TypeName)
	} else {
		fmt.Fprintln(w, "VALID")
	}
	// The name first, as the person at the desk knows the issuer, its
	// identifier under it.
	if rep.Issuer.Name != "" {
		line := rep.Issuer.Name
		if rep.Issuer.StatusNow != "" {
			line += fmt.Sprintf(" (registry: issuer is %s now)", rep.Issuer.StatusNow)
		}
		fmt.Fprintf(w, "  issuer:  %s\n           %s\n", line, p.id(rep.Issuer.ID))
	} else {
		fmt.Fprintf(w, "  issuer:  %s\n", p.id(rep.Issuer.ID))
	}
	fmt.Fprintf(w, "  type:    %s\n", out.VCT)
	printVerifyCommon(w, out, rep, p)
	n := len(rep.Claims)
	if rep.Evidence != nil {
		n--
	}
	fmt.Fprintf(w, "  claims (%d):\n", n)
	for _, c := range rep.Claims {
		if c.Path == "/evidence" && rep.Evidence != nil {
			continue // on the evidence line, with the registry's caps
		}
		v := c.Display
		switch {
		case c.NoneShown:
			v = rep.Phrase("not_disclosed")
		case c.MoreWithheld:
			v += " (" + rep.Phrase("more_withheld") + ")"
		}
		fmt.Fprintf(w, "    %s: %s\n", c.Label, v)
	}
	printWithheld(w, rep)
}

func printWithheld(w io.Writer, rep *vccheck.Report) {
	var names []string
	for _, h := range rep.Withheld {
		if h.Kind == "claim" {
			names = append(names, h.Label)
		}
	}
	if len(names) > 0 {
		fmt.Fprintf(w, "  %s: %s\n", rep.Phrase("withheld_claims"), strings.Join(names, ", "))
	}
}

func toUnix(v any) (int64, bool) {
	switch n := v.(type) {
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	case float64:
		return int64(n), true
	case int64:
		return n, true
	}
	return 0, false
}

// loadRegistryFile reads a snapshot (compact JWS) or an offline bundle
// (JSON) and verifies it against the pinned authority keys.
func loadRegistryFile(ctx context.Context, path string, keyFiles []string, now time.Time) (*trustpkg.Registry, *trustpkg.Bundle, error) {
	return loadVerifierRegistry(ctx, path, keyFiles, now, false, nil)
}

// loadVerifierRegistry is loadRegistryFile for 'credential verify':
// offline, the keys of a bundle's status list issuers are resolved
// without network, and with marks the snapshot must not be older than
// (or equivocate with) one already accepted, and advances the mark.
func loadVerifierRegistry(ctx context.Context, path string, keyFiles []string, now time.Time, offline bool, marks *trustpkg.Marks) (*trustpkg.Registry, *trustpkg.Bundle, error) {
	l, err := loadVerifierRegistryStale(ctx, path, keyFiles, now, offline, marks, 0)
	if err != nil {
		return nil, nil, err
	}
	return l.Registry, l.Bundle, nil
}

// loadVerifierRegistryStale is loadVerifierRegistry with an explicit
// grace for an expired snapshot (--accept-stale); an expired snapshot
// outside it is refused saying how old it is and how to refresh it.
func loadVerifierRegistryStale(ctx context.Context, path string, keyFiles []string, now time.Time, offline bool, marks *trustpkg.Marks, acceptStale time.Duration) (*trustpkg.Loaded, error) {
	if len(keyFiles) == 0 {
		return nil, usageError(errors.New("--registry needs at least one --registry-key (the authority's public JWK you pinned)"))
	}
	pinned, err := loadPublicJWKs("--registry-key", keyFiles)
	if err != nil {
		return nil, err
	}
	var resolver sdjwtvc.DIDKeyResolver = &did.Resolver{}
	if offline {
		resolver = vccheck.OfflineResolver(resolver)
	}
	src := trustpkg.FileSource(path, trustpkg.SourceOptions{
		Pinned: pinned, Now: func() time.Time { return now }, Resolve: resolver.ResolveKey, Marks: marks, AcceptStale: acceptStale,
	})
	l, err := src.Load(ctx)
	if serr, ok := trustStateErr(err, marks, ""); ok {
		return nil, serr
	}
	var expired *trustpkg.ExpiredError
	switch {
	case errors.Is(err, trustpkg.ErrSourceUnreadable):
		return nil, usageError(fmt.Errorf("--registry: %w", err))
	case errors.As(err, &expired):
		hint := "refresh it: 'cairn registry fetch' from the authority's URL, or a new snapshot or bundle from the authority ('cairn registry publish' / 'cairn registry bundle')"
		if acceptStale > 0 {
			hint += fmt.Sprintf("; it is older than the --accept-stale %s grace", shortDuration(acceptStale))
		} else {
			hint += "; an offline desk that cannot refresh may go on for a while with --accept-stale DURATION (e.g. --accept-stale 72h), which every result shows"
		}
		return nil, withExit(ExitUntrusted, fmt.Errorf("%w: %s", err, hint))
	case err != nil:
		return nil, withExit(ExitUntrusted, err)
	}
	return l, nil
}

// loadPublicJWKs reads the public JWK files given with flag; a file that
// does not hold one is a usage error naming the flag and the file.
// loadX509Anchors reads --x509-anchor files: each PEM certificate is an
// anchor for credentials (pid) and for their status lists (pid-status).
func loadX509Anchors(files []string) (*x509trust.AnchorSet, error) {
	s := x509trust.NewAnchorSet()
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return nil, usageError(fmt.Errorf("--x509-anchor %s: %w", f, err))
		}
		for _, ctx := range []x509trust.Context{x509trust.ContextPID, x509trust.ContextPIDStatus} {
			as, err := x509trust.ParseAnchorsPEM(raw, ctx, f)
			if err != nil {
				return nil, usageError(fmt.Errorf("--x509-anchor: %w", err))
			}
			s.Add(as...)
		}
	}
	return s, nil
}

func loadPublicJWKs(flag string, files []string) ([]*jose.JWK, error) {
	var out []*jose.JWK
	for _, f := range files {
		k, err := keys.LoadPublicJWK(f)
		if err != nil {
			return nil, usageError(fmt.Errorf("%s %s: %w", flag, f, err))
		}
		out = append(out, k)
	}
	return out, nil
}
