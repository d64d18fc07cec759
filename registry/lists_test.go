package registry_test

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/lote"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/registry"
)

const refLoTE = "../testdata/eudi/trust-lists/lote-pid-providers-eudi-ref-2026-03-16.json"

// loteImport reads the reference list, lets change edit it (seq, dates,
// entities) and returns it as a lenient import checked at now.
func loteImport(t *testing.T, now time.Time, change func(l map[string]any)) registry.ListImport {
	t.Helper()
	b, err := os.ReadFile(refLoTE)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if change != nil {
		change(doc["LoTE"].(map[string]any))
	}
	if b, err = json.Marshal(doc); err != nil {
		t.Fatal(err)
	}
	l, err := lote.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	r, err := lote.CheckPIDProfile(l, lote.ProfileOptions{Now: now, Lenient: true, Grace: 365 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return registry.FromLoTE(r, "https://lists.example/pid.jwt", registry.PIDAuthorization)
}

func reissue(seq int, issued, next string, dropUT bool) func(l map[string]any) {
	return func(l map[string]any) {
		s := l["ListAndSchemeInformation"].(map[string]any)
		s["LoTESequenceNumber"], s["ListIssueDateTime"], s["NextUpdate"] = seq, issued, next
		if dropUT {
			var kept []any
			for _, e := range l["TrustedEntitiesList"].([]any) {
				if !strings.Contains(mustJSON(e), "Trusted Entity UT") {
					kept = append(kept, e)
				}
			}
			l["TrustedEntitiesList"] = kept
		}
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func certDER(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	return blk.Bytes
}

// TestImportListHistory: a lenient import of the reference list makes 7
// PID providers; a re-import without UT revokes its anchor from then, so
// a PID issued before the drop is "trusted at iat, revoked now", also in
// a published snapshot; an older list is refused and changes nothing; UT
// coming back is trusted again from that import.
func TestImportListHistory(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	imported := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	f.clk.Set(imported)
	res, err := f.svc.ImportList(ctx, loteImport(t, imported, nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Entities) != 7 || res.AnchorsAdded != 7 || res.AnchorsTrusted != 7 {
		t.Fatalf("first import: %+v", res)
	}
	ut02 := certDER(t, "../testdata/eudi/certs/pid-issuer-ca-ut-02.pem")
	st, _ := f.svc.Show(ctx)
	iat := time.Date(2026, 8, 10, 0, 0, 0, 0, time.UTC)
	d, err := st.Registry.AnchorTrustedAt(ut02, trust.AnchorPID, iat)
	if err != nil || !d.Trusted || d.Anchor.Flags[0] != lote.FlagServiceTypeMissing {
		t.Fatalf("UT 02 at iat after the first import: %+v %v", d, err)
	}
	utDID := d.Entity.DID
	if !strings.HasPrefix(utDID, "did:x509:0:sha256:") || !strings.HasSuffix(utDID, "::subject:C:UT") {
		t.Fatalf("entity id %s", utDID)
	}
	if a, _ := st.Registry.IssuerAuthorized(utDID, "urn:eudi:pid:1", iat); !a.Authorized {
		t.Fatalf("UT not authorized for urn:eudi:pid:1: %s", a.Reason)
	}

	// Sequence 2, without UT, imported on 2026-10-01.
	dropped := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	f.clk.Set(dropped)
	res, err = f.svc.ImportList(ctx, loteImport(t, dropped, reissue(2, "2026-09-10T00:00:00Z", "2027-03-01T00:00:00Z", true)))
	if err != nil {
		t.Fatal(err)
	}
	if res.AnchorsRevoked != 1 || res.Previous != 1 {
		t.Fatalf("second import: %+v", res)
	}
	if _, _, err := f.svc.Publish(ctx, f.key, 24*time.Hour); err != nil {
		t.Fatal(err)
	}
	_, compact, err := f.store.Latest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := trust.VerifySnapshot(compact, []*jose.JWK{f.st.Authority.PublicJWK}, dropped.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	d, _ = snap.AnchorTrustedAt(ut02, trust.AnchorPID, iat)
	if !d.Trusted || d.CurrentStatus != trust.AnchorRevoked || !d.RevokedAt.Equal(dropped) {
		t.Fatalf("UT 02 at iat after the drop: trusted %v, now %s since %s; want trusted at iat, revoked now", d.Trusted, d.CurrentStatus, d.RevokedAt)
	}
	d, _ = snap.AnchorTrustedAt(ut02, trust.AnchorPID, dropped.Add(time.Minute))
	if d.Trusted || d.Reason != trust.ReasonAnchorRevokedAtTime {
		t.Fatalf("UT 02 after the drop: %+v", d)
	}
	if e := snap.Entity(utDID); e.Status != trust.StatusRevoked {
		t.Fatalf("UT entity status %s", e.Status)
	}

	// An older list is a rollback: refused, nothing stored changes.
	before, _ := f.svc.Show(ctx)
	if _, err := f.svc.ImportList(ctx, loteImport(t, dropped, nil)); !errors.Is(err, registry.ErrListRollback) {
		t.Fatalf("rollback: %v", err)
	}
	if after, _ := f.svc.Show(ctx); after.Revision != before.Revision {
		t.Fatal("a refused import changed the state")
	}

	// UT comes back in sequence 3: trusted again from that import.
	back := dropped.Add(30 * 24 * time.Hour)
	f.clk.Set(back)
	if _, err := f.svc.ImportList(ctx, loteImport(t, back, reissue(3, "2026-10-20T00:00:00Z", "2027-03-01T00:00:00Z", false))); err != nil {
		t.Fatal(err)
	}
	st, _ = f.svc.Show(ctx)
	for _, tc := range []struct {
		at   time.Time
		want bool
	}{{iat, true}, {dropped.Add(time.Hour), false}, {back.Add(time.Hour), true}} {
		if d, _ := st.Registry.AnchorTrustedAt(ut02, trust.AnchorPID, tc.at); d.Trusted != tc.want {
			t.Errorf("UT 02 at %s: trusted %v (%s), want %v", tc.at, d.Trusted, d.Reason, tc.want)
		}
	}
	if len(st.Registry.Entities) != 7 {
		t.Fatalf("%d entities after three imports, want 7", len(st.Registry.Entities))
	}
}

// TestImportListBadInput: bad imports are refused before anything changes.
func TestImportListBadInput(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	now := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	good := loteImport(t, now, nil)
	for name, change := range map[string]func(in *registry.ListImport){
		"no format":        func(in *registry.ListImport) { in.Format = "" },
		"bad caps":         func(in *registry.ListImport) { in.Authorization.MaxStrength = 9 },
		"not a cert":       func(in *registry.ListImport) { in.Entities[0].Anchors[0].DER = []byte("x") },
		"duplicate entity": func(in *registry.ListImport) { in.Entities[1].Key = in.Entities[0].Key },
	} {
		in := good
		in.Entities = append([]registry.ListEntity(nil), good.Entities...)
		in.Entities[0].Anchors = append([]registry.ListAnchor(nil), good.Entities[0].Anchors...)
		change(&in)
		if _, err := f.svc.ImportList(ctx, in); !errors.Is(err, registry.ErrInvalidInput) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if st, _ := f.svc.Show(ctx); len(st.Registry.Entities) != 0 || len(st.Lists) != 0 {
		t.Fatal("refused imports changed the registry")
	}
}
