package batch

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/qr"
)

var fixedNow = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// fakeCreator makes offers the way the issuer does, in memory, and
// remembers every request.
type fakeCreator struct {
	mu       sync.Mutex
	requests map[string]Request // by reference
	offers   map[string]*Result
	refuse   map[string]error // reference → error to return
}

func newFakeCreator() *fakeCreator {
	return &fakeCreator{requests: map[string]Request{}, offers: map[string]*Result{}, refuse: map[string]error{}}
}

func (f *fakeCreator) CreateOffer(_ context.Context, r Request) (*Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.refuse[r.Reference]; err != nil {
		return nil, err
	}
	if _, dup := f.requests[r.Reference]; dup {
		return nil, fmt.Errorf("fake: reference %q offered twice", r.Reference)
	}
	sum := sha256.Sum256([]byte(r.Reference))
	id := hex.EncodeToString(sum[:16])
	offerURL := "https://issuer.ngo.example/credential-offer/" + id
	res := &Result{
		ID: id, OfferURL: offerURL,
		URI:       "openid-credential-offer://?credential_offer_uri=" + url.QueryEscape(offerURL),
		ExpiresAt: fixedNow.Add(r.TTL),
	}
	if r.TxCode {
		res.TxCode = fmt.Sprintf("%06d", int(sum[20])<<8|int(sum[21]))
	}
	f.requests[r.Reference] = r
	f.offers[r.Reference] = res
	return res, nil
}

// driveRow is one generated CSV row and what should become of it.
type driveRow struct {
	cells   []string
	raw     string // a raw line instead of cells (malformed rows)
	line    int
	refusal string // expected refusal substring; "" = good
	secret  string // a value that must not appear in any reason
	claims  map[string]any
	txCode  bool
}

var driveHeader = []string{
	"reference", "vct", "tx_code", "given_name", "family_name", "birthdate", "nationalities", "sex",
	"registration_id", "registration_date", "registration_place.locality", "/registration_place/country", "household_size",
}

