package hooks

import (
	"maps"

	"portal/store"
)

// backlog is one store's leased deliveries on the sender's side: queued
// (leased, not sent yet) and sending, per webhook. Only the deliver loop
// touches it.
type backlog struct {
	queued   map[uint64][]store.Leased
	sending  map[uint64]int
	held     map[uint64]int // queued + sending
	total    int            // everything held
	inFlight int
}

func newBacklog() *backlog {
	return &backlog{queued: map[uint64][]store.Leased{}, sending: map[uint64]int{}, held: map[uint64]int{}}
}

func (b *backlog) add(leased []store.Leased) {
	for _, l := range leased {
		b.queued[l.Webhook.ID] = append(b.queued[l.Webhook.ID], l)
		b.held[l.Webhook.ID]++
		b.total++
	}
}

// busy is what each webhook holds, for the next lease request.
func (b *backlog) busy() map[uint64]int { return maps.Clone(b.held) }

// next takes the deliveries that may be sent now: perWebhook per receiver
// (one while it is failing) and workers in all.
func (b *backlog) next(perWebhook, workers int) []store.Leased {
	var out []store.Leased
	for id, q := range b.queued {
		limit := perWebhook
		if q[0].Webhook.ConsecutiveFailures > 0 {
			limit = 1
		}
		for len(q) > 0 && b.sending[id] < limit && b.inFlight < workers {
			out = append(out, q[0])
			q = q[1:]
			b.sending[id]++
			b.inFlight++
		}
		if len(q) == 0 {
			delete(b.queued, id)
		} else {
			b.queued[id] = q
		}
	}
	return out
}

// finished accounts for a send that ended.
func (b *backlog) finished(id uint64) {
	b.sending[id]--
	b.inFlight--
	b.release(id, 1)
}

// drop removes a webhook's queued deliveries and returns them, to go back
// to the store.
func (b *backlog) drop(id uint64) []uint64 {
	var seqs []uint64
	for _, l := range b.queued[id] {
		seqs = append(seqs, l.Seq)
	}
	delete(b.queued, id)
	b.release(id, len(seqs))
	return seqs
}

func (b *backlog) release(id uint64, n int) {
	b.total -= n
	if b.held[id] -= n; b.held[id] <= 0 {
		delete(b.held, id)
		delete(b.sending, id)
	}
}

// low reports whether a receiver's queue here is below threshold (or
// nothing is held), which is when to lease more.
func (b *backlog) low(threshold int) bool {
	if len(b.held) == 0 {
		return true
	}
	for id := range b.held {
		if len(b.queued[id]) < threshold {
			return true
		}
	}
	return false
}
