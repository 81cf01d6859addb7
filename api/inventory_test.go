package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"portal/api"
	"portal/store"
)

// stockOf reads one item's stock at one location through GET /inventory
// (0 when it was never counted).
func stockOf(t *testing.T, c *client, itemID, locationID uint64) int64 {
	t.Helper()
	var levels []store.StockLevel
	c.get(fmt.Sprintf("/inventory?item_id=%d&location_id=%d", itemID, locationID)).ok(http.StatusOK, &levels)
	switch len(levels) {
	case 0:
		return 0
	case 1:
		return levels[0].Quantity
	}
	t.Fatalf("two stock records of item %d at location %d: %+v", itemID, locationID, levels)
	return 0
}

func eventCount(t *testing.T, c *client, name string) int {
	t.Helper()
	return c.get("/events?per_page=200&event="+name).ok(http.StatusOK, nil).Meta.Total
}

func newItem(t *testing.T, c *client, body map[string]any) store.CatalogItem {
	t.Helper()
	var out store.CatalogItem
	c.post("/catalog/items", body).ok(http.StatusCreated, &out)
	return out
}

func newLocation(t *testing.T, c *client, name string) store.Location {
	t.Helper()
	var out store.Location
	c.post("/locations", map[string]any{"name": name}).ok(http.StatusCreated, &out)
	return out
}

