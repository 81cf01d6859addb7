package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"portal/store"
)

// poShop is a shop ready to order: a location, a supplier, two parts and a
// service in the catalog.
type poShop struct {
	ts                   *testServer
	c                    *client
	loc, other, supplier uint64
	screen, battery, fix store.CatalogItem
}

func newPOShop(t *testing.T) *poShop {
	t.Helper()
	ts, c := newServer(t, internalKey)
	sh := &poShop{ts: ts, c: c}
	var loc, other store.Location
	c.post("/locations", map[string]any{"name": "Main Street"}).ok(http.StatusCreated, &loc)
	c.post("/locations", map[string]any{"name": "High Street"}).ok(http.StatusCreated, &other)
	var sup store.Supplier
	c.post("/suppliers", map[string]any{"name": "Parts Co"}).ok(http.StatusCreated, &sup)
	sh.loc, sh.other, sh.supplier = loc.ID, other.ID, sup.ID
	item := func(in map[string]any) store.CatalogItem {
		var it store.CatalogItem
		c.post("/catalog/items", in).ok(http.StatusCreated, &it)
		return it
	}
	sh.screen = item(map[string]any{"sku": "SCR-IP13", "name": "iPhone 13 screen", "price": 89, "cost": 41.50, "supplier_id": sup.ID})
	sh.battery = item(map[string]any{"sku": "BAT-IP13", "name": "iPhone 13 battery", "price": 49, "cost": 18})
	sh.fix = item(map[string]any{"sku": "LAB-1H", "name": "Labour", "kind": "service", "price": 60})
	return sh
}

// order creates a draft of lines (item, quantity) at the shop's location.
func (sh *poShop) order(lines ...any) store.PurchaseOrder {
	sh.c.t.Helper()
	var body []map[string]any
	for i := 0; i+1 < len(lines); i += 2 {
		body = append(body, map[string]any{"item_id": lines[i].(store.CatalogItem).ID, "quantity": lines[i+1]})
	}
	var po store.PurchaseOrder
	sh.c.post("/purchase_orders", map[string]any{"supplier_id": sh.supplier, "location_id": sh.loc, "lines": body}).
		ok(http.StatusCreated, &po)
	return po
}

func (sh *poShop) path(po store.PurchaseOrder, action string) string {
	if action == "" {
		return fmt.Sprintf("/purchase_orders/%d", po.ID)
	}
	return fmt.Sprintf("/purchase_orders/%d/%s", po.ID, action)
}

// stock is an item's stock at the shop's location (GET /inventory).
func (sh *poShop) stock(t *testing.T, item store.CatalogItem) int64 {
	t.Helper()
	return sh.stockAt(t, item, sh.loc)
}

func (sh *poShop) stockAt(t *testing.T, item store.CatalogItem, loc uint64) int64 {
	t.Helper()
	var levels []store.StockLevel
	sh.c.get(fmt.Sprintf("/inventory?item_id=%d&location_id=%d", item.ID, loc)).ok(http.StatusOK, &levels)
	switch len(levels) {
	case 0:
		return 0
	case 1:
		return levels[0].Quantity
	}
	t.Fatalf("%d stock levels of item %d at %d", len(levels), item.ID, loc)
	return 0
}

// receive sends a delivery of lines (item, quantity).
func (sh *poShop) receive(po store.PurchaseOrder, lines ...any) *response {
	sh.c.t.Helper()
	var body []map[string]any
	for i := 0; i+1 < len(lines); i += 2 {
		body = append(body, map[string]any{"item_id": lines[i].(store.CatalogItem).ID, "quantity": lines[i+1]})
	}
	return sh.c.post(sh.path(po, "receive"), map[string]any{"lines": body})
}

// events lists the log's events matching pattern, oldest first.
func (sh *poShop) events(pattern string) []wireEvent {
	sh.c.t.Helper()
	var list []wireEvent
	sh.c.get("/events?per_page=200&event="+pattern).ok(http.StatusOK, &list)
	slices.Reverse(list)
	return list
}

