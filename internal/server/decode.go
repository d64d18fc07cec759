package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/cairn-id/cairn/internal/jsonx"
)

// DecodeJSON reads r's body, at most max bytes, into v, strictly:
//
//   - the media type must be exactly application/json (parameters such as
//     charset are allowed; application/json-patch+json and a missing
//     Content-Type are not): else 415 unsupported_media_type;
//   - a body larger than max: 413 too_large;
//   - the body must be exactly one JSON value (RFC 8259) with no trailing
//     data, valid UTF-8, and no object with two members whose names are
//     equal, or equal ignoring case (encoding/json matches names without
//     regard to case, so those would silently merge): else 400
//     invalid_request.
//
// Failures are *Error values ready for WriteError; the decoder's detail is
// their Cause, so it is logged and not sent.
func DecodeJSON(w http.ResponseWriter, r *http.Request, max int64, v any) error {
	return decodeJSON(w, r, max, v, false)
}

// DecodeJSONStrict is DecodeJSON that also refuses (400 invalid_request)
// an object member v has no field for, so that a misspelt field is an
// error rather than a silent default. The body is parsed once by each of
// the two decoders (jsonx for the checks, encoding/json into v), as in
// DecodeJSON.
func DecodeJSONStrict(w http.ResponseWriter, r *http.Request, max int64, v any) error {
	return decodeJSON(w, r, max, v, true)
}

func decodeJSON(w http.ResponseWriter, r *http.Request, max int64, v any, strict bool) error {
	if err := checkMediaType(r.Header.Get("Content-Type")); err != nil {
		return err
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return &Error{Status: http.StatusRequestEntityTooLarge, Code: CodeTooLarge, Message: fmt.Sprintf("body larger than %d bytes", max)}
		}
		return &Error{Status: http.StatusBadRequest, Code: CodeInvalidRequest, Message: "could not read the body", Cause: err}
	}
	return decodeBytes(b, v, strict)
}

// DecodeJSONBytes is DecodeJSON's decoding step on a body already read.
func DecodeJSONBytes(b []byte, v any) error {
	return decodeBytes(b, v, false)
}

func decodeBytes(b []byte, v any, strict bool) error {
	tree, err := jsonx.Decode(b)
	if err == nil {
		err = jsonx.NoFoldedDuplicates(tree)
	}
	if err == nil && strict {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		err = dec.Decode(v) // jsonx has checked there is one value and nothing after it
	} else if err == nil {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		return &Error{Status: http.StatusBadRequest, Code: CodeInvalidRequest, Message: "the body is not valid JSON of the expected shape", Cause: err}
	}
	return nil
}

func checkMediaType(ct string) error {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || !strings.EqualFold(mt, "application/json") {
		return &Error{Status: http.StatusUnsupportedMediaType, Code: CodeMediaType, Message: "send application/json"}
	}
	return nil
}