// Stock per location through POST /inventory/adjustments: locations and
// items must exist, a service has no stock, stock never goes below zero
// unless the item allows backorders (and a refused change writes nothing),
// every change is in the history and is an inventory.adjusted, and
// inventory.low_stock fires once per downward crossing of the reorder level.
func TestStockAdjustmentsAndLowStockOncePerCrossing(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, internalKey)
	main, annex := newLocation(t, c, "Main Street"), newLocation(t, c, "Annex")
	screen := newItem(t, c, map[string]any{"sku": "SCR-1", "name": "Screen", "price": 90, "reorder_level": 3})
	cable := newItem(t, c, map[string]any{"sku": "CBL-1", "name": "Cable", "kind": "product", "price": 9, "allow_backorder": true})
	labour := newItem(t, c, map[string]any{"sku": "LAB-1", "name": "Labour", "kind": "service", "price": 60})

	adjust := func(item, loc uint64, delta int64, reason string) *response {
		t.Helper()
		return c.post("/inventory/adjustments", map[string]any{"item_id": item, "location_id": loc, "delta": delta, "reason": reason, "note": "by hand"})
	}
	var first struct {
		store.Adjustment
		StockLevel store.StockLevel `json:"stock_level"`
	}
	adjust(screen.ID, main.ID, 10, "receive").ok(http.StatusCreated, &first)
	if first.QuantityAfter != 10 || first.StockLevel.Quantity != 10 || first.Note != "by hand" || first.Actor.Type != "key" || first.Reason != "receive" {
		t.Fatalf("first adjustment %+v", first)
	}
	for _, bad := range []struct {
		item, loc uint64
		delta     int64
		reason    string
		field     string
	}{
		{screen.ID, 999, 1, "count", "location_id"},
		{999, main.ID, 1, "count", "item_id"},
		{labour.ID, main.ID, 1, "count", "item_id"},
		{screen.ID, main.ID, 0, "count", "delta"},
		{screen.ID, main.ID, 1, "stolen", "reason"},
		{0, main.ID, 1, "count", "item_id"},
	} {
		adjust(bad.item, bad.loc, bad.delta, bad.reason).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", bad.field)
	}
	c.post("/inventory/adjustments", map[string]any{"item_id": screen.ID, "location_id": main.ID, "delta": 1.5, "reason": "count"}).
		fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "delta")

	// Below zero: 409 naming the item and what is in stock; nothing written.
	history := c.get("/inventory/adjustments").ok(http.StatusOK, nil).Meta.Total
	adjusted := eventCount(t, c, "inventory.adjusted")
	e := adjust(screen.ID, main.ID, -11, "damage").fail(http.StatusConflict, "CONFLICT")
	if !bytes.Contains([]byte(e.Message), []byte("Screen")) || !bytes.Contains([]byte(e.Message), []byte("10 in stock")) {
		t.Errorf("conflict says %q", e.Message)
	}
	adjust(screen.ID, annex.ID, -1, "damage").fail(http.StatusConflict, "CONFLICT")
	if got := c.get("/inventory/adjustments").ok(http.StatusOK, nil).Meta.Total; got != history {
		t.Errorf("a refused adjustment left history: %d, was %d", got, history)
	}
	if got := eventCount(t, c, "inventory.adjusted"); got != adjusted {
		t.Errorf("a refused adjustment logged an event: %d, was %d", got, adjusted)
	}
	if got := stockOf(t, c, screen.ID, main.ID); got != 10 {
		t.Fatalf("stock %d after a refusal", got)
	}
	// Backorders allowed: below zero is fine.
	adjust(cable.ID, annex.ID, -2, "sale").ok(http.StatusCreated, nil)
	if got := stockOf(t, c, cable.ID, annex.ID); got != -2 {
		t.Fatalf("backordered cable %d", got)
	}

	// Reorder level 3: 10 → 4 (not low) → 3 (low: fires) → 1 (still low) → 5 (above) → 2 (low: fires again).
	for _, d := range []int64{-6, -1, -2, 4, -3} {
		adjust(screen.ID, main.ID, d, "count").ok(http.StatusCreated, nil)
	}
	var lows []struct {
		Data struct {
			ItemID     uint64 `json:"item_id"`
			LocationID uint64 `json:"location_id"`
			Quantity   int64  `json:"quantity"`
		} `json:"data"`
	}
	c.get("/events?event=inventory.low_stock").ok(http.StatusOK, &lows)
	if len(lows) != 2 || lows[0].Data.Quantity != 2 || lows[1].Data.Quantity != 3 || lows[0].Data.ItemID != screen.ID || lows[0].Data.LocationID != main.ID {
		t.Fatalf("low_stock events %+v, want two (at 3, then at 2)", lows)
	}
	var low []store.StockLevel
	c.get("/inventory?low_stock=true").ok(http.StatusOK, &low)
	if len(low) != 1 || low[0].ItemID != screen.ID || low[0].Quantity != 2 || !low[0].LowStock {
		t.Fatalf("low_stock=true lists %+v", low)
	}
	c.get("/inventory?low_stock=maybe").fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "low_stock")
	// Lowering the reorder level clears the mark; raising it past the stock marks it and says so once.
	c.patch(fmt.Sprintf("/catalog/items/%d", screen.ID), map[string]any{"reorder_level": 1}).ok(http.StatusOK, nil)
	c.get("/inventory?low_stock=true").ok(http.StatusOK, &low)
	if len(low) != 0 {
		t.Fatalf("after lowering the reorder level: %+v", low)
	}
	c.patch(fmt.Sprintf("/catalog/items/%d", screen.ID), map[string]any{"reorder_level": 5}).ok(http.StatusOK, nil)
	if n := eventCount(t, c, "inventory.low_stock"); n != 3 {
		t.Fatalf("low_stock after raising the level: %d events, want 3", n)
	}
	// A service cannot become stocked history: the kind change is refused while stock exists.
	c.patch(fmt.Sprintf("/catalog/items/%d", screen.ID), map[string]any{"kind": "service"}).fail(http.StatusConflict, "CONFLICT")
	// Nor can backorders stop while an item is below zero.
	c.patch(fmt.Sprintf("/catalog/items/%d", cable.ID), map[string]any{"allow_backorder": false}).fail(http.StatusConflict, "CONFLICT")

	// The history, newest first, filtered.
	var adjs []store.Adjustment
	c.get(fmt.Sprintf("/inventory/adjustments?item_id=%d&location_id=%d", screen.ID, main.ID)).ok(http.StatusOK, &adjs)
	if len(adjs) != 6 || adjs[0].Delta != -3 || adjs[0].QuantityAfter != 2 || adjs[5].Delta != 10 {
		t.Fatalf("history %+v", adjs)
	}
	c.get(fmt.Sprintf("/inventory/adjustments?location_id=%d", annex.ID)).ok(http.StatusOK, &adjs)
	if len(adjs) != 1 || adjs[0].ItemID != cable.ID {
		t.Fatalf("annex history %+v", adjs)
	}
	if n := eventCount(t, c, "inventory.adjusted"); n != 7 {
		t.Fatalf("%d inventory.adjusted, want 7", n)
	}
}

type lineResult struct {
	LineItem store.LineItem `json:"line_item"`
	Ticket   struct {
		ID         uint64 `json:"id"`
		LocationID uint64 `json:"location_id"`
	} `json:"ticket"`
}

