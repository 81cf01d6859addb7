package api

import (
	"net/http"

	"portal/store"
)

var customerList = declaredList("customers", false)

// customerTicketList is the tickets list less customer_id, which the path
// fixes, and less search.
var customerTicketList = declaredList("tickets", true, "customer_id")

func (s *Server) customerRoutes() []route {
	const res = "customers"
	return []route{
		{method: "GET", path: "/customers", scope: readScope(res), handle: s.listCustomers, summary: "List or search customers (q= matches name, email, phone)", out: []store.Customer{}, list: customerList},
		{method: "POST", path: "/customers", scope: writeScope(res), handle: s.createCustomer, summary: "Create a customer", in: store.CustomerInput{}, out: store.Customer{}, status: http.StatusCreated},
		{method: "GET", path: "/customers/{id}", scope: readScope(res), handle: s.getCustomer, summary: "Get a customer", out: store.Customer{}},
		{method: "PATCH", path: "/customers/{id}", scope: writeScope(res), handle: s.updateCustomer, summary: "Update a customer", in: store.CustomerPatch{}, out: store.Customer{}},
		{method: "DELETE", path: "/customers/{id}", scope: writeScope(res), handle: s.deleteCustomer, summary: "Delete a customer with no open tickets (409 otherwise)", out: deleted{}},
		{method: "GET", path: "/customers/{id}/tickets", scope: readScope(res), handle: s.customerTickets, summary: "List a customer's tickets", out: []store.Ticket{}, list: customerTicketList},
	}
}

// deleted confirms a deletion.
type deleted struct {
	ID      uint64 `json:"id"`
	Deleted bool   `json:"deleted"`
}

func (s *Server) listCustomers(w http.ResponseWriter, r *http.Request, p *Principal) error {
	lp, err := parseList(r, *customerList)
	if err != nil {
		return err
	}
	page, err := p.Store.ListCustomers(lp.ListQuery, lp.Search)
	if err != nil {
		return err
	}
	return okPage(w, page, lp)
}

func (s *Server) createCustomer(w http.ResponseWriter, r *http.Request, p *Principal) error {
	var in store.CustomerInput
	if err := decode(r, &in); err != nil {
		return err
	}
	c, err := p.Store.CreateCustomer(r.Context(), in)
	if err != nil {
		return err
	}
	return ok(w, http.StatusCreated, c)
}

func (s *Server) getCustomer(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	raw, err := p.Store.Customer(id)
	if err != nil {
		return err
	}
	return okRaw(w, raw)
}

func (s *Server) updateCustomer(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	var patch store.CustomerPatch
	if err := decode(r, &patch); err != nil {
		return err
	}
	c, err := p.Store.UpdateCustomer(r.Context(), id, patch)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, c)
}

func (s *Server) deleteCustomer(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	if err := p.Store.DeleteCustomer(r.Context(), id); err != nil {
		return err
	}
	return ok(w, http.StatusOK, deleted{ID: id, Deleted: true})
}

func (s *Server) customerTickets(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	lp, err := parseList(r, *customerTicketList)
	if err != nil {
		return err
	}
	page, err := p.Store.CustomerTickets(id, lp.ListQuery)
	if err != nil {
		return err
	}
	return okPage(w, page, lp)
}
