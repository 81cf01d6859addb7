package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"portal/internal/stripesig"
)

const (
	liveSecret = "whsec_live_0123456789abcdef"
	testSecret = "whsec_test_fedcba9876543210"
)

// stripeBody is a Stripe event paying amount (minor units) towards ticket.
func stripeBody(id, typ string, live bool, object map[string]any) []byte {
	raw, _ := json.Marshal(map[string]any{"id": id, "object": "event", "type": typ, "livemode": live,
		"data": map[string]any{"object": object}})
	return raw
}

func intent(id string, amount int64, ticket uint64) map[string]any {
	return map[string]any{"id": id, "object": "payment_intent", "amount_received": amount, "currency": "usd",
		"metadata": map[string]any{"ticket_id": fmt.Sprint(ticket)}}
}

// deliver posts body to /inbound/stripe signed with secret at the server's now.
func deliver(ts *testServer, secret string, body []byte) *response {
	ts.t.Helper()
	sig := stripesig.Sign(secret, body, ts.Clock.Now())
	return ts.anonymous().call(http.MethodPost, "/inbound/stripe", body, "Stripe-Signature", sig)
}

type paymentRow struct {
	ID        uint64      `json:"id"`
	Amount    json.Number `json:"amount"`
	Method    string      `json:"method"`
	Reference string      `json:"reference"`
}

func paymentsOf(c *client, ticketID uint64) []paymentRow {
	c.t.Helper()
	var out []paymentRow
	c.get(fmt.Sprintf("/tickets/%d/payments", ticketID)).ok(http.StatusOK, &out)
	return out
}

// billedTicket is a ticket of 100.00 with no tax.
func billedTicket(c *client) ticket {
	c.t.Helper()
	cu := c.newCustomer("Ada Lovelace")
	tk := c.newTicket(cu.ID, nil)
	c.post(fmt.Sprintf("/tickets/%d/line_items", tk.ID), map[string]any{"kind": "service", "description": "Screen", "quantity": 1,
		"unit_price": 100, "taxable": false}).ok(http.StatusCreated, nil)
	return tk
}

func TestPaymentSettingsSealTheSecretAndValidateTheTemplate(t *testing.T) {
	t.Parallel()
	ts, c := newServer(t, internalKey)
	var got map[string]any
	c.patch("/store/payments", map[string]any{"stripe_webhook_secret": liveSecret,
		"payment_link_template": "https://pay.example.com/shop?ticket={ticket_id}&amount={balance}&cur={currency}"}).ok(http.StatusOK, &got)
	if got["stripe_webhook_secret_set"] != true || got["stripe_webhook_secret"] != nil {
		t.Fatalf("answer %v", got)
	}
	if body := c.get("/store/payments").Body; bytes.Contains(body, []byte(liveSecret)) || !bytes.Contains(body, []byte(`"stripe_webhook_secret_set":true`)) {
		t.Fatalf("GET shows %s", body)
	}
	// A link naming only the number would have the payment come back naming a
	// ticket id equal to that number: another ticket.
	for _, bad := range []string{"http://pay.example.com/?t={ticket_id}", "https://pay.example.com/?t={ticket}", "https://pay.example.com/fixed", "{ticket_id}",
		"https://pay.example.com/?n={ticket_number}"} {
		c.patch("/store/payments", map[string]any{"payment_link_template": bad}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "payment_link_template")
	}
	c.patch("/store/payments", map[string]any{"stripe_webhook_secret": "short"}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "stripe_webhook_secret")
	// The event names the change, never the secret; the database file never holds it.
	if body := c.get("/events?event=store.updated").Body; bytes.Contains(body, []byte(liveSecret)) || !bytes.Contains(body, []byte("stripe_webhook_secret_set")) {
		t.Errorf("store.updated: %s", body)
	}
	// "" removes the secret: every delivery is refused from then on.
	c.patch("/store/payments", map[string]any{"stripe_webhook_secret": ""}).ok(http.StatusOK, &got)
	if got["stripe_webhook_secret_set"] != false {
		t.Errorf("after removing: %v", got)
	}
	tk := billedTicket(c)
	deliver(ts, liveSecret, stripeBody("evt_x", "payment_intent.succeeded", true, intent("pi_x", 100, tk.ID))).fail(http.StatusBadRequest, "BAD_SIGNATURE")
	raw, err := os.ReadFile(ts.Live.Path())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(liveSecret)) {
		t.Error("live.db holds the webhook secret in the clear")
	}
}