// genDrive generates a registration drive of n rows of two types, with
// the bad rows from badRows at fixed positions.
func genDrive(n int) []driveRow {
	given := []string{"Amina", "Олена", "أمينة", "Jean-Baptiste", "Dawit", "Мар'яна", "عبد الله", "Ngozi"}
	family := []string{"Yusuf", "Коваленко", "الحسن", "N'Diaye", "Tesfaye", "Шевченко", "O'Brien", "Okafor"}
	countries := []string{"ER", "SO", "UA", "SY", "AF", "SD"}
	rows := make([]driveRow, 0, n)
	for i := range n {
		ref := fmt.Sprintf("Q-%04d", i+1)
		if i%50 == 7 {
			ref = fmt.Sprintf("../../case/%d", i+1) // traversal attempt: must still be offered safely
		}
		if i%60 == 11 {
			ref = fmt.Sprintf("تذكرة %d", i+1) // Arabic reference
		}
		tx := []string{"", "yes", "no"}[i%3]
		g, f := given[i%len(given)], family[(i/3)%len(family)]
		bd := fmt.Sprintf("19%02d-%02d-%02d", 50+i%50, 1+i%12, 1+i%28)
		c := make([]string, len(driveHeader))
		c[0], c[2], c[3], c[4], c[5] = ref, tx, g, f, bd
		claims := map[string]any{"given_name": g, "family_name": f, "birthdate": bd}
		if i%2 == 0 {
			c[1] = vctIdentity
			nat := []any{countries[i%len(countries)]}
			c[6] = countries[i%len(countries)]
			if i%4 == 0 {
				nat = append(nat, countries[(i+1)%len(countries)])
				c[6] += "; " + countries[(i+1)%len(countries)]
			}
			c[7] = fmt.Sprint(1 + i%2)
			claims["nationalities"], claims["sex"] = nat, int64(1+i%2)
		} else {
			c[1] = vctRegistration
			c[8] = fmt.Sprintf("REG-%05d", i)
			c[9] = "2026-11-2" + fmt.Sprint(i%6)
			c[10] = fmt.Sprintf("Camp %d, Block %c", i%9, 'A'+rune(i%5)) // quoted: has a comma
			c[11] = "JO"
			c[12] = fmt.Sprint(1 + i%9)
			claims["registration_id"], claims["registration_date"] = c[8], c[9]
			claims["registration_place"] = map[string]any{"locality": c[10], "country": "JO"}
			claims["household_size"] = int64(1 + i%9)
		}
		rows = append(rows, driveRow{cells: c, claims: claims, txCode: tx == "yes"})
	}
	// Bad rows of every kind, spread through the file.
	bad := []func(r *driveRow){
		func(r *driveRow) { r.cells[1], r.refusal = "urn:cairn:vct:unknown-thing:1", "unknown credential type" },
		func(r *driveRow) {
			if r.cells[1] == vctIdentity {
				r.cells[5], r.refusal = "", "/birthdate is required"
			} else {
				r.cells[8], r.refusal = "", "/registration_id is required"
			}
		},
		func(r *driveRow) { r.cells[5], r.refusal, r.secret = "31/12/1989", "/birthdate", "31/12/1989" },
		func(r *driveRow) {
			if r.cells[1] == vctIdentity {
				r.cells[7], r.refusal, r.secret = "female", "/sex must be a whole number", "female"
			} else {
				r.cells[12], r.refusal, r.secret = "five", "/household_size must be a whole number", "five"
			}
		},
		func(r *driveRow) {
			r.cells[3], r.refusal = strings.Repeat("Ж", MaxFieldSize), `column "given_name" is longer than 4096 bytes`
		},
		func(r *driveRow) {
			r.cells[4], r.refusal, r.secret = "Ren\xe9e", `column "family_name" is not valid UTF-8`, "Ren"
		},
		func(r *driveRow) { r.cells[2], r.refusal = "perhaps", "tx_code must be yes or no" },
		func(r *driveRow) { r.cells[0], r.refusal = "", "reference is empty" },
		func(r *driveRow) { r.raw, r.refusal = "Q-BAD,"+vctIdentity+",no,Amina", "has 4 fields" },
		func(r *driveRow) {
			r.raw, r.refusal = `Q-QUOTE,`+vctIdentity+`,no,Am"ina,Yusuf,1990-01-01,ER,2,,,,,`, "malformed CSV"
		},
		func(r *driveRow) {
			if r.cells[1] == vctIdentity {
				r.cells[7], r.refusal, r.secret = "7", "/sex is not one of the allowed values", ""
			} else {
				r.cells[12], r.refusal = "150", "/household_size must be at most 99"
			}
		},
	}
	for k := 0; k < 21; k++ {
		i := 13 + k*23
		bad[k%len(bad)](&rows[i])
	}
	// Two duplicates of earlier references.
	for _, i := range []int{480, 490} {
		rows[i].cells[0] = rows[i-100].cells[0]
		rows[i].refusal = "reference repeats the one on line"
	}
	return rows
}

// encodeDrive writes the CSV (BOM, CRLF, quoting) and fills in each row's
// line number.
func encodeDrive(rows []driveRow) []byte {
	var b bytes.Buffer
	b.WriteString("\ufeff")
	b.WriteString(strings.Join(driveHeader, ",") + "\r\n")
	line := 2
	for i := range rows {
		rows[i].line = line
		if rows[i].raw != "" {
			b.WriteString(rows[i].raw + "\r\n")
			line++
			continue
		}
		for j, c := range rows[i].cells {
			if j > 0 {
				b.WriteByte(',')
			}
			if strings.ContainsAny(c, ",\"\r\n") {
				c = `"` + strings.ReplaceAll(c, `"`, `""`) + `"`
			}
			b.WriteString(c)
		}
		b.WriteString("\r\n")
		line++
	}
	return b.Bytes()
}

