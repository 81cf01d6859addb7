package hooks_test

// End-to-end tests of the engine: a real store file, real receivers
// (httptest servers) and an injected clock that moves only when the test
// moves it. Tests wait for signals (a receiver's request, a store commit),
// never for a fixed time.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"portal/hooks"
	"portal/store"
)

// waitLimit bounds every wait; reaching it fails the test.
const waitLimit = 15 * time.Second

// manualClock is the engine's and the store's clock.
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// testLog sends the engine's log lines to the test's output.
type testLog struct{ t *testing.T }

func (w testLog) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// hookEnv is a store with its engine, driven by a manual clock.
type hookEnv struct {
	t      *testing.T
	s      *store.Store
	sealer *store.Sealer
	clock  *manualClock
	cfg    hooks.Config
	e      *hooks.Engine
}

// newHookEnv opens a test store in a temporary folder and builds an engine
// from cfg with the manual clock; start runs it.
func newHookEnv(t *testing.T, cfg hooks.Config) *hookEnv {
	t.Helper()
	dir := t.TempDir()
	// The clock starts at the real time so the official Standard Webhooks
	// library, which reads the real clock, accepts fresh signatures.
	clock := &manualClock{now: time.Now().UTC().Truncate(time.Second)}
	sealer, err := store.LoadSealer(filepath.Join(dir, "seal.key"))
	if err != nil {
		t.Fatal(err)
	}
	v := &hookEnv{t: t, sealer: sealer, clock: clock}
	v.open(filepath.Join(dir, "test.db"))
	cfg.Sealer, cfg.Now = sealer, clock.Now
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(testLog{t}, nil))
	}
	v.cfg = cfg
	v.e = hooks.New(cfg)
	return v
}

func (v *hookEnv) open(path string) {
	v.t.Helper()
	s, err := store.Open(path, store.Options{Mode: store.Test, Now: v.clock.Now})
	if err != nil {
		v.t.Fatal(err)
	}
	v.t.Cleanup(func() { s.Close() })
	v.s = s
}

// start runs e on the store until the test ends. Create receivers before
// starting, so the engine stops before they close.
func (v *hookEnv) start(e *hooks.Engine) {
	v.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx, v.s) }()
	v.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			v.t.Errorf("Run: %v", err)
		}
	})
}

// webhook subscribes url and returns the webhook with its secret.
func (v *hookEnv) webhook(url, format string, events ...string) (store.Webhook, string) {
	v.t.Helper()
	if len(events) == 0 {
		events = []string{"*"}
	}
	secret, err := hooks.NewSecret(format)
	if err != nil {
		v.t.Fatal(err)
	}
	w, err := v.s.CreateWebhook(v.t.Context(), store.WebhookInput{URL: url, Events: events, Format: format}, secret, v.sealer, hooks.KnownEvent)
	if err != nil {
		v.t.Fatalf("CreateWebhook(%s, %s): %v", url, format, err)
	}
	return w.Webhook, secret
}

// customer creates a customer and returns the customer.created event logged for it.
func (v *hookEnv) customer(name string) store.StoredEvent {
	v.t.Helper()
	if _, err := v.s.CreateCustomer(v.t.Context(), store.CustomerInput{Name: name}); err != nil {
		v.t.Fatal(err)
	}
	return v.lastEvent("customer.created")
}

// lastEvent is the newest logged event called name.
func (v *hookEnv) lastEvent(name string) store.StoredEvent {
	v.t.Helper()
	evs := v.events(name)
	if len(evs) == 0 {
		v.t.Fatalf("no %s event in the log", name)
	}
	return evs[len(evs)-1]
}

// events are the logged events called name, oldest first.
func (v *hookEnv) events(name string) []store.StoredEvent {
	v.t.Helper()
	all, err := v.s.EventsAfter(0, 1<<20)
	if err != nil {
		v.t.Fatal(err)
	}
	return slices.DeleteFunc(all, func(e store.StoredEvent) bool { return e.Name != name })
}

// waitFor checks cond after every commit until it holds.
func (v *hookEnv) waitFor(what string, cond func() bool) {
	v.t.Helper()
	deadline := time.After(waitLimit)
	for {
		committed := v.s.Committed() // taken before checking, so no commit is missed
		if cond() {
			return
		}
		select {
		case <-committed:
		case <-deadline:
			v.t.Fatalf("timed out after %s waiting for %s", waitLimit, what)
		}
	}
}

// deliveries lists a webhook's deliveries, oldest first.
func (v *hookEnv) deliveries(webhookID uint64) []store.Delivery {
	v.t.Helper()
	page, err := v.s.WebhookDeliveries(webhookID, 1, 1000)
	if err != nil {
		v.t.Fatal(err)
	}
	out := make([]store.Delivery, len(page.Items))
	for i, raw := range page.Items {
		if err := json.Unmarshal(raw, &out[len(out)-1-i]); err != nil {
			v.t.Fatal(err)
		}
	}
	return out
}

// delivery waits for the webhook's first delivery and returns it.
func (v *hookEnv) delivery(webhookID uint64) store.Delivery {
	v.t.Helper()
	var ds []store.Delivery
	v.waitFor(fmt.Sprintf("a delivery to webhook %d", webhookID), func() bool {
		ds = v.deliveries(webhookID)
		return len(ds) > 0
	})
	return ds[0]
}

