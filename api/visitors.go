package api

import (
	"encoding/base64"
	"encoding/json"
	"net/http"

	qrcode "github.com/skip2/go-qrcode"

	"portal/store"
)

var visitorList = declaredList("visitors", false)

func (s *Server) visitorRoutes() []route {
	const res = "visitors"
	return []route{
		{method: "GET", path: "/visitors", scope: readScope(res), handle: s.listVisitors, summary: "List visitors (filters status, location_id, host, date; q= searches name, company and email)", out: []store.Visitor{}, list: visitorList},
		{method: "GET", path: "/visitors/{id}", scope: readScope(res), handle: s.getVisitor, summary: "Get a visitor", out: store.Visitor{}},
		{method: "POST", path: "/visitors/pre-register", scope: writeScope(res), handle: s.preRegisterVisitor, summary: "Pre-register a visitor (expected); the answer holds their check-in code and its QR (qr_png), shown this once", in: store.VisitorInput{}, out: visitorWithCode{}, status: http.StatusCreated},
		{method: "POST", path: "/visitors", scope: writeScope(res), handle: s.walkInVisitor, summary: "A walk-in: the visitor is checked in at once; the answer holds the code on their badge, which checks them out", in: store.VisitorInput{}, out: visitorWithCode{}, status: http.StatusCreated},
		{method: "POST", path: "/visitors/check-in", scope: writeScope(res), handle: s.checkInVisitorByCode, summary: "Check in the expected visitor whose code this is (409 when it was used already)", in: codeInput{}, out: store.Visitor{}},
		{method: "POST", path: "/visitors/{id}/check-in", scope: writeScope(res), handle: s.checkInVisitor, summary: "Check in an expected visitor (409 when already in, checked out or cancelled, or during an evacuation)", out: store.Visitor{}},
		{method: "POST", path: "/visitors/{id}/check-out", scope: writeScope(res), handle: s.checkOutVisitor, summary: "Check out a visitor who is in (409 when not checked in)", out: store.Visitor{}},
		{method: "POST", path: "/visitors/{id}/cancel", scope: writeScope(res), handle: s.cancelVisitor, summary: "Cancel an expected visit; its code stops working", out: store.Visitor{}},
		{method: "GET", path: "/hosts", scope: readScope(res), handle: s.listHosts, summary: "Staff who receive visitors, by name (q= narrows); phone and email only for keys with users.read", out: []hostView{}, list: &listSpec{search: true}},
		{method: "POST", path: "/users/{id}/presence", scope: writeScope("users"), handle: s.setPresence, summary: "Mark a staff member on site at a location (location_id 0: left); an evacuation's roll call counts them", in: presenceInput{}, out: store.User{}},
	}
}

// visitorWithCode is a new visitor with their code and a QR PNG of it (a
// data: URL), shown once: only the code's hash is kept.
type visitorWithCode struct {
	store.Visitor
	Code  string `json:"code"`
	QRPNG string `json:"qr_png"`
}

type codeInput struct {
	Code       string `json:"code"`
	LocationID uint64 `json:"location_id"` // optional: the desk's location, which the code must be for
}

type presenceInput struct {
	LocationID *uint64 `json:"location_id"`
}

// hostView is a host as the desk sees them: a name to pick, and a phone and
// email only for those who may read staff records.
type hostView struct {
	ID    uint64 `json:"id"`
	Name  string `json:"name"`
	Phone string `json:"phone,omitempty"`
	Email string `json:"email,omitempty"`
}

