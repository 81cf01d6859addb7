package api_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"portal/hooks"
	"portal/store"
)

// The webhook management API end to end: real stores, the real engine, and
// httptest receivers that verify what they get with the hooks package.

// webhook is a webhook as the API shows it; Secret only at creation and rotation.
type webhook struct {
	ID                  uint64   `json:"id"`
	URL                 string   `json:"url"`
	Description         string   `json:"description"`
	Events              []string `json:"events"`
	Format              string   `json:"format"`
	Enabled             bool     `json:"enabled"`
	DisabledReason      string   `json:"disabled_reason"`
	ConsecutiveFailures int      `json:"consecutive_failures"`
	Secret              string   `json:"secret"`
}

// delivery is a delivery, with its payload and attempt log when read one by one.
type delivery struct {
	ID             string          `json:"id"`
	WebhookID      uint64          `json:"webhook_id"`
	EventID        string          `json:"event_id"`
	Event          string          `json:"event"`
	Status         string          `json:"status"`
	Attempts       int             `json:"attempts"`
	MaxAttempts    int             `json:"max_attempts"`
	NextAttemptAt  *time.Time      `json:"next_attempt_at"`
	LastStatusCode int             `json:"last_status_code"`
	LastError      string          `json:"last_error"`
	Test           bool            `json:"test"`
	Payload        json.RawMessage `json:"payload"`
	AttemptLog     []attempt       `json:"attempt_log"`
}

type attempt struct {
	N              int               `json:"n"`
	At             time.Time         `json:"at"`
	Manual         bool              `json:"manual"`
	StatusCode     int               `json:"status_code"`
	LatencyMS      *int64            `json:"latency_ms"`
	Error          string            `json:"error"`
	RequestHeaders map[string]string `json:"request_headers"`
	RequestBody    json.RawMessage   `json:"request_body"`
	ResponseBody   string            `json:"response_body"`
}

// publicURL is a receiver address the SSRF guard lets through in any mode
// (TEST-NET-3, an IP literal so no DNS is involved). Nothing listens there;
// tests that use it never make the engine send.
const publicURL = "https://203.0.113.10/hooks"

// hit is one request a receiver got.
type hit struct {
	Method, Path string
	Header       http.Header
	Body         []byte
}

// receiver is a webhook endpoint: it answers every request with a fixed
// status and body and hands each request to the test on a channel.
type receiver struct {
	URL  string
	hits chan hit
}

func newReceiver(t *testing.T, status int, reply string) *receiver {
	t.Helper()
	r := &receiver{hits: make(chan hit, 64)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		select {
		case r.hits <- hit{Method: req.Method, Path: req.URL.Path, Header: req.Header.Clone(), Body: body}:
		default: // 64 unread requests: the test has stopped reading
		}
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(status)
		io.WriteString(w, reply)
	}))
	t.Cleanup(srv.Close)
	r.URL = srv.URL + "/hooks/in"
	return r
}

// next waits for the receiver's next request.
func (r *receiver) next(t *testing.T) hit {
	t.Helper()
	select {
	case h := <-r.hits:
		if h.Method != http.MethodPost || h.Path != "/hooks/in" {
			t.Fatalf("receiver got %s %s, want POST /hooks/in", h.Method, h.Path)
		}
		if ct, ua := h.Header.Get("Content-Type"), h.Header.Get("User-Agent"); ct != "application/json" || ua != "Portal-Webhooks/1" {
			t.Fatalf("receiver got Content-Type %q, User-Agent %q", ct, ua)
		}
		return h
	case <-time.After(10 * time.Second):
		t.Fatal("the receiver got no request within 10 s")
	}
	return hit{}
}

// idle checks that no request is waiting to be read.
func (r *receiver) idle(t *testing.T) {
	t.Helper()
	select {
	case h := <-r.hits:
		t.Fatalf("unexpected webhook request: %s", h.Body)
	default:
	}
}

