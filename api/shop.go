package api

import (
	"net/http"

	"portal/store"
)

func (s *Server) shopRoutes() []route {
	const res = "store"
	return []route{
		{method: "GET", path: "/store", scope: readScope(res), handle: s.getShop, summary: "The shop's information", out: store.Shop{}},
		{method: "PATCH", path: "/store", scope: writeScope(res), handle: s.updateShop, summary: "Change the shop's information", in: store.ShopPatch{}, out: store.Shop{}},
		{method: "GET", path: "/store/statuses", scope: readScope(res), handle: s.getStatuses, summary: "The ticket workflow's statuses", out: []store.Status{}},
		{method: "PUT", path: "/store/statuses", scope: writeScope(res), handle: s.putStatuses, summary: "Replace the ticket workflow (a status in use cannot be removed; renames moves its tickets to the new name)", in: statusesInput{}, out: []store.Status{}},
		{method: "GET", path: "/store/features", scope: readScope(res), handle: s.getFeatures, summary: "The shop's feature flags", out: store.Features{}},
	}
}

type statusesInput struct {
	Statuses []store.Status `json:"statuses"`
	// Renames maps a current status to its new name in statuses; the
	// tickets in it move with it.
	Renames map[string]string `json:"renames"`
}

func (s *Server) getShop(w http.ResponseWriter, r *http.Request, p *Principal) error {
	shop, err := p.Store.Shop()
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, shop)
}

func (s *Server) updateShop(w http.ResponseWriter, r *http.Request, p *Principal) error {
	var patch store.ShopPatch
	if err := decode(r, &patch); err != nil {
		return err
	}
	// Every customer link starts with portal_url: whoever sets it could
	// collect the links, so it takes what making them takes.
	if lack := p.lacking(portalLinkScopes); patch.PortalURL != nil && lack != "" {
		return forbidden(lack)
	}
	// The catalog is where the owner installs plugins with one click: only
	// the owner chooses it, never a plugin or a key holding store.write.
	if patch.PluginCatalogURL != nil && !p.hasOwnerPower() {
		return errOwnerOnly
	}
	shop, err := p.Store.UpdateShop(r.Context(), patch)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, shop)
}

func (s *Server) getStatuses(w http.ResponseWriter, r *http.Request, p *Principal) error {
	list, err := p.Store.Statuses()
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, list)
}

func (s *Server) putStatuses(w http.ResponseWriter, r *http.Request, p *Principal) error {
	var in statusesInput
	if err := decode(r, &in); err != nil {
		return err
	}
	list, err := p.Store.ReplaceStatuses(r.Context(), in.Statuses, in.Renames)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, list)
}

func (s *Server) getFeatures(w http.ResponseWriter, r *http.Request, p *Principal) error {
	f, err := p.Store.Features()
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, f)
}
