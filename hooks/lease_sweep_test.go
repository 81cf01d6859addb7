package hooks_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"portal/hooks"
	"portal/store"
)

// A sender may hold a delivery longer than its lease: queued behind a slow
// receiver's requests, on the wire, or waiting for its record's commit while
// the disk is busy. The sweeper must leave such a lease alone; reclaiming it
// queued the delivery again while its sender still had it, and the receiver
// got it twice (issue 11). The clock stands in for a long hold: it moves past
// every lease while the receiver holds the first request.
func TestTheSweeperNeverTakesALeaseItsSenderHolds(t *testing.T) {
	t.Parallel()
	v := newHookEnv(t, hooks.Config{Sandbox: true, PerWebhook: 1})
	release := make(chan struct{})
	rcv := newCapture(t, func(int, http.ResponseWriter, *http.Request) { <-release })
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	w, _ := v.webhook(rcv.URL, "portal", "customer.created")
	var want []string
	for i := range 3 {
		want = append(want, eventIDOf(t, "portal", v.customer(fmt.Sprint("Held ", i)).JSON))
	}
	v.start(v.e)
	rcv.wait(t, 1) // the first on the wire, the other two leased behind it

	swept := v.s.Committed() // nothing else commits while the receiver holds the request
	v.clock.Advance(time.Hour)
	v.e.Kick() // the engine's clock says a sweep is due
	select {
	case <-swept:
	case <-time.After(waitLimit):
		t.Fatal("no sweep after the clock moved past every lease")
	}
	close(release)
	// Anything queued again goes out before a later event does (one request
	// at a time, oldest due first), so the canary closes the count.
	v.clock.Advance(time.Second)
	canary := eventIDOf(t, "portal", v.customer("Canary").JSON)
	hits := rcv.wait(t, len(want)+1)
	for i, h := range hits {
		got, wantID := h.header.Get("X-Portal-Delivery"), canary
		if i < len(want) {
			wantID = want[i]
		}
		if got != wantID {
			t.Fatalf("request %d carries %s, want %s (events %v, then the canary %s)", i+1, got, wantID, want, canary)
		}
	}
	for _, d := range v.deliveries(w.ID)[:len(want)] {
		if d := v.settled(d.ID); d.Status != store.DeliveryDelivered || len(d.Attempts) != 1 {
			t.Fatalf("%s: %s after %d attempts, want delivered by one", d.ID, d.Status, len(d.Attempts))
		}
	}
}
