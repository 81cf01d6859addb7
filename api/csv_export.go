package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// CSV export (API.md "CSV"): every list of a declared resource the route
// table offers at a path without parameters (GET /tickets, /customers, …)
// has GET <path>.csv, made here from the table: the same scope, filters,
// sorts and search, answered with every matching record (not one page) as
// RFC 4180 CSV with a header row, streamed page by page through the list's
// own handler. Nested objects are flattened (device.brand); arrays are
// written as JSON in one cell. A text cell that a spreadsheet would take
// for a formula (starting with = + - @, a tab or a carriage return) is
// prefixed with ' ; numbers are written as they are.

// exportPage is how many records each step of an export reads.
const exportPage = maxPerPage

// exportRoutes makes GET <list>.csv for every list route of a declared
// resource in routes.
func (s *Server) exportRoutes(routes []route) []route {
	var out []route
	for _, rt := range routes {
		if rt.method != http.MethodGet || rt.list == nil || rt.list.resource == "" || strings.Contains(rt.path, "{") {
			continue
		}
		out = append(out, route{method: http.MethodGet, path: rt.path + ".csv", scope: rt.scope, handle: s.exportCSV(rt),
			summary: "Export " + strings.TrimPrefix(rt.path, "/") + " as CSV: every record the list's filters, sort and search match (no paging), nested fields flattened (device.brand)",
			file:    "text/csv", export: rt.list})
	}
	return out
}

// csvColumn is one column of an export: its header and the path of keys to
// its value in a record's JSON.
type csvColumn struct {
	name string
	path []string
}

var jsonMarshaler = reflect.TypeFor[json.Marshaler]()

// csvColumns flattens a record type's JSON fields into columns.
func csvColumns(t reflect.Type, prefix []string) []csvColumn {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	var out []csvColumn
	if t.Kind() != reflect.Struct {
		return out
	}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			out = append(out, csvColumns(f.Type, prefix)...)
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		path := append(append([]string{}, prefix...), name)
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && ft != timeType && !ft.Implements(jsonMarshaler) && !reflect.PointerTo(ft).Implements(jsonMarshaler) {
			out = append(out, csvColumns(ft, path)...)
			continue
		}
		out = append(out, csvColumn{name: strings.Join(path, "."), path: path})
	}
	return out
}

// keyColumns flattens one record's JSON keys into columns (for a list whose
// type says nothing).
func keyColumns(rec map[string]any, prefix []string) []csvColumn {
	var out []csvColumn
	for _, k := range sortedKeys(rec) {
		path := append(append([]string{}, prefix...), k)
		if m, ok := rec[k].(map[string]any); ok {
			out = append(out, keyColumns(m, path)...)
			continue
		}
		out = append(out, csvColumn{name: strings.Join(path, "."), path: path})
	}
	return out
}

func sortedKeys(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }

// csvCell is one value as a CSV cell.
func csvCell(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return safeCell(v)
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	default:
		raw, _ := json.Marshal(v)
		return safeCell(string(raw))
	}
}

// safeCell keeps a spreadsheet from running text as a formula (OWASP's
// CSV injection advice).
func safeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func lookup(rec map[string]any, path []string) any {
	var v any = rec
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// pageCatcher holds one page of a list handler's answer.
type pageCatcher struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (c *pageCatcher) Header() http.Header { return c.header }
func (c *pageCatcher) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
}
func (c *pageCatcher) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	return c.body.Write(b)
}

// exportWalk is how an export of a list in id order (its natural order, or
// sort=id / created_at, without search) asks the list for its next page: the
// records after the last id it sent (before it, newest first), found by
// seeking the index, where page numbers would count past every record sent
// so far. parseList reads it from the request's context.
type exportWalk struct{ after uint64 }

type exportWalkKey struct{}

// walksByID says whether an export's query lists in id order, so that it can
// walk by id instead of by page number.
func walksByID(q url.Values, spec listSpec) bool {
	if q.Get("q") != "" || q.Has("since_id") || q.Has("updated_after") {
		return false
	}
	sort := q.Get("sort")
	if sort == "" || sort == "id" {
		return true
	}
	for _, s := range spec.sorts {
		if s.Name == sort {
			return s.Of == "id"
		}
	}
	return false
}

