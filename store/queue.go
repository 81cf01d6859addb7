package store

// The delivery queue: leasing what is due, giving leases back, and what the
// scheduler asks of it.

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Leased is a delivery handed to a sender, with what it needs to send.
type Leased struct {
	Delivery Delivery
	Seq      uint64
	Webhook  Webhook
	Payload  json.RawMessage
	Secrets  []string // current first
}

// LeaseRequest asks for due deliveries.
type LeaseRequest struct {
	Now, Until time.Time
	Limit      int
	// PerWebhook caps deliveries in flight to one webhook, counting Busy
	// (what is in flight already), so a slow receiver cannot take every
	// sender; a failing webhook gets one at a time.
	PerWebhook int
	Busy       map[uint64]int
	Sealer     *Sealer
}

type leaseCandidate struct {
	due int64
	seq uint64
	w   *webhookRecord
}

// dueCandidates picks, from each enabled, unpaused webhook with room under
// PerWebhook, its earliest due deliveries, earliest first overall.
func (s *Store) dueCandidates(tx *bolt.Tx, req LeaseRequest) ([]leaseCandidate, error) {
	hooks, err := s.enabledWebhooks(tx)
	if err != nil {
		return nil, err
	}
	var cands []leaseCandidate
	now := req.Now.UnixNano()
	c := tx.Bucket(bucketQueueReady).Cursor()
	for _, w := range hooks {
		if w.PausedUntil != nil && w.PausedUntil.After(req.Now) {
			continue
		}
		room := req.PerWebhook - req.Busy[w.ID]
		if w.ConsecutiveFailures > 0 {
			room = 1 - req.Busy[w.ID] // failing: one probe at a time
		}
		prefix := itob(w.ID)
		for k, _ := c.Seek(prefix); k != nil && room > 0 && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			due := int64(binary.BigEndian.Uint64(k[8:]))
			if due > now {
				break
			}
			cands = append(cands, leaseCandidate{due, binary.BigEndian.Uint64(k[16:]), w})
			room--
		}
	}
	slices.SortFunc(cands, func(a, b leaseCandidate) int { return cmp.Compare(a.due, b.due) })
	return cands[:min(len(cands), req.Limit)], nil
}

// LeaseDue moves due deliveries (see dueCandidates) from the ready queue to
// the in-flight one until req.Until. With nothing due it writes nothing.
func (s *Store) LeaseDue(ctx context.Context, req LeaseRequest) ([]Leased, error) {
	var due bool
	if err := s.view(func(tx *bolt.Tx) error {
		cands, err := s.dueCandidates(tx, req)
		due = len(cands) > 0
		return err
	}); err != nil || !due {
		return nil, err
	}
	var out []Leased
	err := s.update(ctx, func(tx *bolt.Tx) error {
		out = out[:0]
		cands, err := s.dueCandidates(tx, req)
		if err != nil {
			return err
		}
		for _, cd := range cands {
			d, err := getDelivery(tx, cd.seq)
			if err != nil {
				return err
			}
			secrets, err := cd.w.secrets(req.Sealer, req.Now)
			if err != nil {
				continue // an unreadable secret stalls its own webhook, not the queue
			}
			if err := d.unschedule(tx); err != nil {
				return err
			}
			d.LeaseUntil = req.Until.UnixNano()
			if err := queuePut(tx.Bucket(bucketQueueInflight), inflightKey(d.LeaseUntil, d.Seq)); err != nil {
				return err
			}
			if err := putDelivery(tx, d); err != nil {
				return err
			}
			payload, err := payloadOf(tx, d)
			if err != nil {
				return err
			}
			out = append(out, Leased{Delivery: d.Delivery, Seq: d.Seq, Webhook: cd.w.Webhook, Payload: payload, Secrets: secrets})
		}
		return nil
	})
	return out, err
}

