package api

import (
	"net/http"
	"time"

	"portal/store"
)

// backupRoutes: the owner's "Download backup". The archive is a file, not an
// envelope; only errors before its first byte are JSON.
func (s *Server) backupRoutes() []route {
	return []route{
		{method: http.MethodGet, path: "/backup", scope: store.BackupScope, handle: s.downloadBackup,
			summary: "Download a backup of the whole appliance (both stores and the seal key) as tar + gzip",
			file:    "application/gzip", liveOnly: true},
	}
}

// downloadBackup: the archive holds the live store, so the route is liveOnly.
func (s *Server) downloadBackup(w http.ResponseWriter, r *http.Request, p *Principal) error {
	return s.streamBackup(w, r)
}

// streamBackup sends the archive as a download while it is being written.
// A failure before the first byte is the usual error envelope; after it,
// the connection is cut, so the client sees a broken download rather than
// a short file that looks complete.
func (s *Server) streamBackup(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Backup == nil {
		return newError(http.StatusNotFound, "NOT_FOUND", "This server does not make backups")
	}
	name := store.ArchiveName(s.cfg.Now())
	// A download must not hold the read transactions, and so the stores'
	// closing, past the server's shutdown: it breaks off when serving ends.
	wasReady := s.ready.Load()
	out := &startOnWrite{w: w, rc: http.NewResponseController(w), stopped: func() bool { return wasReady && !s.ready.Load() }, start: func() {
		h := w.Header()
		h.Set("Content-Type", "application/gzip")
		h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusOK)
	}}
	err := s.cfg.Backup(r.Context(), out)
	if err == nil || !out.started {
		return err
	}
	s.cfg.Log.Error("backup download broke off", "request_id", w.Header().Get("X-Request-Id"), "err", err)
	panic(http.ErrAbortHandler)
}

// startOnWrite sends the response's headers at the first write.
type startOnWrite struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	start   func()
	stopped func() bool
	started bool
}

// backupWriteWait bounds each write of a download: a client that stops
// reading (a paused download) would otherwise hold the stores' read
// transaction, and with it bbolt's page reuse and the stores' closing.
const backupWriteWait = 30 * time.Second

var errShuttingDown = newError(http.StatusServiceUnavailable, "UNAVAILABLE", "Portal is shutting down; retry shortly")

func (o *startOnWrite) Write(p []byte) (int, error) {
	if o.stopped() {
		return 0, errShuttingDown
	}
	if !o.started {
		o.started = true
		o.start()
	}
	o.rc.SetWriteDeadline(time.Now().Add(backupWriteWait)) // not every writer supports it; the admin socket's does
	return o.w.Write(p)
}