func poEventNames(list []wireEvent) string {
	var out []string
	for _, e := range list {
		out = append(out, e.Event)
	}
	return strings.Join(out, " ")
}

func TestPurchaseOrderInputIsValidatedFieldByField(t *testing.T) {
	t.Parallel()
	sh := newPOShop(t)
	c := sh.c
	line := func(item uint64, qty any) []map[string]any {
		return []map[string]any{{"item_id": item, "quantity": qty}}
	}
	ok := map[string]any{"supplier_id": sh.supplier, "location_id": sh.loc}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for k, v := range ok {
			m[k] = v
		}
		m[k] = v
		return m
	}
	for _, bad := range []struct {
		body   map[string]any
		fields []string
	}{
		{map[string]any{}, []string{"supplier_id", "location_id"}},
		{with("supplier_id", 999), []string{"supplier_id"}},
		{with("location_id", 999), []string{"location_id"}},
		{with("supplier_id", -1), []string{"supplier_id"}},
		{with("lines", line(0, 1)), []string{"lines[0].item_id"}},
		{with("lines", line(999, 1)), []string{"lines[0].item_id"}},
		{with("lines", line(sh.fix.ID, 1)), []string{"lines[0].item_id"}},
		{with("lines", line(sh.screen.ID, 0)), []string{"lines[0].quantity"}},
		{with("lines", line(sh.screen.ID, -2)), []string{"lines[0].quantity"}},
		{with("lines", line(sh.screen.ID, 1_000_001)), []string{"lines[0].quantity"}},
		{with("lines", line(sh.screen.ID, 1.5)), []string{"lines.quantity"}},
		{with("lines", []map[string]any{{"item_id": sh.screen.ID, "quantity": 1, "unit_cost": -1}}), []string{"lines[0].unit_cost"}},
		{with("lines", []map[string]any{{"item_id": sh.screen.ID, "quantity": 1, "unit_cost": 1.005}}), []string{"lines.unit_cost"}},
		{with("lines", []map[string]any{{"item_id": sh.screen.ID, "quantity": 1}, {"item_id": sh.screen.ID, "quantity": 2}}), []string{"lines[1].item_id"}},
		{with("lines", []map[string]any{{"item_id": sh.screen.ID, "quantity": 1_000_000, "unit_cost": 999_999_999.99}}), []string{"lines[0].quantity"}},
		{with("notes", strings.Repeat("n", 10001)), []string{"notes"}},
		{with("status", "ordered"), []string{"status"}},
		{with("number", "PO-1"), []string{"number"}},
	} {
		c.post("/purchase_orders", bad.body).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", bad.fields...)
	}
	var list []store.PurchaseOrder
	c.get("/purchase_orders").ok(http.StatusOK, &list)
	if len(list) != 0 {
		t.Fatalf("refused requests made purchase orders: %+v", list)
	}

	// A unit cost left out is the catalog item's cost; the totals add up.
	var po store.PurchaseOrder
	c.post("/purchase_orders", with("lines", []map[string]any{
		{"item_id": sh.screen.ID, "quantity": 3},
		{"item_id": sh.battery.ID, "quantity": 10, "unit_cost": 17.25},
	})).ok(http.StatusCreated, &po)
	want := []store.PurchaseOrderLine{
		{ItemID: sh.screen.ID, SKU: "SCR-IP13", Name: "iPhone 13 screen", Quantity: 3, UnitCost: 4150, Total: 12450},
		{ItemID: sh.battery.ID, SKU: "BAT-IP13", Name: "iPhone 13 battery", Quantity: 10, UnitCost: 1725, Total: 17250},
	}
	if po.Number != fmt.Sprintf("PO-%d", 1000+po.ID) || po.Status != store.PurchaseOrderDraft || !slices.Equal(po.Lines, want) ||
		po.Totals != (store.PurchaseOrderTotals{Quantity: 13, Outstanding: 13, Total: 29700}) || po.OrderedAt != nil {
		t.Fatalf("created %+v", po)
	}
	res := c.get(sh.path(po, ""))
	if !strings.Contains(string(res.Body), `"unit_cost":17.25`) || !strings.Contains(string(res.Body), `"total":297.00`) {
		t.Errorf("money is not decimal on the wire: %s", res.Body)
	}
	// A draft may start empty.
	var empty store.PurchaseOrder
	c.post("/purchase_orders", ok).ok(http.StatusCreated, &empty)
	if empty.Lines == nil || len(empty.Lines) != 0 || !strings.Contains(string(c.get(sh.path(empty, "")).Body), `"lines":[]`) {
		t.Errorf("empty draft %+v", empty)
	}
	c.get("/purchase_orders/999").fail(http.StatusNotFound, "NOT_FOUND")
}

