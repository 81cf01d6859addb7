package store

// The chain publisher's cursor: the last event seq NATS JetStream has
// acknowledged for this store (chain/). One per store: the live and the test
// store each keep their own in their own meta bucket.

import (
	"context"
	"time"

	bolt "go.etcd.io/bbolt"
)

var keyNATSCursor = []byte("nats_cursor") // in meta: the last event seq JetStream acknowledged

// NATSCursor is the last event seq JetStream acknowledged for this store,
// and the newest seq in the log.
func (s *Store) NATSCursor() (cursor, last uint64, err error) {
	return s.cursorAndLast(keyNATSCursor)
}

// MoveNATSCursor moves the cursor from after to through in one commit, a
// compare-and-set (cursors.go), so two publishers (or a publisher and its
// own older self) never move it past each other.
func (s *Store) MoveNATSCursor(ctx context.Context, after, through uint64) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		return moveCursor(tx, keyNATSCursor, "NATS", after, through)
	})
}

// EventIDTime returns the time an event id was minted at (the log's clock,
// to the millisecond) and its log seq, when the id was minted by this store.
func (s *Store) EventIDTime(id string) (time.Time, uint64, error) {
	seq, err := parseEventID(id, s.mode)
	if err != nil {
		return time.Time{}, 0, err
	}
	ms, err := eventIDMillis(id)
	if err != nil {
		return time.Time{}, 0, err
	}
	return time.UnixMilli(int64(ms)).UTC(), seq, nil
}
