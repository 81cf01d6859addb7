package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"portal/store"
)

type payment struct {
	ID       uint64      `json:"id"`
	Amount   json.Number `json:"amount"`
	Status   string      `json:"status"`
	Refunded json.Number `json:"refunded"`
	Refunds  []struct {
		ID     uint64      `json:"id"`
		Amount json.Number `json:"amount"`
		Reason string      `json:"reason"`
	} `json:"refunds"`
}

type paymentAnswer struct {
	Payment payment `json:"payment"`
	Ticket  ticket  `json:"ticket"`
}

// paidTicket opens a ticket with one 100.00 line and a payment of amount.
func paidTicket(t *testing.T, c *client, amount string) (ticket, payment) {
	t.Helper()
	cust := c.newCustomer("Refund Customer")
	tk := c.newTicket(cust.ID, nil)
	c.post(fmt.Sprintf("/tickets/%d/line_items", tk.ID), map[string]any{"kind": "service", "description": "Repair",
		"unit_price": 100, "taxable": false}).ok(http.StatusCreated, nil)
	var got paymentAnswer
	c.post(fmt.Sprintf("/tickets/%d/payments", tk.ID), map[string]any{"amount": jsonNum(amount), "method": "card"}).
		ok(http.StatusCreated, &got)
	return got.Ticket, got.Payment
}

func jsonNum(s string) any { return num(s) }

// loggedEvents lists the log's event names, oldest first, after skip.
func loggedEvents(t *testing.T, c *client) []string {
	t.Helper()
	var evs []wireEvent
	c.get("/events?per_page=200").ok(http.StatusOK, &evs)
	out := make([]string, len(evs))
	for i, e := range evs {
		out[len(evs)-1-i] = e.Event
	}
	return out
}

func TestRefundsArePartialOrWholeAndNeverMoreThanPaid(t *testing.T) {
	t.Parallel()
	ts, c := newServer(t, internalKey)
	tk, pay := paidTicket(t, c, "80")
	base := fmt.Sprintf("/tickets/%d/payments/%d", tk.ID, pay.ID)
	before := len(loggedEvents(t, c))

	var got paymentAnswer
	c.post(base+"/refund", map[string]any{"amount": 30.25, "reason": "Cracked again"}).ok(http.StatusOK, &got)
	if got.Payment.Status != store.PaymentPartiallyRefunded || got.Payment.Refunded != "30.25" || len(got.Payment.Refunds) != 1 ||
		got.Payment.Refunds[0].Reason != "Cracked again" {
		t.Fatalf("after a partial refund: %+v", got.Payment)
	}
	if tt := got.Ticket.Totals; tt.Paid != "49.75" || tt.Balance != "50.25" || tt.Total != "100.00" {
		t.Errorf("totals after refund: %+v", tt)
	}
	// More than is left: 409 saying how much is refundable; nothing changes.
	e := c.post(base+"/refund", map[string]any{"amount": 49.76}).fail(http.StatusConflict, "CONFLICT")
	if !strings.Contains(e.Message, "49.75") {
		t.Errorf("refusal %q does not say what is refundable", e.Message)
	}
	c.post(base+"/refund", map[string]any{"amount": 0}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "amount")
	c.post(base+"/refund", map[string]any{"amount": 1.001}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "amount")
	c.post(base+"/refund", map[string]any{"amount": 1, "reason": strings.Repeat("x", 501)}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "reason")
	c.post(base+"/refund", map[string]any{"amount": 1, "why": "x"}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "why")
	c.post(fmt.Sprintf("/tickets/%d/payments/999/refund", tk.ID), map[string]any{"amount": 1}).fail(http.StatusNotFound, "NOT_FOUND")
	c.post(fmt.Sprintf("/tickets/999/payments/%d/refund", pay.ID), map[string]any{"amount": 1}).fail(http.StatusNotFound, "NOT_FOUND")

	// The rest, by leaving the amount out: refunded, paid back to 0.
	c.post(base+"/refund", map[string]any{"reason": "Gave up"}).ok(http.StatusOK, &got)
	if got.Payment.Status != store.PaymentRefunded || got.Payment.Refunded != "80.00" || len(got.Payment.Refunds) != 2 ||
		got.Payment.Refunds[1].Amount != "49.75" {
		t.Fatalf("after the whole refund: %+v", got.Payment)
	}
	if tt := got.Ticket.Totals; tt.Paid != "0.00" || tt.Balance != "100.00" {
		t.Errorf("totals after the whole refund: %+v", tt)
	}
	e = c.post(base+"/refund", map[string]any{"amount": 0.01}).fail(http.StatusConflict, "CONFLICT")
	if !strings.Contains(e.Message, "refundable") {
		t.Errorf("refusal %q", e.Message)
	}
	c.post(base+"/void", nil).fail(http.StatusConflict, "CONFLICT")

	var stored ticket
	c.get(fmt.Sprintf("/tickets/%d", tk.ID)).ok(http.StatusOK, &stored)
	if stored.Totals.Paid != "0.00" || stored.Totals.Balance != "100.00" {
		t.Errorf("stored totals %+v", stored.Totals)
	}
	var list []payment
	c.get(fmt.Sprintf("/tickets/%d/payments", tk.ID)).ok(http.StatusOK, &list)
	if len(list) != 1 || list[0].Status != store.PaymentRefunded {
		t.Errorf("payments list %+v", list)
	}
	names := loggedEvents(t, c)[before:]
	want := []string{"payment.refunded", "payment.status_changed", "payment.refunded", "payment.status_changed"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("events %v, want %v", names, want)
	}
	// The ticket's timeline holds them too (payments.read sees them).
	var timeline []wireEvent
	c.get(fmt.Sprintf("/tickets/%d/events?per_page=200", tk.ID)).ok(http.StatusOK, &timeline)
	refunds := 0
	for _, ev := range timeline {
		if ev.Event == "payment.refunded" {
			refunds++
			if string(ev.Data["payment_id"]) != fmt.Sprint(pay.ID) || ev.Data["refund"] == nil || ev.Data["payment"] == nil {
				t.Errorf("payment.refunded data %v", ev.Data)
			}
		}
	}
	if refunds != 2 {
		t.Errorf("timeline has %d refunds, want 2", refunds)
	}
	_ = ts
}

