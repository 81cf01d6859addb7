package store

// The chain publisher's cursor: the last event seq NATS JetStream has
// acknowledged for this store (chain/). One per store: the live and the test
// store each keep their own in their own meta bucket.

import (
	"context"
	"time"

	bolt "go.etcd.io/bbolt"
)

var (
	keyNATSCursor    = []byte("nats_cursor")     // in meta: the last event seq JetStream acknowledged
	keyNATSStreamSeq = []byte("nats_stream_seq") // in meta: the stream seq of the cursor's message (0: not known)
)

// NATSCursor is the last event seq JetStream acknowledged for this store,
// and the newest seq in the log.
func (s *Store) NATSCursor() (cursor, last uint64, err error) {
	return s.cursorAndLast(keyNATSCursor)
}

// MoveNATSCursor moves the cursor from after to through in one commit, a
// compare-and-set (cursors.go), so two publishers (or a publisher and its
// own older self) never move it past each other. streamSeq is a stream
// sequence of one of our messages at or before the cursor after which every
// message of ours past the cursor lies (usually the cursor's own message),
// kept beside the cursor in the same commit so the publisher can read the
// stream back from there without trusting any clock; 0 keeps the point kept
// before, which stays true as the cursor moves on (it only reads more).
func (s *Store) MoveNATSCursor(ctx context.Context, after, through, streamSeq uint64) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		if err := moveCursor(tx, keyNATSCursor, "NATS", after, through); err != nil {
			return err
		}
		if streamSeq == 0 {
			return nil // the kept stream seq (an earlier event's message) stays
		}
		return tx.Bucket(bucketMeta).Put(keyNATSStreamSeq, itob(streamSeq))
	})
}

// NATSStreamSeq is the stream sequence MoveNATSCursor last kept (0: not
// known): the stream is read back from just after it.
func (s *Store) NATSStreamSeq() (uint64, error) {
	var seq uint64
	err := s.view(func(tx *bolt.Tx) error {
		seq = readCursor(tx, keyNATSStreamSeq)
		return nil
	})
	return seq, err
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
