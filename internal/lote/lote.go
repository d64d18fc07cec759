// Package lote reads ETSI TS 119 602 Lists of Trusted Entities (LoTE) in
// their JSON form: the data model of clause 6 checked against the
// published JSON Schema (embedded, see schema/SOURCE.md), the compact JWS
// a list is published as (signer certificate in x5c, chained with
// crypto/x509 to seal anchors the operator pinned), and the profile of
// Annex D, the EU PID Providers list (LoTEType …/EUPIDProvidersList,
// scheme territory EU, NextUpdate at most six months after issue, service
// types …/SvcType/PID/Issuance and …/PID/Revocation, Table D.3). It turns
// a list into plain anchors (DER, context pid or pid-status) per trusted
// entity; storing them is the registry's job (registry.Service.ImportList).
//
// It has no network or storage code: the caller fetches the list and
// injects the clock.
package lote

import (
	"bytes"
	"crypto/x509"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/cairn-id/cairn/internal/jsonx"
)

// URIs of TS 119 602 Annex D.
const (
	TypePIDProviders   = "http://uri.etsi.org/19602/LoTEType/EUPIDProvidersList"
	SvcPIDIssuance     = "http://uri.etsi.org/19602/SvcType/PID/Issuance"
	SvcPIDRevocation   = "http://uri.etsi.org/19602/SvcType/PID/Revocation"
	PIDSchemeTerritory = "EU"
)

// Bounds on a list.
const (
	MaxListLen         = 4 << 20
	MaxEntities        = 10000
	MaxServices        = 64
	MaxCertsPerService = 16
	MaxCertLen         = 16 << 10
	MaxX5C             = 8
)

// Errors. Every failure wraps exactly one of them.
var (
	ErrMalformed = errors.New("lote: malformed list")
	ErrSchema    = errors.New("lote: list does not match the TS 119 602 JSON Schema")
	// ErrSignature: the JWS signature does not verify with its x5c
	// signer (the list was changed after signing).
	ErrSignature = errors.New("lote: list signature does not verify")
	// ErrUntrustedSigner: the signer does not chain to a pinned seal anchor.
	ErrUntrustedSigner = errors.New("lote: list signer does not chain to a pinned seal anchor")
	// ErrProfile: the list breaks the Annex D profile as a whole.
	ErrProfile = errors.New("lote: list breaks the TS 119 602 Annex D profile")
	// ErrStale: the list is past its NextUpdate by more than the grace.
	ErrStale = errors.New("lote: list is past its NextUpdate")
	// ErrNoAnchors: no service of the list qualified as a PID anchor.
	ErrNoAnchors = errors.New("lote: no PID anchors in the list")
)

// MultiLang is a multilingual string (TS 119 602 multiLangString).
type MultiLang struct {
	Lang  string `json:"lang"`
	Value string `json:"value"`
}

// PKIObject is a base64 DER certificate (pkiOb).
type PKIObject struct {
	Encoding string `json:"encoding,omitempty"`
	SpecRef  string `json:"specRef,omitempty"`
	Val      string `json:"val"`
}

// DigitalIdentity is a ServiceDigitalIdentity; only certificates make
// anchors.
type DigitalIdentity struct {
	X509Certificates []PKIObject `json:"X509Certificates,omitempty"`
	X509SKIs         []string    `json:"X509SKIs,omitempty"`
}

// ServiceInformation is the part of a service an import reads.
type ServiceInformation struct {
	ServiceName            []MultiLang     `json:"ServiceName"`
	ServiceDigitalIdentity DigitalIdentity `json:"ServiceDigitalIdentity"`
	ServiceTypeIdentifier  string          `json:"ServiceTypeIdentifier,omitempty"`
	ServiceStatus          string          `json:"ServiceStatus,omitempty"`
	StatusStartingTime     string          `json:"StatusStartingTime,omitempty"`
}

// Service is a TrustedEntityService.
type Service struct {
	ServiceInformation ServiceInformation `json:"ServiceInformation"`
}

// EntityInformation is the part of TrustedEntityInformation an import reads.
type EntityInformation struct {
	TEName      []MultiLang `json:"TEName"`
	TETradeName []MultiLang `json:"TETradeName,omitempty"`
}

// TrustedEntity is one entry of TrustedEntitiesList.
type TrustedEntity struct {
	Information EntityInformation `json:"TrustedEntityInformation"`
	Services    []Service         `json:"TrustedEntityServices"`
}

// SchemeInformation is the part of ListAndSchemeInformation an import reads.
type SchemeInformation struct {
	VersionIdentifier  int         `json:"LoTEVersionIdentifier"`
	SequenceNumber     uint64      `json:"LoTESequenceNumber"`
	Type               string      `json:"LoTEType,omitempty"`
	SchemeOperatorName []MultiLang `json:"SchemeOperatorName"`
	SchemeTerritory    string      `json:"SchemeTerritory,omitempty"`
	ListIssueDateTime  time.Time   `json:"ListIssueDateTime"`
	NextUpdate         time.Time   `json:"NextUpdate"`
	DistributionPoints []string    `json:"DistributionPoints,omitempty"`
}

