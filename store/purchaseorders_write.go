package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// The purchase orders' writes. Each records its events in the same
// transaction, with the order in the data: purchase_order.created,
// purchase_order.updated (supplier, location, lines, notes),
// purchase_order.status_changed, and purchase_order.received (the lines
// received) after the inventory.adjusted events of the stock it added.

// CreatePurchaseOrder adds a draft purchase order and records
// purchase_order.created.
func (s *Store) CreatePurchaseOrder(ctx context.Context, in PurchaseOrderInput) (PurchaseOrder, error) {
	var p Problems
	if in.SupplierID == 0 {
		p.Add("supplier_id", "is required")
	}
	if in.LocationID == 0 {
		p.Add("location_id", "is required")
	}
	checkLines(&p, "lines", in.Lines)
	in.Notes = strings.TrimSpace(in.Notes)
	checkNotes(&p, in.Notes)
	if err := p.Err(); err != nil {
		return PurchaseOrder{}, err
	}
	var out PurchaseOrder
	err := s.update(ctx, func(tx *bolt.Tx) error {
		po := PurchaseOrder{SupplierID: in.SupplierID, LocationID: in.LocationID, Status: PurchaseOrderDraft, Notes: in.Notes}
		if err := checkReferences(tx, &po); err != nil {
			return err
		}
		lines, err := purchaseOrderLines(tx, in.Lines)
		if err != nil {
			return err
		}
		po.Lines = lines
		if err := po.total(); err != nil {
			return err
		}
		id, err := tx.Bucket(purchaseOrders.records).NextSequence()
		if err != nil {
			return err
		}
		now := s.clock()
		po.ID, po.Number, po.CreatedAt, po.UpdatedAt = id, purchaseOrderNumber(id), now, now
		if err := putPurchaseOrder(tx, nil, &po); err != nil {
			return err
		}
		out = po
		_, err = s.appendEvent(tx, "purchase_order.created", ordered{}.with("purchase_order_id", id).with("purchase_order", po))
		return err
	})
	return out, err
}

// checkReferences refuses a supplier or location that does not exist.
func checkReferences(tx *bolt.Tx, po *PurchaseOrder) error {
	var p Problems
	if !supplierExists(tx, po.SupplierID) {
		p.Add("supplier_id", "no supplier has this id")
	}
	if tx.Bucket(locations.records).Get(itob(po.LocationID)) == nil {
		p.Add("location_id", "no location has this id")
	}
	return p.Err()
}

// purchaseOrderLines turns lines as given into the order's lines, each
// naming a catalog item that exists; a unit cost left out is the item's.
func purchaseOrderLines(tx *bolt.Tx, in []PurchaseOrderLineInput) ([]PurchaseOrderLine, error) {
	var p Problems
	out := make([]PurchaseOrderLine, 0, len(in))
	for i, l := range in {
		item, err := lineCatalogItem(tx, l.ItemID)
		if err != nil {
			if !isNotFound(err) {
				return nil, err
			}
			p.Add(fmt.Sprintf("lines[%d].item_id", i), "no catalog item has this id")
			continue
		}
		if !item.Stocked() {
			p.Add(fmt.Sprintf("lines[%d].item_id", i), fmt.Sprintf("%s is a service, which has no stock to order", item.Name))
			continue
		}
		cost := item.Cost
		if l.UnitCost != nil {
			cost = *l.UnitCost
		}
		out = append(out, PurchaseOrderLine{ItemID: l.ItemID, SKU: item.SKU, Name: item.Name, Quantity: l.Quantity, UnitCost: cost})
	}
	return out, p.Err()
}

