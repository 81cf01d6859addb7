package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Retention bounds the event log: events older than a window are removed in
// small transactions, oldest first. The log is therefore always a contiguous
// run of sequences, [oldest kept, newest], and everything before it is gone:
// a cursor from before it is answered with a *GoneError, never with a silent
// gap. Pruning stops short of anything still needed:
//
//   - events the webhook fan-out has not passed (at or after hooks_cursor);
//   - events a reader holds (PruneOptions.Hold: the live feed's subscribers);
//   - deliveries and ticket timelines keep working: before an event goes,
//     each delivery naming it takes a copy of its bytes (as a "Send test"
//     delivery holds its sample), and so does its entry in the ticket's
//     timeline, so both show exactly what they showed before.
//
// events_count counts the events kept, so the log's totals match what can be
// listed.

var (
	keyPrunedThrough    = []byte("events_pruned_through")    // in meta: be64 seq; every event up to it is gone
	keyPrunedDeliveries = []byte("events_pruned_deliveries") // in meta: be64 delivery seq; none up to it names a pruned event
)

// DefaultRetention is how long events are kept unless serve is told otherwise.
const DefaultRetention = 30 * 24 * time.Hour

// MinRetention is the shortest window: a day lets a receiver or a console
// that was offline overnight resume from where it stopped.
const MinRetention = 24 * time.Hour

// defaultPruneBatch bounds one prune transaction's work (events removed plus
// deliveries and timeline entries rewritten), so a write queued behind it
// waits for about as long as behind one busy commit.
const defaultPruneBatch = 500

// GoneError means a cursor (since=evt_…) points before what the log keeps:
// events after it may have been pruned.
type GoneError struct {
	Since  string // the id asked for
	Oldest string // the oldest event id kept; "" when the log is empty
}

func (e *GoneError) Error() string {
	if e.Oldest == "" {
		return "the event log no longer keeps " + e.Since + " and holds no events now; list without since= to start from the newest"
	}
	return "the event log no longer keeps " + e.Since + " (events after it may be gone); the oldest event kept is " + e.Oldest
}

// PruneOptions says what PruneEvents may remove.
type PruneOptions struct {
	// Keep is the window: events newer than now (the store's clock) minus
	// Keep stay. At least MinRetention.
	Keep time.Duration
	// Hold, when set, returns the lowest event sequence some reader still
	// needs (0: none); that event and every later one stay. It is called
	// inside the write transaction, so it must be quick and never touch the
	// store.
	Hold func() uint64
	// Batch bounds one transaction's work; 0 means 500.
	Batch int

	afterBatch func(PruneResult) // tests: runs between transactions
}

// PruneResult counts what PruneEvents did.
type PruneResult struct {
	Events     int  // events removed
	Deliveries int  // deliveries that took their event's bytes
	Timeline   int  // timeline entries that took their event's bytes
	Batches    int  // transactions that removed something
	HeldBack   bool // stopped before the window because fan-out or a reader still needs events
}

// pruneStop says why a prune transaction ended.
type pruneStop int

const (
	stopFull   pruneStop = iota // its work bound: more may follow
	stopWindow                  // the next event is inside the window, or none is left
	stopHeld                    // the next event is still needed
)

// PruneEvents removes the events older than opts.Keep, one bounded
// transaction at a time through the shared writer, so writes queued meanwhile
// go out in the commits between. It can stop at any point (ctx, a crash) and
// resume: all its state is in the log and in meta.
func (s *Store) PruneEvents(ctx context.Context, opts PruneOptions) (PruneResult, error) {
	var total PruneResult
	if opts.Keep < MinRetention {
		return total, fmt.Errorf("event retention %s is shorter than the minimum of %s", opts.Keep, MinRetention)
	}
	limit := opts.Batch
	if limit <= 0 {
		limit = defaultPruneBatch
	}
	cutoff := s.now().Add(-opts.Keep).UnixMilli()
	if cutoff <= 0 {
		return total, nil
	}
	for {
		r, stop, err := s.pruneStep(ctx, uint64(cutoff), opts.Hold, limit)
		total.Events += r.Events
		total.Deliveries += r.Deliveries
		total.Timeline += r.Timeline
		if r.Events > 0 {
			total.Batches++
		}
		total.HeldBack = stop == stopHeld
		if err != nil || stop != stopFull {
			return total, err
		}
		if opts.afterBatch != nil {
			opts.afterBatch(total)
		}
	}
}

