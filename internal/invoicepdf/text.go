package invoicepdf

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// The PDF uses the core fonts (Helvetica), which hold the Windows-1252
// characters only: no font file to ship, a PDF of a few kilobytes. fpdf's
// translator maps UTF-8 onto that code page ("€", "é", "–" survive) and
// prints anything else as "."; latin1 first turns what it can into a
// sensible look-alike: a letter without its accent ("ł"→"l", "č"→"c"), an
// arrow into "->", so a Polish or Czech name stays readable.

// fallbacks are look-alikes for common characters the code page lacks.
var fallbacks = map[rune]string{
	'→': "->", '←': "<-", '↔': "<->", '≤': "<=", '≥': ">=", '≠': "!=", '✓': "v", '✔': "v",
	'ł': "l", 'Ł': "L", 'đ': "d", 'Đ': "D", 'ı': "i", '−': "-", '‐': "-", '‑': "-", '⁄': "/",
	'\u00a0': " ", '\u202f': " ", '\u2009': " ",
}

// latin1 returns a translator for the core fonts: tr maps each rune it can,
// the rest fall back to a look-alike or "?".
func latin1(tr func(string) string) func(string) string {
	return func(s string) string {
		var b strings.Builder
		for _, r := range s {
			switch {
			case r == '\n' || r == '\t':
				b.WriteByte(' ')
			case r < 0x20 || r == 0x7f:
			case r < 0x80:
				b.WriteRune(r)
			default:
				b.WriteString(oneRune(tr, r))
			}
		}
		return b.String()
	}
}

func oneRune(tr func(string) string, r rune) string {
	if out := tr(string(r)); out != "." {
		return out
	}
	if f, ok := fallbacks[r]; ok {
		return f
	}
	// Decompose ("č" → "c" + caron) and keep the base letter when it is ASCII.
	var base []rune
	for _, d := range norm.NFD.String(string(r)) {
		if !unicode.Is(unicode.Mn, d) {
			base = append(base, d)
		}
	}
	if len(base) == 1 && base[0] < 0x80 {
		return string(base)
	}
	return "?"
}
