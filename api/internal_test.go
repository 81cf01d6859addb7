package api

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The 500 rows of API.md's table cannot be reached through a healthy server,
// so these tests drive the real middleware and error writer directly.

func checkInternalError(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", rec.Code)
	}
	var env struct {
		Success bool     `json:"success"`
		Error   apiError `json:"error"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil {
		t.Fatal(err)
	}
	id := rec.Header().Get("X-Request-Id")
	if env.Success || env.Error.Code != "INTERNAL_ERROR" || env.Error.Status != 500 || id == "" ||
		!strings.Contains(env.Error.Message, id) {
		t.Errorf("500 answered %s with request id %q", rec.Body, id)
	}
}

func TestUnexpectedErrorIsInternalErrorNamingTheRequestID(t *testing.T) {
	s := New(Config{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	h := s.common(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fail(w, r, errors.New("disk on fire")) // never shown to the client
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/tickets", nil))
	checkInternalError(t, rec)
	if strings.Contains(rec.Body.String(), "disk on fire") {
		t.Error("the internal error leaked to the client")
	}
}

func TestPanicIsRecoveredAsInternalError(t *testing.T) {
	s := New(Config{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	h := s.common(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("nil map") }))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/tickets", nil))
	checkInternalError(t, rec)
}