func TestStripeWebhookRecordsOnePaymentPerEvent(t *testing.T) {
	t.Parallel()
	ts, c := newServer(t, internalKey)
	c.patch("/store/payments", map[string]any{"stripe_webhook_secret": liveSecret}).ok(http.StatusOK, nil)
	tk := billedTicket(c)

	body := stripeBody("evt_1", "payment_intent.succeeded", true, intent("pi_1", 2000, tk.ID))
	var res map[string]any
	deliver(ts, liveSecret, body).ok(http.StatusOK, &res)
	if res["recorded"] != true {
		t.Fatalf("first delivery: %v", res)
	}
	// A replay, and Stripe's retry (signed anew later), add nothing.
	deliver(ts, liveSecret, body).ok(http.StatusOK, &res)
	ts.Clock.Advance(time.Minute)
	deliver(ts, liveSecret, body).ok(http.StatusOK, &res)
	if res["recorded"] != false || res["duplicate"] != true {
		t.Errorf("replay: %v", res)
	}
	pays := paymentsOf(c, tk.ID)
	if len(pays) != 1 || pays[0].Amount != "20.00" || pays[0].Method != "card" || pays[0].Reference != "pi_1" {
		t.Fatalf("payments %+v", pays)
	}
	var events []wireEvent
	c.get("/events?event=payment.received").ok(http.StatusOK, &events)
	if len(events) != 1 || events[0].Actor.Name != "Stripe" || events[0].Actor.Type != "system" {
		t.Errorf("payment.received events %+v", events)
	}

	// Refused with nothing written: a tampered body, an old timestamp, a
	// signature with another secret, no signature.
	tampered := bytes.Replace(stripeBody("evt_2", "payment_intent.succeeded", true, intent("pi_2", 1000, tk.ID)), []byte("1000"), []byte("9000"), 1)
	sig := stripesig.Sign(liveSecret, stripeBody("evt_2", "payment_intent.succeeded", true, intent("pi_2", 1000, tk.ID)), ts.Clock.Now())
	ts.anonymous().call(http.MethodPost, "/inbound/stripe", tampered, "Stripe-Signature", sig).fail(http.StatusBadRequest, "BAD_SIGNATURE")
	old := stripeBody("evt_3", "payment_intent.succeeded", true, intent("pi_3", 1000, tk.ID))
	oldSig := stripesig.Sign(liveSecret, old, ts.Clock.Now().Add(-6*time.Minute))
	ts.anonymous().call(http.MethodPost, "/inbound/stripe", old, "Stripe-Signature", oldSig).fail(http.StatusBadRequest, "BAD_SIGNATURE")
	deliver(ts, testSecret, old).fail(http.StatusBadRequest, "BAD_SIGNATURE")
	ts.anonymous().call(http.MethodPost, "/inbound/stripe", old).fail(http.StatusBadRequest, "BAD_SIGNATURE")
	if n := len(paymentsOf(c, tk.ID)); n != 1 {
		t.Fatalf("refused deliveries wrote payments: %d", n)
	}

	// Answered 200 and nothing written: a type we do not use, a ticket that
	// does not exist, another currency.
	deliver(ts, liveSecret, stripeBody("evt_4", "customer.created", true, map[string]any{"id": "cus_1"})).ok(http.StatusOK, &res)
	deliver(ts, liveSecret, stripeBody("evt_5", "payment_intent.succeeded", true, intent("pi_5", 1000, 999))).ok(http.StatusOK, &res)
	if res["recorded"] != false || res["ignored"] == nil {
		t.Errorf("unknown ticket: %v", res)
	}
	eur := intent("pi_6", 1000, tk.ID)
	eur["currency"] = "eur"
	deliver(ts, liveSecret, stripeBody("evt_6", "payment_intent.succeeded", true, eur)).ok(http.StatusOK, &res)
	// More than the balance (80.00 left): 409 so Stripe retries, nothing written.
	deliver(ts, liveSecret, stripeBody("evt_7", "payment_intent.succeeded", true, intent("pi_7", 9000, tk.ID))).fail(http.StatusConflict, "CONFLICT")
	if n := len(paymentsOf(c, tk.ID)); n != 1 {
		t.Fatalf("ignored deliveries wrote payments: %d", n)
	}

	// A checkout session and its payment intent are the same money: one payment.
	session := map[string]any{"id": "cs_8", "object": "checkout.session", "amount_total": 3000, "currency": "usd",
		"payment_status": "paid", "payment_intent": "pi_8", "metadata": map[string]any{"ticket_id": fmt.Sprint(tk.ID)}}
	deliver(ts, liveSecret, stripeBody("evt_8", "checkout.session.completed", true, session)).ok(http.StatusOK, &res)
	deliver(ts, liveSecret, stripeBody("evt_9", "payment_intent.succeeded", true, intent("pi_8", 3000, tk.ID))).ok(http.StatusOK, &res)
	pays = paymentsOf(c, tk.ID)
	if len(pays) != 2 || pays[1].Reference != "cs_8" || pays[1].Amount != "30.00" {
		t.Fatalf("after the session: %+v", pays)
	}
	// A Stripe Payment Link names the ticket in client_reference_id.
	link := map[string]any{"id": "cs_10", "object": "checkout.session", "amount_total": 500, "currency": "usd",
		"payment_status": "paid", "payment_intent": map[string]any{"id": "pi_10"}, "client_reference_id": fmt.Sprint(tk.ID), "metadata": map[string]any{}}
	deliver(ts, liveSecret, stripeBody("evt_10", "checkout.session.completed", true, link)).ok(http.StatusOK, &res)
	if res["recorded"] != true {
		t.Fatalf("client_reference_id: %v", res)
	}
	// An unpaid session (a bank debit still pending) records nothing yet.
	link["id"], link["payment_status"] = "cs_11", "unpaid"
	deliver(ts, liveSecret, stripeBody("evt_11", "checkout.session.completed", true, link)).ok(http.StatusOK, &res)
	if pays := paymentsOf(c, tk.ID); len(pays) != 3 || pays[2].Reference != "cs_10" {
		t.Fatalf("after the link's session: %+v", pays)
	}
}