func TestRunRegistrationDrive(t *testing.T) {
	cat := catalogue(t)
	drive := genDrive(500)
	data := encodeDrive(drive)
	rows, err := ReadCSV(bytes.NewReader(data), cat, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(drive) {
		t.Fatalf("%d rows read, want %d", len(rows), len(drive))
	}
	parent := t.TempDir()
	out := filepath.Join(parent, "drive-1")
	creator := newFakeCreator()
	var progress bytes.Buffer
	sum, err := Run(context.Background(), rows, creator, Options{
		OutDir: out, Catalogue: cat, Progress: &progress, Now: func() time.Time { return fixedNow },
		TTL: 48 * time.Hour, Title: "Drive at Camp 4", Workers: 2,
	})
	if err != nil {
		t.Fatal(err)
	}

	var wantGood, wantBad int
	byLine := map[int]*driveRow{}
	for i := range drive {
		byLine[drive[i].line] = &drive[i]
		if drive[i].refusal == "" {
			wantGood++
		} else {
			wantBad++
		}
	}
	if wantBad < 20 {
		t.Fatalf("generator made only %d bad rows", wantBad)
	}
	if sum.Rows != 500 || sum.Offered != wantGood || sum.Refused != wantBad || !sum.Complete {
		t.Fatalf("summary rows=%d offered=%d refused=%d complete=%v; want 500/%d/%d/true", sum.Rows, sum.Offered, sum.Refused, sum.Complete, wantGood, wantBad)
	}

	// Every bad row is reported with its line and reason, without values.
	for _, rf := range sum.RefusedRows {
		d := byLine[rf.Line]
		if d == nil || d.refusal == "" {
			t.Errorf("line %d refused but is good: %s", rf.Line, rf.Reason)
			continue
		}
		if !strings.Contains(rf.Reason, d.refusal) {
			t.Errorf("line %d: reason %q, want %q", rf.Line, rf.Reason, d.refusal)
		}
		for _, v := range []string{d.secret, d.cells[3], d.cells[4]} {
			if v != "" && len(v) > 2 && strings.Contains(rf.Reason, v) {
				t.Errorf("line %d: reason %q reveals a value", rf.Line, rf.Reason)
			}
		}
	}

	// Every good row got exactly its claims, and its PNG reads back to its
	// offer URI.
	fileRE := regexp.MustCompile(`^[A-Za-z0-9_-]+-[0-9]+\.png$`)
	seenFiles := map[string]bool{}
	for _, o := range sum.Offers {
		d := byLine[o.Line]
		if d == nil || d.refusal != "" {
			t.Errorf("line %d offered but should be refused", o.Line)
			continue
		}
		req := creator.requests[o.Reference]
		if !reflect.DeepEqual(req.Claims, d.claims) {
			t.Errorf("line %d claims %#v, want %#v", o.Line, req.Claims, d.claims)
		}
		if req.TxCode != d.txCode || o.TxCodeRequired != d.txCode || req.TTL != 48*time.Hour || req.VCT != d.cells[1] {
			t.Errorf("line %d: request %+v, record %+v", o.Line, req, o)
		}
		if !fileRE.MatchString(o.File) || seenFiles[o.File] {
			t.Errorf("line %d: unsafe or repeated file name %q", o.Line, o.File)
		}
		seenFiles[o.File] = true
		png, err := os.ReadFile(filepath.Join(out, o.File))
		if err != nil {
			t.Fatal(err)
		}
		text, err := qr.Decode(png)
		if err != nil {
			t.Fatalf("line %d: %v", o.Line, err)
		}
		if text != creator.offers[o.Reference].URI {
			t.Errorf("line %d: PNG reads %q, want %q", o.Line, text, creator.offers[o.Reference].URI)
		}
	}
	if len(creator.requests) != wantGood {
		t.Errorf("creator asked %d times, want %d", len(creator.requests), wantGood)
	}

	// Nothing left the output directory; only our files are in it.
	parentEntries, _ := os.ReadDir(parent)
	if len(parentEntries) != 1 {
		t.Errorf("parent directory has %d entries, want only the output directory", len(parentEntries))
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != wantGood+2 {
		t.Errorf("%d files in the output directory, want %d", len(entries), wantGood+2)
	}
	for _, e := range entries {
		if e.Name() != SheetFile && e.Name() != SummaryFile && !seenFiles[e.Name()] {
			t.Errorf("unexpected file %q", e.Name())
		}
		if info, _ := e.Info(); info.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", e.Name(), info.Mode().Perm())
		}
	}

	// summary.json says the same and holds no secrets.
	js, err := os.ReadFile(filepath.Join(out, SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	var onDisk Summary
	if err := json.Unmarshal(js, &onDisk); err != nil {
		t.Fatal(err)
	}
	if onDisk.Offered != sum.Offered || onDisk.Refused != sum.Refused || len(onDisk.RefusedRows) != wantBad {
		t.Errorf("summary.json differs: %d/%d", onDisk.Offered, onDisk.Refused)
	}
	for ref, o := range creator.offers {
		if strings.Contains(string(js), o.URI) || strings.Contains(string(js), o.OfferURL) {
			t.Fatalf("summary.json holds the offer URI of %q", ref)
		}
		if o.TxCode != "" && strings.Contains(string(js), `"`+o.TxCode+`"`) {
			t.Fatalf("summary.json holds the tx code of %q", ref)
		}
	}
	if !sort.SliceIsSorted(onDisk.RefusedRows, func(i, j int) bool { return onDisk.RefusedRows[i].Line < onDisk.RefusedRows[j].Line }) {
		t.Error("refused rows are not in line order")
	}

	// The sheet: well formed, one card per offer, tx codes on stubs.
	sheet, err := os.ReadFile(filepath.Join(out, SheetFile))
	if err != nil {
		t.Fatal(err)
	}
	checkWellFormed(t, string(sheet))
	if n := strings.Count(string(sheet), `<article class="card"`); n != wantGood {
		t.Errorf("%d cards, want %d", n, wantGood)
	}
	stubs := 0
	for _, o := range creator.offers {
		if o.TxCode != "" {
			stubs++
			if !strings.Contains(string(sheet), `<span class="code">`+o.TxCode+`</span>`) {
				t.Errorf("tx code %s missing from the sheet", o.TxCode)
			}
		}
	}
	if n := strings.Count(string(sheet), `class="stub"`); n != stubs || stubs == 0 {
		t.Errorf("%d stubs, want %d (> 0)", n, stubs)
	}
	for _, want := range []string{"@page { size: A4", "Identity attestation", "Humanitarian registration", "Scan before 2026-11-28 12:00:00 UTC", "Drive at Camp 4", "../../case/", "تذكرة"} {
		if !strings.Contains(string(sheet), want) {
			t.Errorf("sheet lacks %q", want)
		}
	}
	if n := strings.Count(string(sheet), `src="data:image/png;base64,`); n != wantGood {
		t.Errorf("%d embedded PNGs, want %d", n, wantGood)
	}

	// One progress line per 10%.
	if n := strings.Count(progress.String(), "\n"); n != 10 || !strings.Contains(progress.String(), fmt.Sprintf("%d/%d (100%%)", wantGood, wantGood)) {
		t.Errorf("progress output:\n%s", progress.String())
	}

	// A second batch into the same directory is refused and changes nothing.
	_, err = Run(context.Background(), rows[:3], newFakeCreator(), Options{OutDir: out, Catalogue: cat})
	if !errors.Is(err, ErrOutDirInUse) {
		t.Errorf("second run: %v, want ErrOutDirInUse", err)
	}
	if again, _ := os.ReadFile(filepath.Join(out, SummaryFile)); !bytes.Equal(again, js) {
		t.Error("second run changed summary.json")
	}
}

// checkWellFormed tokenizes the HTML and checks every element opened is
// closed in order (void elements excepted) and no raw "<" appears in text.
func checkWellFormed(t *testing.T, doc string) {
	t.Helper()
	void := map[string]bool{"meta": true, "img": true, "br": true, "link": true, "hr": true, "input": true}
	tagRE := regexp.MustCompile(`^<(/?)([a-zA-Z][a-zA-Z0-9]*)((?:\s+[a-zA-Z-]+(?:="[^"<>]*")?)*)\s*>`)
	var stack []string
	elements := 0
	for i := 0; i < len(doc); {
		j := strings.IndexByte(doc[i:], '<')
		if j < 0 {
			break
		}
		i += j
		if strings.HasPrefix(doc[i:], "<!DOCTYPE html>") {
			i += len("<!DOCTYPE html>")
			continue
		}
		m := tagRE.FindStringSubmatch(doc[i:])
		if m == nil {
			end := min(i+60, len(doc))
			t.Fatalf("malformed markup at byte %d: %q", i, doc[i:end])
		}
		name := strings.ToLower(m[2])
		switch {
		case m[1] == "/":
			if len(stack) == 0 || stack[len(stack)-1] != name {
				t.Fatalf("</%s> closes %v", name, stack)
			}
			stack = stack[:len(stack)-1]
		case !void[name]:
			stack = append(stack, name)
			elements++
		default:
			elements++
		}
		i += len(m[0])
	}
	if len(stack) != 0 {
		t.Fatalf("unclosed elements %v", stack)
	}
	if elements < 10 {
		t.Fatalf("only %d elements", elements)
	}
}

func TestRunEscapesReferences(t *testing.T) {
	cat := catalogue(t)
	in := "reference,given_name,family_name,birthdate\n" +
		`"<script>alert(1)</script>",A,B,1990-01-01` + "\n" +
		`"x"" onload=""y",A,B,1990-01-01` + "\n"
	rows, err := ReadCSV(strings.NewReader(in), cat, ReadOptions{DefaultVCT: vctIdentity})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "o")
	if _, err := Run(context.Background(), rows, newFakeCreator(), Options{OutDir: out, Catalogue: cat, Now: func() time.Time { return fixedNow }}); err != nil {
		t.Fatal(err)
	}
	sheet, _ := os.ReadFile(filepath.Join(out, SheetFile))
	if strings.Contains(string(sheet), "<script>") || strings.Contains(string(sheet), `" onload="`) {
		t.Fatal("reference not escaped")
	}
	checkWellFormed(t, string(sheet))
}

func TestRunCreatorRefusesAndTerminalProgress(t *testing.T) {
	cat := catalogue(t)
	in := "reference,given_name,family_name,birthdate\nA,x,y,1990-01-01\nB,x,y,1990-01-01\nC,x,y,1990-01-01\n"
	rows, err := ReadCSV(strings.NewReader(in), cat, ReadOptions{DefaultVCT: vctIdentity})
	if err != nil {
		t.Fatal(err)
	}
	creator := newFakeCreator()
	creator.refuse["B"] = errors.New("issuer: claims do not match: /birthdate")
	var bar bytes.Buffer
	out := filepath.Join(t.TempDir(), "o")
	sum, err := Run(context.Background(), rows, creator, Options{OutDir: out, Catalogue: cat, Progress: &bar, ProgressTerminal: true, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Offered != 2 || sum.Refused != 1 || sum.RefusedRows[0].Line != 3 || !strings.Contains(sum.RefusedRows[0].Reason, "offer refused: issuer: claims do not match") {
		t.Fatalf("summary %+v", sum)
	}
	want := "\r[" + strings.Repeat("#", 10) + strings.Repeat(".", 20) + "] 1/3" +
		"\r[" + strings.Repeat("#", 20) + strings.Repeat(".", 10) + "] 2/3" +
		"\r[" + strings.Repeat("#", 30) + "] 3/3\n"
	if bar.String() != want {
		t.Errorf("bar %q\nwant %q", bar.String(), want)
	}
}

func TestRunCancelled(t *testing.T) {
	cat := catalogue(t)
	in := "reference,given_name,family_name,birthdate\nA,x,y,1990-01-01\nB,x,y,1990-01-01\nC,x,y,1990-01-01\n"
	rows, err := ReadCSV(strings.NewReader(in), cat, ReadOptions{DefaultVCT: vctIdentity})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	creator := OfferCreatorFunc(func(ctx context.Context, r Request) (*Result, error) {
		calls++
		cancel() // the operator presses Ctrl-C during the first offer
		return &Result{ID: "1", URI: "openid-credential-offer://?credential_offer_uri=x", ExpiresAt: fixedNow}, nil
	})
	out := filepath.Join(t.TempDir(), "o")
	sum, err := Run(ctx, rows, creator, Options{OutDir: out, Catalogue: cat, Workers: 1})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if sum == nil || sum.Complete || sum.Offered != calls || calls > 2 {
		t.Fatalf("summary %+v after %d calls", sum, calls)
	}
	if _, err := os.Stat(filepath.Join(out, SummaryFile)); err != nil {
		t.Errorf("no summary after cancellation: %v", err)
	}
}
