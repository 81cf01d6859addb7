package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"portal/store"
)

// CSV import (API.md "CSV"): POST /import/<resource> takes text/csv whose
// header row names the columns (the input's JSON field names, any case; an
// unknown or repeated column is refused). ?dry_run=true checks every row and
// reports each bad one by line and column, writing nothing; otherwise the
// rows land in one transaction, all or nothing, each with the event a single
// create fires.

// maxImportBody is the largest CSV an import takes (413 beyond).
const maxImportBody = 20 << 20

// rowError is one bad cell (or row, or header) of an import, by its line in
// the file (the header is line 1) and its column's name.
type rowError struct {
	Line    int    `json:"line"`
	Column  string `json:"column"`
	Message string `json:"message"`
}

// importReport answers a dry run.
type importReport struct {
	DryRun bool       `json:"dry_run"`
	Rows   int        `json:"rows"`
	Errors []rowError `json:"errors"`
}

// importResult answers an import that landed.
type importResult struct {
	Imported int      `json:"imported"`
	IDs      []uint64 `json:"ids"`
}

// csvImporter is one resource's import: its input type's columns and the
// store's check (dry run) and create (all or nothing).
type csvImporter struct {
	resource string // the path's last segment: customers
	scope    string
	columns  []string // the input's JSON names, in the type's order
	required []string
	// parse turns cells into the input slice; check and create take it.
	parse  func(header []int, rows [][]string, lines []int) (any, []rowError)
	check  func(ctx context.Context, s *store.Store, rows any) error
	create func(ctx context.Context, s *store.Store, rows any) ([]uint64, error)
	inType reflect.Type
}

// newImporter builds the import of T from its store functions.
func newImporter[T any](resource, scope string, required []string, check func(*store.Store, context.Context, []T) error,
	create func(*store.Store, context.Context, []T) ([]uint64, error)) csvImporter {
	t := reflect.TypeFor[T]()
	var cols []string
	var fields []int
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" || name == "" || !settable(f.Type) {
			continue
		}
		cols = append(cols, name)
		fields = append(fields, i)
	}
	return csvImporter{resource: resource, scope: scope, columns: cols, required: required, inType: t,
		parse: func(header []int, rows [][]string, lines []int) (any, []rowError) {
			out := make([]T, len(rows))
			var bad []rowError
			for r, row := range rows {
				v := reflect.ValueOf(&out[r]).Elem()
				for c, col := range header {
					if col < 0 || c >= len(row) {
						continue
					}
					if err := setCell(v.Field(fields[col]), row[c]); err != nil {
						bad = append(bad, rowError{Line: lines[r], Column: cols[col], Message: err.Error()})
					}
				}
			}
			return out, bad
		},
		check: func(ctx context.Context, s *store.Store, rows any) error { return rowsOf(check(s, ctx, rows.([]T))) },
		create: func(ctx context.Context, s *store.Store, rows any) ([]uint64, error) {
			ids, err := create(s, ctx, rows.([]T))
			return ids, rowsOf(err)
		},
	}
}

var (
	moneyType    = reflect.TypeFor[store.Money]()
	quantityType = reflect.TypeFor[store.Quantity]()
)

// settable says whether a CSV cell can fill a field of type t.
func settable(t reflect.Type) bool {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint64, reflect.Uint32, reflect.Uint:
		return true
	}
	return false
}

// setCell fills v from one cell; an empty cell leaves the zero value (nil
// for pointers: "not given").
func setCell(v reflect.Value, cell string) error {
	cell = strings.TrimSpace(cell)
	if cell == "" {
		return nil
	}
	if v.Kind() == reflect.Pointer {
		p := reflect.New(v.Type().Elem())
		if err := setCell(p.Elem(), cell); err != nil {
			return err
		}
		v.Set(p)
		return nil
	}
	switch {
	case v.Type() == moneyType || v.Type() == quantityType:
		if err := json.Unmarshal([]byte(cell), v.Addr().Interface()); err != nil || !isPlainNumber(cell) {
			return errors.New("must be a number with at most 2 decimal places, such as 49.99")
		}
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(cell)
	case reflect.Bool:
		switch strings.ToLower(cell) {
		case "true", "yes", "y", "1":
			v.SetBool(true)
		case "false", "no", "n", "0":
			v.SetBool(false)
		default:
			return errors.New("must be true or false")
		}
	case reflect.Int, reflect.Int64, reflect.Int32:
		n, err := strconv.ParseInt(cell, 10, v.Type().Bits())
		if err != nil {
			return errors.New("must be a whole number")
		}
		v.SetInt(n)
	case reflect.Uint, reflect.Uint64, reflect.Uint32:
		n, err := strconv.ParseUint(cell, 10, v.Type().Bits())
		if err != nil {
			return errors.New("must be a positive whole number (an id)")
		}
		v.SetUint(n)
	}
	return nil
}

