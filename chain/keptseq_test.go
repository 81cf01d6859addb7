package chain

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"portal/internal/natstest"
	"portal/store"
)

// The stream seq kept beside the cursor is where reading back starts, so it
// must lie before every message of ours past the cursor. A late-sent event's
// own message does not: events after it were stored before it. These two
// cases sent events 9–40 (and 7–10) a second time after the duplicate
// window before the kept seq became a floor rather than the cursor's own
// message. Sends are counted through the hook, so no duplicate window has
// to expire for the test to see one.

// Two events refused in a row (7 and 8), 9–40 stored after them; the
// careful retry puts the cursor on 7, sent late, and the publisher crashes
// before the next cursor write.
func TestTwoRefusedThenACrashSendsNothingTwice(t *testing.T) {
	_, live, cfg := leftByEarlier(t, 50, 100*time.Millisecond, [2]int{0, 6}, [2]int{8, 40})
	crashesAt(t, live, cfg, 1, func(through uint64) bool { return through > 7 })
	sent := resumes(t, live, cfg)
	for seq := uint64(9); seq <= 40; seq++ {
		if n := sent.times(store.Live, seq); n > 0 {
			t.Errorf("event %d, stored before the crash, was sent again (%d times)", seq, n)
		}
	}
}

// The stream holds 1–4, 7–10, then 5 sent late, and not 6: reconcile moves
// the cursor to 5, and the publisher crashes before its next cursor write.
func TestReconcileAfterALateEventSendsNothingTwice(t *testing.T) {
	_, live, cfg := leftByEarlier(t, 20, 100*time.Millisecond, [2]int{0, 4}, [2]int{6, 10}, [2]int{4, 5})
	crashesAt(t, live, cfg, testBatch, func(uint64) bool { return true })
	if c := cursorOf(t, live); c != 5 {
		t.Fatalf("reconcile left the cursor at %d, want 5", c)
	}
	sent := resumes(t, live, cfg)
	for seq := uint64(7); seq <= 10; seq++ {
		if n := sent.times(store.Live, seq); n > 0 {
			t.Errorf("event %d, in the stream already, was sent again (%d times)", seq, n)
		}
	}
}

// leftByEarlier starts a hub whose stream (duplicate window dup) holds the
// parts [from, to) of a fresh n-event log, in the order given, as an
// earlier publisher left them there.
func leftByEarlier(t *testing.T, n int, dup time.Duration, parts ...[2]int) (*natstest.Server, *store.Store, Config) {
	t.Helper()
	srv := natstest.Start(t)
	js := connect(t, srv.URL)
	live := openStore(t, t.TempDir(), store.Live, nil)
	addEvents(t, live, n)
	events, err := live.EventsAfter(0, n)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(context.Background(), jetstream.StreamConfig{Name: DefaultStream, Subjects: []string{"portal.>"}, Duplicates: dup}); err != nil {
		t.Fatal(err)
	}
	for _, part := range parts {
		publishAs(t, js, "downtown", live, events[part[0]:part[1]])
	}
	return srv, live, Config{URL: srv.URL, Shop: "downtown"}
}

// crashesAt runs a publisher of batch events a batch over live until
// dies(through) says a cursor write is where it crashes: that write is
// not made.
func crashesAt(t *testing.T, live *store.Store, cfg Config, batch int, dies func(through uint64) bool) {
	t.Helper()
	p := New(Options{Live: live})
	p.batch = batch
	p.Configure(cfg)
	ctx, crash := context.WithCancel(context.Background())
	p.beforeCursor = func(_ store.Mode, through uint64) error {
		if dies(through) {
			crash()
			return errCrash
		}
		return nil
	}
	if err := p.Run(ctx); err != nil {
		t.Fatal(err)
	}
}

// resumes runs a new publisher over live until it is caught up, and
// answers what it sent.
func resumes(t *testing.T, live *store.Store, cfg Config) *sends {
	t.Helper()
	p := New(Options{Live: live})
	p.batch = testBatch
	sent := countSends(p)
	runPublisher(t, p, cfg)
	waitCaughtUp(t, live, "caught up")
	return sent
}
