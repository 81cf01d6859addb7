package api

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"portal/store"
)

// Principal is who is asking: an API key, or a staff member's console session.
type Principal struct {
	KeyID  uint64 // 0 for sessions
	Type   store.KeyType
	Name   string
	Tier   string
	Mode   store.Mode
	UserID uint64
	// PluginID is the installed plugin a plugin key belongs to ("" otherwise).
	PluginID string
	Scopes   []string // a short list, read without building a set per request
	// Session is true for console requests authenticated by cookie.
	Session bool
	// Store is the only data store this principal's handlers may touch.
	Store *store.Store
}

// Can reports whether the principal holds scope.
func (p *Principal) Can(scope string) bool { return slices.Contains(p.Scopes, scope) }

// lacking is the first of scopes the principal does not hold, or "".
func (p *Principal) lacking(scopes []string) string {
	for _, sc := range scopes {
		if !p.Can(sc) {
			return sc
		}
	}
	return ""
}

// covers reports whether the principal holds every one of scopes.
func (p *Principal) covers(scopes []string) bool {
	for _, sc := range scopes {
		if !p.Can(sc) {
			return false
		}
	}
	return true
}

// actor names the principal as the store records it: a staff member for
// console sessions, the key otherwise, the appliance for the admin socket.
func (p *Principal) actor() store.Actor {
	switch {
	case p.Session:
		return store.Actor{Type: store.ActorUser, ID: p.UserID, Name: p.Name}
	case p.PluginID != "":
		// A plugin is its key, under the plugin's name: "by <plugin name>".
		return store.Actor{Type: store.ActorPlugin, ID: p.KeyID, Name: p.Name}
	case p.KeyID != 0:
		return store.Actor{Type: store.ActorKey, ID: p.KeyID, Name: p.Name}
	}
	return store.System
}

// hasOwnerPower: every scope there is, as the owner's role and internal
// keys have; plugin and developer keys never count, whatever they were granted.
func (p *Principal) hasOwnerPower() bool {
	return p.Type != store.KeyPlugin && p.Type != store.KeyDeveloper && p.covers(store.AllScopes())
}

// editor is the principal changing a webhook, with what it holds now.
func (p *Principal) editor() store.Editor {
	return store.Editor{Actor: p.actor(), Scopes: p.Scopes}
}

// author names the principal on notes and in logs.
func (p *Principal) author() string {
	if p.Session || p.PluginID != "" {
		return p.Name // a plugin's notes read "by <plugin name>"
	}
	return p.Name + " (API key)"
}

const sessionCookie = "portal_session"

// presentedKey reads the key from Authorization: Bearer or X-API-Key.
func presentedKey(r *http.Request) string {
	if scheme, v, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
		return strings.TrimSpace(v)
	}
	return strings.TrimSpace(r.Header.Get("X-API-Key"))
}

// keyPrincipal is who an API key speaks for, with the store its mode sees.
func (s *Server) keyPrincipal(k store.APIKey) *Principal {
	return &Principal{KeyID: k.ID, Type: k.Type, Name: k.Name, Tier: k.Tier, Mode: k.Mode,
		UserID: k.UserID, PluginID: k.PluginID, Scopes: k.Scopes, Store: s.storeFor(k.Mode)}
}

// authenticate resolves the request's principal, or returns errUnauthorized.
func (s *Server) authenticate(r *http.Request) (*Principal, error) {
	if secret := presentedKey(r); secret != "" {
		k, err := s.cfg.Live.Authenticate(secret)
		if err != nil {
			return nil, errUnauthorized
		}
		return s.keyPrincipal(k), nil
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, errUnauthorized
	}
	u, err := s.cfg.Live.SessionUser(c.Value)
	if err != nil {
		return nil, newError(http.StatusUnauthorized, "UNAUTHORIZED", "Your session has ended; sign in again")
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead && !sameOrigin(r) {
		return nil, newError(http.StatusForbidden, "FORBIDDEN", "Cross-origin request refused")
	}
	mode := store.Live
	if r.Header.Get("Portal-Mode") == string(store.Test) || liveInTestMode(r) {
		mode = store.Test
	}
	p := &Principal{Type: "session", Name: u.Name, Tier: "unlimited", Mode: mode, UserID: u.ID,
		Scopes: store.RoleScopes(u.Role), Session: true}
	p.Store = s.storeFor(mode)
	return p, nil
}

// liveInTestMode: a browser cannot set headers on a websocket, so the
// console's live feed names the test store in its query instead.
func liveInTestMode(r *http.Request) bool {
	return r.URL.Path == APIPrefix+"/live" && r.URL.Query().Get("mode") == string(store.Test)
}

// sameOrigin checks that a cookie-authenticated write comes from our own pages.
func sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return false
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host == r.Host
}
