package api

import (
	"net/http"

	"portal/store"
)

// activateInput names the location to evacuate (0 or left out: every location).
type activateInput struct {
	LocationID uint64 `json:"location_id"`
}

func (s *Server) evacuationRoutes() []route {
	const res = "evacuation"
	return []route{
		{method: "POST", path: "/evacuation/activate", scope: writeScope(res), handle: s.activateEvacuation, summary: "Start an evacuation: a roll call of everyone on site now (at location_id, or every location); check-ins are refused until it ends", in: activateInput{}, out: store.Evacuation{}, status: http.StatusCreated},
		{method: "GET", path: "/evacuation", scope: readScope(res), handle: s.getEvacuation, summary: "The running evacuation, or the last one: its roll call and who is still unaccounted for, per location", out: store.Evacuation{}},
		{method: "POST", path: "/evacuation/roll-call/{entry_id}/safe", scope: writeScope(res), handle: s.markSafe, summary: "Mark a person of the roll call safe (marking again changes nothing)", out: store.EvacuationEntry{}, porter: "entry"},
		{method: "POST", path: "/evacuation/end", scope: writeScope(res), handle: s.endEvacuation, summary: "End the running evacuation with its summary; check-ins open again", out: store.Evacuation{}},
	}
}

func (s *Server) activateEvacuation(w http.ResponseWriter, r *http.Request, p *Principal) error {
	var in activateInput
	if err := decodeOptional(r, &in); err != nil {
		return err
	}
	e, err := p.Store.ActivateEvacuation(r.Context(), in.LocationID)
	if err != nil {
		return err
	}
	return ok(w, http.StatusCreated, e)
}

func (s *Server) getEvacuation(w http.ResponseWriter, r *http.Request, p *Principal) error {
	e, err := p.Store.CurrentEvacuation()
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, e)
}

func (s *Server) markSafe(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := idParam(r, "entry_id")
	if err != nil {
		return err
	}
	if err := decodeOptional(r, &struct{}{}); err != nil {
		return err
	}
	e, err := p.Store.MarkSafe(r.Context(), id)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, e)
}

func (s *Server) endEvacuation(w http.ResponseWriter, r *http.Request, p *Principal) error {
	if err := decodeOptional(r, &struct{}{}); err != nil {
		return err
	}
	e, err := p.Store.EndEvacuation(r.Context())
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, e)
}
