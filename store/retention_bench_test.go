package store

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// BenchmarkEventRetention feeds a store a steady stream of changes for 90
// simulated days (the injected clock), fanning out and pruning to a 30-day
// window once a day, and reports:
//
//   - the file's size (bbolt's high-water mark, what the file must hold) at
//     day 60 and 90 as ratios to day 30, and the log's own bytes likewise;
//   - prune-ns/event, the cost of pruning an event, as a ratio to
//     change-ns/event, the cost of the change that appended it, measured in
//     the same run.
//
// stream=customers changes a fixed set of customers; stream=tickets a fixed
// set of tickets, whose timelines keep a copy of each event the log lets go.
//
// The default (1,000 changes a day, 90,000 in all) runs in about half a
// minute on 2 cores; the real figure, 5,000 a day:
//
//	PORTAL_RETENTION_BENCH_PER_DAY=5000 go test -run '^$' -bench EventRetention -benchtime 1x ./store/
func BenchmarkEventRetention(b *testing.B) {
	perDay := 1000
	if v := os.Getenv("PORTAL_RETENTION_BENCH_PER_DAY"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 24 {
			b.Fatalf("PORTAL_RETENTION_BENCH_PER_DAY=%q: want a number of changes a day, at least 24", v)
		}
		perDay = n
	}
	for _, stream := range []string{"customers", "tickets"} {
		b.Run("stream="+stream, func(b *testing.B) {
			for b.Loop() {
				simulateRetention(b, stream, perDay)
			}
		})
	}
}

// retentionRun is one 90-day simulation's measurements.
type retentionRun struct {
	size, logBytes, timelineBytes map[int]float64 // by day: 30, 60, 90
	changeTime, pruneTime         time.Duration
	changes, pruned               int
}

func simulateRetention(b *testing.B, stream string, perDay int) {
	s, clock := openTestClock(b)
	// Without fsync both costs are the work itself: an fsync is paid per
	// commit, not per event, so with it the figures would say more about the
	// disk and how many writers share a commit than about pruning.
	s.db.NoSync = os.Getenv("PORTAL_RETENTION_BENCH_FSYNC") == ""
	change := newChanger(b, s, stream, 500)
	run := retentionRun{size: map[int]float64{}, logBytes: map[int]float64{}, timelineBytes: map[int]float64{}}
	const writers = 32
	for d := 1; d <= 90; d++ {
		for h := 0; h < 24; h++ { // each hour's share, from writers sharing the group commit
			clock.Advance(time.Hour)
			n := perDay / 24
			start := time.Now()
			var wg sync.WaitGroup
			for w := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := w; i < n; i += writers {
						if err := change(b.Context(), d*perDay+h*n+i); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			run.changeTime += time.Since(start)
			run.changes += n
		}
		for {
			n, err := s.FanOut(b.Context(), 10_000, func(*Webhook, string) int { return 0 })
			if err != nil {
				b.Fatal(err)
			}
			if n == 0 {
				break
			}
		}
		start := time.Now()
		r, err := s.PruneEvents(b.Context(), PruneOptions{Keep: DefaultRetention})
		if err != nil {
			b.Fatal(err)
		}
		run.pruneTime += time.Since(start)
		run.pruned += r.Events
		if d%30 == 0 {
			run.measure(b, s, d)
		}
	}
	if run.pruned == 0 {
		b.Fatal("nothing was pruned")
	}
	pruneNs := float64(run.pruneTime.Nanoseconds()) / float64(run.pruned)
	changeNs := float64(run.changeTime.Nanoseconds()) / float64(run.changes)
	b.ReportMetric(run.size[30]/(1<<20), "MB-d30")
	b.ReportMetric(run.size[60]/run.size[30], "size-d60/d30")
	b.ReportMetric(run.size[90]/run.size[30], "size-d90/d30")
	b.ReportMetric(run.logBytes[90]/run.logBytes[30], "log-d90/d30")
	b.ReportMetric((run.timelineBytes[90]-run.timelineBytes[30])/60/(1<<20), "timeline-MB/day")
	b.ReportMetric(pruneNs, "prune-ns/event")
	b.ReportMetric(changeNs, "change-ns/event")
	b.ReportMetric(pruneNs/changeNs, "prune/change")
}

// measure records the file's high-water mark and the bytes the log and
// the timelines hold at the end of day d.
func (r *retentionRun) measure(b *testing.B, s *Store, d int) {
	err := s.view(func(tx *bolt.Tx) error {
		r.size[d] = float64(tx.Size())
		for _, name := range [][]byte{bucketEvents, bucketEventsByName} {
			st := tx.Bucket(name).Stats()
			r.logBytes[d] += float64(st.LeafInuse + st.BranchInuse)
		}
		st := tx.Bucket(bucketTicketEvents).Stats()
		r.timelineBytes[d] = float64(st.LeafInuse + st.BranchInuse)
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// newChanger makes a fixed set of records and returns a change to the i-th
// of them in turn, each appending one event or more.
func newChanger(b *testing.B, s *Store, stream string, records int) func(ctx context.Context, i int) error {
	ids := make([]uint64, records)
	for i := range ids {
		c := mustCustomer(b, s, CustomerInput{Name: fmt.Sprintf("Customer %d", i), Phone: fmt.Sprintf("555-%04d", i)})
		ids[i] = c.ID
		if stream == "tickets" {
			tk, err := s.CreateTicket(b.Context(), TicketInput{CustomerID: c.ID, Issue: "Cracked screen, battery drains overnight",
				Device: Device{Brand: "Apple", Model: "iPhone 15", Serial: fmt.Sprintf("F2LX%06d", i)}})
			if err != nil {
				b.Fatal(err)
			}
			ids[i] = tk.ID
		}
	}
	if stream == "tickets" {
		return func(ctx context.Context, i int) error {
			p := Priorities[i/records%len(Priorities)] // each pass over the set moves every ticket on
			_, err := s.UpdateTicket(ctx, ids[i%records], TicketPatch{Priority: &p})
			return err
		}
	}
	return func(ctx context.Context, i int) error {
		phone := fmt.Sprintf("555-%07d", i)
		_, err := s.UpdateCustomer(ctx, ids[i%records], CustomerPatch{Phone: &phone})
		return err
	}
}
