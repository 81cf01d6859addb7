package store

import (
	"errors"
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
