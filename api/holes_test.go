package api_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"portal/store"
)

// Issue 10: the ways a limited key got out of its box, each closed.

// Scope names are matched exactly, before any grant check: a padded or
// look-alike name is a 422 naming it, never trimmed into a real scope.
func TestScopeNamesAreMatchedExactly(t *testing.T) {
	t.Parallel()
	ts, minter := newServer(t, keySpec{Type: store.KeyPlugin, Scopes: []string{"keys.write", "tickets.read"}})
	ts.owner()
	owner := ts.client(internalKey)
	bad := map[string][]string{
		"leading space":      {" backup.read"},
		"trailing space":     {"tickets.read "},
		"tab":                {"tickets.read\t"},
		"newline":            {"\ntickets.read"},
		"upper case":         {"Tickets.read"},
		"Cyrillic a":         {"tickets.re\u0430d"},
		"full-width dot":     {"tickets\uff0eread"},
		"zero-width space":   {"tickets.read\u200b"},
		"two in one string":  {"tickets.read,backup.read"},
		"empty":              {""},
		"listed twice":       {"tickets.read", "tickets.read"},
		"no such resource":   {"everything.read"},
		"bare resource name": {"tickets"},
	}
	for name, scopes := range bad {
		t.Run(name, func(t *testing.T) {
			for _, typ := range []string{"plugin", "user"} {
				e := minter.post("/keys", map[string]any{"type": typ, "name": "escape", "scopes": scopes}).
					fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "scopes")
				if !strings.Contains(e.Details[0].Message, fmt.Sprintf("%q", scopes[len(scopes)-1])) {
					t.Errorf("%s key with %q: message %q does not name the scope", typ, scopes, e.Details[0].Message)
				}
			}
			// The store refuses them too, for the CLI and the admin socket.
			if _, err := ts.Live.CreateKey(t.Context(), store.KeyInput{Type: store.KeyInternal, Name: "cli", Scopes: scopes}, ts.Sealer); err == nil {
				t.Errorf("store.CreateKey took %q", scopes)
			}
		})
	}
	keys, err := ts.Live.Keys()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 {
		t.Errorf("refused requests made keys: %d keys, want the 2 the test made", len(keys))
	}
	// The hole itself: keys.write alone never reaches a backup.
	minter.post("/keys", map[string]any{"type": "user", "name": "escape", "scopes": []string{"backup.read"}}).
		fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "scopes")

	// Roles and tiers are exact names too.
	for _, role := range []string{" owner", "Owner", "owner\u200b", "manager "} {
		owner.post("/users", map[string]any{"name": "M", "email": "m@example.com", "role": role}).
			fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "role")
	}
	for _, tier := range []string{" unlimited", "Unlimited", "partner "} {
		owner.post("/keys", map[string]any{"type": "plugin", "name": "t", "scopes": []string{"tickets.read"}, "tier": tier}).
			fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "tier")
	}
}

// A key with only webhooks.read and webhooks.write cannot point another's
// webhook at itself, change what it carries, or take its secret.
func TestAWeakerKeyCannotRepointAWebhook(t *testing.T) {
	t.Parallel()
	ts, owner := newHookServer(t, internalKey)
	weak := ts.client(keySpec{Type: store.KeyPlugin, Scopes: []string{"webhooks.read", "webhooks.write"}})
	theirs := newReceiver(t, http.StatusOK, "ok")
	mine := newReceiver(t, http.StatusOK, "ok")
	w := owner.newWebhook(map[string]any{"url": theirs.URL, "events": []string{"customer.created"}})
	path := fmt.Sprintf("/webhooks/%d", w.ID)

	weak.get("/customers").fail(http.StatusForbidden, "FORBIDDEN")
	for _, patch := range []map[string]any{
		{"url": mine.URL},
		{"events": []string{"*"}},
		{"format": "standard"},
		{"url": mine.URL, "description": "innocent"},
	} {
		e := weak.patch(path, patch).fail(http.StatusForbidden, "FORBIDDEN")
		if !strings.Contains(e.Message, "customers.read") {
			t.Errorf("refusal %q does not name what the webhook carries", e.Message)
		}
	}
	weak.post(path+"/rotate-secret", nil).fail(http.StatusForbidden, "FORBIDDEN")
	// What does not send anything elsewhere stays open to webhooks.write.
	weak.patch(path, map[string]any{"description": "checked by ops", "enabled": true}).ok(http.StatusOK, nil)

	cust := owner.newCustomer("Ada Lovelace")
	h := theirs.next(t)
	if ev := decodeEvent(t, h.Body); ev.Data.CustomerID != cust.ID {
		t.Fatalf("owner's receiver got %s", h.Body)
	}
	var list []delivery
	waitFor(t, ts.Live, "the delivery to be recorded", func() bool {
		owner.get(fmt.Sprintf("/webhooks/%d/deliveries", w.ID)).ok(http.StatusOK, &list)
		return len(list) == 1 && list[0].Status == store.DeliveryDelivered
	})
	weak.post("/deliveries/"+list[0].ID+"/redeliver", nil).ok(http.StatusOK, nil)
	theirs.next(t) // a redelivery goes where the owner said
	mine.idle(t)

	var got webhook
	owner.get(path).ok(http.StatusOK, &got)
	if got.URL != theirs.URL || got.Format != "portal" || len(got.Events) != 1 {
		t.Errorf("webhook changed by a weaker key: %+v", got)
	}
}

