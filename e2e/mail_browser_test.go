package e2e

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"portal/internal/smtptest"
)

// Customer emails in the console, in a real Chromium against a real `portal
// serve` and a real SMTP server: the shop sets up its mail server on the
// Shop page (the password never comes back), sends a test email and reads
// the server's reply, marks a status "Emails the customer"; a ticket reaching
// it sends one email, which the email log shows as sent with the reply.
// Audited with axe-core; photographed at every size and printed
// (artifacts/screenshots/shop-email-*, shop-emails-*).
func TestEmailInChromium(t *testing.T) {
	browser := newBrowser(t)
	axe := axeSource(t)
	mailSrv, err := smtptest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer mailSrv.Close()
	dir := t.TempDir()
	srv, m, api := serveForOwner(t, dir, "mail test")

	var confirms atomic.Int32
	a := tab(t, browser, &confirms)
	signUpOwner(t, a, m[0])

	// The Email section: a bad from address is refused next to its field, then saved.
	step(t, a, "shop page",
		chromedp.Navigate(srv.URL+"/settings/shop"),
		waitText("#email-title", "Email"),
		typeInto(`input[name="host"]`, mailSrv.Host),
		setSelect(`select[name="security"]`, "none"),
		typeInto(`input[name="port"]`, fmt.Sprint(mailSrv.Port)),
		typeInto(`input[name="username"]`, ""),
		typeInto(`input[name="from"]`, "not an address"),
		chromedp.Click(chromedp.Search(`//button[text()="Save email settings"]`)),
		waitText(`form[aria-labelledby="email-title"] .field-error`, "must be an email address"),
		typeInto(`input[name="from"]`, "Fix-It Corner <shop@fixit.example>"),
		chromedp.Click(chromedp.Search(`//button[text()="Save email settings"]`)),
		waitText(`form[aria-labelledby="email-title"] [role="status"]`, "Saved."))
	audit(t, a, axe, "shop-email")
	shopShotsAt(t, a, "email", `form[aria-labelledby="email-title"]`)

	step(t, a, "send a test email",
		typeInto(`input[name="to"]`, "sam@example.com"),
		chromedp.Click(chromedp.Search(`//button[text()="Send a test email"]`)),
		waitText(`form[aria-label="Send a test email"] + [role="status"]`, "Sent. The server said: 250"))
	if got := mailSrv.WaitFor(1, 10*time.Second); len(got) != 1 || got[0].To[0] != "sam@example.com" {
		t.Fatalf("test email: %+v", got)
	}

	// Waiting for Parts emails the customer too, from now on.
	step(t, a, "notify on Waiting for Parts",
		chromedp.Click(chromedp.Search(`//li[.//input[@value="Waiting for Parts"]]//label[contains(., "Emails the customer")]`)),
		chromedp.Click(chromedp.Search(`//button[text()="Save statuses"]`)),
		waitText(`form[aria-labelledby="statuses-title"] [role="status"]`, "Saved."))
	audit(t, a, axe, "shop-statuses")
	shopShotsAt(t, a, "statuses", `form[aria-labelledby="statuses-title"] li:nth-child(3)`)
	var statuses []struct {
		Name           string
		NotifyCustomer bool `json:"notify_customer"`
	}
	if _, err := api.do("GET", "/api/v1/store/statuses", nil, &statuses); err != nil {
		t.Fatal(err)
	}
	notify := map[string]bool{}
	for _, s := range statuses {
		notify[s.Name] = s.NotifyCustomer
	}
	if !notify["Waiting for Parts"] || !notify["Ready for Pickup"] || notify["New"] {
		t.Fatalf("statuses after saving: %+v", statuses)
	}

	type rec struct {
		ID uint64 `json:"id"`
	}
	var ada, tk rec
	if _, err := api.do("POST", "/api/v1/customers", map[string]any{"name": "Ada Lovelace", "email": "ada@example.com"}, &ada); err != nil {
		t.Fatal(err)
	}
	if _, err := api.do("POST", "/api/v1/tickets", map[string]any{"customer_id": ada.ID, "issue": "Battery",
		"device": map[string]any{"brand": "Apple", "model": "iPhone 12"}}, &tk); err != nil {
		t.Fatal(err)
	}
	if _, err := api.do("PATCH", fmt.Sprintf("/api/v1/tickets/%d", tk.ID), map[string]any{"status": "Waiting for Parts"}, nil); err != nil {
		t.Fatal(err)
	}
	if got := mailSrv.WaitFor(2, 10*time.Second); len(got) != 2 || got[1].To[0] != "ada@example.com" {
		t.Fatalf("status email: %+v", got)
	}

	step(t, a, "email log",
		chromedp.Navigate(srv.URL+"/emails"),
		waitText(".email-log li[data-id] .email-subject", "Your repair is Waiting for Parts"),
		waitText(".email-log li[data-id] .email-status", "Sent"),
		chromedp.Click(chromedp.Search(`//li[@data-id]//button[text()="Attempts"]`)),
		waitText(".email-attempts li", "250"))
	audit(t, a, axe, "emails")
	shopShots(t, a, "emails")
}