// Status moves by PATCH along draft → ordered, draft or ordered →
// cancelled; anything else is a 409 naming where it can go. Supplier,
// location and lines change only in a draft.
func TestPurchaseOrderStatusMovesOnlyAlongTheAllowedTransitions(t *testing.T) {
	t.Parallel()
	sh := newPOShop(t)
	c := sh.c
	var po store.PurchaseOrder
	c.post("/purchase_orders", map[string]any{"supplier_id": sh.supplier, "location_id": sh.loc}).ok(http.StatusCreated, &po)
	path := sh.path(po, "")

	conflictNaming(t, c.patch(path, map[string]any{"status": "ordered"}), "no lines")
	conflictNaming(t, c.patch(path, map[string]any{"status": "received"}), "from draft it can move to ordered or cancelled", "/receive")
	conflictNaming(t, c.patch(path, map[string]any{"status": "partially_received"}), "ordered or cancelled")
	c.patch(path, map[string]any{"status": "shipped"}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "status")
	c.patch(path, map[string]any{"lines": []map[string]any{{"item_id": 999, "quantity": 1}}}).
		fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "lines[0].item_id")
	c.patch(path, map[string]any{"location_id": 999}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "location_id")

	// In a draft, everything changes; lines are replaced whole.
	var edited store.PurchaseOrder
	c.patch(path, map[string]any{"location_id": sh.other, "notes": "Call before delivery",
		"lines": []map[string]any{{"item_id": sh.battery.ID, "quantity": 4}}}).ok(http.StatusOK, &edited)
	if edited.LocationID != sh.other || edited.Notes != "Call before delivery" || len(edited.Lines) != 1 ||
		edited.Totals.Total != 7200 || edited.Status != store.PurchaseOrderDraft {
		t.Fatalf("edited %+v", edited)
	}
	// Lines and ordering in one request: the lines first, then the move.
	var ordered store.PurchaseOrder
	c.patch(path, map[string]any{"status": "ordered", "location_id": sh.loc,
		"lines": []map[string]any{{"item_id": sh.screen.ID, "quantity": 2}}}).ok(http.StatusOK, &ordered)
	if ordered.Status != store.PurchaseOrderOrdered || ordered.OrderedAt == nil || ordered.Lines[0].ItemID != sh.screen.ID {
		t.Fatalf("ordered %+v", ordered)
	}

	// Ordered: the supplier, location and lines are what the supplier was sent.
	var second store.Supplier
	c.post("/suppliers", map[string]any{"name": "Second Source"}).ok(http.StatusCreated, &second)
	for _, patch := range []map[string]any{
		{"lines": []map[string]any{{"item_id": sh.screen.ID, "quantity": 5}}},
		{"location_id": sh.other},
		{"supplier_id": second.ID, "notes": "switch"},
	} {
		conflictNaming(t, c.patch(path, patch), "only while it is a draft", "ordered")
	}
	conflictNaming(t, c.patch(path, map[string]any{"status": "draft"}), "from ordered it can move to cancelled")
	c.patch(path, map[string]any{"notes": "Tracking 1Z999", "supplier_id": sh.supplier}).ok(http.StatusOK, nil) // unchanged supplier: fine
	var same store.PurchaseOrder
	c.patch(path, map[string]any{"status": "ordered"}).ok(http.StatusOK, &same) // no move: nothing happens
	var cancelled store.PurchaseOrder
	c.patch(path, map[string]any{"status": "cancelled"}).ok(http.StatusOK, &cancelled)
	if cancelled.Status != store.PurchaseOrderCancelled || cancelled.CancelledAt == nil || cancelled.Notes != "Tracking 1Z999" {
		t.Fatalf("cancelled %+v", cancelled)
	}
	conflictNaming(t, c.patch(path, map[string]any{"status": "ordered"}), "cancelled is final")
	conflictNaming(t, sh.receive(cancelled, sh.screen, 1), "cancelled")

	// A partly received order is neither cancelled nor closed by hand.
	part := sh.order(sh.screen, 2)
	c.patch(sh.path(part, ""), map[string]any{"status": "ordered"}).ok(http.StatusOK, nil)
	sh.receive(part, sh.screen, 1).ok(http.StatusOK, nil)
	conflictNaming(t, c.patch(sh.path(part, ""), map[string]any{"status": "cancelled"}), "partially_received", "receiving the rest")
	conflictNaming(t, c.patch(sh.path(part, ""), map[string]any{"status": "received"}), "receiving the rest")
	sh.receive(part, sh.screen, 1).ok(http.StatusOK, nil)
	conflictNaming(t, c.patch(sh.path(part, ""), map[string]any{"status": "cancelled"}), "received is final")

	evs := sh.events("purchase_order.*")
	var first []wireEvent
	for _, e := range evs {
		if string(e.Data["purchase_order_id"]) == fmt.Sprint(po.ID) {
			first = append(first, e)
		}
	}
	if got := poEventNames(first); got != "purchase_order.created purchase_order.updated purchase_order.updated purchase_order.status_changed "+
		"purchase_order.updated purchase_order.status_changed" {
		t.Fatalf("events %s", got)
	}
	var moved struct {
		Changes       map[string]map[string]any `json:"changes"`
		PurchaseOrder store.PurchaseOrder       `json:"purchase_order"`
	}
	raw, _ := json.Marshal(first[3].Data)
	if err := json.Unmarshal(raw, &moved); err != nil {
		t.Fatal(err)
	}
	if moved.Changes["status"]["from"] != "draft" || moved.Changes["status"]["to"] != "ordered" || moved.PurchaseOrder.Status != "ordered" ||
		moved.PurchaseOrder.ID != po.ID || len(moved.Changes) != 1 {
		t.Errorf("status_changed data %s", raw)
	}
}

