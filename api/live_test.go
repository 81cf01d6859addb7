package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"portal/store"
)

// runLive feeds the live hubs until the test ends.
func runLive(t *testing.T, ts *testServer) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ts.API.RunLive(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("RunLive: %v", err)
		}
	})
}

// dialLive opens the live feed with a key and query.
func dialLive(t *testing.T, ts *testServer, key string, query url.Values) *websocket.Conn {
	t.Helper()
	u := "ws" + strings.TrimPrefix(ts.HTTP.URL, "http") + "/api/v1/live"
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	conn, resp, err := websocket.DefaultDialer.Dial(u, http.Header{"Authorization": {"Bearer " + key}})
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial %s: %v (%d)", u, err, status)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// readEvents reads n event objects, failing when none arrives for 10 s (a
// burst on a loaded machine may take longer than that in all, but never
// stalls that long between two events).
func readEvents(t *testing.T, conn *websocket.Conn, n int) []store.Event {
	t.Helper()
	out := make([]store.Event, 0, n)
	for len(out) < n {
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, msg, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("after %d of %d events: %v", len(out), n, err)
		}
		var ev store.Event
		if err := json.Unmarshal(msg, &ev); err != nil {
			t.Fatalf("message %s: %v", msg, err)
		}
		out = append(out, ev)
	}
	return out
}

func TestLiveSendsMatchingEventsInOrderWithinTheKeysScopes(t *testing.T) {
	t.Parallel()
	ts, owner := newServer(t, internalKey)
	runLive(t, ts)
	all := ts.client(keySpec{Type: store.KeyPlugin, Scopes: []string{"live", "customers.read", "tickets.read"}})
	ticketsOnly := ts.client(keySpec{Type: store.KeyPlugin, Scopes: []string{"live", "tickets.read"}})
	customers := dialLive(t, ts, all.key, url.Values{"events": {"customer.*"}})
	tickets := dialLive(t, ts, ticketsOnly.key, nil)

	var names []string
	for i := range 20 {
		c := owner.newCustomer(fmt.Sprintf("Live %d", i))
		owner.newTicket(c.ID, nil)
		names = append(names, c.Name)
	}
	got := readEvents(t, customers, 20)
	for i, ev := range got {
		var data struct{ Customer struct{ Name string } }
		json.Unmarshal(ev.Data, &data)
		if ev.Event != "customer.created" || data.Customer.Name != names[i] {
			t.Fatalf("event %d: %s %s, want customer.created for %s", i, ev.Event, ev.Data, names[i])
		}
		if i > 0 && ev.EventID <= got[i-1].EventID {
			t.Fatalf("events out of order: %s after %s", ev.EventID, got[i-1].EventID)
		}
	}
	// The key without customers.read sees the tickets only.
	for _, ev := range readEvents(t, tickets, 20) {
		if ev.Event != "ticket.created" {
			t.Fatalf("a key without customers.read got %s", ev.Event)
		}
	}
}

func TestLiveResumesAfterTheLastEventSeen(t *testing.T) {
	t.Parallel()
	ts, owner := newServer(t, internalKey)
	runLive(t, ts)
	for i := range 5 {
		owner.newCustomer(fmt.Sprintf("Before %d", i))
	}
	var logged []store.Event
	owner.get("/events?event=customer.created").ok(http.StatusOK, &logged) // newest first
	since := logged[3].EventID                                             // the second customer's event

	conn := dialLive(t, ts, owner.key, url.Values{"since": {since}, "events": {"customer.created"}})
	owner.newCustomer("After")
	got := readEvents(t, conn, 4)
	want := []string{logged[2].EventID, logged[1].EventID, logged[0].EventID}
	for i, id := range want {
		if got[i].EventID != id {
			t.Fatalf("resumed event %d = %s, want %s", i, got[i].EventID, id)
		}
	}
	if got[3].EventID <= logged[0].EventID {
		t.Fatalf("the new event %s did not follow the backlog", got[3].EventID)
	}
}

// burst appends n events of size bytes to the live store from 16 writers.
func burst(t *testing.T, ts *testServer, n, size int) <-chan error {
	data := json.RawMessage(`{"ticket_id":1,"note":"` + strings.Repeat("x", size) + `"}`)
	done := make(chan error, 1)
	go func() {
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for w := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < n; i += 16 {
					if _, err := ts.Live.AppendSampleEvent(context.Background(), "ticket.created", data); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		done <- <-errs
	}()
	return done
}

// A burst larger than the hub's buffer reaches every subscriber whole and in
// order: those that fall behind catch up from the log.
func TestLiveBurstReachesEverySubscriberInOrder(t *testing.T) {
	t.Parallel()
	ts, owner := newServer(t, internalKey)
	runLive(t, ts)
	const subscribers, events = 20, 3000
	conns := make([]*websocket.Conn, subscribers)
	for i := range conns {
		conns[i] = dialLive(t, ts, owner.key, nil)
	}
	written := burst(t, ts, events, 512)
	var wg sync.WaitGroup
	for _, conn := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got := readEvents(t, conn, events)
			for i := 1; i < len(got); i++ {
				if got[i].EventID <= got[i-1].EventID {
					t.Errorf("event %d (%s) after %s", i, got[i].EventID, got[i-1].EventID)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := <-written; err != nil {
		t.Fatal(err)
	}
}

// A subscriber that stops reading is dropped once a write has waited
// LiveWriteWait, while the others get every event.
func TestLiveDropsASubscriberThatStopsReading(t *testing.T) {
	t.Parallel()
	ts := newTestServerWith(t, serverOptions{LiveWriteWait: 4 * time.Second})
	owner := ts.client(internalKey)
	runLive(t, ts)
	reader := dialLive(t, ts, owner.key, nil)
	stalled := dialLive(t, ts, owner.key, nil)

	// 5,000 events of 4 KiB: more than the sockets hold, so writes to the stalled one block.
	written := burst(t, ts, 5000, 4096)
	for i := range 5000 { // counted, not decoded: this reader must keep up under -race
		// A deadline on progress, not on the whole burst: a loaded machine
		// may take long, but a reader starved by the stalled one stops.
		reader.SetReadDeadline(time.Now().Add(30 * time.Second))
		if _, _, err := reader.ReadMessage(); err != nil {
			t.Fatalf("reader, after %d of 5000 events: %v", i, err)
		}
	}
	if err := <-written; err != nil {
		t.Fatal(err)
	}
	// The drop is the server giving up on a write after LiveWriteWait: a
	// deadline, not an event, so watch the count until then.
	deadline := time.Now().Add(20 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for ts.API.LiveSubscribers() != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("%d live subscribers 20 s after the burst, want 1: the stalled one was never dropped", ts.API.LiveSubscribers())
		}
		<-tick.C
	}
	_ = stalled // never read
}

func TestLiveRefusesBadRequestsBeforeUpgrading(t *testing.T) {
	t.Parallel()
	ts, owner := newServer(t, internalKey)
	runLive(t, ts)
	owner.get("/live").fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "Upgrade")
	owner.get("/live?events=ticket.exploded").fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "events")
	owner.get("/live?since=evt_nope").fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "since")
	owner.get("/live?colour=red").fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "colour")
	noLive := ts.client(keySpec{Type: store.KeyPlugin, Scopes: []string{"tickets.read"}})
	noLive.get("/live").fail(http.StatusForbidden, "FORBIDDEN")
}
