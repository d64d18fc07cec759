package batch

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/cairn-id/cairn/schemas"
)

const (
	vctIdentity     = "urn:cairn:vct:identity-attestation:1"
	vctRegistration = "urn:cairn:vct:humanitarian-registration:1"
	vctResidence    = "urn:cairn:vct:residence-status:1"
)

func catalogue(t testing.TB) *schemas.Catalogue {
	t.Helper()
	cat, err := schemas.Load()
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func TestReadCSVTyping(t *testing.T) {
	cat := catalogue(t)
	cases := []struct {
		name    string
		csv     string
		opts    ReadOptions
		want    map[string]any
		txCode  bool
		refusal string // substring; "" means the row is good
	}{
		{
			name: "strings, integer, array split on ;",
			csv:  "reference,vct,given_name,family_name,birthdate,nationalities,sex\nT-1," + vctIdentity + ",Amina,Yusuf,1990-04-02, ER ; SO ,2\n",
			want: map[string]any{"given_name": "Amina", "family_name": "Yusuf", "birthdate": "1990-04-02", "nationalities": []any{"ER", "SO"}, "sex": int64(2)},
		},
		{
			name: "indexed array columns compacted",
			csv:  "reference,given_name,family_name,birthdate,nationalities.0,nationalities.1,nationalities.2\nT-1,Олена,Коваленко,1985-01-31,,UA,PL\n",
			opts: ReadOptions{DefaultVCT: vctIdentity},
			want: map[string]any{"given_name": "Олена", "family_name": "Коваленко", "birthdate": "1985-01-31", "nationalities": []any{"UA", "PL"}},
		},
		{
			name: "JSON Pointer and dotted object columns, quoted comma, CRLF, BOM",
			csv:  "\ufeffreference,vct,registration_id,registration_date,/registration_place/locality,registration_place.country,household_size\r\nQ-7," + vctRegistration + ",REG-1,2026-11-01,\"Camp 4, Block B\",JO,5\r\n",
			want: map[string]any{"registration_id": "REG-1", "registration_date": "2026-11-01", "registration_place": map[string]any{"locality": "Camp 4, Block B", "country": "JO"}, "household_size": int64(5)},
		},
		{
			name: "boolean",
			csv:  "reference,residence_status,status_since,issuing_country,right_to_work\nR-1,refugee,2025-03-01,DE,Yes\n",
			opts: ReadOptions{DefaultVCT: vctResidence},
			want: map[string]any{"residence_status": "refugee", "status_since": "2025-03-01", "issuing_country": "DE", "right_to_work": true},
		},
		{
			name:   "tx_code column overrides default",
			csv:    "reference,tx_code,residence_status,status_since,issuing_country\nR-1,no,refugee,2025-03-01,DE\n",
			opts:   ReadOptions{DefaultVCT: vctResidence, TxCode: true},
			want:   map[string]any{"residence_status": "refugee", "status_since": "2025-03-01", "issuing_country": "DE"},
			txCode: false,
		},
		{
			name:   "tx_code default",
			csv:    "reference,tx_code,residence_status,status_since,issuing_country\nR-1,,refugee,2025-03-01,DE\n",
			opts:   ReadOptions{DefaultVCT: vctResidence, TxCode: true},
			want:   map[string]any{"residence_status": "refugee", "status_since": "2025-03-01", "issuing_country": "DE"},
			txCode: true,
		},
		{name: "bad boolean", csv: "reference,residence_status,status_since,issuing_country,right_to_work\nR-1,refugee,2025-03-01,DE,perhaps\n", opts: ReadOptions{DefaultVCT: vctResidence}, refusal: "/right_to_work must be yes or no"},
		{name: "bad integer", csv: "reference,sex,given_name,family_name,birthdate\nT-1,two,A,B,1990-01-01\n", opts: ReadOptions{DefaultVCT: vctIdentity}, refusal: "/sex must be a whole number"},
		{name: "integer out of enum", csv: "reference,sex,given_name,family_name,birthdate\nT-1,7,A,B,1990-01-01\n", opts: ReadOptions{DefaultVCT: vctIdentity}, refusal: "/sex is not one of the allowed values"},
		{name: "missing required", csv: "reference,given_name,family_name\nT-1,A,B\n", opts: ReadOptions{DefaultVCT: vctIdentity}, refusal: "/birthdate is required"},
		{name: "bad date", csv: "reference,given_name,family_name,birthdate\nT-1,A,B,02/04/1990\n", opts: ReadOptions{DefaultVCT: vctIdentity}, refusal: "/birthdate"},
		{name: "claim of another type", csv: "reference,given_name,family_name,birthdate,household_size\nT-1,A,B,1990-01-01,3\n", opts: ReadOptions{DefaultVCT: vctIdentity}, refusal: "/household_size is not a claim of this type"},
		{name: "unknown vct", csv: "reference,vct,given_name\nT-1,urn:cairn:vct:nope:1,A\n", refusal: "unknown credential type"},
		{name: "bad tx_code", csv: "reference,tx_code,given_name,family_name,birthdate\nT-1,maybe,A,B,1990-01-01\n", opts: ReadOptions{DefaultVCT: vctIdentity}, refusal: "tx_code must be yes or no"},
		{name: "empty reference", csv: "reference,given_name,family_name,birthdate\n ,A,B,1990-01-01\n", opts: ReadOptions{DefaultVCT: vctIdentity}, refusal: "reference is empty"},
		{name: "control character in reference", csv: "reference,given_name,family_name,birthdate\n\"a\x1bb\",A,B,1990-01-01\n", opts: ReadOptions{DefaultVCT: vctIdentity}, refusal: "control characters"},
		{name: "long reference", csv: "reference,given_name,family_name,birthdate\n" + strings.Repeat("R", MaxReferenceLen+1) + ",A,B,1990-01-01\n", opts: ReadOptions{DefaultVCT: vctIdentity}, refusal: "reference is longer"},
		{name: "field count", csv: "reference,given_name,family_name,birthdate\nT-1,A,B\n", opts: ReadOptions{DefaultVCT: vctIdentity}, refusal: "has 3 fields, the header has 4"},
		{name: "overlong field", csv: "reference,given_name,family_name,birthdate\nT-1," + strings.Repeat("x", MaxFieldSize+1) + ",B,1990-01-01\n", opts: ReadOptions{DefaultVCT: vctIdentity}, refusal: `column "given_name" is longer than 4096 bytes`},
		{name: "bad UTF-8", csv: "reference,given_name,family_name,birthdate\nT-1,Ren\xe9,B,1990-01-01\n", opts: ReadOptions{DefaultVCT: vctIdentity}, refusal: `column "given_name" is not valid UTF-8`},
		{name: "bare quote", csv: "reference,given_name,family_name,birthdate\nT-1,A\"x,B,1990-01-01\n", opts: ReadOptions{DefaultVCT: vctIdentity}, refusal: "malformed CSV"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := ReadCSV(strings.NewReader(tc.csv), cat, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 1 {
				t.Fatalf("%d rows, want 1: %+v", len(rows), rows)
			}
			r := rows[0]
			if r.Line != 2 {
				t.Errorf("line %d, want 2", r.Line)
			}
			if tc.refusal != "" {
				if !strings.Contains(r.Refusal, tc.refusal) {
					t.Fatalf("refusal %q, want it to contain %q", r.Refusal, tc.refusal)
				}
				for _, value := range []string{"two", "perhaps", "02/04/1990", "Ren", "maybe", "nope"} {
					if strings.Contains(tc.csv, value) && strings.Contains(r.Refusal, value) {
						t.Errorf("refusal %q reveals the value %q", r.Refusal, value)
					}
				}
				return
			}
			if r.Refusal != "" {
				t.Fatalf("refused: %s", r.Refusal)
			}
			if !reflect.DeepEqual(r.Claims, tc.want) {
				t.Errorf("claims %#v\nwant %#v", r.Claims, tc.want)
			}
			if r.TxCode != tc.txCode {
				t.Errorf("tx code %v, want %v", r.TxCode, tc.txCode)
			}
		})
	}
}

func TestReadCSVLinesAndDuplicates(t *testing.T) {
	cat := catalogue(t)
	in := "reference,given_name,family_name,birthdate\n" +
		"A,x,y,1990-01-01\n" + // line 2
		"\n" + // line 3: blank, skipped by encoding/csv
		",,,\n" + // line 4: all empty, skipped
		"B,\"two\nlines\",y,1990-01-01\n" + // lines 5-6
		"A,x,y,1990-01-01\n" + // line 7: duplicate reference
		"C,x,y,1990-01-01\n" // line 8
	rows, err := ReadCSV(strings.NewReader(in), cat, ReadOptions{DefaultVCT: vctIdentity})
	if err != nil {
		t.Fatal(err)
	}
	var lines []int
	for _, r := range rows {
		lines = append(lines, r.Line)
	}
	if !reflect.DeepEqual(lines, []int{2, 5, 7, 8}) {
		t.Fatalf("lines %v, want [2 5 7 8]", lines)
	}
	if rows[2].Refusal != "reference repeats the one on line 2" {
		t.Errorf("duplicate: %q", rows[2].Refusal)
	}
	for _, i := range []int{0, 1, 3} {
		if rows[i].Refusal != "" {
			t.Errorf("line %d refused: %s", rows[i].Line, rows[i].Refusal)
		}
	}
}

func TestReadCSVUnusable(t *testing.T) {
	cat := catalogue(t)
	many := "reference,given_name\n" + strings.Repeat("a,b\n", MaxRows+1)
	cases := []struct {
		name string
		csv  string
		opts ReadOptions
		want string
	}{
		{"empty", "", ReadOptions{}, "empty file"},
		{"BOM only", "\ufeff", ReadOptions{}, "empty file"},
		{"no reference column", "ref,vct\n", ReadOptions{}, `no "reference" column`},
		{"no vct and no default", "reference,given_name\n", ReadOptions{}, `no "vct" column`},
		{"unknown default", "reference,given_name\n", ReadOptions{DefaultVCT: "urn:x"}, "default type"},
		{"duplicate column", "reference,vct,given_name,given_name\n", ReadOptions{}, "appears twice"},
		{"overlapping columns", "reference,vct,address,address.locality\n", ReadOptions{}, "overlap"},
		{"overlapping columns reversed", "reference,vct,address.locality,address\n", ReadOptions{}, "overlap"},
		{"pointer and dotted alias", "reference,vct,/address/locality,address.locality\n", ReadOptions{}, "overlap"},
		{"index and name mixed", "reference,vct,nationalities.0,nationalities.x\n", ReadOptions{}, "mixes"},
		{"evidence column", "reference,vct,evidence.strength\n", ReadOptions{}, "set by the issuer"},
		{"iss column", "reference,vct,/iss\n", ReadOptions{}, "set by the issuer"},
		{"empty segment", "reference,vct,address..locality\n", ReadOptions{}, "empty path segment"},
		{"bad pointer escape", "reference,vct,/a~2b\n", ReadOptions{}, "escape"},
		{"index too large", "reference,vct,nationalities.100\n", ReadOptions{}, "array index"},
		{"leading zero index", "reference,vct,nationalities.01\n", ReadOptions{}, "array index"},
		{"index first", "reference,vct,0\n", ReadOptions{}, "cannot be an array index"},
		{"unnamed column", "reference,vct,,x\n", ReadOptions{}, "no name"},
		{"bad UTF-8 header", "reference,vct,giv\xffen\n", ReadOptions{}, "invalid name"},
		{"too many rows", many, ReadOptions{DefaultVCT: vctIdentity}, "more than 10000 rows"},
		{"too many columns", "reference" + strings.Repeat(",c", MaxColumns) + "\n", ReadOptions{}, "columns"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := ReadCSV(strings.NewReader(tc.csv), cat, tc.opts)
			if !errors.Is(err, ErrUnusableCSV) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ReadCSV = %d rows, %v; want ErrUnusableCSV containing %q", len(rows), err, tc.want)
			}
		})
	}
	t.Run("file too large", func(t *testing.T) {
		big := strings.NewReader("reference,vct\n" + strings.Repeat("x", MaxFileSize))
		if _, err := ReadCSV(big, cat, ReadOptions{}); !errors.Is(err, ErrUnusableCSV) || !strings.Contains(err.Error(), "larger than") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestPNGName(t *testing.T) {
	cases := []struct {
		ref  string
		line int
		want string
	}{
		{"T-042", 7, "T-042-7.png"},
		{"../../etc/passwd", 3, "etc_passwd-3.png"},
		{"..", 4, "row-4.png"},
		{`a/b\c:d`, 5, "a_b_c_d-5.png"},
		{"Олена", 6, "row-6.png"},
		{"case 12 / أمينة", 8, "case_12-8.png"},
		{"/abs/path", 9, "abs_path-9.png"},
		{strings.Repeat("A", 100), 10, strings.Repeat("A", maxStemLen) + "-10.png"},
		{"-x-", 11, "x-11.png"},
	}
	for _, tc := range cases {
		if got := pngName(tc.ref, tc.line); got != tc.want {
			t.Errorf("pngName(%q, %d) = %q, want %q", tc.ref, tc.line, got, tc.want)
		}
	}
}
