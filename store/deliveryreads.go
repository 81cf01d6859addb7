package store

// Reading deliveries for the API, and handing one to a sender by hand
// ("Send test", "Redeliver").

import (
	"context"
	"encoding/binary"
	"encoding/json"

	bolt "go.etcd.io/bbolt"
)

// DeliveryDetail is a delivery with what it sends and every attempt.
type DeliveryDetail struct {
	Delivery
	Payload  json.RawMessage `json:"payload"` // the event object
	Attempts []Attempt       `json:"attempt_log"`
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
	payload, err := payloadOf(tx, d)
	if err != nil {
		return Leased{}, err
	}
	return Leased{Delivery: d.Delivery, Seq: d.Seq, Webhook: w.Webhook, Payload: payload, Secrets: secrets}, nil
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
		payload, err := payloadOf(tx, d)
		if err != nil {
			return err
		}
		out = DeliveryDetail{Delivery: d.Delivery, Payload: payload, Attempts: []Attempt{}}
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
