package hooks_test

// BenchmarkBacklogDrainsOnce drains a backlog to 16 loopback receivers with
// no fault injected and counts, per webhook, event ids that arrive more than
// once (issue 11), sorted by cause from the attempt log. The default size
// runs in seconds; the issue's figure:
//
//	go test -run '^$' -bench BacklogDrainsOnce -benchtime 1x ./hooks/ -args -backlog 87000

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"portal/hooks"
	"portal/store"
)

var backlogSize = flag.Int("backlog", 8000, "deliveries in BenchmarkBacklogDrainsOnce's backlog (16 webhooks)")

// onceReceiver counts each event id it is sent (X-Portal-Delivery) and
// signals when it has seen want distinct ids.
type onceReceiver struct {
	*httptest.Server
	mu   sync.Mutex
	seen map[string]int
	want int
	done chan struct{}
}

func newOnceReceiver(b *testing.B, want int) *onceReceiver {
	r := &onceReceiver{seen: make(map[string]int, want), want: want, done: make(chan struct{})}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		io.Copy(io.Discard, req.Body)
		id := req.Header.Get("X-Portal-Delivery")
		r.mu.Lock()
		r.seen[id]++
		if r.seen[id] == 1 && len(r.seen) == r.want {
			close(r.done)
		}
		r.mu.Unlock()
	}))
	b.Cleanup(r.Close)
	return r
}

// distinct is how many event ids have arrived.
func (r *onceReceiver) distinct() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.seen)
}

// repeated lists the ids that arrived more than once, with the extra count.
func (r *onceReceiver) repeated() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int{}
	for id, c := range r.seen {
		if c > 1 {
			out[id] = c - 1
		}
	}
	return out
}

// attemptCounter counts recorded attempts that did not deliver.
type attemptCounter struct{ failed atomic.Int64 }

func (c *attemptCounter) Attempted(_ store.Mode, outcome string) {
	if outcome != hooks.OutcomeDelivered {
		c.failed.Add(1)
	}
}

func BenchmarkBacklogDrainsOnce(b *testing.B) {
	const webhooks = 16
	perHook := max(*backlogSize/webhooks, 1)
	for range b.N {
		b.StopTimer()
		counter := &attemptCounter{}
		// Retries a second apart: a failed attempt, should one happen, is
		// retried within the run rather than after the real minute.
		env := newBenchEnv(b, hooks.Config{Metrics: counter, Schedule: slices.Repeat([]time.Duration{time.Second}, 5)})
		rcvs := make([]*onceReceiver, webhooks)
		ids := make([]uint64, webhooks)
		for i := range rcvs {
			rcvs[i] = newOnceReceiver(b, perHook)
			secret, _ := hooks.NewSecret("portal")
			w, err := env.s.CreateWebhook(context.Background(), store.WebhookInput{URL: rcvs[i].URL, Events: []string{"ticket.created"}},
				secret, env.sealer, hooks.KnownEvent)
			if err != nil {
				b.Fatal(err)
			}
			ids[i] = w.ID
		}
		backlogOfTickets(b, env.s, perHook)
		b.StartTimer()
		start := time.Now()
		env.start()
		limit := time.After(time.Duration(perHook*webhooks)*10*time.Millisecond + time.Minute)
		for i, r := range rcvs {
			select {
			case <-r.done:
			case <-limit:
				b.Fatalf("receiver %d has %d of %d events after %s", i, r.distinct(), perHook, time.Since(start))
			}
		}
		drained := time.Since(start)
		// Every attempt recorded: only a copy of a delivery still queued in
		// the sender could go out after this, and stopping ends the count.
		waitQueueEmpty(b, env.s, limit)
		recorded := time.Since(start)
		env.stop()
		b.StopTimer()
		var why dupCauses
		for i, r := range rcvs {
			why.add(b, env.s, ids[i], r.repeated())
		}
		b.ReportMetric(float64(why.total()), "duplicates")
		b.ReportMetric(float64(why.afterFailure), "dups-after-failed-attempt")
		b.ReportMetric(float64(why.leasedTwice), "dups-leased-twice")
		b.ReportMetric(float64(counter.failed.Load()), "failed-attempts")
		b.ReportMetric(float64(perHook*webhooks)/drained.Seconds(), "deliveries/s")
		b.ReportMetric((recorded - drained).Seconds(), "record-lag-s")
	}
}

// dupCauses sorts repeated requests by what the attempt log says of them:
// after a failed attempt (a timeout or a reset the receiver had in fact
// answered, so the retry repeats it), or sent twice with no failure between
// (the delivery was leased a second time while its sender still had it).
type dupCauses struct{ afterFailure, leasedTwice, unexplained int }

func (c *dupCauses) total() int { return c.afterFailure + c.leasedTwice + c.unexplained }

func (c *dupCauses) add(b *testing.B, s *store.Store, webhookID uint64, repeated map[string]int) {
	if len(repeated) == 0 {
		return
	}
	for page := 1; ; page++ {
		p, err := s.WebhookDeliveries(webhookID, page, 1000)
		if err != nil {
			b.Fatal(err)
		}
		for _, raw := range p.Items {
			var d store.Delivery
			if err := json.Unmarshal(raw, &d); err != nil {
				b.Fatal(err)
			}
			extra, ok := repeated[d.EventID]
			if !ok {
				continue
			}
			detail, err := s.DeliveryDetail(d.ID)
			if err != nil {
				b.Fatal(err)
			}
			failed := slices.ContainsFunc(detail.Attempts, func(a store.Attempt) bool { return a.StatusCode < 200 || a.StatusCode > 299 })
			switch {
			case failed:
				c.afterFailure += extra
			case len(detail.Attempts) > 1:
				c.leasedTwice += extra
			default:
				c.unexplained += extra
			}
			var log []string
			for _, a := range detail.Attempts {
				log = append(log, fmt.Sprintf("%d %q", a.StatusCode, a.Error))
			}
			b.Logf("webhook %d: %s arrived %d times; attempts: %s", webhookID, d.EventID, extra+1, strings.Join(log, ", "))
		}
		if !p.HasMore {
			return
		}
	}
}

// backlogOfTickets logs n ticket.created events in a few transactions.
func backlogOfTickets(b *testing.B, s *store.Store, n int) {
	ctx := context.Background()
	c, err := s.CreateCustomer(ctx, store.CustomerInput{Name: "Backlog"})
	if err != nil {
		b.Fatal(err)
	}
	const chunk = 2000
	for done := 0; done < n; done += chunk {
		in := make([]store.TicketInput, min(chunk, n-done))
		for i := range in {
			in[i] = store.TicketInput{CustomerID: c.ID, Issue: fmt.Sprint("Backlog ", done+i), Device: store.Device{Brand: "Acme", Model: "One"}}
		}
		if _, err := s.ImportTickets(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
}

// waitQueueEmpty waits for every delivery to be recorded (none ready or
// leased), re-checking after every commit.
func waitQueueEmpty(b *testing.B, s *store.Store, limit <-chan time.Time) {
	for {
		committed := s.Committed()
		ready, inflight, err := s.QueueDepth()
		if err != nil {
			b.Fatal(err)
		}
		if ready == 0 && inflight == 0 {
			return
		}
		select {
		case <-committed:
		case <-limit:
			b.Fatalf("queue not empty: %d ready, %d leased", ready, inflight)
		}
	}
}