func isPlainNumber(s string) bool {
	for _, r := range s {
		if !strings.ContainsRune("0123456789.-", r) {
			return false
		}
	}
	return true
}

func (s *Server) importers() []csvImporter {
	return []csvImporter{
		newImporter("customers", writeScope("customers"), []string{"name"},
			func(s *store.Store, _ context.Context, in []store.CustomerInput) error { return s.CheckCustomers(in) },
			(*store.Store).CreateCustomers),
		newImporter("catalog_items", writeScope("catalog"), []string{"sku", "name"}, dryRun((*store.Store).CreateCatalogItems),
			(*store.Store).CreateCatalogItems),
	}
}

// dryRun checks rows by running their import in a transaction the store
// rolls back (store.WithDryRun): every check the import makes, nothing kept.
func dryRun[T any](create func(*store.Store, context.Context, []T) ([]uint64, error)) func(*store.Store, context.Context, []T) error {
	return func(s *store.Store, ctx context.Context, in []T) error {
		_, err := create(s, store.WithDryRun(ctx), in)
		return err
	}
}

// rowField reads a bulk create's field name "rows[3].sku".
var rowField = regexp.MustCompile(`^rows\[(\d+)\]\.(.+)$`)

// rowsOf turns a bulk create's validation error, whose fields name their row
// ("rows[3].sku"), into a *store.RowsError; anything else passes through.
func rowsOf(err error) error {
	var ve *store.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	out := &store.RowsError{}
	for _, f := range ve.Fields {
		m := rowField.FindStringSubmatch(f.Field)
		if m == nil {
			return err
		}
		n, _ := strconv.Atoi(m[1])
		out.Rows = append(out.Rows, store.RowProblem{Row: n, Field: m[2], Message: f.Message})
	}
	return out
}

func (s *Server) importRoutes() []route {
	var out []route
	for _, im := range s.importers() {
		out = append(out, route{method: "POST", path: "/import/" + im.resource, scope: im.scope, handle: s.importCSV(im),
			summary: "Import " + im.resource + " from CSV (text/csv, up to 20 MiB; header row of columns: " + strings.Join(im.columns, ", ") +
				"); ?dry_run=true reports every bad row by line and column and writes nothing; otherwise all rows land in one transaction or none",
			upload: "text/csv", out: importResult{}, status: http.StatusCreated, maxBody: maxImportBody, query: []string{"dry_run"}})
	}
	return out
}

func (s *Server) importCSV(im csvImporter) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p *Principal) error {
		dryRun := false
		for name, vals := range r.URL.Query() {
			if name != "dry_run" {
				return validation(name, "is not a parameter of an import (dry_run)")
			}
			switch vals[0] {
			case "true", "1":
				dryRun = true
			case "false", "0", "":
			default:
				return validation("dry_run", "must be true or false")
			}
		}
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if mt != "text/csv" && mt != "application/csv" {
			return validation("Content-Type", "must be text/csv (a header row naming the columns, then one row per record)")
		}
		raw, err := io.ReadAll(r.Body)
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return tooLarge(maxImportBody)
		} else if err != nil {
			return validation("body", "could not be read: "+err.Error())
		}
		rows, bad, err := im.read(raw)
		if err != nil {
			return err
		}
		if rows == nil { // the header is wrong
			if dryRun {
				return ok(w, http.StatusOK, importReport{DryRun: true, Errors: bad})
			}
			return importRefused(bad)
		}
		if dryRun {
			if err := im.check(r.Context(), p.Store, rows); err != nil {
				more, err := im.rowErrors(err, raw)
				if err != nil {
					return err
				}
				bad = mergeRowErrors(bad, more)
			}
			if bad == nil {
				bad = []rowError{}
			}
			return ok(w, http.StatusOK, importReport{DryRun: true, Rows: reflect.ValueOf(rows).Len(), Errors: bad})
		}
		if len(bad) > 0 {
			return importRefused(bad)
		}
		ids, err := im.create(r.Context(), p.Store, rows)
		if err != nil {
			more, err := im.rowErrors(err, raw)
			if err != nil {
				return err
			}
			return importRefused(more)
		}
		return ok(w, http.StatusCreated, importResult{Imported: len(ids), IDs: ids})
	}
}

