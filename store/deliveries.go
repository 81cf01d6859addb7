package store

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Delivery statuses.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// Delivery is one event on its way to one webhook, as the API shows it.
type Delivery struct {
	ID          string `json:"id"` // dlv_<n>
	WebhookID   uint64 `json:"webhook_id"`
	EventID     string `json:"event_id"`
	Event       string `json:"event"`
	Status      string `json:"status"`
	Attempts    int    `json:"attempts"`
	MaxAttempts int    `json:"max_attempts"`
	// QueuedAttempts counts the queue's own attempts, the ones max_attempts
	// limits: "Send test" and "Redeliver" do not use up its retries.
	QueuedAttempts int        `json:"queued_attempts"`
	NextAttemptAt  *time.Time `json:"next_attempt_at"`
	LastStatusCode int        `json:"last_status_code"`
	LastError      string     `json:"last_error"`
	Test           bool       `json:"test"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
}

// DeliveryDetail is a delivery with what it sends and every attempt.
type DeliveryDetail struct {
	Delivery
	Payload  json.RawMessage `json:"payload"` // the event object
	Attempts []Attempt       `json:"attempt_log"`
}

// Attempt is one try at a delivery: what was sent and what came back.
type Attempt struct {
	N               int               `json:"n"`
	At              time.Time         `json:"at"`
	Manual          bool              `json:"manual"` // "Send test" or "Redeliver"
	StatusCode      int               `json:"status_code"`
	LatencyMS       int64             `json:"latency_ms"`
	Error           string            `json:"error"`
	RequestHeaders  map[string]string `json:"request_headers"`
	RequestBody     json.RawMessage   `json:"request_body"` // our bodies are JSON: kept as is, not re-escaped
	ResponseHeaders map[string]string `json:"response_headers"`
	ResponseBody    string            `json:"response_body"` // the first 2 KiB
}

type deliveryRecord struct {
	Delivery
	Seq uint64 `json:"seq"`
	// EventSeq is the event's place in the log, which holds the payload;
	// a sample event ("Send test") is not in the log and keeps it here.
	EventSeq   uint64          `json:"event_seq,omitempty"`
	Payload    json.RawMessage `json:"payload,omitempty"`
	ReadyAt    int64           `json:"ready_at,omitempty"`    // unix nanos of its queue_ready key
	LeaseUntil int64           `json:"lease_until,omitempty"` // unix nanos of its queue_inflight key
}

const deliveryPrefix = "dlv_"

func deliveryID(seq uint64) string { return deliveryPrefix + strconv.FormatUint(seq, 10) }

// ParseDeliveryID returns the sequence of a dlv_ id.
func ParseDeliveryID(id string) (uint64, bool) {
	n, err := strconv.ParseUint(strings.TrimPrefix(id, deliveryPrefix), 10, 64)
	return n, err == nil && n > 0 && strings.HasPrefix(id, deliveryPrefix)
}

// inflightKey orders leases by expiry: be64 lease-until | be64 seq.
func inflightKey(until int64, seq uint64) []byte {
	k := make([]byte, 16)
	binary.BigEndian.PutUint64(k, uint64(until))
	binary.BigEndian.PutUint64(k[8:], seq)
	return k
}

// readyKey queues a delivery in its webhook's range, by due time:
// be64 webhook id | be64 due | be64 seq. Each receiver's queue is then one
// range, so a paused or busy receiver's backlog is never scanned past.
func readyKey(webhookID uint64, due int64, seq uint64) []byte {
	k := make([]byte, 24)
	binary.BigEndian.PutUint64(k, webhookID)
	binary.BigEndian.PutUint64(k[8:], uint64(due))
	binary.BigEndian.PutUint64(k[16:], seq)
	return k
}

func getDelivery(tx *bolt.Tx, seq uint64) (*deliveryRecord, error) {
	return getRecord[deliveryRecord](tx, bucketDeliveries, seq, "delivery")
}

func putDelivery(tx *bolt.Tx, d *deliveryRecord) error {
	raw, err := json.Marshal(d)
	if err != nil {
		return err
	}
	return appending(tx.Bucket(bucketDeliveries)).Put(itob(d.Seq), raw)
}

// schedule puts a delivery in the ready queue at t (replacing its old place).
func (d *deliveryRecord) schedule(tx *bolt.Tx, t time.Time) error {
	if err := d.unschedule(tx); err != nil {
		return err
	}
	d.ReadyAt = t.UnixNano()
	at := t.UTC()
	d.NextAttemptAt = &at
	return queuePut(tx.Bucket(bucketQueueReady), readyKey(d.WebhookID, d.ReadyAt, d.Seq))
}

// requeue puts a released delivery back in its webhook's queue at t, or ends
// it when the webhook no longer exists.
func (d *deliveryRecord) requeue(tx *bolt.Tx, t time.Time) error {
	if tx.Bucket(bucketWebhooks).Get(itob(d.WebhookID)) == nil {
		d.Status, d.LastError = DeliveryFailed, "webhook deleted"
		return d.unschedule(tx)
	}
	return d.schedule(tx, t)
}

func (d *deliveryRecord) unschedule(tx *bolt.Tx) error {
	if d.ReadyAt != 0 {
		if err := queueDelete(tx.Bucket(bucketQueueReady), readyKey(d.WebhookID, d.ReadyAt, d.Seq)); err != nil {
			return err
		}
	}
	d.ReadyAt, d.NextAttemptAt = 0, nil
	return nil
}

func (d *deliveryRecord) release(tx *bolt.Tx) error {
	if d.LeaseUntil != 0 {
		if err := queueDelete(tx.Bucket(bucketQueueInflight), inflightKey(d.LeaseUntil, d.Seq)); err != nil {
			return err
		}
	}
	d.LeaseUntil = 0
	return nil
}

// payloadOf returns a copy of the event object a delivery sends.
func payloadOf(tx *bolt.Tx, d *deliveryRecord) json.RawMessage {
	if d.EventSeq == 0 {
		return cloneBytes(d.Payload)
	}
	return cloneBytes(tx.Bucket(bucketEvents).Get(itob(d.EventSeq)))
}

// newDelivery creates a pending delivery to webhook w of the event at
// eventSeq in the log, or (eventSeq 0) of a sample payload.
func (s *Store) newDelivery(tx *bolt.Tx, w *Webhook, name, eventID string, eventSeq uint64, payload []byte, maxAttempts int) (*deliveryRecord, error) {
	seq, err := tx.Bucket(bucketDeliveries).NextSequence()
	if err != nil {
		return nil, err
	}
	now := s.clock()
	d := &deliveryRecord{Seq: seq, EventSeq: eventSeq, Payload: payload, Delivery: Delivery{ID: deliveryID(seq), WebhookID: w.ID,
		EventID: eventID, Event: name, Status: DeliveryPending, MaxAttempts: maxAttempts, CreatedAt: now, UpdatedAt: now}}
	key := appendU64(itob(w.ID), seq)
	if err := addCount(tx.Bucket(bucketWebhookDelivered), itob(w.ID), 1); err != nil {
		return nil, err
	}
	return d, appending(tx.Bucket(bucketWebhookDeliveries)).Put(key, nil)
}

// Route says how many attempts an event gets at a webhook; 0 means the
// webhook does not take the event.
type Route func(w *Webhook, event string) (maxAttempts int)

// FanOut turns up to limit events that follow the dispatcher's cursor into
// deliveries, and moves the cursor, in one transaction: each event reaches
// each matching webhook exactly once, even across a crash.
func (s *Store) FanOut(ctx context.Context, limit int, route Route) (int, error) {
	var n int
	err := s.update(ctx, func(tx *bolt.Tx) error {
		n = 0
		meta := tx.Bucket(bucketMeta)
		cursor := uint64(0)
		if v := meta.Get(keyHooksCursor); v != nil {
			cursor = btoi(v)
		}
		hooks, err := s.enabledWebhooks(tx)
		if err != nil {
			return err
		}
		now := s.now()
		c := tx.Bucket(bucketEvents).Cursor()
		last := cursor
		for k, v := c.Seek(itob(cursor + 1)); k != nil && n < limit; k, v = c.Next() {
			seq, name := btoi(k), eventName(v)
			last = seq
			n++
			for _, h := range hooks {
				if seq <= h.FromSeq {
					continue
				}
				attempts := route(&h.Webhook, name)
				if attempts == 0 {
					continue
				}
				d, err := s.newDelivery(tx, &h.Webhook, name, eventIDOf(v), seq, nil, attempts)
				if err != nil {
					return err
				}
				if err := d.schedule(tx, now); err != nil {
					return err
				}
				if err := putDelivery(tx, d); err != nil {
					return err
				}
			}
		}
		if last == cursor {
			return nil
		}
		return meta.Put(keyHooksCursor, itob(last))
	})
	return n, err
}

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
			out = append(out, Leased{Delivery: d.Delivery, Seq: d.Seq, Webhook: cd.w.Webhook, Payload: payloadOf(tx, d), Secrets: secrets})
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

func isNotFound(err error) bool {
	_, ok := err.(*NotFoundError)
	return ok
}

// Outcome is what an attempt means for its delivery.
type Outcome struct {
	Delivered bool
	Gone      bool       // 410: the receiver asks us to stop
	RetryAt   *time.Time // nil: no retry (the delivery fails, unless manual)
	// PauseUntil holds back the webhook's whole queue after a failure.
	PauseUntil *time.Time
	// Refused: the sender would not send it (its owner may no longer read
	// the event). The delivery fails without a retry, and the receiver is
	// not blamed: no failure streak, no pause.
	Refused bool
}

// RecordAttempt stores an attempt and its consequences in one transaction:
// the delivery's status or next retry, the webhook's failure streak, and
// disabling the webhook (with a webhook.disabled event) after 410 Gone or
// disableAfter consecutive failed attempts.
func (s *Store) RecordAttempt(ctx context.Context, seq uint64, a Attempt, o Outcome, disableAfter int) (Delivery, error) {
	var out Delivery
	err := s.update(ctx, func(tx *bolt.Tx) (err error) {
		out, err = s.recordAttempt(tx, seq, a, o, disableAfter)
		return err
	})
	return out, err
}

// AttemptRecord is one attempt for RecordAttempts.
type AttemptRecord struct {
	Seq     uint64
	Attempt Attempt
	Outcome Outcome
}

// RecordAttempts records many attempts in one transaction, as a busy sender
// does: one commit for a batch instead of one per request. If any fails,
// none is recorded and the caller records them one by one.
func (s *Store) RecordAttempts(ctx context.Context, batch []AttemptRecord, disableAfter int) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		for _, r := range batch {
			if _, err := s.recordAttempt(tx, r.Seq, r.Attempt, r.Outcome, disableAfter); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Store) recordAttempt(tx *bolt.Tx, seq uint64, a Attempt, o Outcome, disableAfter int) (Delivery, error) {
	d, err := getDelivery(tx, seq)
	if err != nil {
		return Delivery{}, err
	}
	if err := d.release(tx); err != nil {
		return Delivery{}, err
	}
	d.Attempts++
	if !a.Manual {
		d.QueuedAttempts++
	}
	a.N = d.Attempts
	raw, err := json.Marshal(a)
	if err != nil {
		return Delivery{}, err
	}
	k := make([]byte, 12)
	binary.BigEndian.PutUint64(k, seq)
	binary.BigEndian.PutUint32(k[8:], uint32(a.N))
	if err := appending(tx.Bucket(bucketAttempts)).Put(k, raw); err != nil {
		return Delivery{}, err
	}
	d.LastStatusCode, d.LastError, d.UpdatedAt = a.StatusCode, a.Error, s.clock()

	w, err := s.getWebhook(tx, d.WebhookID)
	if err != nil && !isNotFound(err) {
		return Delivery{}, err
	}
	if w != nil {
		if err := s.countAttempt(tx, w, o, a.Manual, disableAfter); err != nil {
			return Delivery{}, err
		}
	}
	switch {
	case o.Delivered:
		d.Status = DeliveryDelivered
		err = d.unschedule(tx)
	case o.RetryAt != nil && w != nil && w.Enabled:
		d.Status = DeliveryPending
		err = d.schedule(tx, *o.RetryAt)
		if w.PausedUntil != nil && w.PausedUntil.After(*o.RetryAt) {
			// Its receiver's pause holds it back longer than its own step.
			at := w.PausedUntil.UTC()
			d.NextAttemptAt = &at
		}
	case !a.Manual || (d.Status == DeliveryPending && d.ReadyAt == 0):
		d.Status = DeliveryFailed
		err = d.unschedule(tx)
	}
	if err != nil {
		return Delivery{}, err
	}
	return d.Delivery, putDelivery(tx, d)
}

// countAttempt keeps the webhook's failure streak and disables it when due.
func (s *Store) countAttempt(tx *bolt.Tx, w *webhookRecord, o Outcome, manual bool, disableAfter int) error {
	before := w.Webhook
	reason := ""
	switch {
	case o.Delivered:
		w.ConsecutiveFailures, w.PausedUntil = 0, nil
	case o.Refused:
	case o.Gone:
		w.ConsecutiveFailures++
		reason = "the receiver answered 410 Gone"
	case !manual:
		w.ConsecutiveFailures++
		w.PausedUntil = o.PauseUntil
		if disableAfter > 0 && w.ConsecutiveFailures >= disableAfter {
			reason = strconv.Itoa(w.ConsecutiveFailures) + " consecutive failed attempts"
		}
	}
	if reason != "" && w.Enabled {
		w.Enabled, w.DisabledReason, w.UpdatedAt = false, reason, s.clock()
		if _, err := s.appendEvent(tx, "webhook.disabled", ordered{}.with("webhook_id", w.ID).
			with("reason", reason).with("webhook", w.Webhook)); err != nil {
			return err
		}
	}
	if w.ConsecutiveFailures == before.ConsecutiveFailures && w.Enabled == before.Enabled && w.PausedUntil == before.PausedUntil {
		return nil
	}
	return putWebhook(tx, w)
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

// HooksCaughtUp reports whether every event has been fanned out.
func (s *Store) HooksCaughtUp() (bool, error) {
	var ok bool
	err := s.view(func(tx *bolt.Tx) error {
		cursor := uint64(0)
		if v := tx.Bucket(bucketMeta).Get(keyHooksCursor); v != nil {
			cursor = btoi(v)
		}
		ok = cursor >= tx.Bucket(bucketEvents).Sequence()
		return nil
	})
	return ok, err
}

// TestDelivery creates a delivery of a sample event (not in the log) for
// "Send test"; the caller sends it at once and records the attempt.
func (s *Store) TestDelivery(ctx context.Context, webhookID uint64, name string, data json.RawMessage, sealer *Sealer) (Leased, error) {
	var out Leased
	err := s.update(ctx, func(tx *bolt.Tx) error {
		w, err := s.getWebhook(tx, webhookID)
		if err != nil {
			return err
		}
		seq := tx.Bucket(bucketDeliveries).Sequence() + 1
		id := formatTaggedID(uint64(s.now().UnixMilli()), sampleTag|modeTag(s.mode), seq)
		actor := ActorFrom(ctx)
		payload, err := json.Marshal(Event{Event: name, EventID: id, Timestamp: s.clock(), StoreID: 1, Actor: &actor, Data: data})
		if err != nil {
			return err
		}
		d, err := s.newDelivery(tx, &w.Webhook, name, id, 0, payload, 1)
		if err != nil {
			return err
		}
		d.Test = true
		if err := putDelivery(tx, d); err != nil {
			return err
		}
		out, err = s.leased(tx, d, w, sealer)
		return err
	})
	return out, err
}

// leased is what a sender needs for delivery d to webhook w.
func (s *Store) leased(tx *bolt.Tx, d *deliveryRecord, w *webhookRecord, sealer *Sealer) (Leased, error) {
	secrets, err := w.secrets(sealer, s.now())
	if err != nil {
		return Leased{}, err
	}
	return Leased{Delivery: d.Delivery, Seq: d.Seq, Webhook: w.Webhook, Payload: payloadOf(tx, d), Secrets: secrets}, nil
}

// viewDelivery runs fn on the delivery with a dlv_ id, in a read transaction.
func (s *Store) viewDelivery(id string, fn func(tx *bolt.Tx, d *deliveryRecord) error) error {
	seq, ok := ParseDeliveryID(id)
	if !ok {
		return notFound("delivery")
	}
	return s.view(func(tx *bolt.Tx) error {
		d, err := getDelivery(tx, seq)
		if err != nil {
			return err
		}
		return fn(tx, d)
	})
}

// Redelivery returns a delivery ready to send again by hand.
func (s *Store) Redelivery(id string, sealer *Sealer) (Leased, error) {
	var out Leased
	err := s.viewDelivery(id, func(tx *bolt.Tx, d *deliveryRecord) error {
		w, err := s.getWebhook(tx, d.WebhookID)
		if err != nil {
			return err
		}
		out, err = s.leased(tx, d, w, sealer)
		return err
	})
	return out, err
}

// DeliveryDetail returns a delivery with its payload and attempts.
func (s *Store) DeliveryDetail(id string) (DeliveryDetail, error) {
	var out DeliveryDetail
	err := s.viewDelivery(id, func(tx *bolt.Tx, d *deliveryRecord) error {
		seq := d.Seq
		out = DeliveryDetail{Delivery: d.Delivery, Payload: payloadOf(tx, d), Attempts: []Attempt{}}
		c := tx.Bucket(bucketAttempts).Cursor()
		prefix := itob(seq)
		for k, v := c.Seek(prefix); len(k) == 12 && string(k[:8]) == string(prefix); k, v = c.Next() {
			var a Attempt
			if err := json.Unmarshal(v, &a); err != nil {
				return err
			}
			out.Attempts = append(out.Attempts, a)
		}
		return nil
	})
	return out, err
}

// WebhookDeliveries lists a webhook's deliveries, newest first.
func (s *Store) WebhookDeliveries(webhookID uint64, page, perPage int) (Page, error) {
	out := Page{Items: []json.RawMessage{}}
	page, perPage = max(page, 1), max(perPage, 1)
	err := s.view(func(tx *bolt.Tx) error {
		if _, err := s.getWebhook(tx, webhookID); err != nil {
			return err
		}
		prefix := itob(webhookID)
		c := tx.Bucket(bucketWebhookDeliveries).Cursor()
		// Walk back from the end of this webhook's range.
		k, _ := c.Seek(itob(webhookID + 1))
		if k == nil {
			k, _ = c.Last()
		} else {
			k, _ = c.Prev()
		}
		if v := tx.Bucket(bucketWebhookDelivered).Get(prefix); v != nil {
			out.Total = int(btoi(v))
		}
		skip := (page - 1) * perPage
		for ; k != nil && string(k[:8]) == string(prefix); k, _ = c.Prev() {
			if skip > 0 {
				skip--
				continue
			}
			if len(out.Items) == perPage {
				out.HasMore = true
				break
			}
			d, err := getDelivery(tx, binary.BigEndian.Uint64(k[8:]))
			if err != nil {
				return err
			}
			raw, err := json.Marshal(d.Delivery)
			if err != nil {
				return err
			}
			out.Items = append(out.Items, raw)
		}
		return nil
	})
	return out, err
}

// AppendSampleEvent adds an event with the given data to the log, as
// `portal trigger` does in the test store.
func (s *Store) AppendSampleEvent(ctx context.Context, name string, data json.RawMessage) (string, error) {
	var id string
	err := s.update(ctx, func(tx *bolt.Tx) (err error) {
		id, err = s.appendRawEvent(tx, name, data)
		return err
	})
	return id, err
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
