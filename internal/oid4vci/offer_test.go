package oid4vci

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

const goodOffer = `{"credential_issuer":"https://issuer.example/issuers/clinic",
 "credential_configuration_ids":["registration.v1","language.v1"],
 "grants":{"urn:ietf:params:oauth:grant-type:pre-authorized_code":{"pre-authorized_code":"oaKazRN8I0IbtZ0C7JuMn5",
   "tx_code":{"input_mode":"numeric","length":6,"description":"Type the code the desk gave you"}}},
 "unknown_member":{"ignored":true}}`

func TestParseOffer(t *testing.T) {
	o, err := ParseOffer([]byte(goodOffer), Options{})
	if err != nil {
		t.Fatal(err)
	}
	g := o.PreAuthorized()
	if o.CredentialIssuer != "https://issuer.example/issuers/clinic" || len(o.CredentialConfigurationIDs) != 2 || g == nil ||
		g.PreAuthorizedCode != "oaKazRN8I0IbtZ0C7JuMn5" || g.TxCode == nil || g.TxCode.Length != 6 || g.TxCode.InputMode != TxInputNumeric {
		t.Fatalf("parsed %+v grant %+v", o, g)
	}

	pre := func(grant string) string {
		return `{"credential_issuer":"https://i.example","credential_configuration_ids":["a"],"grants":{"` + GrantPreAuthorizedCode + `":` + grant + `}}`
	}
	cases := []struct {
		name, json string
		opts       Options
		wantErr    error // nil: must parse
		check      func(*CredentialOffer) bool
	}{
		{"minimal, no grants", `{"credential_issuer":"https://i.example","credential_configuration_ids":["a"]}`, Options{}, nil, func(o *CredentialOffer) bool { return o.PreAuthorized() == nil }},
		{"empty tx_code object means a code is required", pre(`{"pre-authorized_code":"c","tx_code":{}}`), Options{}, nil,
			func(o *CredentialOffer) bool { return o.PreAuthorized().TxCode != nil }},
		{"no tx_code", pre(`{"pre-authorized_code":"c"}`), Options{}, nil, func(o *CredentialOffer) bool { return o.PreAuthorized().TxCode == nil }},
		{"text input mode", pre(`{"pre-authorized_code":"c","tx_code":{"input_mode":"text"}}`), Options{}, nil, nil},
		{"authorization_code grant only", `{"credential_issuer":"https://i.example","credential_configuration_ids":["a"],"grants":{"authorization_code":{"issuer_state":"s"}}}`, Options{}, nil,
			func(o *CredentialOffer) bool {
				return o.PreAuthorized() == nil && o.Grants.AuthorizationCode.IssuerState == "s"
			}},
		{"http issuer in dev", `{"credential_issuer":"http://127.0.0.1:8080","credential_configuration_ids":["a"]}`, Options{AllowHTTP: true}, nil, nil},

		{"http issuer", `{"credential_issuer":"http://i.example","credential_configuration_ids":["a"]}`, Options{}, ErrInvalidOffer, nil},
		{"issuer with query", `{"credential_issuer":"https://i.example?x=1","credential_configuration_ids":["a"]}`, Options{}, ErrInvalidOffer, nil},
		{"issuer with fragment", `{"credential_issuer":"https://i.example#f","credential_configuration_ids":["a"]}`, Options{}, ErrInvalidOffer, nil},
		{"issuer with user info", `{"credential_issuer":"https://u:p@i.example","credential_configuration_ids":["a"]}`, Options{}, ErrInvalidOffer, nil},
		{"issuer not a URL", `{"credential_issuer":"issuer.example","credential_configuration_ids":["a"]}`, Options{}, ErrInvalidOffer, nil},
		{"issuer missing", `{"credential_configuration_ids":["a"]}`, Options{}, ErrInvalidOffer, nil},
		{"issuer not a string", `{"credential_issuer":7,"credential_configuration_ids":["a"]}`, Options{}, ErrMalformed, nil},
		{"ids missing", `{"credential_issuer":"https://i.example"}`, Options{}, ErrInvalidOffer, nil},
		{"ids empty", `{"credential_issuer":"https://i.example","credential_configuration_ids":[]}`, Options{}, ErrInvalidOffer, nil},
		{"ids repeated", `{"credential_issuer":"https://i.example","credential_configuration_ids":["a","a"]}`, Options{}, ErrInvalidOffer, nil},
		{"empty id", `{"credential_issuer":"https://i.example","credential_configuration_ids":[""]}`, Options{}, ErrInvalidOffer, nil},
		{"ids not strings", `{"credential_issuer":"https://i.example","credential_configuration_ids":[1]}`, Options{}, ErrMalformed, nil},
		{"ids a string", `{"credential_issuer":"https://i.example","credential_configuration_ids":"a"}`, Options{}, ErrMalformed, nil},
		{"too many ids", `{"credential_issuer":"https://i.example","credential_configuration_ids":[` + strings.Repeat(`"x",`, MaxConfigurationIDs) + `"y"]}`, Options{}, ErrInvalidOffer, nil},
		{"no pre-authorized_code", pre(`{}`), Options{}, ErrInvalidOffer, nil},
		{"empty pre-authorized_code", pre(`{"pre-authorized_code":""}`), Options{}, ErrInvalidOffer, nil},
		{"code too long", pre(`{"pre-authorized_code":"` + strings.Repeat("c", MaxCodeLen+1) + `"}`), Options{}, ErrInvalidOffer, nil},
		{"code with control character", pre(`{"pre-authorized_code":"a\u0000b"}`), Options{}, ErrInvalidOffer, nil},
		{"unknown input mode", pre(`{"pre-authorized_code":"c","tx_code":{"input_mode":"emoji"}}`), Options{}, ErrInvalidOffer, nil},
		{"negative length", pre(`{"pre-authorized_code":"c","tx_code":{"length":-1}}`), Options{}, ErrInvalidOffer, nil},
		{"huge length", pre(`{"pre-authorized_code":"c","tx_code":{"length":100000}}`), Options{}, ErrInvalidOffer, nil},
		{"fractional length", pre(`{"pre-authorized_code":"c","tx_code":{"length":4.5}}`), Options{}, ErrMalformed, nil},
		{"description of 301 characters", pre(`{"pre-authorized_code":"c","tx_code":{"description":"` + strings.Repeat("é", 301) + `"}}`), Options{}, ErrInvalidOffer, nil},
		{"tx_code a string", pre(`{"pre-authorized_code":"c","tx_code":"123456"}`), Options{}, ErrMalformed, nil},
		{"authorization_server not https", pre(`{"pre-authorized_code":"c","authorization_server":"http://as.example"}`), Options{}, ErrInvalidOffer, nil},
		{"duplicate member", `{"credential_issuer":"https://i.example","credential_issuer":"https://evil.example","credential_configuration_ids":["a"]}`, Options{}, ErrMalformed, nil},
		{"member differing in case", `{"credential_issuer":"https://i.example","Credential_Issuer":"https://evil.example","credential_configuration_ids":["a"]}`, Options{}, ErrMalformed, nil},
		{"nested duplicate", `{"credential_issuer":"https://i.example","credential_configuration_ids":["a"],"grants":{"` + GrantPreAuthorizedCode + `":{"pre-authorized_code":"c","pre-authorized_code":"d"}}}`, Options{}, ErrMalformed, nil},
		{"long-s case-fold variant", `{"credential_issuer":"https://i.example","credential_iſsuer":"https://evil.example","credential_configuration_ids":["a"]}`, Options{}, ErrMalformed, nil},
		{"array", `[]`, Options{}, ErrMalformed, nil},
		{"trailing data", `{"credential_issuer":"https://i.example","credential_configuration_ids":["a"]} {}`, Options{}, ErrMalformed, nil},
		{"invalid UTF-8", "{\"credential_issuer\":\"https://i.example\",\"credential_configuration_ids\":[\"\xff\"]}", Options{}, ErrMalformed, nil},
		{"oversized", `{"credential_issuer":"https://i.example","credential_configuration_ids":["a"],"pad":"` + strings.Repeat("x", MaxOfferLen) + `"}`, Options{}, ErrTooLarge, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o, err := ParseOffer([]byte(c.json), c.opts)
			if c.wantErr == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if c.check != nil && !c.check(o) {
					t.Fatalf("parsed wrongly: %+v", o)
				}
				return
			}
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("got %v, want %v", err, c.wantErr)
			}
		})
	}
}

