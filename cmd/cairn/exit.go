package main

import (
	"errors"
	"strings"
)

// Exit codes, documented in the root command's help. They are part of the
// CLI contract: scripts at issuing desks branch on them.
const (
	ExitOK            = 0
	ExitFailure       = 1
	ExitUsage         = 2
	ExitInvalid       = 3
	ExitUntrusted     = 4
	ExitExpired       = 5
	ExitRevoked       = 6
	ExitSuspended     = 7
	ExitNotAuthorized = 8
	// ExitStatusUnknown: the credential could not be checked for
	// revocation (its status list unreachable or unusable); its signature
	// and issuer were checked. Not the same as invalid (3).
	ExitStatusUnknown = 9
	// ExitNothingOffered: a batch created no offer (every row refused);
	// also a trusted-list import that found nothing to import (no service
	// qualified as an anchor).
	ExitNothingOffered = 10
	// ExitUndetermined: a verifier check could not be made (a status
	// list unreachable); the same code as ExitStatusUnknown.
	ExitUndetermined = ExitStatusUnknown
	// ExitNoResult: a verifier session has no result yet, or expired
	// unanswered.
	ExitNoResult = 11
	// ExitRefused: the presentation as a whole was refused or needs
	// review (different holders, query not answered, declined, names
	// disagreeing).
	ExitRefused = 12
	// ExitStaleBundle: the offline bundle is past its expiry (see
	// --accept-stale).
	ExitStaleBundle = 13
	// ExitLocked: the wallet agent locked the holder or the client
	// address out after wrong PINs, or rate-limited it: wait, then retry.
	ExitLocked = 20
	// ExitNoSession: no wallet session (none kept, expired, logged out,
	// or ended by a PIN change, a recovery or a wipe): log in again.
	ExitNoSession = 21
	// ExitWrongSecret: a wrong PIN, device secret, recovery code or
	// export passphrase.
	ExitWrongSecret = 22
)

// exitError carries an exit code with the error that caused it.
type exitError struct {
	code int
	err  error
	// reported: the command already printed the outcome (e.g. a
	// verification result with its message), so run prints nothing more.
	reported bool
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// withExit tags err with an exit code; nil stays nil.
func withExit(code int, err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}

// reportedExit tags err with an exit code, for an outcome the command has
// already printed on standard output: it is not repeated on standard error.
func reportedExit(code int, err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: code, err: err, reported: true}
}

// usageError tags err as a usage error (exit 2).
func usageError(err error) error { return withExit(ExitUsage, err) }

// exitCode maps an error to the process exit code.
func exitCode(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	// cobra reports unknown commands and argument-count errors as plain errors.
	msg := err.Error()
	if strings.HasPrefix(msg, "unknown command") || strings.HasPrefix(msg, "accepts ") ||
		strings.HasPrefix(msg, "requires ") || strings.Contains(msg, "unknown flag") ||
		strings.HasPrefix(msg, "required flag") || strings.HasPrefix(msg, "if any flags in the group") ||
		strings.HasPrefix(msg, "at least one of the flags in the group") || strings.Contains(msg, "flag needs an argument") ||
		strings.HasPrefix(msg, "invalid argument") {
		return ExitUsage
	}
	return ExitFailure
}
