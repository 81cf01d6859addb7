package chain

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
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

// Tuning. A batch is published asynchronously as a whole, then every ack is
// awaited; the cursor moves over the acknowledged prefix in one commit.
const (
	batchSize   = 1024             // events per batch (tests make it smaller)
	ackWait     = 10 * time.Second // an ack not back by then fails the batch (the connection is redone)
	connectWait = 5 * time.Second
	backoffMin  = 200 * time.Millisecond
	backoffMax  = 15 * time.Second
	dupWindow   = 2 * time.Minute // the duplicate window of a stream the publisher creates
	steadyAfter = time.Minute     // a session that lasted this long resets the backoff
	// commitCoalesce is how long the publisher lets commits gather after a
	// wake before it reads them (as the mailer does).
	commitCoalesce = 100 * time.Millisecond
)

// The headers every message carries besides Nats-Msg-Id (the event id).
const (
	HeaderStore = "Portal-Store"
	HeaderSeq   = "Portal-Seq"
)

// Publisher mirrors the stores' event logs into JetStream. It publishes
// nothing inside a request: it wakes on the stores' commits, and while the
// hub is away it only retries, with backoff, so it never holds the shop up.
type Publisher struct {
	o       Options
	metrics *metrics
	wake    chan struct{} // Configure wakes Run

	mu         sync.Mutex
	cfg        Config
	cfgValid   bool               // cfg passed Validate when Configure took it
	gen        uint64             // bumped by Configure
	cancelConn context.CancelFunc // ends the session of the previous config
	state      string
	errMsg     string
	errAt      *time.Time
	lastPub    map[store.Mode]time.Time
	warning    string // the stream's warning, shown while nothing else is wrong
	blocked    bool   // errMsg says why a store is held up
	logged     string // the last failure logged, so a retry does not log it again
	// noted says errMsg is a note (note): it is cleared once noteStore's
	// events written after it (past noteLast) are mirrored and it is caught up.
	noted     bool
	noteStore store.Mode
	noteLast  uint64
	// gaps are, by store, the first event after the last gap of pruned
	// events noted, so a gap is noted once, not on every retry.
	gaps map[store.Mode]uint64

	// cursors are each store's cursor + 1 (0: not read yet), for Hold.
	cursors map[store.Mode]*atomic.Uint64

	batch int // events per batch: batchSize

	// beforeCursor, set by tests, runs after a batch's acks and before the
	// cursor write; an error drops the write as a crash there would.
	beforeCursor func(m store.Mode, through uint64) error
	// sent, set by tests, is called for each event handed to JetStream.
	sent func(m store.Mode, seq uint64)
}

// New makes a Publisher, off until Configure gives it a URL.
func New(o Options) *Publisher {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	p := &Publisher{o: o, wake: make(chan struct{}, 1), state: StateOff, lastPub: map[store.Mode]time.Time{}, batch: batchSize,
		cursors: map[store.Mode]*atomic.Uint64{store.Live: {}, store.Test: {}}, gaps: map[store.Mode]uint64{}}
	if o.Metrics != nil {
		p.metrics = newMetrics(p, o.Metrics)
	}
	return p
}

// Configure sets where the events go, at any time from any goroutine: the
// publisher drops its connection and connects with c (unless c is what it
// is connected with already); a URL of "" stops publishing. c should be
// valid (Config.Validate); an invalid one shows as the status's error.
func (p *Publisher) Configure(c Config) {
	// Validated here, once, not at each Hold: Hold runs inside the pruner's
	// transaction, where reading a creds file that fails for a moment must
	// not let the log go.
	valid := c.Validate() == nil
	p.mu.Lock()
	if c == p.cfg && p.state == StateConnected {
		p.mu.Unlock()
		return // the same settings saved again: the connection stays
	}
	p.cfg, p.cfgValid = c, valid
	p.gen++
	if p.cancelConn != nil {
		p.cancelConn()
		p.cancelConn = nil
	}
	p.errMsg, p.errAt = "", nil
	if c.On() {
		p.state = StateConnecting
	} else {
		p.state = StateOff
	}
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func (p *Publisher) config() (Config, uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cfg, p.gen
}

// stores are the stores c mirrors: live, and test when included.
func (p *Publisher) stores(c Config) []*store.Store {
	out := []*store.Store{}
	if p.o.Live != nil {
		out = append(out, p.o.Live)
	}
	if c.IncludeTest && p.o.Test != nil {
		out = append(out, p.o.Test)
	}
	return out
}