// waitFor waits, without polling, until cond holds: it is checked again
// after every commit to s (the engine records each attempt in one).
func waitFor(t *testing.T, s *store.Store, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		committed := s.Committed() // taken before the check, so no commit is missed
		if cond() {
			return
		}
		select {
		case <-committed:
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// newWebhook creates a webhook through the API.
func (c *client) newWebhook(body map[string]any) webhook {
	c.t.Helper()
	var w webhook
	c.post("/webhooks", body).ok(http.StatusCreated, &w)
	return w
}

// delivery reads one delivery with its attempts.
func (c *client) delivery(id string) delivery {
	c.t.Helper()
	var d delivery
	c.get("/deliveries/"+id).ok(http.StatusOK, &d)
	return d
}

// eventOf decodes an event object (the portal format's body).
type eventObject struct {
	Event   string `json:"event"`
	EventID string `json:"event_id"`
	Data    struct {
		CustomerID uint64   `json:"customer_id"`
		Customer   customer `json:"customer"`
	} `json:"data"`
}

func decodeEvent(t *testing.T, body []byte) eventObject {
	t.Helper()
	var ev eventObject
	if err := json.Unmarshal(body, &ev); err != nil {
		t.Fatalf("body is not an event object: %v\n%s", err, body)
	}
	return ev
}

func mustVerify(t *testing.T, ts *testServer, format, secret string, h hit) {
	t.Helper()
	if err := hooks.Verify(format, secret, h.Header, h.Body, ts.Clock.Now()); err != nil {
		t.Fatalf("%s request does not verify with the webhook's secret: %v\n%v\n%s", format, err, h.Header, h.Body)
	}
}

func mustNotVerify(t *testing.T, ts *testServer, format, secret string, h hit) {
	t.Helper()
	if err := hooks.Verify(format, secret, h.Header, h.Body, ts.Clock.Now()); !errors.Is(err, hooks.ErrBadSignature) {
		t.Fatalf("%s request with a secret that should no longer sign it: %v, want ErrBadSignature", format, err)
	}
}

func TestWebhookCreateShowsTheSecretOnce(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, internalKey)
	res := c.post("/webhooks", map[string]any{"url": publicURL, "events": []string{"*"}, "description": "ERP sync"})
	var created webhook
	res.ok(http.StatusCreated, &created)
	if !strings.HasPrefix(created.Secret, "whsec_") || len(created.Secret) < 30 {
		t.Fatalf("secret %q, want whsec_…", created.Secret)
	}
	if created.ID == 0 || created.URL != publicURL || created.Description != "ERP sync" ||
		!slices.Equal(created.Events, []string{"*"}) {
		t.Fatalf("created %+v", created)
	}
	if created.Format != "portal" || !created.Enabled || created.ConsecutiveFailures != 0 {
		t.Fatalf("defaults: format %q enabled %v failures %d, want portal, true, 0",
			created.Format, created.Enabled, created.ConsecutiveFailures)
	}

	list := c.get("/webhooks")
	var items []map[string]json.RawMessage
	list.ok(http.StatusOK, &items)
	one := c.get(fmt.Sprintf("/webhooks/%d", created.ID))
	var single map[string]json.RawMessage
	one.ok(http.StatusOK, &single)
	if len(items) != 1 {
		t.Fatalf("list has %d webhooks, want 1", len(items))
	}
	for name, obj := range map[string]map[string]json.RawMessage{"GET /webhooks": items[0], "GET /webhooks/{id}": single} {
		if _, ok := obj["secret"]; ok {
			t.Errorf("%s shows a secret field", name)
		}
		if string(obj["format"]) != `"portal"` || string(obj["enabled"]) != "true" {
			t.Errorf("%s: format %s enabled %s", name, obj["format"], obj["enabled"])
		}
	}
	for _, r := range []*response{list, one} {
		if bytes.Contains(r.Body, []byte(created.Secret)) {
			t.Errorf("%s leaks the secret: %s", r.req, r.Body)
		}
	}
}

func TestWebhookValidation(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, internalKey)
	bad := []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"not a URL", map[string]any{"url": "not a url", "events": []string{"*"}}, "url"},
		{"ftp URL", map[string]any{"url": "ftp://203.0.113.10/x", "events": []string{"*"}}, "url"},
		{"URL with credentials", map[string]any{"url": "https://user:pw@203.0.113.10/x", "events": []string{"*"}}, "url"},
		{"no URL", map[string]any{"events": []string{"*"}}, "url"},
		{"unknown event", map[string]any{"url": publicURL, "events": []string{"ticket.exploded"}}, "events"},
		{"unknown area", map[string]any{"url": publicURL, "events": []string{"spaceship.*"}}, "events"},
		{"Portal.io name on a portal webhook", map[string]any{"url": publicURL, "events": []string{"PersonModification"}}, "events"},
		{"empty events", map[string]any{"url": publicURL, "events": []string{}}, "events"},
		{"no events", map[string]any{"url": publicURL}, "events"},
		{"unknown format", map[string]any{"url": publicURL, "events": []string{"*"}, "format": "xml"}, "format"},
		{"unknown field", map[string]any{"url": publicURL, "events": []string{"*"}, "secret": "mine"}, "secret"},
	}
	for _, tc := range bad {
		res := c.post("/webhooks", tc.body)
		if res.Status != http.StatusUnprocessableEntity {
			t.Errorf("%s: status %d, want 422\n%s", tc.name, res.Status, res.Body)
			continue
		}
		if e := res.fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR"); !slices.Contains(e.fields(), tc.field) {
			t.Errorf("%s: details name %v, want %s", tc.name, e.fields(), tc.field)
		}
	}

	good := []struct {
		format string
		events []string
	}{
		{"portal", []string{"*"}},
		{"portal", []string{"ticket.created", "customer.updated"}},
		{"porter", []string{"visitor.checked_in"}},
		{"standard", []string{"ticket.*"}},
		{"portal", []string{"ticket.*", "payment.received"}},
		{"portalio", []string{"PersonModification", "ProposalStatusChanged"}},
		{"portalio", []string{"customer.created", "OrderStatusChange"}},
	}
	for _, tc := range good {
		w := c.newWebhook(map[string]any{"url": publicURL, "events": tc.events, "format": tc.format})
		if w.Format != tc.format || !slices.Equal(w.Events, tc.events) {
			t.Errorf("created %s %v as %s %v", tc.format, tc.events, w.Format, w.Events)
		}
	}
	// Events are de-duplicated, and matched exactly: a padded name is not trimmed into a known one.
	w := c.newWebhook(map[string]any{"url": publicURL, "events": []string{"ticket.created", "ticket.created", "*"}})
	if !slices.Equal(w.Events, []string{"ticket.created", "*"}) {
		t.Errorf("events %v, want [ticket.created *]", w.Events)
	}
	for _, bad := range []string{" ticket.created", "Ticket.created", "ticket.created\t", ""} {
		c.post("/webhooks", map[string]any{"url": publicURL, "events": []string{bad}}).
			fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "events")
	}
}

