package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"portal/store"
)

// The sample plugin's site is served in sandbox mode only, with a policy
// that runs its own scripts and no one else's.
func TestSandboxPluginSite(t *testing.T) {
	get := func(t *testing.T, ts *testServer, path string) (*http.Response, string) {
		t.Helper()
		res, err := ts.HTTP.Client().Get(ts.HTTP.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res, string(body)
	}
	t.Run("sandbox", func(t *testing.T) {
		ts := newTestServerWith(t, serverOptions{Sandbox: true})
		res, body := get(t, ts, "/sandbox/plugins/hello/portal-plugin.json")
		if res.StatusCode != http.StatusOK {
			t.Fatalf("manifest: %d", res.StatusCode)
		}
		var m struct {
			ManifestVersion int      `json:"manifest_version"`
			ID              string   `json:"id"`
			Scopes          []string `json:"scopes"`
			Widgets         []struct {
				Location, URL string
				Height        int
			} `json:"widgets"`
			OAuth struct {
				RedirectURIs []string `json:"redirect_uris"`
			} `json:"oauth"`
		}
		if err := json.Unmarshal([]byte(body), &m); err != nil {
			t.Fatal(err)
		}
		var pm store.PluginManifest
		if err := json.Unmarshal([]byte(body), &pm); err != nil {
			t.Fatal(err)
		}
		if err := pm.Validate(); err != nil {
			t.Fatalf("the sample manifest does not validate: %v", err)
		}
		if m.ManifestVersion != 1 || m.ID != "hello" || strings.Join(m.Scopes, " ") != "tickets.read tickets.write customers.read" ||
			len(m.Widgets) != 1 || m.Widgets[0].Location != "ticket_sidebar" || m.Widgets[0].Height != 200 ||
			m.Widgets[0].URL != ts.HTTP.URL+"/sandbox/plugins/hello/widget.html" || len(m.OAuth.RedirectURIs) != 1 {
			t.Fatalf("manifest = %+v", m)
		}
		for _, p := range []string{"/sandbox/plugins/hello/", "/sandbox/plugins/hello/widget.html", "/sandbox/plugins/hello/widget.js",
			"/sandbox/plugins/hello/callback.html", "/sandbox/plugins/hello/oauth.js"} {
			res, body := get(t, ts, p)
			csp := res.Header.Get("Content-Security-Policy")
			if res.StatusCode != http.StatusOK || body == "" || !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
				t.Errorf("%s: %d, CSP %q", p, res.StatusCode, csp)
			}
		}
		if res, _ := get(t, ts, "/sandbox/plugins/"); res.StatusCode != http.StatusNotFound {
			t.Errorf("folder listing: %d, want 404", res.StatusCode)
		}
	})
	t.Run("live", func(t *testing.T) {
		ts := newTestServer(t)
		res, body := get(t, ts, "/sandbox/plugins/hello/portal-plugin.json")
		if res.StatusCode != http.StatusNotFound || strings.Contains(body, "tickets.write") {
			t.Fatalf("outside the sandbox: %d %q", res.StatusCode, body)
		}
	})
}
