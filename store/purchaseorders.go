package store

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// purchaseOrders restock the shop from a supplier at one location: lines of
// catalog items with a quantity and a unit cost. A draft is edited freely;
// ordered, it can only be received (which adds stock, line by line) or
// cancelled. API.md "purchase_orders".
var purchaseOrders = declare(Resource[PurchaseOrder]{
	Name: "purchase_orders", Scope: "purchase_orders",
	Events: []string{"purchase_order.created", "purchase_order.updated", "purchase_order.status_changed", "purchase_order.received"},
	Filters: []Filter[PurchaseOrder]{
		{Name: "status", Doc: "Only purchase orders in this status (draft, ordered, partially_received, received, cancelled)",
			Key: func(po *PurchaseOrder) []byte { return []byte(po.Status) }, Parse: purchaseOrderStatus, Few: true, Values: PurchaseOrderStatuses},
		{Name: "supplier_id", Doc: "Only purchase orders from this supplier", Key: func(po *PurchaseOrder) []byte { return orderedUint(po.SupplierID) },
			Parse: positiveID("supplier_id"), Show: showID},
		{Name: "location_id", Doc: "Only purchase orders delivered to this location", Key: func(po *PurchaseOrder) []byte { return orderedUint(po.LocationID) },
			Parse: positiveID("location_id"), Show: showID, Few: true},
	},
	Sorts: []Sort[PurchaseOrder]{
		{Name: "id", Label: "Newest", Desc: true, Aliases: []string{"created_at"}},
		{Name: "updated_at", Label: "Recently updated", Desc: true, Grows: true, Key: func(po *PurchaseOrder) []byte { return orderedUint(timeKey(po.UpdatedAt)) }},
	},
})

// Purchase order statuses: draft → ordered → partially_received → received,
// or cancelled from draft or ordered.
const (
	PurchaseOrderDraft             = "draft"
	PurchaseOrderOrdered           = "ordered"
	PurchaseOrderPartiallyReceived = "partially_received"
	PurchaseOrderReceived          = "received"
	PurchaseOrderCancelled         = "cancelled"
)

// PurchaseOrderStatuses lists the statuses a purchase order can have, in
// the order it passes through them.
var PurchaseOrderStatuses = []string{PurchaseOrderDraft, PurchaseOrderOrdered, PurchaseOrderPartiallyReceived,
	PurchaseOrderReceived, PurchaseOrderCancelled}

// purchaseOrderMoves are the status changes a PATCH may make. The two
// receiving statuses are reached only by receiving (ReceivePurchaseOrder),
// which adds the stock they stand for.
var purchaseOrderMoves = map[string][]string{
	PurchaseOrderDraft:   {PurchaseOrderOrdered, PurchaseOrderCancelled},
	PurchaseOrderOrdered: {PurchaseOrderCancelled},
}

// Bounds of a purchase order's lines.
const (
	maxPurchaseOrderLines    = 200
	maxPurchaseOrderQuantity = 1_000_000
)

