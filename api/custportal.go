package api

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"portal/internal/custlink"
	"portal/store"
)

// The customer's side: a shop's customer reaches the page /c/ and its JSON
// under /c/api/, outside /api/v1 and its keys. The only credential is the
// customer cookie, a signed session (internal/custlink under its own key)
// naming the store, the customer and their link epoch; it is made from a
// magic link (GET /c/{token}) or a sign-in with a ticket number and the
// phone or email on file. Every request re-reads the epoch, so revoking the
// customer's links ends their sessions at once.
//
// A customer sees their own records only, and anything else is a 404 —
// never a 403 that would confirm the record exists.

// CustomerPrefix is where the customer page's JSON lives.
const CustomerPrefix = "/c/api"

// customerCookie holds the customer's session; its path keeps it to /c/.
const (
	customerCookie     = "portal_customer"
	customerCookiePath = "/c/"
)

// CustomerPrincipal is the customer a /c/api/ request speaks for. Store is
// the only data store its handlers may touch (the test store for a
// test-mode link); every record they answer must belong to CustomerID.
type CustomerPrincipal struct {
	Store      *store.Store
	Mode       string // "live" or "test"
	CustomerID uint64
	Name       string // the customer's name, for the events they cause
	epoch      uint64
	expires    time.Time
}

// Actor is how the store records the customer's own actions.
func (c *CustomerPrincipal) Actor() store.Actor {
	return store.Actor{Type: store.ActorCustomer, ID: c.CustomerID, Name: c.Name}
}

// customerHandler is a /c/api/ route's handler: the guard has checked the
// session (c is nil on public routes: sign-in).
type customerHandler func(w http.ResponseWriter, r *http.Request, c *CustomerPrincipal) error

// portalRoute is one row of the customer router. Paths are under /c/api.
type portalRoute struct {
	method, path string
	handle       customerHandler
	// public routes need no session (signing in); the rest answer 401
	// without one, which the page takes as "show the sign-in form".
	public bool
	// live is the websocket: no conditional GET, no Cache-Control games.
	live bool
}

// portalRoutes is the customer router's table. Each helper's routes are a
// group of their own: add yours to the list.
func (s *Server) portalRoutes() []portalRoute {
	var all []portalRoute
	for _, group := range [][]portalRoute{
		s.portalAccessRoutes(),
		s.portalDocsRoutes(),
	} {
		all = append(all, group...)
	}
	return all
}

var (
	// errCustomerSignedOut is every request without a working session: no
	// cookie, a forged or expired one, or one whose links were revoked.
	errCustomerSignedOut = newError(http.StatusUnauthorized, "UNAUTHORIZED",
		"You are not signed in (or your link has expired): open the link the shop sent you, or sign in with your ticket number")
	// errCustomerNotFound is the answer for anything not the customer's own.
	errCustomerNotFound = newError(http.StatusNotFound, "NOT_FOUND", "Not found")
)

// customerKeys are the keys of links and of sessions: derived from the seal
// key for two purposes, so a link is never a session cookie nor the reverse.
type customerKeys struct{ link, session []byte }

func newCustomerKeys(sealer *store.Sealer) customerKeys {
	if sealer != nil {
		return customerKeys{link: sealer.DeriveKey("customer-links"), session: sealer.DeriveKey("customer-sessions")}
	}
	k := customerKeys{link: make([]byte, 32), session: make([]byte, 32)} // links die with the process
	rand.Read(k.link)
	rand.Read(k.session)
	return k
}

// bindCustomer mounts /c/api/ (and, in custpage.go, the page and /c/{token}).
func (s *Server) bindCustomer(r *mux.Router) {
	sub := r.PathPrefix(CustomerPrefix).Subrouter()
	for _, rt := range s.portalRoutes() {
		sub.Handle(rt.path, s.customerGuard(rt)).Methods(rt.method)
	}
	allowed := allowedMethods(sub)
	unmatched := s.common(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		methods := allowed(r.URL.Path)
		if len(methods) == 0 {
			fail(w, r, errCustomerNotFound)
			return
		}
		w.Header().Set("Allow", strings.Join(methods, ", "))
		fail(w, r, newError(http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", r.Method+" is not allowed here"))
	}))
	sub.NotFoundHandler, sub.MethodNotAllowedHandler = unmatched, unmatched
	s.bindCustomerPage(r)
}