// Receiving adds each line's units to the order's location in one
// transaction and moves the status: partially_received, then received.
func TestReceivingAddsStockAndMovesTheStatus(t *testing.T) {
	t.Parallel()
	sh := newPOShop(t)
	c := sh.c
	po := sh.order(sh.screen, 10, sh.battery, 4)
	conflictNaming(t, sh.receive(po, sh.screen, 1), "draft", "order it")
	if sh.stock(t, sh.screen) != 0 {
		t.Fatal("a draft's receipt added stock")
	}
	c.patch(sh.path(po, ""), map[string]any{"status": "ordered"}).ok(http.StatusOK, nil)

	var part store.PurchaseOrder
	sh.receive(po, sh.screen, 3).ok(http.StatusOK, &part)
	if part.Status != store.PurchaseOrderPartiallyReceived || part.Lines[0].Received != 3 || part.Lines[1].Received != 0 ||
		part.Totals.Received != 3 || part.Totals.Outstanding != 11 || part.Totals.ReceivedTotal != 3*4150 || part.ReceivedAt != nil {
		t.Fatalf("after the first delivery %+v", part)
	}
	if sh.stock(t, sh.screen) != 3 || sh.stock(t, sh.battery) != 0 {
		t.Fatalf("stock %d screens, %d batteries", sh.stock(t, sh.screen), sh.stock(t, sh.battery))
	}
	var full store.PurchaseOrder
	sh.receive(po, sh.battery, 4, sh.screen, 7).ok(http.StatusOK, &full)
	if full.Status != store.PurchaseOrderReceived || full.ReceivedAt == nil || full.Totals.Outstanding != 0 || full.Totals.Received != 14 ||
		full.Totals.ReceivedTotal != full.Totals.Total {
		t.Fatalf("after the second delivery %+v", full)
	}
	if sh.stock(t, sh.screen) != 10 || sh.stock(t, sh.battery) != 4 {
		t.Fatalf("stock %d screens, %d batteries", sh.stock(t, sh.screen), sh.stock(t, sh.battery))
	}
	conflictNaming(t, sh.receive(po, sh.screen, 1), "already received in full")
	if n := sh.stockAt(t, sh.screen, sh.other); n != 0 {
		t.Errorf("%d screens arrived at another location", n)
	}

	// Every unit is in the adjustment history, with its cause.
	var adjustments []store.Adjustment
	c.get(fmt.Sprintf("/inventory/adjustments?location_id=%d", sh.loc)).ok(http.StatusOK, &adjustments)
	var got []string
	for _, a := range adjustments {
		got = append(got, fmt.Sprintf("%d %+d %s %s", a.ItemID, a.Delta, a.Reason, a.Ref))
	}
	ref := fmt.Sprintf("receive purchase_order:%d", po.ID)
	slices.Sort(got)
	want := []string{
		fmt.Sprintf("%d +3 %s", sh.screen.ID, ref), fmt.Sprintf("%d +4 %s", sh.battery.ID, ref), fmt.Sprintf("%d +7 %s", sh.screen.ID, ref),
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("adjustments %q, want %q", got, want)
	}

	// The log: each delivery's stock, then the receipt with its lines, then the move.
	evs := sh.events("*")
	var names []string
	for _, e := range evs {
		if strings.HasPrefix(e.Event, "purchase_order.") || strings.HasPrefix(e.Event, "inventory.") {
			names = append(names, e.Event)
		}
	}
	if got := strings.Join(names, " "); got != "purchase_order.created purchase_order.status_changed "+
		"inventory.adjusted purchase_order.received purchase_order.status_changed "+
		"inventory.adjusted inventory.adjusted purchase_order.received purchase_order.status_changed" {
		t.Fatalf("events %s", got)
	}
	var received []wireEvent
	for _, e := range evs {
		if e.Event == "purchase_order.received" {
			received = append(received, e)
		}
	}
	wantLines := fmt.Sprintf(`[{"item_id":%d,"quantity":4},{"item_id":%d,"quantity":7}]`, sh.battery.ID, sh.screen.ID)
	if string(received[1].Data["lines"]) != wantLines || !strings.Contains(string(received[1].Data["purchase_order"]), `"status":"received"`) ||
		string(received[1].Data["purchase_order_id"]) != fmt.Sprint(po.ID) {
		t.Errorf("purchase_order.received data %s", received[1].Data)
	}
}

