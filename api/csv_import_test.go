package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"portal/store"
)

type importReport struct {
	DryRun bool `json:"dry_run"`
	Rows   int  `json:"rows"`
	Errors []struct {
		Line    int    `json:"line"`
		Column  string `json:"column"`
		Message string `json:"message"`
	} `json:"errors"`
}

type importResult struct {
	Imported int      `json:"imported"`
	IDs      []uint64 `json:"ids"`
}

// postCSV sends a CSV body to an import.
func (c *client) postCSV(path, body string) *response {
	c.t.Helper()
	return c.api(http.MethodPost, path, body, "Content-Type", "text/csv; charset=utf-8")
}

// customersCSV is n customers; bad maps a row (from 0) to a line to put instead.
func customersCSV(n int, bad map[int]string) string {
	var b strings.Builder
	b.WriteString("name,email,phone,company\n")
	for i := range n {
		if line, ok := bad[i]; ok {
			b.WriteString(line + "\n")
			continue
		}
		fmt.Fprintf(&b, "Customer %05d,c%05d@example.com,+1 555 %07d,\"Shop, Inc.\"\n", i, i, i)
	}
	return b.String()
}

func total(t *testing.T, c *client, path string) int {
	t.Helper()
	env := c.get(path).ok(http.StatusOK, nil)
	return env.Meta.Total
}

// The proof: 10,000 rows with 3 bad ones. The dry run names exactly
// the 3 by line and column and writes nothing; fixed, the import lands in one
// go, every customer searchable, each with its customer.created.
func TestImportTenThousandCustomersWithThreeBadRows(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, internalKey)
	const n = 10_000
	bad := map[int]string{
		41:   "Bad Email,not-an-email,,",
		5000: ",nobody@example.com,,",             // no name
		9998: "Bad Phone,bp@example.com,call me,", // letters in the phone
	}
	eventsBefore := total(t, c, "/events?event=customer.created")

	var rep importReport
	c.postCSV("/import/customers?dry_run=true", customersCSV(n, bad)).ok(http.StatusOK, &rep)
	got := fmt.Sprint(rep.Errors)
	want := []struct {
		line   int
		column string
	}{{43, "email"}, {5002, "name"}, {10000, "phone"}}
	if !rep.DryRun || rep.Rows != n || len(rep.Errors) != 3 {
		t.Fatalf("dry run: %d rows, errors %s", rep.Rows, got)
	}
	for i, w := range want {
		if e := rep.Errors[i]; e.Line != w.line || e.Column != w.column || e.Message == "" {
			t.Errorf("error %d: %+v, want line %d column %s", i, e, w.line, w.column)
		}
	}
	if got := total(t, c, "/customers"); got != 0 {
		t.Fatalf("the dry run wrote %d customers", got)
	}
	// Without dry_run the same file is refused whole, naming the same three.
	e := c.postCSV("/import/customers", customersCSV(n, bad)).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	if len(e.Details) != 3 || e.Details[0].Field != "email" || !strings.HasPrefix(e.Details[0].Message, "line 43:") {
		t.Errorf("refusal details %+v", e.Details)
	}
	if got := total(t, c, "/customers"); got != 0 {
		t.Fatalf("a refused import wrote %d customers", got)
	}
	if got := total(t, c, "/events?event=customer.created"); got != eventsBefore {
		t.Fatalf("nothing written, yet %d new events", got-eventsBefore)
	}

	fixed := customersCSV(n, nil)
	c.postCSV("/import/customers?dry_run=true", fixed).ok(http.StatusOK, &rep)
	if len(rep.Errors) != 0 || rep.Rows != n {
		t.Fatalf("fixed dry run: %+v", rep)
	}
	var res importResult
	c.postCSV("/import/customers", fixed).ok(http.StatusCreated, &res)
	if res.Imported != n || len(res.IDs) != n || res.IDs[n-1]-res.IDs[0] != n-1 {
		t.Fatalf("imported %d (%d ids)", res.Imported, len(res.IDs))
	}
	if got := total(t, c, "/customers"); got != n {
		t.Fatalf("%d customers after the import, want %d", got, n)
	}
	var found []customer
	c.get("/customers?q=c09876@example.com").ok(http.StatusOK, &found)
	if len(found) != 1 || found[0].Name != "Customer 09876" || found[0].Phone != "+1 555 0009876" {
		t.Errorf("search after import: %+v", found)
	}
	c.get("/customers?q=5550000042").ok(http.StatusOK, &found) // by phone digits
	if len(found) != 1 || found[0].Name != "Customer 00042" {
		t.Errorf("search by phone after import: %+v", found)
	}
	if got := total(t, c, "/events?event=customer.created"); got != eventsBefore+n {
		t.Errorf("%d customer.created events, want %d", got-eventsBefore, n)
	}
	// And the export gives every one back, oldest first when asked.
	rows := readCSV(t, c.get("/customers.csv?order=asc"), "customers")
	if len(rows) != n+1 || rows[1][1] != "Customer 00000" || rows[n][1] != "Customer 09999" {
		t.Errorf("export: %d rows, first %v, last %v", len(rows)-1, rows[1], rows[len(rows)-1])
	}
}

