package jsonx

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want any
	}{
		{`{"a":[1,-2.5e3,"x\u00e9",true,false,null]}`, map[string]any{"a": []any{json.Number("1"), json.Number("-2.5e3"), "xé", true, false, nil}}},
		{` "\ud83d\ude00" `, "😀"},
		{`[]`, []any{}},
		{`{}`, map[string]any{}},
		{`123456789012345678901234567890`, json.Number("123456789012345678901234567890")},
	} {
		got, err := Decode([]byte(tc.in))
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Decode(%s) = %#v, %v; want %#v", tc.in, got, err, tc.want)
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	for _, in := range []string{
		`{"a":1,"a":2}`,          // duplicate member
		`{"a":1} x`,              // trailing data
		`{"a":}`,                 // missing value
		`[1,]`,                   // trailing comma
		`"\x"`,                   // bad escape
		"\"\xff\"",               // invalid UTF-8
		`01`,                     // leading zero
		`{'a':1}`,                // single quotes
		``,                       // empty
		strings.Repeat("[", 300), // nesting beyond the bound
	} {
		if v, err := Decode([]byte(in)); err == nil {
			t.Errorf("Decode(%q) accepted: %#v", in, v)
		}
	}
}

// FuzzDecode checks the strict decoder against encoding/json: what it
// accepts, encoding/json accepts with the same value.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"a":[1,-2.5e3,"x\u00e9\ud83d\ude00",true,false,null]}`, `"\ud800x"`, `[]`, `{"a":1,"a":2}`, `0.1e+5`, `"\u0041\n"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := Decode(b)
		if err != nil {
			return
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var want any
		if err := dec.Decode(&want); err != nil {
			t.Fatalf("Decode accepted %q, encoding/json: %v", b, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Decode(%q) = %#v, encoding/json %#v", b, got, want)
		}
	})
}

// checkDecodeArray compares DecodeArray with Decode on b: the same error
// text, and the same elements.
func checkDecodeArray(t *testing.T, b []byte) {
	t.Helper()
	want, wantErr := Decode(b)
	var dst [3]Elem
	n, err := DecodeArray(b, dst[:])
	if (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) {
		t.Fatalf("DecodeArray(%q) error %v, Decode %v", b, err, wantErr)
	}
	if err != nil {
		return
	}
	arr, isArr := want.([]any)
	if !isArr {
		if n != -1 {
			t.Fatalf("DecodeArray(%q) n = %d for a non-array", b, n)
		}
		return
	}
	if n != len(arr) {
		t.Fatalf("DecodeArray(%q) n = %d, want %d", b, n, len(arr))
	}
	for i := range min(n, len(dst)) {
		if _, isStr := arr[i].(string); isStr != dst[i].IsStr || !reflect.DeepEqual(dst[i].Value(), arr[i]) {
			t.Fatalf("DecodeArray(%q)[%d] = %#v, want %#v", b, i, dst[i], arr[i])
		}
	}
}

func TestDecodeArray(t *testing.T) {
	for _, in := range []string{
		`["salt","name",{"a":[1,"x"]}]`, ` [ "s" , 1 ] `, `[]`, `["a","b","c","d"]`, `[1,2,3,4,5]`,
		`{"a":1}`, `"x"`, `12`, `null`, ``, ` `, `[`, `["a",]`, `["a" "b"]`, `["a"] x`, `["\x"]`,
		"[\"\xff\"]", `[{"a":1,"a":2}]`, `[[[]]]`, strings.Repeat("[", 300), `["\ud83d\ude00",true]`,
	} {
		checkDecodeArray(t, []byte(in))
	}
}