// The SSRF guard at creation: private, loopback, link-local and metadata
// addresses are refused outside the sandbox; the sandbox allows loopback only.
func TestWebhookPrivateURLs(t *testing.T) {
	t.Parallel()
	local := []string{"http://127.0.0.1:9/x", "http://[::1]:9/x", "http://localhost:9/x"}
	private := []string{"http://10.0.0.1/x", "http://192.168.1.20/x", "http://169.254.169.254/latest", "http://0.0.0.0/x"}

	t.Run("production", func(t *testing.T) {
		t.Parallel()
		_, c := newServer(t, internalKey)
		for _, u := range append(slices.Clone(local), private...) {
			e := c.post("/webhooks", map[string]any{"url": u, "events": []string{"*"}}).
				fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "url")
			if !strings.Contains(e.Details[0].Message, "private") {
				t.Errorf("%s: message %q does not say why", u, e.Details[0].Message)
			}
		}
		// A change of URL is checked the same way.
		w := c.newWebhook(map[string]any{"url": publicURL, "events": []string{"*"}})
		for _, u := range []string{local[0], private[2]} {
			c.patch(fmt.Sprintf("/webhooks/%d", w.ID), map[string]any{"url": u}).
				fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "url")
		}
		var got webhook
		c.get(fmt.Sprintf("/webhooks/%d", w.ID)).ok(http.StatusOK, &got)
		if got.URL != publicURL {
			t.Errorf("url %q after refused changes", got.URL)
		}
	})

	t.Run("sandbox", func(t *testing.T) {
		t.Parallel()
		ts := newTestServerWith(t, serverOptions{Sandbox: true})
		c := ts.client(internalKey)
		for _, u := range local {
			if w := c.newWebhook(map[string]any{"url": u, "events": []string{"*"}}); w.URL != u {
				t.Errorf("url %q stored as %q", u, w.URL)
			}
		}
		w := c.newWebhook(map[string]any{"url": publicURL, "events": []string{"*"}})
		c.patch(fmt.Sprintf("/webhooks/%d", w.ID), map[string]any{"url": local[0]}).ok(http.StatusOK, nil)
		// Loopback only: the LAN and the cloud metadata service stay out of reach.
		for _, u := range private {
			c.post("/webhooks", map[string]any{"url": u, "events": []string{"*"}}).
				fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "url")
		}
	})
}

func TestWebhookPatchDeleteAndNotFound(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, internalKey)
	w := c.newWebhook(map[string]any{"url": publicURL, "events": []string{"*"}})
	path := fmt.Sprintf("/webhooks/%d", w.ID)

	var got webhook
	c.patch(path, map[string]any{"description": "  Accounting  ", "events": []string{"ticket.closed", "payment.*"},
		"format": "standard", "enabled": false}).ok(http.StatusOK, &got)
	if got.Description != "Accounting" || !slices.Equal(got.Events, []string{"ticket.closed", "payment.*"}) ||
		got.Format != "standard" || got.Enabled || got.Secret != "" {
		t.Fatalf("patched %+v", got)
	}
	c.get(path).ok(http.StatusOK, &got)
	if got.Enabled || got.Format != "standard" || got.Description != "Accounting" {
		t.Fatalf("read back %+v", got)
	}
	c.patch(path, map[string]any{"enabled": true}).ok(http.StatusOK, &got)
	if !got.Enabled || got.DisabledReason != "" {
		t.Fatalf("re-enabled %+v", got)
	}
	c.patch(path, map[string]any{"url": "mailto:ops@example.com"}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "url")
	c.patch(path, map[string]any{"events": []string{}}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "events")
	c.patch(path, map[string]any{"events": []string{"nope"}}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "events")
	c.patch(path, map[string]any{"format": "soap"}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "format")
	c.patch(path, map[string]any{"enabled": "yes"}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "enabled")

	var del struct {
		ID      uint64 `json:"id"`
		Deleted bool   `json:"deleted"`
	}
	c.api(http.MethodDelete, path, nil).ok(http.StatusOK, &del)
	if del.ID != w.ID || !del.Deleted {
		t.Fatalf("delete answered %+v", del)
	}
	var list []webhook
	c.get("/webhooks").ok(http.StatusOK, &list)
	if len(list) != 0 {
		t.Fatalf("list after delete: %+v", list)
	}

	for _, id := range []string{fmt.Sprint(w.ID), "999"} {
		p := "/webhooks/" + id
		c.get(p).fail(http.StatusNotFound, "NOT_FOUND")
		c.patch(p, map[string]any{"description": "x"}).fail(http.StatusNotFound, "NOT_FOUND")
		c.api(http.MethodDelete, p, nil).fail(http.StatusNotFound, "NOT_FOUND")
		c.post(p+"/rotate-secret", nil).fail(http.StatusNotFound, "NOT_FOUND")
		c.get(p+"/deliveries").fail(http.StatusNotFound, "NOT_FOUND")
	}
	for _, id := range []string{"dlv_999", "999", "evt_1", "dlv_"} {
		c.get("/deliveries/"+id).fail(http.StatusNotFound, "NOT_FOUND")
		c.post("/deliveries/"+id+"/redeliver", nil).fail(http.StatusNotFound, "NOT_FOUND")
	}
}

