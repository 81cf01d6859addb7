package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"portal/api"
	"portal/store"
)

// metrics is one scrape of /metrics, parsed.
type metrics map[string]*dto.MetricFamily

// scrape reads /metrics as Prometheus does from this machine: no key.
func scrape(t *testing.T, ts *testServer) metrics {
	t.Helper()
	res := ts.anonymous().call(http.MethodGet, "/metrics", nil)
	if res.Status != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", res.Status, res.Body)
	}
	return parseMetrics(t, res.Body)
}

func parseMetrics(t *testing.T, body []byte) metrics {
	t.Helper()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("/metrics is not Prometheus text: %v\n%s", err, body)
	}
	return fams
}

// value is the sample of family name whose labels include want (a
// histogram's count); ok is false when there is none.
func (m metrics) value(name string, want map[string]string) (v float64, ok bool) {
	fam := m[name]
	if fam == nil {
		return 0, false
	}
	for _, s := range fam.GetMetric() {
		if !hasLabels(s, want) {
			continue
		}
		switch {
		case s.Counter != nil:
			return s.Counter.GetValue(), true
		case s.Gauge != nil:
			return s.Gauge.GetValue(), true
		case s.Histogram != nil:
			return float64(s.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

func hasLabels(s *dto.Metric, want map[string]string) bool {
	n := 0
	for _, l := range s.GetLabel() {
		if v, ok := want[l.GetName()]; ok {
			if v != l.GetValue() {
				return false
			}
			n++
		}
	}
	return n == len(want)
}

// labelValues lists every value label name takes in family name.
func (m metrics) labelValues(name, label string) []string {
	var out []string
	for _, s := range m[name].GetMetric() {
		for _, l := range s.GetLabel() {
			if l.GetName() == label {
				out = append(out, l.GetValue())
			}
		}
	}
	return out
}

// scrapeUntil scrapes until cond holds. The engine counts an attempt just
// after its commit, so a commit is no signal that the count is there yet.
func scrapeUntil(t *testing.T, ts *testServer, what string, cond func(metrics) bool) metrics {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		m := scrape(t, ts)
		if cond(m) {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func requests(route, method, code string) map[string]string {
	return map[string]string{"route": route, "method": method, "code": code}
}

// rawID finds an id in a path, as in /customers/42 (a template says {id}).
var rawID = regexp.MustCompile(`/[0-9]+(/|$)`)

func TestMetricsCountRequestsByRouteTemplateNeverByPath(t *testing.T) {
	t.Parallel()
	ts := newTestServerWith(t, serverOptions{Metrics: true})
	c := ts.client(internalKey)
	cust := c.newCustomer("Ada Lovelace")
	path := fmt.Sprintf("/customers/%d", cust.ID)
	c.get(path).ok(http.StatusOK, nil)
	c.get(path).ok(http.StatusOK, nil)
	c.get("/customers/999999").fail(http.StatusNotFound, "NOT_FOUND")
	c.get("/no/such/route").fail(http.StatusNotFound, "NOT_FOUND")
	c.api(http.MethodDelete, "/store", nil).fail(http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED")
	ts.anonymous().call("BREW", "/healthz", nil)

	m := scrape(t, ts)
	const byID = api.APIPrefix + "/customers/{id}"
	for _, tc := range []struct {
		labels map[string]string
		want   float64
	}{
		{requests(api.APIPrefix+"/customers", "POST", "201"), 1},
		{requests(byID, "GET", "200"), 2},
		{requests(byID, "GET", "404"), 1},
		{requests("unmatched", "GET", "404"), 1},
		{requests("unmatched", "DELETE", "405"), 1},
	} {
		if got, _ := m.value("portal_http_requests_total", tc.labels); got != tc.want {
			t.Errorf("portal_http_requests_total%v = %v, want %v", tc.labels, got, tc.want)
		}
	}
	if got, _ := m.value("portal_http_request_duration_seconds", map[string]string{"route": byID, "method": "GET"}); got != 3 {
		t.Errorf("%s GET timed %v times, want 3", byID, got)
	}
	for _, route := range m.labelValues("portal_http_requests_total", "route") {
		if rawID.MatchString(route) || route == "/metrics" {
			t.Errorf("route label %q: a raw path or the scrape itself", route)
		}
	}
	// Any token can be a method; the label takes the standard ones and "other".
	if methods := m.labelValues("portal_http_requests_total", "method"); slices.Contains(methods, "BREW") ||
		!slices.Contains(methods, "other") {
		t.Errorf("method labels %v, want BREW counted as other", methods)
	}
	for _, s := range []string{"live", "test"} {
		if size, ok := m.value("portal_store_size_bytes", map[string]string{"store": s}); !ok || size <= 0 {
			t.Errorf("portal_store_size_bytes{store=%q} = %v, %v; want the file's size", s, size, ok)
		}
	}
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes", "portal_live_connections"} {
		if m[name] == nil {
			t.Errorf("no %s", name)
		}
	}
}

func TestMetricsQueueDepthAndDeliveriesFollowTheEngine(t *testing.T) {
	t.Parallel()
	ts := newTestServerWith(t, serverOptions{Sandbox: true, Hooks: true, Metrics: true})
	c := ts.client(internalKey)
	down := newReceiver(t, http.StatusServiceUnavailable, "down")
	up := newReceiver(t, http.StatusOK, "ok")
	c.newWebhook(map[string]any{"url": down.URL, "events": []string{"customer.created"}})
	c.newWebhook(map[string]any{"url": up.URL, "events": []string{"customer.created"}})

	live := map[string]string{"store": "live"}
	if m := scrape(t, ts); !isValue(m, "portal_webhook_queue_depth", live, 0) ||
		!isValue(m, "portal_webhook_deliveries_total", map[string]string{"store": "live", "outcome": "delivered"}, 0) {
		t.Fatal("before any event: want an empty queue and no deliveries counted")
	}
	for _, name := range []string{"Ada", "Grace", "Edsger"} {
		c.newCustomer(name)
	}
	// The receiver that is up gets all three; the one that is down fails its
	// first attempt and holds its queue until the retry (the test clock
	// stands still), so its three deliveries wait.
	m := scrapeUntil(t, ts, "three delivered, a retry and three waiting", func(m metrics) bool {
		retries, _ := m.value("portal_webhook_deliveries_total", map[string]string{"store": "live", "outcome": "retry"})
		return isValue(m, "portal_webhook_deliveries_total", map[string]string{"store": "live", "outcome": "delivered"}, 3) &&
			retries >= 1 && isValue(m, "portal_webhook_queue_depth", live, 3)
	})
	if !isValue(m, "portal_webhook_deliveries_total", map[string]string{"store": "live", "outcome": "failed"}, 0) ||
		!isValue(m, "portal_webhook_queue_depth", map[string]string{"store": "test"}, 0) {
		t.Fatal("want no failed delivery and an empty test-store queue")
	}
	if ready, inflight, err := ts.Live.QueueDepth(); err != nil || ready+inflight != 3 {
		t.Fatalf("store QueueDepth = %d + %d, %v; want 3", ready, inflight, err)
	}
}

func isValue(m metrics, name string, labels map[string]string, want float64) bool {
	got, ok := m.value(name, labels)
	return ok && got == want
}

func TestMetricsCountOpenLiveConnections(t *testing.T) {
	t.Parallel()
	ts := newTestServerWith(t, serverOptions{Metrics: true})
	runLive(t, ts)
	c := ts.client(internalKey)
	conn := dialLive(t, ts, c.key, nil)
	scrapeUntil(t, ts, "one live connection", func(m metrics) bool {
		return isValue(m, "portal_live_connections", nil, 1)
	})
	conn.Close()
	m := scrapeUntil(t, ts, "the connection closed and counted", func(m metrics) bool {
		return isValue(m, "portal_live_connections", nil, 0) &&
			isValue(m, "portal_http_requests_total", requests(api.APIPrefix+"/live", "GET", "101"), 1)
	})
	if n, ok := m.value("portal_http_request_duration_seconds", map[string]string{"route": api.APIPrefix + "/live"}); ok && n != 0 {
		t.Errorf("a websocket's lifetime was timed as a request (%v)", n)
	}
}

func TestMetricsFromAnotherMachineNeedAnInternalKey(t *testing.T) {
	t.Parallel()
	ts := newTestServerWith(t, serverOptions{Metrics: true})
	internal := ts.client(internalKey)
	plugin := ts.client(keySpec{Type: store.KeyPlugin, Scopes: pluginScopes(store.AllScopes())})
	developer := ts.client(developerKey)
	for _, tc := range []struct {
		name, remote string
		header       []string
		want         int
	}{
		{"loopback v4 without a key", "127.0.0.1:40000", nil, http.StatusOK},
		{"loopback v6 without a key", "[::1]:40000", nil, http.StatusOK},
		{"network without a key", "203.0.113.7:40000", nil, http.StatusUnauthorized},
		{"network, forwarded as loopback", "203.0.113.7:40000", []string{"X-Forwarded-For", "127.0.0.1"}, http.StatusUnauthorized},
		{"network with an unknown key", "203.0.113.7:40000", []string{"Authorization", "Bearer ik_live_nope"}, http.StatusUnauthorized},
		{"network with a plugin key", "203.0.113.7:40000", []string{"Authorization", "Bearer " + plugin.key}, http.StatusForbidden},
		{"network with a developer key", "203.0.113.7:40000", []string{"Authorization", "Bearer " + developer.key}, http.StatusForbidden},
		{"network with an internal bearer key", "203.0.113.7:40000", []string{"Authorization", "Bearer " + internal.key}, http.StatusOK},
		{"network with an internal X-API-Key", "[2001:db8::7]:40000", []string{"X-API-Key", internal.key}, http.StatusOK},
	} {
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		req.RemoteAddr = tc.remote
		for i := 0; i+1 < len(tc.header); i += 2 {
			req.Header.Set(tc.header[i], tc.header[i+1])
		}
		rec := httptest.NewRecorder()
		ts.API.Handler().ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("%s: %d, want %d\n%s", tc.name, rec.Code, tc.want, rec.Body)
			continue
		}
		if tc.want == http.StatusOK {
			parseMetrics(t, rec.Body.Bytes())
		} else if !strings.Contains(rec.Body.String(), `"success":false`) {
			t.Errorf("%s: refused without an error envelope: %s", tc.name, rec.Body)
		}
	}
}

func TestMetricsAreOffWithoutARegistry(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.anonymous().call(http.MethodGet, "/metrics", nil).fail(http.StatusNotFound, "NOT_FOUND")
}

func TestReadyzFollowsSetReadyAndTheStores(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	anon := ts.anonymous()
	readyz := func(want int) map[string]string {
		t.Helper()
		res := anon.call(http.MethodGet, "/readyz", nil)
		var body map[string]string
		if res.Status != want || json.Unmarshal(res.Body, &body) != nil {
			t.Fatalf("readyz %d %s, want %d", res.Status, res.Body, want)
		}
		return body
	}

	ts.API.SetReady(false)
	if got := readyz(http.StatusServiceUnavailable); got["status"] != "starting" || got["reason"] == "" {
		t.Fatalf("before SetReady(true): %v", got)
	}
	ts.API.SetReady(true)
	if got := readyz(http.StatusOK); got["status"] != "ready" || len(got) != 1 {
		t.Fatalf("after SetReady(true): %v", got)
	}
	if err := ts.Test.Close(); err != nil {
		t.Fatal(err)
	}
	if got := readyz(http.StatusServiceUnavailable); got["status"] != "not ready" || !strings.HasPrefix(got["reason"], "test store: ") {
		t.Fatalf("with the test store closed: %v", got)
	}
	// Liveness is another question: the process is still up.
	if res := anon.call(http.MethodGet, "/healthz", nil); res.Status != http.StatusOK {
		t.Fatalf("healthz %d %s", res.Status, res.Body)
	}
}
