package api

import (
	"html/template"
	"io/fs"
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"portal/internal/custlink"
)

// The customer page /c/: its own small bundle (ui/customer/), served like
// the kiosk's, with no console code and a strict policy. A magic link
// /c/{token} is traded for the session cookie and answered with a 303 to
// /c/, so the token leaves the address bar, the history and any Referer.

// customerPolicy forbids inline script and every origin but ours.
const customerPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; manifest-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

func (s *Server) bindCustomerPage(r *mux.Router) {
	r.Handle("/c", http.RedirectHandler("/c/", http.StatusMovedPermanently)).Methods(http.MethodGet, http.MethodHead)
	// A token is 35 or more base64url characters with no dot, so neither
	// /c/customer.js nor a short page name ever matches.
	r.HandleFunc("/c/{token:[A-Za-z0-9_-]{30,128}}", s.openCustomerLink).Methods(http.MethodGet, http.MethodHead)
	r.PathPrefix("/c/").Handler(s.customerPage())
}

// openCustomerLink checks a magic link and starts the customer's session.
// Every refusal is the same page: it never says which part failed.
func (s *Server) openCustomerLink(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", customerPolicy)
	claims, err := custlink.Parse(s.custKeys.link, mux.Vars(r)["token"], s.cfg.Now())
	if err == nil {
		var c *CustomerPrincipal
		if c, err = s.customerFromClaims(claims); err == nil {
			// The session lasts as long as the link: opening it again
			// never stretches it.
			s.setCustomerCookie(w, r, claims)
			target := "/c/"
			if c.Mode == custlink.ModeTest {
				target = "/c/?mode=test"
			}
			http.Redirect(w, r, target, http.StatusSeeOther)
			return
		}
	}
	if ae := toAPIError(err); ae != nil && ae.Status == http.StatusServiceUnavailable {
		http.Error(w, "The shop's system is busy; try the link again in a minute.", http.StatusServiceUnavailable)
		return
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusNotFound)
	badLinkPage.Execute(w, nil)
}

// badLinkPage is the answer to a link that is forged, expired or revoked.
var badLinkPage = template.Must(template.New("bad").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>This link no longer works</title><link rel="stylesheet" href="/c/customer.css"></head>
<body><main class="bad-link">
<h1>This link no longer works</h1>
<p>Links to your repair expire after a while, and the shop can replace them. You can still see your repair:
sign in with the ticket number on your receipt and the phone number or email address the shop has for you.</p>
<p><a href="/c/">Sign in to see your repair</a></p>
</main></body></html>
`))

// customerPage serves ui/customer/: its files, and index.html for any path
// without an extension (the page's own screens).
func (s *Server) customerPage() http.Handler {
	if s.cfg.UI == nil {
		return http.NotFoundHandler()
	}
	sub, err := fs.Sub(s.cfg.UI, "customer")
	if err != nil {
		return http.NotFoundHandler()
	}
	files := http.StripPrefix("/c", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", customerPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			http.Error(w, "Pages take GET and HEAD only", http.StatusMethodNotAllowed)
			return
		}
		last := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
		if !strings.Contains(last, ".") {
			r = r.Clone(r.Context())
			r.URL.Path = "/c/"
			h.Set("Cache-Control", "no-store")
		}
		files.ServeHTTP(w, r)
	})
}