func (v *hookEnv) detail(id string) store.DeliveryDetail {
	v.t.Helper()
	d, err := v.s.DeliveryDetail(id)
	if err != nil {
		v.t.Fatal(err)
	}
	return d
}

// attempts waits until delivery id has n attempts recorded and returns it.
func (v *hookEnv) attempts(id string, n int) store.DeliveryDetail {
	v.t.Helper()
	var d store.DeliveryDetail
	v.waitFor(fmt.Sprintf("attempt %d of %s", n, id), func() bool {
		d = v.detail(id)
		return len(d.Attempts) >= n
	})
	if len(d.Attempts) != n {
		v.t.Fatalf("%s has %d attempts, want %d", id, len(d.Attempts), n)
	}
	return d
}

// settled waits until delivery id is delivered or failed.
func (v *hookEnv) settled(id string) store.DeliveryDetail {
	v.t.Helper()
	var d store.DeliveryDetail
	v.waitFor(id+" delivered or failed", func() bool {
		d = v.detail(id)
		return d.Status != store.DeliveryPending
	})
	return d
}

// runToNextDue moves the clock to when the engine may send next, and wakes it.
func (v *hookEnv) runToNextDue(e *hooks.Engine) time.Time {
	v.t.Helper()
	at, ok, err := v.s.NextDue()
	if err != nil || !ok {
		v.t.Fatalf("NextDue = %v, %v, %v; want a queued delivery", at, ok, err)
	}
	if at.After(v.clock.Now()) {
		v.clock.Set(at)
	}
	e.Kick()
	return at
}

func (v *hookEnv) loadWebhook(id uint64) store.Webhook {
	v.t.Helper()
	w, err := v.s.Webhook(id)
	if err != nil {
		v.t.Fatal(err)
	}
	return w
}

// hit is one request a receiver read.
type hit struct {
	header http.Header
	body   []byte
}

// capture is a receiver that keeps every request. answer writes the
// response to the n-th request (1-based); nil answers 200 "ok".
type capture struct {
	*httptest.Server
	mu      sync.Mutex
	hits    []hit
	changed chan struct{} // closed and replaced at every request
	answer  func(n int, w http.ResponseWriter, r *http.Request)
}

func newCapture(t *testing.T, answer func(n int, w http.ResponseWriter, r *http.Request)) *capture {
	t.Helper()
	c := &capture{changed: make(chan struct{}), answer: answer}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		c.mu.Lock()
		c.hits = append(c.hits, hit{header: r.Header.Clone(), body: body})
		n := len(c.hits)
		close(c.changed)
		c.changed = make(chan struct{})
		c.mu.Unlock()
		if c.answer == nil {
			io.WriteString(w, "ok")
			return
		}
		c.answer(n, w, r)
	}))
	t.Cleanup(c.Close)
	return c
}

// status answers every request with code.
func status(code int) func(int, http.ResponseWriter, *http.Request) {
	return func(_ int, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(code) }
}

func (c *capture) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.hits)
}

// wait returns the first n requests once they have arrived.
func (c *capture) wait(t *testing.T, n int) []hit {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		c.mu.Lock()
		hits, changed := slices.Clone(c.hits), c.changed
		c.mu.Unlock()
		if len(hits) >= n {
			return hits[:n]
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("timed out after %s with %d of %d requests at %s", waitLimit, len(hits), n, c.URL)
		}
	}
}

