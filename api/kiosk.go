package api

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	"portal/store"
)

// The visitor kiosk: an owner makes a kiosk for a location (POST /kiosks,
// live store only, since a kiosk is a device credential like a key), the
// /kiosk page trades the pairing code for an HttpOnly cookie, and from then on
// the page uses only the /kiosk/* routes. Those take that cookie and nothing
// else — an API key is refused, a staff session counts for nothing — and
// each answers only what the screen shows, for the kiosk's own location.

// kioskCookie holds a paired kiosk's token. Its path keeps it off every
// other route: the browser sends it to the kiosk routes only.
const (
	kioskCookie     = "portal_kiosk"
	kioskCookiePath = APIPrefix + "/kiosk"
	kioskCookieTTL  = 400 * 24 * time.Hour // browsers cap a cookie's life at 400 days
)

// Kiosk limits: a kiosk's requests per minute (a tier's name), and wrong
// codes a minute — per kiosk for visitor codes, per address for pairing codes.
const (
	kioskTier        = "paid" // 120 a minute: a busy lobby types far less
	kioskWrongCodes  = 5
	kioskGuardMemory = 10_000 // addresses and kiosks remembered at most
)

var (
	errKioskKey = newError(http.StatusForbidden, "FORBIDDEN",
		"Kiosk routes take a paired kiosk's cookie only, never an API key")
	errKioskTestMode = newError(http.StatusForbidden, "FORBIDDEN",
		"Kiosks work on the live store only: the console's test mode cannot use kiosk routes")
	errKioskUnpaired = newError(http.StatusUnauthorized, "UNAUTHORIZED",
		"This screen is not paired as a kiosk (or its kiosk was revoked): pair it with a new code from the owner")
)

// kioskState is the server's memory of kiosk requests: a rate limiter per
// kiosk and the wrong-code counters.
type kioskState struct {
	limiter *rateLimiter
	wrong   *failGuard
}

func newKioskState(now func() time.Time) *kioskState {
	return &kioskState{limiter: newRateLimiter(now), wrong: newFailGuard(now, time.Minute, kioskWrongCodes, kioskGuardMemory)}
}

func (s *Server) kioskRoutes() []route {
	return append([]route{
		{method: "GET", path: "/kiosks", scope: readScope("visitors"), handle: s.listKiosks, summary: "List the visitor kiosks (the owner only; never their codes)",
			out: []store.Kiosk{}, list: &listSpec{}, liveOnly: true, ownerOnly: true},
		{method: "POST", path: "/kiosks", scope: writeScope("visitors"), handle: s.createKiosk, status: http.StatusCreated,
			summary: "Create a visitor kiosk for a location; the pairing code (valid 24 h, once) is shown in this response only",
			in:      store.KioskInput{}, out: newKioskView{}, liveOnly: true, ownerOnly: true},
		{method: "DELETE", path: "/kiosks/{id}", scope: writeScope("visitors"), handle: s.revokeKiosk, summary: "Revoke a kiosk; its next request is refused",
			out: store.Kiosk{}, liveOnly: true, ownerOnly: true},

		{method: "POST", path: "/kiosk/pair", handle: s.pairKiosk, kiosk: true, liveOnly: true, in: pairInput{}, out: store.KioskScreen{},
			summary: "Pair this browser as a kiosk with a pairing code: sets the kiosk cookie (no key; 5 wrong codes a minute per address)"},
		{method: "GET", path: "/kiosk/session", handle: s.kioskSession, kiosk: true, liveOnly: true, out: store.KioskScreen{},
			summary: "What the paired kiosk's welcome screen shows (kiosk cookie)"},
	}, s.kioskDeskRoutes()...)
}

type newKioskView struct {
	Kiosk       store.Kiosk `json:"kiosk"`
	PairingCode string      `json:"pairing_code"`
}

func (s *Server) listKiosks(w http.ResponseWriter, r *http.Request, p *Principal) error {
	list, err := s.cfg.Live.Kiosks()
	if err != nil {
		return err
	}
	return okSlice(w, r, list)
}

func (s *Server) createKiosk(w http.ResponseWriter, r *http.Request, p *Principal) error {
	var in store.KioskInput
	if err := decode(r, &in); err != nil {
		return err
	}
	k, code, err := s.cfg.Live.CreateKiosk(r.Context(), in)
	if err != nil {
		return err
	}
	return ok(w, http.StatusCreated, newKioskView{Kiosk: k, PairingCode: code})
}

func (s *Server) revokeKiosk(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	k, err := s.cfg.Live.RevokeKiosk(r.Context(), id)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, k)
}