func (s *Store) enabledWebhooks(tx *bolt.Tx) ([]*webhookRecord, error) {
	var out []*webhookRecord
	err := tx.Bucket(bucketWebhooks).ForEach(func(_, v []byte) error {
		r, err := s.hooks.decode(v)
		if err != nil {
			return err
		}
		if r.Enabled {
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

// RecoverLeases returns in-flight deliveries to the ready queue: those whose
// lease ended by now, or all of them (at start-up, when no sender runs).
func (s *Store) RecoverLeases(ctx context.Context, now time.Time, all bool) (int, error) {
	return s.recoverLeases(ctx, now, all, nil)
}

// ReclaimLeases returns deliveries whose lease ended by now to the ready
// queue, except those held says a running sender still holds: their sender
// will record or release them itself, and reclaiming one would send it twice.
func (s *Store) ReclaimLeases(ctx context.Context, now time.Time, held func(seq uint64) bool) (int, error) {
	return s.recoverLeases(ctx, now, false, held)
}

func (s *Store) recoverLeases(ctx context.Context, now time.Time, all bool, held func(seq uint64) bool) (int, error) {
	var n int
	err := s.update(ctx, func(tx *bolt.Tx) error {
		n = 0
		var keys [][]byte
		c := tx.Bucket(bucketQueueInflight).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if !all && int64(binary.BigEndian.Uint64(k)) > now.UnixNano() {
				break
			}
			if held != nil && held(binary.BigEndian.Uint64(k[8:])) {
				continue
			}
			keys = append(keys, cloneBytes(k))
		}
		for _, k := range keys {
			d, err := getDelivery(tx, binary.BigEndian.Uint64(k[8:]))
			if err != nil {
				return err
			}
			if err := d.release(tx); err != nil {
				return err
			}
			if err := d.requeue(tx, now); err != nil {
				return err
			}
			if err := putDelivery(tx, d); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// NextDue is when the next delivery can go (ok false: none is queued for an
// enabled webhook): its due time, or its webhook's pause if that is later.
func (s *Store) NextDue() (time.Time, bool, error) {
	var at time.Time
	var ok bool
	err := s.view(func(tx *bolt.Tx) error {
		hooks, err := s.enabledWebhooks(tx)
		if err != nil {
			return err
		}
		c := tx.Bucket(bucketQueueReady).Cursor()
		for _, w := range hooks {
			prefix := itob(w.ID)
			k, _ := c.Seek(prefix)
			if k == nil || !bytes.HasPrefix(k, prefix) {
				continue
			}
			due := time.Unix(0, int64(binary.BigEndian.Uint64(k[8:])))
			if w.PausedUntil != nil && w.PausedUntil.After(due) {
				due = *w.PausedUntil
			}
			if !ok || due.Before(at) {
				at, ok = due, true
			}
		}
		return nil
	})
	return at, ok, err
}

// QueueDepth counts deliveries waiting and in flight. It reads two kept
// counts (see queuePut), so it costs the same with a backlog of millions.
func (s *Store) QueueDepth() (ready, inflight int, err error) {
	err = s.view(func(tx *bolt.Tx) error {
		ready = int(tx.Bucket(bucketQueueReady).Sequence())
		inflight = int(tx.Bucket(bucketQueueInflight).Sequence())
		return nil
	})
	return ready, inflight, err
}

// ReleaseLeases puts leased deliveries that were not sent back in the ready
// queue, due now (a sender holding them learnt that their receiver fails, or
// that the webhook was turned off); those of a deleted webhook end failed.
func (s *Store) ReleaseLeases(ctx context.Context, seqs []uint64) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		for _, seq := range seqs {
			d, err := getDelivery(tx, seq)
			if err != nil {
				return err
			}
			if d.LeaseUntil == 0 {
				continue
			}
			if err := d.release(tx); err != nil {
				return err
			}
			if err := d.requeue(tx, s.now()); err != nil {
				return err
			}
			if err := putDelivery(tx, d); err != nil {
				return err
			}
		}
		return nil
	})
}

// SendTarget is a webhook as a sender must see it just before a request:
// its current URL, format and secrets, and whether it may still be sent to.
// Deliveries leased ahead follow a delete, disable, edit or rotation this way.
func (s *Store) SendTarget(webhookID uint64, sealer *Sealer) (Webhook, []string, error) {
	var r *webhookRecord
	err := s.view(func(tx *bolt.Tx) (err error) {
		r, err = s.getWebhook(tx, webhookID)
		return err
	})
	if err != nil {
		return Webhook{}, nil, err
	}
	secrets, err := r.secrets(sealer, s.now())
	return r.Webhook, secrets, err
}