// eventIDOf reads the event id from a received body of format.
func eventIDOf(t *testing.T, format string, body []byte) string {
	t.Helper()
	var b struct {
		EventID string `json:"event_id"`
		ID      string `json:"id"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		t.Fatalf("body %s: %v", body, err)
	}
	if format == "portalio" || format == "porter" {
		return b.ID
	}
	return b.EventID
}

// verifyWith checks a received request with the exported Verify function of
// its format.
func verifyWith(format, secret string, h hit, now time.Time) error {
	switch format {
	case "portal":
		return hooks.VerifyPortal(secret, h.header, h.body, 0, now)
	case "portalio":
		return hooks.VerifyPortalio(secret, h.header, h.body, 0, now)
	case "porter":
		return hooks.VerifyPorter(secret, h.header, h.body)
	case "standard":
		return hooks.VerifyStandard(secret, h.header, h.body, 0, now)
	}
	return fmt.Errorf("no format %s", format)
}

// wireBody is what format must send for a logged event: API.md's bodies.
func wireBody(t *testing.T, format string, ev store.StoredEvent) string {
	t.Helper()
	var top struct {
		Event     string                     `json:"event"`
		EventID   string                     `json:"event_id"`
		Timestamp string                     `json:"timestamp"`
		Data      map[string]json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(ev.JSON, &top); err != nil {
		t.Fatal(err)
	}
	raw := string(ev.JSON) // data is the last member of the event object
	data := raw[strings.Index(raw, `"data":`)+len(`"data":`) : len(raw)-1]
	switch format {
	case "portalio":
		return `{"id":"` + top.EventID + `","type":"PersonModification","created":"` + top.Timestamp + `","data":` + string(top.Data["customer"]) + `}`
	case "porter":
		return `{"event":"` + top.Event + `","id":"` + top.EventID + `","created_at":"` + top.Timestamp + `","data":` + data + `}`
	}
	return string(ev.JSON)
}

func TestEachFormatIsDeliveredAsLoggedAndVerifies(t *testing.T) {
	t.Parallel()
	v := newHookEnv(t, hooks.Config{Sandbox: true})
	type sub struct {
		rcv    *capture
		hook   store.Webhook
		secret string
	}
	subs := map[string]sub{}
	for _, f := range hooks.FormatNames {
		rcv := newCapture(t, nil)
		w, secret := v.webhook(rcv.URL, f)
		subs[f] = sub{rcv, w, secret}
	}
	v.start(v.e)
	ev := v.customer("Ada Lovelace")
	eventID := eventIDOf(t, "portal", ev.JSON)
	now := v.clock.Now()

	for _, f := range hooks.FormatNames {
		sb := subs[f]
		h := sb.rcv.wait(t, 1)[0]
		if got, want := string(h.body), wireBody(t, f, ev); got != want {
			t.Errorf("%s: body\n%s\nwant\n%s", f, got, want)
		}
		if err := hooks.Verify(f, sb.secret, h.header, h.body, now); err != nil {
			t.Errorf("%s: Verify: %v", f, err)
		}
		if err := verifyWith(f, sb.secret, h, now); err != nil {
			t.Errorf("%s: Verify%s: %v", f, f, err)
		}
		if !receiver(f)(sb.secret, h.header, h.body, now) {
			t.Errorf("%s: the independent %s receiver refuses the request", f, f)
		}
		tampered := hit{h.header, []byte(strings.Replace(string(h.body), "Ada", "Eve", 1))}
		if err := verifyWith(f, sb.secret, tampered, now); !errors.Is(err, hooks.ErrBadSignature) {
			t.Errorf("%s: tampered body: %v, want ErrBadSignature", f, err)
		}
		if err := verifyWith(f, subs[otherFormat(f)].secret, h, now); !errors.Is(err, hooks.ErrBadSignature) {
			t.Errorf("%s: another webhook's secret: %v, want ErrBadSignature", f, err)
		}
		if f != "porter" { // porter signs no time
			if err := verifyWith(f, sb.secret, h, now.Add(10*time.Minute)); !errors.Is(err, hooks.ErrStaleTimestamp) {
				t.Errorf("%s: ten minutes later: %v, want ErrStaleTimestamp", f, err)
			}
		}
		for k, want := range map[string]string{"Content-Type": "application/json", "User-Agent": "Portal-Webhooks/1"} {
			if got := h.header.Get(k); got != want {
				t.Errorf("%s: %s = %q, want %q", f, k, got, want)
			}
		}
		ts := fmt.Sprint(now.Unix())
		var want map[string]string
		switch f {
		case "portal":
			want = map[string]string{"X-Portal-Event": "customer.created", "X-Portal-Delivery": eventID, "X-Portal-Timestamp": ts}
		case "standard":
			want = map[string]string{"Webhook-Id": eventID, "Webhook-Timestamp": ts}
		case "portalio":
			want = map[string]string{}
			if sig := h.header.Get("X-Webhook-Signature"); !strings.HasPrefix(sig, "t="+ts+",v1=") {
				t.Errorf("%s: X-Webhook-Signature %q, want t=%s,v1=…", f, sig, ts)
			}
		}
		for k, w := range want {
			if got := h.header.Get(k); got != w {
				t.Errorf("%s: %s = %q, want %q", f, k, got, w)
			}
		}

		d := v.settled(v.delivery(sb.hook.ID).ID)
		if d.Status != store.DeliveryDelivered || d.EventID != eventID || string(d.Payload) != string(ev.JSON) ||
			len(d.Attempts) != 1 || d.Attempts[0].StatusCode != 200 || d.Attempts[0].Manual {
			t.Errorf("%s: delivery %+v, want delivered once with the logged event", f, d)
		}
	}
}

func otherFormat(f string) string {
	if f == "portal" {
		return "porter"
	}
	return "portal"
}

func TestADayOfRetriesFollowsTheFormatSchedule(t *testing.T) {
	t.Parallel()
	portal := []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 24 * time.Hour}
	portalio := []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 12 * time.Hour}
	for _, tc := range []struct {
		format string
		delays []time.Duration
	}{{"portal", portal}, {"portalio", portalio}, {"porter", portal}, {"standard", portal}} {
		t.Run(tc.format, func(t *testing.T) {
			t.Parallel()
			v := newHookEnv(t, hooks.Config{Sandbox: true})
			rcv := newCapture(t, status(http.StatusInternalServerError))
			w, _ := v.webhook(rcv.URL, tc.format)
			v.start(v.e)
			ev := v.customer("Ada")
			rcv.wait(t, 1)
			id := v.delivery(w.ID).ID
			d := v.attempts(id, 1)
			if d.MaxAttempts != len(tc.delays)+1 {
				t.Fatalf("MaxAttempts = %d, want %d", d.MaxAttempts, len(tc.delays)+1)
			}
			jittered := false
			for i, nominal := range tc.delays {
				if d.Status != store.DeliveryPending || d.NextAttemptAt == nil {
					t.Fatalf("after attempt %d: %+v, want a retry scheduled", i+1, d.Delivery)
				}
				prev := d.Attempts[i].At
				within(t, fmt.Sprintf("scheduled retry %d", i+1), d.NextAttemptAt.Sub(prev), nominal)
				jittered = jittered || d.NextAttemptAt.Sub(prev) != nominal

				at := v.runToNextDue(v.e)
				rcv.wait(t, i+2)
				d = v.attempts(id, i+2)
				if got := d.Attempts[i+1].At; !got.Equal(at) {
					t.Fatalf("attempt %d made at %v, want when it came due (%v)", i+2, got, at)
				}
				within(t, fmt.Sprintf("attempt %d after attempt %d", i+2, i+1), d.Attempts[i+1].At.Sub(prev), nominal)
			}
			if !jittered {
				t.Errorf("every retry came exactly on schedule: no jitter")
			}
			d = v.settled(id)
			if d.Status != store.DeliveryFailed || len(d.Attempts) != 6 || d.NextAttemptAt != nil || d.LastStatusCode != 500 {
				t.Fatalf("after the last retry: %+v, want failed after 6 attempts", d.Delivery)
			}
			if day := d.Attempts[5].At.Sub(d.Attempts[0].At); day < sum(tc.delays)*9/10 {
				t.Fatalf("six attempts spanned %s, want about %s", day, sum(tc.delays))
			}

			// Nothing more: two days on, a new event is the next request.
			v.clock.Advance(48 * time.Hour)
			v.e.Kick()
			canary := v.customer("Canary")
			hits := rcv.wait(t, 7)
			if got, want := eventIDOf(t, tc.format, hits[6].body), eventIDOf(t, "portal", canary.JSON); got != want {
				t.Fatalf("request after the last retry carries %s, want the new event %s", got, want)
			}
			for i, h := range hits[:6] {
				if got, want := eventIDOf(t, tc.format, h.body), eventIDOf(t, "portal", ev.JSON); got != want {
					t.Fatalf("request %d carries %s, want %s", i+1, got, want)
				}
			}
			if n := len(v.detail(id).Attempts); n != 6 {
				t.Fatalf("the failed delivery has %d attempts, want 6", n)
			}
		})
	}
}

func sum(ds []time.Duration) time.Duration {
	var t time.Duration
	for _, d := range ds {
		t += d
	}
	return t
}

// within fails unless got is within ±10% of nominal.
func within(t *testing.T, what string, got, nominal time.Duration) {
	t.Helper()
	if lo, hi := nominal*9/10, nominal*11/10; got < lo || got > hi {
		t.Fatalf("%s: %s, want %s ±10%% [%s, %s]", what, got, nominal, lo, hi)
	}
}

func TestRetryAfterSetsTheNextAttempt(t *testing.T) {
	t.Parallel()
	// date, when set, sends Retry-After as an HTTP date that far from the
	// engine's clock (which starts on a whole second, as HTTP dates are).
	for _, tc := range []struct {
		code       int
		retryAfter string
		date       time.Duration
		lo, hi     time.Duration
	}{
		{http.StatusTooManyRequests, "30", 0, 30 * time.Second, 30 * time.Second},
		{http.StatusServiceUnavailable, "30", 0, 30 * time.Second, 30 * time.Second},
		// Capped at twice the scheduled delay (1m ±10%).
		{http.StatusTooManyRequests, "3600", 0, 108 * time.Second, 132 * time.Second},
		// Just past what a Duration holds: seconds × 10⁹ would wrap negative.
		{http.StatusTooManyRequests, "9223372037", 0, 108 * time.Second, 132 * time.Second},
		// Other statuses keep the schedule.
		{http.StatusInternalServerError, "30", 0, 54 * time.Second, 66 * time.Second},
		{http.StatusTooManyRequests, "date", 30 * time.Second, 30 * time.Second, 30 * time.Second},
		{http.StatusServiceUnavailable, "date", 30 * time.Second, 30 * time.Second, 30 * time.Second},
		{http.StatusTooManyRequests, "date", time.Hour, 108 * time.Second, 132 * time.Second},
		// A date already past asks for nothing: the schedule holds.
		{http.StatusServiceUnavailable, "date", -time.Hour, 54 * time.Second, 66 * time.Second},
	} {
		name := fmt.Sprintf("%d_%s", tc.code, tc.retryAfter)
		if tc.date != 0 {
			name += fmt.Sprintf("%+d", tc.date/time.Second)
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			v := newHookEnv(t, hooks.Config{Sandbox: true})
			header := tc.retryAfter
			if tc.date != 0 {
				header = v.clock.Now().Add(tc.date).Format(http.TimeFormat)
			}
			rcv := newCapture(t, func(n int, w http.ResponseWriter, _ *http.Request) {
				if n == 1 {
					w.Header().Set("Retry-After", header)
					w.WriteHeader(tc.code)
				}
			})
			w, _ := v.webhook(rcv.URL, "portal")
			v.start(v.e)
			v.customer("Ada")
			rcv.wait(t, 1)
			id := v.delivery(w.ID).ID
			d := v.attempts(id, 1)
			if d.NextAttemptAt == nil {
				t.Fatalf("no retry after %d: %+v", tc.code, d.Delivery)
			}
			if got := d.NextAttemptAt.Sub(d.Attempts[0].At); got < tc.lo || got > tc.hi {
				t.Fatalf("retry scheduled %s after the attempt, want [%s, %s]", got, tc.lo, tc.hi)
			}
			at := v.runToNextDue(v.e)
			if got := at.Sub(d.Attempts[0].At); got < tc.lo || got > tc.hi {
				t.Fatalf("next send due %s after the attempt, want [%s, %s]", got, tc.lo, tc.hi)
			}
			rcv.wait(t, 2)
			d = v.settled(id)
			if d.Status != store.DeliveryDelivered || len(d.Attempts) != 2 || !d.Attempts[1].At.Equal(at) {
				t.Fatalf("after the second attempt: %+v, want delivered at %v", d, at)
			}
		})
	}
}

// TestFiftyConsecutiveFailuresDisableTheWebhook uses a schedule of zero
// delays, so the 50 attempts follow each other without moving the clock.
func TestFiftyConsecutiveFailuresDisableTheWebhook(t *testing.T) {
	t.Parallel()
	v := newHookEnv(t, hooks.Config{Sandbox: true, Schedule: make([]time.Duration, 60)})
	failing := newCapture(t, status(http.StatusInternalServerError))
	watcher := newCapture(t, nil)
	w, _ := v.webhook(failing.URL, "portal")
	v.webhook(watcher.URL, "portal")
	v.start(v.e)
	v.customer("Ada")

	// The watcher subscribes to everything, webhook.disabled included.
	hits := watcher.wait(t, 2)
	if got := hits[1].header.Get("X-Portal-Event"); got != "webhook.disabled" {
		t.Fatalf("watcher's second request is %s, want webhook.disabled", got)
	}
	if n := failing.count(); n != 50 {
		t.Fatalf("the failing receiver got %d requests, want 50", n)
	}
	got := v.loadWebhook(w.ID)
	if got.Enabled || got.ConsecutiveFailures != 50 || !strings.Contains(got.DisabledReason, "50 consecutive") {
		t.Fatalf("webhook %+v, want disabled after 50 consecutive failures", got)
	}
	disabled := v.events("webhook.disabled")
	if len(disabled) != 1 {
		t.Fatalf("%d webhook.disabled events, want 1", len(disabled))
	}
	var ev struct {
		Data struct {
			WebhookID uint64 `json:"webhook_id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(disabled[0].JSON, &ev); err != nil || ev.Data.WebhookID != w.ID {
		t.Fatalf("webhook.disabled %s, want webhook_id %d", disabled[0].JSON, w.ID)
	}
	d := v.settled(v.delivery(w.ID).ID)
	if d.Status != store.DeliveryFailed || len(d.Attempts) != 50 {
		t.Fatalf("delivery %+v with %d attempts, want failed after 50", d.Delivery, len(d.Attempts))
	}

	// No more requests: a later event reaches only the watcher.
	v.customer("Grace")
	watcher.wait(t, 3)
	if n := failing.count(); n != 50 {
		t.Fatalf("the disabled webhook's receiver got %d requests, want still 50", n)
	}
}

