package api

import (
	"encoding/json"
	"net/http"

	"github.com/gorilla/mux"

	"portal/store"
)

func (s *Server) eventRoutes() []route {
	return []route{
		{method: "GET", path: "/events", scope: readScope("events"), handle: s.listEvents, summary: "Read the event log: newest first, or oldest first after since=evt_…; event= filters by name or area.*", out: []store.Event{}, list: &listSpec{}},
		{method: "GET", path: "/events/{id}", scope: readScope("events"), handle: s.getEvent, summary: "Get one event", out: store.Event{}},
	}
}

func (s *Server) listEvents(w http.ResponseWriter, r *http.Request, p *Principal) error {
	q := r.URL.Query()
	since, pattern := q.Get("since"), q.Get("event")
	q.Del("since")
	q.Del("event")
	r2 := r.Clone(r.Context())
	r2.URL.RawQuery = q.Encode()
	lp, err := pageParams(r2)
	if err != nil {
		return err
	}
	page, err := p.Store.ListEvents(store.EventQuery{Since: since, Pattern: pattern, Page: lp.Page, PerPage: lp.PerPage,
		Allowed: p.canSeeEvent})
	if err != nil {
		return err
	}
	if page.Items == nil {
		page.Items = []json.RawMessage{}
	}
	return okPage(w, page, lp)
}

// canSeeEvent: an event carries its record, so reading it takes the
// record's read scope as well as events.read.
func (p *Principal) canSeeEvent(name string) bool {
	_, lacks := store.LackedEventScope(name, p.Can)
	return !lacks
}

func (s *Server) getEvent(w http.ResponseWriter, r *http.Request, p *Principal) error {
	raw, err := p.Store.Event(mux.Vars(r)["id"], p.canSeeEvent)
	if err != nil {
		return err
	}
	return okRaw(w, raw)
}
