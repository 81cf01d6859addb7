package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

func TestServeMetricsAndReadyzAreWired(t *testing.T) {
	p := startServe(t, t.TempDir())
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(p.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(body)
	}
	if code, body := get("/readyz"); code != http.StatusOK || strings.TrimSpace(body) != `{"status":"ready"}` {
		t.Fatalf("readyz %d %s", code, body)
	}
	get("/api/v1/tickets") // refused without a key, and counted
	code, body := get("/metrics")
	if code != http.StatusOK {
		t.Fatalf("metrics %d %s", code, body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("metrics are not Prometheus text: %v", err)
	}
	// One of each part main wires: the API, the webhook engine, the stores, the runtime.
	for _, name := range []string{"portal_http_requests_total", "portal_webhook_deliveries_total",
		"portal_webhook_queue_depth", "portal_store_size_bytes", "portal_live_connections",
		"go_goroutines", "process_open_fds"} {
		if fams[name] == nil {
			t.Errorf("no %s in /metrics", name)
		}
	}
	if !strings.Contains(body, `portal_http_requests_total{code="401",method="GET",route="/api/v1/tickets"} 1`) {
		t.Errorf("the refused request is not counted by its route:\n%s", body)
	}
}
