package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/oid4vci"
	"github.com/cairn-id/cairn/internal/oid4vp"
	"github.com/cairn-id/cairn/internal/sdjwtvc"
	"github.com/cairn-id/cairn/internal/store/pg"
	"github.com/cairn-id/cairn/issuer"
	issuerbolt "github.com/cairn-id/cairn/issuer/boltstore"
	issuerpg "github.com/cairn-id/cairn/issuer/pgstore"
	"github.com/cairn-id/cairn/verifier"
	verifierbolt "github.com/cairn-id/cairn/verifier/boltstore"
	verifierpg "github.com/cairn-id/cairn/verifier/pgstore"
)

// The crash tests (issue 13): a real 'cairn … serve' process, on the
// embedded bbolt store and on PostgreSQL, is killed with SIGKILL during a
// burst of writes (crashBurst), started again on the same store, and
// every write it acknowledged before the kill is found, the store
// consistent, and the writes the burst did not reach succeed.

// TestIssuerCrash: 'cairn issuer serve' is killed during a burst of
// issuances. After a restart every credential a wallet received has its
// record, no status entry is held twice (records and the reservations the
// crash left), and the offers the burst did not reach are issued.
func TestIssuerCrash(t *testing.T) {
	for _, sc := range crashStores {
		t.Run(sc.name, func(t *testing.T) {
			u := sc.url(t)
			root := t.TempDir()
			dir := filepath.Join(root, "desk")
			lb := "http://" + freeAddr(t)
			if res := runStore(t, "", "issuer", "init", "--dir", dir, "--name", "en=Relief", "--url", lb, "--dev", "--type", hrVCT); res.code != 0 {
				t.Fatalf("init: %d %s", res.code, res.stderr)
			}
			claims := filepath.Join(root, "claims.json")
			os.WriteFile(claims, []byte(`{"registration_id":"REG-1","registration_date":"2025-03-02","registration_place":{"country":"LB"}}`), 0o600)
			const total, workers = 24, 6
			var uris []string
			for range total { // before serve: straight into the store
				res := runStore(t, u, "issuer", "offer", "--dir", dir, "--type", hrVCT, "--claims", claims, "--no-png", "--json")
				var out map[string]string
				if res.code != 0 || json.Unmarshal([]byte(res.stdout), &out) != nil {
					t.Fatalf("offer: %d %s", res.code, res.stderr)
				}
				uris = append(uris, out["uri"])
			}
			p := startIssuer(t, dir, u)
			ctx := context.Background()
			var mu sync.Mutex
			acked := map[string]bool{} // status entries of credentials received
			issue := func(p *issuerProcess, uri string) (string, error) {
				holder, _ := keys.Generate(jose.ES256, nil)
				is, err := p.client.RunPreAuthorized(ctx, oid4vci.PreAuthorizedRequest{OfferURI: uri, ConfigurationID: "humanitarian-registration.v1", Holder: holder.JoseSigner()})
				if err != nil {
					return "", err
				}
				return credentialStatus(t, is.Credentials[0]), nil
			}
			left := crashBurst(t, p.serveProcess, uris, workers, total/3, func(uri string) bool {
				st, err := issue(p, uri)
				if err != nil {
					return false // in flight when the process died
				}
				mu.Lock()
				acked[st] = true
				mu.Unlock()
				return true
			})

			p2 := startIssuer(t, dir, u) // the same directory; its stale admin socket is replaced
			for _, uri := range left {
				st, err := issue(p2, uri)
				if err != nil {
					t.Fatalf("an offer the burst did not reach, after the restart: %v", err)
				}
				acked[st] = true
			}
			var st issuer.Store
			var err error
			if u == "" {
				p2.stop() // bbolt: one process holds the file
				st, err = issuerbolt.Open(filepath.Join(dir, "issuer.db"))
			} else {
				st, err = issuerpg.Open(ctx, u, pg.Options{})
			}
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			held := map[string]string{}
			err = st.View(ctx, func(tx issuer.Tx) error {
				hold := func(list string, idx int, by string) {
					k := fmt.Sprint(list, "/", idx)
					if prev, dup := held[k]; dup {
						t.Errorf("status entry %s held by %s and %s", k, prev, by)
					}
					held[k] = by
				}
				return errors.Join(
					tx.ForEachRecord(func(r *issuer.Record) error { hold(r.StatusList, r.StatusIndex, "record "+r.CredentialID); return nil }),
					tx.ForEachReservation(func(r *issuer.Reservation) error {
						if r.State == issuer.ReservationPending { // a pending one may have become a record: the record holds it
							if _, err := tx.Record(r.CredentialID); err == nil {
								return nil
							}
						}
						hold(r.StatusList, r.StatusIndex, "reservation "+r.CredentialID)
						return nil
					}))
			})
			if err != nil {
				t.Fatal(err)
			}
			for k := range acked {
				if !strings.HasPrefix(held[k], "record ") {
					t.Errorf("credential with status %s was received but has no record (%q)", k, held[k])
				}
			}
			if len(acked) < total-workers {
				t.Errorf("%d credentials received of %d offers (at most %d lost in flight)", len(acked), total, workers)
			}
			t.Logf("%d offers: %d credentials received (%d after the restart), %d entries held", total, len(acked), len(left), len(held))
		})
	}
}

