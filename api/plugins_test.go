package api_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"portal/store"
)

// walkManifest is a small valid manifest for the walks.
func walkManifest() map[string]any {
	return map[string]any{"manifest_version": 1, "id": "walk-plugin", "name": "Walk Plugin", "version": "1.0.0",
		"author": map[string]any{"name": "Walk"}, "scopes": []string{"tickets.read"},
		"webhooks": []any{map[string]any{"event": "ticket.created", "url": "https://hooks.example.com/walk"}}}
}

// seedManifest is seed 000's example manifest exactly as published.
func seedManifest(t *testing.T) map[string]any {
	t.Helper()
	raw, err := os.ReadFile("../store/testdata/seed000-plugin.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// withField returns a deep copy of m with the value at a dotted path
// (numbers index arrays) set to v.
func withField(t *testing.T, m map[string]any, path string, v any) map[string]any {
	t.Helper()
	raw, _ := json.Marshal(m)
	var cp map[string]any
	json.Unmarshal(raw, &cp)
	var cur any = cp
	parts := strings.Split(path, ".")
	for i, p := range parts {
		last := i == len(parts)-1
		switch c := cur.(type) {
		case map[string]any:
			if last {
				c[p] = v
			} else {
				cur = c[p]
			}
		case []any:
			var n int
			fmt.Sscan(p, &n)
			if last {
				c[n] = v
			} else {
				cur = c[n]
			}
		}
	}
	return cp
}

// badManifests change one field each; want is the field the API names.
var badManifests = []struct {
	path       string
	v          any
	want       string
	serverOnly bool // names the server knows (scopes, events): the schema checks their shape only
}{
	{"manifest_version", 2, "manifest_version", false},
	{"id", "Quick Books", "id", false},
	{"id", "catalog", "id", true},
	{"name", "", "name", false},
	{"version", "1.2", "version", false},
	{"description", strings.Repeat("x", 501), "description", false},
	{"author.name", "", "author.name", false},
	{"author.website", "ftp://example.com", "author.website", false},
	{"author.email", "not-an-email", "author.email", false},
	{"category", "Accounting!", "category", false},
	{"pricing.model", "weekly", "pricing.model", false},
	{"pricing.price", -1, "pricing.price", false},
	{"pricing.trial_days", 400, "pricing.trial_days", false},
	{"scopes", []string{"tickets.read", "root.read"}, "scopes", true},
	{"scopes", []string{"tickets.read", "backup.read"}, "scopes", false},
	{"webhooks.0.event", "ticket.exploded", "webhooks[0].event", true},
	{"webhooks.0.event", "Ticket Closed", "webhooks[0].event", false},
	{"webhooks.0.url", "not a url", "webhooks[0].url", false},
	{"widgets.0.id", "Bad Id", "widgets[0].id", false},
	{"widgets.0.location", "footer", "widgets[0].location", false},
	{"widgets.0.url", "javascript:alert(1)", "widgets[0].url", false},
	{"widgets.0.height", 301, "widgets[0].height", false},
	{"settings_url", "//example.com/settings", "settings_url", false},
	{"oauth", map[string]any{"redirect_uris": []string{}}, "oauth.redirect_uris", false},
}

func TestPluginManifestSchemaIsPublishedAndMatchesValidation(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	res := ts.anonymous().get("/plugin-manifest.schema.json")
	if res.Status != http.StatusOK || res.Header.Get("Content-Type") != "application/schema+json" {
		t.Fatalf("schema: %d %s", res.Status, res.Header.Get("Content-Type"))
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(res.Body))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("manifest.json", doc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile("manifest.json")
	if err != nil {
		t.Fatalf("the published schema does not compile: %v", err)
	}
	asJSON := func(m map[string]any) any {
		raw, _ := json.Marshal(m)
		v, _ := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		return v
	}
	seed := seedManifest(t)
	if err := schema.Validate(asJSON(seed)); err != nil {
		t.Fatalf("seed 000's manifest fails the schema: %v", err)
	}
	owner := ts.client(internalKey)
	for _, bad := range badManifests {
		m := withField(t, seed, bad.path, bad.v)
		if err := schema.Validate(asJSON(m)); err == nil && !bad.serverOnly {
			t.Errorf("%s = %v: the schema accepts it", bad.path, bad.v)
		}
		owner.post("/plugins", map[string]any{"manifest": m}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", bad.want)
	}
	// Every field the Go type has, the schema describes, and no more.
	var props struct {
		Properties map[string]any `json:"properties"`
	}
	json.Unmarshal(res.Body, &props)
	raw, _ := json.Marshal(store.PluginManifest{Pricing: &store.ManifestPricing{}, OAuth: &store.ManifestOAuth{},
		Description: "x", Category: "x", SettingsURL: "x", Webhooks: []store.ManifestWebhook{{}}, Widgets: []store.ManifestWidget{{}}})
	var goFields map[string]any
	json.Unmarshal(raw, &goFields)
	for f := range goFields {
		if props.Properties[f] == nil {
			t.Errorf("the schema lacks %s", f)
		}
	}
	if len(goFields) != len(props.Properties) {
		t.Errorf("schema properties %d, Go fields %d", len(props.Properties), len(goFields))
	}
}

type installed struct {
	store.Plugin
	Key            string            `json:"key"`
	WebhookSecrets map[string]string `json:"webhook_secrets"`
	Upgraded       bool              `json:"upgraded"`
	Pending        bool              `json:"pending"`
}

func TestPluginInstallUpgradeUninstall(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	owner, _ := signedIn(t, ts)
	internal := ts.client(internalKey)
	seed := seedManifest(t)

	// Only the owner's power installs: not a manager, not a plugin.
	manager := newStaff(t, internal, "Manny", "manager")
	ts.client(keySpec{Type: store.KeyUser, UserID: manager.ID}).post("/plugins", map[string]any{"manifest": seed}).
		fail(http.StatusForbidden, "FORBIDDEN")
	ts.client(keySpec{Type: store.KeyPlugin, Scopes: []string{"plugins.read"}}).post("/plugins", map[string]any{"manifest": seed}).
		fail(http.StatusForbidden, "FORBIDDEN")
	// Not even the owner's user key: a script holds it, and installing is a person's approval.
	ts.client(keySpec{Type: store.KeyUser}).post("/plugins", map[string]any{"manifest": seed}).fail(http.StatusForbidden, "FORBIDDEN")
	owner.post("/plugins", map[string]any{}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "manifest")

	var got installed
	owner.post("/plugins", map[string]any{"manifest": seed}).ok(http.StatusCreated, &got)
	if got.ID != "quickbooks-sync" || got.Version != "1.2.0" || !strings.HasPrefix(got.Key, "pk_live_") ||
		len(got.WebhookIDs) != 1 || len(got.WebhookSecrets) != 1 || got.InstalledBy.Type != store.ActorUser {
		t.Fatalf("installed %+v", got)
	}
	plugin := ts.anonymous()
	plugin.key = got.Key
	plugin.get("/tickets").ok(http.StatusOK, nil)
	plugin.post("/customers", map[string]any{"name": "X"}).fail(http.StatusForbidden, "FORBIDDEN")
	plugin.get("/plugins").fail(http.StatusForbidden, "FORBIDDEN")

	var list []store.Plugin
	internal.get("/plugins").ok(http.StatusOK, &list)
	if len(list) != 1 || list[0].KeyID != got.KeyID {
		t.Fatalf("list %+v", list)
	}
	var one store.Plugin
	internal.get("/plugins/quickbooks-sync").ok(http.StatusOK, &one)
	internal.get("/plugins/nope").fail(http.StatusNotFound, "NOT_FOUND")

	// Its webhook: portal format, owned by the plugin, carrying its read scopes.
	hookPath := fmt.Sprintf("/webhooks/%d", got.WebhookIDs[0])
	var hook store.Webhook
	internal.get(hookPath).ok(http.StatusOK, &hook)
	if hook.Owner.Type != store.ActorPlugin || hook.Owner.ID != got.KeyID || hook.Owner.Name != "QuickBooks Sync" ||
		hook.Format != "portal" || !slices.Equal(hook.ReadScopes, []string{"tickets.read", "customers.read", "store.read"}) ||
		hook.URL != "https://api.example.com/webhook" || !slices.Equal(hook.Events, []string{"ticket.closed"}) {
		t.Fatalf("webhook %+v", hook)
	}
	// Nobody else edits it or its key, not even the owner: uninstalling does.
	for _, c := range []*client{internal, owner} {
		c.patch(hookPath, map[string]any{"url": "https://evil.example.com/"}).fail(http.StatusForbidden, "FORBIDDEN")
		c.api(http.MethodDelete, hookPath, nil).fail(http.StatusForbidden, "FORBIDDEN")
		c.post(hookPath+"/rotate-secret", map[string]any{}).fail(http.StatusForbidden, "FORBIDDEN")
		c.post(hookPath+"/reveal-secret", nil).fail(http.StatusForbidden, "FORBIDDEN")
		c.api(http.MethodDelete, fmt.Sprintf("/keys/%d", got.KeyID), nil).fail(http.StatusConflict, "CONFLICT")
	}

	// Upgrades: the same version is a conflict; a newer one asking more waits.
	owner.post("/plugins", map[string]any{"manifest": seed}).fail(http.StatusConflict, "CONFLICT")
	newer := withField(t, seed, "version", "1.3.0")
	newer = withField(t, newer, "scopes", []string{"tickets.read", "customers.read", "store.read", "tickets.write"})
	var up installed
	owner.post("/plugins", map[string]any{"manifest": newer}).ok(http.StatusOK, &up)
	if !up.Pending || up.Version != "1.2.0" || up.Key != "" || !slices.Contains(up.PendingScopes, "tickets.write") {
		t.Fatalf("upgrade %+v", up)
	}
	plugin.post("/customers", map[string]any{"name": "X"}).fail(http.StatusForbidden, "FORBIDDEN")
	c := internal.newCustomer("Plugin Customer")
	tk := internal.newTicket(c.ID, nil)
	plugin.post(fmt.Sprintf("/tickets/%d/notes", tk.ID), map[string]any{"body": "synced"}).fail(http.StatusForbidden, "FORBIDDEN")
	ts.client(keySpec{Type: store.KeyUser, UserID: manager.ID}).post("/plugins/quickbooks-sync/approve", nil).
		fail(http.StatusForbidden, "FORBIDDEN")
	owner.post("/plugins/quickbooks-sync/approve", nil).ok(http.StatusOK, &up)
	if up.Version != "1.3.0" || up.PendingManifest != nil || !slices.Contains(up.Scopes, "tickets.write") {
		t.Fatalf("approved %+v", up)
	}
	owner.post("/plugins/quickbooks-sync/approve", nil).fail(http.StatusConflict, "CONFLICT")
	var note struct {
		Author string `json:"author"`
	}
	plugin.post(fmt.Sprintf("/tickets/%d/notes", tk.ID), map[string]any{"body": "synced"}).ok(http.StatusCreated, &note)
	if note.Author != "QuickBooks Sync" {
		t.Fatalf("note by %q, want the plugin's name", note.Author)
	}
	internal.get(hookPath).ok(http.StatusOK, &hook) // the same webhook, its secret kept
	if !slices.Equal(hook.ReadScopes, []string{"tickets.read", "customers.read", "store.read"}) {
		t.Fatalf("webhook after upgrade %+v", hook)
	}
	// A newer version asking no more applies at once.
	owner.post("/plugins", map[string]any{"manifest": withField(t, newer, "version", "1.3.1")}).ok(http.StatusOK, &up)
	if up.Pending || up.Version != "1.3.1" {
		t.Fatalf("minor upgrade %+v", up)
	}

	owner.api(http.MethodDelete, "/plugins/quickbooks-sync", nil).ok(http.StatusOK, nil)
	plugin.get("/tickets").fail(http.StatusUnauthorized, "UNAUTHORIZED")
	internal.get(hookPath).fail(http.StatusNotFound, "NOT_FOUND")
	internal.api(http.MethodDelete, "/plugins/quickbooks-sync", nil).fail(http.StatusNotFound, "NOT_FOUND")
	var events []struct {
		Event string          `json:"event"`
		Data  json.RawMessage `json:"data"`
	}
	internal.get("/events?per_page=200").ok(http.StatusOK, &events)
	var names []string
	for _, e := range events {
		if strings.HasPrefix(e.Event, "plugin.") {
			names = append(names, e.Event)
		}
	}
	if !slices.Contains(names, "plugin.installed") || !slices.Contains(names, "plugin.uninstalled") {
		t.Fatalf("plugin events %v", names)
	}
}

// A plugin changes the webhooks it owns; another key holding
// webhooks.write does not.
func TestPluginOwnsItsWebhooks(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	internal := ts.client(internalKey)
	m := withField(t, seedManifest(t), "scopes", []string{"tickets.read", "customers.read", "store.read", "webhooks.read", "webhooks.write"})
	var got installed
	internal.post("/plugins", map[string]any{"manifest": m}).ok(http.StatusCreated, &got)
	plugin := ts.anonymous()
	plugin.key = got.Key
	hookPath := fmt.Sprintf("/webhooks/%d", got.WebhookIDs[0])
	plugin.patch(hookPath, map[string]any{"description": "mine"}).ok(http.StatusOK, nil)
	other := ts.client(keySpec{Type: store.KeyPlugin, Scopes: []string{"tickets.read", "customers.read", "store.read", "webhooks.read", "webhooks.write"}})
	other.patch(hookPath, map[string]any{"description": "theirs"}).fail(http.StatusForbidden, "FORBIDDEN")
	other.api(http.MethodDelete, hookPath, nil).fail(http.StatusForbidden, "FORBIDDEN")
	// A webhook the plugin adds itself is its own, and goes with it.
	var extra store.NewWebhook
	plugin.post("/webhooks", map[string]any{"url": "https://api.example.com/extra", "events": []string{"ticket.created"}}).
		ok(http.StatusCreated, &extra)
	if extra.Owner.Type != store.ActorPlugin {
		t.Fatalf("extra webhook owner %+v", extra.Owner)
	}
	internal.api(http.MethodDelete, "/plugins/quickbooks-sync", nil).ok(http.StatusOK, nil)
	internal.get(fmt.Sprintf("/webhooks/%d", extra.ID)).fail(http.StatusNotFound, "NOT_FOUND")
}

func TestPluginInstallFromManifestURL(t *testing.T) {
	t.Parallel()
	manifest := walkManifest()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(manifest)
	}))
	t.Cleanup(srv.Close)

	// Outside the sandbox a loopback manifest_url is refused before any fetch.
	ts := newTestServer(t)
	internal := ts.client(internalKey)
	internal.post("/plugins", map[string]any{"manifest_url": srv.URL}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "manifest_url")
	internal.post("/plugins", map[string]any{"manifest_url": "https://169.254.169.254/latest"}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "manifest_url")
	internal.post("/plugins", map[string]any{"manifest": manifest, "manifest_url": "https://example.com/m.json"}).
		fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "manifest_url")
	// A manifest's webhook inside the network is refused too, naming it.
	inside := withField(t, manifest, "webhooks", []any{map[string]any{"event": "ticket.created", "url": "https://10.0.0.5/hook"}})
	internal.post("/plugins", map[string]any{"manifest": inside}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "webhooks[0].url")

	// The sandbox fetches it through the guarded client.
	sb := newTestServerWith(t, serverOptions{Sandbox: true})
	var got installed
	sb.client(internalKey).post("/plugins", map[string]any{"manifest_url": srv.URL + "/portal-plugin.json"}).ok(http.StatusCreated, &got)
	if got.ID != "walk-plugin" || got.Key == "" {
		t.Fatalf("installed %+v", got)
	}
}

