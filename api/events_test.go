package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"portal/store"
)

var eventIDPattern = regexp.MustCompile(`^evt_[0-9A-HJKMNP-TV-Z]{26}$`)

// wireEvent is an event object as API.md shows it.
type wireEvent struct {
	Event     string                     `json:"event"`
	EventID   string                     `json:"event_id"`
	Timestamp string                     `json:"timestamp"`
	StoreID   int                        `json:"store_id"`
	Actor     store.Actor                `json:"actor"`
	Data      map[string]json.RawMessage `json:"data"`
}

// checkWireShape checks one event object's keys, their order and formats.
func checkWireShape(t *testing.T, raw json.RawMessage) wireEvent {
	t.Helper()
	if keys := objectKeys(t, raw); !slices.Equal(keys, []string{"event", "event_id", "timestamp", "store_id", "actor", "data"}) {
		t.Errorf("event keys %v, want [event event_id timestamp store_id actor data]", keys)
	}
	var e wireEvent
	if err := json.Unmarshal(raw, &e); err != nil {
		t.Fatalf("event %s: %v", raw, err)
	}
	if !slices.Contains([]string{"user", "key", "plugin", "customer", "system"}, e.Actor.Type) || e.Actor.Name == "" {
		t.Errorf("event actor %+v", e.Actor)
	}
	if strings.Contains(string(mustField(t, raw, "actor")), "_live_") || strings.Contains(string(mustField(t, raw, "actor")), "_test_") {
		t.Errorf("an actor holds a key: %s", raw)
	}
	if !eventIDPattern.MatchString(e.EventID) {
		t.Errorf("event id %q is not evt_ + 26 Crockford characters", e.EventID)
	}
	if ts, err := time.Parse(time.RFC3339, e.Timestamp); err != nil || ts.Location() != time.UTC || e.Timestamp[len(e.Timestamp)-1] != 'Z' {
		t.Errorf("timestamp %q is not ISO 8601 UTC", e.Timestamp)
	}
	if e.StoreID != 1 {
		t.Errorf("store_id %d", e.StoreID)
	}
	return e
}

// newestEvents reads the n newest events of the log.
func newestEvents(t *testing.T, c *client, n int) ([]json.RawMessage, int) {
	t.Helper()
	var items []json.RawMessage
	env := c.get("/events?per_page="+strconv.Itoa(max(n, 1))).ok(http.StatusOK, &items)
	return items[:min(n, len(items))], env.Meta.Total
}

