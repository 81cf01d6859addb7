package store

import (
	"encoding/binary"
	"math/bits"
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

// orderedUint packs v into as few bytes as it needs, led by their count, so
// that byte order is still numeric order (a shorter number is a smaller
// one): ids and times in index keys take 3 to 5 bytes instead of 8.
func orderedUint(v uint64) []byte { return appendOrderedUint(nil, v) }

func appendOrderedUint(b []byte, v uint64) []byte {
	n := (bits.Len64(v) + 7) / 8
	b = append(b, byte(n))
	for i := n - 1; i >= 0; i-- {
		b = append(b, byte(v>>(8*i)))
	}
	return b
}

// orderedUintValue reads what orderedUint wrote.
func orderedUintValue(b []byte) uint64 {
	var v uint64
	for _, c := range b[1:] {
		v = v<<8 | uint64(c)
	}
	return v
}
