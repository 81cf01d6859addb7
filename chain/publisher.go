package chain

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
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
	gen        uint64             // bumped by Configure
	cancelConn context.CancelFunc // ends the session of the previous config
	state      string
	errMsg     string
	errAt      *time.Time
	lastPub    map[store.Mode]time.Time

	batch int // events per batch: batchSize

	// beforeCursor, set by tests, runs after a batch's acks and before the
	// cursor write; an error drops the write as a crash there would.
	beforeCursor func(m store.Mode, through uint64) error
}

// New makes a Publisher, off until Configure gives it a URL.
func New(o Options) *Publisher {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	p := &Publisher{o: o, wake: make(chan struct{}, 1), state: StateOff, lastPub: map[store.Mode]time.Time{}, batch: batchSize}
	if o.Metrics != nil {
		p.metrics = newMetrics(p, o.Metrics)
	}
	return p
}

// Configure sets where the events go, at any time from any goroutine: the
// publisher drops its connection and connects with c (unless c is what it
// is connected with already); a URL of "" stops publishing. c should be valid (Config.Validate); an invalid one shows as the
// status's error.
func (p *Publisher) Configure(c Config) {
	p.mu.Lock()
	if c == p.cfg && p.state == StateConnected {
		p.mu.Unlock()
		return // the same settings saved again: the connection stays
	}
	p.cfg = c
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

// Run publishes until ctx ends. It is called once.
func (p *Publisher) Run(ctx context.Context) error {
	failures := 0
	for ctx.Err() == nil {
		cfg, gen := p.config()
		if !cfg.On() {
			p.setConnected(false)
			select {
			case <-ctx.Done():
			case <-p.wake:
			}
			continue
		}
		began := time.Now()
		connected, err := p.session(ctx, cfg, gen)
		p.setConnected(false)
		if ctx.Err() != nil {
			break
		}
		if err == nil { // the config changed
			failures = 0
			continue
		}
		if connected && time.Since(began) > steadyAfter {
			failures = 0 // a hub that stayed a while starts the backoff again; a flapping one does not
		}
		p.fail(gen, err)
		wait := backoff(failures)
		failures++
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-p.wake:
			failures = 0
		case <-t.C:
		}
		t.Stop()
	}
	return nil
}

// backoff is the wait after n failures in a row: doubling from backoffMin
// to backoffMax, with a quarter of jitter so a chain's branches spread out.
func backoff(n int) time.Duration {
	d := backoffMin << min(n, 16)
	if d > backoffMax || d <= 0 {
		d = backoffMax
	}
	return d - time.Duration(rand.Int64N(int64(d/4)+1))
}

// errConfigChanged ends a session when Configure is called.
var errConfigChanged = errors.New("the chain settings changed")

