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
	srv := natstest.Start(t)
	js := connect(t, srv.URL)
	live := openStore(t, t.TempDir(), store.Live, nil)
	addEvents(t, live, 50)
	events, err := live.EventsAfter(0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(context.Background(), jetstream.StreamConfig{Name: DefaultStream, Subjects: []string{"portal.>"}, Duplicates: 100 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	publishAs(t, js, "downtown", live, events[:6])
	publishAs(t, js, "downtown", live, events[8:40])
	cfg := Config{URL: srv.URL, Shop: "downtown"}
	p1 := New(Options{Live: live})
	p1.batch = 1
	p1.Configure(cfg)
	ctx, crash := context.WithCancel(context.Background())
	p1.beforeCursor = func(m store.Mode, through uint64) error {
		if through > 7 {
			crash()
			return errCrash
		}
		return nil
	}
	if err := p1.Run(ctx); err != nil {
		t.Fatal(err)
	}
	p2 := New(Options{Live: live})
	p2.batch = testBatch
	sent := countSends(p2)
	runPublisher(t, p2, cfg)
	waitCaughtUp(t, live, "caught up")
	for seq := uint64(9); seq <= 40; seq++ {
		if n := sent.times(store.Live, seq); n > 0 {
			t.Errorf("event %d, stored before the crash, was sent again (%d times)", seq, n)
		}
	}
}

// The stream holds 1–4, 7–10, then 5 sent late, and not 6: reconcile moves
// the cursor to 5, and the publisher crashes before its next cursor write.
func TestReconcileAfterALateEventSendsNothingTwice(t *testing.T) {
	srv := natstest.Start(t)
	js := connect(t, srv.URL)
	live := openStore(t, t.TempDir(), store.Live, nil)
	addEvents(t, live, 20)
	events, err := live.EventsAfter(0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(context.Background(), jetstream.StreamConfig{Name: DefaultStream, Subjects: []string{"portal.>"}, Duplicates: 100 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	publishAs(t, js, "downtown", live, events[:4])
	publishAs(t, js, "downtown", live, events[6:10])
	publishAs(t, js, "downtown", live, events[4:5])
	cfg := Config{URL: srv.URL, Shop: "downtown"}
	p1 := New(Options{Live: live})
	p1.batch = testBatch
	p1.Configure(cfg)
	ctx, crash := context.WithCancel(context.Background())
	p1.beforeCursor = func(m store.Mode, through uint64) error { crash(); return errCrash }
	if err := p1.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if c := cursorOf(t, live); c != 5 {
		t.Fatalf("reconcile left the cursor at %d, want 5", c)
	}
	p2 := New(Options{Live: live})
	p2.batch = testBatch
	sent := countSends(p2)
	runPublisher(t, p2, cfg)
	waitCaughtUp(t, live, "caught up")
	for seq := uint64(7); seq <= 10; seq++ {
		if n := sent.times(store.Live, seq); n > 0 {
			t.Errorf("event %d, in the stream already, was sent again (%d times)", seq, n)
		}
	}
}