// pruneStep runs one prune transaction. pruneMu is held from before the
// holds are read until the commit, so Resume can wait out a transaction that
// read them before its reader's hold was in place.
func (s *Store) pruneStep(ctx context.Context, cutoff uint64, hold func() uint64, limit int) (PruneResult, pruneStop, error) {
	s.pruneMu.Lock()
	defer s.pruneMu.Unlock()
	var r PruneResult
	var stop pruneStop
	err := s.update(ctx, func(tx *bolt.Tx) (err error) {
		r, stop, err = pruneTx(tx, cutoff, hold, limit)
		return err
	})
	return r, stop, err
}

// pruneTx removes events from the front of the log while they are older
// than cutoff (unix ms), before the first one still needed, and within
// limit's work.
func pruneTx(tx *bolt.Tx, cutoff uint64, hold func() uint64, limit int) (PruneResult, pruneStop, error) {
	var r PruneResult
	meta := tx.Bucket(bucketMeta)
	keep := readCursor(tx, keyHooksCursor) // this event and every later one stay; 0: the fan-out has not started
	if hold != nil {
		if h := hold(); h != 0 && h < keep {
			keep = h
		}
	}
	log := tx.Bucket(bucketEvents)
	byName := tx.Bucket(bucketEventsByName)
	counts := tx.Bucket(bucketEventCounts)
	det := &detacher{tx: tx, meta: meta}
	c := log.Cursor()
	stop, work, last := stopWindow, 0, uint64(0)
	for k, v := c.First(); k != nil; k, v = c.Seek(itob(last + 1)) {
		seq := btoi(k)
		ms, err := eventIDMillis(eventIDOf(v))
		if err != nil {
			return r, stop, fmt.Errorf("event %d: %w", seq, err)
		}
		if ms >= cutoff {
			break
		}
		if seq >= keep {
			stop = stopHeld
			break
		}
		if work >= limit {
			stop = stopFull
			break
		}
		name := eventName(v)
		raw, err := eventJSON(v) // copies keep the object itself, as a delivery's Payload does
		if err != nil {
			return r, stop, err
		}
		n, err := det.detach(seq)
		if err != nil {
			return r, stop, err
		}
		r.Deliveries += n
		kept, err := keepInTimeline(tx, seq, raw)
		if err != nil {
			return r, stop, err
		}
		if kept {
			r.Timeline++
			work++
		}
		if err := byName.Delete(append([]byte(name+"\x00"), k...)); err != nil {
			return r, stop, err
		}
		if err := addCount(counts, []byte(name), -1); err != nil {
			return r, stop, err
		}
		if err := addCount(counts, []byte("*"), -1); err != nil {
			return r, stop, err
		}
		if err := log.Delete(k); err != nil {
			return r, stop, err
		}
		r.Events++
		work += 1 + n
		last = seq
	}
	if last == 0 {
		return r, stop, nil
	}
	return r, stop, meta.Put(keyPrunedThrough, itob(last))
}

// detacher gives the deliveries of an event about to be pruned their own copy
// of its bytes. Fan-out makes deliveries in event order, so their EventSeqs
// never decrease along the deliveries bucket: those naming pruned events are
// found from a cursor kept in meta, never by scanning the whole bucket.
type detacher struct {
	tx   *bolt.Tx
	meta *bolt.Bucket
	// next is the EventSeq of the first delivery past the cursor, once read
	// (^0: no delivery names a later event), so events without deliveries
	// cost no read at all.
	next   uint64
	loaded bool
}

// detach copies the event at seq into every delivery naming it, and those
// before it, and moves the cursor past them. It returns how many it copied.
func (d *detacher) detach(seq uint64) (int, error) {
	if d.loaded && d.next > seq {
		return 0, nil
	}
	done := uint64(0)
	if v := d.meta.Get(keyPrunedDeliveries); v != nil {
		done = btoi(v)
	}
	// Collect first: a cursor must not walk a bucket while it is written.
	var hits []*deliveryRecord
	last := done
	d.next, d.loaded = ^uint64(0), true
	c := d.tx.Bucket(bucketDeliveries).Cursor()
	for k, v := c.Seek(itob(done + 1)); k != nil; k, v = c.Next() {
		var rec deliveryRecord
		if err := json.Unmarshal(v, &rec); err != nil {
			return 0, fmt.Errorf("delivery %d: %w", btoi(k), err)
		}
		if rec.EventSeq > seq {
			d.next = rec.EventSeq
			break
		}
		last = btoi(k)
		if rec.EventSeq != 0 { // 0: a sample event, which it holds already
			hits = append(hits, &rec)
		}
	}
	log := d.tx.Bucket(bucketEvents)
	for _, rec := range hits {
		// Fan-out order means every EventSeq here is seq itself; an earlier,
		// already gone one would have been detached with its event.
		ev := log.Get(itob(rec.EventSeq))
		if ev == nil {
			continue
		}
		raw, err := eventJSON(ev)
		if err != nil {
			return 0, err
		}
		rec.Payload, rec.EventSeq = raw, 0
		if err := putDelivery(d.tx, rec); err != nil {
			return 0, err
		}
	}
	if last == done {
		return len(hits), nil
	}
	return len(hits), d.meta.Put(keyPrunedDeliveries, itob(last))
}

