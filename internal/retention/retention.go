package main

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"portal/store"
)

// pruneEvery is how often serve prunes the event logs: retention is counted
// in days, so an hour late is nothing, and each pass is small.
const pruneEvery = time.Hour

// parseRetention reads --event-retention: whole days ("30d") or a Go
// duration ("720h"), at least a day.
func parseRetention(s string) (time.Duration, error) {
	var d time.Duration
	var err error
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n uint64
		n, err = strconv.ParseUint(days, 10, 16)
		d = time.Duration(n) * 24 * time.Hour
	} else {
		d, err = time.ParseDuration(s)
	}
	if err != nil {
		return 0, usageErr("--event-retention: %q is not a duration such as 30d or 720h", s)
	}
	if d < store.MinRetention {
		return 0, usageErr("--event-retention: %s is shorter than the minimum of 1 day (1d or 24h)", s)
	}
	return d, nil
}

// retentionTarget is one store whose log is pruned, and what its live
// subscribers still hold (api.Server.EventHold).
type retentionTarget struct {
	store *store.Store
	hold  func() uint64
}

// retention prunes the event logs of its targets, once at start and then
// every pruneEvery, until its context ends.
type retention struct {
	keep    time.Duration
	targets []retentionTarget
	log     *slog.Logger
}

// startRetention runs r in the background; stop ends it and waits for a
// prune under way, so call it before the stores close.
func startRetention(ctx context.Context, r retention) (stop func()) {
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

func (r retention) run(ctx context.Context) {
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
func (r retention) pass(ctx context.Context) {
	for _, t := range r.targets {
		res, err := t.store.PruneEvents(ctx, store.PruneOptions{Keep: r.keep, Hold: t.hold})
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, store.ErrClosed) {
				r.log.Error("event log retention", "store", t.store.Mode(), "err", err)
			}
			return
		}
		if res.Events > 0 || res.HeldBack {
			r.log.Info("event log pruned", "store", t.store.Mode(), "events", res.Events,
				"deliveries_detached", res.Deliveries, "timeline_kept", res.Timeline, "held_back", res.HeldBack)
		}
	}
}