// A webhook sends only what its owner may read at the moment of sending:
// once the owner's key is revoked, neither a redelivery nor a queued retry
// carries the record anywhere.
func TestRedeliveryAndRetriesSendOnlyWhatTheOwnerMayReadNow(t *testing.T) {
	t.Parallel()
	ts, admin := newHookServer(t, internalKey)
	ownerKey := ts.client(keySpec{Type: store.KeyPlugin, Scopes: []string{"webhooks.read", "webhooks.write", "customers.read", "customers.write"}})
	failing := newReceiver(t, http.StatusInternalServerError, "down")
	w := ownerKey.newWebhook(map[string]any{"url": failing.URL, "events": []string{"customer.created"}})
	var got struct {
		Owner store.Actor `json:"owner"`
	}
	admin.get(fmt.Sprintf("/webhooks/%d", w.ID)).ok(http.StatusOK, &got)
	if got.Owner.Type != store.ActorKey || got.Owner.ID != ownerKey.keyID {
		t.Fatalf("owner %+v, want key %d", got.Owner, ownerKey.keyID)
	}

	ownerKey.newCustomer("Grace Hopper")
	failing.next(t) // the first attempt fails: a retry is queued
	var d delivery
	waitFor(t, ts.Live, "the failed attempt to be recorded", func() bool {
		var list []delivery
		admin.get(fmt.Sprintf("/webhooks/%d/deliveries", w.ID)).ok(http.StatusOK, &list)
		if len(list) == 1 {
			d = list[0]
		}
		return len(list) == 1 && list[0].Attempts == 1 && list[0].NextAttemptAt != nil
	})

	admin.api("DELETE", fmt.Sprintf("/keys/%d", ownerKey.keyID), nil).ok(http.StatusOK, nil)

	var again delivery
	admin.post("/deliveries/"+d.ID+"/redeliver", nil).ok(http.StatusOK, &again)
	if !strings.Contains(again.LastError, "not sent") || again.LastStatusCode != 0 {
		t.Errorf("redelivery after the owner lost access: %+v", again)
	}
	ts.Clock.Advance(time.Hour)
	ts.Hooks.Kick()
	waitFor(t, ts.Live, "the queued retry to be refused", func() bool {
		d = admin.delivery(d.ID)
		return d.Status == store.DeliveryFailed
	})
	if !strings.Contains(d.LastError, "may no longer read customers.read") {
		t.Errorf("retry ended with %q", d.LastError)
	}
	failing.idle(t)
	var hook webhook
	admin.get(fmt.Sprintf("/webhooks/%d", w.ID)).ok(http.StatusOK, &hook)
	if hook.ConsecutiveFailures != 1 || !hook.Enabled {
		t.Errorf("a refusal is no fault of the receiver: %+v", hook)
	}
}

// newStaff invites a staff member with role through the owner's key.
func newStaff(t *testing.T, owner *client, name, role string) store.User {
	t.Helper()
	var inv struct {
		User store.User `json:"user"`
	}
	owner.post("/users", map[string]any{"name": name, "email": strings.ToLower(name) + "@example.com", "role": role}).
		ok(http.StatusCreated, &inv)
	return inv.User
}

