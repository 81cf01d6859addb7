package api_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"portal/api"
	"portal/store"
)

var pathParam = regexp.MustCompile(`\{[a-z_]+\}`)

// unscopedRoutes are the routes of api.Routes() that need no scope, each
// with the reason. (GET /api/v1/openapi.json needs no key at all and is not
// in the table.)
var unscopedRoutes = map[string]string{
	"GET /api/v1/widgets":               "staff only: a session or user key; what each place shows",
	"POST /api/v1/widgets/token":        "staff only; the record's own read scope is checked by the handler",
	"GET /api/v1/widgets/data":          "staff only; bounded by both the plugin's and the staff member's scopes",
	"POST /api/v1/widgets/actions":      "staff only; bounded by both the plugin's and the staff member's scopes",
	"POST /api/v1/widgets/verify-token": "a plugin's own key only: it redeems its own tokens",
	"POST /api/v1/kiosk/pair":           "the kiosk page trades a pairing code for its cookie; every key is refused (403)",
	"GET /api/v1/kiosk/session":         "a paired kiosk's cookie only; every key is refused (403)",
	"GET /api/v1/kiosk/hosts":           "a paired kiosk's cookie only; every key is refused (403)",
	"POST /api/v1/kiosk/check-in":       "a paired kiosk's cookie only; every key is refused (403)",
	"POST /api/v1/kiosk/walk-in":        "a paired kiosk's cookie only; every key is refused (403)",
	"POST /api/v1/kiosk/check-out":      "a paired kiosk's cookie only; every key is refused (403)",
}

func routeName(rt api.Route) string { return rt.Method + " " + rt.Path }

func TestEveryRouteRefusesAKeyWithoutItsScope(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	routes := ts.API.Routes()
	if len(routes) == 0 {
		t.Fatal("empty route table")
	}
	keys := map[string]*client{} // by the scope the key lacks
	for _, rt := range routes {
		if rt.Scope == "" {
			if _, ok := unscopedRoutes[routeName(rt)]; !ok {
				t.Errorf("%s has no scope and is not a listed exception", routeName(rt))
			}
			continue
		}
		c := keys[rt.Scope]
		if c == nil {
			c = ts.client(keySpec{Type: store.KeyPlugin, Scopes: pluginScopes(without(store.AllScopes(), rt.Scope)), Tier: "unlimited"})
			keys[rt.Scope] = c
		}
		path := pathParam.ReplaceAllString(rt.Path, "1")
		var body any
		if rt.Method != http.MethodGet {
			body = "{}"
		}
		res := c.call(rt.Method, path, body)
		if res.Status != http.StatusForbidden {
			t.Errorf("%s without %s: status %d, want 403\n%s", routeName(rt), rt.Scope, res.Status, res.Body)
			continue
		}
		e := res.fail(http.StatusForbidden, "FORBIDDEN")
		if !strings.Contains(e.Message, rt.Scope) {
			t.Errorf("%s: message %q does not name %s", routeName(rt), e.Message, rt.Scope)
		}
	}
	for name := range unscopedRoutes {
		found := false
		for _, rt := range routes {
			found = found || (routeName(rt) == name && rt.Scope == "")
		}
		if !found {
			t.Errorf("exception %s is not an unscoped route of the table", name)
		}
	}
}

func TestEveryRouteAdmitsAKeyWithOnlyItsScope(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	keys := map[string]*client{}
	for _, rt := range ts.API.Routes() {
		if rt.Scope == "" || rt.OwnerOnly { // owner-only routes need more than a scope: the access matrix test tries them
			continue
		}
		scopes := []string{rt.Scope}
		scopes = append(scopes, rt.Also...) // an attachment route: files.* and the owner's read scope
		c := keys[strings.Join(scopes, ",")]
		if c == nil {
			spec := keySpec{Type: store.KeyPlugin, Scopes: scopes, Tier: "unlimited"}
			if len(pluginScopes(spec.Scopes)) == 0 {
				spec.Type = store.KeyUser // a scope no plugin may hold: the owner's own key
			}
			c = ts.client(spec)
			keys[strings.Join(scopes, ",")] = c
		}
		// An id no record has, so that writes change nothing.
		path := pathParam.ReplaceAllString(rt.Path, "999999")
		var body any
		if rt.Method != http.MethodGet {
			body = "{}"
		}
		res := c.call(rt.Method, path, body)
		if res.Status == http.StatusForbidden || res.Status == http.StatusUnauthorized || res.Status >= 500 {
			t.Errorf("%s with only %s: status %d\n%s", routeName(rt), rt.Scope, res.Status, res.Body)
		}
	}
}

func TestRouteScopesFollowTheReadWriteRule(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	seen := map[string]bool{}
	for _, rt := range ts.API.Routes() {
		if seen[routeName(rt)] {
			t.Errorf("%s is in the table twice", routeName(rt))
		}
		seen[routeName(rt)] = true
		if !strings.HasPrefix(rt.Path, api.APIPrefix+"/") {
			t.Errorf("%s is not under %s", routeName(rt), api.APIPrefix)
		}
		if rt.Scope == "" {
			continue
		}
		if !store.ValidScope(rt.Scope) {
			t.Errorf("%s: %q is not a scope", routeName(rt), rt.Scope)
		}
		want := ".write"
		if rt.Method == http.MethodGet {
			want = ".read"
		}
		if rt.Scope == "live" { // API.md: the websocket feed has its own scope
			continue
		}
		if !strings.HasSuffix(rt.Scope, want) {
			t.Errorf("%s has scope %s; a %s needs a %s scope", routeName(rt), rt.Scope, rt.Method, want)
		}
	}
}
