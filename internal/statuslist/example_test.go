package statuslist_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/statuslist"
)

func ExampleDecode() {
	// The 1-bit example of draft §4.1: 16 entries in bytes b9 a3.
	l, err := statuslist.Decode(1, "eNrbuRgAAhcBXQ", 0)
	if err != nil {
		panic(err)
	}
	for i := range l.Len() {
		s, _ := l.Get(i)
		fmt.Print(s)
	}
	fmt.Println()
	// Output: 1001110111000101
}

func ExampleList_Encode() {
	l, _ := statuslist.New(2, 12)
	l.Set(0, statuslist.StatusInvalid)
	l.Set(1, statuslist.StatusSuspended)
	lst, _ := l.Encode()
	back, _ := statuslist.Decode(2, lst, 0)
	s0, _ := back.Get(0)
	s1, _ := back.Get(1)
	fmt.Println(back.Len(), s0, s1)
	// Output: 12 1 2
}

func ExampleVerifyToken() {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	signer, _ := jose.NewSigner(key, nil)
	issued := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

	// Issuer: revoke entry 5 and publish the list.
	l, _ := statuslist.New(1, 1024)
	l.Set(5, statuslist.StatusInvalid)
	tok, _ := l.SignToken(signer, statuslist.TokenOptions{
		Subject:   "https://issuer.example/statuslists/1",
		IssuedAt:  issued,
		ExpiresIn: 24 * time.Hour,
		TTL:       time.Hour,
	})

	// Verifier: the credential's status claim says where to look.
	var claims map[string]any
	dec := json.NewDecoder(bytes.NewReader([]byte(`{"status":{"status_list":{"idx":5,"uri":"https://issuer.example/statuslists/1"}}}`)))
	dec.UseNumber()
	dec.Decode(&claims)
	ref, err := statuslist.ParseReference(claims["status"].(map[string]any))
	if err != nil {
		panic(err)
	}
	verified, err := statuslist.VerifyToken(tok, statuslist.VerifyOptions{
		Key:             &key.PublicKey,
		Algs:            []jose.Alg{jose.ES256},
		Now:             func() time.Time { return issued.Add(time.Minute) },
		ExpectedSubject: ref.URI,
	})
	if err != nil {
		panic(err)
	}
	status, _ := verified.List.Get(ref.Index)
	fmt.Println(status == statuslist.StatusInvalid, verified.TTL)
	// Output: true 1h0m0s
}

func ExampleAllocator() {
	a := statuslist.NewAllocator(1000, mrand.NewChaCha8([32]byte{1}))
	first, _ := a.Allocate()
	second, _ := a.Allocate()
	state, _ := a.MarshalBinary() // persist with the issuance record

	restored := statuslist.NewAllocator(1, nil)
	restored.UnmarshalBinary(state)
	fmt.Println(first != second, restored.Used(), restored.MarkUsed(first) != nil)
	// Output: true 2 true
}

func ExampleReference_Claim() {
	b, _ := json.Marshal(statuslist.Reference{Index: 42, URI: "https://issuer.example/statuslists/1"}.Claim())
	fmt.Println(string(b))
	// Output: {"status_list":{"idx":42,"uri":"https://issuer.example/statuslists/1"}}
}

func ExampleFetcher() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", statuslist.MediaType)
		fmt.Fprintln(w, "eyJhbGciOiJFUzI1NiJ9.e30.c2ln")
	}))
	defer srv.Close()
	// statuslist.NewFetcher(httpx.Options{}) is what verifiers use; it
	// refuses this loopback test server, so the test's client stands in.
	f := &statuslist.Fetcher{Client: srv.Client()}
	tok, err := f.Fetch(context.Background(), srv.URL+"/statuslists/1")
	fmt.Println(tok, err)
	// Output: eyJhbGciOiJFUzI1NiJ9.e30.c2ln <nil>
}
