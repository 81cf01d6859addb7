package hooks_test

// Webhook delivery benchmarks, each a ratio within one run:
//
//	go test -run '^$' -bench . -benchtime 3000x ./hooks/
//
// Throughput: deliveries/s with every state change durable (fan-out, lease,
// attempt) vs bare loopback POSTs at the same concurrency (target ≥ 0.3).
// Latency: commit of a change → the receiver reading it, at low load
// (target p50 < 20 ms). Isolation: a receiver that sleeps 10 s must not
// lower another webhook's rate by more than 10%.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"portal/hooks"
	"portal/store"
)

const benchConcurrency = 4 // the engine's default per-webhook limit

// countingReceiver answers at once and signals when it has seen want requests.
type countingReceiver struct {
	*httptest.Server
	n      atomic.Int64
	want   int64
	done   chan struct{}
	once   sync.Once
	onRead func()
}

func newCountingReceiver(b *testing.B, want int) *countingReceiver {
	cr := &countingReceiver{want: int64(want), done: make(chan struct{})}
	cr.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if cr.onRead != nil {
			cr.onRead()
		}
		if cr.n.Add(1) == cr.want {
			cr.once.Do(func() { close(cr.done) })
		}
	}))
	b.Cleanup(cr.Close)
	return cr
}

type benchEnv struct {
	s      *store.Store
	sealer *store.Sealer
	engine *hooks.Engine
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func newBenchEnv(b *testing.B, cfg hooks.Config) *benchEnv {
	dir := b.TempDir()
	s, err := store.Open(filepath.Join(dir, "test.db"), store.Options{Mode: store.Test})
	if err != nil {
		b.Fatal(err)
	}
	sealer, err := store.LoadSealer(filepath.Join(dir, "secret.key"))
	if err != nil {
		b.Fatal(err)
	}
	cfg.Sealer, cfg.Sandbox = sealer, true
	env := &benchEnv{s: s, sealer: sealer, engine: hooks.New(cfg)}
	b.Cleanup(func() {
		env.stop()
		s.Close()
	})
	return env
}

func (env *benchEnv) start() {
	ctx, cancel := context.WithCancel(context.Background())
	env.cancel = cancel
	env.wg.Add(1)
	go func() {
		defer env.wg.Done()
		env.engine.Run(ctx, env.s)
	}()
}

func (env *benchEnv) stop() {
	if env.cancel != nil {
		env.cancel()
		env.wg.Wait()
		env.cancel = nil
	}
}

func (env *benchEnv) webhook(b *testing.B, url string, events ...string) {
	secret, _ := hooks.NewSecret("portal")
	if _, err := env.s.CreateWebhook(context.Background(), store.WebhookInput{URL: url, Events: events}, secret, env.sealer, hooks.KnownEvent); err != nil {
		b.Fatal(err)
	}
}

// events appends n sample events in a few large transactions.
func (env *benchEnv) events(b *testing.B, name string, n int) {
	ctx := context.Background()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if _, err := env.s.AppendSampleEvent(ctx, name, hooks.SampleData(name)); err != nil {
				b.Error(err)
			}
		}()
	}
	wg.Wait()
}

// BenchmarkDeliveryThroughput: bare loopback POSTs vs durable deliveries.
func BenchmarkDeliveryThroughput(b *testing.B) {
	body := bytes.Repeat([]byte("x"), 600)
	b.Run("bare", func(b *testing.B) {
		rv := newCountingReceiver(b, b.N)
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: benchConcurrency}}
		var next atomic.Int64
		var wg sync.WaitGroup
		b.ResetTimer()
		for range benchConcurrency {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for next.Add(1) <= int64(b.N) {
					resp, err := client.Post(rv.URL, "application/json", bytes.NewReader(body))
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}()
		}
		wg.Wait()
	})
	b.Run("portal", func(b *testing.B) {
		env := newBenchEnv(b, hooks.Config{})
		rv := newCountingReceiver(b, b.N)
		env.webhook(b, rv.URL, "*")
		env.events(b, "ticket.created", b.N)
		b.ResetTimer()
		env.start()
		<-rv.done
		b.StopTimer()
	})
}

// BenchmarkDeliveryLatency measures commit → receiver read at ~50 changes/s.
func BenchmarkDeliveryLatency(b *testing.B) {
	env := newBenchEnv(b, hooks.Config{})
	var mu sync.Mutex
	var committed time.Time
	lat := make([]time.Duration, 0, b.N)
	arrived := make(chan struct{}, 1)
	rv := newCountingReceiver(b, 1<<62)
	rv.onRead = func() {
		mu.Lock()
		lat = append(lat, time.Since(committed))
		mu.Unlock()
		arrived <- struct{}{}
	}
	env.webhook(b, rv.URL, "customer.created")
	env.start()
	ctx := context.Background()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		<-tick.C
		mu.Lock()
		_, err := env.s.CreateCustomer(ctx, store.CustomerInput{Name: fmt.Sprintf("Latency %d", i)})
		committed = time.Now() // CreateCustomer returns once the commit is durable
		mu.Unlock()
		if err != nil {
			b.Fatal(err)
		}
		<-arrived
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkSlowReceiverIsolation: one webhook's rate alone, beside a second
// webhook whose receiver answers at once, and beside one whose receiver
// sleeps 10 s per request. The second webhooks get the same events, so the
// engine does the same fan-out work; only their receivers' speed differs.
func BenchmarkSlowReceiverIsolation(b *testing.B) {
	for _, neighbour := range []string{"none", "fast", "slow"} {
		b.Run("neighbour="+neighbour, func(b *testing.B) {
			env := newBenchEnv(b, hooks.Config{})
			fast := newCountingReceiver(b, b.N)
			env.webhook(b, fast.URL, "ticket.created")
			switch neighbour {
			case "fast":
				other := newCountingReceiver(b, b.N)
				env.webhook(b, other.URL, "ticket.created")
			case "slow":
				release := make(chan struct{})
				slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					select {
					case <-release:
					case <-time.After(10 * time.Second):
					}
				}))
				b.Cleanup(func() { close(release); slow.Close() })
				env.webhook(b, slow.URL, "ticket.created")
			}
			env.events(b, "ticket.created", b.N)
			b.ResetTimer()
			env.start()
			<-fast.done
			b.StopTimer()
		})
	}
}
