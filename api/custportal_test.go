package api_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Helpers for the customer side: a browser-like client that keeps the
// customer cookie and does not follow redirects.

// customerClient is a browser on the customer page: our Origin, no key.
func (ts *testServer) customerClient() *client {
	c := ts.anonymous()
	c.origin = ts.origin()
	hc := *ts.HTTP.Client()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.hc = &hc
	return c
}

// cust calls a path under /c/api.
func (c *client) cust(method, path string, body any) *response {
	c.t.Helper()
	return c.call(method, "/c/api"+path, body)
}

// keepCookie takes the customer cookie a response set (or cleared).
func (c *client) keepCookie(res *response) {
	for _, ck := range res.Cookies {
		if ck.Name == "portal_customer" {
			if ck.MaxAge < 0 || ck.Value == "" {
				c.cookie = nil
			} else {
				c.cookie = ck
			}
		}
	}
}

// portalLink makes a customer's link with staff and returns its path (/c/…).
func portalLink(t *testing.T, staff *client, customerID uint64) (string, time.Time) {
	t.Helper()
	var out struct {
		URL       string    `json:"url"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	staff.post("/customers/"+itoa(customerID)+"/portal-link", nil).ok(http.StatusCreated, &out)
	u, err := url.Parse(out.URL)
	if err != nil || !strings.HasPrefix(u.Path, "/c/") || u.Host == "" {
		t.Fatalf("link %q is not an absolute /c/ URL", out.URL)
	}
	return u.Path, out.ExpiresAt
}

// openLink opens a link as a new browser and returns it signed in.
func (ts *testServer) openLink(t *testing.T, path string) *client {
	t.Helper()
	c := ts.customerClient()
	res := c.call(http.MethodGet, path, nil)
	if res.Status != http.StatusSeeOther {
		t.Fatalf("GET %s: status %d, want 303\n%s", path, res.Status, res.Body)
	}
	c.keepCookie(res)
	if c.cookie == nil {
		t.Fatalf("GET %s set no customer cookie", path)
	}
	return c
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }
