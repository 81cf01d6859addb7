package hooks

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"portal/store"
)

// Config sets up the webhook engine. Zero values take the documented defaults.
type Config struct {
	Sealer  *store.Sealer
	Sandbox bool // loopback receivers allowed
	// Schedule, when set, replaces every format's retry delays (tests, demos);
	// it is used exactly, without jitter.
	Schedule []time.Duration
	Now      func() time.Time
	Log      *slog.Logger
	// Workers bounds concurrent requests per store (default 32); PerWebhook
	// bounds them per receiver (default 4), so a slow one cannot take them all.
	Workers    int
	PerWebhook int
	Timeout    time.Duration // per request, default 10 s
	// DisableAfter consecutive failed attempts turn a webhook off (default 50).
	DisableAfter int
	// Transport replaces the guarded HTTP transport (tests only).
	Transport http.RoundTripper
	// Metrics is told the outcome of every recorded attempt; nil counts nothing.
	Metrics Metrics
	// OwnerScopes is what a webhook's owner may do now (the live store's
	// ScopesOf: keys and staff are there whichever store the webhook is in).
	// Every send is checked against it; nil checks only the scopes the
	// webhook recorded when it was set up.
	OwnerScopes func(store.Actor) []string
}

// Engine delivers each store's events to its webhooks. Build it with New;
// Run it once per store.
type Engine struct {
	cfg    Config
	client *http.Client
	mu     sync.Mutex
	kicks  []chan struct{}
}

const (
	maxResponseExcerpt = 2 << 10
	maxDrain           = 64 << 10
	fanOutBatch        = 512
)

// New builds an engine with a guarded, keep-alive HTTP client that never
// follows redirects.
func New(cfg Config) *Engine {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler) // main passes its logger; tests may leave it out
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 32
	}
	if cfg.PerWebhook <= 0 {
		cfg.PerWebhook = 4
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.DisableAfter <= 0 {
		cfg.DisableAfter = 50
	}
	if cfg.Metrics == nil {
		cfg.Metrics = noMetrics{}
	}
	transport := cfg.Transport
	if transport == nil {
		transport = &http.Transport{
			Proxy:                 nil, // a proxy would be dialled instead of the receiver, past the guard
			DialContext:           guardedDialer(cfg.Sandbox, cfg.Timeout).DialContext,
			MaxIdleConns:          256,
			MaxIdleConnsPerHost:   cfg.PerWebhook * 2,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   cfg.Timeout,
			ResponseHeaderTimeout: cfg.Timeout,
		}
	}
	return &Engine{
		cfg: cfg,
		client: &http.Client{
			Transport:     transport,
			Timeout:       cfg.Timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

// Sandbox reports whether loopback receivers are allowed.
func (e *Engine) Sandbox() bool { return e.cfg.Sandbox }

// Kick makes every scheduler look at the queue now (after a test moves the
// injected clock, or an operator re-enables a webhook).
func (e *Engine) Kick() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, k := range e.kicks {
		select {
		case k <- struct{}{}:
		default:
		}
	}
}

func (e *Engine) newKick() chan struct{} {
	k := make(chan struct{}, 1)
	e.mu.Lock()
	e.kicks = append(e.kicks, k)
	e.mu.Unlock()
	return k
}

// MaxAttempts is how many times a webhook of this format is tried.
func (e *Engine) MaxAttempts(format string) int {
	return len(e.schedule(format)) + 1
}

func (e *Engine) schedule(format string) []time.Duration {
	if e.cfg.Schedule != nil {
		return e.cfg.Schedule
	}
	if f, ok := FormatByName(format); ok {
		return f.Schedule()
	}
	return nil
}

// Route matches events to webhooks for the store's fan-out.
func (e *Engine) Route(w *store.Webhook, event string) int {
	if _, lacks := store.LackedEventScope(event, holds(w.ReadScopes)); !Subscribed(w, event) || lacks {
		return 0
	}
	return e.MaxAttempts(w.Format)
}

// Subscribed reports whether a webhook takes an event: "*", the dotted name,
// its area ("ticket.*"), or for portalio webhooks the Portal.io type name.
func Subscribed(w *store.Webhook, event string) bool {
	alias := ""
	if w.Format == "portalio" {
		alias = PortalioType(event)
	}
	for _, e := range w.Events {
		if e == "*" || e == event || (alias != "" && e == alias) || areaMatch(e, event) {
			return true
		}
	}
	return false
}

func areaMatch(pattern, event string) bool {
	area, ok := strings.CutSuffix(pattern, ".*")
	return ok && strings.HasPrefix(event, area+".")
}

// Run fans out and delivers s's events until ctx ends. Deliveries in flight
// when it returns keep their lease; the next Run returns them to the queue.
func (e *Engine) Run(ctx context.Context, s *store.Store) error {
	if _, err := s.RecoverLeases(ctx, e.cfg.Now(), true); err != nil {
		return err
	}
	work := make(chan struct{}, 1)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		e.dispatch(ctx, s, work)
	}()
	e.deliver(ctx, s, work)
	wg.Wait()
	return nil
}

// dispatch turns new events into deliveries whenever the store commits.
func (e *Engine) dispatch(ctx context.Context, s *store.Store, work chan<- struct{}) {
	for {
		committed := s.Committed() // taken before reading, so no commit is missed
		var retry <-chan time.Time // set after a failure (a full disk): try again without waiting for a commit
		for {
			done, err := s.HooksCaughtUp()
			if err != nil || done {
				if err != nil && ctx.Err() == nil {
					e.cfg.Log.Error("webhook fan-out", "err", err)
					retry = time.After(fanOutRetry)
				}
				break
			}
			n, err := s.FanOut(ctx, fanOutBatch, e.Route)
			if err != nil {
				if ctx.Err() == nil && !errors.Is(err, store.ErrClosed) {
					e.cfg.Log.Error("webhook fan-out", "err", err)
					retry = time.After(fanOutRetry)
				}
				break
			}
			if n > 0 {
				select {
				case work <- struct{}{}:
				default:
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-committed:
		case <-retry:
		}
	}
}

// fanOutRetry is how soon a failed fan-out is tried again.
const fanOutRetry = 5 * time.Second

// KnownEvent says whether a webhook of format can subscribe to name: a
// dotted event name, an area ("ticket.*"), or for portalio webhooks a
// Portal.io type name.
func KnownEvent(format, name string) bool {
	if store.KnownEvent(name) {
		return true
	}
	if strings.HasSuffix(name, ".*") {
		return slices.ContainsFunc(store.EventNames, func(e string) bool { return areaMatch(name, e) })
	}
	if format != "portalio" {
		return false
	}
	for _, e := range store.EventNames {
		if PortalioType(e) == name {
			return true
		}
	}
	return false
}
