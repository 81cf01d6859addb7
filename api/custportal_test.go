package api_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
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

// dialCustomerLive opens GET /c/api/live as the customer's page does.
func dialCustomerLive(t *testing.T, ts *testServer, c *client) *websocket.Conn {
	t.Helper()
	u := "ws" + strings.TrimPrefix(ts.HTTP.URL, "http") + "/c/api/live"
	h := http.Header{"Origin": {ts.origin()}, "Cookie": {c.cookie.Name + "=" + c.cookie.Value}}
	conn, resp, err := websocket.DefaultDialer.Dial(u, h)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial %s: %v (%d)", u, err, status)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

type customerMessage struct {
	Type  string     `json:"type"`
	Event string     `json:"event"`
	ID    uint64     `json:"id"`
	Data  custTicket `json:"data"`
	raw   string
}

func readCustomerMessage(t *testing.T, conn *websocket.Conn) customerMessage {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, raw, err := conn.ReadMessage()
	if err != nil {
		t.Fatalf("read the customer feed: %v", err)
	}
	var m customerMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("message %s: %v", raw, err)
	}
	m.raw = string(raw)
	return m
}

// Behind a proxy that ends TLS for the shop's https portal_url, the request
// reaches us in plain http, yet the customer's browser is on https: the
// session cookie must be Secure, or the browser would also send it over
// plain http to that host. Another host (a LAN address) keeps it plain.
func TestTheCustomerCookieIsSecureBehindTheShopsHTTPSAddress(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	staff := ts.client(internalKey)
	ada := staff.newCustomer("Ada Lovelace")
	host := strings.TrimPrefix(ts.HTTP.URL, "http://")
	for _, tc := range []struct {
		portalURL string
		secure    bool
	}{{"", false}, {"https://repairs.example.com", false}, {"https://" + host, true}, {"http://" + host, false}} {
		staff.api("PATCH", "/store", map[string]any{"portal_url": tc.portalURL}).ok(http.StatusOK, nil)
		path, _ := portalLink(t, staff, ada.ID)
		c := ts.openLink(t, path)
		if c.cookie.Secure != tc.secure || !c.cookie.HttpOnly {
			t.Errorf("portal_url %q: the cookie is Secure=%v HttpOnly=%v, want Secure=%v", tc.portalURL, c.cookie.Secure, c.cookie.HttpOnly, tc.secure)
		}
	}
}
