package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Porter's docs: "All requests must use HTTPS — HTTP requests are
// rejected". serve off loopback answers HTTPS only, and a Porter client's
// plain-HTTP call (X-API-Key) on the same port is refused in Porter's shape,
// {"error": "…"}; over HTTPS the same call reaches the API, Porter-shaped.
func TestPorterPlainHTTPIsRejectedOffLoopback(t *testing.T) {
	dir := t.TempDir()
	_, addr := networkServe(t, dir)
	call := func(c *http.Client, url string) (int, map[string]string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("X-API-Key", "your_api_key_here")
		req.Header.Set("Content-Type", "application/json")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var body map[string]string
		if err := json.Unmarshal(raw, &body); err != nil || len(body) != 1 || body["error"] == "" {
			t.Fatalf("GET %s: %d %s, want Porter's {\"error\": …}", url, resp.StatusCode, raw)
		}
		return resp.StatusCode, body
	}
	plain := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if status, body := call(plain, "http://"+addr+"/api/v1/visitors"); status != http.StatusForbidden || !strings.Contains(body["error"], "HTTPS") {
		t.Fatalf("plain HTTP: %d %v", status, body)
	}
	// Over HTTPS the unknown key is the only problem left.
	if status, _ := call(pinnedClient(t, filepath.Join(dir, "tls-cert.pem")), "https://"+addr+"/api/v1/visitors"); status != http.StatusUnauthorized {
		t.Fatalf("HTTPS with an unknown key: %d, want 401", status)
	}
}