func TestImportRefusesWhatItCannotRead(t *testing.T) {
	t.Parallel()
	ts, c := newServer(t, internalKey)
	// Unknown and repeated columns, a missing required one: the header is line 1.
	var rep importReport
	c.postCSV("/import/customers?dry_run=true", "Name,shoe_size,email,EMAIL\nAda,42,a@example.com,b@example.com\n").ok(http.StatusOK, &rep)
	if len(rep.Errors) != 2 || rep.Errors[0].Column != "shoe_size" || rep.Errors[0].Line != 1 || rep.Errors[1].Column != "email" {
		t.Errorf("header errors %+v", rep.Errors)
	}
	c.postCSV("/import/customers?dry_run=true", "email\na@example.com\n").ok(http.StatusOK, &rep)
	if len(rep.Errors) != 1 || rep.Errors[0].Column != "name" || !strings.Contains(rep.Errors[0].Message, "required") {
		t.Errorf("missing column %+v", rep.Errors)
	}
	e := c.postCSV("/import/customers", "name,shoe_size\nAda,42\n").fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "shoe_size")
	if !strings.Contains(e.Message, "line 1") {
		t.Errorf("message %q", e.Message)
	}
	// A row with too few fields, a quoted field over two lines (the next row's
	// line counts both), a bad quote.
	c.postCSV("/import/customers?dry_run=true", "name,notes,email\nAda\n\"Grace\",\"two\nlines\",bad\nAlan,,alan@example.com\n").ok(http.StatusOK, &rep)
	if len(rep.Errors) != 2 || rep.Errors[0].Line != 2 || rep.Errors[1].Line != 3 || rep.Errors[1].Column != "email" {
		t.Errorf("row errors %+v", rep.Errors)
	}
	c.postCSV("/import/customers", "name\n\"Ada\n").fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	c.postCSV("/import/customers", "").fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "body")
	c.postCSV("/import/customers?dry_run=true", "name,email\n").fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "body")
	c.post("/import/customers", map[string]any{"name": "Ada"}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "Content-Type")
	c.postCSV("/import/customers?dry_run=maybe", "name\nAda\n").fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "dry_run")
	c.postCSV("/import/customers?page=2", "name\nAda\n").fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "page")

	// A BOM and CRLF (as Excel saves) are fine; header case does not matter.
	var res importResult
	c.postCSV("/import/customers", "\ufeffNAME,Email\r\nAda,ada@example.com\r\n").ok(http.StatusCreated, &res)
	if res.Imported != 1 {
		t.Errorf("imported %d", res.Imported)
	}

	// Over 20 MiB: 413 (more than the 1 MiB of JSON bodies is fine).
	big := bytes.Repeat([]byte("Ada Lovelace,ada@example.com\n"), (21<<20)/29)
	res2 := c.call(http.MethodPost, "/api/v1/import/customers", append([]byte("name,email\n"), big...), "Content-Type", "text/csv")
	if res2.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("21 MiB: %d", res2.Status)
	}
	var env struct {
		Error struct{ Message string } `json:"error"`
	}
	json.Unmarshal(res2.Body, &env)
	if !strings.Contains(env.Error.Message, "20 MiB") {
		t.Errorf("413 message %q", env.Error.Message)
	}
	mid := bytes.Repeat([]byte("Ada Lovelace,ada@example.com\n"), (2<<20)/29)
	c.call(http.MethodPost, "/api/v1/import/customers?dry_run=true", append([]byte("name,email\n"), mid...), "Content-Type", "text/csv").ok(http.StatusOK, nil)
	// The JSON routes keep 1 MiB.
	c.call(http.MethodPost, "/api/v1/customers", append([]byte(`{"name":"`), bytes.Repeat([]byte("a"), 2<<20)...)).fail(http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE")

	// customers.write, not customers.read.
	reader := ts.client(keySpec{Type: "plugin", Scopes: []string{"customers.read"}})
	reader.postCSV("/import/customers?dry_run=true", "name\nAda\n").fail(http.StatusForbidden, "FORBIDDEN")
}