// A test event (livemode false) is verified with the test store's secret and
// written there only; the live store's secret never verifies it.
func TestStripeTestEventsNeverTouchLive(t *testing.T) {
	t.Parallel()
	ts, live := newServer(t, internalKey)
	dev := ts.client(developerKey)
	live.patch("/store/payments", map[string]any{"stripe_webhook_secret": liveSecret}).ok(http.StatusOK, nil)
	dev.patch("/store/payments", map[string]any{"stripe_webhook_secret": testSecret}).ok(http.StatusOK, nil)
	liveTicket, testTicket := billedTicket(live), billedTicket(dev)
	if liveTicket.ID != testTicket.ID {
		t.Fatalf("want the same id in both stores: %d %d", liveTicket.ID, testTicket.ID)
	}
	before := live.get("/events").Body
	body := stripeBody("evt_t1", "payment_intent.succeeded", false, intent("pi_t1", 1500, testTicket.ID))
	deliver(ts, liveSecret, body).fail(http.StatusBadRequest, "BAD_SIGNATURE")
	deliver(ts, testSecret, body).ok(http.StatusOK, nil)
	// A live event signed with the test secret is refused too.
	deliver(ts, testSecret, stripeBody("evt_t2", "payment_intent.succeeded", true, intent("pi_t2", 1500, liveTicket.ID))).fail(http.StatusBadRequest, "BAD_SIGNATURE")
	if n := len(paymentsOf(dev, testTicket.ID)); n != 1 {
		t.Errorf("test store payments: %d", n)
	}
	if n := len(paymentsOf(live, liveTicket.ID)); n != 0 {
		t.Errorf("live store payments: %d", n)
	}
	if after := live.get("/events").Body; !bytes.Equal(before, after) {
		t.Errorf("live events changed")
	}
}

// Stripe may deliver one event on several connections at once: the event id
// is checked and kept in the payment's own transaction, so one payment lands.
func TestConcurrentDeliveriesOfOneEventRecordOnePayment(t *testing.T) {
	t.Parallel()
	ts, c := newServer(t, internalKey)
	c.patch("/store/payments", map[string]any{"stripe_webhook_secret": liveSecret}).ok(http.StatusOK, nil)
	tk := billedTicket(c)
	body := stripeBody("evt_race", "payment_intent.succeeded", true, intent("pi_race", 1000, tk.ID))
	sig := stripesig.Sign(liveSecret, body, ts.Clock.Now())
	const n = 8
	statuses := make(chan int, n)
	for range n {
		go func() {
			req, _ := http.NewRequest(http.MethodPost, ts.HTTP.URL+"/inbound/stripe", bytes.NewReader(body))
			req.Header.Set("Stripe-Signature", sig)
			res, err := ts.HTTP.Client().Do(req)
			if err != nil {
				statuses <- 0
				return
			}
			res.Body.Close()
			statuses <- res.StatusCode
		}()
	}
	for range n {
		if s := <-statuses; s != http.StatusOK {
			t.Errorf("a delivery answered %d", s)
		}
	}
	if pays := paymentsOf(c, tk.ID); len(pays) != 1 {
		t.Fatalf("%d payments from one event", len(pays))
	}
}

// The endpoint takes no key, so its body is capped like every other: 413.
func TestStripeWebhookRefusesAHugeBody(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t, internalKey)
	huge := append([]byte(`{"id":"evt_big","type":"payment_intent.succeeded","pad":"`), bytes.Repeat([]byte("x"), 2<<20)...)
	huge = append(huge, `"}`...)
	deliver(ts, liveSecret, huge).fail(http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE")
}
