//go:build !linux

package main

import "os"

// isTTY: elsewhere a character device counts as a terminal.
func isTTY(*os.File) bool { return true }
