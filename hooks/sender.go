package hooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"portal/store"
)

// leaseFor outlasts the sends of a prefetched batch (prefetch rounds of
// requests that may each take Timeout). It is how long an orphaned lease
// (its sender's record or release failed) waits before the sweeper returns
// it; a lease its sender still holds is never reclaimed, however old (held).
func (e *Engine) leaseFor() time.Duration { return (prefetch+2)*e.cfg.Timeout + time.Minute }

// sweepEvery is how often, by the engine's clock, orphaned leases are looked for.
const sweepEvery = time.Minute

// prefetch is how many deliveries per receiver are leased ahead of its
// sends, so one lease transaction feeds many requests.
const prefetch = 16

// sent is a finished request, reported to the scheduler.
type sent struct {
	webhookID uint64
	failed    bool
}

// deliver leases due deliveries and sends them until ctx ends: at most
// Workers requests at a time, PerWebhook per receiver (one while it fails).
// A successful attempt is recorded without holding up the next request (the
// store's group commit gathers the records); a failed one is recorded first,
// and the receiver's other leased deliveries go back to wait out its pause.
func (e *Engine) deliver(ctx context.Context, s *store.Store, work <-chan struct{}) {
	kick := e.newKick()
	done := make(chan sent, e.cfg.Workers)
	records := make(chan store.AttemptRecord, e.cfg.Workers*prefetch)
	recorded := make(chan struct{})
	h := newHeld()
	go func() {
		defer close(recorded)
		e.recordLoop(s, records, h)
	}()
	defer func() { <-recorded }()
	defer close(records) // after every send has ended (the Wait below runs first)
	var wg sync.WaitGroup
	defer wg.Wait()
	// Sweeps are due by the engine's clock (tests move it); the ticker only
	// wakes an idle loop to look.
	nextSweep := e.cfg.Now().Add(sweepEvery)
	sweep := time.NewTicker(sweepEvery)
	defer sweep.Stop()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()

	b := newBacklog()
	capacity := e.cfg.Workers * prefetch
	// refill says when to lease: after a wake-up (new deliveries, a due
	// time, a kick), or when a receiver's local queue runs low — not after
	// every send, so one lease transaction feeds many requests. Leasing
	// runs beside the sends (its commit waits on the disk), so finished
	// requests are replaced from the local queue meanwhile.
	refill, leasing := true, false
	leaseResults := make(chan []store.Leased, 1)
	for {
		// Not while a lease is on its way: its deliveries are held only
		// once its result is taken below.
		if !leasing && !e.cfg.Now().Before(nextSweep) && ctx.Err() == nil {
			e.sweep(ctx, s, h)
			nextSweep = e.cfg.Now().Add(sweepEvery)
		}
		if free := capacity - b.total; refill && !leasing && free > 0 && ctx.Err() == nil {
			leasing, refill = true, false
			busy := b.busy()
			wg.Add(1)
			go func() {
				defer wg.Done()
				leaseResults <- e.lease(ctx, s, free, busy)
			}()
		}
		for _, l := range b.next(e.cfg.PerWebhook, e.cfg.Workers) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				e.sendQueued(ctx, s, l, h, done, records)
			}()
		}
		// With deliveries queued here, finishing sends wake the loop and each
		// refill leases whatever else is due; only an idle loop needs the timer.
		wait := time.Hour
		if b.total < capacity && len(b.queued) == 0 {
			if at, ok, err := s.NextDue(); err == nil && ok {
				// Due now but held back (its receiver is at its limit): look again soon.
				wait = max(at.Sub(e.cfg.Now()), 50*time.Millisecond)
			}
			if s.Unavailable() != nil {
				wait = max(wait, fanOutRetry) // the disk refuses leases: do not spin on it
			}
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return // the deferred Wait lets sends end; unsent leases come back at the next start
		case leased := <-leaseResults:
			leasing = false
			h.hold(leased)
			b.add(leased)
			refill = len(leased) > 0 // there may be more
		case r := <-done:
			// Take every finished send at once: one lease then refills them all.
			for more := true; more; {
				b.finished(r.webhookID)
				if r.failed {
					// Its receiver now waits out a pause: the rest go back to the store.
					if seqs := b.drop(r.webhookID); len(seqs) > 0 {
						if err := s.ReleaseLeases(ctx, seqs); err != nil && ctx.Err() == nil {
							e.cfg.Log.Error("webhook release", "err", err)
						}
						h.settle(seqs...)
					}
				}
				select {
				case r = <-done:
				default:
					more = false
				}
			}
			// Refill while half a receiver's batch is still queued, so the
			// lease's commit is hidden behind the sends of the other half.
			refill = refill || b.low(e.cfg.PerWebhook*prefetch/2)
		case <-work:
			refill = true
		case <-kick:
			refill = true
		case <-timer.C:
			refill = true
		case <-sweep.C: // the sweep runs at the top of the loop when due
		}
	}
}