func TestGoneDisablesTheWebhookAtOnce(t *testing.T) {
	t.Parallel()
	v := newHookEnv(t, hooks.Config{Sandbox: true, PerWebhook: 1})
	gone := newCapture(t, status(http.StatusGone))
	watcher := newCapture(t, nil)
	w, _ := v.webhook(gone.URL, "portal")
	v.webhook(watcher.URL, "portal")
	v.customer("Ada")
	v.customer("Grace")
	v.start(v.e)

	v.waitFor("webhook.disabled", func() bool { return len(v.events("webhook.disabled")) > 0 })
	hits := watcher.wait(t, 3)
	if got := hits[2].header.Get("X-Portal-Event"); got != "webhook.disabled" {
		t.Fatalf("watcher's third request is %s, want webhook.disabled", got)
	}
	if n := gone.count(); n != 1 {
		t.Fatalf("the receiver that answered 410 got %d requests, want 1", n)
	}
	got := v.loadWebhook(w.ID)
	if got.Enabled || !strings.Contains(got.DisabledReason, "410") {
		t.Fatalf("webhook %+v, want disabled for 410 Gone", got)
	}
	tried := 0
	for _, d := range v.deliveries(w.ID) {
		if d.Attempts > 0 {
			tried++
			if d.Status != store.DeliveryFailed || d.LastStatusCode != 410 || d.Attempts != 1 {
				t.Fatalf("delivery %+v, want failed after one 410", d)
			}
		}
	}
	if tried != 1 {
		t.Fatalf("%d deliveries were tried, want 1", tried)
	}
	if n := len(v.events("webhook.disabled")); n != 1 {
		t.Fatalf("%d webhook.disabled events, want 1", n)
	}
}

