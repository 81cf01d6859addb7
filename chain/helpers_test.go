package chain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"portal/internal/natstest"
	"portal/store"
)

// testBatch is the publishers' batch in tests: small, so a few hundred
// events make several batches.
const testBatch = 64

// clock is a settable time for stores and publishers.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func openStore(t testing.TB, dir string, mode store.Mode, now func() time.Time) *store.Store {
	t.Helper()
	s, err := store.Open(filepath.Join(dir, string(mode)+".db"), store.Options{Mode: mode, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// addEvents writes n customer.created events in one commit.
func addEvents(t testing.TB, s *store.Store, n int) {
	t.Helper()
	in := make([]store.CustomerInput, n)
	for i := range in {
		in[i] = store.CustomerInput{Name: fmt.Sprintf("Customer %d", i)}
	}
	if _, err := s.CreateCustomers(context.Background(), in); err != nil {
		t.Fatal(err)
	}
}

// running is a publisher running until the test ends (or stop).
type running struct {
	*Publisher
	reg  *prometheus.Registry
	stop func()
}

func startPublisher(t testing.TB, o Options, cfg Config) *running {
	t.Helper()
	p := New(o)
	p.batch = testBatch
	return runPublisher(t, p, cfg)
}

// runPublisher runs p (made by the test) with cfg until the test ends.
func runPublisher(t testing.TB, p *Publisher, cfg Config) *running {
	t.Helper()
	reg := prometheus.NewRegistry()
	if p.o.Metrics == nil {
		p.o.Metrics = reg
		p.metrics = newMetrics(p, reg)
	}
	p.Configure(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); p.Run(ctx) }()
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return &running{Publisher: p, reg: reg, stop: stop}
}

// waitFor polls cond (the publisher has no signal a test can await across
// the network) until it holds, failing after 30 s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitCommitted waits for cond, a condition on s's contents, checking it
// after each of s's commits (the cursor writes are commits), failing after
// 30 s.
func waitCommitted(t testing.TB, s *store.Store, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	for {
		next := s.Committed() // taken before the check, so no commit is missed
		if cond() {
			return
		}
		select {
		case <-next:
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// waitCaughtUp waits until s's cursor reaches its log's end.
func waitCaughtUp(t testing.TB, s *store.Store, what string) {
	t.Helper()
	waitCommitted(t, s, what, caughtUp(t, s))
}

func caughtUp(t testing.TB, s *store.Store) func() bool {
	return func() bool {
		cursor, last, err := s.NATSCursor()
		if err != nil {
			t.Fatal(err)
		}
		return cursor == last
	}
}

// msg is one message of the stream as a consumer sees it.
type msg struct {
	Subject string
	ID      string
	Store   string
	Seq     uint64
	Data    []byte
}

func connect(t testing.TB, url string) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// streamMsgs reads every message of the stream, in stream order.
func streamMsgs(t testing.TB, srv *natstest.Server, stream string) []msg {
	t.Helper()
	ctx := context.Background()
	js := connect(t, srv.URL)
	st, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	total := int(info.State.Msgs)
	var out []msg
	if total == 0 {
		return out
	}
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for len(out) < total {
		batch, err := cons.Fetch(min(total-len(out), 1000), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for m := range batch.Messages() {
			n++
			seq, _ := strconv.ParseUint(m.Headers().Get(HeaderSeq), 10, 64)
			out = append(out, msg{Subject: m.Subject(), ID: m.Headers().Get(jetstream.MsgIDHeader),
				Store: m.Headers().Get(HeaderStore), Seq: seq, Data: m.Data()})
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
			t.Fatal(err)
		}
		if n == 0 {
			t.Fatalf("the stream says %d messages, %d read", total, len(out))
		}
	}
	return out
}

// checkMirror fails unless msgs (one store's, in stream order) are exactly
// s's log: every event once, in order, with its id, subject and body.
func checkMirror(t testing.TB, s *store.Store, shop string, msgs []msg) {
	t.Helper()
	events, err := s.EventsAfter(0, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != len(events) {
		seen := map[uint64]int{}
		dups := 0
		for _, m := range msgs {
			if seen[m.Seq]++; seen[m.Seq] > 1 {
				dups++
			}
		}
		t.Fatalf("%s: the stream holds %d events (%d duplicates), the log %d", s.Mode(), len(msgs), dups, len(events))
	}
	for i, ev := range events {
		m := msgs[i]
		var e struct {
			EventID string `json:"event_id"`
		}
		if err := json.Unmarshal(ev.JSON, &e); err != nil {
			t.Fatal(err)
		}
		if m.Seq != ev.Seq || m.ID != e.EventID || m.Store != string(s.Mode()) ||
			m.Subject != subject(shop, s.Mode(), ev.Name) || string(m.Data) != string(ev.JSON) {
			t.Fatalf("%s: message %d is seq %d %s %s on %s, the log's event is seq %d %s %s", s.Mode(), i,
				m.Seq, m.ID, m.Store, m.Subject, ev.Seq, e.EventID, ev.Name)
		}
	}
}

// byStore splits the stream's messages by their Portal-Store header.
func byStore(msgs []msg) map[string][]msg {
	out := map[string][]msg{}
	for _, m := range msgs {
		out[m.Store] = append(out[m.Store], m)
	}
	return out
}

// metric reads one series' value from the registry (-1 when absent).
func metric(t testing.TB, reg *prometheus.Registry, name, storeLabel string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			match := storeLabel == ""
			for _, l := range m.GetLabel() {
				if l.GetName() == "store" && l.GetValue() == storeLabel {
					match = true
				}
			}
			if !match {
				continue
			}
			switch {
			case m.Gauge != nil:
				return m.Gauge.GetValue()
			case m.Counter != nil:
				return m.Counter.GetValue()
			}
		}
	}
	return -1
}
