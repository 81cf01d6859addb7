package chain

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"portal/internal/natstest"
	"portal/store"
)

// A backlog larger than a batch, then changes one commit at a time while
// running: the stream holds the log, in order, once each; the status and the
// metrics say so.
func TestMirrorsInOrderOnceEach(t *testing.T) {
	srv := natstest.Start(t)
	live := openStore(t, t.TempDir(), store.Live, nil)
	addEvents(t, live, testBatch+500)
	p := startPublisher(t, Options{Live: live}, Config{URL: srv.URL, Shop: "downtown"})
	waitCaughtUp(t, live, "the backlog")
	for range 20 {
		addEvents(t, live, 3)
	}
	waitCaughtUp(t, live, "the new events")

	msgs := streamMsgs(t, srv, DefaultStream)
	checkMirror(t, live, "downtown", msgs)
	if !strings.HasPrefix(msgs[0].Subject, "portal.downtown.customer.created") {
		t.Fatalf("subject %q", msgs[0].Subject)
	}

	st := p.Status()
	_, last, _ := live.NATSCursor()
	if st.State != StateConnected || st.Error != "" || len(st.Stores) != 1 {
		t.Fatalf("status %+v", st)
	}
	ss := st.Stores[0]
	if ss.Store != "live" || ss.PublishedThrough != last || ss.LastEvent != last || ss.LagEvents != 0 || ss.LagSeconds != 0 || ss.LastPublishedAt == nil {
		t.Fatalf("store status %+v", ss)
	}
	if got := metric(t, p.reg, "portal_nats_published_total", "live"); got != float64(last) {
		t.Fatalf("published_total %v, want %d", got, last)
	}
	if got := metric(t, p.reg, "portal_nats_connected", ""); got != 1 {
		t.Fatalf("connected %v", got)
	}
	if h := p.Hold(store.Live)(); h != last+1 {
		t.Fatalf("hold %d when caught up, want %d (nothing held)", h, last+1)
	}

	// The stream it made: portal.>, file storage, a 2-minute duplicate window.
	stream, err := connect(t, srv.URL).Stream(context.Background(), DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	sc := stream.CachedInfo().Config
	if len(sc.Subjects) != 1 || sc.Subjects[0] != "portal.>" || sc.Storage != jetstream.FileStorage || sc.Duplicates != 2*time.Minute {
		t.Fatalf("stream config %+v", sc)
	}
}

// The hub goes away halfway through a backlog, with batches out and their
// acks and cursor writes pending (the second batch's cursor write is held
// until the server is down): the publisher says so, publishes nothing (no
// client-side buffer), holds what is unsent from the pruner, and once the
// hub is back it catches up with no event lost or repeated.
func TestServerStoppedHalfwayAndRestarted(t *testing.T) {
	srv := natstest.Start(t)
	live := openStore(t, t.TempDir(), store.Live, nil)
	total := uint64(8 * testBatch)
	addEvents(t, live, int(total))
	held, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	pub := New(Options{Live: live})
	pub.batch = testBatch
	pub.beforeCursor = func(m store.Mode, through uint64) error {
		if through > testBatch {
			once.Do(func() { close(held); <-release })
		}
		return nil
	}
	p := runPublisher(t, pub, Config{URL: srv.URL, Shop: "downtown"})
	<-held
	srv.Stop()
	close(release)
	srv.Stop()
	waitFor(t, "disconnected", func() bool { return p.Status().State == StateDisconnected })
	for range 10 {
		addEvents(t, live, 40)
	}
	cursor, last, _ := live.NATSCursor()
	if cursor >= total-testBatch {
		t.Fatalf("stopped with %d of %d events acknowledged: nothing was out", cursor, total)
	}
	t.Logf("stopped with %d of %d events acknowledged", cursor, total)
	st := p.Status()
	if st.Error == "" || st.ErrorAt == nil || st.Stores[0].LagEvents != last-cursor || st.Stores[0].LagSeconds < 0 {
		t.Fatalf("status while the hub is away: %+v", st)
	}
	if h := p.Hold(store.Live)(); h != cursor+1 {
		t.Fatalf("hold %d, want %d (the first event not acknowledged)", h, cursor+1)
	}
	if got := metric(t, p.reg, "portal_nats_lag_events", "live"); got != float64(last-cursor) {
		t.Fatalf("lag_events %v", got)
	}
	if got := metric(t, p.reg, "portal_nats_connected", ""); got != 0 {
		t.Fatalf("connected %v while away", got)
	}

	srv.Restart()
	waitCaughtUp(t, live, "the rest")
	checkMirror(t, live, "downtown", streamMsgs(t, srv, DefaultStream))
	waitFor(t, "connected", func() bool { return p.Status().State == StateConnected })
	if st := p.Status(); st.Error != "" {
		t.Fatalf("error %q once caught up", st.Error)
	}
}

var errCrash = errors.New("crashed between the ack and the cursor write")

// A publisher that dies after JetStream acknowledged a batch but before its
// cursor write, then a new one on the same store, with a stream whose
// duplicate window has passed: nothing is sent twice, because the stream's
// last message moves the cursor first.
func TestRestartBetweenAckAndCursorWrite(t *testing.T) {
	srv := natstest.Start(t)
	ctx := context.Background()
	// The hub's own stream, with a duplicate window too short to help.
	js := connect(t, srv.URL)
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "HUB", Subjects: []string{"portal.>"},
		Storage: jetstream.FileStorage, Duplicates: 100 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	live := openStore(t, t.TempDir(), store.Live, nil)
	// Exactly two batches: when the first publisher crashes at the second's
	// cursor write, nothing else is out, so the stream holds exactly them.
	addEvents(t, live, 2*testBatch)
	cfg := Config{URL: srv.URL, Shop: "downtown", Stream: "HUB"}

	p1 := New(Options{Live: live})
	p1.batch = testBatch
	p1.Configure(cfg)
	runCtx, crash := context.WithCancel(ctx)
	var crashedAt atomic.Uint64
	p1.beforeCursor = func(m store.Mode, through uint64) error {
		if through > testBatch { // the second batch: acknowledged, not recorded
			crashedAt.Store(through)
			crash()
			return errCrash
		}
		return nil
	}
	if err := p1.Run(runCtx); err != nil {
		t.Fatal(err)
	}
	cursor, _, _ := live.NATSCursor()
	if cursor != testBatch || crashedAt.Load() != 2*testBatch {
		t.Fatalf("cursor %d, crashed at %d", cursor, crashedAt.Load())
	}
	if st := p1.Status(); !strings.Contains(st.Error, "duplicates only 100ms") {
		t.Fatalf("a short duplicate window is not reported: %+v", st)
	}
	st, err := js.Stream(ctx, "HUB")
	if err != nil {
		t.Fatal(err)
	}
	if info, err := st.Info(ctx); err != nil || info.State.Msgs != 2*testBatch {
		t.Fatalf("the stream holds %v events (%v), want the two acknowledged batches", info.State.Msgs, err)
	}
	addEvents(t, live, 100) // written after the crash

	// Sends are counted, so no duplicate window has to pass for a second
	// copy to show: the new publisher sends only what the stream lacks.
	p2 := New(Options{Live: live})
	p2.batch = testBatch
	sent := countSends(p2)
	runPublisher(t, p2, cfg)
	waitCaughtUp(t, live, "the rest")
	checkMirror(t, live, "downtown", streamMsgs(t, srv, "HUB"))
	for seq := uint64(1); seq <= 2*testBatch; seq++ {
		if n := sent.times(store.Live, seq); n > 0 {
			t.Fatalf("event %d, acknowledged before the crash, was sent again", seq)
		}
	}
	if n := sent.count(store.Live); n != 100 {
		t.Fatalf("the new publisher sent %d events, want the 100 written after the crash", n)
	}
}

// The stream already holds the first events (sent by an earlier publisher
// whose cursor was lost), followed by one of the shop's test-mode events: the
// live cursor is found from the last live message all the same.
func TestReconcilesPastATestEvent(t *testing.T) {
	srv := natstest.Start(t)
	ctx := context.Background()
	dir := t.TempDir()
	live := openStore(t, dir, store.Live, nil)
	test := openStore(t, dir, store.Test, nil)
	addEvents(t, live, 300)
	addEvents(t, test, 5)
	js := connect(t, srv.URL)
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: DefaultStream, Subjects: []string{"portal.>"},
		Duplicates: 100 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	publish := func(s *store.Store, from, n int) {
		events, err := s.EventsAfter(uint64(from), n)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range events {
			m := &nats.Msg{Subject: subject("downtown", s.Mode(), ev.Name), Data: ev.JSON, Header: nats.Header{}}
			m.Header.Set(jetstream.MsgIDHeader, ev.ID)
			m.Header.Set(HeaderStore, string(s.Mode()))
			m.Header.Set(HeaderSeq, strconv.FormatUint(ev.Seq, 10))
			if _, err := js.PublishMsg(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
	}
	publish(live, 0, 120)
	publish(test, 0, 2)

	p := startPublisher(t, Options{Live: live, Test: test}, Config{URL: srv.URL, Shop: "downtown", IncludeTest: true})
	waitCaughtUp(t, live, "live")
	waitCaughtUp(t, test, "test")
	msgs := byStore(streamMsgs(t, srv, DefaultStream))
	checkMirror(t, live, "downtown", msgs["live"])
	checkMirror(t, test, "downtown", msgs["test"])
	if got := metric(t, p.reg, "portal_nats_published_total", "live"); got != 180 {
		t.Fatalf("published %v live events, want 180", got)
	}
}

// Test-mode events stay home unless included; including them later sends
// them, under portal.<shop>.test.
func TestTestModeOnlyWhenIncluded(t *testing.T) {
	srv := natstest.Start(t)
	dir := t.TempDir()
	live := openStore(t, dir, store.Live, nil)
	test := openStore(t, dir, store.Test, nil)
	addEvents(t, live, 10)
	addEvents(t, test, 7)
	cfg := Config{URL: srv.URL, Shop: "downtown"}
	p := startPublisher(t, Options{Live: live, Test: test}, cfg)
	waitCaughtUp(t, live, "live")
	addEvents(t, live, 1) // a pass after the test store's events were there
	waitCaughtUp(t, live, "live again")
	msgs := streamMsgs(t, srv, DefaultStream)
	checkMirror(t, live, "downtown", msgs)
	if c, _, _ := test.NATSCursor(); c != 0 {
		t.Fatalf("test cursor %d", c)
	}
	if st := p.Status(); len(st.Stores) != 1 || st.IncludeTest {
		t.Fatalf("status %+v", st)
	}
	if h := p.Hold(store.Test)(); h != 0 {
		t.Fatalf("test hold %d while test is not included", h)
	}

	cfg.IncludeTest = true
	p.Configure(cfg)
	waitCaughtUp(t, test, "test")
	byS := byStore(streamMsgs(t, srv, DefaultStream))
	checkMirror(t, live, "downtown", byS["live"])
	checkMirror(t, test, "downtown", byS["test"])
	if !strings.HasPrefix(byS["test"][0].Subject, "portal.downtown.test.customer.created") {
		t.Fatalf("test subject %q", byS["test"][0].Subject)
	}
	if st := p.Status(); len(st.Stores) != 2 || st.Stores[1].Store != "test" || st.Stores[1].PublishedThrough != 7 {
		t.Fatalf("status %+v", st)
	}
}

// Switched off, the publisher lets go of the hub and holds nothing; on
// again, it sends what was written meanwhile.
func TestConfigureOffAndOn(t *testing.T) {
	srv := natstest.Start(t)
	live := openStore(t, t.TempDir(), store.Live, nil)
	addEvents(t, live, 5)
	cfg := Config{URL: srv.URL, Shop: "downtown"}
	p := startPublisher(t, Options{Live: live}, cfg)
	waitCaughtUp(t, live, "on")

	p.Configure(Config{})
	waitFor(t, "the connection closed", func() bool { return metric(t, p.reg, "portal_nats_connected", "") == 0 })
	addEvents(t, live, 5)
	st := p.Status()
	if st.State != StateOff || len(st.Stores) != 0 || st.URL != "" {
		t.Fatalf("status when off: %+v", st)
	}
	if h := p.Hold(store.Live)(); h != 0 {
		t.Fatalf("hold %d when off", h)
	}
	if got := metric(t, p.reg, "portal_nats_lag_events", "live"); got != 0 {
		t.Fatalf("lag_events %v when off", got)
	}
	if c, _, _ := live.NATSCursor(); c != 5 {
		t.Fatalf("cursor %d moved while off", c)
	}

	p.Configure(cfg)
	waitCaughtUp(t, live, "on again")
	checkMirror(t, live, "downtown", streamMsgs(t, srv, DefaultStream))
}

// The lag in events and seconds, with an injected clock: the age of the
// oldest event JetStream has not acknowledged, 0 once caught up.
func TestLagFigures(t *testing.T) {
	srv := natstest.Start(t)
	srv.Stop() // the hub is away from the start
	c := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	live := openStore(t, t.TempDir(), store.Live, c.Now)
	addEvents(t, live, 3)
	c.Add(30 * time.Second)
	addEvents(t, live, 2)
	c.Add(60 * time.Second)
	p := startPublisher(t, Options{Live: live, Now: c.Now}, Config{URL: srv.URL, Shop: "downtown"})
	waitFor(t, "the failed connect", func() bool { return p.Status().State == StateDisconnected })

	st := p.Status().Stores[0]
	if st.LagEvents != 5 || st.LagSeconds != 90 || st.PublishedThrough != 0 || st.LastPublishedAt != nil {
		t.Fatalf("lag %+v, want 5 events, 90 s", st)
	}
	if got := metric(t, p.reg, "portal_nats_lag_seconds", "live"); got != 90 {
		t.Fatalf("lag_seconds %v", got)
	}
	if got := metric(t, p.reg, "portal_nats_lag_events", "live"); got != 5 {
		t.Fatalf("lag_events %v", got)
	}
	if e := p.Status(); e.ErrorAt == nil || !e.ErrorAt.Equal(c.Now()) || !strings.Contains(e.Error, "cannot connect") {
		t.Fatalf("error %q at %v", e.Error, e.ErrorAt)
	}

	srv.Restart()
	p.Configure(Config{URL: srv.URL, Shop: "downtown"}) // no need to wait out the backoff
	waitCaughtUp(t, live, "caught up")
	st = p.Status().Stores[0]
	if st.LagEvents != 0 || st.LagSeconds != 0 || st.PublishedThrough != 5 || st.LastPublishedAt == nil || !st.LastPublishedAt.Equal(c.Now()) {
		t.Fatalf("caught up: %+v", st)
	}
	if got := metric(t, p.reg, "portal_nats_lag_seconds", "live"); got != 0 {
		t.Fatalf("lag_seconds %v once caught up", got)
	}
}

// A stream that does not take this shop's subjects is an error in the
// status, and nothing is published.
func TestStreamWithoutOurSubjects(t *testing.T) {
	srv := natstest.Start(t)
	js := connect(t, srv.URL)
	if _, err := js.CreateStream(context.Background(), jetstream.StreamConfig{Name: "OTHER", Subjects: []string{"portal.uptown.>"}}); err != nil {
		t.Fatal(err)
	}
	live := openStore(t, t.TempDir(), store.Live, nil)
	addEvents(t, live, 2)
	p := startPublisher(t, Options{Live: live}, Config{URL: srv.URL, Shop: "downtown", Stream: "OTHER"})
	waitFor(t, "the error", func() bool { return strings.Contains(p.Status().Error, "does not take the subjects portal.downtown.>") })
	if c, _, _ := live.NATSCursor(); c != 0 {
		t.Fatalf("cursor %d", c)
	}
}

// A hub that wants a password: the wrong one is an error in the status that
// never shows it; the right one publishes.
func TestPasswordNeverInTheStatus(t *testing.T) {
	srv := natstest.Start(t, natstest.WithUser("alice", "s3cret-pw"))
	live := openStore(t, t.TempDir(), store.Live, nil)
	addEvents(t, live, 3)
	wrong := strings.Replace(srv.URL, "nats://", "nats://alice:wr0ng-pw@", 1)
	p := startPublisher(t, Options{Live: live}, Config{URL: wrong, Shop: "downtown"})
	waitFor(t, "the refusal", func() bool { return p.Status().Error != "" })
	st := p.Status()
	if strings.Contains(st.Error, "wr0ng-pw") || strings.Contains(st.URL, "wr0ng-pw") || !strings.Contains(st.URL, "***@") ||
		!strings.Contains(strings.ToLower(st.Error), "authorization") {
		t.Fatalf("status %+v", st)
	}
	p.Configure(Config{URL: strings.Replace(srv.URL, "nats://", "nats://alice:s3cret-pw@", 1), Shop: "downtown"})
	waitCaughtUp(t, live, "published")
}

// The branch's clock runs an hour ahead of the hub's (event ids' times never
// step back, so a clock once ahead keeps them ahead): a publisher that dies
// between JetStream's ack and its cursor write is followed by one that
// sends nothing of what was acknowledged. Crashed on the second batch, the
// stream seq kept beside the cursor says where to read back from; on the
// first (no stream seq kept yet), the stream is read from its start.
func TestRestartBetweenAckAndCursorWriteWithTheClockAhead(t *testing.T) {
	for _, crashAt := range []uint64{2 * testBatch, testBatch} {
		t.Run(fmt.Sprint(crashAt), func(t *testing.T) {
			srv := natstest.Start(t)
			c := &clock{t: time.Now().Add(time.Hour)}
			live := openStore(t, t.TempDir(), store.Live, c.Now)
			addEvents(t, live, 3*testBatch)
			cfg := Config{URL: srv.URL, Shop: "downtown"}
			p1 := New(Options{Live: live, Now: c.Now})
			p1.batch = testBatch
			p1.Configure(cfg)
			ctx, crash := context.WithCancel(context.Background())
			p1.beforeCursor = func(m store.Mode, through uint64) error {
				if through >= crashAt {
					crash()
					return errCrash
				}
				return nil
			}
			if err := p1.Run(ctx); err != nil {
				t.Fatal(err)
			}
			if cursor, _, _ := live.NATSCursor(); cursor != crashAt-testBatch {
				t.Fatalf("cursor %d, want %d", cursor, crashAt-testBatch)
			}
			p2 := New(Options{Live: live, Now: c.Now})
			p2.batch = testBatch
			sent := countSends(p2)
			runPublisher(t, p2, cfg)
			waitCaughtUp(t, live, "the rest")
			for seq := uint64(1); seq <= crashAt; seq++ {
				if n := sent.times(store.Live, seq); n > 0 {
					t.Fatalf("event %d, acknowledged before the crash, was sent again", seq)
				}
			}
			checkMirror(t, live, "downtown", streamMsgs(t, srv, DefaultStream))
		})
	}
}

// A new hub (the stream made again): the stream seq kept beside the cursor
// names no message of the shop there, so it is not trusted, and what a
// publisher that died between the ack and its cursor write sent to the new
// stream is still found and not sent again.
func TestKeptStreamSeqIsCheckedOnANewStream(t *testing.T) {
	srv := natstest.Start(t)
	live := openStore(t, t.TempDir(), store.Live, nil)
	addEvents(t, live, testBatch+10)
	cfg := Config{URL: srv.URL, Shop: "downtown"}
	p1 := startPublisher(t, Options{Live: live}, cfg)
	waitCaughtUp(t, live, "the first events")
	p1.stop()
	if sseq, _ := live.NATSStreamSeq(); sseq != testBatch+10 {
		t.Fatalf("stream seq %d kept, want %d", sseq, testBatch+10)
	}
	if err := connect(t, srv.URL).DeleteStream(context.Background(), DefaultStream); err != nil {
		t.Fatal(err)
	}
	addEvents(t, live, 3*testBatch)
	p2 := New(Options{Live: live})
	p2.batch = testBatch
	p2.Configure(cfg)
	ctx, crash := context.WithCancel(context.Background())
	crashAt := uint64(2*testBatch + 10)
	p2.beforeCursor = func(m store.Mode, through uint64) error {
		if through >= crashAt {
			crash()
			return errCrash
		}
		return nil
	}
	if err := p2.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if cursor, _, _ := live.NATSCursor(); cursor != testBatch+10 {
		t.Fatalf("cursor %d, want %d", cursor, testBatch+10)
	}
	p3 := New(Options{Live: live})
	p3.batch = testBatch
	sent := countSends(p3)
	runPublisher(t, p3, cfg)
	waitCaughtUp(t, live, "the rest")
	for seq := uint64(1); seq <= crashAt; seq++ {
		if n := sent.times(store.Live, seq); n > 0 {
			t.Fatalf("event %d, acknowledged before the crash, was sent again", seq)
		}
	}
	msgs := streamMsgs(t, srv, DefaultStream)
	if len(msgs) != 3*testBatch || msgs[0].Seq != testBatch+11 {
		t.Fatalf("the new stream holds %d events from %d", len(msgs), msgs[0].Seq)
	}
}