func TestWebhookSendTest(t *testing.T) {
	t.Parallel()
	ts, c := newHookServer(t, internalKey)
	rcv := newReceiver(t, http.StatusOK, "thanks, got it")
	w := c.newWebhook(map[string]any{"url": rcv.URL, "events": []string{"*"}})

	var d delivery
	c.post(fmt.Sprintf("/webhooks/%d/test", w.ID), nil).ok(http.StatusOK, &d)
	h := rcv.next(t)
	mustVerify(t, ts, "portal", w.Secret, h)
	if err := hooks.Verify("portal", "whsec_someoneelse", h.Header, h.Body, ts.Clock.Now()); !errors.Is(err, hooks.ErrBadSignature) {
		t.Fatalf("another secret verifies: %v", err)
	}
	ev := decodeEvent(t, h.Body)
	if ev.Event != "ticket.created" || !strings.HasPrefix(ev.EventID, "evt_") {
		t.Fatalf("sample event %s %s, want ticket.created (the default for *)", ev.Event, ev.EventID)
	}
	if h.Header.Get("X-Portal-Event") != "ticket.created" || h.Header.Get("X-Portal-Delivery") != ev.EventID {
		t.Fatalf("headers %v", h.Header)
	}

	if d.Status != store.DeliveryDelivered || !d.Test || d.WebhookID != w.ID || d.EventID != ev.EventID ||
		d.Attempts != 1 || d.LastStatusCode != 200 || !strings.HasPrefix(d.ID, "dlv_") {
		t.Fatalf("delivery %+v", d)
	}
	if len(d.AttemptLog) != 1 {
		t.Fatalf("attempt log %+v, want one attempt", d.AttemptLog)
	}
	a := d.AttemptLog[0]
	if a.N != 1 || !a.Manual || a.StatusCode != 200 || a.LatencyMS == nil || *a.LatencyMS < 0 ||
		a.ResponseBody != "thanks, got it" || a.Error != "" || a.At.IsZero() {
		t.Fatalf("attempt %+v", a)
	}
	if string(a.RequestBody) != string(h.Body) || a.RequestHeaders["X-Portal-Signature"] != h.Header.Get("X-Portal-Signature") {
		t.Fatalf("the log does not show what was sent: %+v", a)
	}
	if !bytes.Equal(compactJSON(t, d.Payload), h.Body) {
		t.Fatalf("payload %s, sent %s", d.Payload, h.Body)
	}
	// The same delivery, read back, and in the webhook's list.
	if again := c.delivery(d.ID); again.Status != d.Status || len(again.AttemptLog) != 1 {
		t.Fatalf("read back %+v", again)
	}
	var list []delivery
	env := c.get(fmt.Sprintf("/webhooks/%d/deliveries", w.ID)).ok(http.StatusOK, &list)
	if env.Meta == nil || env.Meta.Total != 1 || len(list) != 1 || list[0].ID != d.ID || !list[0].Test {
		t.Fatalf("deliveries %+v meta %+v", list, env.Meta)
	}

	// A chosen event; an unknown one is refused.
	c.post(fmt.Sprintf("/webhooks/%d/test", w.ID), map[string]any{"event": "customer.updated"}).ok(http.StatusOK, &d)
	h = rcv.next(t)
	mustVerify(t, ts, "portal", w.Secret, h)
	if ev := decodeEvent(t, h.Body); ev.Event != "customer.updated" || ev.Data.Customer.ID == 0 {
		t.Fatalf("sample %s", h.Body)
	}
	c.post(fmt.Sprintf("/webhooks/%d/test", w.ID), map[string]any{"event": "customer.exploded"}).
		fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "event")
	// The first event the webhook takes is the default sample.
	w2 := c.newWebhook(map[string]any{"url": rcv.URL, "events": []string{"payment.received"}})
	c.post(fmt.Sprintf("/webhooks/%d/test", w2.ID), nil).ok(http.StatusOK, &d)
	h = rcv.next(t)
	mustVerify(t, ts, "portal", w2.Secret, h)
	if h.Header.Get("X-Portal-Event") != "payment.received" {
		t.Fatalf("default sample for [payment.received]: %s", h.Body)
	}
	rcv.idle(t)
}

// With no event named, "Send test" sends the first event the webhook takes,
// also when it subscribes by area or by a Portal.io type name.
func TestWebhookSendTestDefaultsToAnEventTheWebhookTakes(t *testing.T) {
	t.Parallel()
	ts, c := newHookServer(t, internalKey)
	rcv := newReceiver(t, http.StatusOK, "ok")
	for _, tc := range []struct {
		format string
		events []string
		want   string // X-Portal-Event, or the portalio body's type
	}{
		{"portal", []string{"*"}, "ticket.created"},
		{"portal", []string{"customer.updated", "ticket.created"}, "customer.updated"},
		{"portal", []string{"payment.*"}, "payment.received"},
		{"portalio", []string{"PersonModification"}, "PersonModification"},
		{"portalio", []string{"OrderStatusChange", "customer.created"}, "OrderStatusChange"},
	} {
		w := c.newWebhook(map[string]any{"url": rcv.URL, "events": tc.events, "format": tc.format})
		c.post(fmt.Sprintf("/webhooks/%d/test", w.ID), nil).ok(http.StatusOK, nil)
		h := rcv.next(t)
		mustVerify(t, ts, tc.format, w.Secret, h)
		got := h.Header.Get("X-Portal-Event")
		if tc.format == "portalio" {
			var body struct {
				Type string `json:"type"`
			}
			json.Unmarshal(h.Body, &body)
			got = body.Type
		}
		if got != tc.want {
			t.Errorf("%s webhook for %v: sample %q, want %q\n%s", tc.format, tc.events, got, tc.want, h.Body)
		}
	}
}

