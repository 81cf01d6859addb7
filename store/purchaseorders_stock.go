package store

import (
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// The purchase orders' side of the catalog and stock (store/catalog.go,
// store/inventory.go).

// lineCatalogItem is the catalog item a line names.
func lineCatalogItem(tx *bolt.Tx, id uint64) (*CatalogItem, error) {
	return getRecord[CatalogItem](tx, catalogItems.records, id, "catalog item")
}

// receiveStock adds qty units of line i's item to stock at a location, as
// received for ref; a problem adjustStock finds with a field is named as
// that line's.
func (s *Store) receiveStock(tx *bolt.Tx, i int, itemID, locationID uint64, qty int64, ref string) error {
	_, err := s.adjustStock(tx, itemID, locationID, qty, "receive", ref)
	var ve *ValidationError
	if errors.As(err, &ve) {
		fields := make([]FieldError, len(ve.Fields))
		for j, f := range ve.Fields {
			if f.Field == "delta" {
				f.Field = "quantity"
			}
			fields[j] = FieldError{Field: fmt.Sprintf("lines[%d].%s", i, f.Field), Message: f.Message}
		}
		return &ValidationError{Fields: fields}
	}
	return err
}
