package api

import (
	"sync/atomic"

	"portal/store"
)

// The live feed's holds on the event log: what its subscribers may still
// read from the log, so the pruner (store.PruneOptions.Hold) leaves it.
//
// A subscriber reads the log only while it catches up (resuming with since=,
// or after lagging); while it follows the hub, the hub hands it every event
// after the hub's own position. So the feed needs, at most:
//   - each connection's liveHold, set while it catches up: the next event it
//     will read from the log;
//   - the hub's position + 1 while anyone follows it;
//   - for a subscriber the hub has just let go, the event it could not take,
//     until the connection takes a hold of its own (serveLive) and leaves.

// liveHold is one connection's claim on the log: the lowest event sequence
// it may still read from it, 0 for none (the hub's position covers it).
type liveHold struct{ next atomic.Uint64 }

// hold registers a connection's claim, starting at next (0: none yet).
func (h *liveHub) hold(next uint64) *liveHold {
	p := &liveHold{}
	p.next.Store(next)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.holds[p] = struct{}{}
	return p
}

// release ends a connection's claim.
func (h *liveHub) release(p *liveHold) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.holds, p)
}

// lowestNeeded is the lowest event sequence a live subscriber may still read
// from the log, 0 for none: the pruner's hold for this hub's store.
func (h *liveHub) lowestNeeded() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	var low uint64
	take := func(v uint64) {
		if v != 0 && (low == 0 || v < low) {
			low = v
		}
	}
	for p := range h.holds {
		take(p.next.Load())
	}
	if len(h.subs) > 0 {
		take(h.last + 1)
	}
	for _, from := range h.lagging {
		take(from)
	}
	return low
}

// EventHold returns the lowest event sequence a live subscriber of the store
// in mode may still read from its log (0: none), for store.PruneOptions.Hold.
func (s *Server) EventHold(mode store.Mode) func() uint64 {
	return s.liveHubs[mode].lowestNeeded
}
