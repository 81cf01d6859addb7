package hooks

import (
	"github.com/prometheus/client_golang/prometheus"

	"portal/store"
)

// Metrics receives what the engine counts. The engine only knows this
// interface; NewMetrics is the Prometheus implementation `portal serve` uses.
type Metrics interface {
	// Attempted is called once per attempt recorded in s, with its outcome:
	// OutcomeDelivered, OutcomeRetry or OutcomeFailed.
	Attempted(s store.Mode, outcome string)
}

// The outcomes of a recorded attempt.
const (
	OutcomeDelivered = "delivered" // the receiver answered 2xx
	OutcomeRetry     = "retry"     // it failed and the delivery waits for another attempt
	OutcomeFailed    = "failed"    // it failed and no attempt follows (retries used up, 410, webhook off or deleted)
)

// outcomeOf names what a recorded attempt led to, from the delivery as the
// store left it: a failure whose delivery is still pending will be retried.
func outcomeOf(o store.Outcome, d store.Delivery) string {
	switch {
	case o.Delivered:
		return OutcomeDelivered
	case d.Status == store.DeliveryPending:
		return OutcomeRetry
	}
	return OutcomeFailed
}

type noMetrics struct{}

func (noMetrics) Attempted(store.Mode, string) {}

// promMetrics counts attempts in portal_webhook_deliveries_total.
type promMetrics struct{ attempts *prometheus.CounterVec }

// NewMetrics registers portal_webhook_deliveries_total{store,outcome} with
// reg and returns the Metrics that counts it. Every series starts at zero,
// so rate() and increase() see the first failure.
func NewMetrics(reg prometheus.Registerer) Metrics {
	m := promMetrics{attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "portal_webhook_deliveries_total",
		Help: "Webhook delivery attempts recorded, by store and outcome (delivered, retry, failed).",
	}, []string{"store", "outcome"})}
	reg.MustRegister(m.attempts)
	for _, s := range []store.Mode{store.Live, store.Test} {
		for _, o := range []string{OutcomeDelivered, OutcomeRetry, OutcomeFailed} {
			m.attempts.WithLabelValues(string(s), o)
		}
	}
	return m
}

func (m promMetrics) Attempted(s store.Mode, outcome string) {
	m.attempts.WithLabelValues(string(s), outcome).Inc()
}
