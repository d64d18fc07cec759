package wallet

import (
	"encoding/json"
	"errors"
	"testing"
)

// FuzzParseExportHeader: any input is refused with ErrExportFormat or
// parsed into a header within the bounds (never a panic, never an
// Argon2id cost above the import bound).
func FuzzParseExportHeader(f *testing.F) {
	good := (&ExportHeader{Version: 1, KDF: KDFParams{Time: 1, MemoryKiB: 64, Threads: 1},
		Salt: make([]byte, SaltLen), Nonce: make([]byte, 24)}).marshal()
	f.Add(append(good, make([]byte, 32)...))
	f.Add([]byte(ExportMagic))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseExportHeader(b)
		if err != nil {
			if !errors.Is(err, ErrExportFormat) {
				t.Fatalf("error outside ErrExportFormat: %v", err)
			}
			return
		}
		if h.KDF.Check() != nil || h.KDF.MemoryKiB > maxExportMemory || len(h.Salt) != SaltLen || len(h.Nonce) != 24 {
			t.Fatalf("accepted header out of bounds: %+v", h)
		}
	})
}

// FuzzDecodeExportPayload: the decrypted payload decoder refuses
// malformed content with ErrExportFormat and accepts only payloads whose
// keys, credentials and log chain hold.
func FuzzDecodeExportPayload(f *testing.F) {
	k := keyRecord{Index: 0, D: make([]byte, 32)}
	k.D[31] = 1
	e := LogEntry{Seq: 1, Event: EventPresentation}
	e.Hash, _ = e.hash()
	good, _ := json.Marshal(exportPayload{Format: exportFormat, Keys: []keyRecord{k},
		Credentials: []Credential{{ID: "credential-1", Group: "group-0001", Compact: "a.b.c~"}}, Log: []LogEntry{e}})
	f.Add(good)
	f.Add([]byte(`{"format":"cairn-wallet-export-v1","keys":[]}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := decodeExportPayload(b)
		if err != nil {
			if !errors.Is(err, ErrExportFormat) {
				t.Fatalf("error outside ErrExportFormat: %v", err)
			}
			return
		}
		if len(p.Keys) == 0 {
			t.Fatal("accepted a payload without keys")
		}
		for i, e := range p.Log {
			if h, _ := e.hash(); h != e.Hash || e.Seq != uint64(i+1) {
				t.Fatalf("accepted a broken chain at %d", i+1)
			}
		}
	})
}