func withCode(v store.Visitor, code string) (visitorWithCode, error) {
	png, err := qrcode.Encode(code, qrcode.Medium, qrSize)
	if err != nil {
		return visitorWithCode{}, err
	}
	return visitorWithCode{Visitor: v, Code: code, QRPNG: "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)}, nil
}

func (s *Server) listVisitors(w http.ResponseWriter, r *http.Request, p *Principal) error {
	lp, err := parseList(r, *visitorList)
	if err != nil {
		return err
	}
	page, err := p.Store.ListVisitors(lp.ListQuery, lp.Search)
	if err != nil {
		return err
	}
	return okPage(w, page, lp)
}

func (s *Server) getVisitor(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	raw, err := p.Store.Visitor(id)
	if err != nil {
		return err
	}
	return okRaw(w, raw)
}

func (s *Server) preRegisterVisitor(w http.ResponseWriter, r *http.Request, p *Principal) error {
	return s.addVisitor(w, r, p, false)
}

func (s *Server) walkInVisitor(w http.ResponseWriter, r *http.Request, p *Principal) error {
	return s.addVisitor(w, r, p, true)
}

func (s *Server) addVisitor(w http.ResponseWriter, r *http.Request, p *Principal, walkIn bool) error {
	var in store.VisitorInput
	if err := decode(r, &in); err != nil {
		return err
	}
	var v store.Visitor
	var code string
	var err error
	if walkIn {
		v, code, err = p.Store.WalkInVisitor(r.Context(), in, store.ByDesk)
	} else {
		v, code, err = p.Store.PreRegisterVisitor(r.Context(), in)
	}
	if err != nil {
		return err
	}
	out, err := withCode(v, code)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store") // the code is shown once
	return ok(w, http.StatusCreated, out)
}

func (s *Server) checkInVisitorByCode(w http.ResponseWriter, r *http.Request, p *Principal) error {
	var in codeInput
	if err := decode(r, &in); err != nil {
		return err
	}
	v, err := p.Store.CheckInVisitorByCode(r.Context(), in.Code, in.LocationID, store.ByDesk)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, v)
}

// visitorAction runs a change on the visitor named in the path.
func (s *Server) visitorAction(w http.ResponseWriter, r *http.Request, do func(id uint64) (store.Visitor, error)) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	v, err := do(id)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, v)
}

func (s *Server) checkInVisitor(w http.ResponseWriter, r *http.Request, p *Principal) error {
	return s.visitorAction(w, r, func(id uint64) (store.Visitor, error) { return p.Store.CheckInVisitor(r.Context(), id, store.ByDesk) })
}

func (s *Server) checkOutVisitor(w http.ResponseWriter, r *http.Request, p *Principal) error {
	return s.visitorAction(w, r, func(id uint64) (store.Visitor, error) { return p.Store.CheckOutVisitor(r.Context(), id, store.ByDesk) })
}

func (s *Server) cancelVisitor(w http.ResponseWriter, r *http.Request, p *Principal) error {
	return s.visitorAction(w, r, func(id uint64) (store.Visitor, error) { return p.Store.CancelVisitor(r.Context(), id) })
}

func (s *Server) listHosts(w http.ResponseWriter, r *http.Request, p *Principal) error {
	lp, err := parseList(r, listSpec{search: true})
	if err != nil {
		return err
	}
	hosts, err := p.Store.Hosts(lp.Search)
	if err != nil {
		return err
	}
	contact := p.Can(readScope("users"))
	views := make([]hostView, len(hosts))
	for i, h := range hosts {
		views[i] = hostView{ID: h.ID, Name: h.Name}
		if contact {
			views[i].Phone, views[i].Email = h.Phone, h.Email
		}
	}
	from := min((lp.Page-1)*lp.PerPage, len(views))
	to := min(from+lp.PerPage, len(views))
	page := store.Page{Total: len(views), HasMore: to < len(views), Items: make([]json.RawMessage, 0, to-from)}
	for _, v := range views[from:to] {
		raw, err := json.Marshal(v)
		if err != nil {
			return err
		}
		page.Items = append(page.Items, raw)
	}
	return okPage(w, page, lp)
}

func (s *Server) setPresence(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	var in presenceInput
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.LocationID == nil {
		return validation("location_id", "is required: a location's id, or 0 when they left")
	}
	u, err := p.Store.SetPresence(r.Context(), id, *in.LocationID)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, u)
}
