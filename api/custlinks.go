package api

import (
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"portal/internal/custlink"
	"portal/store"
)

// Staff make and revoke a customer's magic links. A link is a signed token
// (internal/custlink) naming the store of whoever made it — a test-mode key
// or the console in test mode makes a link that reads test.db only — the
// customer, their current link epoch and an expiry (the shop's
// portal_link_days). The appliance keeps no list of links: revoking bumps
// the epoch, which kills every link and every session made from one.

// portalLinkScopes are what a customer's page reaches: their tickets,
// payments, files and quotes, and accepting a quote (which adds lines to
// the ticket). A link gives its holder all of that, so making one, or
// choosing where links and customer emails point (the shop's portal_url,
// its mail server), needs every one of them.
var portalLinkScopes = []string{"customers.write", "tickets.read", "tickets.write", "payments.read", "files.read", "proposals.read", "proposals.write"}

func (s *Server) portalLinkRoutes() []route {
	const res = "customers"
	return []route{
		{method: "POST", path: "/customers/{id}/portal-link", scope: writeScope(res), also: portalLinkScopes[1:], handle: s.createPortalLink, status: http.StatusCreated,
			summary: "Make the customer's magic link to their page /c/ (lasts the shop's portal_link_days)", out: portalLinkView{}},
		{method: "DELETE", path: "/customers/{id}/portal-link", scope: writeScope(res), handle: s.revokePortalLinks,
			summary: "Revoke every link of the customer and end their signed-in pages (records customer.portal_link_revoked)", out: revokedLinks{}},
	}
}

// portalLinkView is a new link.
type portalLinkView struct {
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

// revokedLinks confirms a revocation.
type revokedLinks struct {
	CustomerID uint64 `json:"customer_id"`
	Revoked    bool   `json:"revoked"`
}

func (s *Server) createPortalLink(w http.ResponseWriter, r *http.Request, p *Principal) error {
	link, err := s.newPortalLink(r, p)
	if err != nil {
		return err
	}
	return ok(w, http.StatusCreated, link)
}

// newPortalLink makes a link for the customer in the path, starting with
// the shop's portal_url when set, else with this request's own address.
func (s *Server) newPortalLink(r *http.Request, p *Principal) (portalLinkView, error) {
	id, err := idParam(r, "id")
	if err != nil {
		return portalLinkView{}, err
	}
	token, exp, err := s.mintPortalLink(p.Store, string(p.Mode), id)
	if err != nil {
		return portalLinkView{}, err
	}
	base, err := portalBase(p.Store, requestBase(r))
	if err != nil {
		return portalLinkView{}, err
	}
	return portalLinkView{URL: base + "/c/" + token, ExpiresAt: exp}, nil
}

func (s *Server) revokePortalLinks(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	if _, err := p.Store.RevokeCustomerLinks(r.Context(), id); err != nil {
		return err
	}
	return ok(w, http.StatusOK, revokedLinks{CustomerID: id, Revoked: true})
}

// mintPortalLink signs a link for a customer of st (404 when there is none).
func (s *Server) mintPortalLink(st *store.Store, mode string, customerID uint64) (string, time.Time, error) {
	epoch, err := st.CustomerLinkEpoch(customerID)
	if err != nil {
		return "", time.Time{}, err
	}
	shop, err := st.Shop()
	if err != nil {
		return "", time.Time{}, err
	}
	exp := s.cfg.Now().Add(time.Duration(shop.PortalLinkDays) * 24 * time.Hour).UTC().Truncate(time.Second)
	return custlink.Mint(s.custKeys.link, custlink.Claims{Mode: mode, CustomerID: customerID, Epoch: epoch, Expires: exp}), exp, nil
}

// PortalLink makes a customer's magic link outside any request: the emails
// put it in their messages (main hands it to mail/ as a callback). mode is
// "live" or "test"; the URL starts with the base SetPublicBase was given.
func (s *Server) PortalLink(mode string, customerID uint64) (string, time.Time, error) {
	if mode != string(store.Live) && mode != string(store.Test) {
		return "", time.Time{}, validation("mode", "must be live or test")
	}
	st := s.storeFor(store.Mode(mode))
	token, exp, err := s.mintPortalLink(st, mode, customerID)
	if err != nil {
		return "", time.Time{}, err
	}
	base, err := portalBase(st, s.publicBase())
	if err != nil {
		return "", time.Time{}, err
	}
	return base + "/c/" + token, exp, nil
}

// portalBase is where customers' links start: the shop's portal_url when
// it set one, else fallback.
func portalBase(st *store.Store, fallback string) (string, error) {
	shop, err := st.Shop()
	if err != nil {
		return "", err
	}
	if shop.PortalURL != "" {
		return shop.PortalURL, nil
	}
	return fallback, nil
}

// SetPublicBase is the scheme and host links outside a request start with
// (http://shop.local:8080); serve sets it once it listens.
func (s *Server) SetPublicBase(base string) {
	base = strings.TrimRight(base, "/")
	s.base.Store(&base)
}

func (s *Server) publicBase() string {
	if b := s.base.Load(); b != nil {
		return *b
	}
	return "http://localhost"
}

// publicBaseHolder is the Server field SetPublicBase fills.
type publicBaseHolder = atomic.Pointer[string]

// requestBase is the scheme and host the request came to, as the signed
// file URLs use.
func requestBase(r *http.Request) string {
	u := url.URL{Scheme: "http", Host: requestHost(r)}
	if r.TLS != nil {
		u.Scheme = "https"
	}
	return u.String()
}
