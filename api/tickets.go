package api

import (
	"net/http"
	"strings"

	"portal/store"
)

var ticketList = declaredList("tickets", false)

func (s *Server) ticketRoutes() []route {
	const res = "tickets"
	return []route{
		{method: "GET", path: "/tickets", scope: readScope(res), handle: s.listTickets, summary: "List or search tickets (q= matches number, customer name/email/phone, device, serial/IMEI, issue; filters: status, assigned_to, customer_id)", out: []store.Ticket{}, list: ticketList},
		{method: "POST", path: "/tickets", scope: writeScope(res), handle: s.createTicket, summary: "Open a ticket (location_id: where its parts come from; the shop's location when it has exactly one)", in: store.TicketInput{}, out: store.Ticket{}, status: http.StatusCreated},
		{method: "GET", path: "/tickets/counts", scope: readScope(res), handle: s.countTickets, summary: "Ticket counts split by status or assigned_to (by=), from kept counts; the list's filters narrow them", out: map[string]int{}},
		{method: "GET", path: "/tickets/{id}", scope: readScope(res), handle: s.getTicket, summary: "Get a ticket", out: store.Ticket{}},
		{method: "PATCH", path: "/tickets/{id}", scope: writeScope(res), handle: s.updateTicket, summary: "Update a ticket (status, assignee, device, issue, priority, due date, location_id)", in: store.TicketPatch{}, out: store.Ticket{}},
		{method: "GET", path: "/tickets/{id}/qr.png", scope: readScope(res), handle: s.ticketQR, summary: "A QR code (PNG) of the ticket's page in the console, for the intake receipt", file: "image/png"},
	}
}

// countTickets answers how many tickets each status (or assignee) has, in
// one request: the queue's filter buttons.
func (s *Server) countTickets(w http.ResponseWriter, r *http.Request, p *Principal) error {
	q := r.URL.Query()
	by := q.Get("by")
	if by != "status" && by != "assigned_to" {
		return validation("by", "must be status or assigned_to")
	}
	filters := map[string]string{}
	for name, vals := range q {
		switch {
		case name == "by":
		case ticketList.hasFilter(name):
			filters[name] = vals[0]
		default:
			return validation(name, "is not a parameter of ticket counts (by, status, assigned_to, customer_id)")
		}
	}
	counts, err := p.Store.CountTickets(by, filters)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, counts)
}

func (s *Server) listTickets(w http.ResponseWriter, r *http.Request, p *Principal) error {
	lp, err := parseList(r, *ticketList)
	if err != nil {
		return err
	}
	var page store.Page
	if strings.TrimSpace(lp.Search) != "" {
		page, err = p.Store.SearchTickets(lp.ListQuery, lp.Search)
	} else {
		page, err = p.Store.ListTickets(lp.ListQuery)
	}
	if err != nil {
		return err
	}
	return okPage(w, page, lp)
}

// checkAssignee refuses an assignee who is not a staff member of the
// principal's store (test mode has its own staff).
func (s *Server) checkAssignee(p *Principal, id *uint64) error {
	if id == nil || *id == 0 {
		return nil
	}
	if _, err := p.Store.UserByID(*id); err != nil {
		return validation("assigned_to", "no staff member has this id")
	}
	return nil
}

func (s *Server) createTicket(w http.ResponseWriter, r *http.Request, p *Principal) error {
	var in store.TicketInput
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := s.checkAssignee(p, in.AssignedTo); err != nil {
		return err
	}
	t, err := p.Store.CreateTicket(r.Context(), in)
	if err != nil {
		return err
	}
	return okRawStatus(w, http.StatusCreated, t.JSON()) // the bytes the store wrote, not encoded again
}

func (s *Server) getTicket(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	raw, err := p.Store.Ticket(id)
	if err != nil {
		return err
	}
	return okRaw(w, raw)
}

func (s *Server) updateTicket(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	var patch store.TicketPatch
	if err := decode(r, &patch); err != nil {
		return err
	}
	if err := s.checkAssignee(p, patch.AssignedTo.Value); err != nil {
		return err
	}
	t, err := p.Store.UpdateTicket(r.Context(), id, patch)
	if err != nil {
		return err
	}
	return okRaw(w, t.JSON())
}
