package store

import (
	"bytes"

	bolt "go.etcd.io/bbolt"
)

// The delivery queue's buckets (queue_ready, queue_inflight) keep their key
// count in the bucket's sequence, which their composite keys leave unused,
// so QueueDepth reads two numbers instead of walking every page of a
// backlog. Invariant: every Put and Delete in those buckets goes through
// queuePut and queueDelete; the count then equals the number of keys.

// queuePut adds key to a queue bucket, counting it if it is new.
func queuePut(b *bolt.Bucket, key []byte) error {
	if !hasKey(b, key) {
		if err := b.SetSequence(b.Sequence() + 1); err != nil {
			return err
		}
	}
	return b.Put(key, nil)
}

// queueDelete removes key from a queue bucket, uncounting it if it was there.
func queueDelete(b *bolt.Bucket, key []byte) error {
	if !hasKey(b, key) {
		return nil
	}
	if err := b.SetSequence(b.Sequence() - 1); err != nil {
		return err
	}
	return b.Delete(key)
}

// hasKey tells a present key with a nil value from an absent one, which
// Get cannot.
func hasKey(b *bolt.Bucket, key []byte) bool {
	k, _ := b.Cursor().Seek(key)
	return k != nil && bytes.Equal(k, key)
}

// countQueues sets each queue bucket's count from its keys, once, for
// stores written before the count was kept.
func countQueues(tx *bolt.Tx) error {
	for _, name := range [][]byte{bucketQueueReady, bucketQueueInflight} {
		b := tx.Bucket(name)
		if err := b.SetSequence(uint64(b.Stats().KeyN)); err != nil {
			return err
		}
	}
	return nil
}