// UpdatePurchaseOrder applies a patch in one transaction: the fields first
// (purchase_order.updated), then the status (purchase_order.status_changed).
func (s *Store) UpdatePurchaseOrder(ctx context.Context, id uint64, patch PurchaseOrderPatch) (PurchaseOrder, error) {
	var p Problems
	if patch.SupplierID != nil && *patch.SupplierID == 0 {
		p.Add("supplier_id", "must be a supplier's id")
	}
	if patch.LocationID != nil && *patch.LocationID == 0 {
		p.Add("location_id", "must be a location's id")
	}
	if patch.Lines != nil {
		checkLines(&p, "lines", *patch.Lines)
	}
	if patch.Notes != nil {
		notes := strings.TrimSpace(*patch.Notes)
		patch.Notes = &notes
		checkNotes(&p, notes)
	}
	if patch.Status != nil {
		if _, err := purchaseOrderStatus(*patch.Status); err != nil {
			p.Add("status", "must be one of "+strings.Join(PurchaseOrderStatuses, ", "))
		}
	}
	if err := p.Err(); err != nil {
		return PurchaseOrder{}, err
	}
	var out PurchaseOrder
	err := s.update(ctx, func(tx *bolt.Tx) error {
		old, err := getRecord[PurchaseOrder](tx, purchaseOrders.records, id, "purchase order")
		if err != nil {
			return err
		}
		po := *old
		po.Lines = slices.Clone(old.Lines)
		changes, err := po.applyFields(tx, patch)
		if err != nil {
			return err
		}
		var move ordered
		if patch.Status != nil && *patch.Status != po.Status {
			if why := po.moveProblem(*patch.Status); why != "" {
				return Conflict("%s", why)
			}
			move = ordered{}.with("status", change{po.Status, *patch.Status})
			s.setStatus(&po, *patch.Status)
		}
		out = po
		if len(changes) == 0 && move == nil {
			return nil
		}
		po.UpdatedAt = s.clock()
		if err := putPurchaseOrder(tx, old, &po); err != nil {
			return err
		}
		out = po
		if len(changes) > 0 {
			data := ordered{}.with("purchase_order_id", id).with("changes", changes).with("purchase_order", po)
			if _, err := s.appendEvent(tx, "purchase_order.updated", data); err != nil {
				return err
			}
		}
		if move != nil {
			data := ordered{}.with("purchase_order_id", id).with("changes", move).with("purchase_order", po)
			if _, err := s.appendEvent(tx, "purchase_order.status_changed", data); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// applyFields changes the supplier, location, lines and notes a patch
// gives, and says what changed. The first three change only in a draft.
func (po *PurchaseOrder) applyFields(tx *bolt.Tx, patch PurchaseOrderPatch) (ordered, error) {
	changes := ordered{}
	var draftOnly []string
	if patch.SupplierID != nil && *patch.SupplierID != po.SupplierID {
		draftOnly = append(draftOnly, "supplier_id")
		changes = changes.with("supplier_id", change{po.SupplierID, *patch.SupplierID})
		po.SupplierID = *patch.SupplierID
	}
	if patch.LocationID != nil && *patch.LocationID != po.LocationID {
		draftOnly = append(draftOnly, "location_id")
		changes = changes.with("location_id", change{po.LocationID, *patch.LocationID})
		po.LocationID = *patch.LocationID
	}
	if patch.Lines != nil {
		draftOnly = append(draftOnly, "lines")
	}
	if len(draftOnly) > 0 && po.Status != PurchaseOrderDraft {
		return nil, Conflict("purchase order %s is %s: %s change only while it is a draft", po.Number, po.Status, strings.Join(draftOnly, ", "))
	}
	if err := checkReferences(tx, po); err != nil {
		return nil, err
	}
	if patch.Lines != nil {
		lines, err := purchaseOrderLines(tx, *patch.Lines)
		if err != nil {
			return nil, err
		}
		if linesJSON(lines) != linesJSON(po.Lines) {
			changes = changes.with("lines", change{po.Lines, lines})
			po.Lines = lines
		}
	}
	if patch.Notes != nil && *patch.Notes != po.Notes {
		changes = changes.with("notes", change{po.Notes, *patch.Notes})
		po.Notes = *patch.Notes
	}
	return changes, po.total()
}

// linesJSON compares lines by what they show (totals are derived).
func linesJSON(lines []PurchaseOrderLine) string {
	cp := make([]PurchaseOrderLine, len(lines))
	for i, l := range lines {
		l.Total = 0
		cp[i] = l
	}
	b, _ := json.Marshal(cp)
	return string(b)
}

// setStatus moves po to status, stamping when it was ordered, received in
// full or cancelled.
func (s *Store) setStatus(po *PurchaseOrder, status string) {
	now := s.clock()
	po.Status = status
	switch status {
	case PurchaseOrderOrdered:
		po.OrderedAt = &now
	case PurchaseOrderReceived:
		po.ReceivedAt = &now
	case PurchaseOrderCancelled:
		po.CancelledAt = &now
	}
}

// ReceivePurchaseOrder takes delivery of lines of an ordered (or partly
// received) purchase order in one transaction: each line's units are added
// to stock at the order's location (adjustStock, reason "receive", ref
// "purchase_order:<id>"), the lines' received counts grow, and the status
// moves to partially_received or received. Receiving more of any line than
// is still outstanding is a conflict, and then nothing is written.
func (s *Store) ReceivePurchaseOrder(ctx context.Context, id uint64, lines []ReceiveLine) (PurchaseOrder, error) {
	var p Problems
	if len(lines) == 0 {
		p.Add("lines", "is required: at least one line received")
	}
	if len(lines) > maxPurchaseOrderLines {
		p.Add("lines", fmt.Sprintf("must have at most %d lines", maxPurchaseOrderLines))
	}
	seen := map[uint64]int{}
	for i, l := range lines {
		at := fmt.Sprintf("lines[%d].", i)
		if l.ItemID == 0 {
			p.Add(at+"item_id", "is required")
		} else if j, dup := seen[l.ItemID]; dup {
			p.Add(at+"item_id", fmt.Sprintf("item %d is already on line %d: give each item once", l.ItemID, j))
		}
		seen[l.ItemID] = i
		if l.Quantity < 1 || l.Quantity > maxPurchaseOrderQuantity {
			p.Add(at+"quantity", fmt.Sprintf("must be a whole number from 1 to %d", maxPurchaseOrderQuantity))
		}
	}
	if err := p.Err(); err != nil {
		return PurchaseOrder{}, err
	}
	var out PurchaseOrder
	err := s.update(ctx, func(tx *bolt.Tx) error {
		old, err := getRecord[PurchaseOrder](tx, purchaseOrders.records, id, "purchase order")
		if err != nil {
			return err
		}
		switch old.Status {
		case PurchaseOrderDraft:
			return Conflict("purchase order %s is a draft: order it (PATCH {\"status\": \"ordered\"}) before receiving", old.Number)
		case PurchaseOrderCancelled:
			return Conflict("purchase order %s is cancelled: nothing more can be received", old.Number)
		case PurchaseOrderReceived:
			return Conflict("purchase order %s is already received in full", old.Number)
		}
		po := *old
		po.Lines = slices.Clone(old.Lines)
		if err := po.receive(lines); err != nil {
			return err
		}
		ref := fmt.Sprintf("purchase_order:%d", id)
		for i, l := range lines {
			if err := s.receiveStock(tx, i, l.ItemID, po.LocationID, l.Quantity, ref); err != nil {
				return err
			}
		}
		from := po.Status
		if po.Totals.Outstanding == 0 {
			s.setStatus(&po, PurchaseOrderReceived)
		} else {
			s.setStatus(&po, PurchaseOrderPartiallyReceived)
		}
		po.UpdatedAt = s.clock()
		if err := putPurchaseOrder(tx, old, &po); err != nil {
			return err
		}
		out = po
		data := ordered{}.with("purchase_order_id", id).with("lines", lines).with("purchase_order", po)
		if _, err := s.appendEvent(tx, "purchase_order.received", data); err != nil {
			return err
		}
		if po.Status == from {
			return nil
		}
		data = ordered{}.with("purchase_order_id", id).with("changes", ordered{}.with("status", change{from, po.Status})).with("purchase_order", po)
		_, err = s.appendEvent(tx, "purchase_order.status_changed", data)
		return err
	})
	return out, err
}

// receive adds lines' quantities to the order's received counts, or says,
// naming every line that would go over, how much each still awaits.
func (po *PurchaseOrder) receive(lines []ReceiveLine) error {
	var p Problems
	var over []string
	for i, l := range lines {
		j := po.lineOf(l.ItemID)
		if j < 0 {
			p.Add(fmt.Sprintf("lines[%d].item_id", i), fmt.Sprintf("item %d is not on purchase order %s", l.ItemID, po.Number))
			continue
		}
		line := &po.Lines[j]
		if left := line.Quantity - line.Received; l.Quantity > left {
			over = append(over, fmt.Sprintf("item %d (%s): %d received of %d ordered, %d outstanding, %d given",
				l.ItemID, line.SKU, line.Received, line.Quantity, left, l.Quantity))
			continue
		}
		line.Received += l.Quantity
	}
	if err := p.Err(); err != nil {
		return err
	}
	if len(over) > 0 {
		return Conflict("purchase order %s: cannot receive more than is outstanding: %s", po.Number, strings.Join(over, "; "))
	}
	return po.total()
}

func (po *PurchaseOrder) lineOf(itemID uint64) int {
	for i, l := range po.Lines {
		if l.ItemID == itemID {
			return i
		}
	}
	return -1
}

// putPurchaseOrder writes the record with its index entries.
func putPurchaseOrder(tx *bolt.Tx, old, po *PurchaseOrder) error {
	if po.Lines == nil {
		po.Lines = []PurchaseOrderLine{} // "lines": [], never null
	}
	return purchaseOrders.put(tx, po.ID, old, po)
}

// PurchaseOrder returns one purchase order's JSON.
func (s *Store) PurchaseOrder(id uint64) (json.RawMessage, error) {
	return s.raw(purchaseOrders.records, id, "purchase order")
}

// ListPurchaseOrders pages the purchase orders.
func (s *Store) ListPurchaseOrders(q ListQuery) (Page, error) {
	var page Page
	err := s.view(func(tx *bolt.Tx) (err error) {
		page, err = purchaseOrders.list(tx, q)
		return err
	})
	return page, err
}
