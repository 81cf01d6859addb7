package store

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

// inventory is the stock of each stocked catalog item (part or product) at
// each location: one record per pair, made by the first adjustment, found
// by the pair through inventory_keys. Every change goes through adjustStock,
// inside the transaction of its cause, and leaves an adjustment in the
// history (inventory_adjustments).
var inventory = declare(Resource[StockLevel]{
	Name: "inventory", Scope: "inventory",
	Events: []string{"inventory.adjusted", "inventory.low_stock"},
	Filters: []Filter[StockLevel]{
		{Name: "item_id", Doc: "Only this catalog item's stock",
			Key: func(l *StockLevel) []byte { return orderedUint(l.ItemID) }, Parse: positiveID("item_id"), Show: showID},
		{Name: "location_id", Doc: "Only the stock at this location",
			Key: func(l *StockLevel) []byte { return orderedUint(l.LocationID) }, Parse: positiveID("location_id"), Show: showID, Few: true},
		{Name: "low_stock", Doc: "true: only stock at or below its item's reorder level; false: only the rest",
			Key: func(l *StockLevel) []byte { return boolKey(l.LowStock) }, Parse: boolFilter("low_stock"), Show: showBool,
			Few: true, Values: []string{"true", "false"}},
	},
	Sorts: []Sort[StockLevel]{
		{Name: "id", Label: "Oldest first", Desc: false},
		{Name: "updated_at", Label: "Recently changed", Desc: true, Grows: true, Key: func(l *StockLevel) []byte { return orderedUint(timeKey(l.UpdatedAt)) }},
	},
})

// inventoryAdjustments is the stock's history: every change, never edited.
var inventoryAdjustments = declare(Resource[Adjustment]{
	Name: "inventory_adjustments", Scope: "inventory", Events: []string{"inventory.adjusted"},
	Filters: []Filter[Adjustment]{
		{Name: "item_id", Doc: "Only this catalog item's adjustments",
			Key: func(a *Adjustment) []byte { return orderedUint(a.ItemID) }, Parse: positiveID("item_id"), Show: showID, SortedBy: []string{"id"}},
		{Name: "location_id", Doc: "Only adjustments at this location",
			Key: func(a *Adjustment) []byte { return orderedUint(a.LocationID) }, Parse: positiveID("location_id"), Show: showID, Few: true,
			SortedBy: []string{"id"}},
	},
	Sorts: []Sort[Adjustment]{
		{Name: "id", Label: "Newest", Desc: true, Aliases: []string{"created_at"}},
		// An adjustment is never changed: updated_after walks them by when they were made.
		{Name: "updated_at", Label: "Recently made", Desc: true, Grows: true, Key: func(a *Adjustment) []byte { return orderedUint(timeKey(a.CreatedAt)) }},
	},
})

var bucketStockKeys = []byte("inventory_keys") // be64 item | be64 location → be64 stock level id