// The plugin's webhook is delivered, signed with the secret the install
// showed, while the plugin holds the scopes its events need.
func TestPluginWebhookIsDelivered(t *testing.T) {
	t.Parallel()
	_, internal := newHookServer(t, internalKey)
	rcv := newReceiver(t, http.StatusOK, "ok")
	m := withField(t, walkManifest(), "webhooks", []any{map[string]any{"event": "ticket.created", "url": rcv.URL}})
	m = withField(t, m, "scopes", []string{"tickets.read", "customers.read"})
	var got installed
	internal.post("/plugins", map[string]any{"manifest": m}).ok(http.StatusCreated, &got)
	c := internal.newCustomer("Hook Customer")
	internal.newTicket(c.ID, nil)
	h := rcv.next(t)
	if h.Header.Get("X-Portal-Event") != "ticket.created" || !strings.HasPrefix(h.Header.Get("X-Portal-Signature"), "sha256=") {
		t.Fatalf("delivery headers %v", h.Header)
	}
	secret := got.WebhookSecrets[fmt.Sprint(got.WebhookIDs[0])]
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(h.Header.Get("X-Portal-Timestamp") + "." + string(h.Body)))
	if want := "sha256=" + hex.EncodeToString(mac.Sum(nil)); !hmac.Equal([]byte(want), []byte(h.Header.Get("X-Portal-Signature"))) {
		t.Fatalf("signature %s, want %s", h.Header.Get("X-Portal-Signature"), want)
	}
}

