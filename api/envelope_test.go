package api_test

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"portal/store"
)

func TestSuccessEnvelopeHoldsSuccessAndData(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, internalKey)

	res := c.post("/customers", map[string]any{"name": "Ann"})
	res.ok(http.StatusCreated, nil)
	if got := res.keys(); !slices.Equal(got, []string{"success", "data"}) {
		t.Errorf("keys %v, want [success data]", got)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}

	one := c.get("/customers/1")
	one.ok(http.StatusOK, nil)
	if got := one.keys(); !slices.Equal(got, []string{"success", "data"}) {
		t.Errorf("GET by id keys %v, want [success data]", got)
	}
}

func TestListEnvelopeAddsMeta(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, internalKey)
	c.newCustomer("Ann")

	res := c.get("/customers")
	env := res.ok(http.StatusOK, nil)
	if got := res.keys(); !slices.Equal(got, []string{"success", "data", "meta"}) {
		t.Errorf("keys %v, want [success data meta]", got)
	}
	meta := objectKeys(t, mustField(t, res.Body, "meta"))
	if !slices.Equal(meta, []string{"page", "per_page", "total", "has_more"}) {
		t.Errorf("meta keys %v, want [page per_page total has_more]", meta)
	}
	if *env.Meta.Page != 1 || env.Meta.PerPage != 50 || env.Meta.Total != 1 || env.Meta.HasMore {
		t.Errorf("meta %+v", env.Meta)
	}
}

func TestErrorEnvelopeHoldsCodeMessageStatus(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, internalKey)

	res := c.get("/tickets/999")
	e := res.fail(http.StatusNotFound, "NOT_FOUND")
	if got := res.keys(); !slices.Equal(got, []string{"success", "error"}) {
		t.Errorf("keys %v, want [success error]", got)
	}
	errObj := objectKeys(t, mustField(t, res.Body, "error"))
	if !slices.Equal(errObj, []string{"code", "message", "status"}) {
		t.Errorf("error keys %v, want [code message status] (details only on validation errors)", errObj)
	}
	if e.Message != "Ticket not found" {
		t.Errorf("message %q, want %q", e.Message, "Ticket not found")
	}
}

func TestValidationErrorAddsDetailsNamingTheField(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, internalKey)

	res := c.post("/customers", map[string]any{"name": "Ann", "email": "not-an-email"})
	e := res.fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "email")
	errObj := objectKeys(t, mustField(t, res.Body, "error"))
	if !slices.Equal(errObj, []string{"code", "message", "status", "details"}) {
		t.Errorf("error keys %v, want [code message status details]", errObj)
	}
	if e.Details[0].Message == "" {
		t.Error("detail has no message")
	}
}