func TestEveryWriteAddsEvents(t *testing.T) {
	t.Parallel()
	ts, c := newServer(t, internalKey)
	ts.owner()
	var ann, bob customer
	var tk ticket
	var item struct {
		LineItem store.LineItem `json:"line_item"`
	}
	id := func(n uint64) string { return strconv.FormatUint(n, 10) }

	writes := []struct {
		name     string
		do       func() *response
		events   []string // oldest first
		resource string   // data.<resource>_id, and data.<resource> when present
	}{
		{"create customer", func() *response { return c.post("/customers", map[string]any{"name": "Ann"}) },
			[]string{"customer.created"}, "customer"},
		{"create another customer", func() *response { return c.post("/customers", map[string]any{"name": "Bob"}) },
			[]string{"customer.created"}, "customer"},
		{"update customer", func() *response { return c.patch("/customers/"+id(ann.ID), map[string]any{"phone": "555 0100"}) },
			[]string{"customer.updated"}, "customer"},
		{"create ticket", func() *response {
			return c.post("/tickets", map[string]any{"customer_id": ann.ID, "issue": "No power"})
		}, []string{"ticket.created"}, "ticket"},
		{"change status", func() *response { return c.patch("/tickets/"+id(tk.ID), map[string]any{"status": "In Progress"}) },
			[]string{"ticket.updated", "ticket.status_changed"}, "ticket"},
		{"assign", func() *response { return c.patch("/tickets/"+id(tk.ID), map[string]any{"assigned_to": 1}) },
			[]string{"ticket.updated", "ticket.assigned"}, "ticket"},
		{"close", func() *response { return c.patch("/tickets/"+id(tk.ID), map[string]any{"status": "Closed"}) },
			[]string{"ticket.updated", "ticket.status_changed", "ticket.closed"}, "ticket"},
		{"reopen", func() *response { return c.patch("/tickets/"+id(tk.ID), map[string]any{"status": "New"}) },
			[]string{"ticket.updated", "ticket.status_changed", "ticket.reopened"}, "ticket"},
		{"add note", func() *response {
			return c.post("/tickets/"+id(tk.ID)+"/notes", map[string]any{"body": "Ordered a part"})
		},
			[]string{"ticket.note_added"}, "ticket"},
		{"add line item", func() *response {
			return c.post("/tickets/"+id(tk.ID)+"/line_items", map[string]any{"description": "Board", "unit_price": 80})
		}, []string{"ticket.line_item_added"}, "ticket"},
		{"add another line item", func() *response {
			return c.post("/tickets/"+id(tk.ID)+"/line_items", map[string]any{"description": "Case", "unit_price": 5})
		}, []string{"ticket.line_item_added"}, "ticket"},
		{"change line item", func() *response {
			return c.patch(fmt.Sprintf("/tickets/%d/line_items/%d", tk.ID, item.LineItem.ID), map[string]any{"quantity": 2})
		}, []string{"ticket.updated"}, "ticket"},
		{"delete line item", func() *response {
			return c.api("DELETE", fmt.Sprintf("/tickets/%d/line_items/%d", tk.ID, item.LineItem.ID), nil)
		}, []string{"ticket.updated"}, "ticket"},
		{"take payment", func() *response { return c.post("/tickets/"+id(tk.ID)+"/payments", map[string]any{"amount": 5}) },
			[]string{"payment.received"}, "payment"},
		{"update store", func() *response { return c.patch("/store", map[string]any{"name": "Fix-It"}) },
			[]string{"store.updated"}, "store"},
		{"replace statuses", func() *response {
			return c.api("PUT", "/store/statuses", map[string]any{"statuses": append(store.DefaultStatuses(), store.Status{Name: "Archived", Closed: true})})
		}, []string{"store.updated"}, "store"},
		{"delete customer", func() *response { return c.api("DELETE", "/customers/"+id(bob.ID), nil) },
			[]string{"customer.deleted"}, "customer"},
	}
	var lastID string
	for _, w := range writes {
		_, before := newestEvents(t, c, 0)
		res := w.do()
		if res.Status >= 300 {
			t.Fatalf("%s: %d %s", w.name, res.Status, res.Body)
		}
		switch w.name {
		case "create customer":
			res.ok(http.StatusCreated, &ann)
		case "create another customer":
			res.ok(http.StatusCreated, &bob)
		case "create ticket":
			res.ok(http.StatusCreated, &tk)
		case "add line item":
			res.ok(http.StatusCreated, &item)
		}
		got, after := newestEvents(t, c, len(w.events))
		if after-before != len(w.events) {
			t.Errorf("%s: %d new events, want %d", w.name, after-before, len(w.events))
			continue
		}
		slices.Reverse(got) // oldest first
		for i, raw := range got {
			e := checkWireShape(t, raw)
			if e.Event != w.events[i] {
				t.Errorf("%s: event %d is %s, want %s", w.name, i, e.Event, w.events[i])
			}
			if e.EventID <= lastID {
				t.Errorf("%s: event id %s does not follow %s", w.name, e.EventID, lastID)
			}
			lastID = e.EventID
			if _, ok := e.Data[w.resource+"_id"]; !ok {
				t.Errorf("%s: %s data lacks %s_id: %s", w.name, e.Event, w.resource, raw)
			}
		}
	}
}

func TestEventDataHoldsIDChangesAndRecord(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, internalKey)
	ann := c.newCustomer("Ann")
	tk := c.newTicket(ann.ID, nil)
	c.patch(fmt.Sprintf("/tickets/%d", tk.ID), map[string]any{"status": "In Progress"}).ok(http.StatusOK, nil)

	var created []json.RawMessage
	c.get("/events?event=ticket.created").ok(http.StatusOK, &created)
	e := checkWireShape(t, created[0])
	if keys := objectKeys(t, mustField(t, created[0], "data")); !slices.Equal(keys, []string{"ticket_id", "ticket"}) {
		t.Errorf("ticket.created data keys %v, want [ticket_id ticket]", keys)
	}
	if string(e.Data["ticket_id"]) != strconv.FormatUint(tk.ID, 10) {
		t.Errorf("ticket.created ticket_id %s", e.Data["ticket_id"])
	}
	var rec ticket
	if err := json.Unmarshal(e.Data["ticket"], &rec); err != nil || rec.ID != tk.ID || rec.Status != "New" {
		t.Errorf("ticket.created carries %s", e.Data["ticket"])
	}

	var changed []json.RawMessage
	c.get("/events?event=ticket.status_changed").ok(http.StatusOK, &changed)
	e = checkWireShape(t, changed[0])
	if keys := objectKeys(t, mustField(t, changed[0], "data")); !slices.Equal(keys, []string{"ticket_id", "changes", "ticket"}) {
		t.Errorf("ticket.status_changed data keys %v, want [ticket_id changes ticket]", keys)
	}
	if got := string(e.Data["changes"]); got != `{"status":{"from":"New","to":"In Progress"}}` {
		t.Errorf("status_changed changes %s", got)
	}
	if err := json.Unmarshal(e.Data["ticket"], &rec); err != nil || rec.Status != "In Progress" {
		t.Errorf("status_changed carries %s", e.Data["ticket"])
	}
	if e.Timestamp != start.Format(time.RFC3339) {
		t.Errorf("timestamp %s, want the injected clock's %s", e.Timestamp, start.Format(time.RFC3339))
	}
}

