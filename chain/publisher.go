package chain

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"portal/store"
)

// Options are what a Publisher reads from and reports to.
type Options struct {
	Live, Test *store.Store
	Log        *slog.Logger
	Metrics    prometheus.Registerer // nil: none
	Now        func() time.Time
}

// Publisher mirrors the stores' event logs into JetStream.
type Publisher struct {
	o   Options
	mu  sync.Mutex
	cfg Config
}

// New makes a Publisher, off until Configure gives it a URL.
func New(o Options) *Publisher {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Publisher{o: o}
}

// Configure sets where the events go, at any time from any goroutine: the
// publisher reconnects with it; a URL of "" stops publishing.
func (p *Publisher) Configure(c Config) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cfg = c
}

// Run publishes until ctx ends. It is called once.
func (p *Publisher) Run(ctx context.Context) error {
	<-ctx.Done()
	return nil
}

// Status reports the connection and how far each store is mirrored.
func (p *Publisher) Status() Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	return Status{State: StateOff, URL: RedactURL(p.cfg.URL), Stream: p.cfg.stream(), Shop: p.cfg.Shop,
		IncludeTest: p.cfg.IncludeTest, Stores: []StoreStatus{}}
}

// Hold returns the retention hold for store m: the lowest seq not yet
// acknowledged by JetStream, 0 when off, caught up, or m is test and test
// events are not included.
func (p *Publisher) Hold(m store.Mode) func() uint64 {
	return func() uint64 { return 0 }
}
