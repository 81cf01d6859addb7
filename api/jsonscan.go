package api

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// scanJSON is the one pass over a request body's bytes that encoding/json
// cannot stand in for. It refuses text that is not valid Unicode (invalid
// UTF-8, or an escaped half of a surrogate pair), which the decoder turns
// into U+FFFD without a word, and an object member named twice, of which
// the decoder silently keeps the last. The decoder matches names regardless
// of case, so "name" and "Name" are the same field twice.
//
// raw has already been decoded, so it is well-formed JSON: the scanner
// need not check the grammar. It allocates only for escaped names and for
// objects with many members.
func scanJSON(raw []byte) error {
	s := scanner{raw: raw}
	s.value()
	return s.err
}

type scanner struct {
	raw  []byte
	i    int
	path []step   // the members and elements the scanner is inside
	keys [][]byte // the names of the objects on the path, each object's after the last's
	err  error
}

// step is one member name, or one array index when key is nil.
type step struct {
	key   []byte
	index int
}

// manyKeys is the member count beyond which an object's names go into a map,
// so that a body of a million short members costs linear time.
const manyKeys = 16

func (s *scanner) value() {
	s.space()
	switch s.raw[s.i] {
	case '{':
		s.object()
	case '[':
		s.array()
	case '"':
		if _, ok := s.str(); !ok {
			s.fail("must be valid UTF-8 text")
		}
	default: // a number, true, false or null
		for s.i < len(s.raw) && !strings.ContainsRune(",]} \t\r\n", rune(s.raw[s.i])) {
			s.i++
		}
	}
}

func (s *scanner) object() {
	s.i++ // {
	first := len(s.keys)
	defer func() { s.keys = s.keys[:first] }()
	var folded map[string][]byte // by folded name, once the object has many
	for {
		s.space()
		if s.raw[s.i] == '}' {
			s.i++
			return
		}
		name, ok := s.str()
		if !ok {
			s.fail("holds a field name that is not valid UTF-8")
			return
		}
		if bytes.IndexByte(name, '\\') >= 0 {
			var unescaped string
			json.Unmarshal(name, &unescaped) // well-formed: the decoder read it
			name = []byte(unescaped)
		} else {
			name = name[1 : len(name)-1]
		}
		if earlier := s.seen(name, s.keys[first:], &folded); earlier != nil {
			s.path = append(s.path, step{key: earlier})
			s.fail("is given more than once (field names match regardless of case)")
			return
		}
		s.keys = append(s.keys, name)
		s.space()
		s.i++ // :
		s.path = append(s.path, step{key: name})
		s.value()
		if s.err != nil {
			return
		}
		s.path = s.path[:len(s.path)-1]
		s.space()
		if s.raw[s.i] == ',' {
			s.i++
		}
	}
}

// seen returns the earlier spelling of name among keys, or nil.
func (s *scanner) seen(name []byte, keys [][]byte, folded *map[string][]byte) []byte {
	if len(keys) < manyKeys {
		for _, k := range keys {
			if bytes.EqualFold(k, name) {
				return k
			}
		}
		return nil
	}
	if *folded == nil {
		*folded = make(map[string][]byte, 2*len(keys))
		for _, k := range keys {
			(*folded)[foldName(k)] = k
		}
	}
	f := foldName(name)
	if k, ok := (*folded)[f]; ok {
		return k
	}
	(*folded)[f] = name
	return nil
}

// foldName maps every rune to the least of its case-folding orbit, so two
// names are equal under bytes.EqualFold exactly when their foldNames are.
func foldName(b []byte) string {
	var out strings.Builder
	out.Grow(len(b))
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		b = b[size:]
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		out.WriteRune(least)
	}
	return out.String()
}

func (s *scanner) array() {
	s.i++ // [
	for n := 0; ; n++ {
		s.space()
		if s.raw[s.i] == ']' {
			s.i++
			return
		}
		s.path = append(s.path, step{index: n})
		s.value()
		if s.err != nil {
			return
		}
		s.path = s.path[:len(s.path)-1]
		s.space()
		if s.raw[s.i] == ',' {
			s.i++
		}
	}
}

// str reads the string at s.i and returns its bytes, quotes and all, and
// whether it is valid Unicode.
func (s *scanner) str() ([]byte, bool) {
	start := s.i
	valid := true
	j := s.i + 1
	for s.raw[j] != '"' {
		c := s.raw[j]
		switch {
		case c == '\\' && s.raw[j+1] == 'u':
			r := hex4(s.raw[j+2:])
			j += 6
			switch {
			case utf16IsHigh(r) && j+6 <= len(s.raw) && s.raw[j] == '\\' && s.raw[j+1] == 'u' && utf16IsLow(hex4(s.raw[j+2:])):
				j += 6
			case utf16IsHigh(r) || utf16IsLow(r):
				valid = false
			}
		case c == '\\':
			j += 2
		case c < utf8.RuneSelf:
			j++
		default:
			r, size := utf8.DecodeRune(s.raw[j:])
			if r == utf8.RuneError && size == 1 {
				valid = false
			}
			j += size
		}
	}
	s.i = j + 1
	return s.raw[start:s.i], valid
}

// hex4 reads the four hex digits of a \u escape (well-formed: the decoder read it).
func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= 'a':
			c -= 'a' - 10
		case c >= 'A':
			c -= 'A' - 10
		default:
			c -= '0'
		}
		r = r<<4 | rune(c)
	}
	return r
}

func utf16IsHigh(r rune) bool { return r >= 0xd800 && r < 0xdc00 }
func utf16IsLow(r rune) bool  { return r >= 0xdc00 && r < 0xe000 }

func (s *scanner) space() {
	for s.i < len(s.raw) && strings.IndexByte(" \t\r\n", s.raw[s.i]) >= 0 {
		s.i++
	}
}

// fail records the first problem, naming the field at the current path.
func (s *scanner) fail(msg string) {
	s.err = validation(pathName(s.path), msg)
}

// pathName writes a path as the API names fields: device.model, lines[0].description.
func pathName(path []step) string {
	var b strings.Builder
	for _, st := range path {
		if st.key == nil {
			b.WriteString("[" + strconv.Itoa(st.index) + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.Write(st.key)
	}
	if b.Len() == 0 {
		return "body"
	}
	return b.String()
}