// TestErrorCodesHaveTheirStatus walks API.md's table of error codes.
func TestErrorCodesHaveTheirStatus(t *testing.T) {
	t.Parallel()
	ts, c := newServer(t, internalKey)
	ann := c.newCustomer("Ann")
	tk := c.newTicket(ann.ID, nil)
	c.post(fmt.Sprintf("/tickets/%d/line_items", tk.ID), map[string]any{"description": "Screen", "unit_price": 10}).ok(http.StatusCreated, nil)
	noTickets := ts.client(keySpec{Type: store.KeyPlugin, Scopes: []string{"customers.read"}})
	bogus := ts.anonymous()
	bogus.key = "pk_live_" + strings.Repeat("x", 43)
	huge := `{"name":"` + strings.Repeat("a", 1<<20) + `"}`

	cases := []struct {
		name   string
		do     func() *response
		status int
		code   string
		fields []string
	}{
		{"no key", func() *response { return ts.anonymous().get("/tickets") }, 401, "UNAUTHORIZED", nil},
		{"unknown key", func() *response { return bogus.get("/tickets") }, 401, "UNAUTHORIZED", nil},
		{"malformed Authorization", func() *response {
			return ts.anonymous().api("GET", "/tickets", nil, "Authorization", "Basic Zm9vOmJhcg==")
		}, 401, "UNAUTHORIZED", nil},
		{"missing scope", func() *response { return noTickets.get("/tickets") }, 403, "FORBIDDEN", nil},
		{"unknown id", func() *response { return c.get("/tickets/424242") }, 404, "NOT_FOUND", nil},
		{"non-numeric id", func() *response { return c.get("/tickets/abc") }, 404, "NOT_FOUND", nil},
		{"zero id", func() *response { return c.get("/customers/0") }, 404, "NOT_FOUND", nil},
		{"unknown route", func() *response { return c.get("/no/such/route") }, 404, "NOT_FOUND", nil},
		{"unknown route without a key", func() *response { return ts.anonymous().get("/nothing") }, 404, "NOT_FOUND", nil},
		{"route without this method", func() *response { return c.api("PUT", "/tickets", "{}") }, 405, "METHOD_NOT_ALLOWED", nil},
		{"customer with open tickets", func() *response { return c.api("DELETE", fmt.Sprintf("/customers/%d", ann.ID), nil) }, 409, "CONFLICT", nil},
		{"overpayment", func() *response {
			return c.post(fmt.Sprintf("/tickets/%d/payments", tk.ID), map[string]any{"amount": 10.01})
		}, 409, "CONFLICT", nil},
		{"body over 1 MiB with Content-Length", func() *response { return c.post("/customers", huge) }, 413, "PAYLOAD_TOO_LARGE", nil},
		{"body over 1 MiB chunked", func() *response {
			return c.post("/customers", io.MultiReader(strings.NewReader(huge))) // no length: sent chunked
		}, 413, "PAYLOAD_TOO_LARGE", nil},
		{"unknown field", func() *response { return c.post("/customers", `{"name":"Ann","nickname":"A"}`) }, 422, "VALIDATION_ERROR", []string{"nickname"}},
		{"wrong type", func() *response { return c.post("/customers", `{"name":42}`) }, 422, "VALIDATION_ERROR", []string{"name"}},
		{"wrong type nested", func() *response {
			return c.post("/tickets", fmt.Sprintf(`{"customer_id":%d,"issue":"x","device":{"brand":7}}`, ann.ID))
		}, 422, "VALIDATION_ERROR", []string{"device.brand"}},
		{"money as a string", func() *response {
			return c.post(fmt.Sprintf("/tickets/%d/payments", tk.ID), `{"amount":"5.00"}`)
		}, 422, "VALIDATION_ERROR", []string{"amount"}},
		{"money with three places", func() *response {
			return c.post(fmt.Sprintf("/tickets/%d/line_items", tk.ID), `{"description":"x","unit_price":19.999}`)
		}, 422, "VALIDATION_ERROR", []string{"unit_price"}},
		{"bad JSON", func() *response { return c.post("/customers", `{"name":`) }, 422, "VALIDATION_ERROR", []string{"body"}},
		{"not an object", func() *response { return c.post("/customers", `["Ann"]`) }, 422, "VALIDATION_ERROR", []string{"body"}},
		{"two objects", func() *response { return c.post("/customers", `{"name":"A"}{"name":"B"}`) }, 422, "VALIDATION_ERROR", []string{"body"}},
		{"empty body", func() *response { return c.post("/customers", "") }, 422, "VALIDATION_ERROR", []string{"body"}},
		{"missing required field", func() *response { return c.post("/customers", `{}`) }, 422, "VALIDATION_ERROR", []string{"name"}},
		{"per_page over 200", func() *response { return c.get("/tickets?per_page=201") }, 422, "VALIDATION_ERROR", []string{"per_page"}},
		{"unknown query parameter", func() *response { return c.get("/tickets?colour=red") }, 422, "VALIDATION_ERROR", []string{"colour"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := tc.do()
			res.t = t
			res.fail(tc.status, tc.code, tc.fields...)
			if res.Header.Get("X-Request-Id") == "" {
				t.Error("no X-Request-Id")
			}
		})
	}
}

func TestForbiddenMessageNamesTheScope(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	c := ts.client(keySpec{Type: store.KeyPlugin, Scopes: []string{"tickets.read"}})

	e := c.post("/tickets", map[string]any{}).fail(http.StatusForbidden, "FORBIDDEN")
	if !strings.Contains(e.Message, "tickets.write") {
		t.Errorf("message %q does not name tickets.write", e.Message)
	}
}

func TestRequestIDOnEveryResponse(t *testing.T) {
	t.Parallel()
	ts, c := newServer(t, internalKey)
	anon := ts.anonymous()

	responses := map[string]*response{
		"success":              c.get("/store"),
		"created":              c.post("/customers", map[string]any{"name": "Ann"}),
		"401":                  anon.get("/store"),
		"404 record":           c.get("/customers/99"),
		"404 unknown api path": anon.get("/nope"),
		"404 outside the api":  anon.call("GET", "/nope/nothing.txt", nil),
		"422":                  c.post("/customers", "{"),
		"wrong method":         c.api("DELETE", "/store", nil),
		"openapi":              anon.get("/openapi.json"),
		"healthz":              anon.call("GET", "/healthz", nil),
		"auth session":         anon.call("GET", "/auth/session", nil),
	}
	seen := map[string]string{}
	for name, res := range responses {
		id := res.Header.Get("X-Request-Id")
		if id == "" {
			t.Errorf("%s (%d): no X-Request-Id", name, res.Status)
			continue
		}
		if other, dup := seen[id]; dup {
			t.Errorf("%s and %s share request id %s", name, other, id)
		}
		seen[id] = name
	}
}

func TestHealthzAnswersWithoutAKey(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	res := ts.anonymous().call("GET", "/healthz", nil)
	if res.Status != http.StatusOK || strings.TrimSpace(string(res.Body)) != `{"status":"ok"}` {
		t.Errorf("healthz %d %s", res.Status, res.Body)
	}
}