// A receiver's answer is logged only up to 2 KiB.
func TestWebhookSendTestKeepsTheFirst2KiB(t *testing.T) {
	t.Parallel()
	_, c := newHookServer(t, internalKey)
	long := strings.Repeat("0123456789abcdef", 1024) // 16 KiB
	rcv := newReceiver(t, http.StatusAccepted, long)
	w := c.newWebhook(map[string]any{"url": rcv.URL, "events": []string{"*"}})
	var d delivery
	c.post(fmt.Sprintf("/webhooks/%d/test", w.ID), nil).ok(http.StatusOK, &d)
	rcv.next(t)
	if d.Status != store.DeliveryDelivered || d.LastStatusCode != http.StatusAccepted {
		t.Fatalf("202 is delivered: %+v", d)
	}
	if got := d.AttemptLog[0].ResponseBody; got != long[:2048] {
		t.Fatalf("response excerpt has %d bytes, want the first 2048", len(got))
	}
}

func TestWebhookSendTestToAFailingReceiver(t *testing.T) {
	t.Parallel()
	ts, c := newHookServer(t, internalKey)
	rcv := newReceiver(t, http.StatusInternalServerError, `{"error":"database is down"}`)
	w := c.newWebhook(map[string]any{"url": rcv.URL, "events": []string{"*"}})

	var d delivery
	c.post(fmt.Sprintf("/webhooks/%d/test", w.ID), nil).ok(http.StatusOK, &d)
	mustVerify(t, ts, "portal", w.Secret, rcv.next(t))
	if d.Status != store.DeliveryFailed || d.LastStatusCode != 500 || d.NextAttemptAt != nil || d.Attempts != 1 ||
		!strings.Contains(d.LastError, "500") {
		t.Fatalf("delivery %+v, want failed with 500 and no next attempt", d)
	}
	a := d.AttemptLog[0]
	if a.StatusCode != 500 || a.ResponseBody != `{"error":"database is down"}` || !strings.Contains(a.Error, "500") || a.LatencyMS == nil {
		t.Fatalf("attempt %+v", a)
	}
	// Not retried: nothing is queued, and the delivery stays as it was.
	if ready, inflight, err := ts.Live.QueueDepth(); err != nil || ready+inflight != 0 {
		t.Fatalf("queue holds %d ready, %d in flight (%v); a test delivery is never retried", ready, inflight, err)
	}
	if again := c.delivery(d.ID); again.Status != store.DeliveryFailed || len(again.AttemptLog) != 1 {
		t.Fatalf("read back %+v", again)
	}
	rcv.idle(t)
	// The webhook stays on: "Send test" failures are shown, not counted.
	var got webhook
	c.get(fmt.Sprintf("/webhooks/%d", w.ID)).ok(http.StatusOK, &got)
	if !got.Enabled {
		t.Fatalf("webhook %+v", got)
	}
}

// Without a running engine, "Send test" says so instead of pretending.
func TestWebhookSendTestWithoutEngine(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, internalKey)
	w := c.newWebhook(map[string]any{"url": publicURL, "events": []string{"*"}})
	c.post(fmt.Sprintf("/webhooks/%d/test", w.ID), nil).fail(http.StatusServiceUnavailable, "UNAVAILABLE")
}

