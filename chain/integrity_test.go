package chain

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"portal/internal/natstest"
	"portal/store"
)

// startSmall runs a JetStream server that takes messages of at most
// maxPayload bytes.
func startSmall(t *testing.T, maxPayload int32) *natstest.Server {
	t.Helper()
	opts := &server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true, MaxPayload: maxPayload}
	srv, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("the server is not ready")
	}
	t.Cleanup(srv.Shutdown)
	return &natstest.Server{URL: srv.ClientURL()}
}

// addBig writes one customer.created event of about 9 KB.
func addBig(t *testing.T, s *store.Store) {
	t.Helper()
	if _, err := s.CreateCustomer(context.Background(), store.CustomerInput{Name: "Big", Notes: strings.Repeat("x", 9000)}); err != nil {
		t.Fatal(err)
	}
}

// logBuffer collects a publisher's log.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuffer) logger() *slog.Logger { return slog.New(slog.NewTextHandler(l, nil)) }

func cursorOf(t testing.TB, s *store.Store) uint64 {
	t.Helper()
	c, _, err := s.NATSCursor()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// An event larger than the server's max_payload stops publishing there: the
// status names it, the events before it are in, none after it is sent (the
// tail of its batch was skipped before), and it is tried again, not dropped.
func TestEventOverTheServersLimitIsNeverSkipped(t *testing.T) {
	srv := startSmall(t, 4096)
	live := openStore(t, t.TempDir(), store.Live, nil)
	addEvents(t, live, 10)
	addBig(t, live)
	addEvents(t, live, 200)
	p := startPublisher(t, Options{Live: live}, Config{URL: srv.URL, Shop: "downtown"})
	want := "live event 11 (customer.created) is 9."
	waitFor(t, "the error", func() bool { return strings.Contains(p.Status().Error, want) })
	st := p.Status()
	if !strings.HasSuffix(st.Error, "KB, over the hub's limit of 4 KB") || st.State != StateConnected {
		t.Fatalf("status %+v", st)
	}
	for range 2 { // a few retries, each recording the error again
		at := *p.Status().ErrorAt
		waitFor(t, "a retry", func() bool { return p.Status().ErrorAt.After(at) })
	}
	if c := cursorOf(t, live); c != 10 {
		t.Fatalf("cursor %d, want 10 (before the large event)", c)
	}
	msgs := streamMsgs(t, srv, DefaultStream)
	if len(msgs) != 10 || msgs[9].Seq != 10 {
		t.Fatalf("the stream holds %d events, want the 10 before the large one", len(msgs))
	}
	if h := p.Hold(store.Live)(); h != 11 {
		t.Fatalf("hold %d, want 11", h)
	}
}

// A stream whose max_msg_size is under an event: blocked there, and once the
// hub's operator raises the limit, everything goes, in order, once each.
func TestEventOverTheStreamsLimitWaitsForIt(t *testing.T) {
	srv := natstest.Start(t)
	js := connect(t, srv.URL)
	ctx := context.Background()
	cfg := jetstream.StreamConfig{Name: DefaultStream, Subjects: []string{"portal.>"}, Duplicates: 2 * time.Minute, MaxMsgSize: 4096}
	if _, err := js.CreateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	live := openStore(t, t.TempDir(), store.Live, nil)
	addEvents(t, live, 10)
	addBig(t, live)
	addEvents(t, live, 200)
	p := startPublisher(t, Options{Live: live}, Config{URL: srv.URL, Shop: "downtown"})
	waitFor(t, "the error", func() bool { return strings.Contains(p.Status().Error, "over the hub's limit of 4 KB") })
	if c := cursorOf(t, live); c != 10 {
		t.Fatalf("cursor %d, want 10", c)
	}
	cfg.MaxMsgSize = 1 << 20
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	waitCaughtUp(t, live, "caught up")
	checkMirror(t, live, "downtown", streamMsgs(t, srv, DefaultStream))
	waitFor(t, "the error cleared", func() bool { return p.Status().Error == "" })
}

// The stream refuses an event mid-batch (its limit lowered while connected,
// so the publisher could not know) and stores the later ones: the status
// says why, the cursor stays before the refused event, and once the hub
// takes it, it is sent: every event is in once (the refused one after the
// later ones, said in the status).
func TestRefusedEventIsSentAgain(t *testing.T) {
	srv := natstest.Start(t)
	js := connect(t, srv.URL)
	ctx := context.Background()
	cfg := jetstream.StreamConfig{Name: DefaultStream, Subjects: []string{"portal.>"}, Duplicates: 2 * time.Minute}
	if _, err := js.CreateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	live := openStore(t, t.TempDir(), store.Live, nil)
	addEvents(t, live, 10)
	p := New(Options{Live: live})
	p.batch = testBatch
	sent := countSends(p)
	runPublisher(t, p, Config{URL: srv.URL, Shop: "downtown"})
	waitCaughtUp(t, live, "the first events")
	cfg.MaxMsgSize = 4096
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	addBigThen(t, live, 20) // event 11, refused, and 12–31 in the same commit: one batch
	waitFor(t, "the refusal", func() bool { return strings.Contains(p.Status().Error, "live event 11") })
	if e := p.Status().Error; !strings.Contains(e, "message size exceeds maximum") && !strings.Contains(e, "over the hub's limit") {
		t.Fatalf("error %q does not say why", e)
	}
	if c := cursorOf(t, live); c != 10 {
		t.Fatalf("cursor %d, want 10 (before the refused event)", c)
	}
	cfg.MaxMsgSize = 1 << 20
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	waitCaughtUp(t, live, "caught up")
	// Not sent again (the duplicate window would hide it in the stream).
	if again := sent.again(store.Live, 12, 31); len(again) > 0 {
		t.Fatalf("events stored after the refused one were sent again: %v", again)
	}
	msgs := streamMsgs(t, srv, DefaultStream)
	if len(msgs) != 31 || msgs[30].Seq != 11 {
		t.Fatalf("the stream holds %d events, the last %d; want 31, event 11 last", len(msgs), msgs[len(msgs)-1].Seq)
	}
	slices.SortFunc(msgs, func(a, b msg) int { return int(a.Seq) - int(b.Seq) })
	checkMirror(t, live, "downtown", msgs)
}

// addBigThen writes one customer.created event of about 9 KB and n small
// ones after it, in one commit.
func addBigThen(t *testing.T, s *store.Store, n int) {
	t.Helper()
	in := []store.CustomerInput{{Name: "Big", Notes: strings.Repeat("x", 9000)}}
	for i := range n {
		in = append(in, store.CustomerInput{Name: fmt.Sprintf("Customer %d", i)})
	}
	if _, err := s.CreateCustomers(context.Background(), in); err != nil {
		t.Fatal(err)
	}
}

// publishAs puts events of s into the stream as a publisher would.
func publishAs(t *testing.T, js jetstream.JetStream, shop string, s *store.Store, events []store.StoredEvent) {
	t.Helper()
	for _, ev := range events {
		m := &nats.Msg{Subject: subject(shop, s.Mode(), ev.Name), Data: ev.JSON, Header: nats.Header{}}
		m.Header.Set(jetstream.MsgIDHeader, ev.ID)
		m.Header.Set(HeaderStore, string(s.Mode()))
		m.Header.Set(HeaderSeq, strconv.FormatUint(ev.Seq, 10))
		if _, err := js.PublishMsg(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
}

// The stream holds events 1–10 and 12–40 of the shop (11 was refused, and a
// crash came before the cursor write): reconcile moves the cursor to 10, not
// over the gap, and 11 is sent, alone; the status says it came late.
func TestReconcileStopsAtAGap(t *testing.T) {
	srv := natstest.Start(t)
	js := connect(t, srv.URL)
	live := openStore(t, t.TempDir(), store.Live, nil)
	addEvents(t, live, 40)
	events, err := live.EventsAfter(0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(context.Background(), jetstream.StreamConfig{Name: DefaultStream, Subjects: []string{"portal.>"}, Duplicates: 2 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	publishAs(t, js, "downtown", live, events[:10])
	publishAs(t, js, "downtown", live, events[11:])
	var log logBuffer
	p := New(Options{Live: live, Log: log.logger()})
	p.batch = testBatch
	sent := countSends(p)
	r := runPublisher(t, p, Config{URL: srv.URL, Shop: "downtown"})
	waitCaughtUp(t, live, "caught up")
	// The events past the gap are not sent at all (the duplicate window
	// would hide it in the stream); 11 is sent once.
	if n, n11 := sent.count(store.Live), sent.times(store.Live, 11); n != 1 || n11 != 1 {
		t.Fatalf("%d events sent, event 11 %d times; want event 11 alone, once", n, n11)
	}
	msgs := streamMsgs(t, srv, DefaultStream)
	if len(msgs) != 40 || msgs[39].Seq != 11 {
		t.Fatalf("the stream holds %d events, the last %d; want 40, event 11 last", len(msgs), msgs[len(msgs)-1].Seq)
	}
	slices.SortFunc(msgs, func(a, b msg) int { return int(a.Seq) - int(b.Seq) })
	checkMirror(t, live, "downtown", msgs)
	want := "holds 29 live events after event 10 but not event 11"
	if e := p.Status().Error; !strings.Contains(e, want) || !strings.Contains(log.String(), want) {
		t.Fatalf("status %q, log %s", e, log.String())
	}
	if got := metric(t, r.reg, "portal_nats_published_total", "live"); got != 30 {
		t.Fatalf("published %v (acknowledged: 11 and the 29 already there)", got)
	}
}

// Two branches whose event ids collide (the same clock, the same seqs) in
// one stream: JetStream takes the second shop's messages for duplicates of
// the first's. The second publisher sees the ack's original is not its own,
// stops there and says so; once the duplicate window has passed, its events
// are stored.
func TestCollidingIDsFromAnotherShop(t *testing.T) {
	srv := natstest.Start(t)
	js := connect(t, srv.URL)
	if _, err := js.CreateStream(context.Background(), jetstream.StreamConfig{Name: DefaultStream, Subjects: []string{"portal.>"}, Duplicates: 5 * time.Second}); err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	a := openStore(t, t.TempDir(), store.Live, c.Now)
	b := openStore(t, t.TempDir(), store.Live, c.Now)
	addEvents(t, a, 5)
	addEvents(t, b, 5)
	ea, _ := a.EventsAfter(0, 10)
	eb, _ := b.EventsAfter(0, 10)
	if ea[0].ID != eb[0].ID {
		t.Fatalf("the ids do not collide: %s %s", ea[0].ID, eb[0].ID)
	}
	startPublisher(t, Options{Live: a, Now: c.Now}, Config{URL: srv.URL, Shop: "uptown"})
	waitCaughtUp(t, a, "uptown")
	pb := startPublisher(t, Options{Live: b, Now: c.Now}, Config{URL: srv.URL, Shop: "downtown"})
	waitFor(t, "the collision", func() bool { return strings.Contains(pb.Status().Error, "another shop's message (portal.uptown.") })
	if e := pb.Status().Error; !strings.Contains(e, "live event 1 ") || !strings.Contains(e, ea[0].ID) {
		t.Fatalf("error %q", e)
	}
	if c := cursorOf(t, b); c != 0 {
		t.Fatalf("downtown's cursor %d while its events are not stored", c)
	}
	waitCaughtUp(t, b, "downtown")
	by := map[string][]msg{}
	for _, m := range streamMsgs(t, srv, DefaultStream) {
		shop := strings.Split(m.Subject, ".")[1]
		by[shop] = append(by[shop], m)
	}
	checkMirror(t, a, "uptown", by["uptown"])
	checkMirror(t, b, "downtown", by["downtown"])
}

// Events pruned while the chain was off: the first event read is not the
// one after the cursor. The status and the log say which went unsent, and
// the rest goes.
func TestPrunedEventsAreReported(t *testing.T) {
	srv := natstest.Start(t)
	c := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	live := openStore(t, t.TempDir(), store.Live, c.Now)
	addEvents(t, live, 100)
	c.Add(store.MinRetention + time.Hour)
	addEvents(t, live, 20)
	if _, err := live.FanOut(context.Background(), 1000, func(*store.Webhook, string) int { return 0 }); err != nil {
		t.Fatal(err)
	}
	if _, err := live.PruneEvents(context.Background(), store.PruneOptions{Keep: store.MinRetention}); err != nil {
		t.Fatal(err)
	}
	left, _ := live.EventsAfter(0, 1)
	if len(left) == 0 || left[0].Seq < 2 {
		t.Fatalf("nothing pruned: %d", left[0].Seq)
	}
	var log logBuffer
	p := startPublisher(t, Options{Live: live, Now: c.Now, Log: log.logger()}, Config{URL: srv.URL, Shop: "downtown"})
	waitCaughtUp(t, live, "caught up")
	want := fmt.Sprintf("live events 1–%d were pruned before they were sent", left[0].Seq-1)
	if e := p.Status().Error; e != want || !strings.Contains(log.String(), want) {
		t.Fatalf("status %q, want %q; log %s", e, want, log.String())
	}
	if msgs := streamMsgs(t, srv, DefaultStream); len(msgs) != 120-int(left[0].Seq-1) || msgs[0].Seq != left[0].Seq {
		t.Fatalf("the stream holds %d events from %d", len(msgs), msgs[0].Seq)
	}
	// Once the events written after it are mirrored, the note has passed.
	addEvents(t, live, 3)
	waitCaughtUp(t, live, "the next events")
	waitFor(t, "the note cleared", func() bool { return p.Status().Error == "" })
}

// Events pruned before they were sent, and the event after them held up
// (over the server's limit): the gap is logged once, not on every retry.
func TestPrunedGapIsLoggedOnce(t *testing.T) {
	srv := startSmall(t, 4096)
	c := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	live := openStore(t, t.TempDir(), store.Live, c.Now)
	addEvents(t, live, 100)
	c.Add(store.MinRetention + time.Hour)
	addBigThen(t, live, 20)
	if _, err := live.FanOut(context.Background(), 1000, func(*store.Webhook, string) int { return 0 }); err != nil {
		t.Fatal(err)
	}
	if _, err := live.PruneEvents(context.Background(), store.PruneOptions{Keep: store.MinRetention}); err != nil {
		t.Fatal(err)
	}
	if left, _ := live.EventsAfter(0, 1); len(left) == 0 || left[0].Seq != 101 {
		t.Fatalf("the log starts at %v, want the large event 101", left)
	}
	var log logBuffer
	p := startPublisher(t, Options{Live: live, Log: log.logger()}, Config{URL: srv.URL, Shop: "downtown"})
	waitFor(t, "held up", func() bool { return strings.Contains(p.Status().Error, "over the hub's limit") })
	for range 2 { // a few retries
		at := *p.Status().ErrorAt
		waitFor(t, "a retry", func() bool { return p.Status().ErrorAt.After(at) })
	}
	if n := strings.Count(log.String(), "were pruned before they were sent"); n != 1 {
		t.Fatalf("the gap logged %d times:\n%s", n, log.String())
	}
}

// While the hub is away the publisher retries with backoff; the log says so
// once, not on every retry.
func TestAHubAwayIsLoggedOnce(t *testing.T) {
	srv := natstest.Start(t)
	srv.Stop()
	live := openStore(t, t.TempDir(), store.Live, nil)
	var log logBuffer
	p := startPublisher(t, Options{Live: live, Log: log.logger()}, Config{URL: srv.URL, Shop: "downtown"})
	waitFor(t, "disconnected", func() bool { return p.Status().State == StateDisconnected })
	first := p.Status().ErrorAt
	waitFor(t, "a few retries", func() bool { return !p.Status().ErrorAt.Equal(*first) })
	time.Sleep(time.Second)
	if n := strings.Count(log.String(), "level=WARN"); n != 1 {
		t.Fatalf("%d warnings for one outage:\n%s", n, log.String())
	}
	srv.Restart()
	waitFor(t, "connected", func() bool { return p.Status().State == StateConnected })
}

// A hub that takes the connection and never answers: switching the chain
// off (or shutting down) does not wait out the connect timeout.
func TestConfigureDoesNotWaitForASilentHub(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	live := openStore(t, t.TempDir(), store.Live, nil)
	p := startPublisher(t, Options{Live: live}, Config{URL: "nats://" + ln.Addr().String(), Shop: "downtown"})
	c := <-accepted
	defer c.Close()
	began := time.Now()
	p.stop()
	if d := time.Since(began); d > connectWait/2 {
		t.Fatalf("the shutdown took %v", d)
	}
}

// The branch's clock runs an hour ahead of the hub's: the event after the
// cursor is "newer" than anything the stream holds of the shop, and
// reconcile finds nothing to read back rather than wait for it.
func TestReconcileWithTheBranchClockAhead(t *testing.T) {
	srv := natstest.Start(t)
	c := &clock{t: time.Now().Add(time.Hour)}
	live := openStore(t, t.TempDir(), store.Live, c.Now)
	addEvents(t, live, 5)
	cfg := Config{URL: srv.URL, Shop: "downtown"}
	p := startPublisher(t, Options{Live: live, Now: c.Now}, cfg)
	waitCaughtUp(t, live, "the first events")
	p.stop()
	addEvents(t, live, 5)
	startPublisher(t, Options{Live: live, Now: c.Now}, cfg)
	waitCaughtUp(t, live, "the rest")
	checkMirror(t, live, "downtown", streamMsgs(t, srv, DefaultStream))
}

// The pruner asks Hold inside its write transaction: with the hub away,
// what was never acknowledged stays, whatever its age; once it is sent,
// the pruner may take it.
func TestHoldKeepsWhatIsUnsentFromThePruner(t *testing.T) {
	srv := natstest.Start(t)
	srv.Stop()
	c := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	live := openStore(t, t.TempDir(), store.Live, c.Now)
	addEvents(t, live, 50)
	c.Add(store.MinRetention + time.Hour)
	if _, err := live.FanOut(context.Background(), 1000, func(*store.Webhook, string) int { return 0 }); err != nil {
		t.Fatal(err)
	}
	p := startPublisher(t, Options{Live: live, Now: c.Now}, Config{URL: srv.URL, Shop: "downtown"})
	waitFor(t, "disconnected", func() bool { return p.Status().State == StateDisconnected })
	prune := func() store.PruneResult {
		r, err := live.PruneEvents(context.Background(), store.PruneOptions{Keep: store.MinRetention, Hold: p.Hold(store.Live)})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := prune(); r.Events != 0 || !r.HeldBack {
		t.Fatalf("pruned %+v while nothing was sent", r)
	}
	srv.Restart()
	waitCaughtUp(t, live, "sent")
	// The hold follows the cursor write (an in-memory copy set just after it).
	waitFor(t, "the hold to follow the cursor", func() bool { return p.Hold(store.Live)() > 50 })
	if r := prune(); r.Events != 49 { // the fan-out's cursor keeps the last one
		t.Fatalf("pruned %+v once sent", r)
	}
}

// The stream is deleted on the hub while the publisher is held up on an
// event over the stream's max_msg_size: the session ends and the next one
// makes the stream again (without the limit); the events after the
// deletion are all in, once, in order.
func TestDeletedStreamIsMadeAgain(t *testing.T) {
	srv := natstest.Start(t)
	js := connect(t, srv.URL)
	ctx := context.Background()
	cfg := jetstream.StreamConfig{Name: DefaultStream, Subjects: []string{"portal.>"}, Duplicates: 2 * time.Minute, MaxMsgSize: 4096}
	if _, err := js.CreateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	live := openStore(t, t.TempDir(), store.Live, nil)
	addEvents(t, live, 10)
	addBig(t, live)
	addEvents(t, live, 2*testBatch+5)
	p := startPublisher(t, Options{Live: live}, Config{URL: srv.URL, Shop: "downtown"})
	waitFor(t, "the error", func() bool { return strings.Contains(p.Status().Error, "over the hub's limit of 4 KB") })
	if err := js.DeleteStream(ctx, DefaultStream); err != nil {
		t.Fatal(err)
	}
	waitCaughtUp(t, live, "caught up")
	msgs := streamMsgs(t, srv, DefaultStream)
	events, err := live.EventsAfter(10, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != len(events) {
		t.Fatalf("the new stream holds %d events, want the %d after the deletion", len(msgs), len(events))
	}
	for i, ev := range events {
		if msgs[i].Seq != ev.Seq || msgs[i].ID != ev.ID {
			t.Fatalf("message %d is event %d %s, want %d %s", i, msgs[i].Seq, msgs[i].ID, ev.Seq, ev.ID)
		}
	}
	waitFor(t, "the error cleared", func() bool { return p.Status().Error == "" })
}

// sends counts the events a publisher hands to JetStream, by store and seq.
type sends struct {
	mu sync.Mutex
	n  map[store.Mode]map[uint64]int
}

func countSends(p *Publisher) *sends {
	s := &sends{n: map[store.Mode]map[uint64]int{store.Live: {}, store.Test: {}}}
	p.sent = func(m store.Mode, seq uint64) {
		s.mu.Lock()
		s.n[m][seq]++
		s.mu.Unlock()
	}
	return s
}

// count is how many events of m were sent, each counted once.
func (s *sends) count(m store.Mode) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.n[m])
}

// times is how many times event seq of m was sent.
func (s *sends) times(m store.Mode, seq uint64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n[m][seq]
}

// again lists the events of m sent more than once, among seqs from..through.
func (s *sends) again(m store.Mode, from, through uint64) []uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []uint64
	for seq := from; seq <= through; seq++ {
		if s.n[m][seq] > 1 {
			out = append(out, seq)
		}
	}
	return out
}

// The store is held up (event 11 refused) and, once that event is in, held
// up again further on (event 100's id held by another shop's message) while
// the batches after it were out and stored: those are read back then, not
// sent again after event 100.
func TestRefusedAgainPastTheCarefulEvent(t *testing.T) {
	srv := natstest.Start(t)
	js := connect(t, srv.URL)
	ctx := context.Background()
	cfg := jetstream.StreamConfig{Name: DefaultStream, Subjects: []string{"portal.>"}, Duplicates: 5 * time.Second}
	if _, err := js.CreateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Now()}
	live := openStore(t, t.TempDir(), store.Live, c.Now)
	other := openStore(t, t.TempDir(), store.Live, c.Now)
	addEvents(t, other, 99)
	addEvents(t, live, 10)
	p := New(Options{Live: live, Now: c.Now})
	p.batch = testBatch
	sent := countSends(p)
	runPublisher(t, p, Config{URL: srv.URL, Shop: "downtown"})
	waitCaughtUp(t, live, "the first events")
	cfg.MaxMsgSize = 4096 // lowered while connected: the publisher does not know
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	addBig(t, live) // event 11, refused
	addEvents(t, live, 20)
	waitFor(t, "the refusal", func() bool { return strings.Contains(p.Status().Error, "live event 11") })
	// Events 32–200, and another shop's messages with the ids of 100–110.
	c.Add(time.Second)
	addEvents(t, live, 169)
	addEvents(t, other, 11)
	theirs, err := other.EventsAfter(99, 100)
	if err != nil {
		t.Fatal(err)
	}
	mine, _ := live.EventsAfter(99, 1)
	if theirs[0].ID != mine[0].ID {
		t.Fatalf("the ids do not collide: %s %s", theirs[0].ID, mine[0].ID)
	}
	publishAs(t, js, "uptown", other, theirs)
	cfg.MaxMsgSize = 1 << 20
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the collision", func() bool { return strings.Contains(p.Status().Error, "live event 100 ") })
	waitCaughtUp(t, live, "caught up")
	if again := sent.again(store.Live, 111, 200); len(again) > 0 {
		t.Fatalf("events stored after event 100 were sent again: %v", again)
	}
	var msgs []msg
	for _, m := range streamMsgs(t, srv, DefaultStream) {
		if strings.HasPrefix(m.Subject, "portal.downtown.") {
			msgs = append(msgs, m)
		}
	}
	slices.SortFunc(msgs, func(a, b msg) int { return int(a.Seq) - int(b.Seq) })
	checkMirror(t, live, "downtown", msgs)
}

// The stream holds events 1–10 and 12–40 (11 refused): 11 is sent after
// them, and the cursor moves over 11 and 12–40 in one commit. A crash right
// after that commit's successor would otherwise leave the cursor on 11,
// whose message the stream stored after 12–40, and reading back from it
// would miss them: they would be sent again.
func TestCursorMovesOverTheStoredRunWithTheEventSentAgain(t *testing.T) {
	srv, live, cfg := leftByEarlier(t, 50, 2*time.Minute, [2]int{0, 10}, [2]int{11, 40})
	var moves []uint64
	crashesAt(t, live, cfg, 1, func(through uint64) bool {
		moves = append(moves, through)
		return len(moves) > 1 // the write after the one moving over 11
	})
	if len(moves) < 1 || moves[0] != 40 {
		t.Fatalf("the cursor moves %v, want over 11–40 at once", moves)
	}
	sent := resumes(t, live, cfg)
	for seq := uint64(1); seq <= 40; seq++ {
		if sent.times(store.Live, seq) > 0 {
			t.Fatalf("event %d, which the stream held, was sent again", seq)
		}
	}
	msgs := streamMsgs(t, srv, DefaultStream)
	slices.SortFunc(msgs, func(a, b msg) int { return int(a.Seq) - int(b.Seq) })
	checkMirror(t, live, "downtown", msgs)
}