// importRefused is the 422 of an import with bad rows: every one, by line and
// column, in errors (and as details: the column and "line N: …").
func importRefused(bad []rowError) error {
	e := &apiError{Code: "VALIDATION_ERROR", Status: http.StatusUnprocessableEntity, Errors: bad,
		Message: fmt.Sprintf("%d problem(s) in the CSV, nothing was imported; first: line %d, %s: %s", len(bad), bad[0].Line, bad[0].Column, bad[0].Message)}
	for _, b := range bad {
		e.Details = append(e.Details, store.FieldError{Field: b.Column, Message: fmt.Sprintf("line %d: %s", b.Line, b.Message)})
	}
	return e
}

// read parses the CSV into the input slice, with the cells that could not
// be read as bad rows; a header that names no known columns, or a file that
// is not CSV, is a 422 at once.
func (im csvImporter) read(raw []byte) (any, []rowError, error) {
	raw = bytes.TrimPrefix(raw, []byte("\ufeff")) // Excel's byte order mark
	if !utf8.Valid(raw) {
		return nil, nil, validation("body", "must be UTF-8 text")
	}
	cr := csv.NewReader(bytes.NewReader(raw))
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err == io.EOF {
		return nil, nil, validation("body", "is empty: send a header row naming the columns ("+strings.Join(im.columns, ", ")+")")
	} else if err != nil {
		return nil, nil, csvSyntax(err)
	}
	var bad []rowError
	header := make([]int, len(head))
	seen := map[int]bool{}
	for i, h := range head {
		name := strings.ToLower(strings.TrimSpace(h))
		header[i] = slices.Index(im.columns, name)
		switch {
		case header[i] < 0:
			bad = append(bad, rowError{Line: 1, Column: strings.TrimSpace(h), Message: "is not a column of " + im.resource + " (columns: " + strings.Join(im.columns, ", ") + ")"})
		case seen[header[i]]:
			bad = append(bad, rowError{Line: 1, Column: name, Message: "is named twice"})
		}
		seen[header[i]] = true
	}
	for _, req := range im.required {
		if !seen[slices.Index(im.columns, req)] {
			bad = append(bad, rowError{Line: 1, Column: req, Message: "is a required column"})
		}
	}
	var rows [][]string
	var lines []int
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, csvSyntax(err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(head) {
			bad = append(bad, rowError{Line: line, Column: "", Message: fmt.Sprintf("has %d fields; the header has %d", len(rec), len(head))})
		}
		if len(rows) == store.MaxImportRows {
			return nil, nil, validation("body", fmt.Sprintf("has more than %d rows; split the file", store.MaxImportRows))
		}
		rows = append(rows, rec)
		lines = append(lines, line)
	}
	if len(bad) > 0 && bad[0].Line == 1 {
		return nil, bad, nil // the header is wrong: no row can be read
	}
	if len(rows) == 0 {
		return nil, nil, validation("body", "has a header row but no records")
	}
	in, cellBad := im.parse(header, rows, lines)
	return in, mergeRowErrors(bad, cellBad), nil
}

func csvSyntax(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return importRefused([]rowError{{Line: pe.Line, Column: "", Message: "is not valid CSV: " + pe.Err.Error()}})
	}
	return validation("body", "is not valid CSV: "+err.Error())
}

// rowErrors maps the store's *RowsError (rows counted from 0) to lines of
// the file; any other error passes through.
func (im csvImporter) rowErrors(err error, raw []byte) ([]rowError, error) {
	var re *store.RowsError
	if !errors.As(err, &re) {
		return nil, err
	}
	lines := recordLines(raw)
	out := make([]rowError, 0, len(re.Rows))
	for _, p := range re.Rows {
		line := 0
		if p.Row < len(lines) {
			line = lines[p.Row]
		}
		out = append(out, rowError{Line: line, Column: p.Field, Message: p.Message})
	}
	return out, nil
}

// recordLines finds the line each data record starts on (records may span
// lines inside quotes).
func recordLines(raw []byte) []int {
	raw = bytes.TrimPrefix(raw, []byte("\ufeff"))
	cr := csv.NewReader(bytes.NewReader(raw))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	var out []int
	first := true
	for {
		_, err := cr.Read()
		if err != nil {
			return out
		}
		if first {
			first = false
			continue
		}
		line, _ := cr.FieldPos(0)
		out = append(out, line)
	}
}

// mergeRowErrors joins two lists in line order, one error per line and column.
func mergeRowErrors(a, b []rowError) []rowError {
	all := append(slices.Clone(a), b...)
	slices.SortStableFunc(all, func(x, y rowError) int { return x.Line - y.Line })
	seen := map[[2]string]bool{}
	out := all[:0]
	for _, e := range all {
		k := [2]string{strconv.Itoa(e.Line), e.Column}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, e)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
