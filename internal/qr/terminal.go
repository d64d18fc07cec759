package qr

import (
	"bufio"
	"fmt"
	"io"
)

// Half-block characters: each character cell shows two modules, the top
// one in the upper half and the bottom one in the lower half.
const (
	blockUpper = '▀' // U+2580: top half foreground
	blockLower = '▄' // U+2584: bottom half foreground
	blockFull  = '█' // U+2588
	blockNone  = ' '
)

// ANSI colours: black foreground on a white background, so the code reads
// dark-on-light whatever the terminal's own colours are.
const (
	ansiDarkOnLight = "\x1b[30;47m"
	ansiReset       = "\x1b[0m"
)

// TerminalOptions adjusts the terminal rendering.
type TerminalOptions struct {
	// Level is the error correction level (zero: medium).
	Level Level
	// Plain drops the ANSI colours, for output that is not a colour
	// terminal (NO_COLOR, files). Without colours, characters are drawn in
	// the terminal's foreground colour.
	Plain bool
	// Invert, with Plain, draws light modules instead of dark ones: right
	// for terminals with light text on a dark background, which is most of
	// them. Without Invert, a plain code is right on light terminals only.
	// Phone scanners read many inverted codes, not all.
	Invert bool
	// NoHint leaves out the text line under the code.
	NoHint bool
}

// Terminal writes text as a compact QR code for a terminal: two modules per
// character row using Unicode half blocks, quiet zone included, drawn black
// on white with ANSI colours so it scans on dark and light terminals
// alike, followed by the text itself as a fallback for copying by hand.
func Terminal(w io.Writer, text string) error {
	return TerminalWith(w, text, TerminalOptions{})
}

// TerminalWith is Terminal with options.
func TerminalWith(w io.Writer, text string, o TerminalOptions) error {
	modules, err := Modules(text, o.Level)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	// With colours the character's foreground is the dark colour; plain
	// and inverted, the foreground shows light modules.
	ink := func(dark bool) bool { return dark != (o.Plain && o.Invert) }
	for y := 0; y < len(modules); y += 2 {
		row := modules[y]
		var below []bool
		if y+1 < len(modules) {
			below = modules[y+1]
		}
		if !o.Plain {
			bw.WriteString(ansiDarkOnLight)
		}
		for x := range row {
			top := ink(row[x])
			// An odd last row has a light (quiet zone) row below it.
			bottom := ink(below != nil && below[x])
			if below == nil && o.Plain && o.Invert {
				bottom = true
			}
			bw.WriteRune(halfBlock(top, bottom))
		}
		if !o.Plain {
			bw.WriteString(ansiReset)
		}
		bw.WriteByte('\n')
	}
	if !o.NoHint {
		fmt.Fprintf(bw, "If the code does not scan, enter this in the wallet app:\n%s\n", text)
	}
	return bw.Flush()
}

func halfBlock(top, bottom bool) rune {
	switch {
	case top && bottom:
		return blockFull
	case top:
		return blockUpper
	case bottom:
		return blockLower
	}
	return blockNone
}