func TestVoidingAPaymentTakesItOffTheTicket(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, internalKey)
	tk, pay := paidTicket(t, c, "100")
	base := fmt.Sprintf("/tickets/%d/payments/%d", tk.ID, pay.ID)
	if tk.Totals.Balance != "0.00" {
		t.Fatalf("balance %s", tk.Totals.Balance)
	}
	var got paymentAnswer
	c.post(base+"/void", nil).ok(http.StatusOK, &got)
	if got.Payment.Status != store.PaymentVoided || got.Ticket.Totals.Paid != "0.00" || got.Ticket.Totals.Balance != "100.00" {
		t.Fatalf("after void: %+v %+v", got.Payment, got.Ticket.Totals)
	}
	c.post(base+"/void", nil).fail(http.StatusConflict, "CONFLICT")
	c.post(base+"/refund", map[string]any{"amount": 1}).fail(http.StatusConflict, "CONFLICT")
	// The balance is owed again: a new payment is taken.
	c.post(fmt.Sprintf("/tickets/%d/payments", tk.ID), map[string]any{"amount": 100}).ok(http.StatusCreated, nil)

	// A payment refunded in part cannot be voided.
	tk2, pay2 := paidTicket(t, c, "50")
	base2 := fmt.Sprintf("/tickets/%d/payments/%d", tk2.ID, pay2.ID)
	c.post(base2+"/refund", map[string]any{"amount": 5}).ok(http.StatusOK, nil)
	e := c.post(base2+"/void", nil).fail(http.StatusConflict, "CONFLICT")
	if !strings.Contains(e.Message, "partially refunded") {
		t.Errorf("refusal %q", e.Message)
	}
	var evs []wireEvent
	c.get("/events?event=payment.status_changed").ok(http.StatusOK, &evs)
	if len(evs) != 2 {
		t.Fatalf("%d payment.status_changed events, want 2 (void, partial refund)", len(evs))
	}
	void := evs[1] // newest first
	if string(void.Data["changes"]) != `{"status":{"from":"completed","to":"voided"}}` {
		t.Errorf("void's changes %s", void.Data["changes"])
	}
}

// Many refunds racing for one payment: exactly as many succeed as the
// payment covers, the rest are 409s, and paid ends exact.
func TestConcurrentRefundsNeverExceedWhatWasPaid(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, internalKey)
	tk, pay := paidTicket(t, c, "100")
	base := fmt.Sprintf("/tickets/%d/payments/%d", tk.ID, pay.ID)
	const n = 30 // 30 refunds of 7.00 against 100.00: 14 fit (98.00)
	var wg sync.WaitGroup
	statuses := make([]int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = c.post(base+"/refund", map[string]any{"amount": 7, "reason": fmt.Sprint("race ", i)}).Status
		}()
	}
	wg.Wait()
	okN, conflicts := 0, 0
	for _, s := range statuses {
		switch s {
		case http.StatusOK:
			okN++
		case http.StatusConflict:
			conflicts++
		default:
			t.Errorf("status %d", s)
		}
	}
	if okN != 14 || conflicts != n-14 {
		t.Fatalf("%d refunds succeeded and %d were refused, want 14 and %d", okN, conflicts, n-14)
	}
	var list []payment
	c.get(fmt.Sprintf("/tickets/%d/payments", tk.ID)).ok(http.StatusOK, &list)
	if list[0].Refunded != "98.00" || len(list[0].Refunds) != 14 || list[0].Status != store.PaymentPartiallyRefunded {
		t.Errorf("payment after the race: refunded %s, %d refunds, %s", list[0].Refunded, len(list[0].Refunds), list[0].Status)
	}
	var stored ticket
	c.get(fmt.Sprintf("/tickets/%d", tk.ID)).ok(http.StatusOK, &stored)
	if stored.Totals.Paid != "2.00" || stored.Totals.Balance != "98.00" {
		t.Errorf("totals %+v", stored.Totals)
	}
	c.post(base+"/refund", map[string]any{"amount": 2.01}).fail(http.StatusConflict, "CONFLICT")
	c.post(base+"/refund", map[string]any{"amount": 2}).ok(http.StatusOK, nil)
}

// Refunds and voids need payments.write; tickets.write is not enough.
func TestRefundsNeedThePaymentsScope(t *testing.T) {
	t.Parallel()
	ts, c := newServer(t, internalKey)
	tk, pay := paidTicket(t, c, "10")
	tech := ts.client(keySpec{Type: store.KeyPlugin, Scopes: []string{"tickets.read", "tickets.write", "payments.read"}})
	base := fmt.Sprintf("/tickets/%d/payments/%d", tk.ID, pay.ID)
	for _, path := range []string{base + "/refund", base + "/void"} {
		e := tech.post(path, map[string]any{}).fail(http.StatusForbidden, "FORBIDDEN")
		if !strings.Contains(e.Message, "payments.write") {
			t.Errorf("%s: %q", path, e.Message)
		}
	}
}
