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

func TestNewTicketStartsNewWithDefaults(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, internalKey)
	ann := c.newCustomer("Ann")

	tk := c.newTicket(ann.ID, nil)
	if tk.Status != "New" || tk.Number != 1001 || tk.Priority != "normal" || tk.ClosedAt != nil || tk.AssignedTo != nil {
		t.Errorf("new ticket %+v", tk)
	}
	if tk.Totals != (totals{"0.00", "0.00", "0.00", "0.00", "0.00"}) {
		t.Errorf("new ticket totals %+v", tk.Totals)
	}
	if next := c.newTicket(ann.ID, nil); next.Number != 1002 {
		t.Errorf("second ticket number %d, want 1002", next.Number)
	}
	var got ticket
	c.get(fmt.Sprintf("/tickets/%d", tk.ID)).ok(http.StatusOK, &got)
	if got.ID != tk.ID || got.CustomerID != ann.ID {
		t.Errorf("GET ticket %+v", got)
	}
}

func TestCreateTicketValidatesItsFields(t *testing.T) {
	t.Parallel()
	ts, c := newServer(t, internalKey)
	ts.owner()
	ann := c.newCustomer("Ann")

	cases := []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"no customer", map[string]any{"issue": "x"}, "customer_id"},
		{"unknown customer", map[string]any{"customer_id": 99, "issue": "x"}, "customer_id"},
		{"no issue", map[string]any{"customer_id": ann.ID}, "issue"},
		{"unknown status", map[string]any{"customer_id": ann.ID, "issue": "x", "status": "Lost"}, "status"},
		{"unknown priority", map[string]any{"customer_id": ann.ID, "issue": "x", "priority": "meh"}, "priority"},
		{"unknown assignee", map[string]any{"customer_id": ann.ID, "issue": "x", "assigned_to": 42}, "assigned_to"},
		{"bad IMEI", map[string]any{"customer_id": ann.ID, "issue": "x", "device": map[string]any{"imei": "12ab"}}, "device.imei"},
		{"bad due date", map[string]any{"customer_id": ann.ID, "issue": "x", "due_at": "tomorrow"}, "due_at"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := *c
			c.t = t
			c.post("/tickets", tc.body).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", tc.field)
		})
	}
}

func TestPatchTicketStatusClosesAndReopens(t *testing.T) {
	t.Parallel()
	ts, c := newServer(t, internalKey)
	ts.owner()
	tk := c.newTicket(c.newCustomer("Ann").ID, nil)
	path := fmt.Sprintf("/tickets/%d", tk.ID)

	var got ticket
	c.patch(path, map[string]any{"status": "Resolved", "assigned_to": 1}).ok(http.StatusOK, &got)
	if got.Status != "Resolved" || got.ClosedAt == nil || got.AssignedTo == nil || *got.AssignedTo != 1 {
		t.Errorf("resolved ticket %+v", got)
	}
	c.patch(path, map[string]any{"status": "In Progress", "assigned_to": nil}).ok(http.StatusOK, &got)
	if got.ClosedAt != nil || got.AssignedTo != nil {
		t.Errorf("reopened ticket %+v", got)
	}
	c.patch(path, map[string]any{"status": "Lost"}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "status")
	c.patch(path, map[string]any{"assigned_to": 77}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "assigned_to")
	c.patch(path, `{"assigned_to":"me"}`).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "assigned_to")
	c.patch(path, `{"number":5}`).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "number")
	c.patch("/tickets/404", map[string]any{"status": "New"}).fail(http.StatusNotFound, "NOT_FOUND")
}

func TestTicketNotesKeepATimeline(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, keySpec{Type: store.KeyPlugin, Scopes: []string{"tickets.read", "tickets.write", "customers.write"}, Name: "Label printer"})
	tk := c.newTicket(c.newCustomer("Ann").ID, nil)
	path := fmt.Sprintf("/tickets/%d/notes", tk.ID)

	var n store.Note
	c.post(path, map[string]any{"body": "  Customer dropped it  ", "internal": true}).ok(http.StatusCreated, &n)
	if n.Body != "Customer dropped it" || !n.Internal || n.TicketID != tk.ID || n.Author != "Label printer (API key)" {
		t.Errorf("note %+v", n)
	}
	c.post(path, map[string]any{"body": "Screen ordered"}).ok(http.StatusCreated, nil)

	var notes []store.Note
	env := c.get(path).ok(http.StatusOK, &notes)
	if len(notes) != 2 || notes[0].Body != "Customer dropped it" || notes[1].Body != "Screen ordered" || env.Meta.Total != 2 {
		t.Errorf("notes %+v, want oldest first", notes)
	}
	c.post(path, map[string]any{"body": "   "}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "body")
	c.post(path, map[string]any{"text": "hi"}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "text")
	c.post("/tickets/999/notes", map[string]any{"body": "x"}).fail(http.StatusNotFound, "NOT_FOUND")
	c.get("/tickets/999/notes").fail(http.StatusNotFound, "NOT_FOUND")
}