// PurchaseOrder is one order to a supplier. Its JSON is exactly what the
// API returns.
type PurchaseOrder struct {
	ID         uint64 `json:"id"`
	Number     string `json:"number"` // "PO-1001": 1000 + the id
	SupplierID uint64 `json:"supplier_id"`
	LocationID uint64 `json:"location_id"` // where the stock arrives
	Status     string `json:"status"`
	// Lines hold each catalog item once, in the order they were given.
	Lines  []PurchaseOrderLine `json:"lines"`
	Notes  string              `json:"notes"`
	Totals PurchaseOrderTotals `json:"totals"`
	// OrderedAt, ReceivedAt (in full) and CancelledAt are set as the status
	// reaches them.
	OrderedAt   *time.Time `json:"ordered_at"`
	ReceivedAt  *time.Time `json:"received_at"`
	CancelledAt *time.Time `json:"cancelled_at"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

// PurchaseOrderLine is one catalog item on an order. SKU and Name are the
// item's when the line was set, as the supplier was asked for it.
type PurchaseOrderLine struct {
	ItemID   uint64 `json:"item_id"`
	SKU      string `json:"sku"`
	Name     string `json:"name"`
	Quantity int64  `json:"quantity"` // units ordered
	UnitCost Money  `json:"unit_cost"`
	Received int64  `json:"received"` // units received so far, never more than Quantity
	Total    Money  `json:"total"`    // Quantity × UnitCost
}

// PurchaseOrderTotals sum the lines.
type PurchaseOrderTotals struct {
	Quantity      int64 `json:"quantity"`       // units ordered
	Received      int64 `json:"received"`       // units received
	Outstanding   int64 `json:"outstanding"`    // units still to come
	Total         Money `json:"total"`          // cost of the order
	ReceivedTotal Money `json:"received_total"` // cost of what has arrived
}

// PurchaseOrderInput creates a draft purchase order.
type PurchaseOrderInput struct {
	SupplierID uint64                   `json:"supplier_id"`
	LocationID uint64                   `json:"location_id"`
	Lines      []PurchaseOrderLineInput `json:"lines"`
	Notes      string                   `json:"notes"`
}

// PurchaseOrderLineInput is one line as a client sends it; a unit_cost left
// out is the catalog item's cost.
type PurchaseOrderLineInput struct {
	ItemID   uint64 `json:"item_id"`
	Quantity int64  `json:"quantity"`
	UnitCost *Money `json:"unit_cost"`
}

// PurchaseOrderPatch changes a purchase order. Supplier, location and lines
// change only in a draft (lines are replaced whole); status moves along
// purchaseOrderMoves; notes change at any time.
type PurchaseOrderPatch struct {
	SupplierID *uint64                   `json:"supplier_id"`
	LocationID *uint64                   `json:"location_id"`
	Lines      *[]PurchaseOrderLineInput `json:"lines"`
	Notes      *string                   `json:"notes"`
	Status     *string                   `json:"status"`
}

// ReceiveLine is one item's units arriving: item_id and quantity.
type ReceiveLine struct {
	ItemID   uint64 `json:"item_id"`
	Quantity int64  `json:"quantity"`
}

func purchaseOrderStatus(raw string) ([]byte, error) {
	if slices.Contains(PurchaseOrderStatuses, raw) {
		return []byte(raw), nil
	}
	return nil, Invalid("status", "must be one of "+strings.Join(PurchaseOrderStatuses, ", "))
}

func purchaseOrderNumber(id uint64) string { return fmt.Sprintf("PO-%d", 1000+id) }

// checkLines validates lines as given (field names lines[i].…), without
// the transaction: what is left is that each item exists.
func checkLines(p *Problems, field string, lines []PurchaseOrderLineInput) {
	if len(lines) > maxPurchaseOrderLines {
		p.Add(field, fmt.Sprintf("must have at most %d lines", maxPurchaseOrderLines))
		return
	}
	seen := map[uint64]int{}
	for i, l := range lines {
		at := fmt.Sprintf("%s[%d].", field, i)
		if l.ItemID == 0 {
			p.Add(at+"item_id", "is required")
		} else if j, dup := seen[l.ItemID]; dup {
			p.Add(at+"item_id", fmt.Sprintf("item %d is already on line %d: give each item once", l.ItemID, j))
		}
		seen[l.ItemID] = i
		if l.Quantity < 1 || l.Quantity > maxPurchaseOrderQuantity {
			p.Add(at+"quantity", fmt.Sprintf("must be a whole number from 1 to %d", maxPurchaseOrderQuantity))
		}
		if l.UnitCost != nil && (*l.UnitCost < 0 || *l.UnitCost > MaxAmount) {
			p.Add(at+"unit_cost", "must be from 0 to "+MaxAmount.String())
		}
	}
}

func checkNotes(p *Problems, notes string) {
	if utf8.RuneCountInString(notes) > 10000 {
		p.Add("notes", "must be at most 10000 characters")
	}
}

// total sums the lines, and sets each line's total.
func (po *PurchaseOrder) total() error {
	var t PurchaseOrderTotals
	for i := range po.Lines {
		l := &po.Lines[i]
		l.Total = Money(l.Quantity) * l.UnitCost
		t.Quantity += l.Quantity
		t.Received += l.Received
		t.Total += l.Total
		t.ReceivedTotal += Money(l.Received) * l.UnitCost
		if l.Total > MaxAmount {
			return Invalid(fmt.Sprintf("lines[%d].quantity", i), "makes the line's total more than "+MaxAmount.String())
		}
	}
	if t.Total > MaxAmount {
		return Invalid("lines", "make the order's total more than "+MaxAmount.String())
	}
	t.Outstanding = t.Quantity - t.Received
	po.Totals = t
	return nil
}

// moveProblem says why po may not move to status by a PATCH, naming the
// statuses it may move to; "" when it may.
func (po *PurchaseOrder) moveProblem(status string) string {
	allowed := purchaseOrderMoves[po.Status]
	if slices.Contains(allowed, status) {
		if status == PurchaseOrderOrdered && len(po.Lines) == 0 {
			return fmt.Sprintf("purchase order %s has no lines: add at least one before ordering", po.Number)
		}
		return ""
	}
	next := strings.Join(allowed, " or ")
	switch {
	case po.Status == PurchaseOrderPartiallyReceived:
		next = "received only by receiving the rest"
	case len(allowed) == 0:
		next = "nothing: " + po.Status + " is final"
	}
	why := fmt.Sprintf("purchase order %s cannot move from %s to %s; from %s it can move to %s", po.Number, po.Status, status, po.Status, next)
	if status == PurchaseOrderPartiallyReceived || status == PurchaseOrderReceived {
		why += fmt.Sprintf(" (%s is reached by receiving its lines: POST /purchase_orders/%d/receive)", status, po.ID)
	}
	return why
}
