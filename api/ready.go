package api

import (
	"errors"
	"net/http"

	"portal/store"
)

// readyz is the readiness probe: 200 {"status":"ready"} once the server is
// serving and both stores take writes; 503 with a reason otherwise. It
// reads flags only, no I/O, so it can be asked often. /healthz stays the
// liveness probe: a full disk makes Portal not ready, not dead.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if !s.ready.Load() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "starting",
			"reason": "the server is starting or shutting down"})
		return
	}
	for _, st := range []*store.Store{s.cfg.Live, s.cfg.Test} {
		if st == nil {
			continue
		}
		if err := st.Ready(); err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not ready",
				"reason": string(st.Mode()) + " store: " + notReadyReason(err)})
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// notReadyReason names what is wrong without the OS's message, which would
// tell anyone who asks where the data folder is.
func notReadyReason(err error) string {
	switch {
	case errors.Is(err, store.ErrClosed):
		return store.ErrClosed.Error()
	case errors.Is(err, store.ErrUnavailable):
		return store.ErrUnavailable.Error() + " (the last commit failed; it recovers after the next one succeeds)"
	}
	return "unavailable"
}