// moneyFields reads the ticket's totals as the exact text on the wire.
func moneyFields(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var v struct {
		Ticket struct {
			Totals json.RawMessage `json:"totals"`
		} `json:"ticket"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return string(v.Ticket.Totals)
}

func TestLineItemsAndPaymentsKeepExactDecimalTotals(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, internalKey)
	c.patch("/store", map[string]any{"tax_rate": 8.875}).ok(http.StatusOK, nil)
	tk := c.newTicket(c.newCustomer("Ann").ID, nil)
	items := fmt.Sprintf("/tickets/%d/line_items", tk.ID)
	payments := fmt.Sprintf("/tickets/%d/payments", tk.ID)

	// 3 × 19.99 = 59.97; 8.875% of it is 5.3223…, so 5.32.
	res := c.post(items, `{"kind":"part","description":"Screen","quantity":3,"unit_price":19.99}`)
	env := res.ok(http.StatusCreated, nil)
	if !strings.Contains(string(env.Data), `"quantity":3,"unit_price":19.99,"taxable":true,"total":59.97`) {
		t.Errorf("line item on the wire: %s", env.Data)
	}
	if got, want := moneyFields(t, env.Data), `{"subtotal":59.97,"tax":5.32,"total":65.29,"paid":0.00,"balance":65.29}`; got != want {
		t.Errorf("totals %s, want %s", got, want)
	}

	// Labour is not taxed: 1.5 × 40.00 = 60.00.
	var labour struct {
		LineItem store.LineItem `json:"line_item"`
	}
	env = c.post(items, `{"kind":"service","description":"Labour","quantity":1.5,"unit_price":40,"taxable":false}`).ok(http.StatusCreated, &labour)
	if got, want := moneyFields(t, env.Data), `{"subtotal":119.97,"tax":5.32,"total":125.29,"paid":0.00,"balance":125.29}`; got != want {
		t.Errorf("totals %s, want %s", got, want)
	}

	env = c.post(payments, `{"amount":100.00,"method":"card","reference":"visa 4242"}`).ok(http.StatusCreated, nil)
	if got, want := moneyFields(t, env.Data), `{"subtotal":119.97,"tax":5.32,"total":125.29,"paid":100.00,"balance":25.29}`; got != want {
		t.Errorf("after paying 100.00: %s, want %s", got, want)
	}

	// Changes that would leave less owed than paid are refused.
	labourPath := fmt.Sprintf("%s/%d", items, labour.LineItem.ID)
	c.patch(labourPath, `{"quantity":0.5}`).fail(http.StatusConflict, "CONFLICT")
	var first struct {
		LineItem store.LineItem `json:"line_item"`
	}
	var list []store.LineItem
	c.get(items).ok(http.StatusOK, &list)
	first.LineItem = list[0]
	c.api("DELETE", fmt.Sprintf("%s/%d", items, first.LineItem.ID), nil).fail(http.StatusConflict, "CONFLICT")

	// 1.5 × 45.00 = 67.50: subtotal 127.47, total 132.79, balance 32.79.
	env = c.patch(labourPath, `{"unit_price":45.00}`).ok(http.StatusOK, nil)
	if got, want := moneyFields(t, env.Data), `{"subtotal":127.47,"tax":5.32,"total":132.79,"paid":100.00,"balance":32.79}`; got != want {
		t.Errorf("after repricing labour: %s, want %s", got, want)
	}

	e := c.post(payments, `{"amount":32.80}`).fail(http.StatusConflict, "CONFLICT")
	if !strings.Contains(e.Message, "32.80") || !strings.Contains(e.Message, "32.79") {
		t.Errorf("overpayment message %q should name the amount and the balance", e.Message)
	}
	env = c.post(payments, `{"amount":32.79}`).ok(http.StatusCreated, nil)
	if got, want := moneyFields(t, env.Data), `{"subtotal":127.47,"tax":5.32,"total":132.79,"paid":132.79,"balance":0.00}`; got != want {
		t.Errorf("paid in full: %s, want %s", got, want)
	}
	c.post(payments, `{"amount":0.01}`).fail(http.StatusConflict, "CONFLICT")

	var pays []store.Payment
	env = c.get(payments).ok(http.StatusOK, &pays)
	if len(pays) != 2 || env.Meta.Total != 2 || pays[0].Amount != 10000 || pays[1].Amount != 3279 || pays[0].Method != "card" {
		t.Errorf("payments %+v", pays)
	}
	var got ticket
	c.get(fmt.Sprintf("/tickets/%d", tk.ID)).ok(http.StatusOK, &got)
	if got.Totals.Balance != "0.00" || got.Totals.Total != "132.79" {
		t.Errorf("stored totals %+v", got.Totals)
	}
}

func TestDeleteLineItemRetotals(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, internalKey)
	tk := c.newTicket(c.newCustomer("Ann").ID, nil)
	items := fmt.Sprintf("/tickets/%d/line_items", tk.ID)
	var a struct {
		LineItem store.LineItem `json:"line_item"`
	}
	c.post(items, `{"description":"Battery","unit_price":49.99}`).ok(http.StatusCreated, &a)
	c.post(items, `{"description":"Case","unit_price":10.01}`).ok(http.StatusCreated, nil)

	env := c.api("DELETE", fmt.Sprintf("%s/%d", items, a.LineItem.ID), nil).ok(http.StatusOK, nil)
	if got, want := moneyFields(t, env.Data), `{"subtotal":10.01,"tax":0.00,"total":10.01,"paid":0.00,"balance":10.01}`; got != want {
		t.Errorf("after delete: %s, want %s", got, want)
	}
	c.api("DELETE", fmt.Sprintf("%s/%d", items, a.LineItem.ID), nil).fail(http.StatusNotFound, "NOT_FOUND")
	c.patch(items+"/abc", `{"quantity":2}`).fail(http.StatusNotFound, "NOT_FOUND")
	if env := c.get(items).ok(http.StatusOK, nil); env.Meta.Total != 1 {
		t.Errorf("%d line items left, want 1", env.Meta.Total)
	}
}

func TestLineItemAndPaymentInputsAreValidated(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, internalKey)
	tk := c.newTicket(c.newCustomer("Ann").ID, nil)
	items := fmt.Sprintf("/tickets/%d/line_items", tk.ID)
	payments := fmt.Sprintf("/tickets/%d/payments", tk.ID)

	cases := []struct{ path, body, field string }{
		{items, `{"description":"Screen"}`, "unit_price"},
		{items, `{"unit_price":5}`, "description"},
		{items, `{"description":"x","unit_price":-1}`, "unit_price"},
		{items, `{"description":"x","unit_price":1,"quantity":0}`, "quantity"},
		{items, `{"description":"x","unit_price":1,"quantity":1.255}`, "quantity"},
		{items, `{"description":"x","unit_price":1,"kind":"gift"}`, "kind"},
		{payments, `{}`, "amount"},
		{payments, `{"amount":0}`, "amount"},
		{payments, `{"amount":1.001}`, "amount"},
		{payments, `{"amount":1,"method":"barter"}`, "method"},
	}
	for _, tc := range cases {
		c.post(tc.path, tc.body).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", tc.field)
	}
	c.post("/tickets/999/payments", `{"amount":1}`).fail(http.StatusNotFound, "NOT_FOUND")
}

func TestPaymentsNeedThePaymentsScope(t *testing.T) {
	t.Parallel()
	ts, c := newServer(t, keySpec{Type: store.KeyPlugin, Scopes: []string{"tickets.read", "tickets.write", "customers.write"}})
	tk := c.newTicket(c.newCustomer("Ann").ID, nil)
	c.post(fmt.Sprintf("/tickets/%d/payments", tk.ID), `{"amount":1}`).fail(http.StatusForbidden, "FORBIDDEN")
	c.get(fmt.Sprintf("/tickets/%d/payments", tk.ID)).fail(http.StatusForbidden, "FORBIDDEN")
	cashier := ts.client(keySpec{Type: store.KeyPlugin, Scopes: []string{"payments.read"}})
	cashier.get(fmt.Sprintf("/tickets/%d/payments", tk.ID)).ok(http.StatusOK, nil)
}

func TestRacingPaymentsNeverOverpay(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, internalKey)
	tk := c.newTicket(c.newCustomer("Ann").ID, nil)
	c.post(fmt.Sprintf("/tickets/%d/line_items", tk.ID), `{"description":"Screen","unit_price":10.00}`).ok(http.StatusCreated, nil)
	url := c.base + fmt.Sprintf("/api/v1/tickets/%d/payments", tk.ID)

	const payers = 10
	codes := make(chan int, payers)
	var wg sync.WaitGroup
	for range payers {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"amount":2.00}`))
			req.Header.Set("Authorization", "Bearer "+c.key)
			res, err := c.hc.Do(req)
			if err != nil {
				codes <- 0
				return
			}
			res.Body.Close()
			codes <- res.StatusCode
		})
	}
	wg.Wait()
	close(codes)
	count := map[int]int{}
	for code := range codes {
		count[code]++
	}
	if count[http.StatusCreated] != 5 || count[http.StatusConflict] != 5 {
		t.Errorf("status counts %v, want five 201 and five 409", count)
	}
	var got ticket
	c.get(fmt.Sprintf("/tickets/%d", tk.ID)).ok(http.StatusOK, &got)
	if got.Totals.Paid != "10.00" || got.Totals.Balance != "0.00" {
		t.Errorf("totals after the race %+v", got.Totals)
	}
}
