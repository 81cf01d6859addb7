package store

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"

	bolt "go.etcd.io/bbolt"
)

// Digest is a checksum of every bucket of the store: its keys, values,
// nested buckets and sequence. Two equal digests mean nothing was written in
// between, which is how a check proves that a store was left untouched
// (a test-mode walk over every route leaves live.db exactly as it was).
func (s *Store) Digest() (map[string]string, error) {
	out := map[string]string{}
	err := s.view(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			h := sha256.New()
			if err := digestBucket(h, b); err != nil {
				return err
			}
			out[string(name)] = hex.EncodeToString(h.Sum(nil))
			return nil
		})
	})
	return out, err
}

func digestBucket(h hash.Hash, b *bolt.Bucket) error {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], b.Sequence())
	h.Write(n[:])
	return b.ForEach(func(k, v []byte) error {
		binary.BigEndian.PutUint64(n[:], uint64(len(k)))
		h.Write(n[:])
		h.Write(k)
		if v == nil { // a nested bucket
			h.Write([]byte{1})
			return digestBucket(h, b.Bucket(k))
		}
		binary.BigEndian.PutUint64(n[:], uint64(len(v)))
		h.Write(n[:])
		h.Write(v)
		return nil
	})
}