// A part or product from the catalog added to a ticket takes its quantity
// from the stock of the ticket's location in the line's transaction: not
// enough is a 409 with nothing written; a new quantity takes or puts back
// the difference; removing the line puts it back. Tickets learn location_id.
func TestLineItemsFromTheCatalogMoveStock(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, internalKey)
	cust := c.newCustomer("Ada")
	// No location yet: a ticket has none, and a part from stock needs one.
	early := c.newTicket(cust.ID, nil)
	screen := newItem(t, c, map[string]any{"sku": "SCR-1", "name": "Screen", "price": 90})
	labour := newItem(t, c, map[string]any{"sku": "LAB-1", "name": "Labour", "kind": "service", "price": 60})
	lines := func(ticketID uint64) string { return fmt.Sprintf("/tickets/%d/line_items", ticketID) }
	c.post(lines(early.ID), map[string]any{"catalog_item_id": screen.ID}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "location_id")

	main := newLocation(t, c, "Main Street")
	c.post("/inventory/adjustments", map[string]any{"item_id": screen.ID, "location_id": main.ID, "delta": 3, "reason": "receive"}).ok(http.StatusCreated, nil)
	// One location: a new ticket takes it, and an older ticket without one takes from it.
	var tk lineResult
	c.post("/tickets", map[string]any{"customer_id": cust.ID, "issue": "Cracked"}).ok(http.StatusCreated, &tk.Ticket)
	if tk.Ticket.LocationID != main.ID {
		t.Fatalf("a ticket in a one-location shop has location %d, want %d", tk.Ticket.LocationID, main.ID)
	}
	var fromEarly lineResult
	c.post(lines(early.ID), map[string]any{"catalog_item_id": screen.ID}).ok(http.StatusCreated, &fromEarly)
	if fromEarly.LineItem.LocationID != main.ID || fromEarly.LineItem.Description != "Screen" || fromEarly.LineItem.UnitPrice != 9000 {
		t.Fatalf("line from the catalog %+v", fromEarly.LineItem)
	}
	if got := stockOf(t, c, screen.ID, main.ID); got != 2 {
		t.Fatalf("stock %d after one sale, want 2", got)
	}

	for _, bad := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"catalog_item_id": 999}, "catalog_item_id"},
		{map[string]any{"catalog_item_id": screen.ID, "quantity": 1.5}, "quantity"},
		{map[string]any{"catalog_item_id": screen.ID, "kind": "service"}, "kind"},
		{map[string]any{"catalog_item_id": 999, "description": "x", "unit_price": 1}, "catalog_item_id"},
	} {
		c.post(lines(tk.Ticket.ID), bad.body).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", bad.field)
	}
	// Not enough: 409, and neither the line nor any stock change is written.
	events := c.get("/events").ok(http.StatusOK, nil).Meta.Total
	e := c.post(lines(tk.Ticket.ID), map[string]any{"catalog_item_id": screen.ID, "quantity": 3}).fail(http.StatusConflict, "CONFLICT")
	if !bytes.Contains([]byte(e.Message), []byte("2 in stock")) {
		t.Errorf("conflict says %q", e.Message)
	}
	if n := c.get(lines(tk.Ticket.ID)).ok(http.StatusOK, nil).Meta.Total; n != 0 {
		t.Fatalf("a refused line was written: %d lines", n)
	}
	if n := c.get("/events").ok(http.StatusOK, nil).Meta.Total; n != events {
		t.Fatalf("a refused line logged %d events", n-events)
	}

	var line lineResult
	c.post(lines(tk.Ticket.ID), map[string]any{"catalog_item_id": screen.ID, "quantity": 2, "unit_price": 85}).ok(http.StatusCreated, &line)
	if got := stockOf(t, c, screen.ID, main.ID); got != 0 || line.LineItem.UnitPrice != 8500 {
		t.Fatalf("stock %d, line %+v", got, line.LineItem)
	}
	// A service from the catalog takes no stock; a free-typed part neither.
	c.post(lines(tk.Ticket.ID), map[string]any{"catalog_item_id": labour.ID, "quantity": 1.5}).ok(http.StatusCreated, nil)
	c.post(lines(tk.Ticket.ID), map[string]any{"description": "Glue", "unit_price": 2}).ok(http.StatusCreated, nil)

	one := fmt.Sprintf("/tickets/%d/line_items/%d", tk.Ticket.ID, line.LineItem.ID)
	c.patch(one, map[string]any{"quantity": 3}).fail(http.StatusConflict, "CONFLICT") // takes one more: none left
	c.patch(one, map[string]any{"quantity": 1.5}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "quantity")
	c.patch(one, map[string]any{"quantity": 1}).ok(http.StatusOK, nil) // puts one back
	if got := stockOf(t, c, screen.ID, main.ID); got != 1 {
		t.Fatalf("stock %d after reducing the line, want 1", got)
	}
	c.patch(one, map[string]any{"quantity": 2}).ok(http.StatusOK, nil) // takes it again
	c.patch(one, map[string]any{"description": "Screen (OEM)"}).ok(http.StatusOK, nil)
	if got := stockOf(t, c, screen.ID, main.ID); got != 0 {
		t.Fatalf("stock %d after raising the line, want 0", got)
	}
	c.api(http.MethodDelete, one, nil).ok(http.StatusOK, nil) // puts both back
	if got := stockOf(t, c, screen.ID, main.ID); got != 2 {
		t.Fatalf("stock %d after removing the line, want 2", got)
	}
	var adjs []store.Adjustment
	c.get(fmt.Sprintf("/inventory/adjustments?item_id=%d", screen.ID)).ok(http.StatusOK, &adjs)
	wantRef := fmt.Sprintf("ticket:%d/line:%d", tk.Ticket.ID, line.LineItem.ID)
	if len(adjs) != 6 || adjs[0].Ref != wantRef || adjs[0].Reason != "return" || adjs[0].Delta != 2 || adjs[1].Reason != "sale" {
		t.Fatalf("history %+v", adjs)
	}

	// Two locations: a ticket names its location (validated); one without takes no part until it does.
	annex := newLocation(t, c, "Annex")
	c.post("/tickets", map[string]any{"customer_id": cust.ID, "issue": "x", "location_id": 999}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "location_id")
	var none lineResult
	c.post("/tickets", map[string]any{"customer_id": cust.ID, "issue": "Battery"}).ok(http.StatusCreated, &none.Ticket)
	if none.Ticket.LocationID != 0 {
		t.Fatalf("a ticket in a two-location shop defaulted to %d", none.Ticket.LocationID)
	}
	c.post(lines(none.Ticket.ID), map[string]any{"catalog_item_id": screen.ID}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "location_id")
	c.patch(fmt.Sprintf("/tickets/%d", none.Ticket.ID), map[string]any{"location_id": 999}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "location_id")
	c.patch(fmt.Sprintf("/tickets/%d", none.Ticket.ID), map[string]any{"location_id": annex.ID}).ok(http.StatusOK, nil)
	c.post(lines(none.Ticket.ID), map[string]any{"catalog_item_id": screen.ID}).fail(http.StatusConflict, "CONFLICT") // none at the annex
	c.post("/inventory/adjustments", map[string]any{"item_id": screen.ID, "location_id": annex.ID, "delta": 1, "reason": "transfer"}).ok(http.StatusCreated, nil)
	c.post(lines(none.Ticket.ID), map[string]any{"catalog_item_id": screen.ID}).ok(http.StatusCreated, nil)
	if a, m := stockOf(t, c, screen.ID, annex.ID), stockOf(t, c, screen.ID, main.ID); a != 0 || m != 2 {
		t.Fatalf("annex %d, main %d", a, m)
	}
}

