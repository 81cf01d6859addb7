package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"portal/store"
)

// A ticket's timeline lists the events about that ticket only, oldest first,
// and hides payment events from a key without payments.read.
func TestTicketTimelineListsItsOwnEventsOldestFirst(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	c := ts.client(internalKey)
	cust := c.newCustomer("Ann").ID
	tk := c.newTicket(cust, nil)
	other := c.newTicket(cust, nil)
	base := fmt.Sprintf("/tickets/%d", tk.ID)
	c.patch(base, map[string]any{"status": "In Progress"}).ok(http.StatusOK, nil)
	c.post(base+"/notes", map[string]any{"body": "Screen ordered"}).ok(http.StatusCreated, nil)
	c.post(base+"/line_items", map[string]any{"description": "Screen", "kind": "part", "unit_price": 80}).ok(http.StatusCreated, nil)
	c.post(base+"/payments", map[string]any{"amount": 10, "method": "cash"}).ok(http.StatusCreated, nil)
	c.post(fmt.Sprintf("/tickets/%d/notes", other.ID), map[string]any{"body": "not this one"}).ok(http.StatusCreated, nil)

	names := func(cl *client) []string {
		var evs []store.Event
		env := cl.get(base+"/events").ok(http.StatusOK, &evs)
		out := make([]string, len(evs))
		for i, ev := range evs {
			out[i] = ev.Event
		}
		if env.Meta.Total != len(out) {
			t.Errorf("meta.total %d for %d events", env.Meta.Total, len(out))
		}
		return out
	}
	want := []string{"ticket.created", "ticket.updated", "ticket.status_changed", "ticket.note_added",
		"ticket.line_item_added", "payment.received"}
	if got := names(c); !slices.Equal(got, want) {
		t.Errorf("timeline %v, want %v", got, want)
	}
	noPayments := ts.client(keySpec{Type: store.KeyPlugin, Scopes: []string{"tickets.read"}})
	if got := names(noPayments); slices.Contains(got, "payment.received") || len(got) != len(want)-1 {
		t.Errorf("a key without payments.read sees %v", got)
	}
	c.get("/tickets/999/events").fail(http.StatusNotFound, "NOT_FOUND")
	ts.client(keySpec{Type: store.KeyPlugin, Scopes: []string{"customers.read"}}).get(base+"/events").fail(http.StatusForbidden, "FORBIDDEN")
}

// The console cannot set headers on a websocket, so its live feed names the
// test store in the query; a key's feed stays with its key's store.
func TestConsoleLiveFeedFollowsTestMode(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	runLive(t, ts)
	c, _ := signedIn(t, ts)

	u := "ws" + ts.HTTP.URL[len("http"):] + "/api/v1/live?mode=test"
	header := http.Header{"Cookie": {c.cookie.String()}, "Origin": {ts.origin()}}
	conn, _, err := websocket.DefaultDialer.Dial(u, header)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ts.client(internalKey).newCustomer("Live Larry")
	ts.client(developerKey).newCustomer("Test Tina")
	evs := readEvents(t, conn, 1)
	if evs[0].Event != "customer.created" || !strings.Contains(string(evs[0].Data), "Test Tina") {
		t.Errorf("test-mode feed got %s %s", evs[0].Event, evs[0].Data)
	}

	key := ts.client(internalKey)
	if res := key.call("GET", "/api/v1/live?"+url.Values{"mode": {"test"}}.Encode(), nil); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("a key asking for mode=test got %d, want 422", res.Status)
	}
}