// sweep returns leases that ended and that no sender holds to the ready queue.
func (e *Engine) sweep(ctx context.Context, s *store.Store, h *held) {
	if _, err := s.ReclaimLeases(ctx, e.cfg.Now(), h.has); err != nil && ctx.Err() == nil && !errors.Is(err, store.ErrClosed) {
		e.cfg.Log.Error("webhook lease sweep", "err", err)
	}
}

// lease asks the store for up to limit due deliveries, busy counting what
// each webhook holds already.
func (e *Engine) lease(ctx context.Context, s *store.Store, limit int, busy map[uint64]int) []store.Leased {
	now := e.cfg.Now()
	leased, err := s.LeaseDue(ctx, store.LeaseRequest{Now: now, Until: now.Add(e.leaseFor()), Limit: limit,
		PerWebhook: e.cfg.PerWebhook * prefetch, Busy: busy, Sealer: e.cfg.Sealer})
	if err != nil && ctx.Err() == nil && !errors.Is(err, store.ErrClosed) {
		e.cfg.Log.Error("webhook lease", "err", err)
	}
	return leased
}

// sendQueued makes one attempt for the queue and reports it on done.
func (e *Engine) sendQueued(ctx context.Context, s *store.Store, l store.Leased, h *held, done chan<- sent, records chan<- store.AttemptRecord) {
	w, secrets, err := s.SendTarget(l.Webhook.ID, e.cfg.Sealer)
	if err != nil || !w.Enabled {
		// Deleted (the delivery ends) or turned off (it waits) since the lease.
		if err := s.ReleaseLeases(context.WithoutCancel(ctx), []uint64{l.Seq}); err != nil && !errors.Is(err, store.ErrClosed) {
			e.cfg.Log.Error("webhook release", "err", err)
		}
		h.settle(l.Seq)
		done <- sent{webhookID: l.Webhook.ID}
		return
	}
	l.Webhook, l.Secrets = w, secrets
	a, o, err := e.attemptOutcome(ctx, l, false)
	if err != nil {
		done <- sent{webhookID: l.Webhook.ID} // shutting down: the lease brings it back
		return
	}
	if !o.Delivered {
		// Record before reporting, so the receiver's pause is in the store
		// before the scheduler leases for it again. A refusal is no fault of
		// the receiver: its queue goes on.
		e.record(ctx, s, l, a, o)
		h.settle(l.Seq)
		done <- sent{webhookID: l.Webhook.ID, failed: !o.Refused}
		return
	}
	done <- sent{webhookID: l.Webhook.ID}
	records <- store.AttemptRecord{Seq: l.Seq, Attempt: a, Outcome: o}
}

// recordLoop commits successful attempts in batches until records closes:
// one transaction for whatever finished while the last one committed.
func (e *Engine) recordLoop(s *store.Store, records <-chan store.AttemptRecord, h *held) {
	ctx := context.Background() // records of attempts made must land, even at shutdown
	for r := range records {
		batch := []store.AttemptRecord{r}
	fill:
		for len(batch) < 256 {
			select {
			case r, ok := <-records:
				if !ok {
					break fill
				}
				batch = append(batch, r)
			default:
				break fill
			}
		}
		if err := s.RecordAttempts(ctx, batch, e.cfg.DisableAfter); err == nil {
			for _, r := range batch { // only successes come this way
				h.settle(r.Seq)
				e.cfg.Metrics.Attempted(s.Mode(), OutcomeDelivered)
			}
			continue
		}
		for _, r := range batch { // one bad record must not lose the others
			d, err := s.RecordAttempt(ctx, r.Seq, r.Attempt, r.Outcome, e.cfg.DisableAfter)
			h.settle(r.Seq)
			if err != nil {
				if !errors.Is(err, store.ErrClosed) {
					e.cfg.Log.Error("webhook record attempt", "seq", r.Seq, "err", err)
				}
				continue
			}
			e.cfg.Metrics.Attempted(s.Mode(), outcomeOf(r.Outcome, d))
		}
	}
}

func (e *Engine) record(ctx context.Context, s *store.Store, l store.Leased, a store.Attempt, o store.Outcome) (store.Delivery, error) {
	// An attempt made must land even when ctx ends meanwhile (a stop, a caller gone).
	d, err := s.RecordAttempt(context.WithoutCancel(ctx), l.Seq, a, o, e.cfg.DisableAfter)
	if err != nil && !errors.Is(err, store.ErrClosed) && !errors.Is(err, context.Canceled) {
		e.cfg.Log.Error("webhook record attempt", "delivery", l.Delivery.ID, "err", err)
	}
	if err == nil {
		e.cfg.Metrics.Attempted(s.Mode(), outcomeOf(o, d))
	}
	return d, err
}

