package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"portal/store"
)

// apiError is the one error shape every response uses.
type apiError struct {
	Code    string             `json:"code"`
	Message string             `json:"message"`
	Status  int                `json:"status"`
	Details []store.FieldError `json:"details,omitempty"`
	// Errors are a CSV import's bad rows (csv_import.go).
	Errors []rowError `json:"errors,omitempty"`
}

func (e *apiError) Error() string { return e.Message }

func newError(status int, code, msg string) *apiError {
	return &apiError{Code: code, Message: msg, Status: status}
}

var (
	errUnauthorized = newError(http.StatusUnauthorized, "UNAUTHORIZED", "Missing, unknown or revoked API key")
	errTooLarge     = tooLarge(maxBody)
	errRouteMissing = newError(http.StatusNotFound, "NOT_FOUND", "No such route")
	errOwnerOnly    = newError(http.StatusForbidden, "FORBIDDEN", "Only the shop's owner (or an internal key) may do this")
	errApproval     = newError(http.StatusForbidden, "FORBIDDEN", "Only the owner, signed in to the console, or an internal key may approve this")
	errLiveOnly     = newError(http.StatusForbidden, "FORBIDDEN",
		"This route reaches the live appliance (API keys, backups): test-mode keys and the console's test mode cannot use it")
)

// tooLarge refuses a body over limit bytes (a whole number of MiB).
func tooLarge(limit int64) *apiError {
	return newError(http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE", fmt.Sprintf("Request body is larger than %d MiB", limit>>20))
}

func forbidden(scope string) *apiError {
	return newError(http.StatusForbidden, "FORBIDDEN", "This key lacks the "+scope+" scope")
}

func validation(field, msg string) *apiError {
	return &apiError{Code: "VALIDATION_ERROR", Message: "Invalid " + field + ": " + msg,
		Status: http.StatusUnprocessableEntity, Details: []store.FieldError{{Field: field, Message: msg}}}
}

// toAPIError maps domain errors to the contract's codes in one place.
func toAPIError(err error) *apiError {
	var ae *apiError
	var ve *store.ValidationError
	var ce *store.ConflictError
	var nf *store.NotFoundError
	var fe *store.ForbiddenError
	var ge *store.GoneError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &fe):
		return newError(http.StatusForbidden, "FORBIDDEN", fe.Msg)
	case errors.As(err, &ve):
		msg := "Invalid input"
		if len(ve.Fields) > 0 {
			msg = "Invalid " + ve.Fields[0].Field + ": " + ve.Fields[0].Message
		}
		return &apiError{Code: "VALIDATION_ERROR", Message: msg, Status: http.StatusUnprocessableEntity, Details: ve.Fields}
	case errors.As(err, &nf):
		return newError(http.StatusNotFound, "NOT_FOUND", capitalize(nf.What)+" not found")
	case errors.Is(err, store.ErrNotFound):
		return newError(http.StatusNotFound, "NOT_FOUND", "Not found")
	case errors.As(err, &ce):
		return newError(http.StatusConflict, "CONFLICT", capitalize(ce.Msg))
	case errors.As(err, &ge):
		return newError(http.StatusGone, "GONE", capitalize(ge.Error()))
	case errors.Is(err, store.ErrClosed):
		return newError(http.StatusServiceUnavailable, "UNAVAILABLE", "Portal is shutting down; retry shortly")
	case errors.Is(err, store.ErrUnavailable):
		return newError(http.StatusServiceUnavailable, "UNAVAILABLE",
			"Portal could not save this: its data folder is full or not writable. Nothing was changed; "+
				"free some disk space and retry (Portal recovers by itself)")
	}
	return nil
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// writeJSON writes v with a status; encoding failures are logged, never hidden.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// A value we cannot encode is a bug: common's recovery logs it with
		// the request id and answers 500.
		panic(fmt.Errorf("encode response: %w", err))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

type envelope struct {
	Success bool      `json:"success"`
	Data    any       `json:"data"`
	Meta    *listMeta `json:"meta,omitempty"`
}

type errorEnvelope struct {
	Success bool      `json:"success"`
	Error   *apiError `json:"error"`
}

type listMeta struct {
	Page    int  `json:"page,omitempty"`
	PerPage int  `json:"per_page"`
	Total   int  `json:"total"`
	HasMore bool `json:"has_more"`
}

// ok writes a success envelope.
func ok(w http.ResponseWriter, status int, data any) error {
	writeJSON(w, status, envelope{Success: true, Data: data})
	return nil
}

// okRaw writes a success envelope around a record's stored JSON without
// decoding it: the hot path of every GET by id.
func okRaw(w http.ResponseWriter, raw json.RawMessage) error {
	return okRawStatus(w, http.StatusOK, raw)
}

// okRawStatus is okRaw with another success status (201 for a creation).
func okRawStatus(w http.ResponseWriter, status int, raw json.RawMessage) error {
	b := make([]byte, 0, len(raw)+32)
	b = append(b, `{"success":true,"data":`...)
	b = append(b, raw...)
	b = append(b, '}')
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
	return nil
}

// okPage writes a list with its meta. The items are the store's own compact
// JSON, so they are copied as they are: re-validating them through
// json.Marshal took a third of a list request's time.
func okPage(w http.ResponseWriter, page store.Page, lp listParams) error {
	meta := listMeta{PerPage: lp.PerPage, Total: page.Total, HasMore: page.HasMore}
	if !lp.cursor() {
		meta.Page = lp.Page
	}
	metaJSON, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	size := 64 + len(metaJSON)
	for _, it := range page.Items {
		size += len(it) + 1
	}
	b := make([]byte, 0, size)
	b = append(b, `{"success":true,"data":[`...)
	for i, it := range page.Items {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, it...)
	}
	b = append(b, `],"meta":`...)
	b = append(b, metaJSON...)
	b = append(b, '}')
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write(b)
	return nil
}

type loggerKey struct{}

// loggerOf is the server's logger, which common puts in every request's
// context (fail has no server to ask).
func loggerOf(r *http.Request) *slog.Logger {
	if l, ok := r.Context().Value(loggerKey{}).(*slog.Logger); ok {
		return l
	}
	return discardLog
}

var discardLog = slog.New(slog.DiscardHandler)

// fail writes err as the contract's error envelope; unknown errors are 500s,
// logged with the request id and never shown to the client.
func fail(w http.ResponseWriter, r *http.Request, err error) {
	ae := toAPIError(err)
	if ae == nil {
		loggerOf(r).Error("request failed", "request_id", w.Header().Get("X-Request-Id"),
			"method", r.Method, "path", r.URL.Path, "err", err)
		ae = newError(http.StatusInternalServerError, "INTERNAL_ERROR",
			"Something went wrong on our side; the request id is "+w.Header().Get("X-Request-Id"))
	}
	if ae.Status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "5")
	}
	writeJSON(w, ae.Status, errorEnvelope{Error: ae})
}

// okSlice pages a short list held in memory (staff, keys, webhooks): the
// same page, per_page and meta as every other list.
func okSlice[T any](w http.ResponseWriter, r *http.Request, items []T) error {
	lp, err := pageParams(r)
	if err != nil {
		return err
	}
	from := min((lp.Page-1)*lp.PerPage, len(items))
	to := min(from+lp.PerPage, len(items))
	page := store.Page{Total: len(items), HasMore: to < len(items), Items: make([]json.RawMessage, 0, to-from)}
	for _, it := range items[from:to] {
		raw, err := json.Marshal(it)
		if err != nil {
			return err
		}
		page.Items = append(page.Items, raw)
	}
	return okPage(w, page, lp)
}
