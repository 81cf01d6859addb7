package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The chain publisher's cursor is a compare-and-set that never goes back nor
// past the log, kept apart in the live and test stores, and across a reopen.
func TestNATSCursorIsACompareAndSet(t *testing.T) {
	s, clock := openTestClock(t)
	ctx := context.Background()
	if c, last, err := s.NATSCursor(); err != nil || c != 0 || last != 0 {
		t.Fatalf("a new store: cursor %d, last %d, %v", c, last, err)
	}
	mustCustomer(t, s, CustomerInput{Name: "Ada"})
	clock.Advance(1500 * time.Millisecond)
	mustCustomer(t, s, CustomerInput{Name: "Grace"})
	mustCustomer(t, s, CustomerInput{Name: "Linus"})

	var ce *ConflictError
	for _, bad := range [][2]uint64{{1, 2}, {0, 4}} { // not where it is; past the log
		if err := s.MoveNATSCursor(ctx, bad[0], bad[1], 0); !errors.As(err, &ce) {
			t.Fatalf("MoveNATSCursor(%d, %d): %v, want a conflict", bad[0], bad[1], err)
		}
	}
	if err := s.MoveNATSCursor(ctx, 0, 2, 17); err != nil {
		t.Fatal(err)
	}
	if err := s.MoveNATSCursor(ctx, 0, 3, 0); !errors.As(err, &ce) {
		t.Fatalf("a stale after: %v", err)
	}
	if err := s.MoveNATSCursor(ctx, 2, 1, 0); !errors.As(err, &ce) {
		t.Fatalf("back: %v", err)
	}
	if err := s.MoveNATSCursor(ctx, 2, 2, 0); err != nil {
		t.Fatalf("staying put: %v", err)
	}
	if c, last, _ := s.NATSCursor(); c != 2 || last != 3 {
		t.Fatalf("cursor %d, last %d", c, last)
	}
	// A stream seq is kept beside the cursor: a point in the stream after
	// which every message of ours past the cursor lies. A move without one
	// keeps the older point, which stays true (it only reads more).
	if sseq, err := s.NATSStreamSeq(); err != nil || sseq != 17 {
		t.Fatalf("stream seq %d, %v; want 17", sseq, err)
	}
	if err := s.MoveNATSCursor(ctx, 2, 3, 0); err != nil {
		t.Fatal(err)
	}
	if sseq, _ := s.NATSStreamSeq(); sseq != 17 {
		t.Fatalf("stream seq %d after a move without one; want the older 17", sseq)
	}
	if err := s.MoveNATSCursor(ctx, 3, 3, 40); err != nil {
		t.Fatal(err)
	}
	if sseq, _ := s.NATSStreamSeq(); sseq != 40 {
		t.Fatalf("stream seq %d, want 40", sseq)
	}
	// The mail consumer's cursor is its own.
	if c, _, _ := s.MailCursor(); c != 0 {
		t.Fatalf("the mail cursor moved to %d", c)
	}

	// An event's time and seq from its id.
	events, _ := s.EventsAfter(1, 1)
	id := eventIDOf(mustRaw(t, s, events[0].Seq))
	at, seq, err := s.EventIDTime(id)
	if err != nil || seq != 2 || !at.Equal(clock.Now().Truncate(time.Millisecond)) {
		t.Fatalf("EventIDTime(%s) = %v, %d, %v; want %v, 2", id, at, seq, err, clock.Now())
	}

	test := openAt(t, filepath.Join(t.TempDir(), "test.db"), Options{Mode: Test})
	if _, _, err := test.EventIDTime(id); err == nil {
		t.Fatal("the test store reads a live event id as its own")
	}
	if c, _, _ := test.NATSCursor(); c != 0 {
		t.Fatalf("the test store's cursor is %d", c)
	}

	s = reopen(t, s, Options{Now: clock.Now})
	if c, _, _ := s.NATSCursor(); c != 3 {
		t.Fatalf("after a reopen the cursor is %d", c)
	}
	if sseq, _ := s.NATSStreamSeq(); sseq != 40 {
		t.Fatalf("after a reopen the stream seq is %d", sseq)
	}
}

func mustRaw(t *testing.T, s *Store, seq uint64) []byte {
	t.Helper()
	var raw []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		raw = append([]byte(nil), tx.Bucket(bucketEvents).Get(itob(seq))...)
		return nil
	})
	if err != nil || raw == nil {
		t.Fatalf("event %d: %v", seq, err)
	}
	return raw
}