// A user key is exactly as strong as its staff member is now.
func TestUserKeyFollowsItsStaffMemberAtOnce(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.owner()
	owner := ts.client(internalKey)
	m := newStaff(t, owner, "Morgan", "manager")
	key := ts.client(keySpec{Type: store.KeyUser, UserID: m.ID})
	key.get("/webhooks").ok(http.StatusOK, nil)
	key.post("/users", map[string]any{"name": "X", "email": "x@example.com", "role": "technician"}).ok(http.StatusCreated, nil)

	owner.patch(fmt.Sprintf("/users/%d", m.ID), map[string]any{"role": "technician"}).ok(http.StatusOK, nil)
	key.get("/webhooks").fail(http.StatusForbidden, "FORBIDDEN")
	key.post("/users", map[string]any{"name": "Y", "email": "y@example.com", "role": "technician"}).fail(http.StatusForbidden, "FORBIDDEN")
	key.get("/tickets").ok(http.StatusOK, nil) // what a technician may do

	owner.patch(fmt.Sprintf("/users/%d", m.ID), map[string]any{"active": false}).ok(http.StatusOK, nil)
	key.get("/tickets").fail(http.StatusUnauthorized, "UNAUTHORIZED")
	owner.patch(fmt.Sprintf("/users/%d", m.ID), map[string]any{"active": true, "role": "manager"}).ok(http.StatusOK, nil)
	key.get("/webhooks").ok(http.StatusOK, nil) // the key never held more than the role
}

// closeReason reads until the server closes the connection and returns its
// close code and text.
func closeReason(t *testing.T, conn *websocket.Conn) (int, string) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second)) // far below the 25 s ping that used to notice
	for {
		if _, _, err := conn.ReadMessage(); err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				return ce.Code, ce.Text
			}
			t.Fatalf("connection ended without a close frame: %v", err)
		}
	}
}

// A live connection ends as soon as its key is revoked or its staff member
// loses access, not at its next ping.
func TestLiveConnectionClosesAtOnceWhenAccessChanges(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	runLive(t, ts)
	ts.owner()
	owner := ts.client(internalKey)
	plugin := ts.client(keySpec{Type: store.KeyPlugin, Scopes: []string{"live", "tickets.read"}})
	m := newStaff(t, owner, "Riley", "manager")
	userKey := ts.client(keySpec{Type: store.KeyUser, UserID: m.ID})

	revoked := dialLive(t, ts, plugin.key, nil)
	demoted := dialLive(t, ts, userKey.key, nil)
	owner.api("DELETE", fmt.Sprintf("/keys/%d", plugin.keyID), nil).ok(http.StatusOK, nil)
	if code, text := closeReason(t, revoked); code != websocket.ClosePolicyViolation || !strings.Contains(text, "revoked") {
		t.Errorf("revoked key's connection closed with %d %q", code, text)
	}
	owner.patch(fmt.Sprintf("/users/%d", m.ID), map[string]any{"role": "technician"}).ok(http.StatusOK, nil)
	if code, _ := closeReason(t, demoted); code != websocket.ClosePolicyViolation {
		t.Errorf("demoted member's connection closed with %d", code)
	}
}

// events= and the connections of one key are bounded.
func TestLiveFiltersAndConnectionsAreCapped(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	runLive(t, ts)
	c := ts.client(keySpec{Type: store.KeyPlugin, Scopes: []string{"live", "tickets.read"}})
	many := strings.Repeat("ticket.created,", 64) + "ticket.created"
	res := c.get("/live?" + url.Values{"events": {many}}.Encode())
	res.fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "events")

	for range 16 {
		dialLive(t, ts, c.key, nil)
	}
	u := "ws" + strings.TrimPrefix(ts.HTTP.URL, "http") + "/api/v1/live"
	_, resp, err := websocket.DefaultDialer.Dial(u, http.Header{"Authorization": {"Bearer " + c.key}})
	if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("17th connection of one key: %v %v, want 429", err, resp)
	}
	// An unlimited key is bounded by nothing, as with the rate limit.
	internal := ts.client(internalKey)
	for range 17 {
		dialLive(t, ts, internal.key, nil)
	}
}
