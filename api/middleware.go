package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"runtime/debug"
	"strconv"

	"portal/store"
)

func requestIDPrefix() string {
	b := make([]byte, 4)
	rand.Read(b)
	return "req_" + hex.EncodeToString(b)
}

// common wraps every route: a request id, panic recovery and the body limit.
func (s *Server) common(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := s.reqPfx + strconv.FormatUint(s.reqSeq.Add(1), 36)
		w.Header().Set("X-Request-Id", id)
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.cfg.Log.Error("panic", "request_id", id, "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				fail(w, r, fmt.Errorf("panic: %v", v))
			}
		}()
		limit := s.bodyLimit(r)
		if r.ContentLength > limit {
			fail(w, r, tooLarge(limit))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), loggerKey{}, s.cfg.Log)))
	})
}

// guard authenticates, charges the rate limit, then checks the route's scope.
func (s *Server) guard(rt route) http.Handler {
	inner := s.guarded(rt)
	porter, list := porterKey(rt), rt.list != nil
	if porter == "" {
		return inner
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !porterAsked(r) {
			inner.ServeHTTP(w, r)
			return
		}
		if list && !r.URL.Query().Has("per_page") {
			r = r.Clone(r.Context())
			q := r.URL.Query()
			q.Set("per_page", strconv.Itoa(porterPerPage)) // Porter's page size
			r.URL.RawQuery = q.Encode()
		}
		pw := newPorterWriter(w, porter) // Porter's shape for X-API-Key callers (porter.go)
		inner.ServeHTTP(pw, r)
		pw.flush() // not after a panic: common answers that one
	})
}

// guarded is guard in our envelope.
func (s *Server) guarded(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.authenticate(r)
		if err != nil {
			fail(w, r, err)
			return
		}
		// Every request of a key counts, refused ones too, and says so in its headers.
		if !s.limiter.allow(w, p.KeyID, p.Tier) {
			fail(w, r, newError(http.StatusTooManyRequests, "RATE_LIMITED",
				"Rate limit exceeded for this key; retry after "+w.Header().Get("Retry-After")+" s"))
			return
		}
		if rt.scope != "" && !p.Can(rt.scope) {
			fail(w, r, forbidden(rt.scope))
			return
		}
		if lack := p.lacking(rt.also); lack != "" {
			fail(w, r, forbidden(lack))
			return
		}
		if rt.liveOnly && p.Mode != store.Live {
			fail(w, r, errLiveOnly)
			return
		}
		if rt.ownerOnly && !p.hasOwnerPower() {
			fail(w, r, errOwnerOnly)
			return
		}
		if rt.approval && !p.Session && p.Type != store.KeyInternal {
			fail(w, r, errApproval)
			return
		}
		ctx := store.WithActor(r.Context(), p.actor())
		r = r.WithContext(ctx)
		serve := func(w http.ResponseWriter) {
			if err := rt.handle(w, r, p); err != nil {
				fail(w, r, err)
			}
		}
		if r.Method == http.MethodGet && rt.file == "" && rt.scope != "live" {
			conditional(w, r, serve)
			return
		}
		serve(w)
	})
}
