package store

import (
	"math/rand/v2"
	"slices"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// Postings hold exactly the ids put and not taken away, across chunk
// boundaries, as a list while small and a bitmap once larger, and a
// container that empties is deleted.
func TestPostingsMatchASetThroughAddsAndRemoves(t *testing.T) {
	s := openTest(t)
	rng := rand.New(rand.NewPCG(3, 4))
	want := map[uint64]bool{}
	err := s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("postings_test"))
		if err != nil {
			return err
		}
		for round := 0; round < 40; round++ {
			var ids []uint64
			for range 1 + rng.IntN(400) {
				ids = append(ids, uint64(rng.IntN(3*chunkSize)))
			}
			remove := round%3 == 2
			if err := changePostings(b, "iphone", ids, remove); err != nil {
				return err
			}
			for _, id := range ids {
				if remove {
					delete(want, id)
				} else {
					want[id] = true
				}
			}
			var got []uint64
			kinds := map[byte]int{}
			err := b.ForEach(func(k, v []byte) error {
				if len(v) == 0 {
					t.Fatalf("round %d: empty container kept", round)
				}
				kinds[v[0]]++
				if v[0] == containerList && len(v) > 1+2*maxListLen {
					t.Fatalf("round %d: a list of %d entries should be a bitmap", round, (len(v)-1)/2)
				}
				eachPosting(chunkOf(k), v, func(id uint64) { got = append(got, id) })
				return nil
			})
			if err != nil {
				return err
			}
			slices.Sort(got)
			wantList := sortedKeys(want)
			if !slices.Equal(got, wantList) {
				t.Fatalf("round %d: %d ids stored, want %d", round, len(got), len(wantList))
			}
			set := newIDSet(3 * chunkSize)
			b.ForEach(func(k, v []byte) error { set.addChunk(chunkOf(k), v); return nil })
			var viaSet []uint64
			set.each(false, func(id uint64) { viaSet = append(viaSet, id) })
			if !slices.Equal(viaSet, wantList) {
				t.Fatalf("round %d: the query's bitset reads %d ids, want %d", round, len(viaSet), len(wantList))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func sortedKeys(m map[uint64]bool) []uint64 {
	out := make([]uint64, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
