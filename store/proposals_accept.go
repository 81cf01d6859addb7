package store

import (
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// acceptOntoTicket puts the lines of p's chosen options on its ticket, in
// the caller's transaction, as ticket line items made exactly as
// AddLineItem makes them (stock of catalog parts and products taken from
// the ticket's location), at the quoted prices; then retotals the ticket.
// It returns the lines added for their events. A proposal without a ticket
// adds nothing. Anything that stops one line (not enough stock, a ticket
// with no location to take it from, a total too large) is a conflict that
// names the line, and the caller's transaction then writes nothing at all.
func (s *Store) acceptOntoTicket(tx *bolt.Tx, p *Proposal) ([]LineItem, *Ticket, error) {
	if p.TicketID == nil {
		return nil, nil, nil
	}
	t, err := getRecord[Ticket](tx, tickets.records, *p.TicketID, "ticket")
	if isNotFound(err) {
		return nil, nil, Conflict("proposal %d cannot be accepted onto ticket %d: no ticket has that id", p.Number, *p.TicketID)
	} else if err != nil {
		return nil, nil, err
	}
	refuse := func(what string, err error) error {
		var ve *ValidationError
		var ce *ConflictError
		switch {
		case errors.As(err, &ce):
			return Conflict("proposal %d cannot be accepted onto ticket %d: %s: %s", p.Number, t.Number, what, ce.Msg)
		case errors.As(err, &ve):
			return Conflict("proposal %d cannot be accepted onto ticket %d: %s: %s", p.Number, t.Number, what, ve.Error())
		}
		return err
	}
	var added []LineItem
	for i, a := range p.Areas {
		for k, l := range a.Options[a.ChosenOption].LineItems {
			what := fmt.Sprintf("areas[%d].options[%d].line_items[%d] (%s)", i, a.ChosenOption, k, l.Description)
			var from *CatalogItem
			if l.CatalogItemID != nil {
				if from, err = lineCatalogItem(tx, *l.CatalogItemID); err != nil {
					return nil, nil, refuse(what, err)
				}
			}
			li := LineItem{Kind: l.Kind, CatalogItemID: l.CatalogItemID, Description: l.Description,
				Quantity: l.Quantity, UnitPrice: l.UnitPrice, Taxable: l.Taxable}
			item, err := s.putLineItem(tx, t, li, from)
			if err != nil {
				return nil, nil, refuse(what, err)
			}
			added = append(added, item)
		}
	}
	if len(added) == 0 {
		return nil, nil, nil
	}
	if err := s.retotal(tx, t); err != nil {
		return nil, nil, refuse("the ticket's totals", err)
	}
	return added, t, nil
}
