package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/text/language"

	"github.com/cairn-id/cairn/internal/claimpath"
	"github.com/cairn-id/cairn/internal/i18n"
	"github.com/cairn-id/cairn/issuer"
	"github.com/cairn-id/cairn/issuer/issuerdir"
	"github.com/cairn-id/cairn/schemas"
)

// 'cairn issuer offer --prompt': the claims of one offer are typed at an
// issuing desk, one question per claim, instead of prepared as a JSON
// file. Questions and the summary go to stderr; answers are read line by
// line from stdin. Answers live only in memory: they are never written to
// a file or a log, and nothing is stored before the operator confirms.

// Limits of the prompt.
const (
	// maxPromptLine bounds one answer (a longer line is refused, not cut).
	maxPromptLine = 4096
	// maxListedChoices: enums up to this size are listed as numbered
	// choices (and a number picks one); longer ones (country codes) are
	// typed by value.
	maxListedChoices = schemas.MaxNumberedChoices
	// maxFixRounds bounds the validate-and-ask-again rounds.
	maxFixRounds = 20
)

// Errors ending a prompt without an offer.
var (
	errPromptEnded    = errors.New("input ended before the offer was confirmed: nothing was stored")
	errPromptDeclined = errors.New("offer not confirmed: nothing was stored")
)

// promptClaims checks everything that does not depend on the claims
// (issuer directory, type, registry), asks for the claims, validates
// them, shows a summary and returns them once the operator confirms.
func (o *issuerOfferOptions) promptClaims(ctx context.Context, e *env, cat *schemas.Catalogue) (map[string]any, error) {
	if _, err := language.Parse(o.lang); err != nil || len(o.lang) > 35 {
		return nil, usageError(fmt.Errorf("--lang %q: not a language tag (en, fr, ar, uk)", o.lang))
	}
	if f, ok := e.stderr.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			return nil, usageError(errors.New("--prompt shows the answers on stderr, which is a file here: run it on a terminal"))
		}
	}
	cfg, err := issuerdir.ReadConfig(o.dir)
	if err != nil {
		return nil, issuerDirError(err)
	}
	lang := i18n.Pick(o.lang)
	if !slices.Contains(cfg.Types, o.vct) {
		return nil, usageError(fmt.Errorf("%w: %q", issuer.ErrUnknownType, o.vct))
	}
	typ, err := cat.Lookup(o.vct)
	if err != nil {
		return nil, usageError(err)
	}
	if _, err := issuerRegistry(ctx, e, o.registry, o.regKeys); err != nil {
		return nil, err
	}
	ev, err := typ.EvidencePreset(o.evidence)
	if err != nil {
		return nil, usageError(fmt.Errorf("--evidence: %w", err))
	}
	p := &claimPrompt{in: newLineReader(e.stdin), out: e.stderr, typ: typ, fields: typ.ClaimFields(o.lang), claims: map[string]any{},
		lang: lang, derived: map[string]bool{}}
	for _, f := range p.fields {
		if err := checkPromptable(f); err != nil {
			return nil, err
		}
	}
	fmt.Fprintf(p.out, "%s (%s)\n%s\n", typ.DisplayName(o.lang), typ.VCT, p.t("Fields marked * are required; press Enter to skip the others."))
	for _, f := range p.fields {
		if err := p.askInto(f, "", p.claims, f.Required); err != nil {
			return nil, err
		}
	}
	if err := p.fixUntilValid(); err != nil {
		return nil, err
	}
	fmt.Fprintln(p.out, "\n"+p.t("The credential will say:"))
	p.summary(p.fields, "", p.claims)
	fmt.Fprintf(p.out, "  %s\n", p.t("Evidence: %s", presetText(lang, o.evidence, ev)))
	ok, err := p.confirm(p.t("Create the offer? [y/N]: "))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, withExit(ExitFailure, p.localized(errPromptDeclined))
	}
	return p.claims, nil
}

