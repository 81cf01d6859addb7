package api

import (
	"net/http"

	"portal/store"
)

var purchaseOrderList = declaredList("purchase_orders", false)

// receiveInput is a delivery: the units of each item that arrived.
type receiveInput struct {
	Lines []store.ReceiveLine `json:"lines"`
}

func (s *Server) purchaseOrderRoutes() []route {
	const res = "purchase_orders"
	return []route{
		{method: "GET", path: "/purchase_orders", scope: readScope(res), handle: s.listPurchaseOrders, summary: "List purchase orders (filters status, supplier_id, location_id)", out: []store.PurchaseOrder{}, list: purchaseOrderList},
		{method: "POST", path: "/purchase_orders", scope: writeScope(res), handle: s.createPurchaseOrder, summary: "Start a draft purchase order (supplier_id, location_id, lines of item_id, quantity and unit_cost, which defaults to the item's cost; notes)", in: store.PurchaseOrderInput{}, out: store.PurchaseOrder{}, status: http.StatusCreated},
		{method: "GET", path: "/purchase_orders/{id}", scope: readScope(res), handle: s.getPurchaseOrder, summary: "Get a purchase order", out: store.PurchaseOrder{}},
		{method: "PATCH", path: "/purchase_orders/{id}", scope: writeScope(res), handle: s.updatePurchaseOrder, summary: "Change a purchase order: supplier, location and lines only in a draft; notes at any time; status draft → ordered, draft or ordered → cancelled (409 naming the allowed moves otherwise)", in: store.PurchaseOrderPatch{}, out: store.PurchaseOrder{}},
		{method: "POST", path: "/purchase_orders/{id}/receive", scope: writeScope(res), handle: s.receivePurchaseOrder, summary: "Receive lines of an ordered purchase order: adds their stock at its location and moves it to partially_received or received, all at once (409 for more than is outstanding, or a draft or cancelled order)", in: receiveInput{}, out: store.PurchaseOrder{}},
	}
}

func (s *Server) listPurchaseOrders(w http.ResponseWriter, r *http.Request, p *Principal) error {
	lp, err := parseList(r, *purchaseOrderList)
	if err != nil {
		return err
	}
	page, err := p.Store.ListPurchaseOrders(lp.ListQuery)
	if err != nil {
		return err
	}
	return okPage(w, page, lp)
}

func (s *Server) createPurchaseOrder(w http.ResponseWriter, r *http.Request, p *Principal) error {
	var in store.PurchaseOrderInput
	if err := decode(r, &in); err != nil {
		return err
	}
	po, err := p.Store.CreatePurchaseOrder(r.Context(), in)
	if err != nil {
		return err
	}
	return ok(w, http.StatusCreated, po)
}

func (s *Server) getPurchaseOrder(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	raw, err := p.Store.PurchaseOrder(id)
	if err != nil {
		return err
	}
	return okRaw(w, raw)
}

func (s *Server) updatePurchaseOrder(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	var patch store.PurchaseOrderPatch
	if err := decode(r, &patch); err != nil {
		return err
	}
	po, err := p.Store.UpdatePurchaseOrder(r.Context(), id, patch)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, po)
}

func (s *Server) receivePurchaseOrder(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	var in receiveInput
	if err := decode(r, &in); err != nil {
		return err
	}
	po, err := p.Store.ReceivePurchaseOrder(r.Context(), id, in.Lines)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, po)
}
