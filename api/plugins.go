package api

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"portal/hooks"
	"portal/store"
)

// pluginManifestSchema is the manifest's JSON Schema, written by hand to say
// what store.PluginManifest.Validate checks (the event names, scope names
// and the scopes an event needs are checked by the server only).
//
//go:embed plugin-manifest.schema.json
var pluginManifestSchema []byte

// PluginManifestSchema is the published schema (GET
// /api/v1/plugin-manifest.schema.json, no key).
func PluginManifestSchema() []byte { return bytes.Clone(pluginManifestSchema) }

func (s *Server) servePluginManifestSchema(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/schema+json")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(pluginManifestSchema)
}

func (s *Server) pluginRoutes() []route {
	const res = "plugins"
	return []route{
		{method: "GET", path: "/plugins", scope: readScope(res), handle: s.listPlugins, summary: "Installed plugins, with their granted scopes and any newer version waiting for approval", out: []store.Plugin{}, list: &listSpec{}, liveOnly: true},
		{method: "POST", path: "/plugins", scope: writeScope(res), handle: s.installPlugin, summary: "Install a plugin from {\"manifest\"} or {\"manifest_url\"} (the owner's session or an internal key: the request is the approval); answers its pk_live_ key and webhook secrets, shown once. A newer version upgrades it: at once, or pending POST /plugins/{id}/approve when it asks for more scopes", in: pluginInstallInput{}, out: store.InstalledPlugin{}, status: http.StatusCreated, liveOnly: true, ownerOnly: true, approval: true},
		{method: "GET", path: "/plugins/{id}", scope: readScope(res), handle: s.getPlugin, summary: "One installed plugin", out: store.Plugin{}, liveOnly: true},
		{method: "DELETE", path: "/plugins/{id}", scope: writeScope(res), handle: s.uninstallPlugin, summary: "Uninstall a plugin: its key is revoked and its webhooks removed, in one step", out: deletedPlugin{}, liveOnly: true, ownerOnly: true, approval: true},
		{method: "POST", path: "/plugins/{id}/approve", scope: writeScope(res), handle: s.approvePlugin, summary: "Approve the newer version waiting: its scopes and webhooks replace the old version's", out: store.InstalledPlugin{}, liveOnly: true, ownerOnly: true, approval: true},
	}
}

type pluginInstallInput struct {
	Manifest    *store.PluginManifest `json:"manifest"`
	ManifestURL string                `json:"manifest_url"`
	// Expect is what the owner was shown (a catalog card): the manifest
	// must be that plugin asking for exactly those scopes, or nothing is
	// installed.
	Expect *shownPlugin `json:"expect"`
}

// shownPlugin is the plugin and scopes a catalog card showed the owner.
type shownPlugin struct {
	ID     string   `json:"id"`
	Scopes []string `json:"scopes"`
}

type deletedPlugin struct {
	ID      string `json:"id"`
	Deleted bool   `json:"deleted"`
}

func (s *Server) listPlugins(w http.ResponseWriter, r *http.Request, p *Principal) error {
	list, err := p.Store.ListPlugins()
	if err != nil {
		return err
	}
	return okSlice(w, r, list)
}

func (s *Server) getPlugin(w http.ResponseWriter, r *http.Request, p *Principal) error {
	pl, err := p.Store.Plugin(mux.Vars(r)["id"])
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, pl)
}

const maxManifestBytes = 256 << 10

// fetchManifest reads a manifest from its URL through the SSRF-guarded
// client: private addresses are refused outside the sandbox.
func (s *Server) fetchManifest(r *http.Request, raw string) (store.PluginManifest, error) {
	var m store.PluginManifest
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || !(u.Scheme == "https" || (s.cfg.Sandbox && u.Scheme == "http")) {
		return m, validation("manifest_url", "must be an absolute https URL without credentials (http only with serve --sandbox)")
	}
	if err := hooks.CheckURL(r.Context(), raw, s.cfg.Sandbox); err != nil {
		return m, validation("manifest_url", "must not point to a private, loopback or link-local address ("+err.Error()+")")
	}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, raw, nil)
	if err != nil {
		return m, validation("manifest_url", "is not a URL that can be fetched")
	}
	req.Header.Set("Accept", "application/json")
	res, err := hooks.GuardedClient(s.cfg.Sandbox, 10*time.Second).Do(req)
	if err != nil {
		if errors.Is(err, hooks.ErrForbiddenAddress) {
			return m, validation("manifest_url", "must not point to a private, loopback or link-local address")
		}
		return m, validation("manifest_url", "could not be fetched ("+err.Error()+")")
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return m, validation("manifest_url", fmt.Sprintf("answered HTTP %d, not 200", res.StatusCode))
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, maxManifestBytes+1))
	if err != nil || len(body) > maxManifestBytes {
		return m, validation("manifest_url", "must answer a manifest of at most 256 KiB")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return m, validation("manifest_url", "did not answer a manifest ("+err.Error()+")")
	}
	return m, nil
}