func TestGetEventByIDReturnsTheLoggedBytes(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, internalKey)
	c.newCustomer("Ann")
	c.newCustomer("Bob")

	var list []json.RawMessage
	c.get("/events").ok(http.StatusOK, &list)
	for _, raw := range list {
		e := checkWireShape(t, raw)
		env := c.get("/events/"+e.EventID).ok(http.StatusOK, nil)
		if string(env.Data) != string(raw) {
			t.Errorf("GET /events/%s:\n%s\nlisted as\n%s", e.EventID, env.Data, raw)
		}
	}
	c.get("/events/evt_nope").fail(http.StatusNotFound, "NOT_FOUND")
	c.get("/events/123").fail(http.StatusNotFound, "NOT_FOUND")
	c.get("/events/evt_00000000000000000000000099").fail(http.StatusNotFound, "NOT_FOUND")
}

func TestEventsSinceListsLaterEventsOldestFirst(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, internalKey)
	ann := c.newCustomer("Ann")
	c.newTicket(ann.ID, nil)
	c.newCustomer("Bob")

	var all []wireEvent
	env := c.get("/events").ok(http.StatusOK, &all)
	if len(all) != 3 || env.Meta.Total != 3 || all[0].Event != "customer.created" || all[1].Event != "ticket.created" {
		t.Fatalf("log %+v", all)
	}
	var later []wireEvent
	c.get("/events?since="+all[2].EventID).ok(http.StatusOK, &later)
	if len(later) != 2 || later[0].EventID != all[1].EventID || later[1].EventID != all[0].EventID {
		t.Errorf("since the first event: %+v", later)
	}
	var customers []wireEvent
	env = c.get("/events?event=customer.*").ok(http.StatusOK, &customers)
	if len(customers) != 2 || env.Meta.Total != 2 {
		t.Errorf("event=customer.*: %d events, total %d", len(customers), env.Meta.Total)
	}
	env = c.get("/events?per_page=1&page=2").ok(http.StatusOK, &later)
	if len(later) != 1 || later[0].EventID != all[1].EventID || !env.Meta.HasMore {
		t.Errorf("page 2 of 1: %+v %+v", later, env.Meta)
	}
}

// An event carries its record, so reading it takes the record's scope too.
func TestEventsNeedTheirRecordsReadScope(t *testing.T) {
	t.Parallel()
	ts, owner := newServer(t, internalKey)
	ann := owner.newCustomer("Ann")
	owner.newTicket(ann.ID, nil)

	ticketsOnly := ts.client(keySpec{Type: store.KeyPlugin, Scopes: []string{"events.read", "tickets.read"}})
	var seen []wireEvent
	res := ticketsOnly.get("/events")
	env := res.ok(http.StatusOK, &seen)
	for _, e := range seen {
		if e.Event == "customer.created" {
			t.Fatalf("a key without customers.read read %s", e.Event)
		}
	}
	if len(seen) != 1 || env.Meta.Total != 1 {
		t.Fatalf("saw %d events, total %d; want only ticket.created", len(seen), env.Meta.Total)
	}

	var all []wireEvent
	owner.get("/events").ok(http.StatusOK, &all)
	for _, e := range all {
		if e.Event == "customer.created" {
			ticketsOnly.get("/events/"+e.EventID).fail(http.StatusNotFound, "NOT_FOUND")
		}
	}
}
