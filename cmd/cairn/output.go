package main

import (
	"encoding/json"
	"io"
	"os"
)

// writeJSON writes v as indented JSON with a final newline, the form every
// --json output takes; characters such as & and < stay as they are.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return withExit(ExitFailure, err)
	}
	return nil
}

// writerIsTerminal reports whether w is a character device (a terminal),
// where progress bars, colours and QR blocks make sense.
func writerIsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// readerIsTerminal reports whether r is a terminal (for questions that
// need a person, such as confirming a destructive command): a character
// device that answers terminal ioctls (/dev/null is a character device,
// not a terminal).
func readerIsTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0 && isTTY(f)
}
