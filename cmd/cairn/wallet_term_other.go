//go:build !linux

package main

import "io"

// noEcho is a no-op where terminal control is not wired: the secret is
// echoed; prefer the --*-file flags there.
func noEcho(io.Reader) func() { return nil }