// The proof: 50 concurrent sales (a line of quantity 1 on each of 50
// tickets, through the HTTP API) of the last 10 units of a part leave stock
// at exactly 0: exactly 10 succeed and 40 get a 409.
func TestFiftyConcurrentSalesOfTheLastTenUnits(t *testing.T) {
	t.Parallel()
	ts, c := newServer(t, internalKey)
	loc := newLocation(t, c, "Main Street")
	part := newItem(t, c, map[string]any{"sku": "SCR-LAST", "name": "Last screens", "price": 90, "reorder_level": 5})
	c.post("/inventory/adjustments", map[string]any{"item_id": part.ID, "location_id": loc.ID, "delta": 10, "reason": "receive"}).ok(http.StatusCreated, nil)
	cust := c.newCustomer("Rush")
	tickets := make([]uint64, 50)
	for i := range tickets {
		tickets[i] = c.newTicket(cust.ID, nil).ID
	}
	body, _ := json.Marshal(map[string]any{"catalog_item_id": part.ID, "quantity": 1})
	statuses := make([]int, len(tickets))
	var wg sync.WaitGroup
	ready := make(chan struct{})
	for i, id := range tickets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-ready
			req, err := http.NewRequest(http.MethodPost, fmt.Sprintf("%s%s/tickets/%d/line_items", ts.HTTP.URL, api.APIPrefix, id), bytes.NewReader(body))
			if err != nil {
				return
			}
			req.Header.Set("Authorization", "Bearer "+c.key)
			req.Header.Set("Content-Type", "application/json")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				return
			}
			res.Body.Close()
			statuses[i] = res.StatusCode
		}()
	}
	close(ready)
	wg.Wait()
	count := map[int]int{}
	for _, s := range statuses {
		count[s]++
	}
	if count[http.StatusCreated] != 10 || count[http.StatusConflict] != 40 {
		t.Fatalf("statuses %v, want 10 × 201 and 40 × 409", count)
	}
	if got := stockOf(t, c, part.ID, loc.ID); got != 0 {
		t.Fatalf("stock %d, want 0", got)
	}
	lines := 0
	for _, id := range tickets {
		lines += c.get(fmt.Sprintf("/tickets/%d/line_items", id)).ok(http.StatusOK, nil).Meta.Total
	}
	if lines != 10 {
		t.Fatalf("%d lines written, want 10", lines)
	}
	if n := eventCount(t, c, "inventory.low_stock"); n != 1 {
		t.Fatalf("%d low_stock events, want 1 (crossing 5 once)", n)
	}
	if n := eventCount(t, c, "inventory.adjusted"); n != 11 {
		t.Fatalf("%d inventory.adjusted, want 11", n)
	}
}
