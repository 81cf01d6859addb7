package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"portal/store"
)

// Retention through the API: 31 days on, the log has let the old events go,
// a cursor from before the cut is a 410 naming the oldest id kept (on the
// event list and on the live feed, before upgrading), and what was made
// before the cut still works: deliveries show and resend their payload, and
// the ticket's timeline shows its old events byte for byte.
func TestRetentionKeepsDeliveriesAndTimelinesAndAnswersGone(t *testing.T) {
	t.Parallel()
	ts, c := newHookServer(t, internalKey)
	runLive(t, ts)
	rcv := newReceiver(t, http.StatusOK, "ok")
	w := c.newWebhook(map[string]any{"url": rcv.URL, "events": []string{"*"}})
	cust := c.newCustomer("Ada Lovelace")
	tk := c.newTicket(cust.ID, nil)
	c.patch(fmt.Sprintf("/tickets/%d", tk.ID), map[string]any{"priority": "high"}).ok(http.StatusOK, nil)
	for range 3 {
		rcv.next(t)
	}
	var oldDeliveries []delivery
	waitFor(t, ts.Live, "the first deliveries to be recorded", func() bool {
		c.get(fmt.Sprintf("/webhooks/%d/deliveries", w.ID)).ok(http.StatusOK, &oldDeliveries)
		for _, d := range oldDeliveries {
			if d.Status != store.DeliveryDelivered {
				return false
			}
		}
		return len(oldDeliveries) == 3
	})
	oldEvents := map[string]json.RawMessage{} // id -> the bytes the log held
	for _, d := range oldDeliveries {
		oldEvents[d.EventID] = c.get("/events/"+d.EventID).ok(http.StatusOK, nil).Data
	}
	timeline := func() json.RawMessage {
		return c.get(fmt.Sprintf("/tickets/%d/events", tk.ID)).ok(http.StatusOK, nil).Data
	}
	timelineBefore := timeline()

	ts.Clock.Advance(31 * 24 * time.Hour)
	after := c.newCustomer("Grace Hopper") // inside the window
	rcv.next(t)
	waitFor(t, ts.Live, "the fan-out to catch up", func() bool {
		done, err := ts.Live.HooksCaughtUp()
		return err == nil && done
	})
	r, err := ts.Live.PruneEvents(t.Context(), store.PruneOptions{Keep: store.DefaultRetention, Hold: ts.API.EventHold(store.Live)})
	if err != nil || r.Events != 3 || r.Deliveries != 3 || r.Timeline != 2 {
		t.Fatalf("PruneEvents = %+v, %v; want 3 events, their 3 deliveries and 2 timeline entries", r, err)
	}

	var kept []struct {
		EventID string `json:"event_id"`
		Data    struct {
			CustomerID uint64 `json:"customer_id"`
		} `json:"data"`
	}
	if env := c.get("/events").ok(http.StatusOK, &kept); env.Meta.Total != 1 || len(kept) != 1 || kept[0].Data.CustomerID != after.ID {
		t.Fatalf("the log keeps %+v (total %d), want Grace's event alone", kept, env.Meta.Total)
	}
	oldest := kept[0].EventID
	for id := range oldEvents {
		e := c.get("/events?since="+id).fail(http.StatusGone, "GONE")
		if !strings.Contains(e.Message, oldest) || !strings.Contains(e.Message, id) {
			t.Fatalf("410 says %q, want it to name %s and the oldest kept, %s", e.Message, id, oldest)
		}
		wantLiveGone(t, ts, c.key, id, oldest)
	}
	c.get("/events?since="+oldest).ok(http.StatusOK, nil)
	dialLive(t, ts, c.key, url.Values{"since": {oldest}}).Close()

	for _, d := range oldDeliveries {
		got := c.delivery(d.ID)
		if !bytes.Equal(got.Payload, oldEvents[d.EventID]) {
			t.Fatalf("%s after the cut shows %s, want %s", d.ID, got.Payload, oldEvents[d.EventID])
		}
	}
	c.post("/deliveries/"+oldDeliveries[0].ID+"/redeliver", nil).ok(http.StatusOK, nil)
	if h := rcv.next(t); !bytes.Equal(h.Body, oldEvents[oldDeliveries[0].EventID]) {
		t.Fatalf("redelivered %s, want %s", h.Body, oldEvents[oldDeliveries[0].EventID])
	}
	if got := timeline(); !bytes.Equal(got, timelineBefore) {
		t.Fatalf("the timeline after the cut:\n%s\nwant:\n%s", got, timelineBefore)
	}
}

// wantLiveGone dials the live feed resuming from since and expects a 410
// naming oldest, answered before any upgrade.
func wantLiveGone(t *testing.T, ts *testServer, key, since, oldest string) {
	t.Helper()
	u := "ws" + strings.TrimPrefix(ts.HTTP.URL, "http") + "/api/v1/live?" + url.Values{"since": {since}}.Encode()
	conn, resp, err := websocket.DefaultDialer.Dial(u, http.Header{"Authorization": {"Bearer " + key}})
	if err == nil {
		conn.Close()
		t.Fatalf("the live feed upgraded a resume from %s", since)
	}
	if resp == nil || resp.StatusCode != http.StatusGone {
		t.Fatalf("live since=%s: %v, want 410", since, err)
	}
	body, _ := io.ReadAll(resp.Body)
	if !bytes.Contains(body, []byte(`"GONE"`)) || !bytes.Contains(body, []byte(oldest)) {
		t.Fatalf("live 410 body %s, want GONE naming %s", body, oldest)
	}
}