// What the owner was shown is what gets installed: a catalog card's id and
// scopes sent as expect must match the manifest, or nothing is installed;
// and only the owner chooses the catalog.
func TestCatalogInstallMustMatchWhatWasShown(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	owner := ts.client(internalKey)
	m := seedManifest(t)
	owner.post("/plugins", map[string]any{"manifest": m, "expect": map[string]any{"id": m["id"], "scopes": []string{"tickets.read"}}}).
		fail(http.StatusConflict, "CONFLICT")
	var list []map[string]any
	owner.get("/plugins").ok(http.StatusOK, &list)
	if len(list) != 0 {
		t.Fatalf("a refused install left %v", list)
	}
	owner.post("/plugins", map[string]any{"manifest": m, "expect": map[string]any{"id": m["id"], "scopes": m["scopes"]}}).ok(http.StatusCreated, nil)
	writer := ts.client(keySpec{Type: store.KeyPlugin, Scopes: []string{"store.read", "store.write"}})
	writer.patch("/store", map[string]any{"plugin_catalog_url": "https://catalog.example/plugins.json"}).fail(http.StatusForbidden, "FORBIDDEN")
	owner.patch("/store", map[string]any{"plugin_catalog_url": "https://catalog.example/plugins.json"}).ok(http.StatusOK, nil)
}
