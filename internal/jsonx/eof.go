package jsonx

import (
	"encoding/json"
	"errors"
	"io"
)

// AtEOF reports whether dec has nothing left but white space after the
// value it decoded. Callers of encoding/json use it after Decode to refuse
// trailing data; json.Decoder.More is not enough there, since it reports
// false before a stray '}' or ']'.
func AtEOF(dec *json.Decoder) bool {
	_, err := dec.Token()
	return errors.Is(err, io.EOF)
}