// exportCSV streams every page of list route rt as CSV.
func (s *Server) exportCSV(rt route) handlerFunc {
	columns := csvColumns(reflect.TypeOf(rt.out), nil)
	name := strings.ReplaceAll(strings.Trim(rt.path, "/"), "/", "-")
	return func(w http.ResponseWriter, r *http.Request, p *Principal) error {
		query := r.URL.Query()
		for _, k := range []string{"page", "per_page"} {
			if query.Has(k) {
				return validation(k, "an export holds every matching record; leave page and per_page out")
			}
		}
		// The list's own parsing refuses what it does not take, before anything is written.
		if _, err := parseList(r, *rt.list); err != nil {
			return err
		}
		var out *csv.Writer
		cols := columns
		var seen, last map[uint64]bool // ids sent (walking by id: on the last page)
		seen = map[uint64]bool{}
		var walk *exportWalk
		if walksByID(query, *rt.list) {
			walk = &exportWalk{}
		}
		for page := 1; ; page++ {
			q := url.Values{}
			for k, v := range query {
				q[k] = v
			}
			q.Set("page", strconv.Itoa(page))
			q.Set("per_page", strconv.Itoa(exportPage))
			ctx := r.Context()
			if walk != nil {
				ctx = context.WithValue(ctx, exportWalkKey{}, walk)
			}
			inner := r.Clone(ctx)
			inner.URL.RawQuery = q.Encode()
			inner.Header.Del("If-None-Match")
			catch := &pageCatcher{header: http.Header{}}
			err := rt.handle(catch, inner, p)
			if err == nil && catch.status != http.StatusOK {
				err = newError(catch.status, "INTERNAL_ERROR", "the list answered "+strconv.Itoa(catch.status))
			}
			var env struct {
				Data []json.RawMessage `json:"data"`
				Meta struct {
					HasMore bool `json:"has_more"`
				} `json:"meta"`
			}
			if err == nil {
				err = json.Unmarshal(catch.body.Bytes(), &env)
			}
			recs := make([]map[string]any, 0, len(env.Data))
			for _, raw := range env.Data {
				dec := json.NewDecoder(bytes.NewReader(raw))
				dec.UseNumber()
				var rec map[string]any
				if err == nil {
					err = dec.Decode(&rec)
				}
				recs = append(recs, rec)
			}
			if err != nil {
				if out == nil {
					return err // nothing sent yet: an answer in our envelope
				}
				loggerOf(r).Error("export failed while streaming", "path", r.URL.Path, "err", err)
				panic(http.ErrAbortHandler) // cut the response: the client sees it incomplete, not short
			}
			if out == nil {
				if len(cols) == 0 && len(recs) > 0 {
					cols = keyColumns(recs[0], nil)
				}
				w.Header().Set("Content-Type", "text/csv; charset=utf-8")
				w.Header().Set("Content-Disposition", `attachment; filename="`+name+"-"+s.cfg.Now().UTC().Format(time.DateOnly)+`.csv"`)
				w.Header().Set("Cache-Control", "no-store")
				w.WriteHeader(http.StatusOK)
				out = csv.NewWriter(w)
				out.UseCRLF = true // RFC 4180
				head := make([]string, len(cols))
				for i, c := range cols {
					head[i] = c.name
				}
				out.Write(head)
			}
			row := make([]string, len(cols))
			fresh := 0
			if walk != nil {
				// Walking by id, a record comes once by construction: only a
				// page that repeats the last one (a list that ignored the
				// walk) needs catching.
				last, seen = seen, map[uint64]bool{}
			}
			for _, rec := range recs {
				id, err := strconv.ParseUint(fmt.Sprint(rec["id"]), 10, 64)
				if err == nil { // a record that moved pages meanwhile is written once
					if seen[id] || last[id] {
						continue
					}
					seen[id] = true
					if walk != nil {
						walk.after = id
					}
				}
				fresh++
				for i, c := range cols {
					row[i] = csvCell(lookup(rec, c.path))
				}
				out.Write(row)
			}
			out.Flush()
			if err := out.Error(); err != nil {
				return nil // the client went away
			}
			if f, ok := w.(http.Flusher); ok {
				f.Flush()
			}
			if !env.Meta.HasMore || len(recs) == 0 {
				return nil
			}
			if walk != nil && (fresh == 0 || walk.after == 0) {
				// The list did not walk by id after all: count pages from here.
				walk, page = nil, 1
			}
		}
	}
}
