package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"portal/store"
)

// The console's only endpoints outside /api/v1: first-start setup, sign-in,
// sign-out and the current session. Everything else the UI does goes through
// /api/v1 with its session cookie.
func (s *Server) bindSession(r *mux.Router) {
	r.Handle("/auth/setup", s.sessionHandler(s.completeSetup)).Methods(http.MethodPost)
	r.Handle("/auth/signin", s.sessionHandler(s.signIn)).Methods(http.MethodPost)
	r.Handle("/auth/signout", s.sessionHandler(s.signOut)).Methods(http.MethodPost)
	r.Handle("/auth/session", s.sessionHandler(s.currentSession)).Methods(http.MethodGet)
	r.Handle("/auth/accept-invite", s.sessionHandler(s.acceptInvite)).Methods(http.MethodPost)
	r.Handle("/auth/invitation", s.sessionHandler(s.invitation)).Methods(http.MethodPost)
}

func (s *Server) sessionHandler(h func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && !sameOrigin(r) {
			fail(w, r, newError(http.StatusForbidden, "FORBIDDEN", "Cross-origin request refused"))
			return
		}
		if err := h(w, r); err != nil {
			fail(w, r, err)
		}
	})
}

type sessionView struct {
	User    store.User `json:"user"`
	Scopes  []string   `json:"scopes"`
	Sandbox bool       `json:"sandbox"`
	// TLSFingerprint lets staff check the certificate their browser was
	// shown (a self-signed one says nothing by itself); absent over HTTP.
	TLSFingerprint string `json:"tls_fingerprint,omitempty"`
}

func (s *Server) sessionView(u store.User) sessionView {
	v := sessionView{User: u, Scopes: store.RoleScopes(u.Role), Sandbox: s.cfg.Sandbox}
	if s.cfg.TLSFingerprint != nil {
		v.TLSFingerprint = s.cfg.TLSFingerprint()
	}
	return v
}

func (s *Server) setSessionCookie(w http.ResponseWriter, r *http.Request, token string, ttl time.Duration) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: token, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: r.TLS != nil, MaxAge: int(ttl.Seconds()),
	})
}

func (s *Server) completeSetup(w http.ResponseWriter, r *http.Request) error {
	var in store.SetupInput
	if err := decode(r, &in); err != nil {
		return err
	}
	token, u, err := s.cfg.Live.CompleteSetup(r.Context(), in)
	if err != nil {
		return err
	}
	s.setSessionCookie(w, r, token, store.SessionTTL)
	return ok(w, http.StatusOK, s.sessionView(u))
}

type signInInput struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

func (s *Server) signIn(w http.ResponseWriter, r *http.Request) error {
	var in signInInput
	if err := decode(r, &in); err != nil {
		return err
	}
	if left := s.signins.begin(in.Email); left > 0 {
		secs := int(left.Seconds()) + 1
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		return newError(http.StatusTooManyRequests, "RATE_LIMITED",
			fmt.Sprintf("Too many wrong passwords for this email; try again in %d minutes", (secs+59)/60))
	}
	token, u, err := s.cfg.Live.SignIn(r.Context(), in.Email, in.Password)
	s.signins.end(in.Email, err == nil)
	if errors.Is(err, store.ErrBadCredentials) {
		return newError(http.StatusUnauthorized, "UNAUTHORIZED", "Wrong email or password")
	}
	if err != nil {
		return err
	}
	s.setSessionCookie(w, r, token, store.SessionTTL)
	return ok(w, http.StatusOK, s.sessionView(u))
}

func (s *Server) signOut(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if err := s.cfg.Live.EndSession(r.Context(), c.Value); err != nil {
			return err
		}
	}
	s.setSessionCookie(w, r, "", -time.Second)
	return ok(w, http.StatusOK, map[string]bool{"signed_out": true})
}

func (s *Server) currentSession(w http.ResponseWriter, r *http.Request) error {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return errUnauthorized
	}
	u, err := s.cfg.Live.SessionUser(c.Value)
	if err != nil {
		return newError(http.StatusUnauthorized, "UNAUTHORIZED", "Not signed in")
	}
	return ok(w, http.StatusOK, s.sessionView(u))
}

type acceptInput struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}

// invitation tells the invite page who is invited to which shop. The token
// travels in a POST body, never in a URL a log could keep.
func (s *Server) invitation(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Token string `json:"token"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	u, err := s.cfg.Live.Invitee(in.Token)
	if err != nil {
		return err
	}
	shop, err := s.cfg.Live.Shop()
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, map[string]string{"name": u.Name, "email": u.Email, "shop": shop.Name})
}

// acceptInvite sets an invited staff member's password and signs them in.
func (s *Server) acceptInvite(w http.ResponseWriter, r *http.Request) error {
	var in acceptInput
	if err := decode(r, &in); err != nil {
		return err
	}
	token, u, err := s.cfg.Live.AcceptInvite(r.Context(), in.Token, in.Password)
	if err != nil {
		return err
	}
	s.setSessionCookie(w, r, token, store.SessionTTL)
	return ok(w, http.StatusOK, s.sessionView(u))
}
