package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

// catalog_items are what the shop sells and stocks: parts, products and
// services (API.md "catalog"). A part or product is counted per location
// (inventory.go); a service has no stock. The sku is unique among items
// whatever its case, and so is a barcode when one is given: both are kept
// in lookup buckets written in the same transaction as the item.
var catalogItems = declare(Resource[CatalogItem]{
	Name: "catalog_items", Scope: "catalog", Search: true,
	Events: []string{"catalog.item_created", "catalog.item_updated"},
	Filters: []Filter[CatalogItem]{
		{Name: "kind", Doc: "Only items of this kind (part, service, product)",
			Key: func(c *CatalogItem) []byte { return []byte(c.Kind) }, Parse: catalogKind, Few: true, Values: CatalogKinds},
		{Name: "supplier_id", Doc: "Only items bought from this supplier",
			Key: func(c *CatalogItem) []byte { return orderedUint(c.SupplierID) }, Parse: positiveID("supplier_id"), Show: showID,
			SortedBy: []string{"id", "name"}},
	},
	Sorts: []Sort[CatalogItem]{
		{Name: "id", Label: "Newest", Desc: true, Aliases: []string{"created_at"}},
		{Name: "name", Label: "Name", Key: func(c *CatalogItem) []byte { return nameKey(c.Name) }},
		{Name: "sku", Label: "SKU", Key: func(c *CatalogItem) []byte { return nameKey(c.SKU) }},
		{Name: "updated_at", Label: "Recently updated", Desc: true, Grows: true, Key: func(c *CatalogItem) []byte { return orderedUint(timeKey(c.UpdatedAt)) }},
	},
})

var (
	bucketCatalogSearch   = []byte("search_catalog_items") // token postings (postings.go)
	bucketCatalogSKUs     = []byte("catalog_skus")         // lowercased sku → be64 id
	bucketCatalogBarcodes = []byte("catalog_barcodes")     // lowercased barcode → be64 id
)

var catalogSearch = &tokenIndex{bucketCatalogSearch, catalogItems.records}

// Catalog item kinds.
const (
	KindPart    = "part"
	KindService = "service"
	KindProduct = "product"
)

// CatalogKinds lists the kinds a catalog item can be.
var CatalogKinds = []string{KindPart, KindService, KindProduct}