func TestRedirectIsNotFollowed(t *testing.T) {
	t.Parallel()
	v := newHookEnv(t, hooks.Config{Sandbox: true, Schedule: []time.Duration{time.Minute, time.Minute}})
	target := newCapture(t, nil)
	redirecting := newCapture(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/elsewhere", http.StatusFound)
	})
	w, _ := v.webhook(redirecting.URL, "portal")
	v.start(v.e)
	v.customer("Ada")
	redirecting.wait(t, 1)
	id := v.delivery(w.ID).ID
	d := v.attempts(id, 1)
	a := d.Attempts[0]
	if a.StatusCode != http.StatusFound || !strings.Contains(a.Error, "not followed") ||
		a.ResponseHeaders["Location"] != target.URL+"/elsewhere" {
		t.Fatalf("attempt %+v, want the 302 recorded as not followed", a)
	}
	if d.Status != store.DeliveryPending || d.NextAttemptAt == nil {
		t.Fatalf("delivery %+v, want a retry", d.Delivery)
	}
	v.runToNextDue(v.e)
	redirecting.wait(t, 2)
	v.attempts(id, 2)
	if n := target.count(); n != 0 {
		t.Fatalf("the redirect target got %d requests, want 0", n)
	}
}

func TestAttemptLogKeepsTheRequestAndTwoKiBOfTheResponse(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("0123456789abcdef", 640) // 10 KiB
	for _, code := range []int{http.StatusOK, http.StatusBadRequest} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			t.Parallel()
			v := newHookEnv(t, hooks.Config{Sandbox: true})
			rcv := newCapture(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("X-Receiver", "test")
				w.WriteHeader(code)
				io.WriteString(w, long)
			})
			w, _ := v.webhook(rcv.URL, "portal")
			v.start(v.e)
			v.customer("Ada")
			h := rcv.wait(t, 1)[0]
			d := v.attempts(v.delivery(w.ID).ID, 1)
			a := d.Attempts[0]
			if a.StatusCode != code || a.ResponseBody != long[:2048] {
				t.Fatalf("attempt status %d, response body of %d bytes; want %d and the first 2048 bytes", a.StatusCode, len(a.ResponseBody), code)
			}
			if a.ResponseHeaders["X-Receiver"] != "test" {
				t.Fatalf("response headers %v, want X-Receiver", a.ResponseHeaders)
			}
			if string(a.RequestBody) != string(h.body) {
				t.Fatalf("request body logged\n%s\nsent\n%s", a.RequestBody, h.body)
			}
			for _, k := range []string{"X-Portal-Signature", "X-Portal-Timestamp", "X-Portal-Event", "X-Portal-Delivery", "Content-Type", "User-Agent"} {
				if a.RequestHeaders[k] != h.header.Get(k) || a.RequestHeaders[k] == "" {
					t.Fatalf("request header %s logged as %q, sent as %q", k, a.RequestHeaders[k], h.header.Get(k))
				}
			}
			if !a.At.Equal(v.clock.Now()) || a.LatencyMS < 0 || a.N != 1 {
				t.Fatalf("attempt %+v, want n 1 made now", a)
			}
		})
	}
}

