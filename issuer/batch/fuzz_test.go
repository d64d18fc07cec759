package batch

import (
	"errors"
	"strings"
	"testing"
)

func FuzzReadCSV(f *testing.F) {
	cat := catalogue(f)
	f.Add("reference,vct,given_name,family_name,birthdate,nationalities,sex\nT-1," + vctIdentity + ",Amina,Yusuf,1990-04-02,ER;SO,2\n")
	f.Add("\ufeffreference,registration_id,registration_date,/registration_place/locality,household_size\r\nQ,R-1,2026-01-01,\"a, b\",3\r\n")
	f.Add("reference,nationalities.0,nationalities.1,given_name,family_name,birthdate\nA,,UA,x,y,1990-01-01\nA,ER,,x,y,1990-01-01\n")
	f.Add("reference,right_to_work\nx,\"yes\"\"\n")
	f.Add("reference,a.b.c.d,a~1\n,,\n")
	f.Fuzz(func(t *testing.T, in string) {
		rows, err := ReadCSV(strings.NewReader(in), cat, ReadOptions{DefaultVCT: vctIdentity})
		if err != nil {
			if !errors.Is(err, ErrUnusableCSV) {
				t.Fatalf("error %v does not wrap ErrUnusableCSV", err)
			}
			return
		}
		refs := map[string]bool{}
		for _, r := range rows {
			if r.Line < 2 {
				t.Fatalf("row at line %d", r.Line)
			}
			if r.Refusal != "" {
				continue
			}
			if r.Reference == "" || refs[r.Reference] {
				t.Fatalf("good row with empty or repeated reference %q", r.Reference)
			}
			refs[r.Reference] = true
			typ, err := cat.Lookup(r.VCT)
			if err != nil {
				t.Fatal(err)
			}
			if err := typ.Validate(r.Claims); err != nil {
				t.Fatalf("good row's claims do not validate: %v", err)
			}
		}
	})
}
