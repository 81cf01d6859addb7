package api_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"portal/api"
	"portal/store"
)

// widgetFixture: a shop with a customer, a ticket and an installed plugin
// ("Hello Widgets") whose key and granted scopes the test chooses.
type widgetFixture struct {
	ts       *testServer
	owner    *client // the owner's console session
	plugin   *client // the plugin's own key
	ticket   uint64
	customer uint64
	mu       sync.Mutex
	scopes   []string
}

func newWidgetFixture(t *testing.T, scopes ...string) *widgetFixture {
	t.Helper()
	ts := newTestServer(t)
	owner, _ := signedIn(t, ts)
	f := &widgetFixture{ts: ts, owner: owner, scopes: scopes}
	f.plugin = ts.client(keySpec{Type: store.KeyPlugin, Name: "Hello Widgets", Scopes: []string{"tickets.read"}, Tier: "unlimited"})
	ts.API.SetWidgetPlugins(func(st *store.Store) []api.WidgetPlugin {
		if st != ts.Live {
			return nil
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		return []api.WidgetPlugin{{ID: "hello", Name: "Hello Widgets", KeyID: f.plugin.keyID, Scopes: f.scopes,
			Widgets: []api.WidgetSpec{
				{ID: "side", Location: "ticket_sidebar", URL: "https://hello.example.com/side", Height: 1000},
				{ID: "cust", Location: "customer_sidebar", URL: "https://hello.example.com/cust", Height: 120},
			}}}
	})
	var c struct{ ID uint64 }
	owner.post("/customers", map[string]any{"name": "Ada Lovelace", "email": "ada@example.com", "phone": "+1 555 0101"}).ok(http.StatusCreated, &c)
	var tk struct{ ID uint64 }
	owner.post("/tickets", map[string]any{"customer_id": c.ID, "issue": "Cracked screen",
		"device": map[string]any{"brand": "Apple", "model": "iPhone 15"}}).ok(http.StatusCreated, &tk)
	f.ticket, f.customer = tk.ID, c.ID
	return f
}

func (f *widgetFixture) token(c *client, location string, id uint64) string {
	f.ts.t.Helper()
	var tok api.WidgetToken
	c.post("/widgets/token", map[string]any{"plugin_id": "hello", "location": location, "resource_id": id}).ok(http.StatusCreated, &tok)
	if !strings.HasPrefix(tok.Token, "wt_") || len(tok.Token) < 40 {
		f.ts.t.Fatalf("token %q", tok.Token)
	}
	return tok.Token
}

func TestWidgetTokenRules(t *testing.T) {
	t.Parallel()
	f := newWidgetFixture(t, "tickets.read")
	ts := f.ts

	// The console's answer: the widget's URL and its height clamped to the place's 300 px.
	var tok api.WidgetToken
	f.owner.post("/widgets/token", map[string]any{"plugin_id": "hello", "location": "ticket_sidebar", "resource_id": f.ticket}).
		ok(http.StatusCreated, &tok)
	if tok.Height != 300 || tok.URL != "https://hello.example.com/side" || tok.Name != "Hello Widgets" ||
		!tok.ExpiresAt.Equal(start.Add(5*time.Minute)) {
		t.Errorf("token answer %+v", tok)
	}

	// Once, to the plugin's own key: the context with the user's first name only.
	var ctx api.WidgetContext
	f.plugin.post("/widgets/verify-token", map[string]any{"token": tok.Token}).ok(http.StatusOK, &ctx)
	if ctx.PluginID != "hello" || ctx.Location != "ticket_sidebar" || ctx.ResourceType != "ticket" || ctx.ResourceID != f.ticket ||
		ctx.User.FirstName != "Olive" || ctx.User.ID == 0 {
		t.Errorf("context %+v", ctx)
	}
	refused := func(c *client, token, why string) {
		t.Helper()
		res := c.post("/widgets/verify-token", map[string]any{"token": token})
		if res.Status != http.StatusUnauthorized || !strings.Contains(string(res.Body), "INVALID_WIDGET_TOKEN") {
			t.Errorf("%s: %d %s, want the one 401", why, res.Status, res.Body)
		}
	}
	refused(f.plugin, tok.Token, "a second use")

	// Another plugin's key gets the same answer, and the token stays good for its own plugin.
	other := ts.client(keySpec{Type: store.KeyPlugin, Name: "Nosy", Tier: "unlimited"})
	t2 := f.token(f.owner, "ticket_sidebar", f.ticket)
	refused(other, t2, "another plugin's key")
	f.plugin.post("/widgets/verify-token", map[string]any{"token": t2}).ok(http.StatusOK, nil)

	// Five minutes, by the injected clock.
	t3 := f.token(f.owner, "ticket_sidebar", f.ticket)
	ts.Clock.Advance(5*time.Minute + time.Second)
	refused(f.plugin, t3, "an expired token")
	refused(f.plugin, "wt_nothing", "an unknown token")

	// Only a plugin's key verifies; only staff get tokens.
	if res := f.owner.post("/widgets/verify-token", map[string]any{"token": "wt_x"}); res.Status != http.StatusForbidden {
		t.Errorf("a session verifying: %d", res.Status)
	}
	if res := f.plugin.post("/widgets/token", map[string]any{"plugin_id": "hello", "location": "ticket_sidebar", "resource_id": f.ticket}); res.Status != http.StatusForbidden {
		t.Errorf("a plugin key asking for a token: %d", res.Status)
	}
	// A widget the plugin does not declare, an unknown plugin, a missing record, a bad place.
	for _, tc := range []struct {
		body map[string]any
		want int
	}{
		{map[string]any{"plugin_id": "hello", "location": "queue_banner"}, http.StatusNotFound},
		{map[string]any{"plugin_id": "nope", "location": "ticket_sidebar", "resource_id": f.ticket}, http.StatusNotFound},
		{map[string]any{"plugin_id": "hello", "location": "ticket_sidebar", "resource_id": 99999}, http.StatusNotFound},
		{map[string]any{"plugin_id": "hello", "location": "ticket_sidebar"}, http.StatusUnprocessableEntity},
		{map[string]any{"plugin_id": "hello", "location": "roof"}, http.StatusUnprocessableEntity},
	} {
		if res := f.owner.post("/widgets/token", tc.body); res.Status != tc.want {
			t.Errorf("%v: %d, want %d\n%s", tc.body, res.Status, tc.want, res.Body)
		}
	}
	// The places list what the console renders.
	var list []api.WidgetSummary
	f.owner.get("/widgets?location=ticket_sidebar").ok(http.StatusOK, &list)
	if len(list) != 1 || list[0].PluginName != "Hello Widgets" || list[0].Height != 300 {
		t.Errorf("ticket_sidebar widgets %+v", list)
	}
}

// The bridge's reads and actions are bounded by both the plugin's scopes and the staff member's.
func TestWidgetBridgeIsBoundedByBothScopes(t *testing.T) {
	t.Parallel()
	f := newWidgetFixture(t, "tickets.read")
	ticketData := "/widgets/data?plugin_id=hello&location=ticket_sidebar&resource_id=" + itoa(f.ticket)
	note := map[string]any{"plugin_id": "hello", "location": "ticket_sidebar", "resource_id": f.ticket,
		"action": "add_note", "data": map[string]any{"text": "Synced to QuickBooks: INV-1042"}}

	// The plugin reads tickets but may not write them, though the owner may.
	var d api.WidgetData
	f.owner.get(ticketData).ok(http.StatusOK, &d)
	if d.Resource != "ticket" || d.Data["issue"] != "Cracked screen" {
		t.Errorf("ticket data %+v", d)
	}
	if res := f.owner.post("/widgets/actions", note); res.Status != http.StatusForbidden {
		t.Errorf("a note without the plugin's tickets.write: %d", res.Status)
	}
	// Nor the customer's contact details without customers.read.
	if res := f.owner.get("/widgets/data?plugin_id=hello&location=customer_sidebar&resource_id=" + itoa(f.customer)); res.Status != http.StatusForbidden {
		t.Errorf("a customer without the plugin's customers.read: %d", res.Status)
	}

	f.mu.Lock()
	f.scopes = []string{"tickets.read", "tickets.write", "customers.read"}
	f.mu.Unlock()
	var cust api.WidgetData
	f.owner.get("/widgets/data?plugin_id=hello&location=customer_sidebar&resource_id="+itoa(f.customer)).ok(http.StatusOK, &cust)
	if cust.Data["email"] != "ada@example.com" {
		t.Errorf("customer data %+v", cust)
	}
	// Now the note is the plugin's: "by Hello Widgets" in the timeline.
	var n store.Note
	f.owner.post("/widgets/actions", note).ok(http.StatusCreated, &n)
	if n.Author != "Hello Widgets" {
		t.Errorf("note author %q", n.Author)
	}
	var evs []struct {
		Actor store.Actor `json:"actor"`
	}
	f.owner.get("/tickets/"+itoa(f.ticket)+"/events").ok(http.StatusOK, &evs)
	found := false
	for _, e := range evs {
		found = found || e.Actor.Type == store.ActorPlugin && e.Actor.Name == "Hello Widgets"
	}
	if !found {
		t.Errorf("no event by the plugin in %+v", evs)
	}

	// A staff member's user key with only tickets.read: the plugin's tickets.write does not lift it.
	readOnly := f.ts.client(keySpec{Type: store.KeyUser, UserID: 1, Scopes: []string{"tickets.read", "customers.read"}, Tier: "unlimited"})
	if res := readOnly.post("/widgets/actions", note); res.Status != http.StatusForbidden {
		t.Errorf("a note by a reader through the plugin: %d\n%s", res.Status, res.Body)
	}
	// And a staff member without customers.read sees the ticket without the customer's details.
	ticketsOnly := f.ts.client(keySpec{Type: store.KeyUser, UserID: 1, Scopes: []string{"tickets.read"}, Tier: "unlimited"})
	var bare api.WidgetData
	ticketsOnly.get(ticketData).ok(http.StatusOK, &bare)
	for _, k := range []string{"customer", "email", "phone"} {
		if _, ok := bare.Data[k]; ok {
			t.Errorf("a staff member without customers.read sees %s through the widget: %v", k, bare.Data)
		}
	}
	// set_status, and a bad action.
	f.owner.post("/widgets/actions", map[string]any{"plugin_id": "hello", "location": "ticket_sidebar", "resource_id": f.ticket,
		"action": "set_status", "data": map[string]any{"status": "In Progress"}}).ok(http.StatusCreated, nil)
	if res := f.owner.post("/widgets/actions", map[string]any{"plugin_id": "hello", "location": "ticket_sidebar", "resource_id": f.ticket,
		"action": "delete_everything"}); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("an unknown action: %d", res.Status)
	}
}

