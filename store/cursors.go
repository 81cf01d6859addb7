package store

// A log cursor is how far one consumer of the event log has come: the last
// event seq the webhook fan-out, the mailer or the chain publisher has
// passed, each kept in the meta bucket under its own key, moved in the same
// transaction as what the consumer made of those events.

import bolt "go.etcd.io/bbolt"

// readCursor is the cursor kept under key (0: the consumer has not started).
func readCursor(tx *bolt.Tx, key []byte) uint64 {
	if v := tx.Bucket(bucketMeta).Get(key); v != nil {
		return btoi(v)
	}
	return 0
}

// cursorAndLast reads the cursor under key and the log's newest seq: the
// consumer is caught up when they are equal.
func (s *Store) cursorAndLast(key []byte) (cursor, last uint64, err error) {
	err = s.view(func(tx *bolt.Tx) error {
		cursor, last = readCursor(tx, key), tx.Bucket(bucketEvents).Sequence()
		return nil
	})
	return cursor, last, err
}

// moveCursor moves the cursor under key from after to through, a
// compare-and-set: a cursor not at after (a second consumer, or the same
// one's older self) is a conflict and nothing moves. It never goes back nor
// past the log's newest event.
func moveCursor(tx *bolt.Tx, key []byte, what string, after, through uint64) error {
	if cursor := readCursor(tx, key); cursor != after {
		return Conflict("the %s cursor is at %d, not %d", what, cursor, after)
	}
	if through < after {
		return Conflict("the %s cursor cannot go back from %d to %d", what, after, through)
	}
	if last := tx.Bucket(bucketEvents).Sequence(); through > last {
		return Conflict("the %s cursor cannot pass the newest event %d", what, last)
	}
	if through == after {
		return nil
	}
	return tx.Bucket(bucketMeta).Put(key, itob(through))
}
