package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/chromedp/chromedp"
)

// A customer signs a quote on their own page; the quote open in the staff
// console shows the signature live, without a reload.
func TestCustomerSignatureShowsLiveInTheConsole(t *testing.T) {
	browser := newBrowser(t)
	axe := axeSource(t)
	dir := t.TempDir()
	srv, m, api := serveForOwner(t, dir, "signature test")
	must := func(method, path string, body, out any) {
		t.Helper()
		if _, err := api.do(method, path, body, out); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}
	var cust, tk, quote struct{ ID uint64 }
	must("POST", "/api/v1/customers", map[string]any{"name": "Ada Lovelace"}, &cust)
	must("POST", "/api/v1/tickets", map[string]any{"customer_id": cust.ID, "issue": "Cracked screen",
		"device": map[string]any{"brand": "Apple", "model": "iPhone 15"}}, &tk)
	must("POST", "/api/v1/proposals", map[string]any{"name": "Screen", "customer_id": cust.ID, "ticket_id": tk.ID,
		"areas": []any{map[string]any{"name": "Screen", "options": []any{map[string]any{"name": "Original",
			"line_items": []any{map[string]any{"kind": "service", "description": "Screen", "quantity": 1, "unit_price": 120}}}}}}}, &quote)
	must("PATCH", fmt.Sprintf("/api/v1/proposals/%d", quote.ID), map[string]any{"status": "Submitted"}, nil)
	var link struct{ URL string }
	must("POST", fmt.Sprintf("/api/v1/customers/%d/portal-link", cust.ID), nil, &link)

	var confirms atomic.Int32
	a := tab(t, browser, &confirms)
	signUpOwner(t, a, m[0])
	step(t, a, "the quote", chromedp.Navigate(fmt.Sprintf("%s/proposals/%d", srv.URL, quote.ID)),
		waitText("h1", "Submitted"), waitText(".live-status", "Live"),
		chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`))

	// The customer: their link sets the cookie, then they accept.
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	u, _ := url.Parse(link.URL)
	res, err := hc.Get(srv.URL + u.Path)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("open link: %v %v", res, err)
	}
	res.Body.Close()
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/c/api/proposals/%d/accept", srv.URL, quote.ID),
		bytes.NewReader([]byte(`{"chosen_options":[0],"signature_name":"Ada Lovelace"}`)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", srv.URL)
	if res, err = hc.Do(req); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("accept: %v %v", res, err)
	}
	res.Body.Close()

	step(t, a, "signed live",
		waitText("h1", "Accepted"),
		waitText(".quote-answer", "Signed by the customer as “Ada Lovelace”"),
		waitText(".quote-answer", "from 127.0.0.1"),
		chromedp.Poll[chromedp.Void](`window.notReloaded === true`))
	audit(t, a, axe, "quote-signed")
	step(t, a, "to the answer", chromedp.Evaluate[chromedp.Void](`document.querySelector(".quote-answer").scrollIntoView({block: "center"})`))
	saveShot(t, "quote-signed", read(t, a, "screenshot quote-signed", chromedp.CaptureScreenshot()))
}
