// Package retention prunes the stores' event logs in the background:
// events older than the kept duration go, except what live subscribers
// still hold.
package retention

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"portal/store"
)

// pruneEvery is how often the event logs are pruned: retention is counted
// in days, so an hour late is nothing, and each pass is small.
const pruneEvery = time.Hour

// Target is one store whose log is pruned, and what its live subscribers
// still hold (api.Server.EventHold; nil: nothing).
type Target struct {
	Store *store.Store
	Hold  func() uint64
}

// Pruner prunes the event logs of its targets, once at start and then
// every hour, until its context ends.
type Pruner struct {
	Keep    time.Duration // how long events are kept; at least store.MinRetention
	Targets []Target
	Log     *slog.Logger
}

// Start runs r in the background; stop ends it and waits for a prune under
// way, so call it before the stores close.
func (r Pruner) Start(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.run(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}

func (r Pruner) run(ctx context.Context) {
	tick := time.NewTicker(pruneEvery)
	defer tick.Stop()
	for {
		r.pass(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// pass prunes every target once; a failure (a full disk) is logged and
// tried again at the next pass.
func (r Pruner) pass(ctx context.Context) {
	for _, t := range r.Targets {
		res, err := t.Store.PruneEvents(ctx, store.PruneOptions{Keep: r.Keep, Hold: t.Hold})
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, store.ErrClosed) {
				r.Log.Error("event log retention", "store", t.Store.Mode(), "err", err)
			}
			return
		}
		if res.Events > 0 || res.HeldBack {
			r.Log.Info("event log pruned", "store", t.Store.Mode(), "events", res.Events,
				"deliveries_detached", res.Deliveries, "timeline_kept", res.Timeline, "held_back", res.HeldBack)
		}
	}
}
