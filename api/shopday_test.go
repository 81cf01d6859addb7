package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// The proof, end to end through the HTTP API: a shop's day. A
// customer drops a phone, a ticket takes a part from stock, the customer
// pays, gets part of it back, the ticket is closed, a purchase order
// restocks the part, and a phone bought from a customer is sold. The event
// log then holds exactly the day's events, in order, each naming its record.
func TestAShopsDay(t *testing.T) {
	t.Parallel()
	ts, c := newServer(t, internalKey)
	id := func(raw []byte, key string) uint64 {
		t.Helper()
		var v map[string]json.RawMessage
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatal(err)
		}
		var n uint64
		if err := json.Unmarshal(v[key], &n); err != nil {
			t.Fatalf("no %s in %s", key, raw)
		}
		return n
	}
	data := func(res *response, status int) []byte {
		t.Helper()
		env := res.ok(status, nil)
		return env.Data
	}

	// Before opening: the shop, a supplier, the screen it stocks (2 on the shelf, reorder at 1).
	c.patch("/store", map[string]any{"tax_rate": 0}).ok(http.StatusOK, nil)
	shop := id(data(c.post("/locations", map[string]any{"name": "Main Street", "timezone": "Europe/London"}), http.StatusCreated), "id")
	supplier := id(data(c.post("/suppliers", map[string]any{"name": "Parts Co"}), http.StatusCreated), "id")
	screen := id(data(c.post("/catalog/items", map[string]any{"sku": "SCR-IP13", "name": "iPhone 13 screen", "kind": "part",
		"price": 89, "cost": 41.5, "reorder_level": 1, "supplier_id": supplier}), http.StatusCreated), "id")
	c.post("/inventory/adjustments", map[string]any{"item_id": screen, "location_id": shop, "delta": 2, "reason": "count"}).ok(http.StatusCreated, nil)
	var last []wireEvent
	c.get("/events?per_page=1").ok(http.StatusOK, &last)
	opening := last[0].EventID
	ts.Clock.Advance(time.Hour)

	// 09:00 Ada drops her cracked iPhone.
	ada := id(data(c.post("/customers", map[string]any{"name": "Ada Lovelace", "email": "ada@example.com", "phone": "+44 20 7946 0018"}), http.StatusCreated), "id")
	tk := id(data(c.post("/tickets", map[string]any{"customer_id": ada, "location_id": shop, "issue": "Cracked screen",
		"device": map[string]any{"brand": "Apple", "model": "iPhone 13", "imei": "356938035643809"}}), http.StatusCreated), "id")
	// The screen comes off the shelf (2 → 1: at the reorder level, low).
	line := data(c.post(fmt.Sprintf("/tickets/%d/line_items", tk), map[string]any{"catalog_item_id": screen, "quantity": 1}), http.StatusCreated)
	var lr struct {
		Ticket ticket `json:"ticket"`
	}
	json.Unmarshal(line, &lr)
	if lr.Ticket.Totals.Total != "89.00" {
		t.Fatalf("ticket total %s, want the screen's 89.00", lr.Ticket.Totals.Total)
	}
	// She pays by card, then gets 10.00 back for a scratch the fitter made.
	pay := data(c.post(fmt.Sprintf("/tickets/%d/payments", tk), map[string]any{"amount": 89, "method": "card"}), http.StatusCreated)
	var pr paymentAnswer
	json.Unmarshal(pay, &pr)
	c.post(fmt.Sprintf("/tickets/%d/payments/%d/refund", tk, pr.Payment.ID), map[string]any{"amount": 10, "reason": "Scratched bezel"}).ok(http.StatusOK, &pr)
	if pr.Ticket.Totals.Paid != "79.00" || pr.Ticket.Totals.Balance != "10.00" {
		t.Fatalf("after the refund: %+v", pr.Ticket.Totals)
	}
	// The 10.00 stays as goodwill: the line's price comes down, the ticket is closed square.
	var items []struct {
		ID uint64 `json:"id"`
	}
	c.get(fmt.Sprintf("/tickets/%d/line_items", tk)).ok(http.StatusOK, &items)
	c.patch(fmt.Sprintf("/tickets/%d/line_items/%d", tk, items[0].ID), map[string]any{"unit_price": 79}).ok(http.StatusOK, nil)
	var closed ticket
	c.patch(fmt.Sprintf("/tickets/%d", tk), map[string]any{"status": "Closed"}).ok(http.StatusOK, &closed)
	if closed.Totals.Balance != "0.00" || closed.ClosedAt == nil {
		t.Fatalf("closed ticket %+v", closed)
	}

	// 12:00 Restock: two screens ordered and received.
	po := id(data(c.post("/purchase_orders", map[string]any{"supplier_id": supplier, "location_id": shop,
		"lines": []map[string]any{{"item_id": screen, "quantity": 2, "unit_cost": 41.5}}}), http.StatusCreated), "id")
	c.patch(fmt.Sprintf("/purchase_orders/%d", po), map[string]any{"status": "ordered"}).ok(http.StatusOK, nil)
	c.post(fmt.Sprintf("/purchase_orders/%d/receive", po), map[string]any{"lines": []map[string]any{{"item_id": screen, "quantity": 2}}}).ok(http.StatusOK, nil)
	var stock []struct {
		Quantity int64 `json:"quantity"`
		LowStock bool  `json:"low_stock"`
	}
	c.get(fmt.Sprintf("/inventory?item_id=%d&location_id=%d", screen, shop)).ok(http.StatusOK, &stock)
	if len(stock) != 1 || stock[0].Quantity != 3 || stock[0].LowStock {
		t.Fatalf("stock after the restock %+v, want 3 and not low", stock)
	}

	// 15:00 Grace sells the shop her old Pixel; it is tested, listed and sold to Ada.
	grace := id(data(c.post("/customers", map[string]any{"name": "Grace Hopper"}), http.StatusCreated), "id")
	dev := id(data(c.post("/devices", map[string]any{"brand": "Google", "model": "Pixel 7", "imei": "490154203237518", "grade": "A",
		"purchase_price": 120, "seller_customer_id": grace, "location_id": shop}), http.StatusCreated), "id")
	for _, st := range []string{"testing", "listed"} {
		c.post(fmt.Sprintf("/devices/%d/status", dev), map[string]any{"status": st}).ok(http.StatusOK, nil)
	}
	c.post(fmt.Sprintf("/devices/%d/status", dev), map[string]any{"status": "sold", "sale_price": 249, "buyer_customer_id": ada}).ok(http.StatusOK, nil)

	// The day's log, oldest first: exactly these events, each naming its record.
	var evs []wireEvent
	c.get("/events?since="+opening+"&per_page=200").ok(http.StatusOK, &evs)
	type named struct {
		event, key string
		id         uint64
	}
	want := []named{
		{"customer.created", "customer_id", ada},
		{"ticket.created", "ticket_id", tk},
		{"inventory.adjusted", "item_id", screen},  // the screen leaves the shelf with its line…
		{"inventory.low_stock", "item_id", screen}, // …and 1 left is the reorder level
		{"ticket.line_item_added", "ticket_id", tk},
		{"payment.received", "payment_id", pr.Payment.ID},
		{"payment.refunded", "payment_id", pr.Payment.ID},
		{"payment.status_changed", "payment_id", pr.Payment.ID}, // completed → partially_refunded
		{"ticket.updated", "ticket_id", tk},                     // the line's goodwill price
		{"ticket.updated", "ticket_id", tk},                     // closing: the patch…
		{"ticket.status_changed", "ticket_id", tk},              // …its status…
		{"ticket.closed", "ticket_id", tk},                      // …and the close
		{"purchase_order.created", "purchase_order_id", po},
		{"purchase_order.status_changed", "purchase_order_id", po}, // draft → ordered
		{"inventory.adjusted", "item_id", screen},                  // two screens in
		{"purchase_order.received", "purchase_order_id", po},
		{"purchase_order.status_changed", "purchase_order_id", po}, // ordered → received
		{"customer.created", "customer_id", grace},
		{"device.received", "device_id", dev},
		{"device.status_changed", "device_id", dev}, // acquired → testing
		{"device.status_changed", "device_id", dev}, // testing → listed
		{"device.status_changed", "device_id", dev}, // listed → sold
		{"device.sold", "device_id", dev},
	}
	var got []named
	for _, e := range evs {
		n := named{event: e.Event}
		for _, w := range want {
			if w.event == e.Event {
				n.key = w.key
				json.Unmarshal(e.Data[w.key], &n.id)
			}
		}
		got = append(got, n)
		if e.Actor.Type != "key" {
			t.Errorf("%s: actor %+v, want the key", e.Event, e.Actor)
		}
	}
	if !slices.Equal(got, want) {
		var g, w []string
		for _, n := range got {
			g = append(g, fmt.Sprintf("%s(%s=%d)", n.event, n.key, n.id))
		}
		for _, n := range want {
			w = append(w, fmt.Sprintf("%s(%s=%d)", n.event, n.key, n.id))
		}
		t.Errorf("the day's events:\n got %s\nwant %s", strings.Join(g, " "), strings.Join(w, " "))
	}
	// The statuses the log says, in order.
	changes := map[string][]string{}
	for _, e := range evs {
		var ch struct {
			Status struct{ From, To string } `json:"status"`
		}
		if json.Unmarshal(e.Data["changes"], &ch) == nil && ch.Status.To != "" && strings.HasSuffix(e.Event, "status_changed") {
			changes[e.Event] = append(changes[e.Event], ch.Status.From+"→"+ch.Status.To)
		}
	}
	for ev, w := range map[string][]string{
		"payment.status_changed":        {"completed→partially_refunded"},
		"ticket.status_changed":         {"New→Closed"},
		"purchase_order.status_changed": {"draft→ordered", "ordered→received"},
		"device.status_changed":         {"acquired→testing", "testing→listed", "listed→sold"},
	} {
		if !slices.Equal(changes[ev], w) {
			t.Errorf("%s moves %v, want %v", ev, changes[ev], w)
		}
	}
}