func TestWebhookRotateSecret(t *testing.T) {
	t.Parallel()
	ts, c := newHookServer(t, internalKey)
	rcv := newReceiver(t, http.StatusOK, "ok")

	rotate := func(w webhook, body any) string {
		t.Helper()
		var r webhook
		c.post(fmt.Sprintf("/webhooks/%d/rotate-secret", w.ID), body).ok(http.StatusOK, &r)
		if r.ID != w.ID || !strings.HasPrefix(r.Secret, "whsec_") {
			t.Fatalf("rotate answered %+v", r)
		}
		return r.Secret
	}
	sendTest := func(w webhook) hit {
		t.Helper()
		var d delivery
		c.post(fmt.Sprintf("/webhooks/%d/test", w.ID), nil).ok(http.StatusOK, &d)
		if d.Status != store.DeliveryDelivered {
			t.Fatalf("test delivery %+v", d)
		}
		return rcv.next(t)
	}

	t.Run("portalio carries both signatures", func(t *testing.T) {
		w := c.newWebhook(map[string]any{"url": rcv.URL, "events": []string{"PersonModification"}, "format": "portalio"})
		old := w.Secret
		cur := rotate(w, nil)
		if cur == old {
			t.Fatal("rotation kept the secret")
		}
		h := sendTest(w)
		if n := strings.Count(h.Header.Get("X-Webhook-Signature"), "v1="); n != 2 {
			t.Fatalf("X-Webhook-Signature %q: %d v1 signatures, want 2 during the overlap", h.Header.Get("X-Webhook-Signature"), n)
		}
		mustVerify(t, ts, "portalio", cur, h)
		mustVerify(t, ts, "portalio", old, h)

		// expire_old_in 0 drops the old secret at once.
		newest := rotate(w, map[string]any{"expire_old_in": 0})
		h = sendTest(w)
		if n := strings.Count(h.Header.Get("X-Webhook-Signature"), "v1="); n != 1 {
			t.Fatalf("X-Webhook-Signature %q, want one v1", h.Header.Get("X-Webhook-Signature"))
		}
		mustVerify(t, ts, "portalio", newest, h)
		mustNotVerify(t, ts, "portalio", cur, h)
		mustNotVerify(t, ts, "portalio", old, h)
	})

	t.Run("standard carries both signatures", func(t *testing.T) {
		w := c.newWebhook(map[string]any{"url": rcv.URL, "events": []string{"*"}, "format": "standard"})
		cur := rotate(w, map[string]any{"expire_old_in": 3600})
		h := sendTest(w)
		if n := len(strings.Fields(h.Header.Get("webhook-signature"))); n != 2 {
			t.Fatalf("webhook-signature %q, want two", h.Header.Get("webhook-signature"))
		}
		mustVerify(t, ts, "standard", cur, h)
		mustVerify(t, ts, "standard", w.Secret, h)
	})

	t.Run("portal switches at once", func(t *testing.T) {
		w := c.newWebhook(map[string]any{"url": rcv.URL, "events": []string{"*"}})
		cur := rotate(w, nil)
		h := sendTest(w)
		if sig := h.Header.Values("X-Portal-Signature"); len(sig) != 1 || strings.Count(sig[0], "sha256=") != 1 {
			t.Fatalf("X-Portal-Signature %q, want one signature", sig)
		}
		mustVerify(t, ts, "portal", cur, h)
		mustNotVerify(t, ts, "portal", w.Secret, h)
	})

	t.Run("secret not shown afterwards", func(t *testing.T) {
		w := c.newWebhook(map[string]any{"url": publicURL, "events": []string{"*"}})
		cur := rotate(w, nil)
		for _, r := range []*response{c.get("/webhooks"), c.get(fmt.Sprintf("/webhooks/%d", w.ID))} {
			if bytes.Contains(r.Body, []byte(cur)) || bytes.Contains(r.Body, []byte(`"secret"`)) {
				t.Fatalf("%s shows a secret: %s", r.req, r.Body)
			}
		}
	})

	t.Run("expire_old_in out of range", func(t *testing.T) {
		w := c.newWebhook(map[string]any{"url": publicURL, "events": []string{"*"}})
		for _, body := range []any{map[string]any{"expire_old_in": -1}, map[string]any{"expire_old_in": 604801},
			map[string]any{"expire_old_in": "soon"}} {
			c.post(fmt.Sprintf("/webhooks/%d/rotate-secret", w.ID), body).
				fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "expire_old_in")
		}
		rotate(w, map[string]any{"expire_old_in": 604800})
	})
	rcv.idle(t)
}

// A real event reaches its subscriber through the engine, is logged, and can
// be sent again.
func TestWebhookRealEventIsDeliveredLoggedAndRedelivered(t *testing.T) {
	t.Parallel()
	ts, c := newHookServer(t, internalKey)
	rcv := newReceiver(t, http.StatusOK, "ok")
	other := newReceiver(t, http.StatusOK, "ok")
	w := c.newWebhook(map[string]any{"url": rcv.URL, "events": []string{"customer.created"}})
	area := c.newWebhook(map[string]any{"url": rcv.URL, "events": []string{"customer.*"}, "format": "standard"})
	unsubscribed := c.newWebhook(map[string]any{"url": other.URL, "events": []string{"ticket.created"}})
	disabled := c.newWebhook(map[string]any{"url": other.URL, "events": []string{"*"}, "enabled": false})

	cust := c.newCustomer("Grace Hopper")

	// Two requests, one per subscribed webhook, in either order.
	byFormat := map[string]hit{}
	for range 2 {
		h := rcv.next(t)
		if h.Header.Get("webhook-id") != "" {
			byFormat["standard"] = h
		} else {
			byFormat["portal"] = h
		}
	}
	h, hs := byFormat["portal"], byFormat["standard"]
	if h.Body == nil || hs.Body == nil {
		t.Fatalf("got %v, want one portal and one standard request", byFormat)
	}
	mustVerify(t, ts, "portal", w.Secret, h)
	mustVerify(t, ts, "standard", area.Secret, hs)
	ev := decodeEvent(t, h.Body)
	if ev.Event != "customer.created" || ev.Data.CustomerID != cust.ID || ev.Data.Customer.Name != "Grace Hopper" {
		t.Fatalf("event %s", h.Body)
	}
	if !bytes.Equal(h.Body, hs.Body) || hs.Header.Get("webhook-id") != ev.EventID {
		t.Fatalf("the standard format carries the same event object: %s", hs.Body)
	}

	// The delivery is in the webhook's log once the engine has recorded its attempt.
	var list []delivery
	var env envelope
	waitFor(t, ts.Live, "the delivery to be recorded", func() bool {
		env = c.get(fmt.Sprintf("/webhooks/%d/deliveries", w.ID)).ok(http.StatusOK, &list)
		return len(list) == 1 && list[0].Status == store.DeliveryDelivered
	})
	if env.Meta == nil || env.Meta.Total != 1 {
		t.Fatalf("meta %+v", env.Meta)
	}
	d := list[0]
	if d.EventID != ev.EventID || d.Event != "customer.created" || d.WebhookID != w.ID || d.Test ||
		d.Attempts != 1 || d.LastStatusCode != 200 || d.MaxAttempts != 6 {
		t.Fatalf("delivery %+v", d)
	}
	detail := c.delivery(d.ID)
	if !bytes.Equal(compactJSON(t, detail.Payload), h.Body) {
		t.Fatalf("payload %s, sent %s", detail.Payload, h.Body)
	}
	if len(detail.AttemptLog) != 1 || detail.AttemptLog[0].StatusCode != 200 || detail.AttemptLog[0].Manual {
		t.Fatalf("attempt log %+v", detail.AttemptLog)
	}

	// Redeliver: sent again now, same event id, a second (manual) attempt.
	var again delivery
	c.post("/deliveries/"+d.ID+"/redeliver", nil).ok(http.StatusOK, &again)
	h2 := rcv.next(t)
	mustVerify(t, ts, "portal", w.Secret, h2)
	if h2.Header.Get("X-Portal-Delivery") != ev.EventID || decodeEvent(t, h2.Body).EventID != ev.EventID {
		t.Fatalf("redelivered %s, want event %s again", h2.Body, ev.EventID)
	}
	if again.ID != d.ID || again.Status != store.DeliveryDelivered || again.Attempts != 2 || len(again.AttemptLog) != 2 ||
		!again.AttemptLog[1].Manual || again.AttemptLog[1].N != 2 {
		t.Fatalf("after redeliver %+v", again)
	}
	env = c.get(fmt.Sprintf("/webhooks/%d/deliveries", w.ID)).ok(http.StatusOK, &list)
	if env.Meta.Total != 1 {
		t.Fatalf("a redelivery is not a new delivery: total %d", env.Meta.Total)
	}

	// Fan-out is one transaction per batch of events, so it is over for every
	// webhook: the others got nothing.
	for _, wh := range []webhook{unsubscribed, disabled} {
		env = c.get(fmt.Sprintf("/webhooks/%d/deliveries", wh.ID)).ok(http.StatusOK, &list)
		if env.Meta.Total != 0 || len(list) != 0 {
			t.Errorf("webhook %d (%v, enabled %v) got %+v", wh.ID, wh.Events, wh.Enabled, list)
		}
	}
	other.idle(t)
	rcv.idle(t)
}