// More than is outstanding on any line is a 409 naming it, and nothing of
// the delivery is written: not the other lines' stock, not the order, no
// event.
func TestOverReceivingIsRefusedAndWritesNothing(t *testing.T) {
	t.Parallel()
	sh := newPOShop(t)
	c := sh.c
	po := sh.order(sh.screen, 10, sh.battery, 4)
	c.patch(sh.path(po, ""), map[string]any{"status": "ordered"}).ok(http.StatusOK, nil)
	sh.receive(po, sh.battery, 1).ok(http.StatusOK, nil)
	var before store.PurchaseOrder
	c.get(sh.path(po, "")).ok(http.StatusOK, &before)
	eventsBefore := len(sh.events("*"))

	conflictNaming(t, sh.receive(po, sh.screen, 5, sh.battery, 4), "BAT-IP13", "3 outstanding", "4 given")
	conflictNaming(t, sh.receive(po, sh.screen, 11), "SCR-IP13", "10 outstanding")
	for _, bad := range []struct {
		body  any
		field string
	}{
		{map[string]any{"lines": []map[string]any{}}, "lines"},
		{map[string]any{}, "lines"},
		{map[string]any{"lines": []map[string]any{{"item_id": sh.fix.ID, "quantity": 1}}}, "lines[0].item_id"},
		{map[string]any{"lines": []map[string]any{{"item_id": sh.screen.ID, "quantity": 0}}}, "lines[0].quantity"},
		{map[string]any{"lines": []map[string]any{{"item_id": sh.screen.ID, "quantity": -1}}}, "lines[0].quantity"},
		{map[string]any{"lines": []map[string]any{{"item_id": sh.screen.ID, "quantity": 1}, {"item_id": sh.screen.ID, "quantity": 1}}}, "lines[1].item_id"},
		{map[string]any{"lines": []map[string]any{{"item_id": sh.screen.ID}}, "status": "received"}, "status"},
	} {
		c.post(sh.path(po, "receive"), bad.body).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", bad.field)
	}
	c.post("/purchase_orders/999/receive", map[string]any{"lines": []map[string]any{{"item_id": sh.screen.ID, "quantity": 1}}}).
		fail(http.StatusNotFound, "NOT_FOUND")

	var after store.PurchaseOrder
	c.get(sh.path(po, "")).ok(http.StatusOK, &after)
	if !slices.Equal(after.Lines, before.Lines) || after.Status != before.Status || !after.UpdatedAt.Equal(before.UpdatedAt) {
		t.Errorf("a refused receipt changed the order: %+v, was %+v", after, before)
	}
	if sh.stock(t, sh.screen) != 0 || sh.stock(t, sh.battery) != 1 {
		t.Errorf("a refused receipt changed stock: %d screens, %d batteries", sh.stock(t, sh.screen), sh.stock(t, sh.battery))
	}
	if n := len(sh.events("*")); n != eventsBefore {
		t.Errorf("refused receipts logged %d events", n-eventsBefore)
	}

	// A line the stock itself refuses, after another line's stock was
	// added in the same transaction: that addition is undone too.
	c.post("/inventory/adjustments", map[string]any{"item_id": sh.battery.ID, "location_id": sh.loc, "delta": 999_999_998, "reason": "count"}).
		ok(http.StatusCreated, nil)
	eventsBefore = len(sh.events("*"))
	sh.receive(po, sh.screen, 2, sh.battery, 3).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "lines[1].quantity")
	if sh.stock(t, sh.screen) != 0 || sh.stock(t, sh.battery) != 999_999_999 {
		t.Errorf("a half-refused receipt changed stock: %d screens, %d batteries", sh.stock(t, sh.screen), sh.stock(t, sh.battery))
	}
	c.get(sh.path(po, "")).ok(http.StatusOK, &after)
	if !slices.Equal(after.Lines, before.Lines) {
		t.Errorf("a half-refused receipt changed the order: %+v", after.Lines)
	}
	if n := len(sh.events("*")); n != eventsBefore {
		t.Errorf("a half-refused receipt logged %d events", n-eventsBefore)
	}
}

