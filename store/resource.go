package store

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	bolt "go.etcd.io/bbolt"
)

// Resource declares one kind of record, once: its filters, sorts, events and
// scope. Its index buckets and kept counts, the API's list parsing and
// errors, the OpenAPI parameters and the console's filter and sort choices
// all come from it. Adding a filter or a sort is one entry here, which the
// compiler checks; nothing elsewhere is lined up by position.
//
// A new index needs a schema step too (schema.go: createTable or
// reindexStep); Open refuses a store that lacks a declared bucket, naming it.
type Resource[T any] struct {
	Name   string   // plural, as in the API path and bucket names: "tickets"
	Scope  string   // the resource whose .read and .write scopes guard it
	Events []string // the events its changes log
	// Filters are walked most selective first when several are given.
	Filters []Filter[T]
	// Sorts: the first is the id (creation order).
	Sorts []Sort[T]
	// Search says whether the list takes q= (the resource keeps tokens).
	Search bool
}

// Filter is one field a list can be narrowed by (status=In+Progress).
type Filter[T any] struct {
	Name string
	Doc  string
	// Key is the record's value in the index; Parse turns a query value into
	// the same form, or a *ValidationError naming the field.
	Key   func(*T) []byte
	Parse func(raw string) ([]byte, error)
	// Show turns an index value back into what the API shows (counts by
	// this filter are keyed by it); nil: the value is text.
	Show func(key []byte) string
	// Few says the field takes few values (statuses, staff), so each
	// value's index entries grow at their end; an id reference (customer)
	// takes many.
	Few bool
	// Values are the values it takes when they are a fixed few (statuses):
	// the OpenAPI enum, and the console's choices without a copy.
	Values []string
	// SortedBy names the sorts this filter is indexed for (nil: every sort).
	// A list filtered here and sorted otherwise walks another index and
	// checks this filter on the way, so only pairs clients use cost space.
	SortedBy []string
}

// Sort is one order a list can take (sort=updated_at).
type Sort[T any] struct {
	Name  string
	Label string // how the console names it ("Recently updated")
	// Key is the record's value in the index, compared bytewise: numbers
	// and times go through orderedUint. The id sort (the first) has none:
	// every index key ends with the id.
	Key func(*T) []byte
	// Desc is the order when the caller names none: newest first for times
	// and ids, alphabetical for names, soonest first for due dates.
	Desc bool
	// Grows says a new or changed record takes the highest value yet
	// (updated_at); the id sort always does.
	Grows bool
	// Aliases are other names the API accepts for this sort (created_at
	// for id: ids are handed out in creation order).
	Aliases []string
}

// declared is a Resource bound to its storage: the table its records, index
// entries and counts live in, and the functions that fill them.
type declared[T any] struct {
	*table
	filterKeys []func(*T) []byte
	sortKeys   []func(*T) []byte
	spec       ListSpec
}

// declare turns a declaration into its table and registers it (Open checks
// that every registered table's buckets exist).
func declare[T any](r Resource[T]) *declared[T] {
	d := define(r)
	registry = append(registry, d.spec)
	tables = append(tables, d.table)
	return d
}

// define turns a declaration into its table without registering it. It
// panics on a malformed declaration, a programming error any test catches.
func define[T any](r Resource[T]) *declared[T] {
	if len(r.Sorts) == 0 || r.Sorts[0].Name != "id" {
		panic("store: resource " + r.Name + " must sort by id first")
	}
	d := &declared[T]{spec: ListSpec{Resource: r.Name, Scope: r.Scope, Search: r.Search, Events: r.Events}}
	var filters, sorts []string
	pairs := map[string][]string{}
	parse := map[string]func(string) ([]byte, error){}
	var shows []func([]byte) string
	grows, few := map[string]bool{"id": true}, map[string]bool{}
	for _, s := range r.Sorts {
		grows[s.Name] = grows[s.Name] || s.Grows
		sorts = append(sorts, s.Name)
		d.sortKeys = append(d.sortKeys, s.Key)
		d.spec.Sorts = append(d.spec.Sorts, SortSpec{Name: s.Name, Label: s.Label, Desc: s.Desc})
		for _, a := range s.Aliases {
			d.spec.Sorts = append(d.spec.Sorts, SortSpec{Name: a, Desc: s.Desc, Of: s.Name})
		}
	}
	pairs[noFilter] = sorts
	for _, f := range r.Filters {
		filters = append(filters, f.Name)
		d.filterKeys = append(d.filterKeys, f.Key)
		parse[f.Name] = f.Parse
		show := f.Show
		if show == nil {
			show = func(b []byte) string { return string(b) }
		}
		shows = append(shows, show)
		by := f.SortedBy
		if by == nil {
			by = sorts
		}
		for _, s := range by {
			if !contains(sorts, s) {
				panic(fmt.Sprintf("store: %s filter %s is sorted by %s, which is not a sort", r.Name, f.Name, s))
			}
		}
		pairs[f.Name] = by
		few[f.Name] = f.Few
		d.spec.Filters = append(d.spec.Filters, FilterSpec{Name: f.Name, Doc: f.Doc, Values: f.Values})
	}
	d.table = newTable(r.Name, filters, sorts)
	d.table.pairs = pairs
	d.table.parse = parse
	d.table.show = shows
	d.table.grows, d.table.few = grows, few
	d.table.indexOfRaw = func(stored []byte) (*indexed, error) {
		raw, err := recordView(stored)
		if err != nil {
			return nil, err
		}
		var rec T
		if err := json.Unmarshal(raw, &rec); err != nil {
			return nil, err
		}
		return d.index(&rec), nil
	}
	return d
}