// kioskKey carries the paired kiosk in a kiosk route's context.
type kioskKey struct{}

func kioskOf(r *http.Request) store.Kiosk {
	k, _ := r.Context().Value(kioskKey{}).(store.Kiosk)
	return k
}

// kioskGuard authenticates a kiosk route: no key, not in test mode, writes
// from our own pages only, and (but for pairing) a paired kiosk's cookie,
// charged to that kiosk's rate limit.
func (s *Server) kioskGuard(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case presentedKey(r) != "":
			fail(w, r, errKioskKey)
			return
		case r.Header.Get("Portal-Mode") == string(store.Test):
			fail(w, r, errKioskTestMode)
			return
		case r.Method != http.MethodGet && r.Method != http.MethodHead && !sameOrigin(r):
			fail(w, r, newError(http.StatusForbidden, "FORBIDDEN", "Cross-origin request refused"))
			return
		}
		p := &Principal{Type: "kiosk", Name: "kiosk", Mode: store.Live, Store: s.cfg.Live}
		ctx := r.Context()
		if rt.path != "/kiosk/pair" {
			c, err := r.Cookie(kioskCookie)
			if err != nil || c.Value == "" {
				fail(w, r, errKioskUnpaired)
				return
			}
			k, err := s.cfg.Live.KioskByToken(c.Value)
			if err != nil {
				if errors.Is(err, store.ErrBadKey) {
					s.setKioskCookie(w, r, "", -time.Second) // the page is back to pairing
					err = errKioskUnpaired
				}
				fail(w, r, err)
				return
			}
			if !s.kiosks.limiter.allow(w, k.ID, kioskTier) {
				fail(w, r, newError(http.StatusTooManyRequests, "RATE_LIMITED",
					"Too many requests from this kiosk; retry after "+w.Header().Get("Retry-After")+" s"))
				return
			}
			p.Name = k.Name
			ctx = context.WithValue(ctx, kioskKey{}, k)
			ctx = store.WithActor(ctx, store.Actor{Type: store.ActorKiosk, ID: k.ID, Name: k.Name})
		}
		r = r.WithContext(ctx)
		serve := func(w http.ResponseWriter) {
			w.Header().Set("Cache-Control", "no-store")
			if err := rt.handle(w, r, p); err != nil {
				fail(w, r, err)
			}
		}
		if r.Method == http.MethodGet {
			conditional(w, r, serve)
			return
		}
		serve(w)
	})
}

func (s *Server) setKioskCookie(w http.ResponseWriter, r *http.Request, token string, ttl time.Duration) {
	http.SetCookie(w, &http.Cookie{
		Name: kioskCookie, Value: token, Path: kioskCookiePath, HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: r.TLS != nil, MaxAge: int(ttl.Seconds()),
	})
}

type pairInput struct {
	Code string `json:"code"`
}

// pairKiosk trades a pairing code for the kiosk cookie. Wrong codes are
// limited per client address; the code has 40 random bits and lives a day.
func (s *Server) pairKiosk(w http.ResponseWriter, r *http.Request, _ *Principal) error {
	var in pairInput
	if err := decode(r, &in); err != nil {
		return err
	}
	code := store.NormalizePairingCode(in.Code)
	if code == "" {
		return validation("code", "is required: the pairing code the owner was shown")
	}
	guard := "pair " + guessKey(r)
	if err := s.kiosks.wrong.take(w, guard, "pairing codes from this address"); err != nil {
		return err
	}
	k, token, err := s.cfg.Live.PairKiosk(r.Context(), code)
	if errors.Is(err, store.ErrBadPairingCode) {
		return newError(http.StatusUnauthorized, "UNAUTHORIZED",
			"That pairing code is unknown, used or expired; ask the owner for a new one")
	}
	if err != nil {
		return err
	}
	s.kiosks.wrong.refund(guard)
	screen, err := s.cfg.Live.KioskScreen(k)
	if err != nil {
		return err
	}
	s.setKioskCookie(w, r, token, kioskCookieTTL)
	return ok(w, http.StatusOK, screen)
}

func (s *Server) kioskSession(w http.ResponseWriter, r *http.Request, _ *Principal) error {
	screen, err := s.cfg.Live.KioskScreen(kioskOf(r))
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, screen)
}

// clientAddress is the address a request came from (the appliance is
// reached directly, never through a proxy it would have to trust).
func clientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// kioskFirstName is how the screen greets someone: never their full name.
func kioskFirstName(name string) string {
	first, _, _ := strings.Cut(strings.TrimSpace(name), " ")
	return first
}
