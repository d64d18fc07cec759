package assurance

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// EU Person Identification Data (PID) as evidence of core identity.
//
// A PID is issued by a Member State's PID provider under the PID Rulebook
// (ARF Annex 3.1, SD-JWT VC encoding): its type is urn:eudi:pid:1, or a
// domestic urn:eudi:pid:… type registered for the provider, or a type
// whose metadata lists urn:eudi:pid:1 among its aka_vcts. It carries no
// evidence claim: what a PID is worth is the policy's decision
// (Policy.PID), capped by the registry authorization of its provider, and
// never written in code. A PID is not third-party evidence (Kind): it is
// the state's own identification, so a profile may give the advisory
// eIDAS label "high" when the PID alone meets it (Profile.EIDASPID).

// PIDVCT is the type of the EU PID (PID Rulebook, SD-JWT VC encoding).
const PIDVCT = "urn:eudi:pid:1"

// pidPrefix is the prefix of the PID type and the domestic PID types.
const pidPrefix = "urn:eudi:pid:"

// Kinds of credential.
const (
	// KindThirdParty: an attestation by an organisation that knows the
	// person (the default).
	KindThirdParty = ""
	// KindPID: an EU PID from a listed PID provider.
	KindPID = "pid"
)

// IsPID reports whether a credential of type vct is a PID: vct is
// urn:eudi:pid:1, or a domestic urn:eudi:pid:… type listed in registered
// (the types the registry authorizes PID providers for), or its type
// metadata names urn:eudi:pid:1 in akaVCTs.
func IsPID(vct string, akaVCTs, registered []string) bool {
	switch {
	case vct == PIDVCT:
		return true
	case strings.HasPrefix(vct, pidPrefix) && len(vct) > len(pidPrefix) && slices.Contains(registered, vct):
		return true
	}
	return slices.Contains(akaVCTs, PIDVCT)
}

// Place is a place of birth (PID Rulebook place_of_birth): a country
// (ISO 3166-1 alpha-2), region and locality, any of them absent.
type Place struct {
	Country  string `json:"country,omitempty"`
	Region   string `json:"region,omitempty"`
	Locality string `json:"locality,omitempty"`
}

// ErrPIDClaims is wrapped by PIDIdentity's errors.
var ErrPIDClaims = errors.New("assurance: PID claims malformed")

// MaxNationalities bounds the nationalities read from a PID.
const MaxNationalities = 16

// PIDIdentity maps the disclosed claims of a PID (processed SD-JWT VC
// claims) to the core identity the accretion model compares and shows:
// family_name, given_name, birthdate (YYYY-MM-DD), place_of_birth,
// nationalities (alpha-2 codes kept as given, including the user-assigned
// QU and QS a provider may use where no ISO code applies),
// birth_family_name and birth_given_name (kept, and declared as a name
// variant of source "birth_name", so that credentials issued under the
// name at birth agree with the PID), and sex (ISO/IEC 5218 code as the
// Rulebook encodes it). Claims not disclosed stay empty. A claim of the
// wrong JSON type is an error: a verifier must not silently drop it.
func PIDIdentity(claims map[string]any) (Identity, error) {
	var id Identity
	str := func(name string, dst *string) error {
		v, ok := claims[name]
		if !ok {
			return nil
		}
		s, ok := v.(string)
		if !ok || len(s) > MaxNameBytes {
			return fmt.Errorf("%w: %s must be a string of at most %d bytes", ErrPIDClaims, name, MaxNameBytes)
		}
		*dst = s
		return nil
	}
	for _, f := range []struct {
		name string
		dst  *string
	}{{"family_name", &id.FamilyName}, {"given_name", &id.GivenName}, {"birthdate", &id.Birthdate},
		{"birth_family_name", &id.BirthFamilyName}, {"birth_given_name", &id.BirthGivenName}} {
		if err := str(f.name, f.dst); err != nil {
			return Identity{}, err
		}
	}
	if id.Birthdate != "" {
		if _, ok := parseBirthdate(id.Birthdate, ""); !ok {
			return Identity{}, fmt.Errorf("%w: birthdate is not a date", ErrPIDClaims)
		}
	}
	if v, ok := claims["place_of_birth"]; ok {
		m, ok := v.(map[string]any)
		if !ok {
			return Identity{}, fmt.Errorf("%w: place_of_birth must be an object", ErrPIDClaims)
		}
		p := &Place{}
		for _, f := range []struct {
			name string
			dst  *string
		}{{"country", &p.Country}, {"region", &p.Region}, {"locality", &p.Locality}} {
			if err := str2(m, f.name, f.dst); err != nil {
				return Identity{}, fmt.Errorf("%w: place_of_birth.%v", ErrPIDClaims, err)
			}
		}
		id.PlaceOfBirth = p
	}
	if v, ok := claims["nationalities"]; ok {
		arr, ok := v.([]any)
		if !ok || len(arr) > MaxNationalities {
			return Identity{}, fmt.Errorf("%w: nationalities must be an array of at most %d codes", ErrPIDClaims, MaxNationalities)
		}
		id.Nationalities = []string{}
		for _, e := range arr {
			s, ok := e.(string)
			if !ok || len(s) != 2 {
				return Identity{}, fmt.Errorf("%w: nationalities holds %v, not a two-letter code", ErrPIDClaims, e)
			}
			id.Nationalities = append(id.Nationalities, strings.ToUpper(s))
		}
	}
	if v, ok := claims["sex"]; ok {
		f, ok := v.(float64)
		if !ok || f != float64(int(f)) || f < 0 || f > 9 {
			return Identity{}, fmt.Errorf("%w: sex must be an ISO/IEC 5218 code (0 to 9)", ErrPIDClaims)
		}
		n := int(f)
		id.Sex = &n
	}
	if id.BirthFamilyName != "" || id.BirthGivenName != "" {
		nv := NameVariant{FamilyName: id.BirthFamilyName, GivenName: id.BirthGivenName, Source: SourceBirthName}
		if nv.FamilyName == "" {
			nv.FamilyName = id.FamilyName
		}
		if nv.GivenName == "" {
			nv.GivenName = id.GivenName
		}
		id.NameVariants = append(id.NameVariants, nv)
	}
	return id, nil
}

// SourceBirthName is the NameVariant source of a PID's birth names.
const SourceBirthName = "birth_name"

func str2(m map[string]any, name string, dst *string) error {
	v, ok := m[name]
	if !ok {
		return nil
	}
	s, ok := v.(string)
	if !ok || len(s) > MaxNameBytes {
		return fmt.Errorf("%s must be a string", name)
	}
	*dst = s
	return nil
}
