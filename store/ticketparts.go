package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

// Notes, line items and payments are keyed by be64 ticket id | be64 own id,
// so one ticket's children are one short range. Each child type draws its ids
// from its bucket's sequence.
var (
	bucketNotes     = []byte("ticket_notes")
	bucketLineItems = []byte("ticket_line_items")
	bucketPayments  = []byte("ticket_payments")
)

// Note is a timeline entry on a ticket.
type Note struct {
	ID        uint64    `json:"id"`
	TicketID  uint64    `json:"ticket_id"`
	Body      string    `json:"body"`
	Author    string    `json:"author"`
	Internal  bool      `json:"internal"`
	CreatedAt time.Time `json:"created_at"`
}

// NoteInput adds a note; Author is set by the caller from who is asking.
type NoteInput struct {
	Body     string `json:"body"`
	Internal bool   `json:"internal"`
	Author   string `json:"-"`
}

// Line item kinds: a fee (a call-out, a disposal charge) is never from the
// catalog and takes no stock; it came with proposals, whose lines become
// ticket lines when accepted.
var LineItemKinds = []string{"part", "service", "product", "fee"}

// LineItem is a billable line of a ticket.
type LineItem struct {
	ID            uint64    `json:"id"`
	TicketID      uint64    `json:"ticket_id"`
	Kind          string    `json:"kind"`
	CatalogItemID *uint64   `json:"catalog_item_id"`
	Description   string    `json:"description"`
	Quantity      Quantity  `json:"quantity"`
	UnitPrice     Money     `json:"unit_price"`
	Taxable       bool      `json:"taxable"`
	Total         Money     `json:"total"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
	// LocationID is where the line's stock was taken from (a part or
	// product from the catalog); changing or removing the line moves stock
	// there. Absent on lines that took none.
	LocationID uint64 `json:"location_id,omitempty"`
}

// LineItemInput adds a line item. Quantity defaults to 1, Taxable to true.
// From the catalog (CatalogItemID), kind, description, unit price and
// taxable default to the item's, and a part or product is taken from the
// stock of the ticket's location in the same transaction.
type LineItemInput struct {
	Kind          string    `json:"kind"`
	CatalogItemID *uint64   `json:"catalog_item_id"`
	Description   string    `json:"description"`
	Quantity      *Quantity `json:"quantity"`
	UnitPrice     *Money    `json:"unit_price"`
	Taxable       *bool     `json:"taxable"`
}

// LineItemPatch changes a line item.
type LineItemPatch struct {
	Description *string   `json:"description"`
	Quantity    *Quantity `json:"quantity"`
	UnitPrice   *Money    `json:"unit_price"`
	Taxable     *bool     `json:"taxable"`
}

func childKey(ticketID, id uint64) []byte { return appendU64(itob(ticketID), id) }

// children lists one ticket's child records in id order (404 if no ticket).
func (s *Store) children(bucket []byte, ticketID uint64, page, perPage int) (Page, error) {
	var out Page
	err := s.view(func(tx *bolt.Tx) error {
		if tx.Bucket(tickets.records).Get(itob(ticketID)) == nil {
			return notFound("ticket")
		}
		prefix := itob(ticketID)
		pg := newPager(page, perPage)
		c := tx.Bucket(bucket).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			pg.add(v)
		}
		out = pg.Page
		return nil
	})
	return out, err
}

// pager cuts one page out of a stream of records, counting them all.
type pager struct {
	Page
	skip, perPage int
}

func newPager(page, perPage int) *pager {
	return &pager{Page: Page{Items: []json.RawMessage{}}, skip: (page - 1) * perPage, perPage: perPage}
}

// keeps says whether the next add lands on the page.
func (p *pager) keeps() bool { return p.skip == 0 && len(p.Items) < p.perPage }

func (p *pager) add(v []byte) {
	p.Total++
	switch {
	case p.skip > 0:
		p.skip--
	case len(p.Items) < p.perPage:
		p.Items = append(p.Items, cloneBytes(v))
	default:
		p.HasMore = true
	}
}

// Notes lists a ticket's notes, oldest first (the timeline's order).
func (s *Store) Notes(ticketID uint64, page, perPage int) (Page, error) {
	return s.children(bucketNotes, ticketID, page, perPage)
}

// LineItems lists a ticket's line items.
func (s *Store) LineItems(ticketID uint64, page, perPage int) (Page, error) {
	return s.children(bucketLineItems, ticketID, page, perPage)
}

// Payments lists a ticket's payments.
func (s *Store) Payments(ticketID uint64, page, perPage int) (Page, error) {
	return s.children(bucketPayments, ticketID, page, perPage)
}

// AddNote appends a note and records ticket.note_added.
func (s *Store) AddNote(ctx context.Context, ticketID uint64, in NoteInput) (Note, error) {
	body := strings.TrimSpace(in.Body)
	if body == "" || utf8.RuneCountInString(body) > 20000 {
		return Note{}, Invalid("body", "is required (1 to 20000 characters)")
	}
	var out Note
	err := s.update(ctx, func(tx *bolt.Tx) error {
		t, err := getRecord[Ticket](tx, tickets.records, ticketID, "ticket")
		if err != nil {
			return err
		}
		b := tx.Bucket(bucketNotes)
		id, err := b.NextSequence()
		if err != nil {
			return err
		}
		n := Note{ID: id, TicketID: ticketID, Body: body, Author: in.Author, Internal: in.Internal, CreatedAt: s.clock()}
		if err := putChild(b, ticketID, id, n); err != nil {
			return err
		}
		if err := s.touchTicket(tx, t); err != nil {
			return err
		}
		out = n
		_, err = s.appendEvent(tx, "ticket.note_added", ordered{}.with("ticket_id", ticketID).with("note_id", id).with("note", n))
		return err
	})
	return out, err
}

func putChild(b *bolt.Bucket, ticketID, id uint64, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(childKey(ticketID, id), raw)
}

// touchTicket bumps updated_at so that updated_after and the queue's
// "recently changed" order see activity on a ticket's children.
func (s *Store) touchTicket(tx *bolt.Tx, t *Ticket) error {
	old := *t
	t.UpdatedAt = s.clock()
	return s.putTicket(tx, &old, t)
}

// AddLineItem adds a billable line and recomputes the ticket's totals.
func (s *Store) AddLineItem(ctx context.Context, ticketID uint64, in LineItemInput) (LineItem, Ticket, error) {
	if in.CatalogItemID == nil {
		if _, err := newLineItem(in, nil); err != nil {
			return LineItem{}, Ticket{}, err
		}
	}
	var out LineItem
	var outTicket Ticket
	err := s.update(ctx, func(tx *bolt.Tx) error {
		var from *CatalogItem
		if in.CatalogItemID != nil {
			c, err := getRecord[CatalogItem](tx, catalogItems.records, *in.CatalogItemID, "catalog item")
			if isNotFound(err) {
				return Invalid("catalog_item_id", "must be an existing catalog item")
			} else if err != nil {
				return err
			}
			from = c
		}
		li, err := newLineItem(in, from)
		if err != nil {
			return err
		}
		t, err := getRecord[Ticket](tx, tickets.records, ticketID, "ticket")
		if err != nil {
			return err
		}
		item, err := s.putLineItem(tx, t, li, from)
		if err != nil {
			return err
		}
		if err := s.retotal(tx, t); err != nil {
			return err
		}
		out, outTicket = item, *t
		return s.lineItemAdded(tx, t, item)
	})
	return out, outTicket, err
}

// putLineItem adds line li (made by newLineItem, from catalog item from when
// not nil) to ticket t, taking a stocked item's units from the stock of the
// ticket's location; the caller retotals the ticket and records
// ticket.line_item_added (lineItemAdded). Accepting a proposal adds its
// lines through here, so they take stock exactly as lines added one by one.
func (s *Store) putLineItem(tx *bolt.Tx, t *Ticket, li LineItem, from *CatalogItem) (LineItem, error) {
	b := tx.Bucket(bucketLineItems)
	id, err := b.NextSequence()
	if err != nil {
		return LineItem{}, err
	}
	item := li
	now := s.clock()
	item.ID, item.TicketID, item.CreatedAt, item.UpdatedAt = id, t.ID, now, now
	item.Total = mulRound(item.UnitPrice, item.Quantity)
	if from != nil && from.Stocked() {
		if item.LocationID, err = stockLocation(tx, t); err != nil {
			return LineItem{}, err
		}
		if _, err := s.adjustStock(tx, from.ID, item.LocationID, -int64(item.Quantity/100), "sale", lineRef(item)); err != nil {
			return LineItem{}, err
		}
	}
	return item, putChild(b, t.ID, id, item)
}

// lineItemAdded records ticket.line_item_added for item, with the ticket's
// totals as they are now.
func (s *Store) lineItemAdded(tx *bolt.Tx, t *Ticket, item LineItem) error {
	_, err := s.appendEvent(tx, "ticket.line_item_added", ordered{}.with("ticket_id", t.ID).
		with("line_item_id", item.ID).with("line_item", item).with("totals", t.Totals))
	return err
}

// newLineItem is the line an input describes, from the catalog item c
// when one is given, validated.
func newLineItem(in LineItemInput, c *CatalogItem) (LineItem, error) {
	li := LineItem{Kind: in.Kind, CatalogItemID: in.CatalogItemID, Description: strings.TrimSpace(in.Description),
		Quantity: 100, Taxable: true}
	var p Problems
	if c != nil {
		switch {
		case li.Kind == "":
			li.Kind = c.Kind
		case li.Kind != c.Kind:
			p.Add("kind", "must be the catalog item's kind ("+c.Kind+") or left out")
		}
		if li.Description == "" {
			li.Description = c.Name
		}
		li.UnitPrice, li.Taxable = c.Price, c.Taxable
	}
	if in.Quantity != nil {
		li.Quantity = *in.Quantity
	}
	if in.Taxable != nil {
		li.Taxable = *in.Taxable
	}
	if in.UnitPrice != nil {
		li.UnitPrice = *in.UnitPrice
	} else if c == nil {
		p.Add("unit_price", "is required")
	}
	if li.Kind == "" {
		li.Kind = "part"
	}
	li.validate(&p)
	if c != nil && c.Stocked() && li.Quantity%100 != 0 {
		p.Add("quantity", "must be a whole number for a "+c.Kind+" taken from stock")
	}
	return li, p.Err()
}

// lineRef names a line item as the cause of a stock adjustment.
func lineRef(li LineItem) string { return fmt.Sprintf("ticket:%d/line:%d", li.TicketID, li.ID) }

// stockLocation is where a ticket's parts come from: its location, else the
// shop's only one; with none, the ticket needs a location_id first (422).
func stockLocation(tx *bolt.Tx, t *Ticket) (uint64, error) {
	if t.LocationID != 0 {
		return t.LocationID, nil
	}
	if id := onlyLocation(tx); id != 0 {
		return id, nil
	}
	return 0, Invalid("location_id", "the ticket has no location to take the part from: set the ticket's location_id first")
}

func (li *LineItem) validate(p *Problems) {
	if !contains(LineItemKinds, li.Kind) {
		p.Add("kind", "must be one of "+strings.Join(LineItemKinds, ", "))
	}
	if li.Description == "" || utf8.RuneCountInString(li.Description) > 500 {
		p.Add("description", "is required (1 to 500 characters)")
	}
	if li.Quantity <= 0 || li.Quantity > 1_000_000 {
		p.Add("quantity", "must be more than 0 and at most 10000")
	}
	switch {
	case li.UnitPrice < 0:
		p.Add("unit_price", "must not be negative")
	case li.UnitPrice > MaxAmount:
		p.Add("unit_price", "must be at most "+MaxAmount.String())
	case li.Quantity > 0 && li.Quantity <= 1_000_000 && mulRound(li.UnitPrice, li.Quantity) > MaxAmount:
		p.Add("quantity", "makes the line's total more than "+MaxAmount.String())
	}
}

// UpdateLineItem changes a line item and recomputes totals. A change that
// would leave the ticket owing less than was already paid is refused (409).
func (s *Store) UpdateLineItem(ctx context.Context, ticketID, itemID uint64, patch LineItemPatch) (LineItem, Ticket, error) {
	var out LineItem
	var outTicket Ticket
	err := s.update(ctx, func(tx *bolt.Tx) error {
		t, item, err := s.lineItem(tx, ticketID, itemID)
		if err != nil {
			return err
		}
		was := *item
		if patch.Description != nil {
			item.Description = strings.TrimSpace(*patch.Description)
		}
		if patch.Quantity != nil {
			item.Quantity = *patch.Quantity
		}
		if patch.UnitPrice != nil {
			item.UnitPrice = *patch.UnitPrice
		}
		if patch.Taxable != nil {
			item.Taxable = *patch.Taxable
		}
		var p Problems
		item.validate(&p)
		if item.LocationID != 0 && item.Quantity%100 != 0 {
			p.Add("quantity", "must be a whole number for a line taken from stock")
		}
		if err := p.Err(); err != nil {
			return err
		}
		if item.LocationID != 0 && item.Quantity != was.Quantity {
			// Take the difference from stock, or put it back.
			delta, reason := int64(was.Quantity-item.Quantity)/100, "return"
			if delta < 0 {
				reason = "sale"
			}
			if _, err := s.adjustStock(tx, *item.CatalogItemID, item.LocationID, delta, reason, lineRef(*item)); err != nil {
				return err
			}
		}
		item.Total = mulRound(item.UnitPrice, item.Quantity)
		item.UpdatedAt = s.clock()
		if err := putChild(tx.Bucket(bucketLineItems), ticketID, itemID, item); err != nil {
			return err
		}
		before := t.Totals
		if err := s.retotal(tx, t); err != nil {
			return err
		}
		out, outTicket = *item, *t
		_, err = s.appendEvent(tx, "ticket.updated", ordered{}.with("ticket_id", ticketID).with("line_item_id", itemID).
			with("changes", ordered{}.with("line_item", change{was, *item}).with("totals", change{before, t.Totals})).with("ticket", t.JSON()))
		return err
	})
	return out, outTicket, err
}

// DeleteLineItem removes a line item and recomputes totals (409 if that would
// leave less owed than paid).
func (s *Store) DeleteLineItem(ctx context.Context, ticketID, itemID uint64) (Ticket, error) {
	var outTicket Ticket
	err := s.update(ctx, func(tx *bolt.Tx) error {
		t, item, err := s.lineItem(tx, ticketID, itemID)
		if err != nil {
			return err
		}
		before := t.Totals
		if err := tx.Bucket(bucketLineItems).Delete(childKey(ticketID, itemID)); err != nil {
			return err
		}
		if item.LocationID != 0 && item.CatalogItemID != nil { // the line's stock goes back
			if _, err := s.adjustStock(tx, *item.CatalogItemID, item.LocationID, int64(item.Quantity/100), "return", lineRef(*item)); err != nil {
				return err
			}
		}
		if err := s.retotal(tx, t); err != nil {
			return err
		}
		outTicket = *t
		// The removed line, as it was, under changes.line_item (to: null):
		// a timeline can say what went, and an undo can put it back.
		_, err = s.appendEvent(tx, "ticket.updated", ordered{}.with("ticket_id", ticketID).with("line_item_id", itemID).
			with("changes", ordered{}.with("line_item", change{*item, nil}).with("totals", change{before, t.Totals})).with("ticket", t.JSON()))
		return err
	})
	return outTicket, err
}

func (s *Store) lineItem(tx *bolt.Tx, ticketID, itemID uint64) (*Ticket, *LineItem, error) {
	t, err := getRecord[Ticket](tx, tickets.records, ticketID, "ticket")
	if err != nil {
		return nil, nil, err
	}
	v := tx.Bucket(bucketLineItems).Get(childKey(ticketID, itemID))
	if v == nil {
		return nil, nil, notFound("line item")
	}
	var item LineItem
	if err := json.Unmarshal(v, &item); err != nil {
		return nil, nil, err
	}
	return t, &item, nil
}

// retotal recomputes a ticket's totals from its line items and payments and
// writes the ticket. It refuses a result where more was paid than is owed.
func (s *Store) retotal(tx *bolt.Tx, t *Ticket) error {
	var tot Totals
	var taxable Money
	prefix := itob(t.ID)
	c := tx.Bucket(bucketLineItems).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var li LineItem
		if err := json.Unmarshal(v, &li); err != nil {
			return err
		}
		tot.Subtotal += li.Total
		if li.Taxable {
			taxable += li.Total
		}
	}
	c = tx.Bucket(bucketPayments).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var pay Payment
		if err := json.Unmarshal(v, &pay); err != nil {
			return err
		}
		tot.Paid += pay.Net()
	}
	tot.Tax = percentOf(taxable, int64(t.TaxRate))
	tot.Total = tot.Subtotal + tot.Tax
	if tot.Total > MaxAmount {
		return Invalid("line_items", "the ticket's total would be more than "+MaxAmount.String())
	}
	tot.Balance = tot.Total - tot.Paid
	if tot.Balance < 0 {
		return Conflict("this change would leave %s paid against a total of %s; refund first", tot.Paid, tot.Total)
	}
	old := *t
	t.Totals = tot
	t.UpdatedAt = s.clock()
	return s.putTicket(tx, &old, t)
}
