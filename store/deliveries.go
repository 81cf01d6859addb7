package store

import (
	"encoding/binary"
	"encoding/json"
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
func payloadOf(tx *bolt.Tx, d *deliveryRecord) (json.RawMessage, error) {
	if d.EventSeq == 0 {
		return cloneBytes(d.Payload), nil
	}
	return eventJSON(tx.Bucket(bucketEvents).Get(itob(d.EventSeq)))
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

func isNotFound(err error) bool {
	_, ok := err.(*NotFoundError)
	return ok
}