// checkPromptable refuses a type with a claim the prompt cannot read (no
// catalogue type has one; a future type must not be half asked).
func checkPromptable(f schemas.Field) error {
	if f.Kind == schemas.KindUnsupported || len(f.Path) == 0 {
		return fmt.Errorf("claim %s cannot be typed at the prompt: use --claims", f.Pointer)
	}
	for _, m := range f.Fields {
		if err := checkPromptable(m); err != nil {
			return err
		}
	}
	return nil
}

// lineReader reads bounded lines.
type lineReader struct{ r *bufio.Reader }

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, maxPromptLine)}
}

// next returns the next line without its end and surrounding spaces;
// tooLong when it exceeded maxPromptLine (its text is dropped). A last
// line without a newline counts; then io.EOF.
func (l *lineReader) next() (line string, tooLong bool, err error) {
	var b []byte
	for {
		chunk, err := l.r.ReadSlice('\n')
		if len(b)+len(chunk) <= maxPromptLine+2 { // + "\r\n"
			b = append(b, chunk...)
		} else {
			tooLong = true
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && (!errors.Is(err, io.EOF) || (len(b) == 0 && !tooLong)) {
			return "", false, err
		}
		break
	}
	line = strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	if tooLong || len(line) > maxPromptLine {
		return "", true, nil
	}
	return strings.TrimSpace(line), false, nil
}

// claimPrompt is one prompt session.
type claimPrompt struct {
	in     *lineReader
	out    io.Writer
	typ    *schemas.Type
	fields []schemas.Field
	claims map[string]any
	// lang is the language of the prompt's own words (i18n.Pick).
	lang string
	// derived marks the claims (by label path) set from a date typed as
	// YYYY or YYYY-MM: the precision is not asked again.
	derived map[string]bool
}

// t is a message of the prompt in its language.
func (p *claimPrompt) t(key string, args ...any) string { return i18n.T(p.lang, key, args...) }

// localized is err (errors.Is still matches it) in the prompt's language.
func (p *claimPrompt) localized(err error) error {
	return &localizedError{msg: p.t(err.Error()), err: err}
}

type localizedError struct {
	msg string
	err error
}

func (e *localizedError) Error() string { return e.msg }
func (e *localizedError) Unwrap() error { return e.err }

// presetText describes the evidence chosen for the summary, in lang
// (preset names and method codes stay as typed on the command line).
func presetText(lang, preset string, ev schemas.Evidence) string {
	if preset == "" {
		preset = schemas.DefaultPresetName
	}
	var parts []string
	add := func(name string, v int) {
		if v != 0 {
			parts = append(parts, i18n.T(lang, name)+" "+strconv.Itoa(v))
		}
	}
	add("strength", ev.Strength)
	add("validity", ev.Validity)
	add("verification", ev.Verification)
	add("identity fraud", ev.IdentityFraud)
	if ev.Method != "" {
		parts = append(parts, i18n.T(lang, "method")+" "+ev.Method)
	}
	return preset + " (" + strings.Join(parts, ", ") + ")"
}

// read asks question and returns the answer; any read failure (end of
// input included) ends the session.
func (p *claimPrompt) read(question string) (string, error) {
	for {
		fmt.Fprint(p.out, question)
		line, tooLong, err := p.in.next()
		if err != nil {
			fmt.Fprintln(p.out)
			if errors.Is(err, io.EOF) {
				return "", withExit(ExitUsage, p.localized(errPromptEnded))
			}
			return "", withExit(ExitUsage, fmt.Errorf("%w: %w", p.localized(errPromptEnded), err))
		}
		if tooLong {
			fmt.Fprintf(p.out, "  %s\n", p.t("too long (at most %d bytes)", maxPromptLine))
			continue
		}
		return line, nil
	}
}

func (p *claimPrompt) confirm(question string) (bool, error) {
	line, err := p.read(question)
	if err != nil {
		return false, err
	}
	yes, err := schemas.ParseYesNo(line)
	return err == nil && yes, nil
}

// memberName is the last claim name of a field's path.
func memberName(f schemas.Field) string {
	s, _ := f.Path[len(f.Path)-1].(string)
	return s
}

// askInto asks for f, with its label after prefix, and sets (or, on an
// empty answer, removes) its member of obj. mandatory: an empty answer is
// refused.
func (p *claimPrompt) askInto(f schemas.Field, prefix string, obj map[string]any, mandatory bool) error {
	name, label := memberName(f), prefix+f.Label
	switch f.Kind {
	case schemas.KindObject:
		sub, _ := obj[name].(map[string]any)
		if sub == nil {
			sub = map[string]any{}
		}
		for _, m := range f.Fields {
			if err := p.askInto(m, label+" › ", sub, mandatory && m.Required); err != nil {
				return err
			}
		}
		setOrDelete(obj, name, sub, len(sub) > 0)
		return nil
	case schemas.KindObjectArray:
		var entries []any
		for i := 0; f.MaxItems == 0 || i < f.MaxItems; i++ {
			entryLabel := fmt.Sprintf("%s #%d", label, i+1)
			if !mandatory || i > 0 {
				add, err := p.confirm(p.t("Add %s? [y/N]: ", entryLabel))
				if err != nil {
					return err
				}
				if !add {
					break
				}
			}
			entry := map[string]any{}
			for _, m := range f.Fields {
				if err := p.askInto(m, entryLabel+" › ", entry, m.Required); err != nil {
					return err
				}
			}
			entries = append(entries, entry)
		}
		setOrDelete(obj, name, entries, len(entries) > 0)
		return nil
	}
	if f.Derived || p.derived[label] {
		return nil // set from the claim it depends on (a date's precision)
	}
	v, typed, ok, err := p.askValue(f, label, mandatory)
	if err != nil {
		return err
	}
	setOrDelete(obj, name, v, ok)
	if f.Precision != "" {
		precisionLabel := prefix + p.labelOfMember(f.Precision)
		precision := schemas.DatePrecision(typed)
		switch {
		case ok && precision != "":
			obj[f.Precision] = precision
			p.derived[precisionLabel] = true
		case p.derived[precisionLabel]:
			delete(obj, f.Precision)
			p.derived[precisionLabel] = false
		}
	}
	return nil
}

// labelOfMember is the label of a top-level or sibling claim by name.
func (p *claimPrompt) labelOfMember(name string) string {
	return p.typ.Label([]any{name}, p.lang)
}

func setOrDelete(obj map[string]any, name string, v any, set bool) {
	if set {
		obj[name] = v
	} else {
		delete(obj, name)
	}
}

// askValue asks for a scalar or a list of strings until the answer reads
// as the field's kind; ok is false for a skipped optional field.
func (p *claimPrompt) askValue(f schemas.Field, label string, mandatory bool) (v any, typed string, ok bool, err error) {
	listed := len(f.Enum) > 0 && len(f.Enum) <= maxListedChoices
	if listed {
		fmt.Fprintf(p.out, "%s:\n", label)
		if f.Kind == schemas.KindInteger || f.Kind == schemas.KindNumber {
			// numbered choices would be mistaken for the values themselves
			vals := make([]string, len(f.Enum))
			for i, c := range f.Enum {
				vals[i] = p.valueWithLabel(f.Path, c)
			}
			fmt.Fprintf(p.out, "  %s\n", p.t("one of: %s", strings.Join(vals, ", ")))
		} else {
			for i, c := range f.Enum {
				fmt.Fprintf(p.out, "  %d) %s\n", i+1, p.valueWithLabel(f.Path, c))
			}
		}
	}
	mark := ""
	if mandatory {
		mark = " *"
	}
	hint := kindHint(f, p.lang)
	if hint != "" {
		hint = " " + hint
	}
	question := fmt.Sprintf("%s%s%s: ", label, mark, hint)
	if listed {
		question = fmt.Sprintf("  %s%s%s: ", p.t("choice"), mark, hint)
	}
	for {
		line, err := p.read(question)
		if err != nil {
			return nil, "", false, err
		}
		if line == "" {
			if mandatory {
				fmt.Fprintln(p.out, "  "+p.t("required: please answer"))
				continue
			}
			return nil, "", false, nil
		}
		v, err := f.ParseText(line, schemas.InputOptions{NumberedChoices: true})
		if errors.Is(err, schemas.ErrNoValue) { // a list without entries: ";;"
			if mandatory {
				fmt.Fprintln(p.out, "  "+p.t("required: please answer"))
				continue
			}
			return nil, "", false, nil
		}
		if err != nil {
			fmt.Fprintf(p.out, "  %s\n", answerProblem(err, p.lang)) // messages never repeat the answer
			continue
		}
		return v, line, true, nil
	}
}

// kindHint says how to type a field, in lang.
func kindHint(f schemas.Field, lang string) string {
	t := func(key string, args ...any) string { return i18n.T(lang, key, args...) }
	switch {
	case f.Kind == schemas.KindStringArray && len(f.Enum) > maxListedChoices:
		return t("[codes such as %s, separated by ;]", strings.Join(f.Enum[:min(3, len(f.Enum))], ", "))
	case f.Kind == schemas.KindStringArray:
		return t("[several: separate with ;]")
	case len(f.Enum) > maxListedChoices:
		return t("[code such as %s]", strings.Join(f.Enum[:3], ", "))
	case len(f.Enum) > 0 && f.Kind == schemas.KindString:
		return t("[1-%d or the value]", len(f.Enum))
	case len(f.Enum) > 0:
		return t("[the value]")
	}
	switch f.Kind {
	case schemas.KindDate:
		if f.Precision != "" {
			return t("[YYYY-MM-DD, or YYYY-MM or YYYY if not known]")
		}
		return t("[YYYY-MM-DD]")
	case schemas.KindInteger:
		return t("[whole number]")
	case schemas.KindNumber:
		return t("[number]")
	case schemas.KindBoolean:
		return t("[yes/no]")
	}
	return ""
}

// answerProblem says why an answer was refused, without the claim's
// pointer (the question names the claim) and without the answer.
func answerProblem(err error, lang string) string {
	var ie *schemas.InputError
	if !errors.As(err, &ie) {
		return i18n.T(lang, "cannot be read")
	}
	msg := i18n.Problem(lang, ie.Message)
	if ie.Entry > 0 {
		return i18n.T(lang, "entry %d: %s", ie.Entry, msg)
	}
	return msg
}

// fixUntilValid validates the claims and asks again for the fields that
// fail, until they pass.
func (p *claimPrompt) fixUntilValid() error {
	for round := 0; ; round++ {
		err := p.typ.Validate(p.claims)
		var ve *schemas.ValidationError
		if err == nil {
			return nil
		}
		if !errors.As(err, &ve) {
			return withExit(ExitInvalid, err)
		}
		paths := make([]string, len(ve.Problems))
		for i, pr := range ve.Problems {
			paths[i] = pr.Pointer
			if paths[i] == "" {
				paths[i] = "/"
			}
		}
		if round == maxFixRounds {
			return withExit(ExitInvalid, fmt.Errorf("claims still do not match %s at: %s", p.typ.VCT, strings.Join(paths, ", ")))
		}
		fmt.Fprintln(p.out, "\n"+p.t("These answers do not fit the credential type:"))
		for i, pr := range ve.Problems {
			fmt.Fprintf(p.out, "  %s (%s): %s\n", p.labelOf(pr.Pointer), paths[i], i18n.Problem(p.lang, pr.Message))
		}
		fmt.Fprintln(p.out, p.t("Please answer them again."))
		done := map[string]bool{}
		for _, pr := range ve.Problems {
			if done[pr.Pointer] {
				continue
			}
			done[pr.Pointer] = true
			if err := p.fix(pr.Pointer); err != nil {
				return err
			}
		}
	}
}

func fieldNamed(fs []schemas.Field, name string) *schemas.Field {
	for i := range fs {
		if memberName(fs[i]) == name {
			return &fs[i]
		}
	}
	return nil
}

// labelOf renders a failing pointer with the labels of its fields.
func (p *claimPrompt) labelOf(ptr string) string {
	fields, label := p.fields, ""
	toks := claimpath.Tokens(ptr)
	if len(toks) == 0 {
		return p.t("(all claims)")
	}
	for i := 0; i < len(toks); i++ {
		f := fieldNamed(fields, toks[i])
		if f == nil {
			return label + toks[i]
		}
		label += f.Label
		if f.Kind == schemas.KindObjectArray && i+1 < len(toks) {
			if n, err := strconv.Atoi(toks[i+1]); err == nil {
				label += fmt.Sprintf(" #%d", n+1)
				i++
			}
		}
		if f.Kind == schemas.KindStringArray && i+1 < len(toks) {
			if n, err := strconv.Atoi(toks[i+1]); err == nil {
				return p.t("%s, entry %d", label, n+1)
			}
		}
		fields = f.Fields
		if i+1 < len(toks) {
			label += " › "
		}
	}
	return label
}

// fix asks again for what the failing pointer ptr designates: a value (a
// list of strings as a whole), the empty members of an object or array
// entry (or all of them when none is empty), or a whole list of entries.
func (p *claimPrompt) fix(ptr string) error {
	fields, obj, prefix := p.fields, p.claims, ""
	toks := claimpath.Tokens(ptr)
	for i := 0; i < len(toks); i++ {
		f := fieldNamed(fields, toks[i])
		if f == nil {
			return withExit(ExitInvalid, fmt.Errorf("claims do not match %s at %s, which cannot be asked again", p.typ.VCT, ptr))
		}
		last := i == len(toks)-1
		switch f.Kind {
		case schemas.KindObject:
			sub, _ := obj[toks[i]].(map[string]any)
			if sub == nil {
				sub = map[string]any{}
				obj[toks[i]] = sub
			}
			if last {
				err := p.fixMembers(f.Fields, prefix+f.Label+" › ", sub)
				setOrDelete(obj, toks[i], sub, len(sub) > 0)
				return err
			}
			fields, obj, prefix = f.Fields, sub, prefix+f.Label+" › "
		case schemas.KindObjectArray:
			entries, _ := obj[toks[i]].([]any)
			n := -1
			if !last {
				n, _ = strconv.Atoi(toks[i+1])
			}
			entry, _ := elementAt(entries, n).(map[string]any)
			if entry == nil {
				return p.askInto(*f, prefix, obj, true)
			}
			entryPrefix := fmt.Sprintf("%s%s #%d › ", prefix, f.Label, n+1)
			if i+1 == len(toks)-1 {
				return p.fixMembers(f.Fields, entryPrefix, entry)
			}
			fields, obj, prefix = f.Fields, entry, entryPrefix
			i++
		default:
			return p.askInto(*f, prefix, obj, f.Required)
		}
	}
	return p.fixMembers(fields, prefix, obj)
}

func elementAt(list []any, i int) any {
	if i < 0 || i >= len(list) {
		return nil
	}
	return list[i]
}

// fixMembers asks again for the members of obj that are not set, or for
// every member when all are.
func (p *claimPrompt) fixMembers(fields []schemas.Field, prefix string, obj map[string]any) error {
	var empty []schemas.Field
	for _, f := range fields {
		if _, set := obj[memberName(f)]; !set {
			empty = append(empty, f)
		}
	}
	if len(empty) == 0 {
		empty = fields
	}
	for _, f := range empty {
		if err := p.askInto(f, prefix, obj, f.Required); err != nil {
			return err
		}
	}
	return nil
}

// summary lists the set claims in field order, one per line.
func (p *claimPrompt) summary(fields []schemas.Field, prefix string, obj map[string]any) {
	for _, f := range fields {
		v, set := obj[memberName(f)]
		if !set {
			continue
		}
		label := prefix + f.Label
		switch f.Kind {
		case schemas.KindObject:
			sub, _ := v.(map[string]any)
			p.summary(f.Fields, label+" › ", sub)
		case schemas.KindObjectArray:
			entries, _ := v.([]any)
			for i, e := range entries {
				sub, _ := e.(map[string]any)
				p.summary(f.Fields, fmt.Sprintf("%s #%d › ", label, i+1), sub)
			}
		default:
			fmt.Fprintf(p.out, "  %s: %s\n", label, p.summaryValue(f, v))
		}
	}
}

// summaryValue shows a value with its label where the catalogue has one
// ("LB (Liban)", "2 (féminin)").
func (p *claimPrompt) summaryValue(f schemas.Field, v any) string {
	switch x := v.(type) {
	case bool:
		if x {
			return p.t("yes")
		}
		return p.t("no")
	case []any:
		parts := make([]string, len(x))
		elemPath := append(append([]any(nil), f.Path...), nil)
		for i, e := range x {
			parts[i] = p.valueWithLabel(elemPath, e)
		}
		return strings.Join(parts, "; ")
	}
	return p.valueWithLabel(f.Path, v)
}

func (p *claimPrompt) valueWithLabel(path []any, v any) string {
	s := fmt.Sprint(v)
	if l, ok := p.typ.AllowedValueLabel(path, v, p.lang); ok && l != s {
		return s + " (" + l + ")"
	}
	return s
}

// offerClaimsError says why the claims of an offer were refused: each
// failing claim and its reason (as the batch and the prompt say them),
// never a value.
func offerClaimsError(ve *issuer.ValidationError) error {
	if len(ve.Problems) == 0 {
		return fmt.Errorf("claims do not match %s at: %s", ve.VCT, strings.Join(ve.Paths, ", "))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "claims do not match %s:", ve.VCT)
	for _, p := range ve.Problems {
		ptr := p.Pointer
		if ptr == "" {
			ptr = "(claims)"
		}
		fmt.Fprintf(&b, "\n  %s %s", ptr, p.Message)
	}
	return errors.New(b.String())
}

// typeClaimsFile reads an offer's claims file through the typing of
// operator text (schemas.Type.ClaimsFromJSON): country names, "4" for a
// number, partial birthdates. An unknown type is left to the issuer.
func typeClaimsFile(cat *schemas.Catalogue, vct string, claims map[string]any) (map[string]any, error) {
	typ, err := cat.Resolve(vct)
	if err != nil {
		return claims, nil
	}
	typed, err := typ.ClaimsFromJSON(claims, schemas.InputOptions{})
	var ve *schemas.ValidationError
	if errors.As(err, &ve) {
		return nil, withExit(ExitInvalid, offerClaimsError(&issuer.ValidationError{VCT: ve.VCT, Problems: ve.Problems}))
	}
	return typed, err
}

// offerEvidence is the evidence of the preset named (nil: the issuer
// uses the type's default).
func offerEvidence(cat *schemas.Catalogue, vct, preset string) (*schemas.Evidence, error) {
	if preset == "" {
		return nil, nil
	}
	typ, err := cat.Resolve(vct)
	if err != nil {
		return nil, usageError(err)
	}
	ev, err := typ.EvidencePreset(preset)
	if err != nil {
		return nil, usageError(fmt.Errorf("--evidence: %w", err))
	}
	return &ev, nil
}
