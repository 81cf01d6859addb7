package api_test

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"portal/api"
	"portal/store"
)

// readCSV parses an export, checking its headers and RFC 4180 line ends.
func readCSV(t *testing.T, res *response, filename string) [][]string {
	t.Helper()
	if res.Status != http.StatusOK {
		t.Fatalf("%s: %d %s", res.req, res.Status, res.Body)
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("%s: Content-Type %q", res.req, ct)
	}
	if cd := res.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="`+filename+"-") || !strings.HasSuffix(cd, `.csv"`) {
		t.Errorf("%s: Content-Disposition %q", res.req, cd)
	}
	if !strings.HasSuffix(string(res.Body), "\r\n") {
		t.Errorf("%s: lines do not end in CRLF", res.req)
	}
	rows, err := csv.NewReader(strings.NewReader(string(res.Body))).ReadAll()
	if err != nil {
		t.Fatalf("%s: not CSV: %v", res.req, err)
	}
	return rows
}

func column(t *testing.T, rows [][]string, name string) []string {
	t.Helper()
	i := slices.Index(rows[0], name)
	if i < 0 {
		t.Fatalf("no column %q in %v", name, rows[0])
	}
	var out []string
	for _, r := range rows[1:] {
		out = append(out, r[i])
	}
	return out
}

// An export holds every matching record, not one page, in the list's own
// order, filtered and searched as the list is.
func TestExportStreamsEveryMatchingRecord(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, internalKey)
	var b strings.Builder
	b.WriteString("name,email,company\n")
	for i := range 450 {
		fmt.Fprintf(&b, "Person %03d,p%03d@example.com,%s\n", 449-i, i, map[bool]string{true: "Acme", false: "Globex"}[i%3 == 0])
	}
	c.postCSV("/import/customers", b.String()).ok(http.StatusCreated, nil)

	rows := readCSV(t, c.get("/customers.csv"), "customers")
	want := []string{"id", "name", "email", "phone", "company", "address", "notes", "created_at", "updated_at"}
	if !slices.Equal(rows[0], want) {
		t.Errorf("header %v, want %v", rows[0], want)
	}
	if len(rows) != 451 {
		t.Fatalf("%d rows, want 450 and the header", len(rows)-1)
	}
	ids := column(t, rows, "id")
	if ids[0] != "450" || ids[449] != "1" { // the list's natural order: newest first
		t.Errorf("ids run %s … %s", ids[0], ids[449])
	}
	rows = readCSV(t, c.get("/customers.csv?sort=name&order=asc"), "customers")
	names := column(t, rows, "name")
	if len(names) != 450 || names[0] != "Person 000" || names[449] != "Person 449" || !slices.IsSorted(names) {
		t.Errorf("sorted by name: %d, %s … %s", len(names), names[0], names[len(names)-1])
	}
	rows = readCSV(t, c.get("/customers.csv?q=acme"), "customers")
	if len(rows) != 151 {
		t.Errorf("q=acme: %d rows, want 150", len(rows)-1)
	}
	// The list's refusals, in our envelope, before anything is sent.
	c.get("/customers.csv?colour=red").fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "colour")
	c.get("/customers.csv?sort=shoe").fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "sort")
	c.get("/customers.csv?per_page=10").fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "per_page")
	c.get("/customers.csv?page=2").fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "page")
	// Cursors work as in the list.
	rows = readCSV(t, c.get("/customers.csv?since_id=440"), "customers")
	if got := column(t, rows, "id"); !slices.Equal(got, []string{"441", "442", "443", "444", "445", "446", "447", "448", "449", "450"}) {
		t.Errorf("since_id=440: %v", got)
	}
}

// Nested objects become dotted columns; text a spreadsheet would run as a
// formula is defused; commas, quotes and new lines survive.
func TestExportFlattensAndDefusesFormulas(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, internalKey)
	var evil customer
	c.post("/customers", map[string]any{"name": "=HYPERLINK(\"http://evil\",\"x\")", "phone": "+1 555 0100",
		"notes": "line one\nline \"two\", three"}).ok(http.StatusCreated, &evil)
	c.newTicket(evil.ID, map[string]any{"issue": "@SUM(A1:A9)", "device": map[string]any{"brand": "Apple", "model": "-iPhone 15", "imei": "356938035643809"}})
	plain := c.newTicket(evil.ID, map[string]any{"issue": "Battery"})
	c.patch(fmt.Sprintf("/tickets/%d", plain.ID), map[string]any{"status": "In Progress"}).ok(http.StatusOK, nil)

	rows := readCSV(t, c.get("/customers.csv"), "customers")
	if got := column(t, rows, "name")[0]; got != "'=HYPERLINK(\"http://evil\",\"x\")" {
		t.Errorf("name cell %q", got)
	}
	if got := column(t, rows, "phone")[0]; got != "'+1 555 0100" {
		t.Errorf("phone cell %q", got)
	}
	if got := column(t, rows, "notes")[0]; got != "line one\nline \"two\", three" {
		t.Errorf("notes cell %q", got)
	}

	rows = readCSV(t, c.get("/tickets.csv?status=New"), "tickets")
	for _, col := range []string{"device.brand", "device.model", "device.imei", "totals.total", "totals.balance", "assigned_to", "closed_at"} {
		if !slices.Contains(rows[0], col) {
			t.Errorf("tickets.csv has no %s column: %v", col, rows[0])
		}
	}
	if slices.Contains(rows[0], "device") || slices.Contains(rows[0], "totals") {
		t.Errorf("nested objects not flattened: %v", rows[0])
	}
	if len(rows) != 2 {
		t.Fatalf("status=New: %d rows, want 1", len(rows)-1)
	}
	if got := column(t, rows, "issue")[0]; got != "'@SUM(A1:A9)" {
		t.Errorf("issue cell %q", got)
	}
	if got := column(t, rows, "device.model")[0]; got != "'-iPhone 15" {
		t.Errorf("model cell %q", got)
	}
	if got := column(t, rows, "totals.total")[0]; got != "0.00" {
		t.Errorf("money cell %q", got)
	}
	if got := column(t, rows, "assigned_to")[0]; got != "" {
		t.Errorf("null cell %q", got)
	}
}

// Every declared resource's list has its export, guarded by the list's read
// scope; an empty list is a header alone.
func TestEveryDeclaredListExports(t *testing.T) {
	t.Parallel()
	ts, c := newServer(t, internalKey)
	routes := ts.API.Routes()
	for _, d := range store.Declared() {
		if d.Resource == "attachments" {
			// Listed only under their owner, with the owner's scope too: an
			// export of them all would show files.read every ticket's files.
			continue
		}
		var found *api.Route
		for i, rt := range routes {
			if rt.Method == http.MethodGet && strings.HasSuffix(rt.Path, ".csv") && rt.Scope == d.Scope+".read" {
				found = &routes[i]
			}
		}
		if found == nil {
			t.Errorf("no CSV export of %s", d.Resource)
			continue
		}
		path := strings.TrimPrefix(found.Path, api.APIPrefix)
		rows := readCSV(t, c.get(path), strings.TrimSuffix(strings.ReplaceAll(strings.Trim(path, "/"), "/", "-"), ".csv"))
		if len(rows) != 1 || len(rows[0]) < 2 || rows[0][0] != "id" {
			t.Errorf("%s on an empty store: %v", path, rows)
		}
		other := ts.client(keySpec{Type: store.KeyPlugin, Scopes: []string{"events.read"}})
		other.get(path).fail(http.StatusForbidden, "FORBIDDEN")
	}
}

// A filtered export in id order walks the filter's index by id, page after
// page, newest first or (order=asc) oldest first, and misses nothing.
func TestExportWalksAFilteredListByID(t *testing.T) {
	t.Parallel()
	ts, c := newServer(t, internalKey)
	cust := c.newCustomer("Walker")
	var in []store.TicketInput
	for i := range 700 {
		status := "New"
		if i%3 == 1 {
			status = "In Progress"
		}
		in = append(in, store.TicketInput{CustomerID: cust.ID, Issue: fmt.Sprint("Issue ", i), Status: status,
			Device: store.Device{Brand: "Apple", Model: "iPhone"}})
	}
	if _, err := ts.Live.ImportTickets(t.Context(), in); err != nil {
		t.Fatal(err)
	}
	var wantDesc []string
	for i := 700; i >= 1; i-- {
		if (i-1)%3 != 1 {
			wantDesc = append(wantDesc, fmt.Sprint(i))
		}
	}
	wantAsc := slices.Clone(wantDesc)
	slices.Reverse(wantAsc)
	for query, want := range map[string][]string{
		"status=New":                         wantDesc,
		"status=New&order=asc":               wantAsc,
		"status=New&sort=created_at":         wantDesc,
		"status=New&sort=id&order=asc":       wantAsc,
		"status=New&sort=updated_at":         nil, // by page number: same set
		"customer_id=1&status=New&order=asc": wantAsc,
	} {
		rows := readCSV(t, c.get("/tickets.csv?"+query), "tickets")
		got := column(t, rows, "id")
		if want == nil {
			slices.SortFunc(got, func(a, b string) int { return len(b) - len(a) })
			if len(got) != len(wantDesc) {
				t.Errorf("%s: %d rows, want %d", query, len(got), len(wantDesc))
			}
			continue
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: %d rows %v…, want %d %v…", query, len(got), got[:min(5, len(got))], len(want), want[:5])
		}
	}
}