func FuzzDecodeArray(f *testing.F) {
	for _, s := range []string{`["salt","name",{"a":[1,"x"]}]`, `["s",1]`, `[]`, `{"a":1}`, `["a",]`, `[1,2,3,4]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(checkDecodeArray)
}

var fieldNames = []string{"sd_hash", "nonce", "aud", "iat"}

// checkDecodeFields compares DecodeFields with Decode on b: the same error
// text, and the same member values.
func checkDecodeFields(t *testing.T, b []byte) {
	t.Helper()
	want, wantErr := Decode(b)
	var dst [4]Field
	isObj, err := DecodeFields(b, fieldNames, dst[:])
	if (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) {
		t.Fatalf("DecodeFields(%q) error %v, Decode %v", b, err, wantErr)
	}
	if err != nil {
		return
	}
	m, wantObj := want.(map[string]any)
	if isObj != wantObj {
		t.Fatalf("DecodeFields(%q) isObject = %v", b, isObj)
	}
	for i, name := range fieldNames {
		v, present := m[name]
		_, isStr := v.(string)
		if dst[i].Present != present || dst[i].IsStr != isStr || !reflect.DeepEqual(dst[i].Value(), v) {
			t.Fatalf("DecodeFields(%q)[%s] = %#v, want %#v", b, name, dst[i], v)
		}
	}
}

func TestDecodeFields(t *testing.T) {
	many := make([]string, 40)
	for i := range many {
		many[i] = `"m` + strings.Repeat("x", i) + `":1`
	}
	for _, in := range []string{
		`{"sd_hash":"h","nonce":"n","aud":"a","iat":1750000000}`, `{"aud":["a","b"],"nonce":1,"x":{"iat":2}}`,
		`{}`, `[]`, `"x"`, `null`, ``, `{`, `{"a":1,"a":2}`, `{"nonce":"a","nonce":"b"}`, `{"a":1} x`, `{"a":}`,
		`{"a":1,}`, `{"a" 1}`, `{1:2}`, "{\"a\":\"\xff\"}", `{"a":{"b":1,"b":2}}`,
		`{` + strings.Join(many, ",") + `}`, `{` + strings.Join(many, ",") + `,"mxxx":2}`,
		`{` + strings.Join(many[:15], ",") + `,"m":2}`, `{` + strings.Join(many[:16], ",") + `,"m":2}`,
	} {
		checkDecodeFields(t, []byte(in))
	}
}

func FuzzDecodeFields(f *testing.F) {
	for _, s := range []string{`{"sd_hash":"h","nonce":"n","aud":"a","iat":1750000000}`, `{"a":1,"a":2}`, `[1]`, `{"nonce":{"x":[1,"y"]}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(checkDecodeFields)
}

func TestHasSpecialByte(t *testing.T) {
	special := func(c byte) bool { return c == '"' || c == '\\' || c < 0x20 || c >= 0x80 }
	var w [8]byte
	for i := range w {
		w[i] = 'a'
	}
	for pos := range 8 {
		for c := range 256 {
			v := w
			v[pos] = byte(c)
			if got := hasSpecialByte(binary.LittleEndian.Uint64(v[:])); got != special(byte(c)) {
				t.Fatalf("byte %#x at %d: hasSpecialByte = %v", c, pos, got)
			}
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	edges := []byte{0, 1, 0x1f, 0x20, 0x21, '"', '"' - 1, '"' + 1, '\\', '\\' - 1, '\\' + 1, 0x7f, 0x80, 0x81, 0xfe, 0xff, 'a'}
	for range 1 << 20 {
		var v [8]byte
		any := false
		for i := range v {
			if rng.IntN(2) == 0 {
				v[i] = edges[rng.IntN(len(edges))]
			} else {
				v[i] = byte(rng.IntN(256))
			}
			any = any || special(v[i])
		}
		if got := hasSpecialByte(binary.LittleEndian.Uint64(v[:])); got != any {
			t.Fatalf("% x: hasSpecialByte = %v, want %v", v, got, any)
		}
	}
	for _, s := range []string{"abcdefgh", "\x1f\x7f\x20~~~~~", "ab\x80cdefg", "\xff\xff\xff\xff\xff\xff\xff\xff", "       \""} {
		want := strings.IndexFunc(s, func(r rune) bool { return r > 0x7f || special(byte(r)) }) >= 0
		if got := hasSpecialByte(binary.LittleEndian.Uint64([]byte(s))); got != want {
			t.Fatalf("%q: hasSpecialByte = %v, want %v", s, got, want)
		}
	}
}
