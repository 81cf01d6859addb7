package store

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// Index keys are compared as bytes; packed numbers must keep numeric order
// and read back as written, at every length.
func TestOrderedUintKeepsOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	values := []uint64{0, 1, 255, 256, 65535, 65536, 1<<56 - 1, 1 << 56, ^uint64(0)}
	for range 2000 {
		values = append(values, rng.Uint64()>>rng.IntN(64))
	}
	for _, a := range values {
		if got := orderedUintValue(orderedUint(a)); got != a {
			t.Fatalf("orderedUint(%d) reads back as %d", a, got)
		}
		for _, b := range values[:40] {
			if want, got := cmpUint(a, b), bytes.Compare(orderedUint(a), orderedUint(b)); want != got {
				t.Fatalf("%d vs %d: bytes compare %d, numbers %d", a, b, got, want)
			}
		}
	}
}

func TestIndexKeysEndWithTheirID(t *testing.T) {
	tb := newTable("things", nil, []string{"id"})
	for _, id := range []uint64{1, 255, 256, 70000, 1 << 40, ^uint64(0)} {
		for _, k := range [][]byte{
			tb.indexKey(nil, nil, id),
			tb.indexKey([]byte("In Progress"), orderedUint(1_700_000_000), id),
			tb.indexKey(orderedUint(0), []byte("name\x00"), id),
		} {
			if got := indexedID(k); got != id {
				t.Fatalf("key %x reads as id %d, want %d", k, got, id)
			}
		}
	}
	// Within one filter value and sort value, keys follow their ids.
	if bytes.Compare(tb.indexKey(nil, orderedUint(5), 255), tb.indexKey(nil, orderedUint(5), 256)) >= 0 {
		t.Fatal("id 255's key does not sort before id 256's")
	}
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
