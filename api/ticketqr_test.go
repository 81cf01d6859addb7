package api_test

import (
	"bytes"
	"fmt"
	"image/png"
	"net/http"
	"strings"
	"testing"

	qrcode "github.com/skip2/go-qrcode"
)

// The receipt's QR code is a PNG of the ticket's console page, in the mode
// that asked: a test ticket's code opens the test store's page.
func TestTicketQRCodeNamesTheTicketsPageInItsMode(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	session, _ := signedIn(t, ts)
	c := ts.client(internalKey)
	tk := c.newTicket(c.newCustomer("Ann").ID, nil)
	host := strings.TrimPrefix(ts.HTTP.URL, "http://")

	for _, tc := range []struct {
		name    string
		c       *client
		headers []string
		id      uint64
		want    string
	}{
		{"internal key", c, nil, tk.ID, fmt.Sprintf("http://%s/tickets/%d", host, tk.ID)},
		{"console in test mode", session, []string{"Portal-Mode", "test"}, 0, ""},
	} {
		if tc.id == 0 { // the test store needs a ticket of its own
			var cust, test ticket
			tc.c.api("POST", "/customers", map[string]any{"name": "Tess"}, tc.headers...).ok(http.StatusCreated, &cust)
			tc.c.api("POST", "/tickets", map[string]any{"customer_id": cust.ID, "issue": "Test"}, tc.headers...).ok(http.StatusCreated, &test)
			tc.id, tc.want = test.ID, fmt.Sprintf("http://%s/test/tickets/%d", host, test.ID)
		}
		res := tc.c.api("GET", fmt.Sprintf("/tickets/%d/qr.png", tc.id), nil, tc.headers...)
		if res.Status != http.StatusOK || res.Header.Get("Content-Type") != "image/png" {
			t.Fatalf("%s: %d %s\n%s", tc.name, res.Status, res.Header.Get("Content-Type"), res.Body)
		}
		if _, err := png.Decode(bytes.NewReader(res.Body)); err != nil {
			t.Fatalf("%s: not a PNG: %v", tc.name, err)
		}
		want, err := qrcode.Encode(tc.want, qrcode.Medium, 320)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(res.Body, want) {
			t.Errorf("%s: the code does not encode %s", tc.name, tc.want)
		}
	}
	c.get("/tickets/999/qr.png").fail(http.StatusNotFound, "NOT_FOUND")
}
