package api

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"strings"

	"portal/hooks"
)

// catalogLimit bounds a plugin catalog's size.
const catalogLimit = 1 << 20

// CatalogEntry is one known plugin in the catalog: enough to choose it, and
// its manifest (inline or at manifest_url) to install it with POST /plugins.
type CatalogEntry struct {
	ID          string          `json:"id"`
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Category    string          `json:"category,omitempty"`
	Pricing     *CatalogPricing `json:"pricing,omitempty"`
	Scopes      []string        `json:"scopes,omitempty"`
	ManifestURL string          `json:"manifest_url,omitempty"`
	Manifest    json.RawMessage `json:"manifest,omitempty"`
}

// CatalogPricing is what a plugin costs: model free, monthly, yearly or one_time.
type CatalogPricing struct {
	Model     string  `json:"model"`
	Price     float64 `json:"price"`
	TrialDays int     `json:"trial_days"`
}

func (s *Server) pluginCatalogRoutes() []route {
	return []route{
		{method: "GET", path: "/plugins/catalog", scope: readScope("plugins"), handle: s.pluginCatalog,
			summary: "The catalog of known plugins: the shop's plugin_catalog_url (fetched through the webhook guard) or the serve --plugin-catalog file; the sandbox adds its sample plugin",
			out:     []CatalogEntry{}},
	}
}

func (s *Server) pluginCatalog(w http.ResponseWriter, r *http.Request, p *Principal) error {
	var out []CatalogEntry
	if s.cfg.Sandbox {
		if e, err := sandboxCatalogEntry(r); err == nil {
			out = append(out, e)
		}
	}
	shop, err := p.Store.Shop()
	if err != nil {
		return err
	}
	var (
		raw  []byte
		base *url.URL
	)
	switch {
	case shop.PluginCatalogURL != "":
		// Entries become one-click installs: over plain http anyone on the
		// path could add their own, so http is for the sandbox only.
		if u, perr := url.Parse(shop.PluginCatalogURL); perr != nil || (u.Scheme != "https" && !s.cfg.Sandbox) {
			return newError(http.StatusBadGateway, "CATALOG_UNREACHABLE", "The plugin catalog must be an https:// address")
		}
		raw, err = hooks.GuardedGet(r.Context(), shop.PluginCatalogURL, s.cfg.Sandbox, catalogLimit)
		if err != nil {
			return newError(http.StatusBadGateway, "CATALOG_UNREACHABLE", "The plugin catalog at "+shop.PluginCatalogURL+" could not be read: "+err.Error())
		}
		base, _ = url.Parse(shop.PluginCatalogURL)
	case s.cfg.PluginCatalog != "":
		raw, err = os.ReadFile(s.cfg.PluginCatalog)
		if err != nil {
			return newError(http.StatusBadGateway, "CATALOG_UNREACHABLE", "The plugin catalog file could not be read")
		}
	}
	if raw != nil {
		entries, err := parseCatalog(raw, base)
		if err != nil {
			return newError(http.StatusBadGateway, "CATALOG_UNREADABLE", "The plugin catalog is not a catalog: "+err.Error())
		}
		for _, e := range entries {
			if !catalogHas(out, e.ID) {
				out = append(out, e)
			}
		}
	}
	if out == nil {
		out = []CatalogEntry{}
	}
	return ok(w, http.StatusOK, out)
}

func catalogHas(list []CatalogEntry, id string) bool {
	for _, e := range list {
		if e.ID == id {
			return true
		}
	}
	return false
}

// parseCatalog reads {"plugins": [...]} or a bare list; entries without an
// id or a way to their manifest are left out, relative manifest URLs are
// resolved against the catalog's own address.
func parseCatalog(raw []byte, base *url.URL) ([]CatalogEntry, error) {
	var list []CatalogEntry
	if err := json.Unmarshal(raw, &list); err != nil {
		var wrapped struct {
			Plugins []CatalogEntry `json:"plugins"`
		}
		if err := json.Unmarshal(raw, &wrapped); err != nil {
			return nil, err
		}
		list = wrapped.Plugins
	}
	out := make([]CatalogEntry, 0, len(list))
	for _, e := range list {
		e.ID = strings.TrimSpace(e.ID)
		if e.ID == "" || len(e.ID) > 100 || (e.ManifestURL == "" && len(e.Manifest) == 0) {
			continue
		}
		if len(e.Manifest) > 0 {
			// An inline manifest is the truth: the card shows its own id
			// and scopes, never what the entry around it claims.
			var m struct {
				ID     string   `json:"id"`
				Scopes []string `json:"scopes"`
			}
			if json.Unmarshal(e.Manifest, &m) != nil || m.ID == "" {
				continue
			}
			e.ID, e.Scopes = m.ID, m.Scopes
		}
		if e.ManifestURL != "" && base != nil {
			if u, err := base.Parse(e.ManifestURL); err == nil {
				e.ManifestURL = u.String()
			}
		}
		if e.Name == "" {
			e.Name = e.ID
		}
		out = append(out, e)
	}
	return out, nil
}

// sandboxCatalogEntry is the sample plugin, its manifest inline.
func sandboxCatalogEntry(r *http.Request) (CatalogEntry, error) {
	raw, err := sandboxManifest("plugins/hello/portal-plugin.json", r)
	if err != nil {
		return CatalogEntry{}, err
	}
	var m struct {
		ID, Name, Description, Category string
		Pricing                         *CatalogPricing
		Scopes                          []string
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return CatalogEntry{}, err
	}
	return CatalogEntry{ID: m.ID, Name: m.Name, Description: m.Description, Category: m.Category, Pricing: m.Pricing,
		Scopes: m.Scopes, Manifest: raw, ManifestURL: manifestOrigin(r) + SandboxPluginURL + "portal-plugin.json"}, nil
}

func manifestOrigin(r *http.Request) string {
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}
