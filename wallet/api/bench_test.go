package api_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/cairn-id/cairn/wallet"
	"github.com/cairn-id/cairn/wallet/storetest"
)

// BenchmarkListCredentialsAPI: GET /v1/credentials for a holder with
// 1,000 stored copies (200 credentials × 5 holder keys): decryption,
// grouping, names from the catalogue and the JSON answer, against the
// baseline of the core's ListCredentials alone in the same run.
func BenchmarkListCredentialsAPI(b *testing.B) {
	a := newAgent(b)
	created, err := a.svc.CreateHolder(t0ctx, wallet.CreateRequest{PIN: "2468", DeviceSecret: storetest.Device(1), Lang: "fr"})
	if err != nil {
		b.Fatal(err)
	}
	sess, err := a.svc.Login(t0ctx, wallet.LoginRequest{HolderID: created.HolderID, PIN: "2468", DeviceSecret: storetest.Device(1)})
	if err != nil {
		b.Fatal(err)
	}
	var cs []wallet.Credential
	for g := range 200 {
		for k := range 5 {
			c := storetest.SampleCredential(k, "", "m")
			c.Group = "group-" + string(rune('a'+g%26)) + string(rune('a'+g/26)) + "xxxxx"
			cs = append(cs, c)
		}
	}
	if _, err := a.svc.PutCredentials(t0ctx, sess, cs); err != nil {
		b.Fatal(err)
	}
	b.Run("api-GET-credentials-1000", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			req := httptest.NewRequest("GET", "/v1/credentials", nil)
			req.Header.Set("Authorization", "Bearer "+sess.Token)
			rec := httptest.NewRecorder()
			a.h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatal(rec.Code, rec.Body.String())
			}
		}
	})
	b.Run("baseline-core-ListCredentials-1000", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if l, err := a.svc.ListCredentials(t0ctx, sess); err != nil || len(l) != 1000 {
				b.Fatal(len(l), err)
			}
		}
	})
}
