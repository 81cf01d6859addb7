package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"portal/hooks"
	"portal/store"
)

// A Portal.io subscriber to OrderStatusChange gets each purchase order
// status change, in the portalio format around the order, signed with its
// secretKey; the order's other events (created, received, updated) are not
// OrderStatusChange and are not sent.
func TestPortalioSubscriptionReceivesOrderStatusChange(t *testing.T) {
	t.Parallel()
	ts, c := newHookServer(t, internalKey)
	rcv := newReceiver(t, http.StatusOK, `{"received":true}`)

	// Purchase orders are what the subscription carries: it needs their read scope.
	weak := newMSSCreds(ts, "webhooks.read", "webhooks.write")
	if msg := ts.pio(weak, http.MethodPost, "/public/webhook/subscribe", "application/json",
		`{"url":"`+rcv.URL+`","events":["OrderStatusChange"]}`).pioFail(http.StatusForbidden); !strings.Contains(msg, "purchase_orders.read") {
		t.Errorf("refusal %q does not name purchase_orders.read", msg)
	}
	cr := newMSSCreds(ts, "webhooks.read", "webhooks.write", "purchase_orders.read")
	var s subscription
	ts.pio(cr, http.MethodPost, "/public/webhook/subscribe", "application/json",
		`{"url":"`+rcv.URL+`","events":["OrderStatusChange"],"description":"ERP"}`).plain(http.StatusOK, &s)

	var loc store.Location
	c.post("/locations", map[string]any{"name": "Main Street"}).ok(http.StatusCreated, &loc)
	var sup store.Supplier
	c.post("/suppliers", map[string]any{"name": "Parts Co"}).ok(http.StatusCreated, &sup)
	var item store.CatalogItem
	c.post("/catalog/items", map[string]any{"sku": "SCR-1", "name": "Screen", "cost": 40}).ok(http.StatusCreated, &item)
	var po store.PurchaseOrder
	c.post("/purchase_orders", map[string]any{"supplier_id": sup.ID, "location_id": loc.ID,
		"lines": []map[string]any{{"item_id": item.ID, "quantity": 2}}}).ok(http.StatusCreated, &po)
	c.patch(fmt.Sprintf("/purchase_orders/%d", po.ID), map[string]any{"notes": "Urgent"}).ok(http.StatusOK, nil)

	ordered := c.patch(fmt.Sprintf("/purchase_orders/%d", po.ID), map[string]any{"status": "ordered"})
	ordered.ok(http.StatusOK, nil)
	first := rcv.next(t)
	checkPortalioDelivery(t, ts, s.SecretKey, first, "OrderStatusChange", ordered.envelope().Data)

	received := c.post(fmt.Sprintf("/purchase_orders/%d/receive", po.ID), map[string]any{"lines": []map[string]any{{"item_id": item.ID, "quantity": 2}}})
	received.ok(http.StatusOK, nil)
	second := rcv.next(t)
	checkPortalioDelivery(t, ts, s.SecretKey, second, "OrderStatusChange", received.envelope().Data)
	if pioID(t, first.Body) == pioID(t, second.Body) {
		t.Fatal("two events with one id")
	}

	var list []delivery
	waitFor(t, ts.Live, "both deliveries to be recorded", func() bool {
		c.get(fmt.Sprintf("/webhooks/%d/deliveries", s.SubscriptionID)).ok(http.StatusOK, &list)
		return len(list) == 2 && list[0].Status == store.DeliveryDelivered && list[1].Status == store.DeliveryDelivered
	})
	if list[0].Event != "purchase_order.status_changed" || list[1].Event != "purchase_order.status_changed" {
		t.Fatalf("deliveries %+v", list)
	}
	rcv.idle(t)
}

// checkPortalioDelivery verifies a portalio request and checks its body:
// {"id", "type": typ, "created", "data": the record as the API answered it}.
func checkPortalioDelivery(t *testing.T, ts *testServer, secret string, h hit, typ string, record json.RawMessage) {
	t.Helper()
	if err := hooks.VerifyPortalio(secret, h.Header, h.Body, 0, ts.Clock.Now()); err != nil {
		t.Fatalf("VerifyPortalio: %v\n%v\n%s", err, h.Header, h.Body)
	}
	if got := objectKeys(t, h.Body); !slices.Equal(got, []string{"id", "type", "created", "data"}) {
		t.Fatalf("body keys %v, want id, type, created, data", got)
	}
	var body struct {
		ID   string         `json:"id"`
		Type string         `json:"type"`
		Data map[string]any `json:"data"`
	}
	if err := json.Unmarshal(h.Body, &body); err != nil {
		t.Fatal(err)
	}
	var want map[string]any
	if err := json.Unmarshal(record, &want); err != nil {
		t.Fatal(err)
	}
	if body.Type != typ || !strings.HasPrefix(body.ID, "evt_") || !reflect.DeepEqual(body.Data, want) {
		t.Fatalf("body %s\nwant a %s carrying %s", h.Body, typ, record)
	}
}

// "Send test" and `portal trigger` show suppliers and purchase orders as
// real events carry them: the same fields, in the same order.
func TestSampleEventsOfPurchaseOrdersHaveTheRealShape(t *testing.T) {
	t.Parallel()
	sh := newPOShop(t)
	po := sh.order(sh.screen, 2)
	sh.c.patch(sh.path(po, ""), map[string]any{"status": "ordered"}).ok(http.StatusOK, nil)
	for _, name := range []string{"supplier.created", "purchase_order.created", "purchase_order.status_changed"} {
		var events []struct {
			Data json.RawMessage `json:"data"`
		}
		sh.c.get("/events?event="+name).ok(http.StatusOK, &events)
		if len(events) != 1 {
			t.Fatalf("%d %s events", len(events), name)
		}
		resource, _, _ := strings.Cut(name, ".")
		real, sample := events[0].Data, hooks.SampleData(name)
		if !strings.HasSuffix(name, "status_changed") { // a sample has no changes to show
			if got, want := strings.Join(objectKeys(t, sample), ","), strings.Join(objectKeys(t, real), ","); got != want {
				t.Errorf("%s sample data has %s, real events %s", name, got, want)
			}
		}
		got := strings.Join(objectKeys(t, mustField(t, sample, resource)), ",")
		if want := strings.Join(objectKeys(t, mustField(t, real, resource)), ","); got != want {
			t.Errorf("%s sample %s has %s, real events %s", name, resource, got, want)
		}
	}
}
