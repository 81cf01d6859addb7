package api

import (
	"encoding/json"
	"io/fs"
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"portal/sandbox"
)

// sandboxSitePolicy lets the sample plugin run its own scripts and call
// Portal's OAuth token endpoint; the console may frame its widget page.
const sandboxSitePolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'self'"

// bindSandboxSite serves the sample plugin's site at /sandbox/plugins/…, in
// sandbox mode only (404 otherwise, from the console's handler).
func (s *Server) bindSandboxSite(r *mux.Router) {
	if !s.cfg.Sandbox {
		return
	}
	files := http.FileServerFS(sandbox.Files())
	r.PathPrefix("/sandbox/plugins/").Handler(http.StripPrefix("/sandbox", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", sandboxSitePolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			fail(w, r, newError(http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "Pages take GET and HEAD only"))
			return
		}
		if strings.HasSuffix(r.URL.Path, "/") { // a folder: its index.html, never a listing
			if _, err := fs.Stat(sandbox.Files(), strings.TrimPrefix(r.URL.Path, "/")+"index.html"); err != nil {
				http.NotFound(w, r)
				return
			}
		}
		if strings.HasSuffix(r.URL.Path, "/portal-plugin.json") {
			raw, err := sandboxManifest(strings.TrimPrefix(r.URL.Path, "/"), r)
			if err != nil {
				http.NotFound(w, r)
				return
			}
			h.Set("Content-Type", "application/json")
			w.Write(raw)
			return
		}
		files.ServeHTTP(w, r)
	})))
}

// sandboxManifest is a sample plugin's manifest with its URLs made absolute
// on the address the request came to ("{origin}" in the embedded file), as
// a manifest's URLs must be.
func sandboxManifest(name string, r *http.Request) ([]byte, error) {
	raw, err := fs.ReadFile(sandbox.Files(), name)
	if err != nil {
		return nil, err
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	origin, _ := json.Marshal(scheme + "://" + r.Host)
	return []byte(strings.ReplaceAll(string(raw), "{origin}", strings.Trim(string(origin), `"`))), nil
}

// SandboxPluginURL is where serve --sandbox serves the sample plugin.
const SandboxPluginURL = "/sandbox/plugins/hello/"
