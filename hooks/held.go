package hooks

import (
	"sync"

	"portal/store"
)

// held is what one store's sender holds: every delivery it leased whose
// attempt record or release has not returned yet — queued here, on the wire,
// or waiting for its record's commit. Such a lease is the sender's to settle
// however old it is: how long a delivery is held depends on the receivers'
// speed, the share of workers each gets and the disk, none of which the
// lease's length can know. The lease sweeper therefore reclaims only what
// nobody holds (a sender whose record or release failed, or an earlier run),
// so no delivery is ever leased, and sent, twice by a sender that lives.
//
// A delivery released by one goroutine may be leased again by the scheduler
// before the first goroutine settles it, so holds are counted, not flagged.
type held struct {
	mu sync.Mutex
	n  map[uint64]int
}

func newHeld() *held { return &held{n: map[uint64]int{}} }

func (h *held) hold(leased []store.Leased) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, l := range leased {
		h.n[l.Seq]++
	}
}

// settle ends holds once their record or release has returned, committed or
// not: a lease whose write failed is left to the sweeper.
func (h *held) settle(seqs ...uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, seq := range seqs {
		if h.n[seq]--; h.n[seq] <= 0 {
			delete(h.n, seq)
		}
	}
}

func (h *held) has(seq uint64) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n[seq] > 0
}