func TestTimeoutIsAFailedAttempt(t *testing.T) {
	t.Parallel()
	v := newHookEnv(t, hooks.Config{Sandbox: true, Timeout: 200 * time.Millisecond, Schedule: []time.Duration{time.Minute}})
	rcv := newCapture(t, func(_ int, _ http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	w, _ := v.webhook(rcv.URL, "portal")
	v.start(v.e)
	v.customer("Ada")
	d := v.attempts(v.delivery(w.ID).ID, 1)
	if a := d.Attempts[0]; a.StatusCode != 0 || a.Error != "timed out" || d.NextAttemptAt == nil {
		t.Fatalf("attempt %+v of %+v, want a timeout and a retry", a, d.Delivery)
	}
}

func TestLoopbackReceiverIsRefusedOutsideTheSandbox(t *testing.T) {
	t.Parallel()
	v := newHookEnv(t, hooks.Config{Sandbox: false, Schedule: []time.Duration{time.Minute}})
	rcv := newCapture(t, nil)
	w, _ := v.webhook(rcv.URL, "portal") // the store does not check addresses; the API and the dialer do
	v.start(v.e)
	v.customer("Ada")
	d := v.attempts(v.delivery(w.ID).ID, 1)
	a := d.Attempts[0]
	if a.StatusCode != 0 || !strings.Contains(a.Error, "refused") || !strings.Contains(a.Error, "private or local address") {
		t.Fatalf("attempt %+v, want refused as a private or local address", a)
	}
	if n := rcv.count(); n != 0 {
		t.Fatalf("the loopback receiver got %d requests, want 0", n)
	}
}

func TestCheckURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		url     string
		sandbox bool
		ok      bool
	}{
		{"http://127.0.0.1:8080/hook", false, false},
		{"http://10.0.0.1/hook", false, false},
		{"http://169.254.169.254/latest/meta-data/", false, false},
		{"http://[::1]:9000/hook", false, false},
		{"http://100.64.0.1/hook", false, false},
		{"http://192.168.1.20/hook", false, false},
		{"http://172.16.0.1/hook", false, false},
		{"http://0.0.0.0/hook", false, false},
		{"http://[fe80::1]/hook", false, false},
		{"http://[fd00::1]/hook", false, false},
		{"http://[::ffff:127.0.0.1]/hook", false, false},
		{"http://localhost:8080/hook", false, false},
		{"https://203.0.113.10/hook", false, true},
		{"http://127.0.0.1:8080/hook", true, true},
		{"http://localhost:8080/hook", true, true},
		{"http://10.0.0.1/hook", true, false},
		{"http://169.254.169.254/", true, false},
	} {
		err := hooks.CheckURL(t.Context(), tc.url, tc.sandbox)
		if tc.ok && err != nil {
			t.Errorf("CheckURL(%s, sandbox %v) = %v, want accepted", tc.url, tc.sandbox, err)
		}
		if !tc.ok && !errors.Is(err, hooks.ErrForbiddenAddress) {
			t.Errorf("CheckURL(%s, sandbox %v) = %v, want ErrForbiddenAddress", tc.url, tc.sandbox, err)
		}
	}
}

