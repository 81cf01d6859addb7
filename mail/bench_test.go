package mail

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"portal/store"
)

// BenchmarkWritesWithTheMailerRunning times a shop's changes one at a
// time (each its own durable commit), first with no mailer, then with one
// reading every commit, and reports the ratio. Changes that email nobody
// must cost the mailer no commit of its own: the ratio stays near 1 (it was
// about 3 when the reader wrote its cursor and opened an empty lease
// recovery after each change).
//
//	go test -run '^$' -bench WritesWithTheMailerRunning -benchtime 300x ./mail/
func BenchmarkWritesWithTheMailerRunning(b *testing.B) {
	s, err := store.Open(filepath.Join(b.TempDir(), "live.db"), store.Options{Mode: store.Live})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	writes := func() time.Duration {
		start := time.Now()
		for range b.N {
			if _, err := s.CreateCustomer(ctx, store.CustomerInput{Name: "Grace Hopper"}); err != nil {
				b.Fatal(err)
			}
		}
		return time.Since(start)
	}
	b.ResetTimer()
	alone := writes()
	m := New(Config{})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); m.Run(runCtx, s) }()
	with := writes()
	stop()
	<-done
	b.ReportMetric(float64(with)/float64(alone), "with/without")
	b.ReportMetric(float64(alone.Microseconds())/float64(b.N), "µs/write-alone")
}