// List is a parsed LoTE.
type List struct {
	Scheme   SchemeInformation `json:"ListAndSchemeInformation"`
	Entities []TrustedEntity   `json:"TrustedEntitiesList,omitempty"`
}

//go:embed schema/*.json
var schemaFS embed.FS

const schemaURL = "https://schemas.cairn.invalid/etsi/19602/lote.schema.json"

var compiled = sync.OnceValues(func() (*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7)
	// Only the embedded resources resolve: no file or network loading.
	c.UseLoader(jsonschema.SchemeURLLoader{})
	// Draft-07 asserts formats. "uri" is not asserted: published lists
	// (the EUDI reference list among them) put bare e-mail addresses and
	// placeholders in electronic-address and policy fields, and the URIs
	// an import acts on (LoTEType, service types) are compared exactly
	// anyway. date-time stays asserted.
	c.RegisterFormat(&jsonschema.Format{Name: "uri", Validate: func(any) error { return nil }})
	for name, url := range map[string]string{
		"schema/etsi-ts-119602-lote.schema.json": schemaURL,
		"schema/rfc7517.json":                    "https://schemas.cairn.invalid/etsi/19602/rfcs/rfc7517.json",
	} {
		b, err := schemaFS.ReadFile(name)
		if err != nil {
			return nil, err
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		if err := c.AddResource(url, doc); err != nil {
			return nil, err
		}
	}
	return c.Compile(schemaURL)
})

// Parse checks payload (a LoTE JSON document) against the TS 119 602 JSON
// Schema and decodes it. Duplicate member names, trailing data and lists
// beyond the package's bounds are refused.
func Parse(payload []byte) (*List, error) {
	if len(payload) > MaxListLen {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrMalformed, len(payload), MaxListLen)
	}
	inst, err := jsonx.Decode(payload)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	sch, err := compiled()
	if err != nil {
		return nil, fmt.Errorf("lote: embedded schema: %w", err)
	}
	if err := sch.Validate(inst); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSchema, err)
	}
	var doc struct {
		LoTE *List `json:"LoTE"`
	}
	if err := json.Unmarshal(payload, &doc); err != nil || doc.LoTE == nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	l := doc.LoTE
	if len(l.Entities) > MaxEntities {
		return nil, fmt.Errorf("%w: more than %d trusted entities", ErrMalformed, MaxEntities)
	}
	for i, e := range l.Entities {
		if len(e.Services) > MaxServices {
			return nil, fmt.Errorf("%w: entity %d has more than %d services", ErrMalformed, i, MaxServices)
		}
		for _, s := range e.Services {
			if len(s.ServiceInformation.ServiceDigitalIdentity.X509Certificates) > MaxCertsPerService {
				return nil, fmt.Errorf("%w: entity %d: a service has more than %d certificates", ErrMalformed, i, MaxCertsPerService)
			}
		}
	}
	return l, nil
}

// Name returns the entity's English name, else its first.
func (e *TrustedEntity) Name() string { return pickName(e.Information.TEName) }

// Names returns the entity's names by lower-case language tag.
func (e *TrustedEntity) Names() map[string]string {
	names := map[string]string{}
	for _, n := range e.Information.TEName {
		l, v := strings.ToLower(strings.TrimSpace(n.Lang)), strings.TrimSpace(n.Value)
		if l != "" && v != "" && len(names) < 32 {
			if _, dup := names[l]; !dup {
				names[l] = v
			}
		}
	}
	return names
}

func pickName(ns []MultiLang) string {
	for _, n := range ns {
		if strings.EqualFold(n.Lang, "en") && strings.TrimSpace(n.Value) != "" {
			return strings.TrimSpace(n.Value)
		}
	}
	for _, n := range ns {
		if strings.TrimSpace(n.Value) != "" {
			return strings.TrimSpace(n.Value)
		}
	}
	return ""
}

// parseCert decodes a pkiOb value (standard base64, padded or not).
func parseCert(val string) (*x509.Certificate, error) {
	val = strings.TrimSpace(val)
	if len(val) > MaxCertLen*4/3+4 {
		return nil, fmt.Errorf("certificate larger than %d bytes", MaxCertLen)
	}
	der, err := base64.StdEncoding.DecodeString(val)
	if err != nil {
		if der, err = base64.RawStdEncoding.DecodeString(val); err != nil {
			return nil, fmt.Errorf("not base64: %v", err)
		}
	}
	return x509.ParseCertificate(der)
}
