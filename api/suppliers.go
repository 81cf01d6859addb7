package api

import (
	"net/http"

	"portal/store"
)

var supplierList = declaredList("suppliers", false)

// supplierRoutes are guarded by the purchase_orders scopes (API.md:
// "suppliers [purchase_orders]").
func (s *Server) supplierRoutes() []route {
	const res = "purchase_orders"
	return []route{
		{method: "GET", path: "/suppliers", scope: readScope(res), handle: s.listSuppliers, summary: "List the suppliers (q= searches name, contact and email)", out: []store.Supplier{}, list: supplierList},
		{method: "POST", path: "/suppliers", scope: writeScope(res), handle: s.createSupplier, summary: "Add a supplier (name, contact, email, phone, notes)", in: store.SupplierInput{}, out: store.Supplier{}, status: http.StatusCreated},
		{method: "GET", path: "/suppliers/{id}", scope: readScope(res), handle: s.getSupplier, summary: "Get a supplier", out: store.Supplier{}},
		{method: "PATCH", path: "/suppliers/{id}", scope: writeScope(res), handle: s.updateSupplier, summary: "Change a supplier", in: store.SupplierPatch{}, out: store.Supplier{}},
	}
}

func (s *Server) listSuppliers(w http.ResponseWriter, r *http.Request, p *Principal) error {
	lp, err := parseList(r, *supplierList)
	if err != nil {
		return err
	}
	page, err := p.Store.ListSuppliers(lp.ListQuery, lp.Search)
	if err != nil {
		return err
	}
	return okPage(w, page, lp)
}

func (s *Server) createSupplier(w http.ResponseWriter, r *http.Request, p *Principal) error {
	var in store.SupplierInput
	if err := decode(r, &in); err != nil {
		return err
	}
	sup, err := p.Store.CreateSupplier(r.Context(), in)
	if err != nil {
		return err
	}
	return ok(w, http.StatusCreated, sup)
}

func (s *Server) getSupplier(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	raw, err := p.Store.Supplier(id)
	if err != nil {
		return err
	}
	return okRaw(w, raw)
}

func (s *Server) updateSupplier(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	var patch store.SupplierPatch
	if err := decode(r, &patch); err != nil {
		return err
	}
	sup, err := p.Store.UpdateSupplier(r.Context(), id, patch)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, sup)
}
