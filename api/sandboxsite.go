package api

import (
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
		files.ServeHTTP(w, r)
	})))
}

// SandboxPluginURL is where serve --sandbox serves the sample plugin.
const SandboxPluginURL = "/sandbox/plugins/hello/"
