package store

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"unicode"

	bolt "go.etcd.io/bbolt"
)

// Customer search matches every word of the query as a prefix of one of the
// customer's tokens: words of the name and company, the email and its parts,
// and the phone's digits with each of their suffixes of 4 or more (so the
// last digits of a number find it too).

// maxWordHits bounds what one search word collects from the token index.
const maxWordHits = 50_000

func (c *Customer) tokens() []string {
	set := map[string]bool{}
	for _, f := range strings.FieldsFunc(strings.ToLower(c.Name+" "+c.Company), isSeparator) {
		set[f] = true
	}
	if e := strings.ToLower(c.Email); e != "" {
		set[e] = true
		local, domain, _ := strings.Cut(e, "@")
		set[local], set[domain] = true, true
	}
	if d := digitsOf(c.Phone); len(d) >= 4 {
		for i := 0; i+4 <= len(d); i++ {
			set[d[i:]] = true
		}
	}
	delete(set, "")
	out := make([]string, 0, len(set))
	for t := range set {
		out = append(out, capToken(t))
	}
	return out
}

// maxTokenLen caps stored tokens; query words are capped alike so that a long
// email still matches its own (capped) token.
const maxTokenLen = 64

func capToken(t string) string {
	if len(t) > maxTokenLen {
		return t[:maxTokenLen]
	}
	return t
}

func isSeparator(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\'' }

// isDomain tells "example.com" (kept whole, to find everyone at it) from
// initials such as "j.r." (split into words like the names they match).
func isDomain(w string) bool {
	i := strings.LastIndexByte(w, '.')
	if i <= 0 || i == len(w)-1 {
		return false
	}
	tld := w[i+1:]
	return len(tld) >= 2 && strings.IndexFunc(tld, func(r rune) bool { return !unicode.IsLetter(r) }) < 0
}

func digitsOf(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func queryWords(q string) []string {
	var words []string
	for _, w := range strings.Fields(strings.ToLower(q)) {
		switch {
		case strings.Contains(w, "@") || isDomain(w):
			words = append(words, w) // matches the stored email or its domain whole
		case digitsOf(w) != "" && strings.Trim(w, "0123456789+-().") == "":
			words = append(words, digitsOf(w))
		default:
			words = append(words, strings.FieldsFunc(w, isSeparator)...)
		}
	}
	for i, w := range words {
		words[i] = capToken(w)
	}
	return words
}

func setTokens(b *bolt.Bucket, id uint64, remove, add []string) error {
	for _, t := range remove {
		if err := b.Delete(append([]byte(t+"\x00"), itob(id)...)); err != nil {
			return err
		}
	}
	for _, t := range add {
		if err := b.Put(append([]byte(t+"\x00"), itob(id)...), nil); err != nil {
			return err
		}
	}
	return nil
}

// searchCustomers returns matches newest first (or oldest with order=asc).
func searchCustomers(tx *bolt.Tx, q string, lq ListQuery) (Page, error) {
	if lq.Sort != "" && lq.Sort != "id" {
		return Page{}, Invalid("sort", "search results are listed by id")
	}
	words := queryWords(q)
	if len(words) == 0 {
		return Page{Items: []json.RawMessage{}}, nil
	}
	// Each word's prefix range of the token index gives the customers it
	// matches; the answer is their intersection, smallest set first. A word
	// too common to collect (a single letter in a big shop) is checked
	// against the candidates' own tokens instead.
	type wordHits struct {
		ids      map[uint64]bool
		complete bool
	}
	sets := make([]wordHits, len(words))
	c := tx.Bucket(bucketCustomerSearch).Cursor()
	for i, w := range words {
		sets[i] = wordHits{ids: map[uint64]bool{}, complete: true}
		for k, _ := c.Seek([]byte(w)); k != nil && bytes.HasPrefix(k, []byte(w)); k, _ = c.Next() {
			if len(sets[i].ids) == maxWordHits {
				sets[i].complete = false
				break
			}
			sets[i].ids[btoi(k[len(k)-8:])] = true
		}
	}
	slices.SortFunc(sets, func(a, b wordHits) int {
		if a.complete != b.complete {
			if a.complete {
				return -1
			}
			return 1
		}
		return len(a.ids) - len(b.ids)
	})
	records := tx.Bucket(customers.records)
	var hits []uint64
	for id := range sets[0].ids {
		ok := true
		for _, other := range sets[1:] {
			if other.complete && !other.ids[id] {
				ok = false
				break
			}
		}
		if ok && !sets[len(sets)-1].complete {
			var cust Customer
			if err := json.Unmarshal(records.Get(itob(id)), &cust); err != nil {
				return Page{}, err
			}
			ok = matchesAll(cust.tokens(), words)
		}
		if ok {
			hits = append(hits, id)
		}
	}
	slices.Sort(hits)
	if lq.Desc {
		slices.Reverse(hits)
	}
	page := Page{Total: len(hits), Items: []json.RawMessage{}}
	lq.Page, lq.PerPage = max(lq.Page, 1), max(lq.PerPage, 1)
	from := min((lq.Page-1)*lq.PerPage, len(hits))
	to := min(from+lq.PerPage, len(hits))
	page.HasMore = to < len(hits)
	for _, id := range hits[from:to] {
		page.Items = append(page.Items, cloneBytes(records.Get(itob(id))))
	}
	return page, nil
}

func matchesAll(tokens, words []string) bool {
	for _, w := range words {
		if !slices.ContainsFunc(tokens, func(t string) bool { return strings.HasPrefix(t, w) }) {
			return false
		}
	}
	return true
}
