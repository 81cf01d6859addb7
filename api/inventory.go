package api

import (
	"net/http"

	"portal/store"
)

var (
	inventoryList  = declaredList("inventory", false)
	adjustmentList = declaredList("inventory_adjustments", false)
)

func (s *Server) inventoryRoutes() []route {
	const res = "inventory"
	return []route{
		{method: "GET", path: "/inventory", scope: readScope(res), handle: s.listInventory, summary: "Stock per catalog item and location (filters item_id, location_id, low_stock=true)", out: []store.StockLevel{}, list: inventoryList},
		{method: "POST", path: "/inventory/adjustments", scope: writeScope(res), handle: s.adjustStock, summary: "Change an item's stock at a location by delta (reason count, damage, return, transfer, sale, receive, correction; an optional note); below zero is a 409 unless the item allows backorders", in: store.AdjustmentInput{}, out: adjustmentResult{}, status: http.StatusCreated},
		{method: "GET", path: "/inventory/adjustments", scope: readScope(res), handle: s.listAdjustments, summary: "The stock's history, newest first (filters item_id, location_id)", out: []store.Adjustment{}, list: adjustmentList},
	}
}

// adjustmentResult is an adjustment with the stock it left.
type adjustmentResult struct {
	store.Adjustment
	StockLevel store.StockLevel `json:"stock_level"`
}

func (s *Server) listInventory(w http.ResponseWriter, r *http.Request, p *Principal) error {
	lp, err := parseList(r, *inventoryList)
	if err != nil {
		return err
	}
	page, err := p.Store.ListInventory(lp.ListQuery)
	if err != nil {
		return err
	}
	return okPage(w, page, lp)
}

func (s *Server) listAdjustments(w http.ResponseWriter, r *http.Request, p *Principal) error {
	lp, err := parseList(r, *adjustmentList)
	if err != nil {
		return err
	}
	page, err := p.Store.ListAdjustments(lp.ListQuery)
	if err != nil {
		return err
	}
	return okPage(w, page, lp)
}

func (s *Server) adjustStock(w http.ResponseWriter, r *http.Request, p *Principal) error {
	var in store.AdjustmentInput
	if err := decode(r, &in); err != nil {
		return err
	}
	level, adj, err := p.Store.AdjustStock(r.Context(), in)
	if err != nil {
		return err
	}
	return ok(w, http.StatusCreated, adjustmentResult{Adjustment: adj, StockLevel: level})
}
