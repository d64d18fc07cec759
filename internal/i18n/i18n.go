// Package i18n owns the words Cairn's desk tools print around the
// catalogue's own labels: the issuing prompt's instructions, kinds of
// answer, refusals and confirmation, and the printed offer sheet, in the
// catalogue's four languages (en, fr, ar, uk), with each language's
// writing direction and its way of writing a date and time.
//
// Messages are keyed by their English text; a language without a message
// falls back to English (TestCatalogueComplete keeps the four complete).
// It implements no external specification; the language choice follows
// BCP 47 (RFC 5646) tags as the catalogue does.
package i18n

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/language"
)

// Languages are the languages messages exist in, English first.
var Languages = []string{"en", "fr", "ar", "uk"}

var matcher = language.NewMatcher([]language.Tag{language.English, language.French, language.Arabic, language.Ukrainian})

// Pick is the language of Languages that serves tag (a BCP 47 tag or an
// Accept-Language list): "fr" for "fr-CA", "en" for anything unknown.
func Pick(tag string) string {
	l, _ := Match(tag)
	return l
}

// Match is Pick that also tells whether anything in tag matched: ok is
// false when tag is too long, malformed, empty or matches none of
// Languages (then "en").
func Match(tag string) (lang string, ok bool) {
	if len(tag) > 256 {
		return "en", false
	}
	tags, _, err := language.ParseAcceptLanguage(tag)
	if err != nil || len(tags) == 0 {
		return "en", false
	}
	_, i, conf := matcher.Match(tags...)
	if conf == language.No {
		return "en", false
	}
	return Languages[i], true
}

// T is message key (its English text, a fmt format) in lang, formatted
// with args.
func T(lang, key string, args ...any) string {
	format := key
	if m, ok := messages[Pick(lang)][key]; ok {
		format = m
	}
	if len(args) == 0 {
		return format
	}
	return fmt.Sprintf(format, args...)
}

// Has reports whether lang (as Pick chooses it) has its own text for key:
// English always does.
func Has(lang, key string) bool {
	l := Pick(lang)
	if l == "en" {
		return true
	}
	_, ok := messages[l][key]
	return ok
}

// Dir is the writing direction of lang: "rtl" or "ltr" (HTML dir).
func Dir(lang string) string {
	if Pick(lang) == "ar" {
		return "rtl"
	}
	return "ltr"
}

// Lang is the HTML lang attribute for lang: the language Pick chooses.
func Lang(lang string) string { return Pick(lang) }

// months in each language, in the form used after a day number.
var months = map[string][12]string{
	"en": {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
	"fr": {"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"},
	"ar": {"يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر"},
	"uk": {"січня", "лютого", "березня", "квітня", "травня", "червня", "липня", "серпня", "вересня", "жовтня", "листопада", "грудня"},
}

// Date writes the calendar date of t (in t's location) as lang writes
// it: "2 December 2026", "2 décembre 2026", "2 ديسمبر 2026", "2 грудня
// 2026 р.".
func Date(lang string, t time.Time) string {
	l := Pick(lang)
	d := strconv.Itoa(t.Day()) + " " + months[l][t.Month()-1] + " " + strconv.Itoa(t.Year())
	if l == "uk" {
		d += " р."
	}
	return d
}

// DateTime writes the date and the time of day of t (in t's location,
// 24-hour clock) with the zone's abbreviation: "2 December 2026, 14:05
// CET"; French writes "14 h 05".
func DateTime(lang string, t time.Time) string {
	l := Pick(lang)
	clock := t.Format("15:04")
	if l == "fr" {
		clock = t.Format("15") + " h " + t.Format("04")
	}
	sep := ", "
	if l == "ar" {
		sep = "، "
	}
	return Date(l, t) + sep + clock + " " + t.Format("MST")
}

// Problem translates a message about a claim or an answer ("must be a
// whole number", "is not one of the allowed values: day, month, year",
// "must be at most 99") into lang: the message itself when it is a key;
// else its known beginning, with the rest (a list, a parenthesis) kept;
// else the message with its number as the argument. A message it does
// not know stays in English.
func Problem(lang, msg string) string {
	if Pick(lang) == "en" {
		return msg
	}
	if Has(lang, msg) {
		return T(lang, msg)
	}
	for _, sep := range []string{": ", " ("} {
		if head, rest, ok := strings.Cut(msg, sep); ok && Has(lang, head) {
			return T(lang, head) + sep + rest
		}
	}
	// A key with one %s whose text around it matches: "must be at most
	// %s", "does not match the date typed (%s only)".
	for key, m := range messages[Pick(lang)] {
		before, after, ok := strings.Cut(key, "%s")
		if ok && !strings.Contains(after, "%") && !strings.Contains(before, "%") &&
			len(msg) > len(before)+len(after) && strings.HasPrefix(msg, before) && strings.HasSuffix(msg, after) {
			return fmt.Sprintf(m, msg[len(before):len(msg)-len(after)])
		}
	}
	return msg
}
