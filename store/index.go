package store

import (
	"bytes"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// A table is a record bucket (id -> the record's API JSON) plus, for every
// declared pair of filter field (or "no filter") and sort, an index bucket
// whose keys are  len(filter value) | filter value | sort value | id | len(id),
// the id packed by orderedUint and its length repeated at the end so the id
// is read from the key's tail. The id sort's value is the id itself, so its
// keys hold it once.
// The unfiltered id index (_/id) holds, as each entry's value, all of the
// record's filter values, so a second filter is checked without decoding the
// record, and so do the indexes of many-valued filters (holdsTuple); the
// other indexes' values are empty. Counts for every combination of filters
// are kept in the same transaction, so a list's total is one Get.
//
// Invariant: index entries and counts change only through table.reindex, in
// the transaction that writes the record.
type table struct {
	name    string
	records []byte
	indexes []byte // holds one nested bucket per (filter, sort) pair
	counts  []byte
	filters []string // in order of preference as the walked index (most selective first)
	sorts   []string // "id" first
	// pairs says which sorts each filter (and noFilter) is indexed for; a
	// filter that is not indexed for the requested sort is checked on the
	// way through another index instead.
	pairs map[string][]string
	// parse turns a query's filter value into its index form, by filter.
	parse map[string]func(string) ([]byte, error)
	// show turns a filter's index value back into the API's form, by
	// position in filters.
	show []func([]byte) string
	// grows marks the sorts whose value for a new or changed record is the
	// highest yet (id, updated_at); few marks the filters with few values
	// (statuses, staff). Together they say which indexes only grow at the
	// end of a range (indexBucket).
	grows, few map[string]bool
	// indexOfRaw decodes a stored record and computes its index entries
	// (backfills use it).
	indexOfRaw func(raw []byte) (*indexed, error)
}

// indexed is what a record contributes to its table's indexes.
type indexed struct {
	filters [][]byte // aligned with table.filters
	sorts   [][]byte // aligned with table.sorts
}

const noFilter = "_"

func newTable(name string, filters, sorts []string) *table {
	return &table{
		name:    name,
		records: []byte(name),
		indexes: []byte("idx_" + name),
		counts:  []byte("count_" + name),
		filters: filters,
		sorts:   sorts,
	}
}

func indexName(filter, sort string) []byte { return []byte(filter + "/" + sort) }

// holdsTuple says whether an index's entries carry the record's filter
// values (the index of filter fi, -1 for none, and sort si): the id index
// does, for every list that walks by id; so do a many-valued filter's
// indexes in the orders its lists take (a customer's tickets, newest or
// recently updated), where a second filter (status) would otherwise cost a
// lookup per entry walked, and a customer may have thousands. The rest leave
// them to the id index: each copy costs about 20 bytes a record.
func (t *table) holdsTuple(fi, si int) bool {
	if fi < 0 {
		return si == 0
	}
	return !t.few[t.filters[fi]] && t.grows[t.sorts[si]]
}

// indexBucket opens the index (filter, sort) for writing. An index whose new
// keys land at the end of their filter value's range (a growing sort, and no
// filter or one with few values) fills its pages; one whose keys land
// anywhere keeps bbolt's even split, which leaves pages about 70% full where
// 90% splits leave them under half.
func (t *table) indexBucket(idx *bolt.Bucket, filter, sort string) *bolt.Bucket {
	b := idx.Bucket(indexName(filter, sort))
	if t.grows[sort] && (filter == noFilter || t.few[filter]) {
		return appending(b)
	}
	return b
}

// buckets lists the top-level buckets the table needs.
func (t *table) buckets() [][]byte { return [][]byte{t.records, t.indexes, t.counts} }

// indexed reports whether filter (or noFilter) has an index for sort.
func (t *table) indexed(filter, sort string) bool { return contains(t.pairs[filter], sort) }

// indexBuckets names every nested index bucket the table declares.
func (t *table) indexBuckets() [][]byte {
	var out [][]byte
	for _, f := range append([]string{noFilter}, t.filters...) {
		for _, s := range t.pairs[f] {
			out = append(out, indexName(f, s))
		}
	}
	return out
}

func appendField(b, v []byte) []byte {
	b = append(b, byte(len(v)))
	return append(b, v...)
}

func (t *table) tuple(e *indexed) []byte {
	var out []byte
	for _, v := range e.filters {
		out = appendField(out, v)
	}
	return out
}

// indexKey is record id's key in an index; sortValue is nil for the id sort.
func (t *table) indexKey(filterValue, sortValue []byte, id uint64) []byte {
	k := make([]byte, 0, 1+len(filterValue)+len(sortValue)+10)
	if filterValue != nil {
		k = appendField(k, filterValue)
	}
	k = append(k, sortValue...)
	at := len(k)
	k = appendOrderedUint(k, id)
	return append(k, k[at])
}

// indexedID reads the record id an index key ends with.
func indexedID(k []byte) uint64 {
	n := int(k[len(k)-1])
	return orderedUintValue(k[len(k)-2-n : len(k)-1])
}

// countKey names one combination of filters: a bitmask, then the values.
func countKey(mask int, values [][]byte) []byte {
	k := []byte{byte(mask)}
	for i, v := range values {
		if mask&(1<<i) != 0 {
			k = appendField(k, v)
		}
	}
	return k
}

// reindex moves record id's index entries and counts from old to new.
// old is nil for a creation, new is nil for a deletion.
func (t *table) reindex(tx *bolt.Tx, id uint64, old, new *indexed) error {
	idx := tx.Bucket(t.indexes)
	var tuple []byte
	if new != nil {
		tuple = t.tuple(new)
	}
	sameTuple := old != nil && new != nil && bytes.Equal(t.tuple(old), tuple)
	for fi := -1; fi < len(t.filters); fi++ {
		name := noFilter
		if fi >= 0 {
			name = t.filters[fi]
		}
		for si, sortName := range t.sorts {
			if !t.indexed(name, sortName) {
				continue
			}
			b := t.indexBucket(idx, name, sortName)
			var oldKey, newKey []byte
			if old != nil {
				oldKey = t.indexKey(pick(old.filters, fi), old.sorts[si], id)
			}
			if new != nil {
				newKey = t.indexKey(pick(new.filters, fi), new.sorts[si], id)
			}
			holdsTuple := t.holdsTuple(fi, si)
			if bytes.Equal(oldKey, newKey) && (sameTuple || !holdsTuple) {
				continue
			}
			if oldKey != nil {
				if err := b.Delete(oldKey); err != nil {
					return err
				}
			}
			if newKey != nil {
				var value []byte
				if holdsTuple {
					value = tuple
				}
				if err := b.Put(newKey, value); err != nil {
					return err
				}
			}
		}
	}
	counts := tx.Bucket(t.counts)
	for mask := 0; mask < 1<<len(t.filters); mask++ {
		var oldKey, newKey []byte
		if old != nil {
			oldKey = countKey(mask, old.filters)
		}
		if new != nil {
			newKey = countKey(mask, new.filters)
		}
		if bytes.Equal(oldKey, newKey) {
			continue
		}
		if oldKey != nil {
			if err := addCount(counts, oldKey, -1); err != nil {
				return err
			}
		}
		if newKey != nil {
			if err := addCount(counts, newKey, 1); err != nil {
				return err
			}
		}
	}
	return nil
}

func pick(values [][]byte, i int) []byte {
	if i < 0 {
		return nil
	}
	return values[i]
}

func addCount(b *bolt.Bucket, key []byte, delta int64) error {
	var n int64
	if v := b.Get(key); v != nil {
		n = int64(btoi(v))
	}
	n += delta
	if n <= 0 {
		return b.Delete(key)
	}
	return b.Put(key, itob(uint64(n)))
}

// count returns how many records match the given filter values (by field).
func (t *table) count(tx *bolt.Tx, filters map[string][]byte) int {
	mask := 0
	values := make([][]byte, len(t.filters))
	for i, f := range t.filters {
		if v, ok := filters[f]; ok {
			mask |= 1 << i
			values[i] = v
		}
	}
	if v := tx.Bucket(t.counts).Get(countKey(mask, values)); v != nil {
		return int(btoi(v))
	}
	return 0
}

// countBy splits the records matching filters by the values of field, from
// the kept counts alone: the counts of every combination including field
// are read (one key per distinct combination, never per record).
func (t *table) countBy(tx *bolt.Tx, field string, filters map[string][]byte) (map[string]int, error) {
	at := -1
	mask := 0
	for i, f := range t.filters {
		if f == field {
			at = i
		}
		if _, ok := filters[f]; ok || f == field {
			mask |= 1 << i
		}
	}
	if at < 0 {
		return nil, Invalid("by", fmt.Sprintf("must be one of %v", t.filters))
	}
	if _, ok := filters[field]; ok {
		return nil, Invalid(field, "cannot filter by the field the counts are split by")
	}
	out := map[string]int{}
	c := tx.Bucket(t.counts).Cursor()
	for k, v := c.Seek([]byte{byte(mask)}); k != nil && k[0] == byte(mask); k, v = c.Next() {
		values, rest := map[int][]byte{}, k[1:]
		for i := range t.filters {
			if mask&(1<<i) == 0 {
				continue
			}
			n := int(rest[0])
			values[i], rest = rest[1:1+n], rest[1+n:]
		}
		match := true
		for i, f := range t.filters {
			if want, ok := filters[f]; ok && !bytes.Equal(values[i], want) {
				match = false
			}
		}
		if match {
			out[t.show[at](values[at])] += int(btoi(v))
		}
	}
	return out, nil
}
