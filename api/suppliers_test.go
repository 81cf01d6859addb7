package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"portal/store"
)

func TestSupplierInputIsValidatedFieldByField(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, internalKey)
	for _, bad := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"contact": "Jo"}, "name"},
		{map[string]any{"name": "   "}, "name"},
		{map[string]any{"name": strings.Repeat("é", 121)}, "name"},
		{map[string]any{"name": "Parts Co", "contact": strings.Repeat("x", 121)}, "contact"},
		{map[string]any{"name": "Parts Co", "email": "orders@"}, "email"},
		{map[string]any{"name": "Parts Co", "phone": "ring the bell"}, "phone"},
		{map[string]any{"name": "Parts Co", "notes": strings.Repeat("n", 10001)}, "notes"},
		{map[string]any{"name": "Parts Co", "rating": 5}, "rating"},
		{map[string]any{"name": 12}, "name"},
	} {
		c.post("/suppliers", bad.body).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", bad.field)
	}
	var sup store.Supplier
	c.post("/suppliers", map[string]any{"name": " Parts Co ", "contact": "Jo Bloggs", "email": "orders@parts.example.com",
		"phone": "+44 20 7946 0001", "notes": "Net 30"}).ok(http.StatusCreated, &sup)
	if sup.ID == 0 || sup.Name != "Parts Co" || sup.Contact != "Jo Bloggs" || sup.Notes != "Net 30" {
		t.Fatalf("created %+v", sup)
	}
	path := fmt.Sprintf("/suppliers/%d", sup.ID)
	c.patch(path, map[string]any{"email": "nope"}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "email")
	c.patch(path, map[string]any{"name": ""}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "name")
	c.patch("/suppliers/999", map[string]any{"name": "X"}).fail(http.StatusNotFound, "NOT_FOUND")
	c.get("/suppliers/999").fail(http.StatusNotFound, "NOT_FOUND")
	var got store.Supplier
	c.get(path).ok(http.StatusOK, &got)
	if got != sup {
		t.Fatalf("a refused patch changed the supplier: %+v, was %+v", got, sup)
	}
	var changed store.Supplier
	c.patch(path, map[string]any{"contact": "Sam Spade", "phone": ""}).ok(http.StatusOK, &changed)
	if changed.Contact != "Sam Spade" || changed.Phone != "" || changed.Name != "Parts Co" {
		t.Fatalf("patched %+v", changed)
	}

	var events []wireEvent
	c.get("/events?event=supplier.*").ok(http.StatusOK, &events)
	if len(events) != 2 || events[0].Event != "supplier.updated" || events[1].Event != "supplier.created" {
		t.Fatalf("events %+v", events)
	}
	if string(events[0].Data["supplier_id"]) != fmt.Sprint(sup.ID) ||
		!strings.Contains(string(events[0].Data["changes"]), `"contact":{"from":"Jo Bloggs","to":"Sam Spade"}`) ||
		!strings.Contains(string(events[0].Data["supplier"]), `"contact":"Sam Spade"`) {
		t.Errorf("supplier.updated data %s", events[0].Data)
	}
}

// Suppliers are found by a prefix of any word of the name or contact, or by
// email, and listed by name.
func TestSuppliersAreSearchedAndSortedByName(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, internalKey)
	for _, s := range []map[string]any{
		{"name": "Mobile Sentrix", "contact": "Dana"},
		{"name": "Injured Gadgets", "email": "sales@injuredgadgets.example.com"},
		{"name": "Parts Co", "contact": "Mo Salah"},
	} {
		c.post("/suppliers", s).ok(http.StatusCreated, nil)
	}
	names := func(path string) string {
		t.Helper()
		var list []store.Supplier
		c.get(path).ok(http.StatusOK, &list)
		var out []string
		for _, s := range list {
			out = append(out, s.Name)
		}
		return strings.Join(out, ", ")
	}
	for path, want := range map[string]string{
		"/suppliers?q=mo":                         "Parts Co, Mobile Sentrix",
		"/suppliers?q=gadg":                       "Injured Gadgets",
		"/suppliers?q=injuredgadgets.example.com": "Injured Gadgets",
		"/suppliers?q=dana+sent":                  "Mobile Sentrix",
		"/suppliers?q=zebra":                      "",
		"/suppliers?sort=name":                    "Injured Gadgets, Mobile Sentrix, Parts Co",
		"/suppliers":                              "Parts Co, Injured Gadgets, Mobile Sentrix",
	} {
		if got := names(path); got != want {
			t.Errorf("%s: %q, want %q", path, got, want)
		}
	}
	c.get("/suppliers?status=active").fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "status")
}

// Suppliers share the purchase orders' scopes (API.md).
func TestSuppliersNeedThePurchaseOrdersScopes(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t, internalKey)
	reader := ts.client(keySpec{Type: store.KeyPlugin, Scopes: []string{"purchase_orders.read"}})
	reader.get("/suppliers").ok(http.StatusOK, nil)
	e := reader.post("/suppliers", map[string]any{"name": "Parts Co"}).fail(http.StatusForbidden, "FORBIDDEN")
	if !strings.Contains(e.Message, "purchase_orders.write") {
		t.Errorf("refusal %q does not name purchase_orders.write", e.Message)
	}
	writer := ts.client(keySpec{Type: store.KeyPlugin, Scopes: []string{"purchase_orders.write"}})
	writer.post("/suppliers", map[string]any{"name": "Parts Co"}).ok(http.StatusCreated, nil)
}