// customerGuard authenticates a /c/api/ route by its cookie alone (a key or
// a staff session counts for nothing here), refuses cross-origin writes, and
// hands the handler the customer and the store their session names.
func (s *Server) customerGuard(rt portalRoute) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if r.Method != http.MethodGet && r.Method != http.MethodHead && !sameOrigin(r) {
			fail(w, r, newError(http.StatusForbidden, "FORBIDDEN", "Cross-origin request refused"))
			return
		}
		var c *CustomerPrincipal
		if !rt.public {
			var err error
			if c, err = s.customerSession(r); err != nil {
				if errors.Is(err, errCustomerSignedOut) { // a failing store (a 503) keeps the session
					s.clearCustomerCookie(w, r)
				}
				fail(w, r, err)
				return
			}
			r = r.WithContext(store.WithActor(r.Context(), c.Actor()))
		}
		serve := func(w http.ResponseWriter) {
			if err := rt.handle(w, r, c); err != nil {
				fail(w, r, customerError(err))
			}
		}
		if r.Method == http.MethodGet && !rt.live {
			conditional(w, r, serve)
			return
		}
		serve(w)
	})
}

// customerError keeps the 404-not-403 rule whatever a handler returns: a
// refusal never tells a customer that someone else's record exists.
func customerError(err error) error {
	if ae := toAPIError(err); ae != nil && ae.Status == http.StatusForbidden {
		return errCustomerNotFound
	}
	return err
}

// customerSession reads and checks the session cookie: signature, expiry,
// the customer's current link epoch (revoking ends it), the customer still
// existing.
func (s *Server) customerSession(r *http.Request) (*CustomerPrincipal, error) {
	ck, err := r.Cookie(customerCookie)
	if err != nil || ck.Value == "" {
		return nil, errCustomerSignedOut
	}
	claims, err := custlink.Parse(s.custKeys.session, ck.Value, s.cfg.Now())
	if err != nil {
		return nil, errCustomerSignedOut
	}
	return s.customerFromClaims(claims)
}

// customerFromClaims checks claims (a link's or a session's) against the
// store they name: the customer exists and the epoch is current.
func (s *Server) customerFromClaims(claims custlink.Claims) (*CustomerPrincipal, error) {
	st := s.storeFor(store.Mode(claims.Mode))
	if st == nil {
		return nil, errCustomerSignedOut
	}
	epoch, err := st.CustomerLinkEpoch(claims.CustomerID)
	if err != nil || epoch != claims.Epoch {
		if err != nil && !errors.Is(err, store.ErrNotFound) && !isNotFound(err) {
			return nil, err // the store failed: a 503, not "signed out"
		}
		return nil, errCustomerSignedOut
	}
	cust, err := customerRecord(st, claims.CustomerID)
	if err != nil {
		if isNotFound(err) {
			return nil, errCustomerSignedOut
		}
		return nil, err
	}
	return &CustomerPrincipal{Store: st, Mode: claims.Mode, CustomerID: claims.CustomerID, Name: cust.Name,
		epoch: claims.Epoch, expires: claims.Expires}, nil
}

func isNotFound(err error) bool {
	var nf *store.NotFoundError
	return errors.As(err, &nf) || errors.Is(err, store.ErrNotFound)
}

// setCustomerCookie starts a session for claims (epoch and expiry as the
// link or sign-in gave them). Lax, not Strict: the customer arrives from a
// link in an email, and the 303 to /c/ must carry the cookie.
func (s *Server) setCustomerCookie(w http.ResponseWriter, r *http.Request, claims custlink.Claims) {
	http.SetCookie(w, &http.Cookie{
		Name: customerCookie, Value: custlink.Mint(s.custKeys.session, claims), Path: customerCookiePath,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.customerCookieSecure(r, store.Mode(claims.Mode)),
		Expires: claims.Expires, MaxAge: max(1, int(claims.Expires.Sub(s.cfg.Now()).Seconds())),
	})
}

func (s *Server) clearCustomerCookie(w http.ResponseWriter, r *http.Request) {
	if _, err := r.Cookie(customerCookie); err != nil {
		return
	}
	http.SetCookie(w, &http.Cookie{Name: customerCookie, Value: "", Path: customerCookiePath,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil, MaxAge: -1})
}

// customerCookieSecure says whether the customer's browser reached us over
// TLS: our own, or a proxy's in front of us at the shop's https portal_url
// (the request names its host). Behind such a proxy r.TLS is nil, and a
// cookie without Secure would also be sent over plain http to that host.
func (s *Server) customerCookieSecure(r *http.Request, mode store.Mode) bool {
	if r.TLS != nil {
		return true
	}
	shop, err := s.storeFor(mode).Shop()
	if err != nil {
		return false
	}
	u, err := url.Parse(shop.PortalURL)
	return err == nil && u.Scheme == "https" && strings.EqualFold(u.Host, r.Host)
}

// customerRecord reads a customer as the store holds it.
func customerRecord(st *store.Store, id uint64) (store.Customer, error) {
	var c store.Customer
	raw, err := st.Customer(id)
	if err != nil {
		return c, err
	}
	return c, json.Unmarshal(raw, &c)
}
