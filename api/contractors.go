package api

import (
	"net/http"

	"portal/store"
)

var contractorList = declaredList("contractors", false)

// rejectInput is why the desk refuses a contractor.
type rejectInput struct {
	Reason string `json:"reason"`
}

// contractorCheckIn names where a contractor checks in.
type contractorCheckIn struct {
	LocationID uint64 `json:"location_id"`
}

func (s *Server) contractorRoutes() []route {
	const res = "contractors"
	return []route{
		{method: "GET", path: "/contractors", scope: readScope(res), handle: s.listContractors, summary: "List the contractors", out: []store.Contractor{}, list: contractorList},
		{method: "POST", path: "/contractors", scope: writeScope(res), handle: s.createContractor, summary: "Add a contractor (company, name, email, phone, induction_expires_on and insurance_expires_on as YYYY-MM-DD); pending until approved", in: store.ContractorInput{}, out: store.Contractor{}, status: http.StatusCreated},
		{method: "GET", path: "/contractors/{id}", scope: readScope(res), handle: s.getContractor, summary: "Get a contractor", out: store.Contractor{}},
		{method: "PATCH", path: "/contractors/{id}", scope: writeScope(res), handle: s.updateContractor, summary: "Change a contractor (an approved one stays approved; check-in checks the dates again)", in: store.ContractorPatch{}, out: store.Contractor{}},
		{method: "POST", path: "/contractors/{id}/approve", scope: writeScope(res), handle: s.approveContractor, summary: "Approve a pending or rejected contractor whose induction and insurance are on file and current (409 naming the date otherwise)", out: store.Contractor{}},
		{method: "POST", path: "/contractors/{id}/reject", scope: writeScope(res), handle: s.rejectContractor, summary: "Reject a contractor, with a reason", in: rejectInput{}, out: store.Contractor{}},
		{method: "POST", path: "/contractors/{id}/check-in", scope: writeScope(res), handle: s.checkInContractor, summary: "Check an approved contractor in at a location (409 naming a missing or expired date, or during an evacuation)", in: contractorCheckIn{}, out: store.Contractor{}},
		{method: "POST", path: "/contractors/{id}/check-out", scope: writeScope(res), handle: s.checkOutContractor, summary: "Check a contractor out (409 when not on site)", out: store.Contractor{}},
	}
}

func (s *Server) listContractors(w http.ResponseWriter, r *http.Request, p *Principal) error {
	lp, err := parseList(r, *contractorList)
	if err != nil {
		return err
	}
	page, err := p.Store.ListContractors(lp.ListQuery)
	if err != nil {
		return err
	}
	return okPage(w, page, lp)
}

func (s *Server) createContractor(w http.ResponseWriter, r *http.Request, p *Principal) error {
	var in store.ContractorInput
	if err := decode(r, &in); err != nil {
		return err
	}
	c, err := p.Store.CreateContractor(r.Context(), in)
	if err != nil {
		return err
	}
	return ok(w, http.StatusCreated, c)
}

func (s *Server) getContractor(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	raw, err := p.Store.Contractor(id)
	if err != nil {
		return err
	}
	return okRaw(w, raw)
}

func (s *Server) updateContractor(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	var patch store.ContractorPatch
	if err := decode(r, &patch); err != nil {
		return err
	}
	c, err := p.Store.UpdateContractor(r.Context(), id, patch)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, c)
}

func (s *Server) approveContractor(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	if err := decodeOptional(r, &struct{}{}); err != nil {
		return err
	}
	c, err := p.Store.ApproveContractor(r.Context(), id)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, c)
}

func (s *Server) rejectContractor(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	var in rejectInput
	if err := decodeOptional(r, &in); err != nil {
		return err
	}
	c, err := p.Store.RejectContractor(r.Context(), id, in.Reason)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, c)
}

func (s *Server) checkInContractor(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	var in contractorCheckIn
	if err := decode(r, &in); err != nil {
		return err
	}
	c, err := p.Store.CheckInContractor(r.Context(), id, in.LocationID)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, c)
}

func (s *Server) checkOutContractor(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	if err := decodeOptional(r, &struct{}{}); err != nil {
		return err
	}
	c, err := p.Store.CheckOutContractor(r.Context(), id)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, c)
}
