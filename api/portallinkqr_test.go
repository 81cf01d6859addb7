package api_test

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"portal/store"
)

// The console's "Create link" (and the intake receipt) get a new link and
// its QR code in one answer: the code holds exactly the address shown, the
// address opens the customer's page, and only customers.write with tickets.read may ask.
func TestPortalLinkQRHoldsTheLinkItShows(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	staff := ts.client(internalKey)
	ada := staff.newCustomer("Ada")

	var out struct {
		URL       string    `json:"url"`
		ExpiresAt time.Time `json:"expires_at"`
		QRPNG     string    `json:"qr_png"`
	}
	staff.post("/customers/"+itoa(ada.ID)+"/portal-link/qr", nil).ok(http.StatusCreated, &out)
	u, err := url.Parse(out.URL)
	if err != nil || !strings.HasPrefix(u.Path, "/c/") || u.Host == "" {
		t.Fatalf("link %q is not an absolute /c/ URL", out.URL)
	}
	if d := out.ExpiresAt.Sub(ts.Clock.Now()); d < 29*24*time.Hour || d > 31*24*time.Hour {
		t.Errorf("the link lasts %v, want the shop's 30 days", d)
	}
	png, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(out.QRPNG, "data:image/png;base64,"))
	if err != nil || !strings.HasPrefix(out.QRPNG, "data:image/png;base64,") {
		t.Fatalf("qr_png is not a PNG data URL: %.40s (%v)", out.QRPNG, err)
	}
	want, err := qrcode.Encode(out.URL, qrcode.Medium, 320)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(png, want) {
		t.Error("the QR code does not encode the link beside it")
	}
	c := ts.openLink(t, u.Path)
	c.cust("GET", "/me", nil).ok(http.StatusOK, nil)

	// With the shop's portal_url set, the link (and so its code) starts with it.
	staff.patch("/store", map[string]any{"portal_url": "https://repairs.example.com/"}).ok(http.StatusOK, nil)
	staff.post("/customers/"+itoa(ada.ID)+"/portal-link/qr", nil).ok(http.StatusCreated, &out)
	if !strings.HasPrefix(out.URL, "https://repairs.example.com/c/") {
		t.Errorf("with portal_url set, the link is %q", out.URL)
	}

	staff.post("/customers/999/portal-link/qr", nil).fail(http.StatusNotFound, "NOT_FOUND")
	// A key that may only edit customers cannot read their tickets through a link.
	for _, scopes := range [][]string{{"customers.read"}, {"customers.read", "customers.write"}} {
		k := ts.client(keySpec{Type: store.KeyPlugin, Scopes: scopes, Tier: "unlimited"})
		k.post("/customers/"+itoa(ada.ID)+"/portal-link/qr", nil).fail(http.StatusForbidden, "FORBIDDEN")
	}
}