// Twenty clerks scan one unit each of a line of ten at once: exactly ten
// receipts land, the rest are 409s, and stock rises by exactly ten. The
// order keeps a line outstanding, so what refuses the eleventh unit is the
// line's count, not the order's status.
func TestConcurrentReceivesNeverAddMoreThanOrdered(t *testing.T) {
	t.Parallel()
	sh := newPOShop(t)
	po := sh.order(sh.screen, 10, sh.battery, 5)
	sh.c.patch(sh.path(po, ""), map[string]any{"status": "ordered"}).ok(http.StatusOK, nil)

	const clerks = 20
	statuses := make([]int, clerks)
	var wg sync.WaitGroup
	startLine := make(chan struct{})
	for i := range clerks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-startLine
			statuses[i] = sh.receive(po, sh.screen, 1).Status
		}()
	}
	close(startLine)
	wg.Wait()
	counts := map[int]int{}
	for _, s := range statuses {
		counts[s]++
	}
	if counts[http.StatusOK] != 10 || counts[http.StatusConflict] != 10 || len(counts) != 2 {
		t.Fatalf("statuses %v, want 10 × 200 and 10 × 409", counts)
	}
	if got := sh.stock(t, sh.screen); got != 10 {
		t.Fatalf("stock %d, want exactly 10", got)
	}
	var after store.PurchaseOrder
	sh.c.get(sh.path(po, "")).ok(http.StatusOK, &after)
	if after.Status != store.PurchaseOrderPartiallyReceived || after.Lines[0].Received != 10 || after.Totals.Outstanding != 5 {
		t.Fatalf("order %+v", after)
	}
	if n := len(sh.events("purchase_order.received")); n != 10 {
		t.Errorf("%d purchase_order.received events, want 10", n)
	}
	if n := len(sh.events("inventory.adjusted")); n != 10 {
		t.Errorf("%d inventory.adjusted events, want 10", n)
	}
}

