package schemas

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func fieldAt(t testing.TB, ty *Type, ptr string) Field {
	t.Helper()
	var find func([]Field) *Field
	find = func(fs []Field) *Field {
		for i := range fs {
			if fs[i].Pointer == ptr {
				return &fs[i]
			}
			if f := find(fs[i].Fields); f != nil {
				return f
			}
		}
		return nil
	}
	f := find(ty.ClaimFields("en"))
	if f == nil {
		t.Fatalf("no field %s", ptr)
	}
	return *f
}

// The cases of the prompt's former parseAnswer (cmd/cairn), on the one
// typing of operator text, with numbered choices as the prompt lists them.
func TestParseText(t *testing.T) {
	ty, _ := mustLoad(t).Lookup("urn:cairn:vct:identity-attestation:1")
	field := func(ptr string) Field { return fieldAt(t, ty, ptr) }
	boolean := Field{Kind: KindBoolean}
	number := Field{Kind: KindNumber}
	prompt := InputOptions{NumberedChoices: true}
	for _, tc := range []struct {
		f       Field
		in      string
		o       InputOptions
		want    any
		wantErr error
		wantMsg string
	}{
		{field("/birthdate"), "2024-02-29", prompt, "2024-02-29", nil, ""},
		{field("/birthdate"), "2023-02-29", prompt, nil, ErrNotDate, "must be a date YYYY-MM-DD"},
		{field("/birthdate"), "2023-2-1", prompt, nil, ErrNotDate, ""},
		{field("/birthdate_precision"), "2", prompt, "month", nil, ""},
		{field("/birthdate_precision"), "2", InputOptions{}, nil, ErrNotAllowed, "is not one of the allowed values: day, month, year"},
		{field("/birthdate_precision"), "YEAR", prompt, "year", nil, ""},
		{field("/birthdate_precision"), "4", prompt, nil, ErrNotAllowed, ""},
		{field("/sex"), "9", prompt, int64(9), nil, ""},
		{field("/sex"), " 2 ", InputOptions{}, int64(2), nil, ""},
		{field("/sex"), "8", prompt, nil, ErrNotAllowed, "is not one of the allowed values: 0, 1, 2, 3, 4, 5, 6, 9"},
		{field("/sex"), "two", prompt, nil, ErrNotWholeNumber, "must be a whole number"},
		{field("/nationalities"), "sy;;QS", prompt, []any{"SY", "QS"}, nil, ""},
		{field("/nationalities"), "SY; 1", prompt, nil, ErrNotAllowed, ""}, // long lists take no numbers
		{field("/nationalities"), ";;", prompt, nil, ErrNoValue, "has no value"},
		{field("/nationalities"), "AD;AE;AF;AG;AI;AL;AM;AO;AQ;AR;AS", prompt, nil, ErrTooManyEntries, "must have at most 10 entries"},
		{field("/name_variants/*/script"), "cyrl", prompt, nil, ErrNotForm, "is not in the expected form"},
		{field("/place_of_birth/country"), "QU", prompt, nil, ErrNotAllowed, ""}, // not a real country
		{field("/place_of_birth"), "UA", prompt, nil, ErrNotText, ""},
		{field("/family_name"), "Cafe\u0301", prompt, "Café", nil, ""}, // NFC
		{field("/family_name"), "   ", prompt, nil, ErrNoValue, ""},
		{boolean, "Oui", prompt, true, nil, ""},
		{boolean, "ні", prompt, false, nil, ""},
		{boolean, "نعم", prompt, true, nil, ""},
		{boolean, "0", prompt, false, nil, ""},
		{boolean, "maybe", prompt, nil, ErrNotYesNo, "must be yes or no (oui/non, نعم/لا, так/ні)"},
		{number, "2,5", prompt, 2.5, nil, ""},
		{number, "NaN", prompt, nil, ErrNotNumber, "must be a number"},
	} {
		got, err := tc.f.ParseText(tc.in, tc.o)
		if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && !reflect.DeepEqual(got, tc.want)) {
			t.Errorf("%s %q: got %#v, %v; want %#v, %v", tc.f.Pointer, tc.in, got, err, tc.want, tc.wantErr)
			continue
		}
		if err == nil {
			continue
		}
		var ie *InputError
		if !errors.As(err, &ie) || !errors.Is(err, ErrInput) {
			t.Errorf("%s %q: %T is not an *InputError matching ErrInput", tc.f.Pointer, tc.in, err)
			continue
		}
		if tc.wantMsg != "" && ie.Message != tc.wantMsg {
			t.Errorf("%s %q: message %q, want %q", tc.f.Pointer, tc.in, ie.Message, tc.wantMsg)
		}
		if strings.Contains(err.Error(), tc.in) {
			t.Errorf("%s: the error repeats the text: %v", tc.f.Pointer, err)
		}
	}
}

