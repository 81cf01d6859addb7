package hooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"portal/store"
)

// leaseFor outlasts any request (Timeout) by far; a lease only expires when
// a sender died without recording its attempt.
func (e *Engine) leaseFor() time.Duration { return 6*e.cfg.Timeout + time.Minute }

// deliver leases due deliveries and sends them, at most Workers at a time and
// PerWebhook per receiver, until ctx ends.
func (e *Engine) deliver(ctx context.Context, s *store.Store, work <-chan struct{}) {
	kick := e.newKick()
	done := make(chan uint64, e.cfg.Workers)
	busy := map[uint64]int{}
	inflight := 0
	var wg sync.WaitGroup
	defer wg.Wait()
	sweep := time.NewTicker(time.Minute)
	defer sweep.Stop()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		if free := e.cfg.Workers - inflight; free > 0 && ctx.Err() == nil {
			now := e.cfg.Now()
			leased, err := s.LeaseDue(ctx, store.LeaseRequest{Now: now, Until: now.Add(e.leaseFor()), Limit: free,
				PerWebhook: e.cfg.PerWebhook, Busy: busy, Sealer: e.cfg.Sealer})
			if err != nil && ctx.Err() == nil && !errors.Is(err, store.ErrClosed) {
				e.cfg.Log.Error("webhook lease", "err", err)
			}
			for _, l := range leased {
				inflight++
				busy[l.Webhook.ID]++
				wg.Add(1)
				go func() {
					defer wg.Done()
					e.send(ctx, s, l, false)
					done <- l.Webhook.ID // buffered for every worker: never blocks
				}()
			}
		}
		wait := time.Hour
		if inflight < e.cfg.Workers {
			if at, ok, err := s.NextDue(); err == nil && ok {
				// Due now but held back (its receiver is busy): a finishing send wakes us.
				wait = max(at.Sub(e.cfg.Now()), time.Second)
			}
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return // the deferred Wait lets in-flight sends end; their leases stay
		case id := <-done:
			inflight--
			decr(busy, id)
		case <-work:
		case <-kick:
		case <-timer.C:
		case <-sweep.C:
			if _, err := s.RecoverLeases(ctx, e.cfg.Now(), false); err != nil && ctx.Err() == nil {
				e.cfg.Log.Error("webhook lease sweep", "err", err)
			}
		}
	}
}

func decr(m map[uint64]int, id uint64) {
	if m[id]--; m[id] <= 0 {
		delete(m, id)
	}
}

// SendNow delivers at once, outside the queue ("Send test", "Redeliver"),
// and records the attempt. Its failures are shown, not retried.
func (e *Engine) SendNow(ctx context.Context, s *store.Store, l store.Leased) (store.Delivery, store.Attempt, error) {
	return e.send(ctx, s, l, true)
}

// send makes one attempt and records it with what follows from it.
func (e *Engine) send(ctx context.Context, s *store.Store, l store.Leased, manual bool) (store.Delivery, store.Attempt, error) {
	a, status, retryAfter := e.attempt(ctx, l)
	if ctx.Err() != nil {
		// Shutting down (or the caller left): the lease brings it back later.
		return l.Delivery, a, ctx.Err()
	}
	a.Manual = manual
	o := store.Outcome{Delivered: status >= 200 && status < 300, Gone: status == http.StatusGone}
	if !o.Delivered && !o.Gone && !manual && l.Delivery.Attempts+1 < l.Delivery.MaxAttempts {
		delay := e.retryDelay(l.Webhook.Format, l.Delivery.Attempts)
		if retryAfter > 0 {
			delay = min(retryAfter, 2*delay)
		}
		at := e.cfg.Now().Add(delay)
		o.RetryAt = &at
	}
	d, err := s.RecordAttempt(ctx, l.Seq, a, o, e.cfg.DisableAfter)
	if err != nil && !errors.Is(err, store.ErrClosed) {
		e.cfg.Log.Error("webhook record attempt", "delivery", l.Delivery.ID, "err", err)
	}
	return d, a, err
}

// retryDelay is the scheduled delay after attempt n (0-based), with ±10%
// jitter so a receiver's backlog does not return all at once.
func (e *Engine) retryDelay(format string, n int) time.Duration {
	sched := e.schedule(format)
	if len(sched) == 0 {
		return time.Minute
	}
	d := sched[min(n, len(sched)-1)]
	if e.cfg.Schedule != nil {
		return d
	}
	return time.Duration(float64(d) * (0.9 + 0.2*rand.Float64()))
}

// attempt sends one request and reports it; status 0 means no response.
func (e *Engine) attempt(ctx context.Context, l store.Leased) (store.Attempt, int, time.Duration) {
	now := e.cfg.Now()
	a := store.Attempt{At: now.UTC()}
	f, ok := FormatByName(l.Webhook.Format)
	if !ok {
		a.Error = "unknown format " + l.Webhook.Format
		return a, 0, 0
	}
	ev, err := eventOf(l)
	if err != nil {
		a.Error = err.Error()
		return a, 0, 0
	}
	built, err := f.Build(ev, l.Secrets, now)
	if err != nil {
		a.Error = err.Error()
		return a, 0, 0
	}
	a.RequestHeaders, a.RequestBody = flatten(built.Header), string(built.Body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.Webhook.URL, bytes.NewReader(built.Body))
	if err != nil {
		a.Error = err.Error()
		return a, 0, 0
	}
	for k, v := range built.Header {
		req.Header[k] = v
	}
	start := time.Now()
	resp, err := e.client.Do(req)
	a.LatencyMS = time.Since(start).Milliseconds()
	if err != nil {
		a.Error = describe(err)
		return a, 0, 0
	}
	excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseExcerpt))
	io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain)) // lets the connection be reused
	resp.Body.Close()
	a.LatencyMS = time.Since(start).Milliseconds()
	a.StatusCode, a.ResponseHeaders, a.ResponseBody = resp.StatusCode, flatten(resp.Header), string(excerpt)
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		a.Error = "redirect to " + resp.Header.Get("Location") + " not followed"
	case resp.StatusCode >= 400:
		a.Error = "receiver answered " + resp.Status
	}
	var retryAfter time.Duration
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		if secs, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After"))); err == nil && secs > 0 {
			retryAfter = time.Duration(secs) * time.Second
		}
	}
	return a, resp.StatusCode, retryAfter
}

func eventOf(l store.Leased) (Event, error) {
	var head struct {
		Timestamp time.Time `json:"timestamp"`
	}
	if err := json.Unmarshal(l.Payload, &head); err != nil {
		return Event{}, err
	}
	return Event{Name: l.Delivery.Event, ID: l.Delivery.EventID, Time: head.Timestamp, Raw: l.Payload}, nil
}

func flatten(h http.Header) map[string]string {
	out := make(map[string]string, len(h))
	for k, v := range h {
		out[k] = strings.Join(v, ", ")
	}
	return out
}

// describe turns a client error into what an integrator needs to read.
func describe(err error) string {
	switch {
	case errors.Is(err, ErrForbiddenAddress):
		return "refused: the URL leads to a private or local address (" + err.Error() + ")"
	case errors.Is(err, context.DeadlineExceeded), strings.Contains(err.Error(), "Client.Timeout"):
		return "timed out"
	}
	return err.Error()
}