func TestParseOfferURI(t *testing.T) {
	byValue := OfferScheme + "://?credential_offer=" + url.QueryEscape(goodOffer)
	cases := []struct {
		name, uri string
		opts      Options
		wantErr   error
		wantRef   string
	}{
		{"by value", byValue, Options{}, nil, ""},
		{"by value with slash path", OfferScheme + ":///?credential_offer=" + url.QueryEscape(goodOffer), Options{}, nil, ""},
		{"by reference", OfferScheme + "://?credential_offer_uri=" + url.QueryEscape("https://issuer.example/offers/GkurKxf5?x=1"), Options{}, nil, "https://issuer.example/offers/GkurKxf5?x=1"},
		{"by reference, spec example escaping", OfferScheme + "://?credential_offer_uri=https%3A%2F%2Fserver%2Eexample%2Ecom%2Fcredential-offer%2FGkurKxf5T0Y-mnPFCHqWOMiZi4VS138cQO_V7PZHAdM", Options{}, nil,
			"https://server.example.com/credential-offer/GkurKxf5T0Y-mnPFCHqWOMiZi4VS138cQO_V7PZHAdM"},
		{"unknown parameter ignored", byValue + "&utm=x", Options{}, nil, ""},
		{"http reference in dev", OfferScheme + "://?credential_offer_uri=" + url.QueryEscape("http://127.0.0.1:9/offers/1"), Options{AllowHTTP: true}, nil, "http://127.0.0.1:9/offers/1"},

		{"both parameters", byValue + "&credential_offer_uri=" + url.QueryEscape("https://i.example/o"), Options{}, ErrInvalidOffer, ""},
		{"neither parameter", OfferScheme + "://?foo=bar", Options{}, ErrInvalidOffer, ""},
		{"no query", OfferScheme + "://", Options{}, ErrInvalidOffer, ""},
		{"repeated reference", OfferScheme + "://?credential_offer_uri=https%3A%2F%2Fa.example&credential_offer_uri=https%3A%2F%2Fb.example", Options{}, ErrInvalidOffer, ""},
		{"repeated value", byValue + "&credential_offer=" + url.QueryEscape(goodOffer), Options{}, ErrInvalidOffer, ""},
		{"http reference", OfferScheme + "://?credential_offer_uri=" + url.QueryEscape("http://i.example/o"), Options{}, ErrInvalidOffer, ""},
		{"file reference", OfferScheme + "://?credential_offer_uri=" + url.QueryEscape("file:///etc/passwd"), Options{}, ErrInvalidOffer, ""},
		{"reference with user info", OfferScheme + "://?credential_offer_uri=" + url.QueryEscape("https://u@i.example/o"), Options{}, ErrInvalidOffer, ""},
		{"reference with fragment", OfferScheme + "://?credential_offer_uri=" + url.QueryEscape("https://i.example/o#x"), Options{}, ErrInvalidOffer, ""},
		{"empty reference", OfferScheme + "://?credential_offer_uri=", Options{}, ErrInvalidOffer, ""},
		{"wrong scheme", "https://wallet.example/?credential_offer=" + url.QueryEscape(goodOffer), Options{}, ErrInvalidOffer, ""},
		{"scheme with host", OfferScheme + "://evil.example/?credential_offer=" + url.QueryEscape(goodOffer), Options{}, ErrInvalidOffer, ""},
		{"fragment", byValue + "#frag", Options{}, ErrInvalidOffer, ""},
		{"bad escape", OfferScheme + "://?credential_offer=%zz", Options{}, ErrInvalidOffer, ""},
		{"space", OfferScheme + "://?credential_offer= {}", Options{}, ErrInvalidOffer, ""},
		{"invalid offer by value", OfferScheme + "://?credential_offer=" + url.QueryEscape(`{"credential_issuer":"http://i.example","credential_configuration_ids":["a"]}`), Options{}, ErrInvalidOffer, ""},
		{"offer by value not JSON", OfferScheme + "://?credential_offer=nope", Options{}, ErrMalformed, ""},
		{"oversized", OfferScheme + "://?credential_offer=" + strings.Repeat("a", MaxOfferURILen), Options{}, ErrTooLarge, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ou, err := ParseOfferURI(c.uri, c.opts)
			if c.wantErr != nil {
				if !errors.Is(err, c.wantErr) {
					t.Fatalf("got %v, want %v", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if c.wantRef != "" {
				if ou.Offer != nil || ou.URI != c.wantRef {
					t.Fatalf("got %+v, want reference %s", ou, c.wantRef)
				}
			} else if ou.Offer == nil || ou.URI != "" || ou.Offer.CredentialIssuer != "https://issuer.example/issuers/clinic" {
				t.Fatalf("got %+v, want the offer by value", ou)
			}
		})
	}
}

func TestBuildOfferURIRoundTrip(t *testing.T) {
	o, err := ParseOffer([]byte(goodOffer), Options{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := BuildOfferURI(o, Options{})
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseOfferURI(s, Options{})
	if err != nil || back.Offer == nil || back.Offer.PreAuthorized().PreAuthorizedCode != o.PreAuthorized().PreAuthorizedCode ||
		back.Offer.PreAuthorized().TxCode.Description != o.PreAuthorized().TxCode.Description {
		t.Fatalf("round trip: %v %+v", err, back)
	}
	ref, err := BuildOfferURIByReference("https://issuer.example/offers/a b", Options{})
	if err == nil {
		t.Fatalf("built a reference with a space: %s", ref)
	}
	ref, err = BuildOfferURIByReference("https://issuer.example/offers/abc", Options{})
	if err != nil || ref != "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fissuer.example%2Foffers%2Fabc" {
		t.Fatalf("by reference: %q %v", ref, err)
	}
	if _, err := BuildOfferURI(&CredentialOffer{CredentialIssuer: "https://i.example"}, Options{}); !errors.Is(err, ErrInvalidOffer) {
		t.Fatalf("built an offer without configuration ids: %v", err)
	}
	if _, err := BuildOfferURIByReference("http://i.example/o", Options{}); !errors.Is(err, ErrInvalidOffer) {
		t.Fatalf("built an http reference: %v", err)
	}
}

func TestCheckTxCode(t *testing.T) {
	numeric6 := &PreAuthorizedCodeGrant{PreAuthorizedCode: "c", TxCode: &TxCode{Length: 6}}
	text := &PreAuthorizedCodeGrant{PreAuthorizedCode: "c", TxCode: &TxCode{InputMode: TxInputText}}
	none := &PreAuthorizedCodeGrant{PreAuthorizedCode: "c"}
	cases := []struct {
		name string
		g    *PreAuthorizedCodeGrant
		tx   string
		want error
	}{
		{"numeric ok", numeric6, "493536", nil},
		{"numeric missing", numeric6, "", ErrTxCodeRequired},
		{"numeric wrong length", numeric6, "49353", ErrTxCode},
		{"numeric with letters", numeric6, "49353a", ErrTxCode},
		{"text ok", text, "serial-A7", nil},
		{"text too long", text, strings.Repeat("x", MaxTxCodeLen+1), ErrTxCode},
		{"none and none given", none, "", nil},
		{"none but one given", none, "123", ErrTxCode},
	}
	for _, c := range cases {
		if err := c.g.CheckTxCode(c.tx); !errors.Is(err, c.want) || (c.want == nil && err != nil) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
}

func TestIssuerMetadataURL(t *testing.T) {
	cases := []struct{ id, want, as string }{
		{"https://host/issuers/clinic", "https://host/.well-known/openid-credential-issuer/issuers/clinic", "https://host/.well-known/oauth-authorization-server/issuers/clinic"},
		{"https://issuer.example.com/tenant", "https://issuer.example.com/.well-known/openid-credential-issuer/tenant", ""},
		{"https://tenant.issuer.example.com", "https://tenant.issuer.example.com/.well-known/openid-credential-issuer", "https://tenant.issuer.example.com/.well-known/oauth-authorization-server"},
		{"https://host/", "https://host/.well-known/openid-credential-issuer", ""},
		{"https://host:8443/a/b/", "https://host:8443/.well-known/openid-credential-issuer/a/b", ""},
		{"https://host/a%20b", "https://host/.well-known/openid-credential-issuer/a%20b", ""},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080/.well-known/openid-credential-issuer", ""},
	}
	for _, c := range cases {
		got, err := IssuerMetadataURL(c.id)
		if err != nil || got != c.want {
			t.Errorf("%s: got %q %v, want %q", c.id, got, err, c.want)
		}
		if c.as != "" {
			if got, err := AuthServerMetadataURL(c.id); err != nil || got != c.as {
				t.Errorf("AS %s: got %q %v, want %q", c.id, got, err, c.as)
			}
		}
	}
	for _, bad := range []string{"", "host/path", "https://host?x=1", "https://host/#f", "https://u@host", "ftp://host", "https://", "https://host:/x", "https://ho st"} {
		if got, err := IssuerMetadataURL(bad); err == nil {
			t.Errorf("%q: built %q", bad, got)
		}
	}
}

func TestParseTokenRequest(t *testing.T) {
	ok := url.Values{"grant_type": {GrantPreAuthorizedCode}, "pre-authorized_code": {"c"}, "tx_code": {"123456"}, "extra": {"ignored"}}
	r, err := ParseTokenRequest(ok)
	if err != nil || r.PreAuthorizedCode != "c" || r.TxCode != "123456" {
		t.Fatalf("%+v %v", r, err)
	}
	if back, err := ParseTokenRequest(r.Form()); err != nil || *back != *r {
		t.Fatalf("Form round trip: %+v %v", back, err)
	}
	cases := []struct {
		name string
		f    url.Values
		code string
	}{
		{"other grant", url.Values{"grant_type": {"authorization_code"}, "pre-authorized_code": {"c"}}, ErrorUnsupportedGrantType},
		{"no grant", url.Values{"pre-authorized_code": {"c"}}, ErrorInvalidRequest},
		{"empty grant", url.Values{"grant_type": {""}, "pre-authorized_code": {"c"}}, ErrorInvalidRequest},
		{"two grants", url.Values{"grant_type": {GrantPreAuthorizedCode, GrantPreAuthorizedCode}, "pre-authorized_code": {"c"}}, ErrorInvalidRequest},
		{"no code", url.Values{"grant_type": {GrantPreAuthorizedCode}}, ErrorInvalidRequest},
		{"two codes", url.Values{"grant_type": {GrantPreAuthorizedCode}, "pre-authorized_code": {"c", "d"}}, ErrorInvalidRequest},
		{"two tx codes", url.Values{"grant_type": {GrantPreAuthorizedCode}, "pre-authorized_code": {"c"}, "tx_code": {"1", "2"}}, ErrorInvalidRequest},
		{"long code", url.Values{"grant_type": {GrantPreAuthorizedCode}, "pre-authorized_code": {strings.Repeat("c", MaxCodeLen+1)}}, ErrorInvalidRequest},
		{"long tx code", url.Values{"grant_type": {GrantPreAuthorizedCode}, "pre-authorized_code": {"c"}, "tx_code": {strings.Repeat("1", MaxTxCodeLen+1)}}, ErrorInvalidRequest},
	}
	for _, c := range cases {
		_, err := ParseTokenRequest(c.f)
		if !errors.Is(err, &ErrorResponse{Code: c.code}) {
			t.Errorf("%s: got %v, want %s", c.name, err, c.code)
		}
	}
}

func TestParseCredentialRequest(t *testing.T) {
	r, err := ParseCredentialRequest([]byte(`{"credential_configuration_id":"a","proofs":{"jwt":["x.y.z"]},"future":1}`), 1)
	if err != nil || r.CredentialConfigurationID != "a" || len(r.Proofs.JWT) != 1 {
		t.Fatalf("%+v %v", r, err)
	}
	cases := []struct{ name, body, code string }{
		{"not JSON", `nope`, ErrorInvalidCredentialRequest},
		{"duplicate member", `{"credential_configuration_id":"a","credential_configuration_id":"b","proofs":{"jwt":["p"]}}`, ErrorInvalidCredentialRequest},
		{"both ids", `{"credential_configuration_id":"a","credential_identifier":"b","proofs":{"jwt":["p"]}}`, ErrorInvalidCredentialRequest},
		{"neither id", `{"proofs":{"jwt":["p"]}}`, ErrorInvalidCredentialRequest},
		{"singular proof", `{"credential_configuration_id":"a","proof":{"proof_type":"jwt","jwt":"p"}}`, ErrorInvalidCredentialRequest},
		{"encryption", `{"credential_configuration_id":"a","proofs":{"jwt":["p"]},"credential_response_encryption":{"enc":"A128GCM"}}`, ErrorInvalidEncryptionParameters},
		{"no proofs", `{"credential_configuration_id":"a"}`, ErrorInvalidProof},
		{"empty jwt array", `{"credential_configuration_id":"a","proofs":{"jwt":[]}}`, ErrorInvalidProof},
		{"other proof type", `{"credential_configuration_id":"a","proofs":{"di_vp":[{}]}}`, ErrorInvalidProof},
		{"two proof types", `{"credential_configuration_id":"a","proofs":{"jwt":["p"],"attestation":["q"]}}`, ErrorInvalidProof},
		{"too many proofs", `{"credential_configuration_id":"a","proofs":{"jwt":["p","q"]}}`, ErrorInvalidProof},
		{"jwt not strings", `{"credential_configuration_id":"a","proofs":{"jwt":[1]}}`, ErrorInvalidCredentialRequest},
	}
	for _, c := range cases {
		_, err := ParseCredentialRequest([]byte(c.body), 1)
		if !errors.Is(err, &ErrorResponse{Code: c.code}) {
			t.Errorf("%s: got %v, want %s", c.name, err, c.code)
		}
	}
}

// TestParseCredentialRequestBody: an issuer with proof-less
// configurations parses without the proof checks and applies them
// (CheckProofs) only for configurations that ask for proofs.
func TestParseCredentialRequestBody(t *testing.T) {
	r, err := ParseCredentialRequestBody([]byte(`{"credential_configuration_id":"a.jpt"}`))
	if err != nil || r.Proofs != nil {
		t.Fatalf("no proofs: %+v %v", r, err)
	}
	if err := r.CheckProofs(1); !errors.Is(err, &ErrorResponse{Code: ErrorInvalidProof}) {
		t.Fatalf("CheckProofs without proofs: %v", err)
	}
	for _, c := range []struct{ name, body, code string }{
		{"both ids", `{"credential_configuration_id":"a","credential_identifier":"b"}`, ErrorInvalidCredentialRequest},
		{"singular proof", `{"credential_configuration_id":"a","proof":{"proof_type":"jwt","jwt":"p"}}`, ErrorInvalidCredentialRequest},
		{"encryption", `{"credential_configuration_id":"a","credential_response_encryption":{"enc":"A128GCM"}}`, ErrorInvalidEncryptionParameters},
	} {
		if _, err := ParseCredentialRequestBody([]byte(c.body)); !errors.Is(err, &ErrorResponse{Code: c.code}) {
			t.Errorf("%s: got %v, want %s", c.name, err, c.code)
		}
	}
	r, err = ParseCredentialRequestBody([]byte(`{"credential_configuration_id":"a","proofs":{"jwt":["p","q"]}}`))
	if err != nil || r.CheckProofs(2) != nil || r.CheckProofs(1) == nil {
		t.Fatalf("batch bound: %v", err)
	}
}

func TestNotificationRequestValidate(t *testing.T) {
	cases := []struct {
		r  NotificationRequest
		ok bool
	}{
		{NotificationRequest{NotificationID: "n", Event: EventCredentialAccepted}, true},
		{NotificationRequest{NotificationID: "n", Event: EventCredentialFailure, EventDescription: "Out of storage."}, true},
		{NotificationRequest{NotificationID: "n", Event: "credential_stolen"}, false},
		{NotificationRequest{Event: EventCredentialDeleted}, false},
		{NotificationRequest{NotificationID: "n", Event: EventCredentialFailure, EventDescription: `say "hi"`}, false},
		{NotificationRequest{NotificationID: "n", Event: EventCredentialFailure, EventDescription: "é"}, false},
	}
	for i, c := range cases {
		if err := c.r.Validate(); (err == nil) != c.ok {
			t.Errorf("case %d: %v", i, err)
		}
	}
}