// TestVerifierCrash: 'cairn verifier serve' is killed during a burst of
// verifications (a session created through its admin socket, the request
// object fetched and a presentation posted to it, direct_post). After a
// restart every session whose creation was acknowledged is in the store,
// every response acknowledged (200) has its session answered and its
// result stored and served as valid, and the work the burst did not
// reach succeeds.
func TestVerifierCrash(t *testing.T) {
	for _, sc := range crashStores {
		t.Run(sc.name, func(t *testing.T) {
			u := sc.url(t)
			root := t.TempDir()
			dir := filepath.Join(root, "desk")
			r := runCLI(t, "verifier", "init", "--dir", dir, "--name", "en=Desk", "--url", "http://"+freeAddr(t), "--dev")
			if r.code != ExitOK {
				t.Fatalf("init: %d %s", r.code, r.stderr)
			}
			w := newVerifierWorld(t, strings.SplitN(r.stdout, "\n", 2)[0], time.Now().Add(24*time.Hour))
			cred := w.credential(t, time.Now().Add(-time.Hour))
			regFile := filepath.Join(root, "registry.jws")
			os.WriteFile(regFile, []byte(w.snapshot(t)), 0o600)
			p := startVerifierProcess(t, dir, u, regFile, w.authFile)

			var mu sync.Mutex
			acked := map[string]bool{} // session id → response acknowledged
			// verify runs one verification against the process at addr and
			// records each acknowledged step.
			verify := func(addr string) error {
				r := runCLIAt(t, time.Now(), "verifier", "request", "--dir", dir, "--purpose", "clinic-access", "--json")
				var req verifier.Request
				if r.code != ExitOK || json.Unmarshal([]byte(r.stdout), &req) != nil {
					return fmt.Errorf("request: %d %s", r.code, r.stderr)
				}
				mu.Lock()
				acked[req.SessionID] = false
				mu.Unlock()
				ru, err := oid4vp.ParseRequestURI(req.URI, oid4vp.Options{Dev: true})
				if err != nil {
					return err
				}
				resp, err := http.Get(onHost(t, ru.RequestURI, addr))
				if err != nil {
					return err
				}
				jws, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				ar, err := oid4vp.VerifyRequestObject(context.Background(), string(jws), oid4vp.VerifyOptions{Options: oid4vp.Options{Dev: true}, ClientID: ru.ClientID, Resolver: &did.Resolver{}})
				if err != nil {
					return err
				}
				vp, err := sdjwtvc.Present(cred, w.holder.JoseSigner(), sdjwtvc.PresentOptions{Paths: []string{"/family_name", "/given_name", "/birthdate"}, Audience: oid4vp.KBAudience(ar.ClientID), Nonce: ar.Nonce})
				if err != nil {
					return err
				}
				form, err := (&oid4vp.Response{VPToken: oid4vp.VPToken{"identity": {vp}}, State: ar.State}).EncryptedForm(ar, nil)
				if err != nil {
					return err
				}
				resp, err = http.PostForm(onHost(t, ar.ResponseURI, addr), form)
				if err != nil {
					return err
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					return fmt.Errorf("response: %s", resp.Status)
				}
				mu.Lock()
				acked[req.SessionID] = true
				mu.Unlock()
				return nil
			}
			const total, workers = 24, 4
			left := crashBurst(t, p, make([]struct{}, total), workers, total/3, func(struct{}) bool { return verify(p.addr) == nil })

			p2 := startVerifierProcess(t, dir, u, regFile, w.authFile)
			for range left {
				if err := verify(p2.addr); err != nil {
					t.Fatalf("a verification the burst did not reach, after the restart: %v", err)
				}
			}
			answered := 0
			for id, ok := range acked {
				if !ok {
					continue
				}
				answered++
				if r := runCLIAt(t, time.Now(), "verifier", "result", "--dir", dir, id); r.code != ExitOK || !strings.Contains(r.stdout, "VALID (valid)") {
					t.Errorf("acknowledged response %s, after the restart: %d %s%s", id, r.code, r.stdout, r.stderr)
				}
			}
			var st verifier.Store
			var err error
			ctx := context.Background()
			if u == "" {
				p2.stop()
				st, err = verifierbolt.Open(filepath.Join(dir, "verifier.db"))
			} else {
				st, err = verifierpg.Open(ctx, u, pg.Options{})
			}
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			err = st.View(ctx, func(tx verifier.Tx) error {
				for id, ok := range acked {
					se, err := tx.Session(id)
					if err != nil {
						t.Errorf("acknowledged session %s: %v", id, err)
						continue
					}
					sr, rerr := tx.Result(id)
					if ok && (se.Status != verifier.SessionAnswered || rerr != nil || sr.Code != verifier.CodeValid) {
						t.Errorf("acknowledged response %s: session %s, result %v %v", id, se.Status, sr, rerr)
					}
					if (se.Status == verifier.SessionAnswered) != (rerr == nil) {
						t.Errorf("session %s is %s, its result %v: answered and stored are one write", id, se.Status, rerr)
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if answered < total-workers {
				t.Errorf("%d responses acknowledged of %d (at most %d lost in flight)", answered, total, workers)
			}
			t.Logf("%d verifications: %d sessions acknowledged, %d responses (%d after the restart)", total, len(acked), answered, len(left))
		})
	}
}

// TestWalletAgentCrash: 'cairn wallet serve' is killed during a burst of
// holders, each created and then receiving one credential from an issuer
// (OpenID4VCI through the agent). After a restart every holder whose
// creation was acknowledged logs in with its PIN and device secret, and
// every credential whose storing was acknowledged is listed; the holders
// the burst did not reach are created and served.
func TestWalletAgentCrash(t *testing.T) {
	for _, sc := range crashStores {
		t.Run(sc.name, func(t *testing.T) {
			u := sc.url(t)
			work := t.TempDir()
			ngo, issAddr := filepath.Join(work, "ngo"), freeAddr(t)
			if code, _, stderr := issuerCLI(t, "issuer", "init", "--dir", ngo, "--name", "en=Relief", "--url", "http://"+issAddr, "--dev", "--type", hrVCT); code != 0 {
				t.Fatalf("issuer init: %d %s", code, stderr)
			}
			serveInProcess(t, ngo, issAddr, "--client-rate", "0")
			claims := filepath.Join(work, "c.json")
			os.WriteFile(claims, []byte(`{"registration_id":"REG-1","registration_date":"2025-03-02","registration_place":{"country":"LB"}}`), 0o600)
			pin := filepath.Join(work, "pin")
			os.WriteFile(pin, []byte("482913\n"), 0o600)
			data := filepath.Join(work, "agent")
			const total, workers = 8, 3 // total within the agent's holder-creation burst
			type holder struct{ session, offer string }
			var hs []holder
			for i := range total {
				code, out, stderr := issuerCLI(t, "issuer", "offer", "--no-png", "--dir", ngo, "--type", hrVCT, "--claims", claims, "--json")
				var o map[string]string
				if code != 0 || json.Unmarshal([]byte(out), &o) != nil {
					t.Fatalf("offer: %d %s", code, stderr)
				}
				hs = append(hs, holder{filepath.Join(work, fmt.Sprintf("s%d.json", i)), o["uri"]})
			}
			p := startServe(t, u, "wallet", "serve", "--data", data, "--dev-allow-private-network")
			var mu sync.Mutex
			acked := map[string]int{} // session file → credentials acknowledged
			serveHolder := func(addr string, h holder) bool {
				if code, _, _ := walletCLI(t, "wallet", "--agent", "http://"+addr, "--session", h.session, "holder", "create", "--pin-file", pin); code != 0 {
					return false
				}
				mu.Lock()
				acked[h.session] = 0
				mu.Unlock()
				if code, _, _ := walletCLI(t, "wallet", "--agent", "http://"+addr, "--session", h.session, "receive", h.offer, "--yes"); code != 0 {
					return false
				}
				mu.Lock()
				acked[h.session] = 1
				mu.Unlock()
				return true
			}
			left := crashBurst(t, p, hs, workers, 3, func(h holder) bool { return serveHolder(p.addr, h) })

			p2 := startServe(t, u, "wallet", "serve", "--data", data, "--dev-allow-private-network")
			for _, h := range left {
				if !serveHolder(p2.addr, h) {
					t.Fatalf("a holder the burst did not reach, after the restart: not served")
				}
			}
			creds := 0
			for session, n := range acked {
				if code, _, stderr := walletCLI(t, "wallet", "--agent", "http://"+p2.addr, "--session", session, "holder", "login", "--pin-file", pin); code != 0 {
					t.Errorf("acknowledged holder %s, after the restart: login %d %s", filepath.Base(session), code, stderr)
					continue
				}
				code, out, stderr := walletCLI(t, "wallet", "--agent", "http://"+p2.addr, "--session", session, "list", "--json")
				var list struct{ Credentials []json.RawMessage }
				if code != 0 || json.Unmarshal([]byte(out), &list) != nil {
					t.Errorf("list %s: %d %s", filepath.Base(session), code, stderr)
					continue
				}
				if len(list.Credentials) < n {
					t.Errorf("holder %s: %d credentials listed, %d acknowledged", filepath.Base(session), len(list.Credentials), n)
				}
				creds += n
			}
			if creds < total-workers {
				t.Errorf("%d credentials acknowledged of %d (at most %d lost in flight)", creds, total, workers)
			}
			t.Logf("%d holders: %d created, %d credentials acknowledged (%d holders after the restart)", total, len(acked), creds, len(left))
		})
	}
}
