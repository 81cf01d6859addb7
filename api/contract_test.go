package api_test

import (
	"net/http"
	"testing"
)

// A wrong method on a real path is a 405 naming the methods it takes; a
// path that does not exist stays a 404.
func TestWrongMethodIs405WithAllow(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, internalKey)
	for _, tc := range []struct{ method, path, allow string }{
		{"PUT", "/customers/1", "DELETE, GET, PATCH"},
		{"DELETE", "/tickets/1", "GET, PATCH"},
		{"PATCH", "/tickets", "GET, POST"},
		{"POST", "/events/evt_x", "GET"},
	} {
		res := c.api(tc.method, tc.path, "{}")
		e := res.fail(http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED")
		if got := res.Header.Get("Allow"); got != tc.allow {
			t.Errorf("%s %s: Allow %q, want %q (%s)", tc.method, tc.path, got, tc.allow, e.Message)
		}
	}
	c.api("GET", "/no-such-thing", nil).fail(http.StatusNotFound, "NOT_FOUND")
	c.api("DELETE", "/no-such-thing/1", nil).fail(http.StatusNotFound, "NOT_FOUND")
}
