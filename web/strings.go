package web

import "fmt"

// T is the page text key (its English text, a fmt format) in lang,
// formatted with args. A key without a translation shows in English
// (TestStringsComplete keeps fr, ar and uk complete for every key the
// templates and handlers use).
func T(lang, key string, args ...any) string {
	format := key
	if m, ok := texts[lang][key]; ok {
		format = m
	}
	if len(args) == 0 {
		return format
	}
	return fmt.Sprintf(format, args...)
}
