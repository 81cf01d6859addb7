package api_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"portal/store"
)

type catalogEntry struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Category    string `json:"category"`
	ManifestURL string `json:"manifest_url"`
	Manifest    map[string]any
	Pricing     *struct {
		Model     string  `json:"model"`
		Price     float64 `json:"price"`
		TrialDays int     `json:"trial_days"`
	} `json:"pricing"`
}

// The catalog joins the sandbox's sample plugin and the shop's catalog,
// fetched through the webhook guard: loopback only in the sandbox.
func TestPluginCatalog(t *testing.T) {
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"plugins": [
			{"id": "qb", "name": "QuickBooks Sync", "category": "accounting", "pricing": {"model": "monthly", "price": 9.99, "trial_days": 14}, "manifest_url": "qb/portal-plugin.json"},
			{"id": "", "name": "no id"},
			{"id": "hello", "name": "a second hello", "manifest_url": "https://x.example/m.json"}
		]}`))
	}))
	defer site.Close()
	owner := keySpec{Type: store.KeyInternal}

	t.Run("sandbox", func(t *testing.T) {
		ts := newTestServerWith(t, serverOptions{Sandbox: true})
		c := ts.client(owner)
		var list []catalogEntry
		c.api("GET", "/plugins/catalog", nil).ok(http.StatusOK, &list)
		if len(list) != 1 || list[0].ID != "hello" || list[0].Manifest["id"] != "hello" {
			t.Fatalf("sandbox catalog = %+v", list)
		}
		c.api("PATCH", "/store", map[string]any{"plugin_catalog_url": site.URL + "/catalog.json"}).ok(http.StatusOK, nil)
		c.api("GET", "/plugins/catalog", nil).ok(http.StatusOK, &list)
		if len(list) != 2 || list[1].ID != "qb" || list[1].ManifestURL != site.URL+"/qb/portal-plugin.json" ||
			list[1].Pricing == nil || list[1].Pricing.TrialDays != 14 || list[1].Category != "accounting" {
			t.Fatalf("catalog = %+v", list)
		}
	})
	t.Run("live refuses loopback", func(t *testing.T) {
		ts := newTestServer(t)
		c := ts.client(owner)
		var list []catalogEntry
		c.api("GET", "/plugins/catalog", nil).ok(http.StatusOK, &list)
		if len(list) != 0 {
			t.Fatalf("catalog without a URL = %+v", list)
		}
		c.api("PATCH", "/store", map[string]any{"plugin_catalog_url": "ftp://x"}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "plugin_catalog_url")
		c.api("PATCH", "/store", map[string]any{"plugin_catalog_url": site.URL + "/catalog.json"}).ok(http.StatusOK, nil)
		c.api("GET", "/plugins/catalog", nil).fail(http.StatusBadGateway, "CATALOG_UNREACHABLE")
	})
}
