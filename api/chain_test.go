package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"portal/chain"
	"portal/internal/natstest"
	"portal/store"
)

// chainAnswer is GET/PATCH /appliance/chain's data.
type chainAnswer struct {
	Settings store.ChainSettings `json:"settings"`
	Source   string              `json:"source"`
	Status   chain.Status        `json:"status"`
}

func TestChainSettingsOwnerOnlySealedAppliedAtOnce(t *testing.T) {
	t.Parallel()
	ts := newTestServerWith(t, serverOptions{Chain: true})
	owner, _ := signedIn(t, ts)
	internal := ts.client(internalKey)

	var got chainAnswer
	owner.get("/appliance/chain").ok(http.StatusOK, &got)
	if got.Source != "console" || got.Status.State != chain.StateOff || got.Settings.NATSURL != "" ||
		got.Settings.Stream != chain.DefaultStream || !got.Settings.ShopDefault || !store.ValidChainShop(got.Settings.Shop) {
		t.Fatalf("before: %+v", got)
	}
	if store.DefaultChainStream != chain.DefaultStream {
		t.Fatal("the store's default stream is not the publisher's")
	}
	defaultShop := got.Settings.Shop

	creds, seed := natstest.UserCreds(t)
	res := owner.patch("/appliance/chain", map[string]any{"nats_url": "nats://branch:hunter2@10.1.2.3:4222", "creds": creds,
		"shop": "downtown", "include_test": false})
	res.ok(http.StatusOK, &got)
	for _, secret := range []string{"hunter2", seed, "BEGIN NATS USER JWT"} {
		if strings.Contains(string(res.Body), secret) {
			t.Fatalf("the answer shows a secret: %s", res.Body)
		}
	}
	if got.Settings.NATSURL != "nats://***@10.1.2.3:4222" || !got.Settings.CredsSet || got.Settings.Shop != "downtown" {
		t.Fatalf("after: %+v", got.Settings)
	}
	// Applied at once: the publisher has the address (it shows it redacted).
	if st := ts.Chain.Status(); st.URL != "nats://***@10.1.2.3:4222" || st.Shop != "downtown" {
		t.Fatalf("the publisher was not configured: %+v", st)
	}
	cfg, err := ts.API.ChainConfig()
	if err != nil || cfg.URL != "nats://branch:hunter2@10.1.2.3:4222" || cfg.Creds == "" || cfg.Shop != "downtown" || cfg.Stream != "PORTAL" {
		t.Fatalf("ChainConfig: %+v %v", cfg, err)
	}
	if res := owner.get("/appliance/chain"); strings.Contains(string(res.Body), "hunter2") || strings.Contains(string(res.Body), seed) {
		t.Fatalf("GET shows a secret: %s", res.Body)
	}
	// The event says what changed, without a secret.
	evs, err := ts.Live.EventsAfter(0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	ev := string(evs[len(evs)-1].JSON)
	var e struct {
		Event string `json:"event"`
		Data  struct {
			Changes struct {
				Chain map[string]json.RawMessage `json:"chain"`
			} `json:"changes"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(ev), &e); err != nil || e.Event != "store.updated" || e.Data.Changes.Chain["nats_url"] == nil ||
		e.Data.Changes.Chain["creds_set"] == nil || strings.Contains(ev, "hunter2") || strings.Contains(ev, seed) {
		t.Fatalf("event %s (%v)", ev, err)
	}

	// Bad input names its field; nothing changes.
	for field, body := range map[string]map[string]any{
		"nats_url": {"nats_url": "http://hub.example.com"},
		"shop":     {"shop": "Down Town"},
		"stream":   {"stream": "a.b"},
		"creds":    {"creds": "-----BEGIN NATS USER JWT-----\nnot a jwt\n------END NATS USER JWT------\n-----BEGIN USER NKEY SEED-----\nSUX\n------END USER NKEY SEED------\n"},
	} {
		owner.patch("/appliance/chain", body).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", field)
	}
	owner.patch("/appliance/chain", map[string]any{"nats_url": "nats://***@10.1.2.3:4222"}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "nats_url")

	// Only the owner in person: not a manager, not the owner's own user key
	// (a script holds it), not a plugin, not a developer key in test mode.
	manager := newStaff(t, internal, "Manny", "manager")
	for name, c := range map[string]*client{
		"manager":       ts.client(keySpec{Type: store.KeyUser, UserID: manager.ID}),
		"owner's key":   ts.client(keySpec{Type: store.KeyUser}),
		"plugin":        ts.client(keySpec{Type: store.KeyPlugin, Scopes: []string{"store.read", "store.write"}}),
		"developer key": ts.client(developerKey),
	} {
		if res := c.patch("/appliance/chain", map[string]any{"nats_url": "nats://evil.example:4222"}); res.Status != http.StatusForbidden {
			t.Errorf("%s set the chain: %d %s", name, res.Status, res.Body)
		}
		if name != "owner's key" {
			if res := c.get("/appliance/chain"); res.Status != http.StatusForbidden {
				t.Errorf("%s read the chain: %d %s", name, res.Status, res.Body)
			}
		}
	}
	owner.api("PATCH", "/appliance/chain", map[string]any{"nats_url": ""}, "Portal-Mode", "test").fail(http.StatusForbidden, "FORBIDDEN")

	// An internal key may (the admin socket's); another server without new creds drops them.
	internal.patch("/appliance/chain", map[string]any{"nats_url": "tls://hub.example.com:4222", "shop": ""}).ok(http.StatusOK, &got)
	if got.Settings.CredsSet || got.Settings.Shop != defaultShop || !got.Settings.ShopDefault {
		t.Fatalf("a new server: %+v", got.Settings)
	}
	// Off: the publisher stops.
	owner.patch("/appliance/chain", map[string]any{"nats_url": ""}).ok(http.StatusOK, &got)
	if got.Settings.NATSURL != "" || ts.Chain.Status().URL != "" || got.Status.State != chain.StateOff {
		t.Fatalf("off: %+v / %+v", got, ts.Chain.Status())
	}
}

func TestChainSetByFlagsIsReadOnly(t *testing.T) {
	t.Parallel()
	flags := &chain.Config{URL: "nats://tok3n@hub.example.com:4222", Stream: "CHAIN", IncludeTest: true}
	ts := newTestServerWith(t, serverOptions{Chain: true, ChainFlags: flags})
	owner, _ := signedIn(t, ts)
	var got chainAnswer
	res := owner.get("/appliance/chain")
	res.ok(http.StatusOK, &got)
	if strings.Contains(string(res.Body), "tok3n") || got.Source != "flags" || got.Settings.NATSURL != "nats://***@hub.example.com:4222" ||
		got.Settings.Stream != "CHAIN" || !got.Settings.IncludeTest || !got.Settings.ShopDefault || got.Settings.Shop != store.ChainDefaultShop(ts.Sealer) {
		t.Fatalf("flags: %+v %s", got, res.Body)
	}
	e := owner.patch("/appliance/chain", map[string]any{"nats_url": "nats://other:4222"}).fail(http.StatusConflict, "CONFLICT")
	if !strings.Contains(e.Message, "--nats-url") {
		t.Fatalf("409 says %q", e.Message)
	}
	cfg, err := ts.API.ChainConfig()
	if err != nil || cfg.URL != flags.URL || cfg.Shop != store.ChainDefaultShop(ts.Sealer) || cfg.Stream != "CHAIN" {
		t.Fatalf("ChainConfig: %+v %v", cfg, err)
	}
}
