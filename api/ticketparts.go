package api

import (
	"net/http"

	"portal/store"
)

func (s *Server) ticketPartRoutes() []route {
	const t, pay = "tickets", "payments"
	return []route{
		{method: "GET", path: "/tickets/{id}/notes", scope: readScope(t), handle: s.listNotes, summary: "List a ticket's notes, oldest first", out: []store.Note{}, list: &listSpec{}},
		{method: "POST", path: "/tickets/{id}/notes", scope: writeScope(t), handle: s.addNote, summary: "Add a note to a ticket", in: store.NoteInput{}, out: store.Note{}, status: http.StatusCreated},
		{method: "GET", path: "/tickets/{id}/line_items", scope: readScope(t), handle: s.listLineItems, summary: "List a ticket's line items", out: []store.LineItem{}, list: &listSpec{}},
		{method: "POST", path: "/tickets/{id}/line_items", scope: writeScope(t), handle: s.addLineItem, summary: "Add a line item; the ticket's totals follow. From the catalog (catalog_item_id), a part or product is taken from the stock of the ticket's location in the same transaction (409 when not enough, unless the item allows backorders)", in: store.LineItemInput{}, out: lineItemResult{}, status: http.StatusCreated},
		{method: "PATCH", path: "/tickets/{id}/line_items/{item_id}", scope: writeScope(t), handle: s.updateLineItem, summary: "Change a line item (a line taken from stock takes or puts back the difference)", in: store.LineItemPatch{}, out: lineItemResult{}},
		{method: "DELETE", path: "/tickets/{id}/line_items/{item_id}", scope: writeScope(t), handle: s.deleteLineItem, summary: "Remove a line item (a line taken from stock puts it back)", out: lineItemResult{}},
		{method: "GET", path: "/tickets/{id}/events", scope: readScope(t), handle: s.listTicketEvents, summary: "A ticket's timeline: the events about it, oldest first (payment events need payments.read)", out: []store.Event{}, list: &listSpec{}},
		{method: "GET", path: "/tickets/{id}/payments", scope: readScope(pay), handle: s.listPayments, summary: "List a ticket's payments", out: []store.Payment{}, list: &listSpec{}},
		{method: "POST", path: "/tickets/{id}/payments", scope: writeScope(pay), handle: s.addPayment, summary: "Record a payment (409 if it exceeds the balance)", in: store.PaymentInput{}, out: paymentResult{}, status: http.StatusCreated},
	}
}

// lineItemResult returns the changed line with the ticket's new totals.
type lineItemResult struct {
	LineItem *store.LineItem `json:"line_item,omitempty"`
	Ticket   store.Ticket    `json:"ticket"`
}

// paymentResult returns the payment with the ticket's new balance.
type paymentResult struct {
	Payment store.Payment `json:"payment"`
	Ticket  store.Ticket  `json:"ticket"`
}

// listChildren serves the three sub-lists of a ticket.
func listChildren(w http.ResponseWriter, r *http.Request, list func(uint64, int, int) (store.Page, error)) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	lp, err := pageParams(r)
	if err != nil {
		return err
	}
	page, err := list(id, lp.Page, lp.PerPage)
	if err != nil {
		return err
	}
	return okPage(w, page, lp)
}

func (s *Server) listNotes(w http.ResponseWriter, r *http.Request, p *Principal) error {
	return listChildren(w, r, p.Store.Notes)
}

func (s *Server) listLineItems(w http.ResponseWriter, r *http.Request, p *Principal) error {
	return listChildren(w, r, p.Store.LineItems)
}

func (s *Server) listTicketEvents(w http.ResponseWriter, r *http.Request, p *Principal) error {
	return listChildren(w, r, func(id uint64, page, perPage int) (store.Page, error) {
		return p.Store.TicketEvents(id, page, perPage, p.canSeeEvent)
	})
}

func (s *Server) listPayments(w http.ResponseWriter, r *http.Request, p *Principal) error {
	return listChildren(w, r, p.Store.Payments)
}

func (s *Server) addNote(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	var in store.NoteInput
	if err := decode(r, &in); err != nil {
		return err
	}
	in.Author = p.author()
	n, err := p.Store.AddNote(r.Context(), id, in)
	if err != nil {
		return err
	}
	return ok(w, http.StatusCreated, n)
}

func (s *Server) addLineItem(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	var in store.LineItemInput
	if err := decode(r, &in); err != nil {
		return err
	}
	li, t, err := p.Store.AddLineItem(r.Context(), id, in)
	if err != nil {
		return err
	}
	return ok(w, http.StatusCreated, lineItemResult{LineItem: &li, Ticket: t})
}

func (s *Server) updateLineItem(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	itemID, err := idParam(r, "item_id")
	if err != nil {
		return err
	}
	var patch store.LineItemPatch
	if err := decode(r, &patch); err != nil {
		return err
	}
	li, t, err := p.Store.UpdateLineItem(r.Context(), id, itemID, patch)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, lineItemResult{LineItem: &li, Ticket: t})
}

func (s *Server) deleteLineItem(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	itemID, err := idParam(r, "item_id")
	if err != nil {
		return err
	}
	t, err := p.Store.DeleteLineItem(r.Context(), id, itemID)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, lineItemResult{Ticket: t})
}

func (s *Server) addPayment(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	var in store.PaymentInput
	if err := decode(r, &in); err != nil {
		return err
	}
	pay, t, err := p.Store.AddPayment(r.Context(), id, in)
	if err != nil {
		return err
	}
	return ok(w, http.StatusCreated, paymentResult{Payment: pay, Ticket: t})
}