func TestParseTextEntry(t *testing.T) {
	ty, _ := mustLoad(t).Lookup("urn:cairn:vct:identity-attestation:1")
	_, err := ty.ParseClaimInput("/nationalities", "UA; XX", InputOptions{})
	var ie *InputError
	if !errors.As(err, &ie) || ie.Entry != 2 || ie.Pointer != "/nationalities/1" || !errors.Is(err, ErrNotAllowed) {
		t.Fatalf("got %#v", err)
	}
	if got := err.Error(); !strings.HasPrefix(got, "/nationalities/1 is not one of the allowed values (") || !strings.Contains(got, "codes such as AD, AE, AF)") {
		t.Errorf("message %q", got)
	}
}

func TestParseClaimInput(t *testing.T) {
	c := mustLoad(t)
	id, _ := c.Lookup("urn:cairn:vct:identity-attestation:1")
	reg, _ := c.Lookup("urn:cairn:vct:humanitarian-registration:1")
	for _, tc := range []struct {
		ty      *Type
		ptr, in string
		want    any
		wantErr error
	}{
		{id, "/sex", "1", int64(1), nil},
		{id, "/sex", "one", nil, ErrNotWholeNumber},
		{id, "/place_of_birth/country", "ua", "UA", nil},
		{id, "/nationalities", "UA;PL", []any{"UA", "PL"}, nil},
		{id, "/nationalities/3", "PL", "PL", nil},
		{id, "/nationalities/x", "PL", nil, ErrNotClaim},
		{id, "/nationalities/0/x", "PL", nil, ErrNotClaim},
		{id, "/name_variants/1/script", "Latn", "Latn", nil},
		{id, "/name_variants/1", "Latn", nil, ErrNotText},
		{id, "/household_size", "3", nil, ErrNotClaim},
		{id, "/evidence", "3", nil, ErrNotClaim},
		{id, "", "3", nil, ErrNotClaim},
		{reg, "/household_size", "3", int64(3), nil},
		{reg, "/registration_date", "2025-03-02", "2025-03-02", nil},
		{reg, "/registration_date", "02/03/2025", nil, ErrNotDate},
	} {
		got, err := tc.ty.ParseClaimInput(tc.ptr, tc.in, InputOptions{})
		if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && !reflect.DeepEqual(got, tc.want)) {
			t.Errorf("%s %s %q: got %#v, %v; want %#v, %v", tc.ty.Name, tc.ptr, tc.in, got, err, tc.want, tc.wantErr)
		}
		var ie *InputError
		if err != nil && (!errors.As(err, &ie) || ie.Pointer != tc.ptr || !strings.HasPrefix(err.Error(), strings.TrimSpace(tc.ptr+" "+ie.Message))) {
			t.Errorf("%s %q: error %q does not name the claim", tc.ptr, tc.in, err)
		}
	}
}

