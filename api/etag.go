package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
)

// Conditional GET (API.md "Lists"): every record and list answer carries an
// ETag, a hash of its exact bytes, and If-None-Match with it answers 304
// with no body, so a poller that finds nothing new costs a hash, not a
// download. The answer is built in memory first; JSON answers are small
// (a page is at most 200 records), and downloads and the websocket are not
// buffered.

type etagWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (e *etagWriter) WriteHeader(code int) {
	if e.status == 0 {
		e.status = code
	}
}

func (e *etagWriter) Write(b []byte) (int, error) {
	if e.status == 0 {
		e.status = http.StatusOK
	}
	return e.body.Write(b)
}

// conditional runs h with its answer held back, then sends it with an ETag,
// or 304 when the client's copy is current. Only successful answers get one.
func conditional(w http.ResponseWriter, r *http.Request, h func(w http.ResponseWriter)) {
	ew := &etagWriter{ResponseWriter: w}
	h(ew)
	if ew.status == 0 {
		ew.status = http.StatusOK
	}
	if ew.status == http.StatusOK {
		sum := sha256.Sum256(ew.body.Bytes())
		tag := `"` + hex.EncodeToString(sum[:16]) + `"`
		w.Header().Set("ETag", tag)
		if noneMatch(r.Header.Get("If-None-Match"), tag) {
			h := w.Header()
			h.Del("Content-Type")
			h.Del("Content-Length")
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	w.WriteHeader(ew.status)
	w.Write(ew.body.Bytes())
}

// noneMatch reports whether an If-None-Match header names tag (weak
// comparison, as RFC 9110 asks for this header) or is "*".
func noneMatch(header, tag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == tag {
			return true
		}
	}
	return false
}
