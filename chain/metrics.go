package chain

import (
	"github.com/prometheus/client_golang/prometheus"

	"portal/store"
)

// metrics are the publisher's Prometheus series. The lag is read from the
// stores when scraped, so it grows while the hub is away even though the
// publisher does nothing then.
type metrics struct {
	p         *Publisher
	connected prometheus.Gauge
	published *prometheus.CounterVec
	lagEvents *prometheus.Desc
	lagSecs   *prometheus.Desc
}

func newMetrics(p *Publisher, reg prometheus.Registerer) *metrics {
	m := &metrics{
		p: p,
		connected: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "portal_nats_connected",
			Help: "1 while the chain publisher is connected to NATS JetStream, else 0.",
		}),
		published: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portal_nats_published_total",
			Help: "Events JetStream acknowledged, by store.",
		}, []string{"store"}),
		lagEvents: prometheus.NewDesc("portal_nats_lag_events",
			"Events in the log not yet acknowledged by JetStream, by store (0 when the chain is off or the store not mirrored).",
			[]string{"store"}, nil),
		lagSecs: prometheus.NewDesc("portal_nats_lag_seconds",
			"Age of the oldest event not yet acknowledged by JetStream, by store (0 when caught up).",
			[]string{"store"}, nil),
	}
	for _, s := range []store.Mode{store.Live, store.Test} {
		m.published.WithLabelValues(string(s))
	}
	reg.MustRegister(m.connected, m.published, m)
	return m
}

func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.lagEvents
	ch <- m.lagSecs
}

func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	cfg, _ := m.p.config()
	lag := map[store.Mode]StoreStatus{}
	if cfg.On() {
		for _, s := range m.p.stores(cfg) {
			if ss, err := m.p.storeStatus(s); err == nil {
				lag[s.Mode()] = ss
			}
		}
	}
	for _, s := range []store.Mode{store.Live, store.Test} {
		ss := lag[s]
		ch <- prometheus.MustNewConstMetric(m.lagEvents, prometheus.GaugeValue, float64(ss.LagEvents), string(s))
		ch <- prometheus.MustNewConstMetric(m.lagSecs, prometheus.GaugeValue, ss.LagSeconds, string(s))
	}
}