func TestWidgetActionsAreRateLimitedPerPluginAndUser(t *testing.T) {
	t.Parallel()
	f := newWidgetFixture(t, "tickets.read", "tickets.write")
	note := map[string]any{"plugin_id": "hello", "location": "ticket_sidebar", "resource_id": f.ticket,
		"action": "add_note", "data": map[string]any{"text": "tick"}}
	for i := range 10 {
		if res := f.owner.post("/widgets/actions", note); res.Status != http.StatusCreated {
			t.Fatalf("action %d: %d %s", i+1, res.Status, res.Body)
		}
	}
	res := f.owner.post("/widgets/actions", note)
	if res.Status != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Fatalf("the 11th action in a minute: %d %s", res.Status, res.Header.Get("Retry-After"))
	}
	f.ts.Clock.Advance(time.Minute)
	f.owner.post("/widgets/actions", note).ok(http.StatusCreated, nil)
}

// The seed's plugin, installed for real: its ticket_sidebar widget gets a
// token, its own key redeems it, and uninstalling ends its widgets.
func TestInstalledPluginsWidgets(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	owner, _ := signedIn(t, ts)
	var got struct {
		Key string `json:"key"`
	}
	owner.post("/plugins", map[string]any{"manifest": seedManifest(t)}).ok(http.StatusCreated, &got)
	plugin := ts.anonymous()
	plugin.key = got.Key
	var c struct{ ID uint64 }
	owner.post("/customers", map[string]any{"name": "Ada"}).ok(http.StatusCreated, &c)
	var tk struct{ ID uint64 }
	owner.post("/tickets", map[string]any{"customer_id": c.ID, "issue": "Screen"}).ok(http.StatusCreated, &tk)

	var list []api.WidgetSummary
	owner.get("/widgets?location=ticket_sidebar").ok(http.StatusOK, &list)
	if len(list) != 1 || list[0].PluginID != "quickbooks-sync" || list[0].Height != 120 {
		t.Fatalf("widgets %+v", list)
	}
	var tok api.WidgetToken
	owner.post("/widgets/token", map[string]any{"plugin_id": "quickbooks-sync", "location": "ticket_sidebar", "resource_id": tk.ID}).
		ok(http.StatusCreated, &tok)
	var ctx api.WidgetContext
	plugin.post("/widgets/verify-token", map[string]any{"token": tok.Token}).ok(http.StatusOK, &ctx)
	if ctx.PluginID != "quickbooks-sync" || ctx.ResourceID != tk.ID {
		t.Errorf("context %+v", ctx)
	}
	// The seed plugin reads tickets but never writes them: no note through its widget.
	if res := owner.post("/widgets/actions", map[string]any{"plugin_id": "quickbooks-sync", "location": "ticket_sidebar",
		"resource_id": tk.ID, "action": "add_note", "data": map[string]any{"text": "x"}}); res.Status != http.StatusForbidden {
		t.Errorf("a note without tickets.write: %d", res.Status)
	}
	owner.api(http.MethodDelete, "/plugins/quickbooks-sync", nil).ok(http.StatusOK, nil)
	owner.get("/widgets?location=ticket_sidebar").ok(http.StatusOK, &list)
	if len(list) != 0 {
		t.Errorf("an uninstalled plugin's widgets: %+v", list)
	}
}