// session connects with cfg, makes sure of the stream, reconciles each
// store's cursor with the stream and publishes until the connection fails
// (an error), the config changes or ctx ends (nil). connected says it got
// as far as publishing.
func (p *Publisher) session(ctx context.Context, cfg Config, gen uint64) (connected bool, err error) {
	sctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	p.mu.Lock()
	if p.gen != gen {
		p.mu.Unlock()
		return false, nil
	}
	p.cancelConn = func() { cancel(errConfigChanged) }
	p.mu.Unlock()

	if err := cfg.Validate(); err != nil {
		return false, err
	}
	lost := make(chan struct{})
	var lostOnce sync.Once
	opts := []nats.Option{
		nats.Name("portal chain publisher"),
		nats.Timeout(connectWait),
		// A hub gone silent is noticed within a minute even when idle.
		nats.PingInterval(20 * time.Second),
		nats.MaxPingsOutstanding(3),
		// The publisher reconnects itself (reconciling the cursor first) and
		// never buffers while the hub is away: the log is the buffer.
		nats.NoReconnect(),
		nats.ReconnectBufSize(-1),
		nats.ClosedHandler(func(*nats.Conn) { lostOnce.Do(func() { close(lost) }) }),
		nats.DisconnectErrHandler(func(*nats.Conn, error) { lostOnce.Do(func() { close(lost) }) }),
		nats.NoCallbacksAfterClientClose(),
	}
	switch {
	case cfg.CredsFile != "":
		opts = append(opts, nats.UserCredentials(cfg.CredsFile))
	case cfg.Creds != "":
		opts = append(opts, credsOption(cfg.Creds))
	}
	nc, err := nats.Connect(cfg.URL, opts...)
	if err != nil {
		return false, fmt.Errorf("cannot connect: %w", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(2*p.batch), jetstream.WithPublishAsyncTimeout(ackWait))
	if err != nil {
		return false, err
	}
	stream, warning, err := ensureStream(sctx, js, cfg)
	if err != nil {
		return false, p.ended(sctx, err)
	}
	stores := p.stores(cfg)
	for _, s := range stores {
		if err := p.reconcile(sctx, stream, cfg, s); err != nil {
			return false, p.ended(sctx, fmt.Errorf("reading the stream's last %s event: %w", s.Mode(), err))
		}
	}
	p.mu.Lock()
	if p.gen == gen {
		p.state = StateConnected
		if warning != "" {
			now := p.o.Now().UTC()
			p.errMsg, p.errAt = warning, &now
		} else {
			p.errMsg, p.errAt = "", nil
		}
	}
	p.mu.Unlock()
	if warning != "" {
		p.o.Log.Warn("chain: "+warning, "stream", cfg.stream())
	}
	p.o.Log.Info("chain: connected", "url", RedactURL(cfg.URL), "stream", cfg.stream(), "shop", cfg.Shop)
	p.setConnected(true)

	for {
		// Taken before reading, so no commit is missed; commits while a
		// batch is out coalesce into one more pass.
		var live, test <-chan struct{}
		for _, s := range stores {
			if s == p.o.Test {
				test = s.Committed()
			} else {
				live = s.Committed()
			}
		}
		for _, s := range stores {
			if err := p.drain(sctx, js, cfg, s, lost); err != nil {
				return true, p.ended(sctx, err)
			}
		}
		select {
		case <-sctx.Done():
			return true, p.ended(sctx, nil)
		case <-lost:
			return true, p.lostErr(nc)
		case <-live:
		case <-test:
		}
		// A busy shop commits often and the hub can wait a moment: the
		// commits of the next instant go out together, under one cursor
		// commit, so the mirror's commits do not crowd the shop's own disk.
		select {
		case <-sctx.Done():
			return true, p.ended(sctx, nil)
		case <-lost:
			return true, p.lostErr(nc)
		case <-time.After(commitCoalesce):
		}
	}
}

// ended turns a session's end into Run's answer: nil when the config changed
// or ctx ended (whatever failed then failed because of it), else err.
func (p *Publisher) ended(sctx context.Context, err error) error {
	if sctx.Err() != nil {
		return nil
	}
	return err
}

func (p *Publisher) lostErr(nc *nats.Conn) error {
	if err := nc.LastError(); err != nil {
		return fmt.Errorf("disconnected: %w", err)
	}
	return errors.New("disconnected from the NATS server")
}

// credsOption authenticates with a .creds file's contents.
func credsOption(creds string) nats.Option {
	return nats.UserJWT(func() (string, error) {
		return nkeysJWT([]byte(creds))
	}, func(nonce []byte) ([]byte, error) {
		return nkeysSign([]byte(creds), nonce)
	})
}

// subject is where an event of store m goes.
func subject(shop string, m store.Mode, name string) string {
	if m == store.Test {
		return "portal." + shop + ".test." + name
	}
	return "portal." + shop + "." + name
}

// batch is a batch of events out for acks: published asynchronously, its
// futures awaited in order.
type batch struct {
	events  []store.StoredEvent
	futures []jetstream.PubAckFuture
	err     error // publishing stopped before the end of events
}

// drain publishes s's events after its cursor until it is caught up. Two
// batches are out at a time: the next is published while the acks of the
// one before come back, and each batch's cursor commit is written while the
// next one's acks come in, so neither the round trip nor the commit's fsync
// stalls the stream of messages. The cursor still moves only over
// acknowledged events, batch by batch, in order.
func (p *Publisher) drain(ctx context.Context, js jetstream.JetStream, cfg Config, s *store.Store, lost <-chan struct{}) error {
	cursor, _, err := s.NATSCursor()
	if err != nil {
		return err
	}
	mode := s.Mode()
	// One cursor commit at a time runs beside the publishing; drain never
	// returns with one in flight.
	var committing chan error
	settle := func(err error) error {
		if committing != nil {
			if cerr := <-committing; err == nil {
				err = cerr
			}
			committing = nil
		}
		return err
	}
	read := cursor // the last event published (acknowledged or not)
	var out *batch
	// A short batch reached the log's end: drain finishes it and returns
	// rather than chase each new commit with a batch and a cursor commit of
	// its own; the session's wake gathers those (commitCoalesce).
	atEnd := false
	for {
		var events []store.StoredEvent
		if !atEnd {
			if events, err = s.EventsAfter(read, p.batch); err != nil {
				return settle(err)
			}
			atEnd = len(events) < p.batch
		}
		var next *batch
		if len(events) > 0 {
			next = p.publish(js, cfg, mode, events)
			read = events[len(events)-1].Seq
		}
		if out != nil {
			acked, ackErr := p.awaitAcks(ctx, mode, out, lost)
			if acked > 0 {
				if err := settle(nil); err != nil {
					return err
				}
				after, through := cursor, out.events[acked-1].Seq
				cursor = through
				done := make(chan error, 1)
				committing = done
				go func() {
					err := p.moveCursor(s, after, through)
					if err == nil {
						p.published(mode, acked)
					}
					done <- err
				}()
			}
			if ackErr != nil {
				return settle(ackErr)
			}
		}
		if next == nil {
			return settle(nil)
		}
		if next.err != nil && len(next.futures) == 0 {
			return settle(next.err)
		}
		out = next
	}
}

// publish sends events asynchronously, stopping at the first that cannot be
// sent.
func (p *Publisher) publish(js jetstream.JetStream, cfg Config, mode store.Mode, events []store.StoredEvent) *batch {
	b := &batch{events: events, futures: make([]jetstream.PubAckFuture, 0, len(events))}
	for _, ev := range events {
		id := eventIDOf(ev.JSON)
		if id == "" {
			b.err = fmt.Errorf("%s event %d (%s) has no event id", mode, ev.Seq, ev.Name)
			break
		}
		msg := &nats.Msg{Subject: subject(cfg.Shop, mode, ev.Name), Data: ev.JSON, Header: nats.Header{
			jetstream.MsgIDHeader: []string{id},
			HeaderStore:           []string{string(mode)},
			HeaderSeq:             []string{strconv.FormatUint(ev.Seq, 10)},
		}}
		f, err := js.PublishMsgAsync(msg)
		if err != nil {
			b.err = fmt.Errorf("publishing %s event %d: %w", mode, ev.Seq, err)
			break
		}
		b.futures = append(b.futures, f)
	}
	return b
}

// awaitAcks waits for b's acks in order and returns how many events of its
// start JetStream acknowledged, with why it stopped short.
func (p *Publisher) awaitAcks(ctx context.Context, mode store.Mode, b *batch, lost <-chan struct{}) (int, error) {
	acked := 0
	failed := b.err
wait:
	for _, f := range b.futures {
		select {
		case <-f.Ok():
			acked++
		case err := <-f.Err():
			failed = fmt.Errorf("JetStream refused %s event %d: %w", mode, b.events[acked].Seq, err)
			break wait
		case <-lost:
			failed = errors.New("disconnected while waiting for acks")
			break wait
		case <-ctx.Done():
			failed = context.Cause(ctx)
			break wait
		}
	}
	return acked, failed
}

// moveCursor writes the cursor over an acknowledged prefix. It outlives a
// session's end: what JetStream acknowledged is recorded even when the
// config changes meanwhile.
func (p *Publisher) moveCursor(s *store.Store, after, through uint64) error {
	if p.beforeCursor != nil {
		if err := p.beforeCursor(s.Mode(), through); err != nil {
			return err
		}
	}
	return s.MoveNATSCursor(context.Background(), after, through)
}

func (p *Publisher) published(m store.Mode, n int) {
	p.mu.Lock()
	p.lastPub[m] = p.o.Now().UTC()
	p.mu.Unlock()
	if p.metrics != nil {
		p.metrics.published.WithLabelValues(string(m)).Add(float64(n))
	}
}

// eventIDOf reads the event id from a stored event's JSON, which starts
// {"event":"…","event_id":"evt_…" (store.Event's field order); anything
// else is decoded whole.
func eventIDOf(raw []byte) string {
	const key = `"event_id":"`
	head := raw[:min(len(raw), 256)]
	if i := strings.Index(string(head), key); i >= 0 {
		rest := head[i+len(key):]
		if j := strings.IndexByte(string(rest), '"'); j > 0 && strings.HasPrefix(string(rest), store.EventIDPrefix) {
			return string(rest[:j])
		}
	}
	var e struct {
		EventID string `json:"event_id"`
	}
	if jsonUnmarshal(raw, &e) != nil {
		return ""
	}
	return e.EventID
}

// fail records a session's failure for the status and the log.
func (p *Publisher) fail(gen uint64, err error) {
	p.mu.Lock()
	if p.gen != gen {
		p.mu.Unlock()
		return
	}
	msg := p.words(err)
	now := p.o.Now().UTC()
	p.state, p.errMsg, p.errAt = StateDisconnected, msg, &now
	url := RedactURL(p.cfg.URL)
	p.mu.Unlock()
	p.o.Log.Warn("chain: "+msg, "url", url)
}

// words is err as the status shows it, with any secret of the config (a URL's
// user and password, a token) taken out. p.mu is held.
func (p *Publisher) words(err error) string {
	msg := err.Error()
	for _, u := range strings.Split(p.cfg.URL, ",") {
		u = strings.TrimSpace(u)
		if _, rest, ok := strings.Cut(u, "://"); ok {
			u = rest
		}
		if at := strings.LastIndex(u, "@"); at > 0 {
			info := u[:at]
			msg = strings.ReplaceAll(msg, info, "***")
			if _, pass, ok := strings.Cut(info, ":"); ok && pass != "" {
				msg = strings.ReplaceAll(msg, pass, "***")
			}
		}
	}
	return msg
}

func (p *Publisher) setConnected(on bool) {
	if p.metrics != nil {
		v := 0.0
		if on {
			v = 1
		}
		p.metrics.connected.Set(v)
	}
}

// Status reports the connection and how far each store is mirrored.
func (p *Publisher) Status() Status {
	p.mu.Lock()
	cfg := p.cfg
	st := Status{State: p.state, Error: p.errMsg, ErrorAt: p.errAt, URL: RedactURL(cfg.URL), Stream: cfg.stream(),
		Shop: cfg.Shop, IncludeTest: cfg.IncludeTest, Stores: []StoreStatus{}}
	last := map[store.Mode]time.Time{}
	for m, t := range p.lastPub {
		last[m] = t
	}
	p.mu.Unlock()
	if !cfg.On() {
		st.State = StateOff
		return st
	}
	for _, s := range p.stores(cfg) {
		ss, err := p.storeStatus(s)
		if err != nil {
			continue
		}
		if t, ok := last[s.Mode()]; ok {
			ss.LastPublishedAt = &t
		}
		st.Stores = append(st.Stores, ss)
	}
	return st
}

// storeStatus reads how far s is mirrored: the cursor, the log's end, and
// the age of the oldest event not yet acknowledged.
func (p *Publisher) storeStatus(s *store.Store) (StoreStatus, error) {
	cursor, last, err := s.NATSCursor()
	ss := StoreStatus{Store: string(s.Mode()), PublishedThrough: cursor, LastEvent: last}
	if err != nil || cursor >= last {
		return ss, err
	}
	ss.LagEvents = last - cursor
	next, err := s.EventsAfter(cursor, 1)
	if err != nil || len(next) == 0 {
		return ss, err
	}
	if at, _, err := s.EventIDTime(eventIDOf(next[0].JSON)); err == nil {
		ss.LagSeconds = max(p.o.Now().Sub(at).Seconds(), 0)
	}
	return ss, nil
}

// Hold returns the retention hold for store m: the lowest seq not yet
// acknowledged by JetStream, so the pruner keeps what is still to be sent;
// 0 when off, caught up, or m is test and test events are not included.
func (p *Publisher) Hold(m store.Mode) func() uint64 {
	return func() uint64 {
		cfg, _ := p.config()
		if !cfg.On() {
			return 0
		}
		for _, s := range p.stores(cfg) {
			if s.Mode() != m {
				continue
			}
			cursor, last, err := s.NATSCursor()
			switch {
			case err != nil:
				return 1 // unknown: keep everything
			case cursor >= last:
				return 0
			}
			return cursor + 1
		}
		return 0
	}
}