// keepInTimeline stores an event's bytes in its ticket's timeline entry, if
// it has one, so the timeline still shows it once the log no longer does.
func keepInTimeline(tx *bolt.Tx, seq uint64, raw []byte) (bool, error) {
	if !bytes.Contains(raw, []byte(`"ticket_id":`)) {
		return false, nil // most events name no ticket
	}
	b := appending(tx.Bucket(bucketTicketEvents)) // entries before the cut never change again: pack them
	has := func(ticketID uint64) bool {
		key := ticketEventKey(ticketID, seq)
		k, _ := b.Cursor().Seek(key)
		return ticketID != 0 && bytes.Equal(k, key)
	}
	// A ticket's own events open their data with its id; the key must then
	// exist, so a guess that misses only costs the decode below.
	ticketID := leadingTicketID(raw)
	if !has(ticketID) {
		var ev struct {
			Data struct {
				TicketID uint64 `json:"ticket_id"`
			} `json:"data"`
		}
		if json.Unmarshal(raw, &ev) != nil || !has(ev.Data.TicketID) {
			return false, nil // in no timeline (a sample event from portal trigger, or not a ticket's)
		}
		ticketID = ev.Data.TicketID
	}
	return true, b.Put(ticketEventKey(ticketID, seq), raw)
}

// leadingTicketID reads N from the first `"data":{"ticket_id":N`, or 0.
func leadingTicketID(raw []byte) uint64 {
	const open = `"data":{"ticket_id":`
	i := bytes.Index(raw, []byte(open))
	if i < 0 {
		return 0
	}
	var n uint64
	for _, c := range raw[i+len(open):] {
		if c < '0' || c > '9' {
			return n
		}
		n = n*10 + uint64(c-'0')
	}
	return 0
}

// checkSince returns a *GoneError when events after since (a sequence, from
// the id since) may have been pruned: when since itself is gone.
func checkSince(tx *bolt.Tx, since uint64, id string) error {
	v := tx.Bucket(bucketMeta).Get(keyPrunedThrough)
	if v == nil || since > btoi(v) {
		return nil
	}
	oldest := ""
	if k, ev := tx.Bucket(bucketEvents).Cursor().First(); k != nil {
		oldest = eventIDOf(ev)
	}
	return &GoneError{Since: id, Oldest: oldest}
}

// Resume checks an event id a reader wants to resume after and returns its
// sequence: a *GoneError when the log no longer keeps it, a *NotFoundError
// when it was never this store's. hold, when set, is called first with the
// sequence the reader needs next, so the reader can hold it (see
// PruneOptions.Hold) before the check; a prune transaction that read the
// holds before that has committed by the time the check reads the log.
func (s *Store) Resume(id string, hold func(next uint64)) (uint64, error) {
	seq, err := parseEventID(id, s.mode)
	if err != nil {
		return 0, notFound("event")
	}
	if hold != nil {
		hold(seq + 1)
	}
	s.pruneMu.RLock()
	//lint:ignore SA2001 the empty section waits out a prune transaction already under way, no more
	s.pruneMu.RUnlock()
	err = s.view(func(tx *bolt.Tx) error {
		if err := checkSince(tx, seq, id); err != nil {
			return err
		}
		if v := tx.Bucket(bucketEvents).Get(itob(seq)); v == nil || eventIDOf(v) != id {
			return notFound("event")
		}
		return nil
	})
	return seq, err
}

// OldestEventID is the oldest event the log keeps ("" when it is empty).
func (s *Store) OldestEventID() (string, error) {
	var id string
	err := s.view(func(tx *bolt.Tx) error {
		if k, v := tx.Bucket(bucketEvents).Cursor().First(); k != nil {
			id = eventIDOf(v)
		}
		return nil
	})
	return id, err
}