func TestPurchaseOrdersAreFilteredByStatusSupplierAndLocation(t *testing.T) {
	t.Parallel()
	sh := newPOShop(t)
	c := sh.c
	var other store.Supplier
	c.post("/suppliers", map[string]any{"name": "Other Parts"}).ok(http.StatusCreated, &other)
	a := sh.order(sh.screen, 1)
	b := sh.order(sh.battery, 2)
	var far store.PurchaseOrder
	c.post("/purchase_orders", map[string]any{"supplier_id": other.ID, "location_id": sh.other,
		"lines": []map[string]any{{"item_id": sh.screen.ID, "quantity": 1}}}).ok(http.StatusCreated, &far)
	c.patch(sh.path(b, ""), map[string]any{"status": "ordered"}).ok(http.StatusOK, nil)
	c.patch(sh.path(far, ""), map[string]any{"status": "cancelled"}).ok(http.StatusOK, nil)

	idsOf := func(path string) []uint64 {
		t.Helper()
		var list []store.PurchaseOrder
		env := c.get(path).ok(http.StatusOK, &list)
		var out []uint64
		for _, po := range list {
			out = append(out, po.ID)
		}
		if env.Meta == nil || env.Meta.Total != len(out) {
			t.Errorf("%s: meta %+v for %d", path, env.Meta, len(out))
		}
		return out
	}
	for path, want := range map[string][]uint64{
		"/purchase_orders":                                                           {far.ID, b.ID, a.ID},
		"/purchase_orders?status=draft":                                              {a.ID},
		"/purchase_orders?status=ordered":                                            {b.ID},
		"/purchase_orders?status=cancelled":                                          {far.ID},
		"/purchase_orders?status=received":                                           nil,
		"/purchase_orders?sort=id&order=asc":                                         {a.ID, b.ID, far.ID},
		"/purchase_orders?sort=updated_at":                                           {far.ID, b.ID, a.ID},
		fmt.Sprintf("/purchase_orders?supplier_id=%d", sh.supplier):                  {b.ID, a.ID},
		fmt.Sprintf("/purchase_orders?location_id=%d", sh.other):                     {far.ID},
		fmt.Sprintf("/purchase_orders?location_id=%d&status=ordered", sh.loc):        {b.ID},
		fmt.Sprintf("/purchase_orders?supplier_id=%d&status=cancelled", sh.supplier): nil,
	} {
		if got := idsOf(path); !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", path, got, want)
		}
	}
	c.get("/purchase_orders?status=open").fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "status")
	c.get("/purchase_orders?supplier_id=x").fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "supplier_id")
	c.get("/purchase_orders?q=screen").fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "q")
}
