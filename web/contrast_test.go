package web

import (
	"fmt"
	"io/fs"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// Contrast ratio and relative luminance as WCAG 2.2 defines them
// (success criterion 1.4.3, "contrast (minimum)": 4.5:1 for text).

func luminance(hex string) (float64, error) {
	hex = strings.TrimPrefix(hex, "#")
	if len(hex) == 3 {
		hex = string([]byte{hex[0], hex[0], hex[1], hex[1], hex[2], hex[2]})
	}
	if len(hex) != 6 {
		return 0, fmt.Errorf("not a #rrggbb colour: %q", hex)
	}
	var c [3]float64
	for i := range c {
		v, err := strconv.ParseUint(hex[2*i:2*i+2], 16, 8)
		if err != nil {
			return 0, err
		}
		s := float64(v) / 255
		if s <= 0.04045 {
			c[i] = s / 12.92
		} else {
			c[i] = math.Pow((s+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*c[0] + 0.7152*c[1] + 0.0722*c[2], nil
}

func contrast(a, b string) (float64, error) {
	la, err := luminance(a)
	if err != nil {
		return 0, err
	}
	lb, err := luminance(b)
	if err != nil {
		return 0, err
	}
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05), nil
}

func TestContrastFormula(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want float64
	}{{"#000000", "#ffffff", 21}, {"#ffffff", "#ffffff", 1}, {"#777777", "#ffffff", 4.48}} {
		got, err := contrast(tc.a, tc.b)
		if err != nil || math.Abs(got-tc.want) > 0.01 {
			t.Errorf("contrast(%s, %s) = %.3f, %v; want %.2f", tc.a, tc.b, got, err, tc.want)
		}
	}
}

var customProp = regexp.MustCompile(`--([a-z-]+):\s*(#[0-9a-fA-F]{3,6})\s*;`)

// TestStylesheetContrast computes the contrast of every text colour of
// the stylesheet on every background it is used on.
func TestStylesheetContrast(t *testing.T) {
	css, err := fs.ReadFile(Static(), "cairn.css")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	for _, m := range customProp.FindAllStringSubmatch(string(css), -1) {
		vars[m[1]] = m[2]
	}
	// text colour on background, as the stylesheet pairs them
	pairs := [][2]string{
		{"fg", "bg"}, {"fg", "panel"}, {"muted", "bg"}, {"muted", "panel"},
		{"accent", "bg"}, {"accent", "panel"}, {"accent-fg", "accent"},
		{"ok", "ok-bg"}, {"warn", "warn-bg"}, {"bad", "bad-bg"}, {"bad", "bg"}, {"bad", "panel"},
		{"ok", "bg"}, {"warn", "bg"}, {"bg", "bad"},
	}
	for _, p := range pairs {
		fg, bg := vars[p[0]], vars[p[1]]
		if fg == "" || bg == "" {
			t.Errorf("--%s or --%s is not a colour of the stylesheet", p[0], p[1])
			continue
		}
		c, err := contrast(fg, bg)
		if err != nil {
			t.Error(err)
			continue
		}
		if c < 4.5 {
			t.Errorf("--%s %s on --%s %s: contrast %.2f:1, want ≥ 4.5:1", p[0], fg, p[1], bg, c)
		}
	}
	// the focus ring must stand out from the page (WCAG 1.4.11: 3:1)
	if c, _ := contrast(vars["focus"], vars["bg"]); c < 3 {
		t.Errorf("focus ring contrast %.2f:1, want ≥ 3:1", c)
	}
}
