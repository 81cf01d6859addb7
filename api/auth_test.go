package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"portal/store"
)

func TestBearerAndXAPIKeyHeadersBothAuthenticate(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, internalKey)

	c.get("/store").ok(http.StatusOK, nil)
	c.withHeader("X-API-Key").get("/store").ok(http.StatusOK, nil)
}

func TestRevokedKeyIsRefusedOnTheVeryNextRequest(t *testing.T) {
	t.Parallel()
	ts, admin := newServer(t, internalKey)
	victim := ts.client(keySpec{Type: store.KeyPlugin, Scopes: []string{"store.read"}})
	victim.get("/store").ok(http.StatusOK, nil) // now in the key cache

	var revoked store.APIKey
	admin.api("DELETE", fmt.Sprintf("/keys/%d", victim.keyID), nil).ok(http.StatusOK, &revoked)
	if revoked.RevokedAt == nil {
		t.Error("revoked key has no revoked_at")
	}
	victim.get("/store").fail(http.StatusUnauthorized, "UNAUTHORIZED")
	victim.withHeader("X-API-Key").get("/store").fail(http.StatusUnauthorized, "UNAUTHORIZED")
}

func TestKeyRevokedInTheStoreIsRefusedOnTheVeryNextRequest(t *testing.T) {
	t.Parallel()
	ts, c := newServer(t, keySpec{Type: store.KeyPlugin, Scopes: []string{"store.read"}})
	c.get("/store").ok(http.StatusOK, nil)

	if _, err := ts.Live.RevokeKey(context.Background(), c.keyID); err != nil {
		t.Fatal(err)
	}
	c.get("/store").fail(http.StatusUnauthorized, "UNAUTHORIZED")
}

func TestTestKeySeesOnlyTheTestStore(t *testing.T) {
	t.Parallel()
	ts, live := newServer(t, keySpec{Type: store.KeyPlugin, Scopes: pluginScopes(store.AllScopes())})
	dev := ts.client(developerKey)
	if !strings.HasPrefix(live.key, "pk_live_") || !strings.HasPrefix(dev.key, "dk_test_") {
		t.Fatalf("key prefixes %q %q", live.key[:8], dev.key[:8])
	}

	live.newCustomer("Live Larry")
	larry2 := live.newCustomer("Live Lena") // id 2 exists only in the live store
	tina := dev.newCustomer("Test Tina")

	var liveList, testList []customer
	live.get("/customers").ok(http.StatusOK, &liveList)
	dev.get("/customers").ok(http.StatusOK, &testList)
	if len(liveList) != 2 || liveList[0].Name != "Live Lena" || liveList[1].Name != "Live Larry" {
		t.Errorf("live key sees %+v", liveList)
	}
	if len(testList) != 1 || testList[0].Name != "Test Tina" {
		t.Errorf("test key sees %+v", testList)
	}
	dev.get(fmt.Sprintf("/customers/%d", larry2.ID)).fail(http.StatusNotFound, "NOT_FOUND")
	if _, err := ts.Test.Customer(tina.ID); err != nil {
		t.Errorf("Tina is not in the test store: %v", err)
	}
	if page, _ := ts.Live.ListCustomers(store.ListQuery{Page: 1, PerPage: 10}, "tina"); page.Total != 0 {
		t.Errorf("Tina leaked into the live store")
	}

	// Settings and the event log are per store too.
	dev.patch("/store", map[string]any{"name": "Sandbox Shop"}).ok(http.StatusOK, nil)
	var shop store.Shop
	live.get("/store").ok(http.StatusOK, &shop)
	if shop.Name == "Sandbox Shop" {
		t.Error("a test key's change reached the live shop")
	}
	var liveEvents, testEvents []store.Event
	live.get("/events").ok(http.StatusOK, &liveEvents)
	dev.get("/events").ok(http.StatusOK, &testEvents)
	if len(liveEvents) != 2 || len(testEvents) != 2 {
		t.Fatalf("live log has %d events, test log %d; want 2 and 2", len(liveEvents), len(testEvents))
	}
	dev.get("/events/"+liveEvents[0].EventID).fail(http.StatusNotFound, "NOT_FOUND")
	live.get("/events/"+testEvents[0].EventID).fail(http.StatusNotFound, "NOT_FOUND")
}

func TestLiveKeyDoesNotSeeTestRecordsCreatedInTheStore(t *testing.T) {
	t.Parallel()
	ts, live := newServer(t, keySpec{Type: store.KeyPlugin, Scopes: []string{"customers.read"}})
	if _, err := ts.Test.CreateCustomer(context.Background(), store.CustomerInput{Name: "Only In Test"}); err != nil {
		t.Fatal(err)
	}
	env := live.get("/customers").ok(http.StatusOK, nil)
	if env.Meta.Total != 0 || string(env.Data) != "[]" {
		t.Errorf("live key sees %s (total %d)", env.Data, env.Meta.Total)
	}
	live.get("/customers/1").fail(http.StatusNotFound, "NOT_FOUND")
}

