package hooks_test

import (
	"maps"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"portal/hooks"
	"portal/store"
)

// countedAttempts is a hooks.Metrics that keeps its counts for the test.
type countedAttempts struct {
	mu      sync.Mutex
	counts  map[string]int // "store outcome" -> attempts
	changed chan struct{}  // closed and replaced at every count
}

func newCountedAttempts() *countedAttempts {
	return &countedAttempts{counts: map[string]int{}, changed: make(chan struct{})}
}

func (c *countedAttempts) Attempted(s store.Mode, outcome string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counts[string(s)+" "+outcome]++
	close(c.changed)
	c.changed = make(chan struct{})
}

// wait returns the counts once they equal want.
func (c *countedAttempts) wait(t *testing.T, want map[string]int) {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		c.mu.Lock()
		got, changed := maps.Clone(c.counts), c.changed
		c.mu.Unlock()
		if maps.Equal(got, want) {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("attempts counted %v, want %v", got, want)
		}
	}
}

func TestMetricsCountEachRecordedAttemptByOutcome(t *testing.T) {
	t.Parallel()
	counted := newCountedAttempts()
	v := newHookEnv(t, hooks.Config{Sandbox: true, Schedule: []time.Duration{time.Minute}, Metrics: counted})
	failing := newCapture(t, status(http.StatusInternalServerError))
	fine := newCapture(t, nil)
	v.webhook(failing.URL, "portal", "customer.created")
	v.webhook(fine.URL, "portal", "customer.created")
	v.start(v.e)

	v.customer("Ada")
	counted.wait(t, map[string]int{"test delivered": 1, "test retry": 1})
	v.runToNextDue(v.e) // the last of two attempts
	counted.wait(t, map[string]int{"test delivered": 1, "test retry": 1, "test failed": 1})
}

func TestMetricsRegistersEveryDeliverySeriesAtZero(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m := hooks.NewMetrics(reg)
	m.Attempted(store.Live, hooks.OutcomeRetry)
	m.Attempted(store.Live, hooks.OutcomeRetry)
	m.Attempted(store.Test, hooks.OutcomeDelivered)
	want := `
# HELP portal_webhook_deliveries_total Webhook delivery attempts recorded, by store and outcome (delivered, retry, failed).
# TYPE portal_webhook_deliveries_total counter
portal_webhook_deliveries_total{outcome="delivered",store="live"} 0
portal_webhook_deliveries_total{outcome="delivered",store="test"} 1
portal_webhook_deliveries_total{outcome="failed",store="live"} 0
portal_webhook_deliveries_total{outcome="failed",store="test"} 0
portal_webhook_deliveries_total{outcome="retry",store="live"} 2
portal_webhook_deliveries_total{outcome="retry",store="test"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "portal_webhook_deliveries_total"); err != nil {
		t.Fatal(err)
	}
}