// 410 Gone turns a webhook off at once (with a webhook.disabled event);
// turning it on again clears its failure streak.
func TestWebhookGoneDisablesAndReEnablingClearsFailures(t *testing.T) {
	t.Parallel()
	ts, c := newHookServer(t, internalKey)
	gone := newReceiver(t, http.StatusGone, "no such endpoint any more")
	watcher := newReceiver(t, http.StatusOK, "ok")
	w := c.newWebhook(map[string]any{"url": gone.URL, "events": []string{"customer.created"}})
	watch := c.newWebhook(map[string]any{"url": watcher.URL, "events": []string{"webhook.disabled"}})

	c.newCustomer("Alan Turing")
	mustVerify(t, ts, "portal", w.Secret, gone.next(t))
	h := watcher.next(t) // committed with the webhook's new state
	mustVerify(t, ts, "portal", watch.Secret, h)
	var ev struct {
		Event string `json:"event"`
		Data  struct {
			WebhookID uint64 `json:"webhook_id"`
			Reason    string `json:"reason"`
		} `json:"data"`
	}
	if err := json.Unmarshal(h.Body, &ev); err != nil || ev.Event != "webhook.disabled" || ev.Data.WebhookID != w.ID ||
		!strings.Contains(ev.Data.Reason, "410") {
		t.Fatalf("webhook.disabled event %s (%v)", h.Body, err)
	}

	var got webhook
	c.get(fmt.Sprintf("/webhooks/%d", w.ID)).ok(http.StatusOK, &got)
	if got.Enabled || got.ConsecutiveFailures != 1 || !strings.Contains(got.DisabledReason, "410") {
		t.Fatalf("after 410: %+v", got)
	}
	var list []delivery
	c.get(fmt.Sprintf("/webhooks/%d/deliveries", w.ID)).ok(http.StatusOK, &list)
	if len(list) != 1 || list[0].Status != store.DeliveryFailed || list[0].LastStatusCode != 410 || list[0].NextAttemptAt != nil {
		t.Fatalf("deliveries %+v", list)
	}

	c.patch(fmt.Sprintf("/webhooks/%d", w.ID), map[string]any{"enabled": true}).ok(http.StatusOK, &got)
	if !got.Enabled || got.ConsecutiveFailures != 0 || got.DisabledReason != "" {
		t.Fatalf("re-enabled: %+v", got)
	}
	gone.idle(t)
}