// CatalogItem is one thing the shop sells. Its JSON is exactly what the API
// returns.
type CatalogItem struct {
	ID   uint64 `json:"id"`
	SKU  string `json:"sku"`
	Name string `json:"name"`
	Kind string `json:"kind"` // part | service | product
	// Price is what a customer pays for one; Cost what the shop pays.
	Price   Money `json:"price"`
	Cost    Money `json:"cost"`
	Taxable bool  `json:"taxable"`
	// ReorderLevel: a location's stock at or below it is low
	// (inventory.low_stock); 0 watches nothing.
	ReorderLevel int64  `json:"reorder_level"`
	SupplierID   uint64 `json:"supplier_id"` // 0: none
	Barcode      string `json:"barcode"`
	// AllowBackorder lets stock go below zero (sold before it arrives).
	AllowBackorder bool      `json:"allow_backorder"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// Stocked says whether the item is counted per location (parts and
// products are; services are not).
func (c *CatalogItem) Stocked() bool { return c.Kind != KindService }

// CatalogItemInput creates a catalog item. Kind defaults to part and
// Taxable (nil) to true.
type CatalogItemInput struct {
	SKU            string `json:"sku"`
	Name           string `json:"name"`
	Kind           string `json:"kind"`
	Price          Money  `json:"price"`
	Cost           Money  `json:"cost"`
	Taxable        *bool  `json:"taxable"`
	ReorderLevel   int64  `json:"reorder_level"`
	SupplierID     uint64 `json:"supplier_id"`
	Barcode        string `json:"barcode"`
	AllowBackorder bool   `json:"allow_backorder"`
}

// CatalogItemPatch changes some of a catalog item's fields.
type CatalogItemPatch struct {
	SKU            *string `json:"sku"`
	Name           *string `json:"name"`
	Kind           *string `json:"kind"`
	Price          *Money  `json:"price"`
	Cost           *Money  `json:"cost"`
	Taxable        *bool   `json:"taxable"`
	ReorderLevel   *int64  `json:"reorder_level"`
	SupplierID     *uint64 `json:"supplier_id"`
	Barcode        *string `json:"barcode"`
	AllowBackorder *bool   `json:"allow_backorder"`
}

func catalogKind(raw string) ([]byte, error) {
	if contains(CatalogKinds, raw) {
		return []byte(raw), nil
	}
	return nil, Invalid("kind", "must be one of part, service, product")
}

// maxStock bounds a reorder level, an adjustment's delta and a stock level.
const maxStock = 1_000_000_000

// item builds the record an input describes (no id or times).
func (in CatalogItemInput) item() CatalogItem {
	c := CatalogItem{SKU: in.SKU, Name: in.Name, Kind: in.Kind, Price: in.Price, Cost: in.Cost, Taxable: true,
		ReorderLevel: in.ReorderLevel, SupplierID: in.SupplierID, Barcode: in.Barcode, AllowBackorder: in.AllowBackorder}
	if in.Taxable != nil {
		c.Taxable = *in.Taxable
	}
	if c.Kind == "" {
		c.Kind = KindPart
	}
	return c
}

// validate checks what needs no transaction, adding to p with each field
// named prefix+field ("" for one item, "rows[3]." for an import's row).
func (c *CatalogItem) validate(p *Problems, prefix string) {
	c.SKU, c.Name, c.Barcode = strings.TrimSpace(c.SKU), strings.TrimSpace(c.Name), strings.TrimSpace(c.Barcode)
	if c.SKU == "" || utf8.RuneCountInString(c.SKU) > 64 || strings.IndexFunc(c.SKU, unicode.IsControl) >= 0 {
		p.Add(prefix+"sku", "is required (1 to 64 characters)")
	}
	if c.Name == "" || utf8.RuneCountInString(c.Name) > 200 {
		p.Add(prefix+"name", "is required (1 to 200 characters)")
	}
	if !contains(CatalogKinds, c.Kind) {
		p.Add(prefix+"kind", "must be one of part, service, product")
	}
	for field, m := range map[string]Money{"price": c.Price, "cost": c.Cost} {
		if m < 0 || m > MaxAmount {
			p.Add(prefix+field, "must be from 0 to "+MaxAmount.String())
		}
	}
	if c.ReorderLevel < 0 || c.ReorderLevel > maxStock {
		p.Add(prefix+"reorder_level", fmt.Sprintf("must be a whole number from 0 (not watched) to %d", maxStock))
	}
	if utf8.RuneCountInString(c.Barcode) > 64 || strings.IndexFunc(c.Barcode, unicode.IsSpace) >= 0 {
		p.Add(prefix+"barcode", "must be at most 64 characters, without spaces")
	}
	if c.Kind == KindService && c.AllowBackorder {
		p.Add(prefix+"allow_backorder", "a service has no stock to backorder")
	}
}

// bucketSuppliers is where suppliers live (store/suppliers.go, by the
// purchase orders' side); a supplier_id must name one once that exists.
var bucketSuppliers = []byte("suppliers")

// checkCatalogRefs checks the item's references and unique keys inside the
// transaction; self is the item's own id (0 for a new one).
func checkCatalogRefs(tx *bolt.Tx, c *CatalogItem, self uint64, p *Problems, prefix string) error {
	if c.SupplierID != 0 {
		if b := tx.Bucket(bucketSuppliers); b == nil || b.Get(itob(c.SupplierID)) == nil {
			p.Add(prefix+"supplier_id", "must be an existing supplier")
		}
	}
	if err := p.Err(); err != nil {
		return err
	}
	if id := uniqueOwner(tx, bucketCatalogSKUs, c.SKU); id != 0 && id != self {
		return Conflict("the sku %q is already used by catalog item %d", c.SKU, id)
	}
	if c.Barcode != "" {
		if id := uniqueOwner(tx, bucketCatalogBarcodes, c.Barcode); id != 0 && id != self {
			return Conflict("the barcode %q is already used by catalog item %d", c.Barcode, id)
		}
	}
	return nil
}

func uniqueKey(v string) []byte { return []byte(strings.ToLower(v)) }

// uniqueOwner is the id of the item holding value in a lookup bucket, or 0.
func uniqueOwner(tx *bolt.Tx, bucket []byte, value string) uint64 {
	if v := tx.Bucket(bucket).Get(uniqueKey(value)); v != nil {
		return btoi(v)
	}
	return 0
}

// tokens are what catalog search matches: words of the name, the sku whole,
// its words and them run together, and the barcode whole.
func (c *CatalogItem) tokens() []string {
	set := tokenSet{}
	set.words(c.Name)
	for _, code := range []string{c.SKU, c.Barcode} {
		words := strings.FieldsFunc(strings.ToLower(code), isSeparator)
		set.add(strings.ToLower(code), strings.Join(words, ""))
		set.add(words...)
	}
	return set.list()
}

// putCatalogItem writes the record with its indexes, search tokens and
// unique keys.
func putCatalogItem(tx *bolt.Tx, old, c *CatalogItem) error { return putCatalogItemTo(tx, old, c, nil) }

// putCatalogItemTo is putCatalogItem, but a new item's search tokens go to
// batch when one is given, for the caller to put with the rest (an import).
func putCatalogItemTo(tx *bolt.Tx, old, c *CatalogItem, batch tokenBatch) error {
	raw, err := json.Marshal(c)
	if err != nil {
		return err
	}
	if err := appending(tx.Bucket(catalogItems.records)).Put(itob(c.ID), raw); err != nil {
		return err
	}
	var oldIdx *indexed
	var oldTokens []string
	skus, codes := tx.Bucket(bucketCatalogSKUs), tx.Bucket(bucketCatalogBarcodes)
	if old != nil {
		oldIdx, oldTokens = catalogItems.index(old), old.tokens()
		if !bytes.Equal(uniqueKey(old.SKU), uniqueKey(c.SKU)) {
			if err := skus.Delete(uniqueKey(old.SKU)); err != nil {
				return err
			}
		}
		if old.Barcode != "" && !bytes.Equal(uniqueKey(old.Barcode), uniqueKey(c.Barcode)) {
			if err := codes.Delete(uniqueKey(old.Barcode)); err != nil {
				return err
			}
		}
	}
	if err := skus.Put(uniqueKey(c.SKU), itob(c.ID)); err != nil {
		return err
	}
	if c.Barcode != "" {
		if err := codes.Put(uniqueKey(c.Barcode), itob(c.ID)); err != nil {
			return err
		}
	}
	if old == nil && batch != nil {
		batch.add(c.ID, c.tokens())
	} else if err := setTokens(tx.Bucket(bucketCatalogSearch), c.ID, oldTokens, c.tokens()); err != nil {
		return err
	}
	return catalogItems.reindex(tx, c.ID, oldIdx, catalogItems.index(c))
}

// CreateCatalogItem adds an item and records catalog.item_created. A sku
// (or barcode) another item has, whatever its case, is a 409.
func (s *Store) CreateCatalogItem(ctx context.Context, in CatalogItemInput) (CatalogItem, error) {
	c := in.item()
	var p Problems
	c.validate(&p, "")
	if err := p.Err(); err != nil {
		return CatalogItem{}, err
	}
	var out CatalogItem
	err := s.update(ctx, func(tx *bolt.Tx) error {
		rec, err := s.addCatalogItem(tx, c, "", nil)
		out = rec
		return err
	})
	return out, err
}

// addCatalogItem writes one validated new item and its event; batch, when
// given, gathers its search tokens.
func (s *Store) addCatalogItem(tx *bolt.Tx, c CatalogItem, prefix string, batch tokenBatch) (CatalogItem, error) {
	var p Problems
	if err := checkCatalogRefs(tx, &c, 0, &p, prefix); err != nil {
		return CatalogItem{}, err
	}
	id, err := tx.Bucket(catalogItems.records).NextSequence()
	if err != nil {
		return CatalogItem{}, err
	}
	now := s.clock()
	c.ID, c.CreatedAt, c.UpdatedAt = id, now, now
	if err := putCatalogItemTo(tx, nil, &c, batch); err != nil {
		return CatalogItem{}, err
	}
	_, err = s.appendEvent(tx, "catalog.item_created", ordered{}.with("catalog_item_id", id).with("catalog_item", c))
	return c, err
}

// CreateCatalogItems adds many items in one transaction, all or nothing (a
// CSV import). Every bad row is reported in one ValidationError, each field
// named "rows[i].field" with i the input's index from 0; a sku or barcode
// used twice, by the rows or by an existing item, is reported the same way.
func (s *Store) CreateCatalogItems(ctx context.Context, in []CatalogItemInput) ([]uint64, error) {
	items := make([]CatalogItem, len(in))
	var p Problems
	seenSKU, seenCode := map[string]int{}, map[string]int{}
	for i, row := range in {
		prefix := fmt.Sprintf("rows[%d].", i)
		items[i] = row.item()
		items[i].validate(&p, prefix)
		if sku := strings.ToLower(items[i].SKU); sku != "" {
			if j, dup := seenSKU[sku]; dup {
				p.Add(prefix+"sku", fmt.Sprintf("repeats the sku of rows[%d]", j))
			} else {
				seenSKU[sku] = i
			}
		}
		if code := strings.ToLower(items[i].Barcode); code != "" {
			if j, dup := seenCode[code]; dup {
				p.Add(prefix+"barcode", fmt.Sprintf("repeats the barcode of rows[%d]", j))
			} else {
				seenCode[code] = i
			}
		}
	}
	checked := p.fields
	var ids []uint64
	err := s.update(ctx, func(tx *bolt.Tx) error {
		p := Problems{fields: append([]FieldError(nil), checked...)} // this may run twice: never accumulate
		for i := range items {
			prefix := fmt.Sprintf("rows[%d].", i)
			c := &items[i]
			if c.SupplierID != 0 {
				if b := tx.Bucket(bucketSuppliers); b == nil || b.Get(itob(c.SupplierID)) == nil {
					p.Add(prefix+"supplier_id", "must be an existing supplier")
				}
			}
			if id := uniqueOwner(tx, bucketCatalogSKUs, c.SKU); id != 0 && c.SKU != "" {
				p.Add(prefix+"sku", fmt.Sprintf("is already used by catalog item %d", id))
			}
			if c.Barcode != "" {
				if id := uniqueOwner(tx, bucketCatalogBarcodes, c.Barcode); id != 0 {
					p.Add(prefix+"barcode", fmt.Sprintf("is already used by catalog item %d", id))
				}
			}
		}
		if err := p.Err(); err != nil {
			sortFieldErrors(err.(*ValidationError).Fields)
			return err
		}
		out := make([]uint64, len(items))
		tokens := tokenBatch{}
		for i, c := range items {
			rec, err := s.addCatalogItem(tx, c, fmt.Sprintf("rows[%d].", i), tokens)
			if err != nil {
				return err
			}
			out[i] = rec.ID
		}
		ids = out
		return tokens.put(tx.Bucket(bucketCatalogSearch))
	})
	return ids, err
}

// UpdateCatalogItem applies a patch in one transaction and records
// catalog.item_updated with the changes. A kind of service is refused while
// the item has stock records; a new reorder level re-marks each location's
// stock (inventory.low_stock for those it leaves low that were not).
func (s *Store) UpdateCatalogItem(ctx context.Context, id uint64, patch CatalogItemPatch) (CatalogItem, error) {
	var out CatalogItem
	err := s.update(ctx, func(tx *bolt.Tx) error {
		old, err := getRecord[CatalogItem](tx, catalogItems.records, id, "catalog item")
		if err != nil {
			return err
		}
		c := *old
		changes := ordered{}
		changes.text("sku", &c.SKU, patch.SKU)
		changes.text("name", &c.Name, patch.Name)
		changes.text("kind", &c.Kind, patch.Kind)
		changes.text("barcode", &c.Barcode, patch.Barcode)
		money := func(name string, dst *Money, v *Money) {
			if v != nil && *v != *dst {
				changes = changes.with(name, change{*dst, *v})
				*dst = *v
			}
		}
		money("price", &c.Price, patch.Price)
		money("cost", &c.Cost, patch.Cost)
		flag := func(name string, dst *bool, v *bool) {
			if v != nil && *v != *dst {
				changes = changes.with(name, change{*dst, *v})
				*dst = *v
			}
		}
		flag("taxable", &c.Taxable, patch.Taxable)
		flag("allow_backorder", &c.AllowBackorder, patch.AllowBackorder)
		if patch.ReorderLevel != nil && *patch.ReorderLevel != c.ReorderLevel {
			changes = changes.with("reorder_level", change{c.ReorderLevel, *patch.ReorderLevel})
			c.ReorderLevel = *patch.ReorderLevel
		}
		if patch.SupplierID != nil && *patch.SupplierID != c.SupplierID {
			changes = changes.with("supplier_id", change{c.SupplierID, *patch.SupplierID})
			c.SupplierID = *patch.SupplierID
		}
		var p Problems
		c.validate(&p, "")
		if err := p.Err(); err != nil {
			return err
		}
		out = c
		if len(changes) == 0 {
			return nil
		}
		if c.SupplierID == old.SupplierID {
			c.SupplierID = 0 // an existing reference is not checked again
		}
		err = checkCatalogRefs(tx, &c, id, &p, "")
		c.SupplierID = out.SupplierID
		if err != nil {
			return err
		}
		if c.Kind != old.Kind && !c.Stocked() && itemHasStock(tx, id) {
			return Conflict("catalog item %d has stock records; a kind of service has no stock", id)
		}
		if !c.AllowBackorder && old.AllowBackorder {
			if err := refuseNegativeStock(tx, id); err != nil {
				return err
			}
		}
		c.UpdatedAt = s.clock()
		if err := putCatalogItem(tx, old, &c); err != nil {
			return err
		}
		out = c
		if _, err := s.appendEvent(tx, "catalog.item_updated", ordered{}.with("catalog_item_id", id).with("changes", changes).with("catalog_item", c)); err != nil {
			return err
		}
		if c.ReorderLevel != old.ReorderLevel {
			return s.remarkLowStock(tx, &c)
		}
		return nil
	})
	return out, err
}

// CatalogItem returns one item's JSON.
func (s *Store) CatalogItem(id uint64) (json.RawMessage, error) {
	return s.raw(catalogItems.records, id, "catalog item")
}

// ListCatalogItems pages the catalog; search (q=) matches words of the name
// and the sku or barcode, narrowed by the list's filters.
func (s *Store) ListCatalogItems(q ListQuery, search string) (Page, error) {
	var page Page
	err := s.view(func(tx *bolt.Tx) error {
		if strings.TrimSpace(search) == "" {
			var err error
			page, err = catalogItems.list(tx, q)
			return err
		}
		filters, err := catalogItems.encodeFilters(q.Filters)
		if err != nil {
			return err
		}
		var keep func(id uint64) bool
		if len(filters) > 0 {
			post := catalogItems.postFilter(filters, -1)
			keep = func(id uint64) bool { return post(catalogItems.filterTuple(tx, id)) }
		}
		page, err = catalogSearch.search(tx, search, q, keep)
		return err
	})
	return page, err
}

// sortFieldErrors orders an import's errors by row, then as found.
func sortFieldErrors(fields []FieldError) {
	row := func(f string) int {
		var n int
		if _, err := fmt.Sscanf(f, "rows[%d]", &n); err != nil {
			return -1
		}
		return n
	}
	slices.SortStableFunc(fields, func(a, b FieldError) int { return row(a.Field) - row(b.Field) })
}
