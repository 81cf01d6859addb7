package store

// Attempts: recording what one try at a delivery came to, and what follows
// from it for the delivery and its webhook.

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

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
