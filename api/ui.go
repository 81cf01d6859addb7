package api

import (
	"net/http"
	"strings"
)

// contentSecurityPolicy forbids inline script: data reaches the page only as text.
// frame-src lets in plugins' widgets (any https page, or the appliance's own
// sandbox plugin): each is an iframe sandboxed without allow-same-origin, so
// it runs in an opaque origin and reaches the console only by postMessage.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; frame-src 'self' https:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// uiHandler serves the embedded console. Paths without a file extension are
// screens of the single-page console and get index.html.
func (s *Server) uiHandler() http.Handler {
	if s.cfg.UI == nil {
		return http.NotFoundHandler()
	}
	files := http.FileServerFS(s.cfg.UI)
	csp := contentSecurityPolicy
	if s.cfg.Sandbox { // the sandbox's plugins may serve their widgets from this machine over plain http
		csp = strings.Replace(csp, "frame-src 'self' https:", "frame-src 'self' https: http://127.0.0.1:* http://localhost:*", 1)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			fail(w, r, newError(http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "Pages take GET and HEAD only"))
			return
		}
		last := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
		if !strings.Contains(last, ".") {
			kiosk := r.URL.Path == "/kiosk" || strings.HasPrefix(r.URL.Path, "/kiosk/")
			r = r.Clone(r.Context())
			r.URL.Path = "/"
			if kiosk {
				r.URL.Path = "/kiosk/" // the visitor kiosk: a page of its own, no staff session
			}
			h.Set("Cache-Control", "no-store")
		}
		files.ServeHTTP(w, r)
	})
}
