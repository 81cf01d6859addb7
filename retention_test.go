package main

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"portal/store"
)

func TestEventRetentionTakesDaysOrADurationOfAtLeastADay(t *testing.T) {
	t.Setenv("PORTAL_EVENT_RETENTION", "")
	for _, tc := range []struct {
		args []string
		want time.Duration
	}{
		{nil, 30 * 24 * time.Hour},
		{[]string{"--event-retention", "7d"}, 7 * 24 * time.Hour},
		{[]string{"--event-retention", "36h"}, 36 * time.Hour},
		{[]string{"--event-retention", "1d"}, 24 * time.Hour},
	} {
		cfg, err := parseServe(tc.args)
		if err != nil || cfg.retention != tc.want {
			t.Errorf("%v: retention %s, %v; want %s", tc.args, cfg.retention, err, tc.want)
		}
	}
	for _, bad := range []string{"23h", "0d", "-3d", "1.5d", "d", "thirty", "30"} {
		if _, err := parseServe([]string{"--event-retention", bad}); err == nil {
			t.Errorf("--event-retention %s was accepted", bad)
		}
	}
	t.Setenv("PORTAL_EVENT_RETENTION", "90d")
	if cfg, err := parseServe(nil); err != nil || cfg.retention != 90*24*time.Hour {
		t.Errorf("PORTAL_EVENT_RETENTION=90d: %s, %v", cfg.retention, err)
	}
	sc, _, err := serviceConfig(nil, "linux")
	if err != nil || !slices.Contains(sc.Arguments, "--event-retention") || !slices.Contains(sc.Arguments, "90d") {
		t.Errorf("the service's command line %v, %v; want --event-retention 90d", sc.Arguments, err)
	}
}

// A pass prunes each store's log on the stores' own clock.
func TestRetentionPassPrunesEveryStore(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 3, 15, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	var targets []retentionTarget
	for _, mode := range []store.Mode{store.Live, store.Test} {
		s, err := store.Open(filepath.Join(t.TempDir(), string(mode)+".db"), store.Options{Mode: mode, Now: clock})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		targets = append(targets, retentionTarget{store: s})
	}
	fanOut := func(s *store.Store) {
		if _, err := s.FanOut(t.Context(), 100, func(*store.Webhook, string) int { return 0 }); err != nil {
			t.Fatal(err)
		}
	}
	for _, tg := range targets {
		if _, err := tg.store.CreateCustomer(t.Context(), store.CustomerInput{Name: "Old"}); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	now = now.Add(8 * 24 * time.Hour)
	mu.Unlock()
	for _, tg := range targets {
		if _, err := tg.store.CreateCustomer(t.Context(), store.CustomerInput{Name: "New"}); err != nil {
			t.Fatal(err)
		}
		fanOut(tg.store)
	}
	retention{keep: 7 * 24 * time.Hour, targets: targets, log: slog.New(slog.NewTextHandler(io.Discard, nil))}.pass(context.Background())
	for _, tg := range targets {
		evs, err := tg.store.EventsAfter(0, 10)
		if err != nil || len(evs) != 1 {
			t.Fatalf("%s store keeps %d events (%v), want the new one", tg.store.Mode(), len(evs), err)
		}
	}
}
