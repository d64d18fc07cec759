package pg

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"

	"github.com/cairn-id/cairn/internal/fsx"
)

// EnvStore is the environment variable holding a store URL (the password
// may be in it: the environment is not shown in the process list).
const EnvStore = "CAIRN_STORE"

// Errors of Resolve and Open; match them with errors.Is.
var (
	// ErrNotURL: a store location that is not a postgres:// URL.
	ErrNotURL = errors.New("store: not a postgres:// or postgresql:// URL")
	// ErrPasswordInFlag: a password in a command-line URL, which the
	// process list shows to every user of the machine.
	ErrPasswordInFlag = errors.New("store: a password in --store would show in the process list; put the URL in " + EnvStore + " or in a file (--store-file)")
	// ErrStoreFlags: --store and --store-file together.
	ErrStoreFlags = errors.New("store: --store and --store-file exclude each other")
	// ErrInsecureFile: a store file other users may read.
	ErrInsecureFile = errors.New("store: the store file is readable by other users (chmod 600)")
	// ErrBadSchemaPrefix: a cairn_schema_prefix that is not a plain
	// lower-case identifier.
	ErrBadSchemaPrefix = errors.New("store: cairn_schema_prefix must match [a-z][a-z0-9_]{0,30}")
)

// IsURL reports whether s names a PostgreSQL store.
func IsURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Resolve picks the store URL of a command: flag (--store: a URL
// without a password), else the first line of file (--store-file: mode
// 0600 or stricter), else getenv(EnvStore). It returns "" when none is
// given (the caller keeps its bbolt file). Its errors never contain the
// URL's password.
func Resolve(flag, file string, getenv func(string) string) (string, error) {
	switch {
	case flag != "" && file != "":
		return "", ErrStoreFlags
	case flag != "":
		if !IsURL(flag) {
			return "", fmt.Errorf("--store %s: %w", Redact(flag), ErrNotURL)
		}
		u, err := url.Parse(flag)
		if err != nil {
			return "", fmt.Errorf("--store: %w", ErrNotURL) // url's error would quote the input
		}
		if _, has := u.User.Password(); has || u.Query().Has("password") {
			return "", ErrPasswordInFlag
		}
		return flag, nil
	case file != "":
		raw, err := fsx.ReadSecret(file, 8<<10)
		if errors.Is(err, fsx.ErrInsecureMode) {
			return "", fmt.Errorf("%w: %w", ErrInsecureFile, err)
		}
		if err != nil {
			return "", fmt.Errorf("store file: %w", err)
		}
		line, _, _ := strings.Cut(string(raw), "\n")
		line = strings.TrimSpace(line)
		if !IsURL(line) {
			return "", fmt.Errorf("store file %s: %w", file, ErrNotURL)
		}
		return line, nil
	}
	if getenv == nil {
		getenv = os.Getenv
	}
	v := strings.TrimSpace(getenv(EnvStore))
	if v == "" {
		return "", nil
	}
	if !IsURL(v) {
		return "", fmt.Errorf("%s: %w", EnvStore, ErrNotURL)
	}
	return v, nil
}

// redacted replaces a password in a message.
const redacted = "xxxxx"

var passwordParam = regexp.MustCompile(`(?i)(password=)[^&\s]*`)

// Redact returns s, a store URL, with its password (user info or
// password= parameter) replaced by xxxxx: the form logs and errors show.
func Redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		// An unparsable URL may hide a password anywhere after the
		// scheme: show the scheme alone.
		scheme, _, _ := strings.Cut(s, "://")
		return scheme + "://" + redacted
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), redacted)
		}
	}
	return passwordParam.ReplaceAllString(u.String(), "${1}"+redacted)
}

// secrets returns the strings of a URL no message may contain: its
// password, raw and decoded, and the password= parameter.
func secrets(raw string) []string {
	u, err := url.Parse(raw)
	if err != nil {
		return []string{raw}
	}
	var out []string
	if p, has := u.User.Password(); has && p != "" {
		out = append(out, p, url.UserPassword("", p).String()[1:])
	}
	if p := u.Query().Get("password"); p != "" {
		out = append(out, p, url.QueryEscape(p))
	}
	return out
}

// redactError is an error whose message has the store's secrets
// replaced; errors.Is and errors.As still see the cause.
type redactError struct {
	msg string
	err error
}

func (e *redactError) Error() string { return e.msg }
func (e *redactError) Unwrap() error { return e.err }

// redactErr wraps err so that its message holds none of secrets.
func redactErr(err error, secrets []string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	changed := false
	for _, s := range secrets {
		if s != "" && strings.Contains(msg, s) {
			msg, changed = strings.ReplaceAll(msg, s, redacted), true
		}
	}
	if !changed {
		return err
	}
	return &redactError{msg: msg, err: err}
}