func TestCreatedKeyIsShownOnceAndWorks(t *testing.T) {
	t.Parallel()
	ts, admin := newServer(t, internalKey)

	var k struct {
		ID     uint64   `json:"id"`
		Key    string   `json:"key"`
		Type   string   `json:"type"`
		Scopes []string `json:"scopes"`
		Tier   string   `json:"tier"`
	}
	admin.post("/keys", map[string]any{"type": "plugin", "name": "Label printer", "scopes": []string{"tickets.read"}}).
		ok(http.StatusCreated, &k)
	if !strings.HasPrefix(k.Key, "pk_live_") || k.Tier != "paid" || len(k.Scopes) != 1 {
		t.Fatalf("created key %+v", k)
	}
	c := ts.anonymous()
	c.key = k.Key
	c.get("/tickets").ok(http.StatusOK, nil)
	c.get("/customers").fail(http.StatusForbidden, "FORBIDDEN")

	res := admin.get("/keys")
	res.ok(http.StatusOK, nil)
	if strings.Contains(string(res.Body), k.Key[8:]) || strings.Contains(string(res.Body), `"hash"`) {
		t.Error("GET /keys shows a secret or its hash")
	}
}

func TestKeyCannotGrantScopesItLacks(t *testing.T) {
	t.Parallel()
	ts, c := newServer(t, keySpec{Type: store.KeyPlugin, Scopes: []string{"keys.write", "tickets.read"}})
	ts.owner() // user keys need a staff member

	cases := []struct {
		name string
		body map[string]any
	}{
		{"a scope it lacks", map[string]any{"type": "plugin", "name": "x", "scopes": []string{"tickets.read", "customers.write"}}},
		{"an internal key", map[string]any{"type": "internal", "name": "x"}},
		{"a user key with its role's scopes by default", map[string]any{"type": "user", "name": "x"}},
		{"a user key naming a scope it lacks", map[string]any{"type": "user", "name": "x", "scopes": []string{"payments.write"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c.t = t
			c.post("/keys", tc.body).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "scopes")
		})
	}
	c.t = t

	var k store.NewKey
	c.post("/keys", map[string]any{"type": "plugin", "name": "narrower", "scopes": []string{"tickets.read"}}).
		ok(http.StatusCreated, &k)
	keys, err := ts.Live.Keys()
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range keys {
		if key.ID != c.keyID && key.ID != k.ID {
			t.Errorf("a refused request left key %d (%s, %v)", key.ID, key.Type, key.Scopes)
		}
	}
}

// Keys are system records of live.db: a test-mode key manages none, not
// even another developer key (issue 10: test mode never writes live.db).
func TestTestKeyCannotMintAnyKey(t *testing.T) {
	t.Parallel()
	ts, dev := newServer(t, developerKey)
	ts.owner()
	before, err := ts.Live.Keys()
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{"plugin", "internal", "user", "developer"} {
		dev.post("/keys", map[string]any{"type": typ, "name": "escape", "scopes": []string{"tickets.read"}}).
			fail(http.StatusForbidden, "FORBIDDEN")
	}
	after, err := ts.Live.Keys()
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Errorf("a test key's refused requests made %d keys", len(after)-len(before))
	}
}

func TestKeyCannotGrantATierAboveItsOwn(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, keySpec{Type: store.KeyPlugin, Scopes: []string{"keys.write", "tickets.read"}, Tier: "paid"})
	c.post("/keys", map[string]any{"type": "plugin", "name": "x", "scopes": []string{"tickets.read"}, "tier": "partner"}).
		fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "tier")
	c.post("/keys", map[string]any{"type": "developer", "name": "x", "scopes": []string{"tickets.read"}, "tier": "unlimited"}).
		fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "tier")
	// A developer key is limited like a plugin unless asked otherwise: paid, as the caller.
	c.post("/keys", map[string]any{"type": "developer", "name": "x", "scopes": []string{"tickets.read"}}).
		ok(http.StatusCreated, nil)
	c.post("/keys", map[string]any{"type": "plugin", "name": "x", "scopes": []string{"tickets.read"}, "tier": "free"}).
		ok(http.StatusCreated, nil)
}

func TestDeveloperKeyNeitherSeesNorRevokesLiveKeys(t *testing.T) {
	t.Parallel()
	ts, dev := newServer(t, keySpec{Type: store.KeyDeveloper, Scopes: []string{"keys.read", "keys.write"}})
	live := ts.client(keySpec{Type: store.KeyPlugin, Scopes: []string{"tickets.read"}})
	liveKeys, err := ts.Live.Keys()
	if err != nil {
		t.Fatal(err)
	}
	var pluginID uint64
	for _, k := range liveKeys {
		if k.Type == store.KeyPlugin {
			pluginID = k.ID
		}
	}
	dev.get("/keys").fail(http.StatusForbidden, "FORBIDDEN")
	dev.api("DELETE", fmt.Sprintf("/keys/%d", pluginID), nil).fail(http.StatusForbidden, "FORBIDDEN")
	live.get("/tickets").ok(http.StatusOK, nil)
}

func TestKeyCannotRevokeAStrongerKey(t *testing.T) {
	t.Parallel()
	ts, plugin := newServer(t, keySpec{Type: store.KeyPlugin, Scopes: []string{"keys.read", "keys.write"}, Tier: "free"})
	internal := ts.client(internalKey)
	keys, err := ts.Live.Keys()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if k.Type == store.KeyInternal {
			plugin.api("DELETE", fmt.Sprintf("/keys/%d", k.ID), nil).fail(http.StatusNotFound, "NOT_FOUND")
		}
	}
	internal.get("/tickets").ok(http.StatusOK, nil)
}

func TestBearerSchemeIsCaseInsensitive(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, internalKey)
	c.api("GET", "/tickets", nil, "Authorization", "bearer "+c.key).ok(http.StatusOK, nil)
}