func TestSlowReceiverDoesNotDelayOthers(t *testing.T) {
	t.Parallel()
	// A long timeout: the slow receiver holds its requests for the whole test.
	v := newHookEnv(t, hooks.Config{Sandbox: true, PerWebhook: 2, Timeout: time.Minute})
	release := make(chan struct{})
	slow := newCapture(t, func(_ int, _ http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	t.Cleanup(func() { close(release) }) // before the server closes
	fast := newCapture(t, nil)
	slowHook, _ := v.webhook(slow.URL, "portal")
	fastHook, _ := v.webhook(fast.URL, "portal")
	v.start(v.e)
	const n = 20
	for i := range n {
		v.customer(fmt.Sprint("Customer ", i))
	}
	slow.wait(t, 2)
	fast.wait(t, n)
	v.waitFor("every delivery to the fast receiver recorded", func() bool {
		ds := v.deliveries(fastHook.ID)
		return len(ds) == n && !slices.ContainsFunc(ds, func(d store.Delivery) bool { return d.Status != store.DeliveryDelivered })
	})
	if got := slow.count(); got != 2 {
		t.Fatalf("the slow receiver got %d requests at once, want PerWebhook (2)", got)
	}
	if ds := v.deliveries(slowHook.ID); len(ds) != n || slices.ContainsFunc(ds, func(d store.Delivery) bool { return d.Attempts > 0 }) {
		t.Fatalf("slow webhook's deliveries %+v, want %d, none finished", ds, n)
	}
}

func TestSendNowDeliversATestEventOnceAndNeverRetries(t *testing.T) {
	t.Parallel()
	v := newHookEnv(t, hooks.Config{Sandbox: true})
	ok := newCapture(t, nil)
	failing := newCapture(t, status(http.StatusInternalServerError))
	okHook, okSecret := v.webhook(ok.URL, "portal")
	failHook, _ := v.webhook(failing.URL, "portal")
	v.start(v.e)
	ctx := t.Context()

	l, err := v.s.TestDelivery(ctx, okHook.ID, "ticket.created", hooks.SampleData("ticket.created"), v.sealer)
	if err != nil {
		t.Fatal(err)
	}
	d, a, err := v.e.SendNow(ctx, v.s, l)
	if err != nil || d.Status != store.DeliveryDelivered || !a.Manual || a.StatusCode != 200 {
		t.Fatalf("SendNow = %+v, %+v, %v; want delivered by a manual attempt", d, a, err)
	}
	h := ok.wait(t, 1)[0]
	if err := hooks.VerifyPortal(okSecret, h.header, h.body, 0, v.clock.Now()); err != nil {
		t.Fatalf("test delivery does not verify: %v", err)
	}
	var body struct {
		Event string          `json:"event"`
		Data  json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(h.body, &body); err != nil || body.Event != "ticket.created" || string(body.Data) != string(hooks.SampleData("ticket.created")) {
		t.Fatalf("test body %s, want the sample ticket.created event", h.body)
	}
	dd := v.detail(l.Delivery.ID)
	if !dd.Test || dd.Status != store.DeliveryDelivered || len(dd.Attempts) != 1 || !dd.Attempts[0].Manual {
		t.Fatalf("test delivery %+v, want delivered once, manual, marked test", dd)
	}

	l, err = v.s.TestDelivery(ctx, failHook.ID, "customer.created", hooks.SampleData("customer.created"), v.sealer)
	if err != nil {
		t.Fatal(err)
	}
	d, a, err = v.e.SendNow(ctx, v.s, l)
	if err != nil || d.Status != store.DeliveryFailed || d.NextAttemptAt != nil || !a.Manual || a.StatusCode != 500 {
		t.Fatalf("failing SendNow = %+v, %+v, %v; want failed, no retry", d, a, err)
	}
	// An hour on, the next request to that receiver is a real event, not the test again.
	v.clock.Advance(time.Hour)
	v.e.Kick()
	canary := v.customer("Canary")
	hits := failing.wait(t, 2)
	if got, want := hits[1].header.Get("X-Portal-Delivery"), eventIDOf(t, "portal", canary.JSON); got != want {
		t.Fatalf("second request to the failing receiver is %s, want the new event %s", got, want)
	}
	if dd := v.detail(l.Delivery.ID); len(dd.Attempts) != 1 || dd.Status != store.DeliveryFailed {
		t.Fatalf("failed test delivery %+v, want one attempt", dd)
	}
}

func TestRotationSignsWithBothSecretsWhereTheFormatCan(t *testing.T) {
	t.Parallel()
	v := newHookEnv(t, hooks.Config{Sandbox: true})
	type sub struct {
		rcv      *capture
		old, new string
	}
	subs := map[string]*sub{}
	for _, f := range hooks.FormatNames {
		rcv := newCapture(t, nil)
		w, old := v.webhook(rcv.URL, f)
		secret, err := hooks.NewSecret(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.s.RotateWebhookSecret(t.Context(), w.ID, store.Editor{}, secret, 24*time.Hour, v.sealer); err != nil {
			t.Fatal(err)
		}
		subs[f] = &sub{rcv, old, secret}
	}
	v.start(v.e)
	v.customer("Ada")
	signatures := func(f string, h hit) int {
		switch f {
		case "portalio":
			return strings.Count(h.header.Get("X-Webhook-Signature"), "v1=")
		case "standard":
			return len(strings.Fields(h.header.Get("Webhook-Signature")))
		case "portal":
			return len(h.header.Values("X-Portal-Signature")) * (1 + strings.Count(h.header.Get("X-Portal-Signature"), ","))
		}
		return len(h.header.Values("X-Porter-Signature")) * (1 + strings.Count(h.header.Get("X-Porter-Signature"), ","))
	}
	for _, f := range hooks.FormatNames {
		dual := f == "portalio" || f == "standard"
		sb := subs[f]
		h := sb.rcv.wait(t, 1)[0]
		now := v.clock.Now()
		want := 1
		if dual {
			want = 2
		}
		if n := signatures(f, h); n != want {
			t.Errorf("%s: %d signatures during the overlap, want %d", f, n, want)
		}
		if err := hooks.Verify(f, sb.new, h.header, h.body, now); err != nil {
			t.Errorf("%s: the new secret does not verify: %v", f, err)
		}
		err := hooks.Verify(f, sb.old, h.header, h.body, now)
		if dual && (err != nil || !receiver(f)(sb.old, h.header, h.body, now)) {
			t.Errorf("%s: the old secret does not verify during the overlap: %v", f, err)
		}
		if !dual && !errors.Is(err, hooks.ErrBadSignature) {
			t.Errorf("%s: the old secret gives %v, want ErrBadSignature (this format switches at once)", f, err)
		}
	}

	// After the overlap only the new secret signs.
	v.clock.Advance(24*time.Hour + time.Second)
	v.customer("Grace")
	for _, f := range hooks.FormatNames {
		sb := subs[f]
		h := sb.rcv.wait(t, 2)[1]
		now := v.clock.Now()
		if n := signatures(f, h); n != 1 {
			t.Errorf("%s: %d signatures after the overlap, want 1", f, n)
		}
		if err := hooks.Verify(f, sb.new, h.header, h.body, now); err != nil {
			t.Errorf("%s: the new secret does not verify: %v", f, err)
		}
		if err := hooks.Verify(f, sb.old, h.header, h.body, now); !errors.Is(err, hooks.ErrBadSignature) {
			t.Errorf("%s: the expired secret gives %v, want ErrBadSignature", f, err)
		}
	}
}

func TestLeasedDeliveryIsRecoveredAfterACrash(t *testing.T) {
	t.Parallel()
	v := newHookEnv(t, hooks.Config{Sandbox: true})
	rcv := newCapture(t, nil)
	w, _ := v.webhook(rcv.URL, "portal")
	ev := v.customer("Ada")
	ctx := t.Context()
	if _, err := v.s.FanOut(ctx, 100, v.e.Route); err != nil {
		t.Fatal(err)
	}
	now := v.clock.Now()
	leased, err := v.s.LeaseDue(ctx, store.LeaseRequest{Now: now, Until: now.Add(time.Hour), Limit: 10, PerWebhook: 10, Sealer: v.sealer})
	if err != nil || len(leased) != 1 {
		t.Fatalf("LeaseDue = %d, %v; want 1", len(leased), err)
	}
	// The sender dies with the lease held; the process restarts.
	path := v.s.Path()
	if err := v.s.Close(); err != nil {
		t.Fatal(err)
	}
	v.open(path)
	if ready, inflight, err := v.s.QueueDepth(); err != nil || ready != 0 || inflight != 1 {
		t.Fatalf("queue after restart: %d ready, %d in flight, %v; want the lease kept", ready, inflight, err)
	}
	v.start(hooks.New(v.cfg))
	h := rcv.wait(t, 1)[0]
	if got := h.header.Get("X-Portal-Delivery"); got != eventIDOf(t, "portal", ev.JSON) {
		t.Fatalf("recovered request carries %s, want %s", got, eventIDOf(t, "portal", ev.JSON))
	}
	d := v.settled(leased[0].Delivery.ID)
	if d.Status != store.DeliveryDelivered || len(d.Attempts) != 1 || d.WebhookID != w.ID {
		t.Fatalf("recovered delivery %+v, want delivered by one attempt", d)
	}
}
