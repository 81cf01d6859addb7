package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"portal/store"
)

// A wrong method on a real path is a 405 naming the methods it takes; a
// path that does not exist stays a 404.
func TestWrongMethodIs405WithAllow(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, internalKey)
	for _, tc := range []struct{ method, path, allow string }{
		{"PUT", "/customers/1", "DELETE, GET, PATCH"},
		{"DELETE", "/tickets/1", "GET, PATCH"},
		{"PATCH", "/tickets", "GET, POST"},
		{"POST", "/events/evt_x", "GET"},
	} {
		res := c.api(tc.method, tc.path, "{}")
		e := res.fail(http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED")
		if got := res.Header.Get("Allow"); got != tc.allow {
			t.Errorf("%s %s: Allow %q, want %q (%s)", tc.method, tc.path, got, tc.allow, e.Message)
		}
	}
	c.api("GET", "/no-such-thing", nil).fail(http.StatusNotFound, "NOT_FOUND")
	c.api("DELETE", "/no-such-thing/1", nil).fail(http.StatusNotFound, "NOT_FOUND")
}

// A "Send test" whose caller hangs up mid-request still ends its delivery.
func TestSendTestEndsItsDeliveryWhenTheCallerLeaves(t *testing.T) {
	t.Parallel()
	ts, c := newHookServer(t, internalKey)
	arrived, release := make(chan struct{}), make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-release
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(slow.Close)
	w := c.newWebhook(map[string]any{"url": slow.URL, "events": []string{"ticket.created"}})

	// The same API, watched: callerGone closes once the server has seen the
	// caller hang up (its request's context ends).
	callerGone := make(chan struct{})
	watched := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		go func() { <-r.Context().Done(); close(callerGone) }()
		ts.API.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(watched.Close)

	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "POST", fmt.Sprintf("%s/api/v1/webhooks/%d/test", watched.URL, w.ID), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	done := make(chan error, 1)
	go func() {
		_, err := watched.Client().Do(req)
		done <- err
	}()
	<-arrived
	cancel() // the caller leaves while the receiver is still answering
	if err := <-done; err == nil {
		t.Fatal("the cancelled request succeeded")
	}
	<-callerGone
	close(release)
	waitFor(t, ts.Live, "the test delivery to end", func() bool {
		var list []delivery
		c.get(fmt.Sprintf("/webhooks/%d/deliveries", w.ID)).ok(http.StatusOK, &list)
		return len(list) == 1 && list[0].Status == store.DeliveryDelivered
	})
}

// The owner can see a webhook's secret again (Porter sends users to
// Settings → Webhooks for it); the log records who looked, never the secret.
func TestOwnerRevealsAWebhookSecretAndTheRevealIsLogged(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	owner, _ := signedIn(t, ts)
	owner.origin = ts.origin()
	var made webhook
	owner.api("POST", "/webhooks", map[string]any{"url": publicURL, "events": []string{"*"}}).ok(http.StatusCreated, &made)
	path := fmt.Sprintf("/webhooks/%d/reveal-secret", made.ID)

	var shown webhook
	owner.api("POST", path, nil).ok(http.StatusOK, &shown)
	if shown.Secret != made.Secret || shown.Secret == "" {
		t.Fatalf("revealed %q, made with %q", shown.Secret, made.Secret)
	}
	manager := ts.client(keySpec{Type: store.KeyPlugin, Scopes: store.RoleScopes("manager")})
	manager.post(path, nil).fail(http.StatusForbidden, "FORBIDDEN")

	var events []struct {
		Event string          `json:"event"`
		Actor store.Actor     `json:"actor"`
		Data  json.RawMessage `json:"data"`
	}
	owner.api("GET", "/events?event=webhook.secret_revealed", nil).ok(http.StatusOK, &events)
	if len(events) != 1 || events[0].Actor.Name != "Olive Owner" || strings.Contains(string(events[0].Data), made.Secret) {
		t.Fatalf("reveal log %+v", events)
	}
}

// Records and lists carry an ETag; If-None-Match with it answers 304 with
// no body until something changes.
func TestConditionalGetAnswers304UntilAChange(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, internalKey)
	cust := c.newCustomer("Ada")
	for _, path := range []string{fmt.Sprintf("/customers/%d", cust.ID), "/customers?per_page=10"} {
		first := c.get(path)
		first.ok(http.StatusOK, nil)
		tag := first.Header.Get("ETag")
		if len(tag) < 10 || tag[0] != '"' {
			t.Fatalf("%s: ETag %q", path, tag)
		}
		for _, sent := range []string{tag, "W/" + tag, `"other", ` + tag} {
			again := c.api("GET", path, nil, "If-None-Match", sent)
			if again.Status != http.StatusNotModified || len(again.Body) != 0 || again.Header.Get("ETag") != tag {
				t.Fatalf("%s with If-None-Match %s: %d %q %q", path, sent, again.Status, again.Body, again.Header.Get("ETag"))
			}
		}
		if res := c.api("GET", path, nil, "If-None-Match", `"stale"`); res.Status != http.StatusOK {
			t.Fatalf("%s with a stale tag: %d", path, res.Status)
		}
	}
	tag := c.get(fmt.Sprintf("/customers/%d", cust.ID)).Header.Get("ETag")
	c.patch(fmt.Sprintf("/customers/%d", cust.ID), map[string]any{"phone": "+1 555 0100"}).ok(http.StatusOK, nil)
	res := c.api("GET", fmt.Sprintf("/customers/%d", cust.ID), nil, "If-None-Match", tag)
	if res.Status != http.StatusOK || res.Header.Get("ETag") == tag {
		t.Fatalf("after a change: %d, ETag %q (was %q)", res.Status, res.Header.Get("ETag"), tag)
	}
	// Errors carry none.
	if tag := c.get("/customers/999999").Header.Get("ETag"); tag != "" {
		t.Fatalf("a 404 has ETag %q", tag)
	}
}
