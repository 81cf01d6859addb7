package mail

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"portal/store"
)

// BenchmarkWritesWithTheMailerRunning times a shop's changes one at a
// time (each its own durable commit) with no mailer, then with one reading
// every commit, then with none again, and reports the middle run against
// the mean of the two around it (which also cancels the store's growth).
// Changes that email nobody must cost the mailer no commit of its own, so
// the ratio stays within noise of 1 (1.03 to 1.10 measured). It was 1.61
// to 2.03 while the reader wrote its cursor and opened an empty lease
// recovery after each change.
//
//	go test -run '^$' -bench WritesWithTheMailerRunning -benchtime 300x -count 3 ./mail/
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
	before := writes()
	m := New(Config{})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); m.Run(runCtx, s) }()
	with := writes()
	stop()
	<-done
	after := writes()
	b.ReportMetric(2*float64(with)/float64(before+after), "with/without")
	b.ReportMetric(float64(with.Microseconds())/float64(b.N), "µs/write-with")
}
