package api

import (
	"net"
	"net/http"
	"strings"
)

// errTLSRequired answers plain-HTTP API calls on a port that serves HTTPS.
// 403, not 426: 426 Upgrade Required promises an in-place protocol upgrade
// (with an Upgrade header) that no HTTP client performs for TLS, while 403
// says what is true — understood, and refused as sent. Not a redirect
// either: the key or password already crossed the network in clear, and a
// client that follows redirects would keep doing so without anyone noticing.
var errTLSRequired = newError(http.StatusForbidden, "TLS_REQUIRED",
	"This server takes API calls over HTTPS only; call https:// (the request just sent, and any key or password in it, went in clear)")

// RequireTLS lets requests that came over TLS through to next. A browser
// that typed http:// gets a 308 to the same page over https on the same
// host and port; anything that speaks the API (or signs in) gets
// TLS_REQUIRED instead.
func (s *Server) RequireTLS(next http.Handler) http.Handler {
	refuse := s.common(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if porterAsked(r) && porterPath(r.URL.Path) {
			failPorter(w, r, errTLSRequired) // Porter's clients read {"error": …}
			return
		}
		fail(w, r, errTLSRequired)
	}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.TLS != nil, r.URL.Path == "/healthz" || r.URL.Path == "/readyz":
			next.ServeHTTP(w, r) // probes carry no secrets and often cannot speak TLS
		case (r.Method == http.MethodGet || r.Method == http.MethodHead) && !speaksAPI(r.URL.Path):
			http.Redirect(w, r, "https://"+requestHost(r)+r.URL.RequestURI(), http.StatusPermanentRedirect)
		default:
			refuse.ServeHTTP(w, r)
		}
	})
}

// speaksAPI reports whether path belongs to a machine or credential
// interface rather than a console page.
func speaksAPI(path string) bool {
	if path == "/metrics" {
		return true // a scraper follows redirects, its key and all
	}
	for _, prefix := range []string{"/api/", "/public/", "/auth/"} {
		if path == strings.TrimSuffix(prefix, "/") || strings.HasPrefix(path, prefix) {
			return true
		}
	}
	return false
}

// requestHost is the host and port the client asked for; HTTP/1.0 clients
// may not say, and then it is the address they reached.
func requestHost(r *http.Request) string {
	if r.Host != "" {
		return r.Host
	}
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		return a.String()
	}
	return "localhost"
}
