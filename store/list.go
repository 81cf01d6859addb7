package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ListQuery selects one page of a table.
type ListQuery struct {
	// Filters holds raw filter values by field name, as the API received them.
	Filters map[string]string
	Sort    string // one of the table's sorts; "" means id
	Desc    bool
	Page    int // from 1
	PerPage int
	// SinceID lists records with id > SinceID in ascending id order.
	SinceID uint64
	// BeforeID lists records with id < BeforeID in descending id order: how
	// an export walks a list in its natural order, a page at a time,
	// without counting its way past what it sent.
	BeforeID uint64
	// UpdatedAfter lists records updated at or after it, oldest change first.
	UpdatedAfter *time.Time
}

// Page is one page of records, as their API JSON.
type Page struct {
	Items   []json.RawMessage
	Total   int  // size of the filtered set (cursors do not narrow it)
	HasMore bool // another matching record follows this page
}

// list walks the one index that serves q: O(page), not O(table).
func (t *table) list(tx *bolt.Tx, q ListQuery) (Page, error) {
	filters, err := t.encodeFilters(q.Filters)
	if err != nil {
		return Page{}, err
	}
	sort := q.Sort
	if sort == "" {
		sort = "id"
	}
	var start, end []byte
	switch {
	case q.BeforeID > 0 && (q.SinceID > 0 || q.UpdatedAfter != nil):
		return Page{}, Invalid("before_id", "cannot be combined with since_id or updated_after")
	case q.BeforeID > 0:
		if q.Sort != "" && q.Sort != "id" {
			return Page{}, Invalid("sort", "before_id lists in id order; leave sort out")
		}
		sort, q.Desc, end = "id", true, orderedUint(q.BeforeID)
	case q.SinceID > 0 && q.UpdatedAfter != nil:
		return Page{}, Invalid("since_id", "cannot be combined with updated_after")
	case q.SinceID > 0:
		if q.Sort != "" && q.Sort != "id" {
			return Page{}, Invalid("sort", "since_id lists in id order; leave sort out")
		}
		sort, q.Desc, start = "id", false, orderedUint(q.SinceID+1)
	case q.UpdatedAfter != nil:
		if q.Sort != "" && q.Sort != "updated_at" {
			return Page{}, Invalid("sort", "updated_after lists in updated_at order; leave sort out")
		}
		sort, q.Desc, start = "updated_at", false, orderedUint(timeKey(*q.UpdatedAfter))
	}
	if !contains(t.sorts, sort) {
		return Page{}, Invalid("sort", fmt.Sprintf("must be one of %v", t.sorts))
	}

	// Walk the index of the most selective filter given (the kept counts say
	// which), and check the others on the way: the walk then costs about
	// page × (that filter's matches / all filters' matches).
	primary, primaryIndex, fewest := noFilter, -1, 0
	for i, f := range t.filters {
		v, ok := filters[f]
		if !ok || !t.indexed(f, sort) {
			continue
		}
		if n := t.count(tx, map[string][]byte{f: v}); primaryIndex < 0 || n < fewest {
			primary, primaryIndex, fewest = f, i, n
		}
	}
	var prefix []byte
	if primaryIndex >= 0 {
		prefix = appendField(nil, filters[primary])
	}
	post := t.postFilter(filters, primaryIndex)

	c := tx.Bucket(t.indexes).Bucket(indexName(primary, sort)).Cursor()
	var k, v []byte
	step := c.Next
	switch {
	case !q.Desc:
		k, v = c.Seek(append(bytes.Clone(prefix), start...))
	case end != nil: // the last key below prefix+end
		step = c.Prev
		if k, _ = c.Seek(append(bytes.Clone(prefix), end...)); k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
	case prefix == nil:
		k, v = c.Last()
		step = c.Prev
	default:
		step = c.Prev
		if end := successor(prefix); end == nil {
			k, v = c.Last()
		} else if k, _ = c.Seek(end); k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
	}

	records := tx.Bucket(t.records)
	skip := (q.Page - 1) * q.PerPage
	page := Page{Items: make([]json.RawMessage, 0, min(q.PerPage, 64)), Total: t.count(tx, filters)}
	for ; k != nil && bytes.HasPrefix(k, prefix); k, v = step() {
		if post != nil {
			if len(v) == 0 { // only _/id entries carry the tuple (older stores' other indexes may too)
				v = t.filterTuple(tx, indexedID(k))
			}
			if !post(v) {
				continue
			}
		}
		if skip > 0 {
			skip--
			continue
		}
		if len(page.Items) == q.PerPage {
			page.HasMore = true
			break
		}
		id := indexedID(k)
		rec := records.Get(itob(id))
		if rec == nil {
			return Page{}, fmt.Errorf("index %s/%s points at missing record %d", t.name, primary, id)
		}
		item, err := recordJSON(rec)
		if err != nil {
			return Page{}, err
		}
		page.Items = append(page.Items, item)
	}
	return page, nil
}

// encodeFilters turns a query's raw filter values into their index form.
func (t *table) encodeFilters(raw map[string]string) (map[string][]byte, error) {
	filters := make(map[string][]byte, len(raw))
	for f, v := range raw {
		parse, ok := t.parse[f]
		if !ok {
			return nil, Invalid(f, fmt.Sprintf("is not a filter of %s (%v)", t.name, t.filters))
		}
		enc, err := parse(v)
		if err != nil {
			return nil, err
		}
		filters[f] = enc
	}
	return filters, nil
}

// filterTuple returns record id's filter values as its index entries hold
// them (postFilter's input), from the unfiltered id index, whose sort value
// is the id itself.
func (t *table) filterTuple(tx *bolt.Tx, id uint64) []byte {
	return tx.Bucket(t.indexes).Bucket(indexName(noFilter, t.sorts[0])).Get(t.indexKey(nil, nil, id))
}

// eachID calls fn with the id of every record whose filter field holds value,
// in id order, through that filter's id index.
func (t *table) eachID(tx *bolt.Tx, field string, value []byte, fn func(id uint64) error) error {
	prefix := appendField(nil, value)
	c := tx.Bucket(t.indexes).Bucket(indexName(field, t.sorts[0])).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if err := fn(indexedID(k)); err != nil {
			return err
		}
	}
	return nil
}

// postFilter checks the filters the walked index does not cover against a
// record's tuple of filter values (the _/id index's value); nil when there
// is nothing to check.
func (t *table) postFilter(filters map[string][]byte, primaryIndex int) func(tuple []byte) bool {
	type check struct {
		pos  int
		want []byte
	}
	var checks []check
	for i, f := range t.filters {
		if v, ok := filters[f]; ok && i != primaryIndex {
			checks = append(checks, check{i, v})
		}
	}
	if len(checks) == 0 {
		return nil
	}
	return func(tuple []byte) bool {
		fields := make([][]byte, 0, len(t.filters))
		for len(tuple) > 0 {
			n := int(tuple[0])
			fields = append(fields, tuple[1:1+n])
			tuple = tuple[1+n:]
		}
		for _, c := range checks {
			if c.pos >= len(fields) || !bytes.Equal(fields[c.pos], c.want) {
				return false
			}
		}
		return true
	}
}

// successor is the smallest key greater than every key with this prefix, or nil.
func successor(prefix []byte) []byte {
	end := bytes.Clone(prefix)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
