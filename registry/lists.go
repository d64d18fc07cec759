package registry

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cairn-id/cairn/internal/trust"
)

// ErrListRollback: the list is older (lower sequence number, or issued
// earlier) than the one of the same scheme already imported.
var ErrListRollback = errors.New("registry: list older than the one already imported")

// ImportedList records the last import of one trusted list (by format,
// type and territory), so a later import can refuse a rollback.
type ImportedList struct {
	Format     string    `json:"format"`
	Type       string    `json:"type"`
	Territory  string    `json:"territory,omitempty"`
	URL        string    `json:"url,omitempty"`
	Sequence   uint64    `json:"sequence"`
	IssuedAt   time.Time `json:"issued_at"`
	NextUpdate time.Time `json:"next_update"`
	ImportedAt time.Time `json:"imported_at"`
}

// ListImport is a verified trusted list, reduced to what the registry
// keeps: its identity and, per entity, the anchors it states. The list
// readers (internal/lote for TS 119 602, internal/tsl for TS 119 612)
// produce it; ImportList merges it.
type ListImport struct {
	// Format is "etsi-119602" or "etsi-119612"; Type the LoTEType or
	// TSLType; Territory the scheme territory.
	Format, Type, Territory string
	URL                     string
	Sequence                uint64
	IssuedAt, NextUpdate    time.Time
	Entities                []ListEntity
	// Authorization is given to each entity the list adds (From is set to
	// when the entity's trust starts): e.g. vct "urn:eudi:pid:*" with the
	// caps the operator chose. A zero VCT gives none (anchors only).
	Authorization trust.IssuerAuthorization
}

// ListEntity is one entity of a list: Key is its name there, how the next
// import recognizes it.
type ListEntity struct {
	Key     string
	Names   map[string]string
	Anchors []ListAnchor
}

// ListAnchor is one anchor a list states. Since is when the list says its
// status started; Withdrawn says that status is a withdrawal.
type ListAnchor struct {
	DER         []byte
	Context     trust.AnchorContext
	ServiceType string
	Flags       []string
	Since       time.Time
	Withdrawn   bool
}

// ListEntityResult says what an import did to one entity.
type ListEntityResult struct {
	DID  string `json:"did"`
	Key  string `json:"key"`
	Name string `json:"name"`
	// Change is "added", "updated", "unchanged" or "dropped".
	Change         string `json:"change"`
	AnchorsTrusted int    `json:"anchors_trusted"`
	AnchorsAdded   int    `json:"anchors_added"`
	AnchorsRevoked int    `json:"anchors_revoked"`
}

// ListImportResult is what ImportList did.
type ListImportResult struct {
	Entities       []ListEntityResult `json:"entities"`
	AnchorsTrusted int                `json:"anchors_trusted"`
	AnchorsAdded   int                `json:"anchors_added"`
	AnchorsRevoked int                `json:"anchors_revoked"`
	// Previous is the sequence number imported before (0: first import).
	Previous uint64 `json:"previous_sequence"`
}

func sameList(a, b ImportedList) bool {
	return a.Format == b.Format && a.Type == b.Type && a.Territory == b.Territory
}

