package api

import (
	"bufio"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"portal/store"
)

// Prometheus metrics (GET /metrics): requests by route, the webhook queue,
// live connections, the stores' files, and the Go runtime and process.

const (
	metricsPath = "/metrics"
	// routeUnmatched labels requests no route took (unknown API paths and
	// methods), so a scan of random paths adds one series, not one per path.
	routeUnmatched = "unmatched"
)

// httpMetrics are the request metrics observe keeps, and the scrape handler.
type httpMetrics struct {
	requests *prometheus.CounterVec   // route, method, code
	duration *prometheus.HistogramVec // route, method
	scrape   http.Handler
}

// registerMetrics adds the server's collectors to cfg.Metrics (nil: none).
// Gauges are read at scrape time, so they cost nothing between scrapes.
func (s *Server) registerMetrics() *httpMetrics {
	reg := s.cfg.Metrics
	if reg == nil {
		return nil
	}
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portal_http_requests_total",
			Help: "HTTP requests answered, by route template (\"unmatched\" when no route took it), method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "portal_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route template and method (websockets not included).",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
		scrape: promhttp.HandlerFor(reg, promhttp.HandlerOpts{
			ErrorLog:      slog.NewLogLogger(s.cfg.Log.Handler(), slog.LevelWarn),
			ErrorHandling: promhttp.ContinueOnError, // one failing collector must not hide the rest
		}),
	}
	reg.MustRegister(m.requests, m.duration,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "portal_live_connections",
			Help: "Open live-feed websocket connections.",
		}, func() float64 { return float64(s.LiveSubscribers()) }),
	)
	for _, st := range []*store.Store{s.cfg.Live, s.cfg.Test} {
		if st == nil {
			continue
		}
		labels := prometheus.Labels{"store": string(st.Mode())}
		reg.MustRegister(
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name:        "portal_webhook_queue_depth",
				Help:        "Webhook deliveries waiting: ready (due now or at a retry time) plus in flight.",
				ConstLabels: labels,
			}, func() float64 {
				ready, inflight, err := st.QueueDepth() // two kept counts, not a walk of the queue
				if err != nil {
					return math.NaN()
				}
				return float64(ready + inflight)
			}),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name:        "portal_store_size_bytes",
				Help:        "Size of the store's file on disk.",
				ConstLabels: labels,
			}, func() float64 {
				fi, err := os.Stat(st.Path())
				if err != nil {
					return math.NaN()
				}
				return float64(fi.Size())
			}),
		)
	}
	return m
}

// serveMetrics answers a scrape. From this machine (a loopback peer) it
// needs no key, like /healthz; from any other address it takes an internal
// key, as Prometheus sends it with `authorization: {credentials: ik_live_…}`
// (Authorization: Bearer) or in X-API-Key. Internal keys are the ones made
// for the shop's own systems; plugin, developer and user keys are refused,
// so a key handed to an integrator cannot read the shop's traffic. The peer
// address is the TCP connection's own; forwarding headers are never read. A
// reverse proxy on this machine would make every peer loopback, so one in
// front of Portal must guard /metrics itself.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	if s.metrics == nil {
		fail(w, r, errRouteMissing)
		return
	}
	if !fromLoopback(r) {
		secret := presentedKey(r)
		if secret == "" {
			fail(w, r, errUnauthorized)
			return
		}
		k, err := s.cfg.Live.Authenticate(secret)
		if err != nil {
			fail(w, r, errUnauthorized)
			return
		}
		if k.Type != store.KeyInternal {
			fail(w, r, newError(http.StatusForbidden, "FORBIDDEN", "Metrics from another machine need an internal key"))
			return
		}
	}
	s.metrics.scrape.ServeHTTP(w, r)
}

// fromLoopback reports whether the request's connection comes from this machine.
func fromLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// observe counts and times each request under its route's template (such
// as /api/v1/tickets/{id}), never its path, so the series stay as few as
// the routes however many ids are asked for.
func (s *Server) observe(next http.Handler) http.Handler {
	if s.metrics == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		route := routeUnmatched
		if cur := mux.CurrentRoute(r); cur != nil {
			if tpl, err := cur.GetPathTemplate(); err == nil {
				route = tpl
			}
		}
		s.metrics.serve(route, next, w, r)
	})
}

// unmatched is observe for the handlers of requests no route takes.
func (s *Server) unmatched(next http.Handler) http.Handler {
	if s.metrics == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.metrics.serve(routeUnmatched, next, w, r)
	})
}

func (m *httpMetrics) serve(route string, next http.Handler, w http.ResponseWriter, r *http.Request) {
	if route == metricsPath { // scrapes are not traffic
		next.ServeHTTP(w, r)
		return
	}
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w}
	finished := false
	defer func() {
		code := rec.code
		switch {
		case !finished:
			code = http.StatusInternalServerError // a panic common let through (http.ErrAbortHandler)
		case code == 0:
			code = http.StatusOK // nothing written: net/http sends 200
		}
		method := methodLabel(r.Method)
		m.requests.WithLabelValues(route, method, strconv.Itoa(code)).Inc()
		if !rec.hijacked { // a websocket's lifetime is not a response time
			m.duration.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
		}
	}()
	next.ServeHTTP(rec, r)
	finished = true
}

// methodLabel bounds the method label: the UI's catch-all route takes any
// method, and a client may send any token as one.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}

// statusRecorder remembers the status a handler sends. It passes on
// Hijack (the live websocket) and Flush, and Unwrap serves
// http.ResponseController.
type statusRecorder struct {
	http.ResponseWriter
	code     int
	hijacked bool
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.code == 0 && code >= 200 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusRecorder) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		if w.code == 0 {
			w.code = http.StatusOK
		}
		f.Flush()
	}
}

func (w *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, http.ErrNotSupported
	}
	conn, rw, err := h.Hijack()
	if err == nil {
		w.code, w.hijacked = http.StatusSwitchingProtocols, true
	}
	return conn, rw, err
}

func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }
