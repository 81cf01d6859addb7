package api

import (
	"net/http"

	"portal/store"
)

var catalogList = declaredList("catalog_items", false)

func (s *Server) catalogRoutes() []route {
	const res = "catalog"
	return []route{
		{method: "GET", path: "/catalog/items", scope: readScope(res), handle: s.listCatalogItems, summary: "List the catalog (filters kind, supplier_id; q= searches name, sku and barcode)", out: []store.CatalogItem{}, list: catalogList},
		{method: "POST", path: "/catalog/items", scope: writeScope(res), handle: s.createCatalogItem, summary: "Add a catalog item (sku unique whatever its case, name, kind part|service|product, price, cost, taxable, reorder_level, supplier_id, barcode unique, allow_backorder); a sku or barcode in use is a 409", in: store.CatalogItemInput{}, out: store.CatalogItem{}, status: http.StatusCreated},
		{method: "GET", path: "/catalog/items/{id}", scope: readScope(res), handle: s.getCatalogItem, summary: "Get a catalog item", out: store.CatalogItem{}},
		{method: "PATCH", path: "/catalog/items/{id}", scope: writeScope(res), handle: s.updateCatalogItem, summary: "Change a catalog item (a new reorder_level re-marks its low stock)", in: store.CatalogItemPatch{}, out: store.CatalogItem{}},
	}
}

func (s *Server) listCatalogItems(w http.ResponseWriter, r *http.Request, p *Principal) error {
	lp, err := parseList(r, *catalogList)
	if err != nil {
		return err
	}
	page, err := p.Store.ListCatalogItems(lp.ListQuery, lp.Search)
	if err != nil {
		return err
	}
	return okPage(w, page, lp)
}

func (s *Server) createCatalogItem(w http.ResponseWriter, r *http.Request, p *Principal) error {
	var in store.CatalogItemInput
	if err := decode(r, &in); err != nil {
		return err
	}
	c, err := p.Store.CreateCatalogItem(r.Context(), in)
	if err != nil {
		return err
	}
	return ok(w, http.StatusCreated, c)
}

func (s *Server) getCatalogItem(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	raw, err := p.Store.CatalogItem(id)
	if err != nil {
		return err
	}
	return okRaw(w, raw)
}

func (s *Server) updateCatalogItem(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	var patch store.CatalogItemPatch
	if err := decode(r, &patch); err != nil {
		return err
	}
	c, err := p.Store.UpdateCatalogItem(r.Context(), id, patch)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, c)
}
