package store

import bolt "go.etcd.io/bbolt"

// TEMPORARY until stock-stock is merged: the catalog and adjustStock are
// the stock helper's. Replaced at the merge.

type poCatalogItem struct {
	SKU, Name string
	Cost      Money
}

func lineCatalogItem(tx *bolt.Tx, id uint64) (poCatalogItem, error) {
	if id > 1000 {
		return poCatalogItem{}, notFound("catalog item")
	}
	return poCatalogItem{SKU: "SKU", Name: "Item", Cost: 100}, nil
}

func (s *Store) receiveStock(tx *bolt.Tx, itemID, locationID uint64, qty int64, ref string) error {
	return nil
}
