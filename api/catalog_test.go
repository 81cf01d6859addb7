package api_test

import (
	"fmt"
	"net/http"
	"testing"

	"portal/store"
)

// Catalog items through the API: validated field by field, sku unique
// whatever its case and barcode unique when given (409), searched by name,
// sku and barcode, filtered and sorted as the declaration says, each
// change logged.
func TestCatalogItemsCreateSearchUpdate(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, internalKey)
	var screen, battery, labour store.CatalogItem
	c.post("/catalog/items", map[string]any{"sku": "SCR-IP13", "name": "iPhone 13 screen", "price": 89.5, "cost": 41.25,
		"reorder_level": 3, "barcode": "0194252707", "allow_backorder": true}).ok(http.StatusCreated, &screen)
	c.post("/catalog/items", map[string]any{"sku": "BAT-PX8", "name": "Pixel 8 battery", "kind": "product", "price": 39}).ok(http.StatusCreated, &battery)
	c.post("/catalog/items", map[string]any{"sku": "LAB-1H", "name": "Bench labour", "kind": "service", "price": 60, "taxable": false}).ok(http.StatusCreated, &labour)
	if screen.Kind != "part" || !screen.Taxable || screen.Price != 8950 || screen.Cost != 4125 || labour.Taxable || !screen.AllowBackorder {
		t.Fatalf("created %+v, %+v", screen, labour)
	}

	for _, bad := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"name": "No sku"}, "sku"},
		{map[string]any{"sku": "X1"}, "name"},
		{map[string]any{"sku": "X1", "name": "X", "kind": "gadget"}, "kind"},
		{map[string]any{"sku": "X1", "name": "X", "price": -1}, "price"},
		{map[string]any{"sku": "X1", "name": "X", "cost": 1.005}, "cost"},
		{map[string]any{"sku": "X1", "name": "X", "reorder_level": -2}, "reorder_level"},
		{map[string]any{"sku": "X1", "name": "X", "reorder_level": 1.5}, "reorder_level"},
		{map[string]any{"sku": "X1", "name": "X", "barcode": "12 34"}, "barcode"},
		{map[string]any{"sku": "X1", "name": "X", "supplier_id": 77}, "supplier_id"},
		{map[string]any{"sku": "X1", "name": "X", "kind": "service", "allow_backorder": true}, "allow_backorder"},
	} {
		c.post("/catalog/items", bad.body).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", bad.field)
	}
	c.post("/catalog/items", map[string]any{"sku": "scr-ip13", "name": "Twin"}).fail(http.StatusConflict, "CONFLICT")
	c.post("/catalog/items", map[string]any{"sku": "OTHER", "name": "Twin", "barcode": "0194252707"}).fail(http.StatusConflict, "CONFLICT")
	c.patch(fmt.Sprintf("/catalog/items/%d", battery.ID), map[string]any{"sku": "Scr-Ip13"}).fail(http.StatusConflict, "CONFLICT")

	search := func(q string, want ...uint64) {
		t.Helper()
		env := c.get("/catalog/items?q="+q).ok(http.StatusOK, nil)
		if got := ids(t, env.Data); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("q=%s: %v, want %v", q, got, want)
		}
	}
	search("iphone", screen.ID)
	search("scr-ip13", screen.ID)
	search("scrip13", screen.ID)
	search("0194252707", screen.ID)
	search("pixel+batt", battery.ID)
	search("nothing")
	env := c.get("/catalog/items?kind=service").ok(http.StatusOK, nil)
	if got := ids(t, env.Data); len(got) != 1 || got[0] != labour.ID {
		t.Errorf("kind=service: %v", got)
	}
	env = c.get("/catalog/items?sort=sku").ok(http.StatusOK, nil)
	if got := ids(t, env.Data); fmt.Sprint(got) != fmt.Sprint([]uint64{battery.ID, labour.ID, screen.ID}) {
		t.Errorf("sort=sku: %v", got)
	}
	c.get("/catalog/items?kind=gadget").fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "kind")

	var changed store.CatalogItem
	c.patch(fmt.Sprintf("/catalog/items/%d", screen.ID), map[string]any{"sku": "SCR-IP13-OEM", "price": 95}).ok(http.StatusOK, &changed)
	if changed.SKU != "SCR-IP13-OEM" || changed.Price != 9500 {
		t.Fatalf("patched %+v", changed)
	}
	search("scr-ip13-oem", screen.ID)
	// The old sku is free again; the old token is gone.
	c.post("/catalog/items", map[string]any{"sku": "SCR-IP13", "name": "Aftermarket screen"}).ok(http.StatusCreated, nil)
	c.patch(fmt.Sprintf("/catalog/items/%d", screen.ID), map[string]any{"kind": "wrong"}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "kind")
	c.get("/catalog/items/999").fail(http.StatusNotFound, "NOT_FOUND")
	var got store.CatalogItem
	c.get(fmt.Sprintf("/catalog/items/%d", screen.ID)).ok(http.StatusOK, &got)
	if got.SKU != "SCR-IP13-OEM" {
		t.Fatalf("read back %+v", got)
	}

	var events []struct {
		Event string `json:"event"`
		Data  struct {
			CatalogItemID uint64                 `json:"catalog_item_id"`
			Changes       map[string]fieldChange `json:"changes"`
		} `json:"data"`
	}
	c.get("/events?event=catalog.*").ok(http.StatusOK, &events)
	if len(events) != 5 || events[1].Event != "catalog.item_updated" || events[1].Data.CatalogItemID != screen.ID ||
		len(events[1].Data.Changes) != 2 {
		t.Fatalf("events %+v", events)
	}
}

type fieldChange struct {
	From any `json:"from"`
	To   any `json:"to"`
}
