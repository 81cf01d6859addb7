package api_test

import (
	"net/http"
	"strings"
	"testing"

	"portal/store"
)

// A customer's link reaches their tickets, payments, files and quotes. So
// making one, or choosing where links and customer emails point, needs
// every scope the page reaches; a key short of one gets a 403 naming it.
func TestWhatALinkGivesTakesEveryScopeItReaches(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	staff := ts.client(internalKey)
	ada := staff.newCustomer("Ada Lovelace")
	// Everything but payments.read: enough for the old rule (customers.write + tickets.read).
	short := ts.client(keySpec{Type: store.KeyPlugin, Tier: "unlimited", Scopes: []string{"customers.read", "customers.write",
		"tickets.read", "tickets.write", "files.read", "proposals.read", "proposals.write", "store.read", "store.write"}})
	for _, path := range []string{"/customers/" + itoa(ada.ID) + "/portal-link", "/customers/" + itoa(ada.ID) + "/portal-link/qr"} {
		e := short.post(path, nil).fail(http.StatusForbidden, "FORBIDDEN")
		if want := "payments.read"; !strings.Contains(e.Message, want) {
			t.Errorf("POST %s refused with %q; want it to name %s", path, e.Message, want)
		}
	}
	short.api("PATCH", "/store", map[string]any{"portal_url": "https://evil.example"}).fail(http.StatusForbidden, "FORBIDDEN")
	short.api("PATCH", "/store", map[string]any{"name": "Still allowed"}).ok(http.StatusOK, nil)
	short.api("PATCH", "/store/email", map[string]any{"host": "smtp.evil.example", "from": "x@evil.example"}).fail(http.StatusForbidden, "FORBIDDEN")
	// A technician reads tickets but not payments or contact details: no invoice.
	tech := ts.client(keySpec{Type: store.KeyPlugin, Scopes: []string{"tickets.read"}})
	tk := staff.newTicket(ada.ID, nil)
	tech.get("/tickets/"+itoa(tk.ID)+"/invoice").fail(http.StatusForbidden, "FORBIDDEN")
	staff.get("/tickets/"+itoa(tk.ID)+"/invoice").ok(http.StatusOK, nil)
}

// The mail password belongs to the server and login it was given for: a
// new host without a new password drops it, so nobody can point the
// appliance at their own server and be handed the password.
func TestANewMailServerDropsTheOldPassword(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	c := ts.client(internalKey)
	var got store.EmailSettings
	c.api("PATCH", "/store/email", map[string]any{"host": "mail.lan", "port": 587, "username": "shop",
		"password": "hunter2-secret", "from": "shop@fixit.example"}).ok(http.StatusOK, &got)
	c.api("PATCH", "/store/email", map[string]any{"from": "desk@fixit.example"}).ok(http.StatusOK, &got)
	if !got.PasswordSet {
		t.Fatal("changing only the sender dropped the password")
	}
	c.api("PATCH", "/store/email", map[string]any{"host": "smtp.elsewhere.example"}).ok(http.StatusOK, &got)
	if got.PasswordSet {
		t.Fatal("a new host kept the old server's password")
	}
	c.api("PATCH", "/store/email", map[string]any{"host": "mail.lan", "password": "new-secret"}).ok(http.StatusOK, &got)
	c.api("PATCH", "/store/email", map[string]any{"username": "other"}).ok(http.StatusOK, &got)
	if got.PasswordSet {
		t.Fatal("a new login kept the old login's password")
	}
}
