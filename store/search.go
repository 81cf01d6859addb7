package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"maps"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"unicode"

	bolt "go.etcd.io/bbolt"
)

// Customer search matches every word of the query as a prefix of one of the
// customer's tokens: words of the name and company, the email and its parts,
// and the phone's digits with each of their suffixes of 4 or more (so the
// last digits of a number find it too).

func (c *Customer) tokens() []string {
	set := tokenSet{}
	set.words(c.Name + " " + c.Company)
	if e := strings.ToLower(c.Email); e != "" {
		local, domain, _ := strings.Cut(e, "@")
		set.add(e, local, domain)
	}
	if d := digitsOf(c.Phone); len(d) >= 4 {
		for i := 0; i+4 <= len(d); i++ {
			set.add(d[i:])
		}
	}
	return set.list()
}

// Ticket search matches the same way. A ticket's tokens are its number, the
// words of its device's brand and model and of its issue, its serial and IMEI,
// and its customer's tokens. The customer's part is kept in step with the
// customer: UpdateCustomer and DeleteCustomer re-token their tickets.
// Changing what either tokens method returns needs a migration that rebuilds
// the index (as createTicketSearch built it), or old entries linger.

// tokens lists the ticket's tokens; c is its customer, nil once deleted.
func (t *Ticket) tokens(c *Customer) []string {
	set := tokenSet{}
	set.add(strconv.FormatUint(t.Number, 10))
	set.words(t.Device.Brand + " " + t.Device.Model + " " + t.Issue)
	for _, code := range []string{t.Device.Serial, t.Device.IMEI} {
		// Whole, and also as its words and their run together, since a query
		// word is cut at separators ("C02-XYZ") or reduced to its digits
		// ("123-456" is 123456).
		words := strings.FieldsFunc(strings.ToLower(code), isSeparator)
		set.add(strings.ToLower(strings.TrimSpace(code)), strings.Join(words, ""))
		set.add(words...)
	}
	if c != nil {
		set.add(c.tokens()...)
	}
	return set.list()
}

// ticketTokens reads the ticket's customer to list its tokens.
func ticketTokens(tx *bolt.Tx, t *Ticket) ([]string, error) {
	var c *Customer
	if raw := tx.Bucket(customers.records).Get(itob(t.CustomerID)); raw != nil {
		c = new(Customer)
		if err := json.Unmarshal(raw, c); err != nil {
			return nil, err
		}
	}
	return t.tokens(c), nil
}

// retokenCustomerTickets moves the customer's part of their tickets' tokens
// from old to c (nil when the customer is deleted), in the transaction that
// changes the customer. It finds them through the customer_id index.
func retokenCustomerTickets(tx *bolt.Tx, old, c *Customer) error {
	b := tx.Bucket(bucketTicketSearch)
	records := tx.Bucket(tickets.records)
	return tickets.eachID(tx, "customer_id", orderedUint(old.ID), func(id uint64) error {
		raw, err := recordView(records.Get(itob(id)))
		if err != nil {
			return err
		}
		var t Ticket
		if err := json.Unmarshal(raw, &t); err != nil {
			return err
		}
		return setTokens(b, id, t.tokens(old), t.tokens(c))
	})
}

// tokenSet collects a record's tokens.
type tokenSet map[string]bool

func (s tokenSet) add(tokens ...string) {
	for _, t := range tokens {
		s[capToken(t)] = true
	}
}

// words adds the words of text, lowercased.
func (s tokenSet) words(text string) {
	s.add(strings.FieldsFunc(strings.ToLower(text), isSeparator)...)
}

