package api

import (
	"net/http"

	"portal/store"
)

var proposalList = declaredList("proposals", false)

func (s *Server) proposalRoutes() []route {
	const res = "proposals"
	return []route{
		{method: "GET", path: "/proposals", scope: readScope(res), handle: s.listProposals, summary: "List proposals (filters status, customer_id, ticket_id; sort id, updated_at, expires_at; q= searches name and number)", out: []store.Proposal{}, list: proposalList},
		{method: "POST", path: "/proposals", scope: writeScope(res), handle: s.createProposal, summary: "Start a Draft proposal at the shop's tax rate: name, customer_id, ticket_id (optional), expires_at (optional), areas (1 to 20) of options (1 to 3: name, client_description, internal_notes, line_items from the catalog or free text); answers it with every option's summary and the chosen options' one", in: store.ProposalInput{}, out: store.Proposal{}, status: http.StatusCreated},
		{method: "GET", path: "/proposals/{id}", scope: readScope(res), handle: s.getProposal, summary: "Get a proposal, with its summaries and status history", out: store.Proposal{}},
		{method: "PATCH", path: "/proposals/{id}", scope: writeScope(res), handle: s.updateProposal, summary: "Change a proposal: name, customer_id, ticket_id, expires_at; areas (whole, only in a Draft); chosen_options (one per area, until Accepted); status (an illegal move is a 409 naming the allowed ones; Accepted puts the chosen lines on its ticket, all or nothing); outline_status, build_status", in: store.ProposalPatch{}, out: store.Proposal{}},
	}
}

func (s *Server) listProposals(w http.ResponseWriter, r *http.Request, p *Principal) error {
	lp, err := parseList(r, *proposalList)
	if err != nil {
		return err
	}
	page, err := p.Store.ListProposals(lp.ListQuery, lp.Search)
	if err != nil {
		return err
	}
	return okPage(w, page, lp)
}

func (s *Server) createProposal(w http.ResponseWriter, r *http.Request, p *Principal) error {
	var in store.ProposalInput
	if err := decode(r, &in); err != nil {
		return err
	}
	rec, err := p.Store.CreateProposal(r.Context(), in)
	if err != nil {
		return err
	}
	return ok(w, http.StatusCreated, rec)
}

func (s *Server) getProposal(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	raw, err := p.Store.Proposal(id)
	if err != nil {
		return err
	}
	return okRaw(w, raw)
}

func (s *Server) updateProposal(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	var patch store.ProposalPatch
	if err := decode(r, &patch); err != nil {
		return err
	}
	patch.NoTicketWrites = !p.Can("tickets.write")
	rec, err := p.Store.UpdateProposal(r.Context(), id, patch)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, rec)
}