// SendNow delivers at once, outside the queue ("Send test", "Redeliver"),
// and records the attempt. Its failures are shown, not retried.
func (e *Engine) SendNow(ctx context.Context, s *store.Store, l store.Leased) (store.Delivery, store.Attempt, error) {
	return e.send(ctx, s, l, true)
}

// send makes one attempt and records it with what follows from it.
func (e *Engine) send(ctx context.Context, s *store.Store, l store.Leased, manual bool) (store.Delivery, store.Attempt, error) {
	a, o, err := e.attemptOutcome(ctx, l, manual)
	if err != nil {
		return l.Delivery, a, err
	}
	d, err := e.record(ctx, s, l, a, o)
	return d, a, err
}

// attemptOutcome sends once and works out what follows: delivered, retried
// later (with the receiver's queue paused meanwhile), or failed.
func (e *Engine) attemptOutcome(ctx context.Context, l store.Leased, manual bool) (store.Attempt, store.Outcome, error) {
	if why := e.refusal(l); why != "" {
		return store.Attempt{At: e.cfg.Now().UTC(), Manual: manual, Error: why}, store.Outcome{Refused: true}, nil
	}
	a, status, retryAfter := e.attempt(ctx, l)
	if status == 0 && ctx.Err() != nil {
		// Shutting down (or the caller left) before an answer came: the lease
		// brings it back later. An answer that did come is recorded, so a
		// stop between a 2xx and its record does not send it again.
		return a, store.Outcome{}, ctx.Err()
	}
	a.Manual = manual
	o := store.Outcome{Delivered: status >= 200 && status < 300, Gone: status == http.StatusGone}
	if !o.Delivered && !o.Gone && !manual {
		delay := e.retryDelay(l.Webhook.Format, l.Delivery.QueuedAttempts)
		if retryAfter > 0 {
			delay = min(retryAfter, 2*delay)
		}
		now := e.cfg.Now()
		if l.Delivery.QueuedAttempts+1 < l.Delivery.MaxAttempts {
			at := now.Add(delay)
			o.RetryAt = &at
		}
		// While a receiver fails, its whole queue waits, stepping through the
		// schedule by its failure streak (capped at an hour), and then sends
		// one probe: a receiver that is down gets a probe per step, not its
		// backlog, and its failure streak grows by one per probe.
		wait := e.pauseAfter(l.Webhook.Format, l.Webhook.ConsecutiveFailures+1)
		if retryAfter > 0 {
			wait = min(retryAfter, 2*wait)
		}
		pause := now.Add(wait)
		o.PauseUntil = &pause
	}
	return a, o, nil
}

// refusal says why a delivery must not be sent ("" when it may): an event
// carries its record, so it goes only where the webhook's owner may read it
// now — not as they could when it was queued, nor as whoever set it up could.
// Samples ("Send test") hold no record and always go.
func (e *Engine) refusal(l store.Leased) string {
	if l.Delivery.Test {
		return ""
	}
	if need, lacks := store.LackedEventScope(l.Delivery.Event, holds(l.Webhook.ReadScopes)); lacks {
		return "not sent: this webhook was set up by someone who may not read " + need
	}
	if e.cfg.OwnerScopes == nil {
		return ""
	}
	if need, lacks := store.LackedEventScope(l.Delivery.Event, holds(e.cfg.OwnerScopes(l.Webhook.Owner))); lacks {
		return "not sent: the webhook's owner (" + describeActor(l.Webhook.Owner) + ") may no longer read " + need
	}
	return ""
}

// holds reports whether a scope is in scopes.
func holds(scopes []string) func(string) bool {
	return func(s string) bool { return slices.Contains(scopes, s) }
}

func describeActor(a store.Actor) string {
	if a.Type == "" {
		return "the appliance"
	}
	return strings.TrimSpace(a.Type + " " + strconv.FormatUint(a.ID, 10) + " " + a.Name)
}

// maxPause bounds how long a failing receiver's queue waits between probes.
const maxPause = time.Hour

// pauseAfter is how long a webhook's queue waits after its streak-th
// consecutive failure.
func (e *Engine) pauseAfter(format string, streak int) time.Duration {
	sched := e.schedule(format)
	if len(sched) == 0 {
		return time.Minute
	}
	return min(sched[min(max(streak-1, 0), len(sched)-1)], maxPause)
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
	a.RequestHeaders, a.RequestBody = flatten(built.Header), json.RawMessage(built.Body)
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
	var wait time.Duration
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		wait = retryAfter(resp.Header, e.cfg.Now())
	}
	return a, resp.StatusCode, wait
}

// eventOf reads the event's header (store.ParseEventHeader) without
// decoding the record.
func eventOf(l store.Leased) (Event, error) {
	h, err := store.ParseEventHeader(l.Payload)
	if err != nil {
		return Event{}, err
	}
	return Event{Name: l.Delivery.Event, ID: l.Delivery.EventID, Time: h.Time, Raw: l.Payload}, nil
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
