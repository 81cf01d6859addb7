package api

import (
	"testing"

	"portal/store"
)

// The live feed holds what its subscribers may still read from the log: a
// connection catching up, everything after the hub's position while someone
// follows it, and the first event a lagging subscriber missed until it has
// a hold of its own.
func TestLiveHubHoldsWhatSubscribersMayStillRead(t *testing.T) {
	h := newLiveHub(nil)
	h.last = 10
	if got := h.lowestNeeded(); got != 0 {
		t.Fatalf("an idle hub holds %d, want nothing", got)
	}
	catchingUp := h.hold(5)
	if got := h.lowestNeeded(); got != 5 {
		t.Fatalf("with a connection reading from 5: %d", got)
	}
	sub, _ := h.subscribe(func(string) bool { return true })
	h.release(catchingUp)
	if got := h.lowestNeeded(); got != 11 {
		t.Fatalf("with a subscriber following the hub at 10: %d, want 11", got)
	}

	// A burst larger than its buffer: the hub lets it go at the first event it could not take.
	var burst []store.StoredEvent
	for seq := uint64(11); seq <= 11+liveBuffer+40; seq++ {
		burst = append(burst, store.StoredEvent{Seq: seq, Name: "customer.created"})
	}
	h.broadcast(burst)
	select {
	case <-sub.lagged:
	default:
		t.Fatal("the subscriber was not let go")
	}
	missed := uint64(11 + liveBuffer)
	if got := h.lowestNeeded(); got != missed {
		t.Fatalf("after it lagged: %d, want %d (the first event it missed)", got, missed)
	}
	h.unsubscribe(sub)
	if got := h.lowestNeeded(); got != 0 {
		t.Fatalf("after it left: %d, want nothing", got)
	}
}
