package store

import (
	"encoding/binary"
	"time"
)

// Keys are big-endian so that bbolt's byte order is numeric order.

func itob(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

func btoi(b []byte) uint64 { return binary.BigEndian.Uint64(b) }

func appendU64(b []byte, v uint64) []byte { return binary.BigEndian.AppendUint64(b, v) }

// timeKey orders times; the zero time and anything before 1970 sort first.
func timeKey(t time.Time) uint64 {
	if t.IsZero() || t.Unix() < 0 {
		return 0
	}
	return uint64(t.Unix())
}

// optTimeKey sorts a missing time after every real one (no due date = last).
func optTimeKey(t *time.Time) uint64 {
	if t == nil {
		return ^uint64(0)
	}
	return timeKey(*t)
}

// cloneBytes copies a value read from bbolt, which is only valid inside its transaction.
func cloneBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	out := make([]byte, len(b))
	copy(out, b)
	return out
}
