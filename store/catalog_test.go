package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

func mustLocation(t *testing.T, s *Store, name string) Location {
	t.Helper()
	l, err := s.CreateLocation(t.Context(), LocationInput{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestCatalogSKUUniqueAndStockNeverBelowZero(t *testing.T) {
	s := openTest(t)
	ctx := t.Context()
	item, err := s.CreateCatalogItem(ctx, CatalogItemInput{SKU: "SCR-IP13", Name: "iPhone 13 screen", Price: 8950, ReorderLevel: 2, Barcode: "0123456789012"})
	if err != nil {
		t.Fatal(err)
	}
	var conflict *ConflictError
	if _, err := s.CreateCatalogItem(ctx, CatalogItemInput{SKU: "scr-ip13", Name: "Again"}); !errors.As(err, &conflict) {
		t.Fatalf("same sku in another case: %v, want a conflict", err)
	}
	if _, err := s.CreateCatalogItem(ctx, CatalogItemInput{SKU: "OTHER", Name: "Again", Barcode: "0123456789012"}); !errors.As(err, &conflict) {
		t.Fatalf("same barcode: %v, want a conflict", err)
	}
	_, err = s.CreateCatalogItems(ctx, []CatalogItemInput{{SKU: "A", Name: "a"}, {SKU: "SCR-IP13", Name: "b"}, {SKU: "a", Name: ""}})
	var invalid *ValidationError
	if !errors.As(err, &invalid) || len(invalid.Fields) != 3 {
		t.Fatalf("import with three bad fields: %v", err)
	}
	loc := mustLocation(t, s, "Main")
	var low int
	adjust := func(delta int64) error {
		return s.update(ctx, func(tx *bolt.Tx) error {
			_, err := s.adjustStock(tx, item.ID, loc.ID, delta, "count", "")
			return err
		})
	}
	for _, d := range []int64{5, -3, -1, 4, -4} { // 5, 2 (low), 1, 5, 1 (low again)
		if err := adjust(d); err != nil {
			t.Fatal(err)
		}
	}
	if err := adjust(-2); !errors.As(err, &conflict) {
		t.Fatalf("below zero: %v", err)
	}
	l, _ := s.StockLevelOf(item.ID, loc.ID)
	if l.Quantity != 1 || !l.LowStock {
		t.Fatalf("level %+v", l)
	}
	page, err := s.ListEvents(EventQuery{Pattern: "inventory.low_stock", PerPage: 50})
	if err == nil {
		low = page.Total
	}
	if low != 2 {
		t.Fatalf("low_stock fired %d times, want 2 (err %v)", low, err)
	}
}

// An import is all or nothing: a bad row writes nothing; a good one lands
// whole, searchable, one catalog.item_created a row, its postings exact.
func TestCreateCatalogItemsAllOrNothing(t *testing.T) {
	s := openTest(t)
	ctx := t.Context()
	rows := make([]CatalogItemInput, 300)
	for i := range rows {
		rows[i] = CatalogItemInput{SKU: fmt.Sprintf("IMP-%04d", i), Name: fmt.Sprintf("Imported part %d", i), Price: Money(100 + i)}
	}
	rows[7].Barcode, rows[250].Barcode = "555", "555"
	rows[120].Price = -1
	_, err := s.CreateCatalogItems(ctx, rows)
	var invalid *ValidationError
	if !errors.As(err, &invalid) || len(invalid.Fields) != 2 || invalid.Fields[0].Field != "rows[120].price" || invalid.Fields[1].Field != "rows[250].barcode" {
		t.Fatalf("bad import: %v", err)
	}
	page, _ := s.ListCatalogItems(ListQuery{PerPage: 10}, "")
	if page.Total != 0 {
		t.Fatalf("a refused import wrote %d items", page.Total)
	}
	rows[250].Barcode, rows[120].Price = "556", 120
	ids, err := s.CreateCatalogItems(ctx, rows)
	if err != nil || len(ids) != 300 {
		t.Fatalf("import: %d ids, %v", len(ids), err)
	}
	page, err = s.ListCatalogItems(ListQuery{PerPage: 10}, "imp-0250")
	if err != nil || page.Total != 1 {
		t.Fatalf("search an imported sku: %+v %v", page, err)
	}
	events, _ := s.ListEvents(EventQuery{Pattern: "catalog.item_created", PerPage: 1})
	if events.Total != 300 {
		t.Fatalf("%d catalog.item_created, want 300", events.Total)
	}
	if _, err := s.UpdateCatalogItem(ctx, ids[0], CatalogItemPatch{Name: ptr("Renamed screen")}); err != nil {
		t.Fatal(err)
	}
	checkSearchIndex(t, s, catalogSearch)
}

// Tickets written before tickets had a location read with location_id 0,
// in the API's JSON too (a schema step writes it in).
func TestOlderTicketsReadLocationZero(t *testing.T) {
	path := filepath.Join(t.TempDir(), "live.db")
	copyFile(t, "testdata/v10.db", path)
	s := openAt(t, path, Options{})
	page, err := s.ListTickets(ListQuery{Page: 1, PerPage: 200})
	if err != nil || page.Total == 0 {
		t.Fatalf("tickets: %d, %v", page.Total, err)
	}
	for _, raw := range page.Items {
		var tk struct {
			ID         uint64  `json:"id"`
			LocationID *uint64 `json:"location_id"`
		}
		if err := json.Unmarshal(raw, &tk); err != nil || tk.LocationID == nil || *tk.LocationID != 0 {
			t.Fatalf("ticket %d reads location %v (%v): %s", tk.ID, tk.LocationID, err, raw)
		}
	}
}