// ImportList merges a trusted list into the registry in one transaction.
// Each entity of the list becomes (or stays) an issuer entity holding the
// list's anchors, recognized on later imports by its name in the list.
// History is kept, never rewritten:
//
//   - a new anchor is trusted from the time the list states (its status
//     start, else the list's issue time);
//   - an anchor that left the list, or whose service the list now says is
//     withdrawn, is revoked from this import (withdrawn: from the list's
//     status start), so what it anchored before keeps its answer;
//   - an anchor that comes back is trusted again from this import;
//   - an entity that left the list is revoked (not as compromised) from
//     this import, and active again if it comes back.
//
// A list older than the one already imported for the same scheme is
// refused (ErrListRollback); re-importing the same sequence is allowed
// (another mode of the same list). Bad input changes nothing.
func (s *Service) ImportList(ctx context.Context, in ListImport) (*ListImportResult, error) {
	if in.Format != "etsi-119602" && in.Format != "etsi-119612" || in.Type == "" || in.IssuedAt.IsZero() {
		return nil, badInput("a list import needs a format, a type and an issue time")
	}
	if len(in.Entities) > trust.MaxEntities {
		return nil, badInput("more than %d entities", trust.MaxEntities)
	}
	if in.Authorization.VCT != "" {
		if err := checkCaps(in.Authorization); err != nil {
			return nil, err
		}
	}
	keys := map[string]bool{}
	for _, le := range in.Entities {
		if strings.TrimSpace(le.Key) == "" || keys[le.Key] {
			return nil, badInput("list entity %q: empty or duplicate name", le.Key)
		}
		keys[le.Key] = true
		for _, a := range le.Anchors {
			if _, err := x509.ParseCertificate(a.DER); err != nil {
				return nil, badInput("list entity %q: anchor is not a certificate: %v", le.Key, err)
			}
		}
	}
	rec := ImportedList{Format: in.Format, Type: in.Type, Territory: in.Territory, URL: in.URL, Sequence: in.Sequence,
		IssuedAt: in.IssuedAt.UTC(), NextUpdate: utc(in.NextUpdate)}
	res := &ListImportResult{}
	_, err := s.update(ctx, func(st *State) error {
		now := s.now()
		rec.ImportedAt = now
		i := slices.IndexFunc(st.Lists, func(l ImportedList) bool { return sameList(l, rec) })
		if i >= 0 {
			old := st.Lists[i]
			if rec.Sequence < old.Sequence || rec.IssuedAt.Before(old.IssuedAt) {
				return fmt.Errorf("%w: sequence %d issued %s, already imported sequence %d issued %s", ErrListRollback,
					rec.Sequence, rec.IssuedAt.Format(time.RFC3339), old.Sequence, old.IssuedAt.Format(time.RFC3339))
			}
			res.Previous = old.Sequence
			st.Lists[i] = rec
		} else {
			st.Lists = append(st.Lists, rec)
		}
		src := trust.ListSource{URL: in.URL, Sequence: in.Sequence, IssuedAt: rec.IssuedAt}
		seen := map[string]bool{}
		for _, le := range in.Entities {
			r, err := mergeListEntity(st, in, le, src, now)
			if err != nil {
				return err
			}
			seen[r.DID] = true
			res.Entities = append(res.Entities, r)
		}
		for j := range st.Registry.Entities {
			e := &st.Registry.Entities[j]
			if e.List == nil || seen[e.DID] || !sameList(ImportedList{Format: e.List.Format, Type: e.List.Type, Territory: e.List.Territory}, rec) {
				continue
			}
			r := ListEntityResult{DID: e.DID, Key: e.List.Key, Name: e.Name("en"), Change: "unchanged"}
			reason := fmt.Sprintf("no longer in the list (sequence %d)", in.Sequence)
			for k := range e.X509Anchors {
				if revokeAnchor(&e.X509Anchors[k], now, reason, in.Sequence) {
					r.AnchorsRevoked++
				}
			}
			if e.Status != trust.StatusRevoked {
				if err := appendStatus(e, trust.StatusRevoked, now, reason); err != nil {
					return err
				}
				r.Change = "dropped"
			}
			res.Entities = append(res.Entities, r)
		}
		for _, r := range res.Entities {
			res.AnchorsTrusted += r.AnchorsTrusted
			res.AnchorsAdded += r.AnchorsAdded
			res.AnchorsRevoked += r.AnchorsRevoked
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

func appendStatus(e *trust.Entity, to trust.EntityStatus, at time.Time, reason string) error {
	if n := len(e.StatusHistory); n > 0 && at.Before(e.StatusHistory[n-1].At) {
		return fmt.Errorf("%w: clock is behind the last status change of %s", ErrStatusTransition, e.DID)
	}
	e.Status = to
	e.StatusHistory = append(e.StatusHistory, trust.StatusChange{Status: to, At: at, Reason: reason})
	return nil
}

// revokeAnchor revokes a trusted anchor at at (not before its last
// change); it reports whether it changed anything.
func revokeAnchor(a *trust.X509Anchor, at time.Time, reason string, seq uint64) bool {
	if a.Status != trust.AnchorTrusted {
		return false
	}
	if last := a.History[len(a.History)-1].At; at.Before(last) {
		at = last
	}
	a.Status = trust.AnchorRevoked
	a.History = append(a.History, trust.AnchorStatusChange{Status: trust.AnchorRevoked, At: at, Reason: reason, Sequence: seq})
	return true
}

func mergeListEntity(st *State, in ListImport, le ListEntity, src trust.ListSource, now time.Time) (ListEntityResult, error) {
	var e *trust.Entity
	for j := range st.Registry.Entities {
		l := st.Registry.Entities[j].List
		if l != nil && l.Format == in.Format && l.Type == in.Type && l.Territory == in.Territory && l.Key == le.Key {
			e = &st.Registry.Entities[j]
			break
		}
	}
	names := le.Names
	if len(names) == 0 {
		names = map[string]string{"en": le.Key}
	}
	r := ListEntityResult{Key: le.Key, Change: "unchanged"}
	listedBy := fmt.Sprintf("listed in %s (sequence %d)", in.Type, in.Sequence)
	if e == nil {
		first := slices.IndexFunc(le.Anchors, func(a ListAnchor) bool { return !a.Withdrawn })
		if first < 0 {
			// Never trusted here and nothing to trust: nothing to record.
			r.Change = "skipped"
			return r, nil
		}
		since := le.Anchors[first].Since
		for _, a := range le.Anchors {
			if !a.Withdrawn && a.Since.Before(since) {
				since = a.Since
			}
		}
		since = since.UTC()
		did, err := x509DID(le.Anchors[first].DER)
		if err != nil {
			return r, badInput("list entity %q: %v", le.Key, err)
		}
		if st.Registry.Entity(did) != nil {
			return r, fmt.Errorf("%w: %s (list entity %q shares its first anchor with another entity)", ErrEntityExists, did, le.Key)
		}
		var auths []trust.IssuerAuthorization
		if auth := in.Authorization; auth.VCT != "" {
			auth.ID, auth.Replaces, auth.Ended, auth.From, auth.Until = "a1", "", nil, since, time.Time{}
			auths = append(auths, auth)
		}
		st.Registry.Entities = append(st.Registry.Entities, trust.Entity{
			DID: did, Role: trust.RoleIssuer, Names: names, Status: trust.StatusActive,
			StatusHistory:        []trust.StatusChange{{Status: trust.StatusActive, At: since, Reason: listedBy}},
			ValidFrom:            since,
			IssuerAuthorizations: auths,
			List:                 &trust.EntityList{Format: in.Format, Type: in.Type, Territory: in.Territory, Key: le.Key},
		})
		e = &st.Registry.Entities[len(st.Registry.Entities)-1]
		r.Change = "added"
	} else if e.Status == trust.StatusRevoked {
		if err := appendStatus(e, trust.StatusActive, now, "back in the list: "+listedBy); err != nil {
			return r, err
		}
		r.Change = "updated"
	}
	r.DID = e.DID
	e.Names = names
	e.List.Source = src
	r.Name = e.Name("en")
	kept := make([]bool, len(e.X509Anchors))
	for _, la := range le.Anchors {
		k := slices.IndexFunc(e.X509Anchors, func(a trust.X509Anchor) bool {
			return a.Context == la.Context && bytes.Equal(a.DER, la.DER)
		})
		if k < 0 {
			if la.Withdrawn {
				continue
			}
			cert, _ := x509.ParseCertificate(la.DER)
			e.X509Anchors = append(e.X509Anchors, trust.X509Anchor{
				DER: la.DER, SKI: trust.SKIOf(cert), Context: la.Context, ServiceType: la.ServiceType, Flags: la.Flags,
				Status: trust.AnchorTrusted, Source: src,
				History: []trust.AnchorStatusChange{{Status: trust.AnchorTrusted, At: la.Since.UTC(), Reason: listedBy, Sequence: in.Sequence}},
			})
			kept = append(kept, true)
			r.AnchorsAdded++
			if r.Change == "unchanged" {
				r.Change = "updated"
			}
			continue
		}
		kept[k] = true
		a := &e.X509Anchors[k]
		a.Source, a.ServiceType, a.Flags = src, la.ServiceType, la.Flags
		switch {
		case la.Withdrawn:
			// From the time the list gives (not before the last entry).
			if revokeAnchor(a, la.Since.UTC(), fmt.Sprintf("withdrawn in the list (sequence %d)", in.Sequence), in.Sequence) {
				r.AnchorsRevoked++
				r.Change = "updated"
			}
		case a.Status == trust.AnchorRevoked:
			a.Status = trust.AnchorTrusted
			a.History = append(a.History, trust.AnchorStatusChange{Status: trust.AnchorTrusted, At: now, Reason: "back in the list: " + listedBy, Sequence: in.Sequence})
			r.AnchorsAdded++
			r.Change = "updated"
		}
	}
	for k := range e.X509Anchors {
		if !kept[k] && revokeAnchor(&e.X509Anchors[k], now, fmt.Sprintf("no longer in the list (sequence %d)", in.Sequence), in.Sequence) {
			r.AnchorsRevoked++
			r.Change = "updated"
		}
	}
	for _, a := range e.X509Anchors {
		if a.Status == trust.AnchorTrusted {
			r.AnchorsTrusted++
		}
	}
	return r, nil
}

// x509DID names an entity after its first anchor, in the did:x509 form
// (DIF did:x509 v0: version 0, the SHA-256 of the CA certificate, and a
// subject policy from the certificate's country, organization or common
// name). It is an identifier only: Cairn resolves no key from it, so such
// an issuer's keys come from x5c alone, checked against its anchors.
func x509DID(der []byte) (string, error) {
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(der)
	id := "did:x509:0:sha256:" + base64.RawURLEncoding.EncodeToString(sum[:])
	switch s := cert.Subject; {
	case len(s.Country) > 0:
		return id + "::subject:C:" + pctEncode(s.Country[0]), nil
	case len(s.Organization) > 0:
		return id + "::subject:O:" + pctEncode(s.Organization[0]), nil
	case s.CommonName != "":
		return id + "::subject:CN:" + pctEncode(s.CommonName), nil
	}
	return "", errors.New("anchor certificate has no subject C, O or CN")
}

func pctEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
