package batch

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/cairn-id/cairn/internal/i18n"
	"github.com/cairn-id/cairn/schemas"
)

// sheetCard is one person's card on the printed sheet.
type sheetCard struct {
	Line      int
	Reference string
	TypeName  string
	QR        template.URL // data:image/png;base64,…
	TxCode    string
	Expires   string
	// QRAlt and Stub are the card's sentences with the reference in them
	// (escaped, in a dir="auto" span for Stub).
	QRAlt string
	Stub  template.HTML
}

type sheetPage struct {
	Lang, Dir string // HTML lang and dir
	Title     string
	Generated string
	Offered   int
	Refused   int
	Cards     []sheetCard
	Refusals  []Refusal
}

func sheetData(sum *Summary, outs []outcome, cat *schemas.Catalogue, o Options) sheetPage {
	lang := i18n.Pick(o.Lang)
	loc := o.Location
	if loc == nil {
		loc = time.UTC
	}
	title := o.Title
	if title == "" {
		title = i18n.T(lang, "Credential offers")
	}
	generated := sum.Finished.In(loc).Format("2006-01-02 15:04 MST")
	if lang != "en" {
		generated = i18n.DateTime(lang, sum.Finished.In(loc))
	}
	p := sheetPage{
		Lang: i18n.Lang(lang), Dir: i18n.Dir(lang),
		Title: title, Generated: generated,
		Offered: sum.Offered, Refused: sum.Refused, Refusals: sum.RefusedRows,
	}
	for i := range outs {
		out := &outs[i]
		if out.file == "" {
			continue
		}
		name := out.row.VCT
		if t, err := cat.Lookup(out.row.VCT); err == nil {
			name = t.DisplayName(lang)
		}
		p.Cards = append(p.Cards, sheetCard{
			Line: out.row.Line, Reference: out.row.Reference, TypeName: name,
			// The data URL is built from our own PNG bytes: safe to mark.
			QR:      template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(out.png)),
			TxCode:  out.result.TxCode,
			Expires: expiry(lang, out.result.ExpiresAt.In(loc)),
			QRAlt:   i18n.T(lang, "Credential offer QR code for %s", out.row.Reference),
			Stub:    stubText(lang, out.row.Reference),
		})
	}
	return p
}

// expiry is when a card expires: in English as before (2026-11-28
// 12:00:00 UTC), else as the language writes a date and time.
func expiry(lang string, t time.Time) string {
	if lang == "en" {
		return t.Format("2006-01-02 15:04:05 MST")
	}
	return i18n.DateTime(lang, t)
}

// stubText is the stub's sentence with the reference isolated for bidi.
func stubText(lang, ref string) template.HTML {
	before, after, _ := strings.Cut(i18n.T(lang, "Transaction code for %s — tell the person, do not hand over with the card:"), "%s")
	return template.HTML(template.HTMLEscapeString(before) + `<span dir="auto">` + template.HTMLEscapeString(ref) + `</span>` + template.HTMLEscapeString(after))
}

func renderSheet(p sheetPage) ([]byte, error) {
	t, err := template.New("sheet").Funcs(template.FuncMap{
		"t": func(key string, args ...any) string { return i18n.T(p.Lang, key, args...) },
	}).Parse(sheetTemplate)
	if err != nil {
		return nil, fmt.Errorf("batch: sheet template: %w", err)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, p); err != nil {
		return nil, fmt.Errorf("batch: rendering sheet: %w", err)
	}
	return buf.Bytes(), nil
}

// sheetTemplate is an A4 page of cards, two across, each with a
// detachable stub for the transaction code: the code is told to the person
// separately from the QR code, so a lost card alone cannot be redeemed.
const sheetTemplate = `<!DOCTYPE html>
<html lang="{{.Lang}}" dir="{{.Dir}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
@page { size: A4; margin: 10mm; }
* { box-sizing: border-box; }
body { font-family: system-ui, "Noto Sans", "Noto Sans Arabic", sans-serif; margin: 0; color: #000; background: #fff; }
header { padding: 4mm 0; border-bottom: 1px solid #000; margin-bottom: 4mm; }
header h1 { font-size: 16pt; margin: 0 0 2mm; }
header p { margin: 1mm 0; font-size: 10pt; }
.cards { display: grid; grid-template-columns: 1fr 1fr; gap: 4mm; }
.card { border: 1px solid #000; padding: 4mm; break-inside: avoid; page-break-inside: avoid; display: flex; flex-direction: column; align-items: center; }
.ref { font-size: 16pt; font-weight: bold; unicode-bidi: isolate; }
.type { font-size: 11pt; margin: 1mm 0; text-align: center; }
.qr { width: 55mm; height: 55mm; image-rendering: pixelated; }
.expires { font-size: 9pt; }
.stub { width: 100%; margin-top: 3mm; padding-top: 2mm; border-top: 1px dashed #000; font-size: 10pt; text-align: center; }
.stub .code { direction: ltr; unicode-bidi: isolate; font-size: 18pt; font-family: ui-monospace, monospace; letter-spacing: 2pt; }
.refused { margin-top: 6mm; break-before: page; }
.refused table { border-collapse: collapse; font-size: 9pt; }
.refused td, .refused th { border: 1px solid #000; padding: 1mm 2mm; text-align: start; }
@media screen { body { max-width: 190mm; margin: 0 auto; padding: 4mm; } }
@media print { header p.screen { display: none; } }
</style>
</head>
<body>
<header>
<h1>{{.Title}}</h1>
<p>{{t "%d offers, %d rows refused. Printed %s." .Offered .Refused .Generated}}</p>
<p>{{t "Each person scans their card's code with the wallet app before it expires. Where a card has a stub, cut it off and tell the person the transaction code separately: never hand over the code and the stub together."}}</p>
<p>{{t "These cards are secrets until used: keep the sheet out of sight and destroy unused cards."}}</p>
</header>
<main class="cards">
{{- range .Cards}}
<article class="card" id="line-{{.Line}}">
<div class="ref" dir="auto">{{.Reference}}</div>
<div class="type" dir="auto">{{.TypeName}}</div>
<img class="qr" src="{{.QR}}" alt="{{.QRAlt}}">
<div class="expires">{{t "Scan before %s" .Expires}}</div>
{{- if .TxCode}}
<div class="stub">&#9986; {{.Stub}}<br><span class="code">{{.TxCode}}</span></div>
{{- end}}
</article>
{{- end}}
</main>
{{- if .Refusals}}
<section class="refused">
<h2>{{t "Rows not offered"}}</h2>
<table>
<thead><tr><th>{{t "Line"}}</th><th>{{t "Reference"}}</th><th>{{t "Reason"}}</th></tr></thead>
<tbody>
{{- range .Refusals}}
<tr><td>{{.Line}}</td><td dir="auto">{{.Reference}}</td><td>{{.Reason}}</td></tr>
{{- end}}
</tbody>
</table>
</section>
{{- end}}
</body>
</html>
`
