package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"portal/store"
)

// porterJSON decodes a Porter-shaped answer, checking its top-level keys.
func porterJSON(t *testing.T, res *response, status int, keys ...string) map[string]json.RawMessage {
	t.Helper()
	if res.Status != status {
		t.Fatalf("%s: status %d, want %d\n%s", res.req, res.Status, status, res.Body)
	}
	if got := res.keys(); !slices.Equal(got, keys) {
		t.Fatalf("%s: keys %v, want %v\n%s", res.req, got, keys, res.Body)
	}
	var out map[string]json.RawMessage
	if err := json.Unmarshal(res.Body, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// porterError checks {"error": "message"} and returns the message.
func porterError(t *testing.T, res *response, status int) string {
	t.Helper()
	var msg string
	json.Unmarshal(porterJSON(t, res, status, "error")["error"], &msg)
	if msg == "" {
		t.Fatalf("%s: empty error message", res.req)
	}
	return msg
}

// With X-API-Key the desk's routes answer as Porter does; with
// Authorization: Bearer, the same routes keep our envelope.
func TestPorterWireShapeForXAPIKey(t *testing.T) {
	t.Parallel()
	d := newDesk(t, serverOptions{})
	porter := d.ts.client(keySpec{Type: store.KeyPlugin, Name: "Porter integration", Tier: "standard",
		Scopes: []string{"visitors.read", "visitors.write", "locations.read", "contractors.read"}}).withHeader("X-API-Key")
	for i := range 3 {
		d.preRegister(t, fmt.Sprintf("Guest%d", i), start.Add(time.Hour))
	}

	list := porterJSON(t, porter.get("/visitors"), http.StatusOK, "visitors", "page", "per_page", "total")
	var visitors []store.Visitor
	json.Unmarshal(list["visitors"], &visitors)
	if len(visitors) != 3 || string(list["page"]) != "1" || string(list["per_page"]) != "25" || string(list["total"]) != "3" {
		t.Fatalf("Porter list: %v", list)
	}
	list = porterJSON(t, porter.get("/visitors?page=2&per_page=2&status=expected"), http.StatusOK, "visitors", "page", "per_page", "total")
	if json.Unmarshal(list["visitors"], &visitors); len(visitors) != 1 || string(list["page"]) != "2" || string(list["total"]) != "3" {
		t.Fatalf("Porter list, page 2: %v", list)
	}
	one := porterJSON(t, porter.get(fmt.Sprintf("/visitors/%d", visitors[0].ID)), http.StatusOK, "visitor")
	var v store.Visitor
	if json.Unmarshal(one["visitor"], &v); v.ID != visitors[0].ID {
		t.Fatalf("Porter record: %s", one["visitor"])
	}
	// An unchanged record answers 304 to its ETag, in either shape.
	res := porter.get(fmt.Sprintf("/visitors/%d", v.ID))
	if again := porter.api("GET", fmt.Sprintf("/visitors/%d", v.ID), nil, "If-None-Match", res.Header.Get("ETag")); again.Status != http.StatusNotModified || len(again.Body) != 0 {
		t.Fatalf("conditional GET: %d %s", again.Status, again.Body)
	}

	created := porterJSON(t, porter.post("/visitors/pre-register", map[string]any{"name": "Porter Guest", "host_id": d.host.ID,
		"location_id": d.location.ID, "expected_at": start.Add(2 * time.Hour)}), http.StatusCreated, "visitor")
	var withCode struct {
		store.Visitor
		Code  string `json:"code"`
		QRPNG string `json:"qr_png"`
	}
	if json.Unmarshal(created["visitor"], &withCode); len(withCode.Code) != 6 || !strings.HasPrefix(withCode.QRPNG, "data:image/png;base64,") {
		t.Fatalf("Porter pre-registration: %.200s", created["visitor"])
	}
	porterJSON(t, porter.post("/visitors/check-in", map[string]any{"code": withCode.Code}), http.StatusOK, "visitor")

	// Errors: {"error": message}, the same status codes as ours.
	porterError(t, porter.get("/visitors/999"), http.StatusNotFound)
	if msg := porterError(t, porter.post("/visitors/pre-register", map[string]any{"host_id": d.host.ID}), http.StatusUnprocessableEntity); !strings.Contains(msg, "name") {
		t.Fatalf("validation message %q names no field", msg)
	}
	if msg := porterError(t, porter.post("/visitors/check-in", map[string]any{"code": withCode.Code}), http.StatusConflict); !strings.Contains(msg, "already") {
		t.Fatalf("conflict message %q", msg)
	}
	porterError(t, porter.get("/visitors?status=gone"), http.StatusUnprocessableEntity)
	porterError(t, porter.post("/locations", map[string]any{"name": "No scope"}), http.StatusForbidden)
	porterError(t, d.ts.anonymous().withHeader("X-API-Key").call("GET", "/api/v1/visitors", nil, "X-API-Key", "wrong"), http.StatusUnauthorized)
	if res := porter.api("DELETE", "/visitors/1", nil); porterError(t, res, http.StatusMethodNotAllowed) == "" || res.Header.Get("Allow") != "GET" {
		t.Fatalf("405 without Allow: %v", res.Header)
	}
	porterError(t, porter.get("/visitors/1/badge"), http.StatusNotFound)

	// Locations, contractors and hosts take their own names.
	porterJSON(t, porter.get("/locations"), http.StatusOK, "locations", "page", "per_page", "total")
	porterJSON(t, porter.get(fmt.Sprintf("/locations/%d", d.location.ID)), http.StatusOK, "location")
	porterJSON(t, porter.get("/hosts?q=ha"), http.StatusOK, "hosts", "page", "per_page", "total")

	// The rest of the desk: contractors and the evacuation.
	full := d.ts.client(keySpec{Type: store.KeyPlugin, Tier: "standard", Scopes: []string{"contractors.read", "contractors.write", "evacuation.read", "evacuation.write"}}).withHeader("X-API-Key")
	contractor := porterJSON(t, full.post("/contractors", map[string]any{"company": "Glaze Co", "name": "Kit"}), http.StatusCreated, "contractor")
	var ct store.Contractor
	json.Unmarshal(contractor["contractor"], &ct)
	porterJSON(t, full.get("/contractors"), http.StatusOK, "contractors", "page", "per_page", "total")
	if msg := porterError(t, full.post(fmt.Sprintf("/contractors/%d/approve", ct.ID), nil), http.StatusConflict); !strings.Contains(msg, "induction") {
		t.Fatalf("approval without dates: %q", msg)
	}
	porterJSON(t, full.post("/evacuation/activate", map[string]any{}), http.StatusCreated, "evacuation")
	porterJSON(t, full.get("/evacuation"), http.StatusOK, "evacuation")
	porterError(t, porter.post("/visitors", map[string]any{"name": "Late", "host_id": d.host.ID, "location_id": d.location.ID}), http.StatusConflict)
	porterJSON(t, full.post("/evacuation/end", nil), http.StatusOK, "evacuation")

	// Bearer: our envelope on the same routes; X-API-Key elsewhere: ours too.
	bearer := *porter
	bearer.header = ""
	bearer.get("/visitors").ok(http.StatusOK, nil)
	bearer.get("/visitors/999").fail(http.StatusNotFound, "NOT_FOUND")
	if got := d.c.withHeader("X-API-Key").get("/store"); got.Status != http.StatusOK || got.envelope().Success == nil {
		t.Fatalf("a non-desk route in Porter's shape: %s", got.Body)
	}
	// Both headers: the Bearer token is the one read, and so is our envelope.
	bearer.api("GET", "/visitors", nil, "X-API-Key", porter.key).ok(http.StatusOK, nil)
}

// A standard-tier key has Porter's 100 requests a minute: the 101st is a
// 429 with Retry-After, in Porter's shape when the key came in X-API-Key.
func TestPorterRateLimitIs100AMinute(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	if store.Tiers["standard"] != 100 {
		t.Fatalf("the standard tier allows %d a minute, Porter 100", store.Tiers["standard"])
	}
	porter := ts.client(keySpec{Type: store.KeyPlugin, Tier: "standard", Scopes: []string{"visitors.read"}}).withHeader("X-API-Key")
	for i := range 100 {
		if res := porter.get("/visitors"); res.Status != http.StatusOK {
			t.Fatalf("request %d: %d %s", i+1, res.Status, res.Body)
		}
	}
	res := porter.get("/visitors")
	msg := porterError(t, res, http.StatusTooManyRequests)
	if res.Header.Get("Retry-After") != "30" || res.Header.Get("X-RateLimit-Limit") != "100" || !strings.Contains(msg, "Rate limit") {
		t.Fatalf("101st request: Retry-After %q, limit %q, %q", res.Header.Get("Retry-After"), res.Header.Get("X-RateLimit-Limit"), msg)
	}
	ts.Clock.Advance(30 * time.Second) // the next minute
	porterJSON(t, porter.get("/visitors"), http.StatusOK, "visitors", "page", "per_page", "total")
}

// Off loopback serve answers HTTPS only (servesTLS), and its plain-HTTP port
// refuses API calls as Porter's docs say: a Porter client reads why.
func TestPorterPlainHTTPIsRefused(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	plain := httptest.NewServer(ts.API.RequireTLS(ts.API.Handler())) // what serve's split listener gives plain HTTP
	t.Cleanup(plain.Close)
	porter := ts.client(keySpec{Type: store.KeyPlugin, Scopes: []string{"visitors.read"}}).withHeader("X-API-Key")
	porter.base = plain.URL
	if msg := porterError(t, porter.get("/visitors"), http.StatusForbidden); !strings.Contains(msg, "HTTPS") {
		t.Fatalf("plain HTTP: %q", msg)
	}
	bearer := *porter
	bearer.header = ""
	bearer.get("/visitors").fail(http.StatusForbidden, "TLS_REQUIRED")
}