// StockLevel is one item's stock at one location. Its JSON is exactly what
// the API returns.
type StockLevel struct {
	ID         uint64 `json:"id"`
	ItemID     uint64 `json:"item_id"`
	LocationID uint64 `json:"location_id"`
	Quantity   int64  `json:"quantity"` // below 0 only for an item that allows backorders
	// LowStock says the quantity is at or below the item's reorder level:
	// set when it crossed it downward (inventory.low_stock fired then) and
	// cleared once it is above again, so the event fires once per crossing.
	LowStock  bool      `json:"low_stock"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Adjustment reasons.
var AdjustmentReasons = []string{"count", "damage", "return", "transfer", "sale", "receive", "correction"}

// Adjustment is one change of one item's stock at one location.
type Adjustment struct {
	ID            uint64    `json:"id"`
	ItemID        uint64    `json:"item_id"`
	LocationID    uint64    `json:"location_id"`
	Delta         int64     `json:"delta"`
	Reason        string    `json:"reason"`
	Ref           string    `json:"ref"` // its cause: "ticket:12/line:3", "purchase_order:4"; "" by hand
	Note          string    `json:"note"`
	QuantityAfter int64     `json:"quantity_after"`
	Actor         Actor     `json:"actor"`
	CreatedAt     time.Time `json:"created_at"`
}

// AdjustmentInput is a change of stock by hand (POST /inventory/adjustments).
type AdjustmentInput struct {
	ItemID     uint64 `json:"item_id"`
	LocationID uint64 `json:"location_id"`
	Delta      int64  `json:"delta"`
	Reason     string `json:"reason"`
	Note       string `json:"note"`
}

func boolKey(b bool) []byte {
	if b {
		return []byte("true")
	}
	return []byte("false")
}

func showBool(key []byte) string { return string(key) }

func boolFilter(field string) func(string) ([]byte, error) {
	return func(raw string) ([]byte, error) {
		switch raw {
		case "true", "false":
			return []byte(raw), nil
		}
		return nil, Invalid(field, "must be true or false")
	}
}

func stockKey(itemID, locationID uint64) []byte { return appendU64(itob(itemID), locationID) }

// isLow says whether quantity is low for the item.
func isLow(c *CatalogItem, quantity int64) bool {
	return c.ReorderLevel > 0 && quantity <= c.ReorderLevel
}

// AdjustStock changes stock by hand (a count, damage, a return…), with an
// optional note, and answers the level after.
func (s *Store) AdjustStock(ctx context.Context, in AdjustmentInput) (StockLevel, Adjustment, error) {
	var p Problems
	if in.ItemID == 0 {
		p.Add("item_id", "is required: the catalog item's id")
	}
	if in.LocationID == 0 {
		p.Add("location_id", "is required: the location's id")
	}
	if in.Delta == 0 || in.Delta > maxStock || in.Delta < -maxStock {
		p.Add("delta", fmt.Sprintf("must be a whole number other than 0, from -%d to %d", maxStock, maxStock))
	}
	if !contains(AdjustmentReasons, in.Reason) {
		p.Add("reason", "must be one of "+strings.Join(AdjustmentReasons, ", "))
	}
	in.Note = strings.TrimSpace(in.Note)
	if utf8.RuneCountInString(in.Note) > 1000 {
		p.Add("note", "must be at most 1000 characters")
	}
	if err := p.Err(); err != nil {
		return StockLevel{}, Adjustment{}, err
	}
	var out StockLevel
	var adj Adjustment
	err := s.update(ctx, func(tx *bolt.Tx) error {
		var err error
		out, adj, err = s.adjust(tx, in.ItemID, in.LocationID, in.Delta, in.Reason, "", in.Note)
		return err
	})
	return out, adj, err
}

// adjustStock changes one item's stock at one location inside the caller's
// transaction, refusing to go below zero (409 naming the item and what is
// in stock) unless the item allows backorders. It records the adjustment
// (history), fires inventory.adjusted and, when crossing the reorder level
// downward, inventory.low_stock once. reason: count|damage|return|transfer|
// sale|receive|correction; ref names the cause ("ticket:12/line:3",
// "purchase_order:4"). An item that does not exist or is a service is a 422
// on item_id, a location that does not exist on location_id.
func (s *Store) adjustStock(tx *bolt.Tx, itemID, locationID uint64, delta int64, reason, ref string) (StockLevel, error) {
	l, _, err := s.adjust(tx, itemID, locationID, delta, reason, ref, "")
	return l, err
}

func (s *Store) adjust(tx *bolt.Tx, itemID, locationID uint64, delta int64, reason, ref, note string) (StockLevel, Adjustment, error) {
	var p Problems
	item, err := getRecord[CatalogItem](tx, catalogItems.records, itemID, "catalog item")
	switch {
	case err != nil && !isNotFound(err):
		return StockLevel{}, Adjustment{}, err
	case err != nil:
		p.Add("item_id", "must be an existing catalog item")
	case !item.Stocked():
		p.Add("item_id", fmt.Sprintf("%s is a service, which has no stock", item.Name))
	}
	loc, err := getRecord[Location](tx, locations.records, locationID, "location")
	if err != nil && !isNotFound(err) {
		return StockLevel{}, Adjustment{}, err
	} else if err != nil {
		p.Add("location_id", "must be an existing location")
	}
	if !contains(AdjustmentReasons, reason) {
		p.Add("reason", "must be one of "+strings.Join(AdjustmentReasons, ", "))
	}
	if delta == 0 || delta > maxStock || delta < -maxStock {
		p.Add("delta", fmt.Sprintf("must be a whole number other than 0, from -%d to %d", maxStock, maxStock))
	}
	if err := p.Err(); err != nil {
		return StockLevel{}, Adjustment{}, err
	}
	keys := tx.Bucket(bucketStockKeys)
	now := s.clock()
	var old *StockLevel
	level := StockLevel{ItemID: itemID, LocationID: locationID, CreatedAt: now}
	if v := keys.Get(stockKey(itemID, locationID)); v != nil {
		old, err = getRecord[StockLevel](tx, inventory.records, btoi(v), "stock level")
		if err != nil {
			return StockLevel{}, Adjustment{}, err
		}
		level = *old
	}
	after := level.Quantity + delta
	if after < 0 && !item.AllowBackorder {
		return StockLevel{}, Adjustment{}, Conflict("not enough %s (%s) at %s: %d in stock, %d needed",
			item.Name, item.SKU, loc.Name, level.Quantity, -delta)
	}
	if after > maxStock || after < -maxStock {
		return StockLevel{}, Adjustment{}, Invalid("delta", fmt.Sprintf("would leave %d in stock, beyond ±%d", after, maxStock))
	}
	if old == nil {
		id, err := tx.Bucket(inventory.records).NextSequence()
		if err != nil {
			return StockLevel{}, Adjustment{}, err
		}
		level.ID = id
		if err := keys.Put(stockKey(itemID, locationID), itob(id)); err != nil {
			return StockLevel{}, Adjustment{}, err
		}
	}
	level.Quantity, level.UpdatedAt = after, now
	low := isLow(item, after)
	crossed := low && !level.LowStock
	level.LowStock = low
	if err := putStockLevel(tx, old, &level); err != nil {
		return StockLevel{}, Adjustment{}, err
	}
	aid, err := tx.Bucket(inventoryAdjustments.records).NextSequence()
	if err != nil {
		return StockLevel{}, Adjustment{}, err
	}
	actor := s.writing
	if actor.Type == "" {
		actor = System
	}
	adj := Adjustment{ID: aid, ItemID: itemID, LocationID: locationID, Delta: delta, Reason: reason, Ref: ref, Note: note,
		QuantityAfter: after, Actor: actor, CreatedAt: now}
	if err := inventoryAdjustments.put(tx, aid, nil, &adj); err != nil {
		return StockLevel{}, Adjustment{}, err
	}
	if _, err := s.appendEvent(tx, "inventory.adjusted", ordered{}.with("item_id", itemID).with("location_id", locationID).
		with("adjustment_id", aid).with("delta", delta).with("reason", reason).with("ref", ref).with("quantity", after).
		with("adjustment", adj).with("stock_level", level)); err != nil {
		return StockLevel{}, Adjustment{}, err
	}
	if crossed {
		if err := s.lowStockEvent(tx, item, level); err != nil {
			return StockLevel{}, Adjustment{}, err
		}
	}
	return level, adj, nil
}

func (s *Store) lowStockEvent(tx *bolt.Tx, item *CatalogItem, level StockLevel) error {
	_, err := s.appendEvent(tx, "inventory.low_stock", ordered{}.with("item_id", item.ID).with("location_id", level.LocationID).
		with("quantity", level.Quantity).with("reorder_level", item.ReorderLevel).with("catalog_item", *item).with("stock_level", level))
	return err
}

// putStockLevel writes the record with its index entries.
func putStockLevel(tx *bolt.Tx, old, l *StockLevel) error {
	return inventory.put(tx, l.ID, old, l)
}

// eachStockLevel calls fn with each location's stock of the item.
func eachStockLevel(tx *bolt.Tx, itemID uint64, fn func(l *StockLevel) error) error {
	prefix := itob(itemID)
	c := tx.Bucket(bucketStockKeys).Cursor()
	for k, v := c.Seek(prefix); len(k) == 16 && string(k[:8]) == string(prefix); k, v = c.Next() {
		l, err := getRecord[StockLevel](tx, inventory.records, btoi(v), "stock level")
		if err != nil {
			return err
		}
		if err := fn(l); err != nil {
			return err
		}
	}
	return nil
}

// itemHasStock says whether the item has a stock record at any location.
func itemHasStock(tx *bolt.Tx, itemID uint64) bool {
	k, _ := tx.Bucket(bucketStockKeys).Cursor().Seek(itob(itemID))
	return len(k) == 16 && btoi(k[:8]) == itemID
}

// refuseNegativeStock refuses to stop backorders while stock is below zero.
func refuseNegativeStock(tx *bolt.Tx, itemID uint64) error {
	return eachStockLevel(tx, itemID, func(l *StockLevel) error {
		if l.Quantity < 0 {
			return Conflict("catalog item %d is backordered at location %d (%d in stock); receive or adjust it first", itemID, l.LocationID, l.Quantity)
		}
		return nil
	})
}

// remarkLowStock re-marks each location's stock of an item whose reorder
// level changed; a location the new level leaves low fires
// inventory.low_stock, as a crossing does.
func (s *Store) remarkLowStock(tx *bolt.Tx, item *CatalogItem) error {
	var changed []StockLevel
	if err := eachStockLevel(tx, item.ID, func(l *StockLevel) error {
		if low := isLow(item, l.Quantity); low != l.LowStock {
			changed = append(changed, *l)
		}
		return nil
	}); err != nil {
		return err
	}
	for _, old := range changed { // written after the walk: a cursor must not see its bucket change
		l := old
		l.LowStock = !old.LowStock
		l.UpdatedAt = s.clock()
		if err := putStockLevel(tx, &old, &l); err != nil {
			return err
		}
		if l.LowStock {
			if err := s.lowStockEvent(tx, item, l); err != nil {
				return err
			}
		}
	}
	return nil
}

// StockLevelOf answers one item's stock at one location (0 when never
// counted).
func (s *Store) StockLevelOf(itemID, locationID uint64) (StockLevel, error) {
	var out StockLevel
	err := s.view(func(tx *bolt.Tx) error {
		out = StockLevel{ItemID: itemID, LocationID: locationID}
		v := tx.Bucket(bucketStockKeys).Get(stockKey(itemID, locationID))
		if v == nil {
			return nil
		}
		l, err := getRecord[StockLevel](tx, inventory.records, btoi(v), "stock level")
		if err == nil {
			out = *l
		}
		return err
	})
	return out, err
}

// ListInventory pages the stock levels (filters item_id, location_id,
// low_stock).
func (s *Store) ListInventory(q ListQuery) (Page, error) {
	var page Page
	err := s.view(func(tx *bolt.Tx) (err error) {
		page, err = inventory.list(tx, q)
		return err
	})
	return page, err
}

// ListAdjustments pages the stock's history, newest first (filters item_id,
// location_id).
func (s *Store) ListAdjustments(q ListQuery) (Page, error) {
	var page Page
	err := s.view(func(tx *bolt.Tx) (err error) {
		page, err = inventoryAdjustments.list(tx, q)
		return err
	})
	return page, err
}