func (s tokenSet) list() []string {
	delete(s, "")
	return slices.Collect(maps.Keys(s))
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

// setTokens moves record id's postings in a token index from the tokens in
// remove to those in add, leaving alone the ones in both.
func setTokens(b *bolt.Bucket, id uint64, remove, add []string) error {
	stale := make(map[string]bool, len(remove))
	for _, t := range remove {
		stale[t] = true
	}
	ids := []uint64{id}
	for _, t := range add {
		if stale[t] {
			delete(stale, t) // stored already
			continue
		}
		if err := changePostings(b, t, ids, false); err != nil {
			return err
		}
	}
	for _, t := range slices.Sorted(maps.Keys(stale)) {
		if err := changePostings(b, t, ids, true); err != nil {
			return err
		}
	}
	return nil
}

// A tokenBatch gathers the postings of many new records (an import, a
// migration) to put in key order, each container written once. bbolt splits
// nodes only at commit, so an entry put anywhere else moves every entry after
// it in its node, the ones this transaction put included: in record order
// that grows with the square of the records.
type tokenBatch map[string][]uint64

func (tb tokenBatch) add(id uint64, tokens []string) {
	for _, t := range tokens {
		tb[t] = append(tb[t], id)
	}
}

// put writes the gathered entries into b and empties the batch.
func (tb tokenBatch) put(b *bolt.Bucket) error {
	for _, t := range slices.Sorted(maps.Keys(tb)) {
		if err := changePostings(b, t, tb[t], false); err != nil {
			return err
		}
		delete(tb, t)
	}
	return nil
}

// A tokenIndex is a search bucket (postings.go) over a table's records, kept
// in the transactions that write them.
type tokenIndex struct {
	bucket  []byte
	records []byte
}

var (
	customerSearch = &tokenIndex{bucketCustomerSearch, customers.records}
	ticketSearch   = &tokenIndex{bucketTicketSearch, tickets.records}
)

// searchCustomers returns matches newest first (or oldest with order=asc).
func searchCustomers(tx *bolt.Tx, q string, lq ListQuery) (Page, error) {
	return customerSearch.search(tx, q, lq, nil)
}

// searchTickets is searchCustomers for tickets; the list's filters (status,
// assigned_to, customer_id) narrow the hits, and the total counts what is left.
func searchTickets(tx *bolt.Tx, q string, lq ListQuery) (Page, error) {
	filters, err := tickets.encodeFilters(lq.Filters)
	if err != nil {
		return Page{}, err
	}
	var keep func(id uint64) bool
	if len(filters) > 0 {
		post := tickets.postFilter(filters, -1)
		keep = func(id uint64) bool { return post(tickets.filterTuple(tx, id)) }
	}
	return ticketSearch.search(tx, q, lq, keep)
}

// search pages the records matching every word of q that keep (nil: all)
// accepts, in id order: newest first, or oldest with order=asc.
//
// Each word's prefix range of the token index gives the records it matches,
// gathered as a bitset over record ids (ids are dense, so a million records
// take 125 KB): the answer is the bitsets' intersection, exact however
// common a word is, and paged newest first without sorting.
func (ix *tokenIndex) search(tx *bolt.Tx, q string, lq ListQuery, keep func(id uint64) bool) (Page, error) {
	if lq.Sort != "" && lq.Sort != "id" {
		return Page{}, Invalid("sort", "search results are listed by id")
	}
	page := Page{Items: []json.RawMessage{}}
	words := queryWords(q)
	records := tx.Bucket(ix.records)
	last, _ := records.Cursor().Last()
	if len(words) == 0 || last == nil {
		return page, nil
	}
	maxID := btoi(last)
	var hits idSet
	c := tx.Bucket(ix.bucket).Cursor()
	for i, w := range words {
		set := newIDSet(maxID)
		for k, v := c.Seek([]byte(w)); k != nil && bytes.HasPrefix(k, []byte(w)); k, v = c.Next() {
			set.addChunk(chunkOf(k), v)
		}
		if i == 0 {
			hits = set
		} else {
			hits.and(set)
		}
	}
	lq.Page, lq.PerPage = max(lq.Page, 1), max(lq.PerPage, 1)
	skip := (lq.Page - 1) * lq.PerPage
	var unpackErr error
	hits.each(lq.Desc, func(id uint64) {
		if keep != nil && !keep(id) {
			return
		}
		page.Total++
		switch {
		case skip > 0:
			skip--
		case len(page.Items) < lq.PerPage:
			item, err := recordJSON(records.Get(itob(id)))
			if err != nil {
				unpackErr = err
			}
			page.Items = append(page.Items, item)
		default:
			page.HasMore = true
		}
	})
	return page, unpackErr
}

// idSet is a bitset of record ids.
type idSet []uint64

func newIDSet(maxID uint64) idSet { return make(idSet, maxID/64+1) }

func (s idSet) add(id uint64) {
	if i := id / 64; i < uint64(len(s)) {
		s[i] |= 1 << (id % 64)
	}
}

// addChunk adds a posting container's ids: a bitmap's words at once (its
// bytes are the words of the set, little-endian), a list one by one.
func (s idSet) addChunk(chunk uint32, v []byte) {
	if len(v) == 1+bitmapBytes && v[0] == containerBits {
		at := int(chunk) * (chunkSize / 64)
		for j := 0; j < chunkSize/64 && at+j < len(s); j++ {
			s[at+j] |= binary.LittleEndian.Uint64(v[1+8*j:])
		}
		return
	}
	eachPosting(chunk, v, s.add)
}

func (s idSet) and(o idSet) {
	for i := range s {
		s[i] &= o[i]
	}
}

// each calls fn for every id in the set, descending or ascending.
func (s idSet) each(desc bool, fn func(id uint64)) {
	for n := range s {
		i := n
		if desc {
			i = len(s) - 1 - n
		}
		w := s[i]
		for w != 0 {
			var b int
			if desc {
				b = 63 - bits.LeadingZeros64(w)
			} else {
				b = bits.TrailingZeros64(w)
			}
			w &^= 1 << b
			fn(uint64(i)*64 + uint64(b))
		}
	}
}