// checkManifestURLs refuses a manifest whose webhooks, widgets or links
// point inside the shop's network, naming the field; http only in the sandbox.
func (s *Server) checkManifestURLs(r *http.Request, m *store.PluginManifest) error {
	urls := m.URLs()
	fields := make([]string, 0, len(urls))
	for f := range urls {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	for _, f := range fields {
		u, err := url.Parse(urls[f])
		if err != nil {
			continue // the store names it
		}
		if u.Scheme == "http" && !s.cfg.Sandbox {
			return validation(f, "must be an https URL (http only with serve --sandbox)")
		}
		if err := hooks.CheckURL(r.Context(), urls[f], s.cfg.Sandbox); errors.Is(err, hooks.ErrForbiddenAddress) {
			return validation(f, "must not point to a private, loopback or link-local address ("+err.Error()+"); loopback is allowed with serve --sandbox")
		}
	}
	return nil
}

func (s *Server) installPlugin(w http.ResponseWriter, r *http.Request, p *Principal) error {
	var in pluginInstallInput
	if err := decode(r, &in); err != nil {
		return err
	}
	var m store.PluginManifest
	switch {
	case in.Manifest != nil && in.ManifestURL != "":
		return validation("manifest_url", "give either manifest or manifest_url, not both")
	case in.Manifest != nil:
		m = *in.Manifest
	case in.ManifestURL != "":
		var err error
		if m, err = s.fetchManifest(r, in.ManifestURL); err != nil {
			return err
		}
	default:
		return validation("manifest", "is required (or manifest_url)")
	}
	if err := m.Validate(); err != nil {
		return err
	}
	if err := s.checkManifestURLs(r, &m); err != nil {
		return err
	}
	if e := in.Expect; e != nil && (e.ID != m.ID || !sameScopes(e.Scopes, m.Scopes)) {
		return newError(http.StatusConflict, "CONFLICT", fmt.Sprintf("The manifest is %q asking for %s, not what was shown (%q asking for %s); nothing was installed",
			m.ID, strings.Join(m.Scopes, ", "), e.ID, strings.Join(e.Scopes, ", ")))
	}
	out, err := p.Store.InstallPluginDetail(r.Context(), m, s.cfg.Sealer)
	if err != nil {
		return err
	}
	if s.cfg.Hooks != nil {
		s.cfg.Hooks.Kick()
	}
	status := http.StatusCreated
	if out.Upgraded {
		status = http.StatusOK
	}
	return ok(w, status, out)
}

func (s *Server) approvePlugin(w http.ResponseWriter, r *http.Request, p *Principal) error {
	out, err := p.Store.ApprovePlugin(r.Context(), mux.Vars(r)["id"], s.cfg.Sealer)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, out)
}

func (s *Server) uninstallPlugin(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id := mux.Vars(r)["id"]
	if err := p.Store.UninstallPlugin(r.Context(), id); err != nil {
		return err
	}
	return ok(w, http.StatusOK, deletedPlugin{ID: id, Deleted: true})
}

// checkPluginWebhook: a webhook a plugin owns is changed only by that
// plugin; anyone else — another key, a user, the owner — is told to change
// or uninstall the plugin, which removes it.
func (s *Server) checkPluginWebhook(p *Principal, id uint64) error {
	hook, err := p.Store.Webhook(id)
	if err != nil {
		return err
	}
	if a := p.actor(); !store.IsPluginWebhook(hook) || (a.Type == hook.Owner.Type && a.ID == hook.Owner.ID) {
		return nil
	}
	return newError(http.StatusForbidden, "FORBIDDEN",
		"This webhook belongs to the plugin "+hook.Owner.Name+"; only the plugin may change it, and uninstalling the plugin removes it")
}

// sameScopes reports whether a and b hold the same scopes, in any order.
func sameScopes(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}