// Catalog items: the dry run makes every check the import makes (skus
// unique in the file and against the catalog) in a transaction it rolls
// back, so it reports them all and keeps nothing.
func TestImportCatalogItems(t *testing.T) {
	t.Parallel()
	ts, c := newServer(t, internalKey)
	var res importResult
	c.postCSV("/import/catalog_items", "sku,name,kind,price,cost,taxable,reorder_level,barcode\n"+
		"SCR-IP13,iPhone 13 screen,part,89.00,41.50,yes,3,0123456789012\n"+
		"LAB-1H,Labour (1 hour),service,60,,false,,\n").ok(http.StatusCreated, &res)
	if res.Imported != 2 {
		t.Fatalf("imported %d", res.Imported)
	}
	page, err := ts.Live.ListCatalogItems(store.ListQuery{Page: 1, PerPage: 10, Desc: false}, "")
	if err != nil || page.Total != 2 {
		t.Fatalf("catalog after import: %v %d", err, page.Total)
	}
	var first struct {
		SKU     string      `json:"sku"`
		Price   json.Number `json:"price"`
		Taxable bool        `json:"taxable"`
	}
	json.Unmarshal(page.Items[0], &first)
	if first.SKU != "SCR-IP13" || first.Price != "89.00" || !first.Taxable {
		t.Errorf("first item %+v", first)
	}
	events := total(t, c, "/events?event=catalog.item_created")
	if events != 2 {
		t.Errorf("%d catalog.item_created events, want 2", events)
	}

	bad := "sku,name,kind,price,reorder_level\n" +
		"scr-ip13,Again,part,1,0\n" + // line 2: the sku exists (any case)
		"BAT-1,Battery,gadget,12.345,0\n" + // line 3: kind and price
		"BAT-2,Battery 2,part,5,-1\n" + // line 4: reorder level
		"BAT-2,Battery 2 again,part,5,0\n" + // line 5: the sku repeats line 4's
		"OK-1,Fine,product,5,0\n"
	var rep importReport
	c.postCSV("/import/catalog_items?dry_run=true", bad).ok(http.StatusOK, &rep)
	got := []string{}
	for _, e := range rep.Errors {
		got = append(got, fmt.Sprintf("%d:%s", e.Line, e.Column))
	}
	want := []string{"2:sku", "3:price", "3:kind", "4:reorder_level", "5:sku"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("dry run errors %v, want %v\n%+v", got, want, rep.Errors)
	}
	c.postCSV("/import/catalog_items", bad).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	// A clean dry run keeps nothing either: the same rows import afterwards.
	clean := "sku,name,price\nNEW-1,New one,5\nNEW-2,New two,6\n"
	c.postCSV("/import/catalog_items?dry_run=true", clean).ok(http.StatusOK, &rep)
	if len(rep.Errors) != 0 || rep.Rows != 2 {
		t.Errorf("clean dry run %+v", rep)
	}
	if n := total(t, c, "/events?event=catalog.item_created"); n != 2 {
		t.Errorf("dry runs logged %d events", n-2)
	}
	c.postCSV("/import/catalog_items", clean).ok(http.StatusCreated, &res)
	if res.Imported != 2 {
		t.Errorf("imported %d", res.Imported)
	}
	// catalog.write, not customers.write.
	cust := ts.client(keySpec{Type: "plugin", Scopes: []string{"customers.write"}})
	cust.postCSV("/import/catalog_items?dry_run=true", clean).fail(http.StatusForbidden, "FORBIDDEN")
}