// put writes record rec (its API JSON) under id and moves its index entries
// and counts from old's (nil for a creation), in the caller's transaction:
// the write every resource's records go through.
func (d *declared[T]) put(tx *bolt.Tx, id uint64, old, rec *T) error {
	raw, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if err := appending(tx.Bucket(d.records)).Put(itob(id), raw); err != nil {
		return err
	}
	var oldIdx *indexed
	if old != nil {
		oldIdx = d.index(old)
	}
	return d.reindex(tx, id, oldIdx, d.index(rec))
}

// index is what record rec contributes to its table's indexes.
func (d *declared[T]) index(rec *T) *indexed {
	e := &indexed{filters: make([][]byte, len(d.filterKeys)), sorts: make([][]byte, len(d.sortKeys))}
	for i, key := range d.filterKeys {
		e.filters[i] = key(rec)
	}
	for i, key := range d.sortKeys[1:] { // the id sort's value is the id every key ends with
		e.sorts[i+1] = key(rec)
	}
	return e
}

// ListSpec is what one resource's list accepts beyond paging, for the API's
// parsing, the OpenAPI document and the console.
type ListSpec struct {
	Resource, Scope string
	Filters         []FilterSpec
	Sorts           []SortSpec
	Search          bool
	Events          []string
}

// Declared lists every declared resource.
func Declared() []ListSpec { return slices.Clone(registry) }

// FilterSpec is a filter as the API describes it.
type FilterSpec struct {
	Name   string   `json:"name"`
	Doc    string   `json:"doc"`
	Values []string `json:"values,omitempty"`
}

// SortSpec is a sort as the API accepts it; Of names the sort an alias
// stands for (aliases have no label: the console offers the sort itself).
type SortSpec struct {
	Name  string `json:"name"`
	Label string `json:"label,omitempty"`
	Desc  bool   `json:"desc"`
	Of    string `json:"-"`
}

// SortNames lists the sort names a list accepts, aliases included.
func (l ListSpec) SortNames() []string {
	out := make([]string, len(l.Sorts))
	for i, s := range l.Sorts {
		out[i] = s.Name
	}
	return out
}

// FilterNames lists the filters a list accepts.
func (l ListSpec) FilterNames() []string {
	out := make([]string, len(l.Filters))
	for i, f := range l.Filters {
		out[i] = f.Name
	}
	return out
}

// Sort finds a sort by the name the API was given.
func (l ListSpec) Sort(name string) (SortSpec, bool) {
	for _, s := range l.Sorts {
		if s.Name == name {
			return s, true
		}
	}
	return SortSpec{}, false
}

// registry and tables are filled once, by the package's declarations as it
// initialises, and only read after: every declared resource.
var (
	registry []ListSpec
	tables   []*table
)

// List returns the declaration of a resource's list ("tickets").
func List(resource string) ListSpec {
	for _, l := range registry {
		if l.Resource == resource {
			return l
		}
	}
	panic("store: no resource " + resource)
}

// positiveID parses an id filter value.
func positiveID(field string) func(string) ([]byte, error) {
	return func(raw string) ([]byte, error) {
		id, err := parseID(raw)
		if err != nil {
			return nil, Invalid(field, "must be a positive integer id")
		}
		return orderedUint(id), nil
	}
}

// showID shows an id filter's index value.
func showID(key []byte) string { return strconv.FormatUint(orderedUintValue(key), 10) }

// text parses a filter value that is matched exactly as given.
func text(raw string) ([]byte, error) { return []byte(raw), nil }

func parseID(raw string) (uint64, error) {
	id, err := strconv.ParseUint(raw, 10, 64)
	if err == nil && id == 0 {
		err = strconv.ErrRange
	}
	return id, err
}
