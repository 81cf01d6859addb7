package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"portal/internal/natstest"
	"portal/store"
)

// TestChainMirrorsEveryEventOnceThroughOutageAndSIGKILL is issue 19's proof
// with the real binary: 10,000 events written while the appliance mirrors
// its log into a real JetStream, the NATS server stopped halfway (the shop
// keeps writing) and restarted, the appliance SIGKILLed once while it
// catches up and restarted. Once caught up and cleanly stopped, the stream
// holds exactly the live log's events, in order, once each: the same bytes,
// subject portal.<shop>.<event>, Nats-Msg-Id the event id, Portal-Seq its
// place in the log.
func TestChainMirrorsEveryEventOnceThroughOutageAndSIGKILL(t *testing.T) {
	const (
		total, batch = 10_000, 1_250 // customer.created events, in CSV imports of batch rows
		shop         = "e2e"
	)
	started := time.Now()
	ns := natstest.Start(t)
	dir := t.TempDir()
	out, err := portalCmd(t, "keys", "create", "--data", dir, "--type", "internal", "--name", "chain")
	if err != nil {
		t.Fatal(err)
	}
	key := strings.TrimSpace(out)
	serveArgs := []string{"--nats-url", ns.URL, "--nats-shop", shop}
	p := startServe(t, dir, serveArgs...)
	c := newClient(p.URL, key)
	// A test-mode event stays on the appliance (no --nats-include-test): the
	// stream must end up holding the live log's events and nothing else.
	if out, err := portalCmd(t, "trigger", "ticket.created", "--data", dir); err != nil {
		t.Fatalf("trigger: %v %s", err, out)
	}

	// The test's own client sees every message the appliance publishes while
	// both are connected (a core subscription: the stream's dedupe does not
	// hide a re-send from it).
	reconnected := make(chan struct{}, 1)
	nc, err := nats.Connect(ns.URL, nats.MaxReconnects(-1), nats.ReconnectWait(5*time.Millisecond), nats.ReconnectJitter(0, 0),
		nats.ReconnectHandler(func(*nats.Conn) {
			select {
			case reconnected <- struct{}{}:
			default:
			}
		}))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	var seen atomic.Int64
	// A message the subscription sees twice was re-sent: rightly only when
	// the stream never stored the first copy (the hub went down, or the
	// process died, with it in flight), so the stored copy must be the later
	// one. phase: 0 before the NATS stop, 1 NATS down, 2 NATS back (from
	// natsBack), 3 after the SIGKILL.
	var phase atomic.Int64
	var natsBack time.Time
	resentIn := map[string]int64{} // event id -> the phase that saw it again
	type watch struct {
		at int64
		ch chan struct{}
	}
	var (
		wmu     sync.Mutex
		watches []watch
		ids     = map[string]int{}
	)
	// reach returns a channel closed once the subscription has seen n messages.
	reach := func(n int64) <-chan struct{} {
		wmu.Lock()
		defer wmu.Unlock()
		ch := make(chan struct{})
		if seen.Load() >= n {
			close(ch)
		} else {
			watches = append(watches, watch{n, ch})
		}
		return ch
	}
	sub, err := nc.Subscribe("portal."+shop+".>", func(m *nats.Msg) {
		wmu.Lock()
		defer wmu.Unlock()
		id := m.Header.Get("Nats-Msg-Id")
		if ids[id]++; ids[id] > 1 {
			resentIn[id] = phase.Load()
		}
		n := seen.Add(1)
		kept := watches[:0]
		for _, w := range watches {
			if n >= w.at {
				close(w.ch)
			} else {
				kept = append(kept, w)
			}
		}
		watches = kept
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}

	// The shop writes 10,000 customers: the first 6,250 at once, and the NATS
	// server goes away once half of the 10,000 are mirrored, while the
	// publisher is still catching up; the rest are written with it down.
	var slowest atomic.Int64
	write := func(from, to int) error {
		for i := from; i < to; i += batch {
			t0 := time.Now()
			if err := importCustomers(c, i, batch); err != nil {
				return err
			}
			if d := int64(time.Since(t0)); d > slowest.Load() {
				slowest.Store(d)
			}
		}
		return nil
	}
	const first = 5 * batch
	writes := make(chan error, 1)
	go func() { writes <- write(0, first) }()
	half := reach(total / 2)
	for half != nil {
		select {
		case <-half:
			half = nil
		case err := <-writes:
			if err != nil {
				t.Fatalf("writing with NATS up: %v\n%s", err, p.log.String())
			}
			writes = nil // written; the publisher is still at it
		case <-time.After(30 * time.Second):
			t.Fatalf("the subscription saw %d messages in 30 s\n%s", seen.Load(), p.log.String())
		}
	}
	phase.Store(1)
	ns.Stop()
	stoppedAt := seen.Load()
	if writes != nil {
		if err := <-writes; err != nil {
			t.Fatalf("writing with NATS up: %v\n%s", err, p.log.String())
		}
	}
	if err := write(first, total); err != nil {
		t.Fatalf("writing with NATS down: %v\n%s", err, p.log.String())
	}
	// Down, the publisher says so and the lag shows what waits.
	waitMetrics(t, p, "NATS down: disconnected, live lag > 0", func(m metricsView) bool {
		return m.value("portal_nats_connected", "") == 0 && m.value("portal_nats_lag_events", "live") > 0 &&
			m.value("portal_nats_lag_seconds", "live") > 0
	})

	// Back up: the publisher catches up, and the appliance is SIGKILLed once
	// the subscription has seen 1,000 more (or, should the publisher have
	// reconnected before the test's own connection and finished first, once
	// the stream holds everything: then the kill lands on a caught-up
	// publisher, which the figure below tells).
	before := seen.Load()
	natsBack = time.Now()
	phase.Store(2)
	ns.Restart()
	select {
	case <-reconnected:
	case <-time.After(10 * time.Second):
		t.Fatalf("the test's connection did not come back: %v", nc.Status())
	}
	more := reach(before + 1_000)
	tick := time.NewTicker(20 * time.Millisecond)
	for more != nil {
		select {
		case <-more:
			more = nil
		case <-tick.C: // the stream's count has no signal to wait on
			if customersInStream(ctx, js, shop) >= total {
				more = nil
			}
		case <-ctx.Done():
			t.Fatalf("not caught up after NATS came back (%d seen, the test's connection %v)\n%s\n%s",
				seen.Load(), nc.Status(), natsMetricLines(p), p.log.String())
		}
	}
	tick.Stop()
	p.kill()
	// The hub may still be storing what the dead process had sent: once its
	// last sequence has stood still for 100 ms, everything stored from here
	// on came from the restarted appliance.
	var killSeq uint64
	for still := 0; still < 5; {
		if last := lastSeq(ctx, js); last != killSeq {
			killSeq, still = last, 0
		} else {
			still++
		}
		time.Sleep(20 * time.Millisecond) // the stream's store has no signal to wait on
	}
	atKill := customersInStream(ctx, js, shop)

	phase.Store(3)
	p = startServe(t, dir, serveArgs...)
	for customersInStream(ctx, js, shop) < total {
		select {
		case <-ctx.Done():
			t.Fatalf("the stream did not reach %d customers (%d)\n%s", total, customersInStream(context.Background(), js, shop), p.log.String())
		case <-time.After(20 * time.Millisecond): // the stream has no signal to wait on
		}
	}
	stream, err := js.Stream(ctx, "PORTAL")
	if err != nil {
		t.Fatal(err)
	}
	waitMetrics(t, p, "caught up: connected, live lag 0", func(m metricsView) bool {
		return m.value("portal_nats_connected", "") == 1 && m.value("portal_nats_lag_events", "live") == 0 &&
			m.value("portal_nats_lag_seconds", "live") == 0 && m.has("portal_nats_published_total", "live")
	})
	if err := p.stop(t, syscall.SIGTERM); err != nil {
		t.Fatalf("shutdown: %v\n%s", err, p.log.String())
	}

	// The live log, read from live.db after the clean stop.
	s, err := store.Open(filepath.Join(dir, "live.db"), store.Options{Mode: store.Live})
	if err != nil {
		t.Fatal(err)
	}
	var events []store.StoredEvent
	for after := uint64(0); ; {
		page, err := s.EventsAfter(after, 5000)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		events = append(events, page...)
		after = page[len(page)-1].Seq
	}
	s.Close()
	customers := 0
	for _, e := range events {
		if e.Name == "customer.created" {
			customers++
		}
	}
	if customers != total {
		t.Fatalf("the live log holds %d customer.created events, want %d", customers, total)
	}

	// The stream, oldest first: exactly the log.
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != uint64(len(events)) || info.State.FirstSeq != 1 {
		t.Fatalf("the stream holds %d messages from seq %d; the log %d events", info.State.Msgs, info.State.FirstSeq, len(events))
	}
	cons, err := stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(events); {
		msgs, err := cons.Fetch(1000, jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for m := range msgs.Messages() {
			got++
			if i >= len(events) {
				t.Fatalf("the stream has more than the log's %d events: %s", len(events), m.Subject())
			}
			e := events[i]
			var id struct {
				EventID string `json:"event_id"`
			}
			if err := json.Unmarshal(e.JSON, &id); err != nil {
				t.Fatal(err)
			}
			h := m.Headers()
			if m.Subject() != "portal."+shop+"."+e.Name || !bytes.Equal(m.Data(), e.JSON) ||
				h.Get("Nats-Msg-Id") != id.EventID || h.Get("Portal-Seq") != strconv.FormatUint(e.Seq, 10) ||
				h.Get("Portal-Store") != "live" {
				t.Fatalf("stream message %d: %s %v %s\nwant log event seq %d %s %s %s", i+1, m.Subject(), h, m.Data(),
					e.Seq, e.Name, id.EventID, e.JSON)
			}
			if ph, ok := resentIn[id.EventID]; ok {
				md, err := m.Metadata()
				if err != nil {
					t.Fatal(err)
				}
				// After the NATS stop: stored once the hub was back. After the SIGKILL:
				// stored past what the hub held once the killed process's last messages were in.
				if ph == 2 && md.Timestamp.Before(natsBack) || ph == 3 && md.Sequence.Stream <= killSeq {
					t.Errorf("%s (seq %d) was sent again after %s though the stream had stored it (stream seq %d, %s; %d at the kill)",
						id.EventID, e.Seq, phaseNames[ph], md.Sequence.Stream, md.Timestamp.Format(time.StampMicro), killSeq)
				}
			}
			i++
		}
		if msgs.Error() != nil {
			t.Fatal(msgs.Error())
		}
		if got == 0 {
			t.Fatalf("the stream ended after %d of the log's %d events", i, len(events))
		}
	}

	wmu.Lock()
	resent := [4]int{}
	for _, ph := range resentIn {
		resent[ph]++
	}
	wmu.Unlock()
	t.Logf("%d events mirrored in %s; NATS stopped at %d seen, SIGKILL with %d of %d customers in the stream; slowest import of %d rows %s; "+
		"events sent again (never stored the first time) after the NATS stop %d, after the SIGKILL %d", len(events), time.Since(started).Round(time.Millisecond),
		stoppedAt, atKill, total, batch, time.Duration(slowest.Load()).Round(time.Millisecond), resent[2], resent[3])
}

// lastSeq is the stream's last sequence (0 while it cannot tell).
func lastSeq(ctx context.Context, js jetstream.JetStream) uint64 {
	stream, err := js.Stream(ctx, "PORTAL")
	if err != nil {
		return 0
	}
	info, err := stream.Info(ctx)
	if err != nil {
		return 0
	}
	return info.State.LastSeq
}

// customersInStream counts the shop's customer.created messages in the
// stream (0 while it cannot tell).
func customersInStream(ctx context.Context, js jetstream.JetStream, shop string) uint64 {
	subject := "portal." + shop + ".customer.created"
	stream, err := js.Stream(ctx, "PORTAL")
	if err != nil {
		return 0
	}
	info, err := stream.Info(ctx, jetstream.WithSubjectFilter(subject))
	if err != nil {
		return 0
	}
	return info.State.Subjects[subject]
}

var phaseNames = [4]string{"nothing", "the NATS stop", "NATS came back", "the SIGKILL"}

// importCustomers creates n customers (from, from+n] in one CSV import: one
// transaction, n customer.created events.
func importCustomers(c *apiClient, from, n int) error {
	var b strings.Builder
	b.WriteString("name,email\n")
	for i := from + 1; i <= from+n; i++ {
		fmt.Fprintf(&b, "Chain Customer %d,c%d@example.com\n", i, i)
	}
	req, err := http.NewRequest("POST", c.base+"/api/v1/import/customers", strings.NewReader(b.String()))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Content-Type", "text/csv")
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		body, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("import %d..%d: %d %s", from+1, from+n, resp.StatusCode, body)
	}
	return nil
}

// metricsView is one scrape of /metrics.
type metricsView map[string]*dto.MetricFamily

// value is the gauge or counter of name whose store label is store ("": the
// unlabelled one); -1 when absent.
func (m metricsView) value(name, store string) float64 {
	f := m[name]
	if f == nil {
		return -1
	}
	for _, x := range f.GetMetric() {
		label := ""
		for _, l := range x.GetLabel() {
			if l.GetName() == "store" {
				label = l.GetValue()
			}
		}
		if label != store {
			continue
		}
		switch {
		case x.Gauge != nil:
			return x.Gauge.GetValue()
		case x.Counter != nil:
			return x.Counter.GetValue()
		}
	}
	return -1
}

func (m metricsView) has(name, store string) bool { return m.value(name, store) >= 0 }

// waitMetrics scrapes /metrics until ok holds (10 s at most).
func waitMetrics(t *testing.T, p *child, what string, ok func(metricsView) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var body []byte
	for {
		resp, err := http.Get(p.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		parser := expfmt.NewTextParser(model.UTF8Validation)
		fams, err := parser.TextToMetricFamilies(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("metrics are not Prometheus text: %v", err)
		}
		if ok(metricsView(fams)) {
			return
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond) // the publisher's gauges have no signal to wait on
	}
	t.Fatalf("%s: not within 10 s; /metrics says\n%s\n%s", what, natsLines(body), p.log.String())
}

// natsMetricLines is what /metrics says of the chain, for a failure's message.
func natsMetricLines(p *child) string {
	resp, err := http.Get(p.URL + "/metrics")
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return natsLines(body)
}

func natsLines(body []byte) string {
	var out []string
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "portal_nats_") {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}