func TestClaimsFromText(t *testing.T) {
	c := mustLoad(t)
	id, _ := c.Lookup("urn:cairn:vct:identity-attestation:1")
	base := []ClaimText{{[]any{"given_name"}, "Amina"}, {[]any{"family_name"}, "Yusuf"}, {[]any{"birthdate"}, "1990-04-02"}}
	with := func(extra ...ClaimText) []ClaimText { return append(append([]ClaimText(nil), base...), extra...) }
	for _, tc := range []struct {
		name  string
		texts []ClaimText
		want  map[string]any
		// problems: "pointer message" of the *ValidationError, in order.
		problems []string
	}{
		{"typed", with(ClaimText{[]any{"sex"}, "2"}, ClaimText{[]any{"nationalities"}, "er; so"}, ClaimText{[]any{"place_of_birth", "country"}, "ER"}, ClaimText{[]any{"family_name_at_birth"}, ""}),
			map[string]any{"given_name": "Amina", "family_name": "Yusuf", "birthdate": "1990-04-02", "sex": int64(2), "nationalities": []any{"ER", "SO"}, "place_of_birth": map[string]any{"country": "ER"}}, nil},
		{"sparse indexes", with(ClaimText{[]any{"name_variants", 4, "script"}, "Latn"}, ClaimText{[]any{"name_variants", 4, "source"}, "transliteration"}, ClaimText{[]any{"name_variants", 4, "given_name"}, "Amina"},
			ClaimText{[]any{"nationalities", 7}, "SO"}, ClaimText{[]any{"nationalities", 2}, "ER"}),
			map[string]any{"given_name": "Amina", "family_name": "Yusuf", "birthdate": "1990-04-02", "nationalities": []any{"ER", "SO"},
				"name_variants": []any{map[string]any{"script": "Latn", "source": "transliteration", "given_name": "Amina"}}}, nil},
		{"typing problems, in pointer order", with(ClaimText{[]any{"sex"}, "female"}, ClaimText{[]any{"nationalities", 3}, "Q"}, ClaimText{[]any{"household_size"}, "3"}),
			nil, []string{"/household_size is not a claim of this type", "/nationalities/3 is not one of the allowed values", "/sex must be a whole number"}},
		{"schema problems after typing", []ClaimText{{[]any{"given_name"}, "Amina"}}, nil, []string{"/birthdate is required", "/family_name is required"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := id.ClaimsFromText(tc.texts, InputOptions{})
			if tc.problems == nil {
				if err != nil || !reflect.DeepEqual(got, tc.want) {
					t.Fatalf("got %#v, %v\nwant %#v", got, err, tc.want)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) != len(tc.problems) {
				t.Fatalf("err = %v, want problems %v", err, tc.problems)
			}
			for i, p := range ve.Problems {
				if !strings.HasPrefix(p.Pointer+" "+p.Message, tc.problems[i]) {
					t.Errorf("problem %d: %s %s, want %s", i, p.Pointer, p.Message, tc.problems[i])
				}
			}
			for _, ct := range tc.texts {
				if len(ct.Text) > 1 && strings.Contains(err.Error(), ct.Text) && ct.Text != "3" {
					t.Errorf("error repeats the text %q: %v", ct.Text, err)
				}
			}
		})
	}
}

func TestParseYesNo(t *testing.T) {
	for in, want := range map[string]bool{"Yes": true, "y": true, "TRUE": true, "1": true, "oui": true, "так": true, "نعم": true,
		"no": false, "N": false, "false": false, "0": false, "Non": false, "ні": false, "لا": false} {
		if got, err := ParseYesNo(in); err != nil || got != want {
			t.Errorf("ParseYesNo(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "perhaps", "yes no", "2"} {
		if _, err := ParseYesNo(in); !errors.Is(err, ErrNotYesNo) {
			t.Errorf("ParseYesNo(%q): %v", in, err)
		}
	}
}

// FuzzParseText: any text, for any kind of field, reads or fails with an
// *InputError that does not repeat it (but for the allowed values it may
// list).
func FuzzParseText(f *testing.F) {
	c, err := Load()
	if err != nil {
		f.Fatal(err)
	}
	ty, _ := c.Lookup("urn:cairn:vct:identity-attestation:1")
	var fields []Field
	var walk func([]Field)
	walk = func(fs []Field) {
		for _, x := range fs {
			if len(x.Fields) == 0 {
				fields = append(fields, x)
			}
			walk(x.Fields)
		}
	}
	walk(ty.ClaimFields("en"))
	fields = append(fields, Field{Kind: KindBoolean}, Field{Kind: KindNumber})
	for _, s := range []string{"2024-02-29", "UA;PL", "3", "Cyrl", "oui", "1e400", "９", "\x00", ";;;"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		for _, fl := range fields {
			for _, o := range []InputOptions{{}, {NumberedChoices: true}} {
				v, err := fl.ParseText(line, o)
				if err == nil && v == nil {
					t.Fatalf("%s: nil value without error", fl.Pointer)
				}
				var ie *InputError
				if err != nil && !errors.As(err, &ie) {
					t.Fatalf("%s: %T", fl.Pointer, err)
				}
				if err != nil && len(line) > 3 && strings.Contains(ie.Message, line) && !strings.Contains(strings.Join(fl.Enum, ", "), line) {
					t.Fatalf("%s: error repeats the text", fl.Pointer)
				}
			}
		}
	})
}
