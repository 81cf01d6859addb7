package store

// Fan-out: the dispatcher turns the log's events into deliveries, once.

import (
	"context"
	"encoding/json"

	bolt "go.etcd.io/bbolt"
)

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
		cursor := readCursor(tx, keyHooksCursor)
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
		return moveCursor(tx, keyHooksCursor, "webhook", cursor, last)
	})
	return n, err
}

// HooksCaughtUp reports whether every event has been fanned out.
func (s *Store) HooksCaughtUp() (bool, error) {
	var ok bool
	err := s.view(func(tx *bolt.Tx) error {
		ok = readCursor(tx, keyHooksCursor) >= tx.Bucket(bucketEvents).Sequence()
		return nil
	})
	return ok, err
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