// A developer key's webhooks live in the test store: they get its events
// only, and the live store's webhooks are out of its sight.
func TestWebhookTestAndLiveAreIsolated(t *testing.T) {
	t.Parallel()
	ts, live := newHookServer(t, internalKey)
	dev := ts.client(developerKey)
	liveRcv := newReceiver(t, http.StatusOK, "ok")
	testRcv := newReceiver(t, http.StatusOK, "ok")

	live.newWebhook(map[string]any{"url": publicURL, "events": []string{"ticket.created"}})
	lw := live.newWebhook(map[string]any{"url": liveRcv.URL, "events": []string{"customer.created"}})
	tw := dev.newWebhook(map[string]any{"url": testRcv.URL, "events": []string{"customer.created"}})
	if lw.ID != 2 || tw.ID != 1 {
		t.Fatalf("ids %d and %d, want 2 (live) and 1 (test)", lw.ID, tw.ID)
	}

	var devList, liveList []webhook
	dev.get("/webhooks").ok(http.StatusOK, &devList)
	if len(devList) != 1 || devList[0].URL != testRcv.URL {
		t.Fatalf("the developer key sees %+v", devList)
	}
	dev.get(fmt.Sprintf("/webhooks/%d", lw.ID)).fail(http.StatusNotFound, "NOT_FOUND")
	dev.patch(fmt.Sprintf("/webhooks/%d", lw.ID), map[string]any{"enabled": false}).fail(http.StatusNotFound, "NOT_FOUND")
	live.get("/webhooks").ok(http.StatusOK, &liveList)
	if len(liveList) != 2 || slices.ContainsFunc(liveList, func(w webhook) bool { return w.URL == testRcv.URL }) {
		t.Fatalf("the live key sees %+v", liveList)
	}

	live.newCustomer("Live Larry")
	dev.newCustomer("Test Tina")
	hl, ht := liveRcv.next(t), testRcv.next(t)
	mustVerify(t, ts, "portal", lw.Secret, hl)
	mustVerify(t, ts, "portal", tw.Secret, ht)
	if name := decodeEvent(t, hl.Body).Data.Customer.Name; name != "Live Larry" {
		t.Fatalf("live webhook got %s", hl.Body)
	}
	if name := decodeEvent(t, ht.Body).Data.Customer.Name; name != "Test Tina" {
		t.Fatalf("test webhook got %s", ht.Body)
	}
	// Both stores have fanned out their event: nothing else is on its way.
	var list []delivery
	if env := dev.get(fmt.Sprintf("/webhooks/%d/deliveries", tw.ID)).ok(http.StatusOK, &list); env.Meta.Total != 1 {
		t.Fatalf("test webhook deliveries %+v", list)
	}
	if env := live.get(fmt.Sprintf("/webhooks/%d/deliveries", lw.ID)).ok(http.StatusOK, &list); env.Meta.Total != 1 {
		t.Fatalf("live webhook deliveries %+v", list)
	}
	liveRcv.idle(t)
	testRcv.idle(t)
}

func TestWebhookScopes(t *testing.T) {
	t.Parallel()
	ts, admin := newServer(t, internalKey)
	w := admin.newWebhook(map[string]any{"url": publicURL, "events": []string{"*"}})
	reader := ts.client(keySpec{Type: store.KeyPlugin, Scopes: []string{"webhooks.read"}})

	var list []webhook
	reader.get("/webhooks").ok(http.StatusOK, &list)
	if len(list) != 1 || list[0].ID != w.ID {
		t.Fatalf("reader sees %+v", list)
	}
	reader.get(fmt.Sprintf("/webhooks/%d/deliveries", w.ID)).ok(http.StatusOK, nil)
	for _, call := range []struct{ method, path string }{
		{http.MethodPost, "/webhooks"},
		{http.MethodPatch, fmt.Sprintf("/webhooks/%d", w.ID)},
		{http.MethodDelete, fmt.Sprintf("/webhooks/%d", w.ID)},
		{http.MethodPost, fmt.Sprintf("/webhooks/%d/test", w.ID)},
		{http.MethodPost, fmt.Sprintf("/webhooks/%d/rotate-secret", w.ID)},
		{http.MethodPost, "/deliveries/dlv_1/redeliver"},
	} {
		e := reader.api(call.method, call.path, map[string]any{"url": publicURL, "events": []string{"*"}}).
			fail(http.StatusForbidden, "FORBIDDEN")
		if !strings.Contains(e.Message, "webhooks.write") {
			t.Errorf("%s %s: message %q does not name webhooks.write", call.method, call.path, e.Message)
		}
	}
	// Nothing changed.
	admin.get("/webhooks").ok(http.StatusOK, &list)
	if len(list) != 1 || list[0].Description != "" || !list[0].Enabled {
		t.Fatalf("after refused writes: %+v", list)
	}
	none := ts.client(keySpec{Type: store.KeyPlugin, Scopes: []string{"tickets.read"}})
	none.get("/webhooks").fail(http.StatusForbidden, "FORBIDDEN")
}

// compactJSON is raw JSON without insignificant space.
func compactJSON(t *testing.T, raw []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, raw)
	}
	return buf.Bytes()
}

// A webhook carries only events whose records its maker may read: webhooks
// are not a way around customers.read.
func TestWebhookCarriesOnlyEventsItsMakerMayRead(t *testing.T) {
	t.Parallel()
	ts, owner := newHookServer(t, internalKey)
	hooksOnly := ts.client(keySpec{Type: store.KeyPlugin, Scopes: []string{"webhooks.read", "webhooks.write", "tickets.read"}})
	rcv := newReceiver(t, http.StatusOK, "ok")
	hooksOnly.newWebhook(map[string]any{"url": rcv.URL, "events": []string{"*"}})

	ann := owner.newCustomer("Ann") // customer.created: not for this webhook
	owner.newTicket(ann.ID, nil)    // ticket.created: readable by its maker
	h := rcv.next(t)
	if ev := decodeEvent(t, h.Body); ev.Event != "ticket.created" {
		t.Fatalf("webhook of a key without customers.read got %s", ev.Event)
	}
	rcv.idle(t)
}
