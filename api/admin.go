package api

import (
	"context"
	"net/http"

	"github.com/gorilla/mux"

	"portal/hooks"
	"portal/store"
)

// AdminHandler serves the admin socket in the data folder. The socket file is
// mode 0600, so whoever can reach it already owns the data folder; it lets the
// CLI act on a store that the running server holds locked.
func (s *Server) AdminHandler() http.Handler {
	r := mux.NewRouter()
	r.Use(s.common)
	handle := func(path, method string, h func(http.ResponseWriter, *http.Request) error) {
		r.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			if err := h(w, r); err != nil {
				fail(w, r, err)
			}
		}).Methods(method)
	}
	handle("/admin/keys", http.MethodGet, func(w http.ResponseWriter, r *http.Request) error {
		keys, err := s.cfg.Live.Keys()
		if err != nil {
			return err
		}
		return ok(w, http.StatusOK, keys)
	})
	handle("/admin/keys", http.MethodPost, func(w http.ResponseWriter, r *http.Request) error {
		var in store.KeyInput
		if err := decode(r, &in); err != nil {
			return err
		}
		k, err := s.cfg.Live.CreateKey(r.Context(), in, s.cfg.Sealer)
		if err != nil {
			return err
		}
		return ok(w, http.StatusCreated, k)
	})
	handle("/admin/keys/{id}/revoke", http.MethodPost, func(w http.ResponseWriter, r *http.Request) error {
		id, err := idParam(r, "id")
		if err != nil {
			return err
		}
		k, err := s.cfg.Live.RevokeKey(r.Context(), id)
		if err != nil {
			return err
		}
		return ok(w, http.StatusOK, k)
	})
	// The live feed of the test store for `portal listen`: whoever can reach
	// the socket owns the data folder, so it needs no key.
	handle("/admin/live", http.MethodGet, func(w http.ResponseWriter, r *http.Request) error {
		return s.live(w, r, &Principal{Type: store.KeyInternal, Name: "portal listen", Tier: "unlimited",
			Mode: store.Test, Scopes: store.AllScopes(), Store: s.cfg.Test})
	})
	// The secret `portal listen` signs with: the same on every run for this data folder.
	handle("/admin/listen-secret", http.MethodGet, func(w http.ResponseWriter, r *http.Request) error {
		secret, err := s.cfg.Test.SealedValue(r.Context(), "listen_secret", s.cfg.Sealer, func() (string, error) {
			return hooks.NewSecret("standard")
		})
		if err != nil {
			return err
		}
		return ok(w, http.StatusOK, map[string]string{"secret": secret})
	})
	handle("/admin/trigger", http.MethodPost, func(w http.ResponseWriter, r *http.Request) error {
		var in struct {
			Event string `json:"event"`
		}
		if err := decode(r, &in); err != nil {
			return err
		}
		id, err := TriggerSample(r.Context(), s.cfg.Test, in.Event)
		if err != nil {
			return err
		}
		return ok(w, http.StatusCreated, map[string]string{"event_id": id, "event": in.Event})
	})
	// `portal backup` while the server holds the stores: the same archive as GET /api/v1/backup.
	handle("/admin/backup", http.MethodGet, s.streamBackup)
	return r
}

// TriggerSample appends a sample event to s's log (the test store's, for
// `portal trigger`), from where it flows to webhooks and the live feed.
func TriggerSample(ctx context.Context, s *store.Store, name string) (string, error) {
	if !store.KnownEvent(name) {
		return "", validation("event", "is not an event name; see API.md's Events table")
	}
	return s.AppendSampleEvent(ctx, name, hooks.SampleData(name))
}
