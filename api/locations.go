package api

import (
	"net/http"

	"portal/store"
)

var locationList = declaredList("locations", false)

func (s *Server) locationRoutes() []route {
	const res = "locations"
	return []route{
		{method: "GET", path: "/locations", scope: readScope(res), handle: s.listLocations, summary: "List the shop's locations", out: []store.Location{}, list: locationList},
		{method: "POST", path: "/locations", scope: writeScope(res), handle: s.createLocation, summary: "Add a location (name, address, IANA timezone, capacity, opens_at and closes_at as HH:MM)", in: store.LocationInput{}, out: store.Location{}, status: http.StatusCreated},
		{method: "GET", path: "/locations/{id}", scope: readScope(res), handle: s.getLocation, summary: "Get a location", out: store.Location{}},
		{method: "PATCH", path: "/locations/{id}", scope: writeScope(res), handle: s.updateLocation, summary: "Change a location", in: store.LocationPatch{}, out: store.Location{}},
	}
}

func (s *Server) listLocations(w http.ResponseWriter, r *http.Request, p *Principal) error {
	lp, err := parseList(r, *locationList)
	if err != nil {
		return err
	}
	page, err := p.Store.ListLocations(lp.ListQuery)
	if err != nil {
		return err
	}
	return okPage(w, page, lp)
}

func (s *Server) createLocation(w http.ResponseWriter, r *http.Request, p *Principal) error {
	var in store.LocationInput
	if err := decode(r, &in); err != nil {
		return err
	}
	l, err := p.Store.CreateLocation(r.Context(), in)
	if err != nil {
		return err
	}
	return ok(w, http.StatusCreated, l)
}

func (s *Server) getLocation(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	raw, err := p.Store.Location(id)
	if err != nil {
		return err
	}
	return okRaw(w, raw)
}

func (s *Server) updateLocation(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	var patch store.LocationPatch
	if err := decode(r, &patch); err != nil {
		return err
	}
	l, err := p.Store.UpdateLocation(r.Context(), id, patch)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, l)
}
