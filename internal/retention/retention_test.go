package retention

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"portal/store"
)

// A pass prunes each store's log on the stores' own clock.
func TestRetentionPassPrunesEveryStore(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 3, 15, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	var targets []Target
	for _, mode := range []store.Mode{store.Live, store.Test} {
		s, err := store.Open(filepath.Join(t.TempDir(), string(mode)+".db"), store.Options{Mode: mode, Now: clock})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		targets = append(targets, Target{Store: s})
	}
	fanOut := func(s *store.Store) {
		if _, err := s.FanOut(t.Context(), 100, func(*store.Webhook, string) int { return 0 }); err != nil {
			t.Fatal(err)
		}
	}
	for _, tg := range targets {
		if _, err := tg.Store.CreateCustomer(t.Context(), store.CustomerInput{Name: "Old"}); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	now = now.Add(8 * 24 * time.Hour)
	mu.Unlock()
	for _, tg := range targets {
		if _, err := tg.Store.CreateCustomer(t.Context(), store.CustomerInput{Name: "New"}); err != nil {
			t.Fatal(err)
		}
		fanOut(tg.Store)
	}
	Pruner{Keep: 7 * 24 * time.Hour, Targets: targets, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}.pass(context.Background())
	for _, tg := range targets {
		evs, err := tg.Store.EventsAfter(0, 10)
		if err != nil || len(evs) != 1 {
			t.Fatalf("%s store keeps %d events (%v), want the new one", tg.Store.Mode(), len(evs), err)
		}
	}
}
