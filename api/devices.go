package api

import (
	"net/http"

	"portal/store"
)

var deviceList = declaredList("devices", false)

func (s *Server) deviceRoutes() []route {
	const res = "devices"
	return []route{
		{method: "GET", path: "/devices", scope: readScope(res), handle: s.listDevices, summary: "List the devices in the buy/sell pipeline (filters status, location_id, seller_customer_id; sort id, updated_at, asking_price; q= searches brand, model, IMEI and serial)", out: []store.StockDevice{}, list: deviceList},
		{method: "POST", path: "/devices", scope: writeScope(res), handle: s.createDevice, summary: "Receive a device bought from a customer (acquired): brand, model, an IMEI (15 digits, Luhn) or serial not held by a device in stock (409 otherwise), purchase_price, seller_customer_id, location_id", in: store.DeviceInput{}, out: store.StockDevice{}, status: http.StatusCreated},
		{method: "GET", path: "/devices/counts", scope: readScope(res), handle: s.countDevices, summary: "Device counts split by status or location_id (by=), from kept counts; the list's filters narrow them (the board's columns)", out: map[string]int{}},
		{method: "GET", path: "/devices/{id}", scope: readScope(res), handle: s.getDevice, summary: "Get a device, with its status history", out: store.StockDevice{}},
		{method: "PATCH", path: "/devices/{id}", scope: writeScope(res), handle: s.updateDevice, summary: "Change a device or move its status (acquired → testing → refurbishing → listed → sold, or scrapped; an illegal move is a 409 naming where it can move; sold needs sale_price); a sold or scrapped device changes only its notes", in: store.DevicePatch{}, out: store.StockDevice{}},
		{method: "POST", path: "/devices/{id}/status", scope: writeScope(res), handle: s.moveDevice, summary: "Move a device's status (as PATCH with status): sale_price is required and buyer_customer_id optional for sold", in: store.DeviceMove{}, out: store.StockDevice{}},
	}
}

func (s *Server) listDevices(w http.ResponseWriter, r *http.Request, p *Principal) error {
	lp, err := parseList(r, *deviceList)
	if err != nil {
		return err
	}
	page, err := p.Store.ListDevices(lp.ListQuery, lp.Search)
	if err != nil {
		return err
	}
	return okPage(w, page, lp)
}

// countDevices answers how many devices each status (or location) has, in
// one request.
func (s *Server) countDevices(w http.ResponseWriter, r *http.Request, p *Principal) error {
	q := r.URL.Query()
	filters := map[string]string{}
	for name, vals := range q {
		switch {
		case name == "by":
		case deviceList.hasFilter(name):
			filters[name] = vals[0]
		default:
			return validation(name, "is not a parameter of device counts (by, status, location_id, seller_customer_id)")
		}
	}
	counts, err := p.Store.CountDevices(q.Get("by"), filters)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, counts)
}

func (s *Server) createDevice(w http.ResponseWriter, r *http.Request, p *Principal) error {
	var in store.DeviceInput
	if err := decode(r, &in); err != nil {
		return err
	}
	d, err := p.Store.CreateDevice(r.Context(), in)
	if err != nil {
		return err
	}
	return ok(w, http.StatusCreated, d)
}

func (s *Server) getDevice(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	raw, err := p.Store.Device(id)
	if err != nil {
		return err
	}
	return okRaw(w, raw)
}

func (s *Server) updateDevice(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	var patch store.DevicePatch
	if err := decode(r, &patch); err != nil {
		return err
	}
	d, err := p.Store.UpdateDevice(r.Context(), id, patch)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, d)
}

func (s *Server) moveDevice(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	var m store.DeviceMove
	if err := decode(r, &m); err != nil {
		return err
	}
	if m.Status == "" {
		return validation("status", "is required: the status to move to")
	}
	d, err := p.Store.MoveDevice(r.Context(), id, m)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, d)
}
