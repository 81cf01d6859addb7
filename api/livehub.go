package api

import (
	"context"
	"errors"
	"sync"

	"portal/store"
)

// liveBuffer bounds what waits for one subscriber. One that falls this far
// behind is let go by the hub and catches up from the log itself, so a
// burst neither slows the hub nor grows its memory, and nothing is lost.
const liveBuffer = 256

// liveHub tails one store's event log and hands each event to the
// subscribers whose filter and scopes take it. It reads each event once,
// however many subscribers there are.
type liveHub struct {
	s    *store.Store
	mu   sync.Mutex
	last uint64 // every event up to here has been handed out
	subs map[*liveSub]struct{}
	// lagging holds the subscribers let go for lagging, with the first event
	// they missed, until they unsubscribe; holds are the connections' own
	// claims on the log (livehold.go).
	lagging map[*liveSub]uint64
	holds   map[*liveHold]struct{}
}

// liveSub is one websocket subscriber's place in the hub.
type liveSub struct {
	events chan store.StoredEvent
	wants  func(name string) bool
	lagged chan struct{} // closed when its buffer overflowed and the hub let it go
}

// newLiveHub starts at the end of the log: subscribers see what comes next,
// or read what they missed from the log (since=).
func newLiveHub(s *store.Store) *liveHub {
	h := &liveHub{s: s, subs: map[*liveSub]struct{}{}, lagging: map[*liveSub]uint64{}, holds: map[*liveHold]struct{}{}}
	if s != nil {
		h.last, _ = s.LastEventSeq() // an unreadable log fails again, loudly, in run
	}
	return h
}

// run hands out events as they are committed until ctx ends.
func (h *liveHub) run(ctx context.Context) error {
	if h.s == nil {
		return nil
	}
	h.mu.Lock()
	last := h.last
	h.mu.Unlock()
	for {
		committed := h.s.Committed() // taken before reading, so no commit is missed
		evs, err := h.s.EventsAfter(last, 1000)
		if err != nil {
			if errors.Is(err, store.ErrClosed) || ctx.Err() != nil {
				return nil
			}
			return err
		}
		if len(evs) > 0 {
			h.broadcast(evs)
			last = evs[len(evs)-1].Seq
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-committed:
		}
	}
}

func (h *liveHub) broadcast(evs []store.StoredEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, ev := range evs {
		for sub := range h.subs {
			if !sub.wants(ev.Name) {
				continue
			}
			select {
			case sub.events <- ev:
			default:
				delete(h.subs, sub)
				h.lagging[sub] = ev.Seq
				close(sub.lagged)
			}
		}
		h.last = ev.Seq
	}
}

// subscribe registers a subscriber and returns the log position from which
// the hub will hand it events: it reads anything older from the log itself.
func (h *liveHub) subscribe(wants func(string) bool) (*liveSub, uint64) {
	sub := &liveSub{events: make(chan store.StoredEvent, liveBuffer), wants: wants, lagged: make(chan struct{})}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.subs[sub] = struct{}{}
	return sub, h.last
}

func (h *liveHub) unsubscribe(sub *liveSub) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs, sub)
	delete(h.lagging, sub)
}

func (h *liveHub) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}
