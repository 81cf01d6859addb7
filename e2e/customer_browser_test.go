package e2e

import (
	"context"
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// The customer's page (/c/) in a real Chromium against a real `portal
// serve`, on a 390×844 phone: a customer opens the magic link the shop
// minted for them and sees their repair first — the shop's name, the status
// in plain words, the progress line, the public timeline (never an internal
// note) — a status change the shop makes arrives while the page is open, and
// the live region says so; they open the quote the shop submitted (it
// becomes ViewedByClient), choose the cheaper option (the total follows, to
// the cent), accept with their typed name, and the staff console open in a
// second tab at desk size shows the quote Accepted without a reload. The
// invoice prints on one page and its PDF link answers a PDF. Signed out, the
// sign-in form with a wrong contact shows the API's refusal. Every screen is
// audited with axe-core and photographed at 390×844, 820×1180, 1440×900, on
// paper and dark (artifacts/screenshots/customer-*).

// customerSizes: the customer's phone first, then a tablet and a desk.
var customerSizes = []struct {
	name          string
	width, height int64
}{{"phone", 390, 844}, {"tablet", 820, 1180}, {"desk", 1440, 900}}

// customerShots saves the page at each size, dark and (when print is set)
// printed, and fails when it scrolls sideways, something sticks out of the
// window, or a control on the phone is under 44 px. It leaves the phone's
// viewport on.
func customerShots(t *testing.T, ctx context.Context, name string, print bool) {
	t.Helper()
	step(t, ctx, "to the top", chromedp.Evaluate[chromedp.Void](`scrollTo(0, 0)`))
	for _, size := range customerSizes {
		step(t, ctx, "viewport", chromedp.EmulateViewport(size.width, size.height, chromedp.EmulateMobile), touch(size.name != "desk"), settled)
		saveShot(t, fmt.Sprintf("customer-%s-%s-%dx%d", name, size.name, size.width, size.height), read(t, ctx, "screenshot "+name, chromedp.CaptureScreenshot()))
		if over := read(t, ctx, "overflow", chromedp.Evaluate[int](`document.documentElement.scrollWidth - innerWidth`)); over > 0 {
			t.Errorf("%s at %dx%d is %d px wider than the window", name, size.width, size.height, over)
		}
		if out := read(t, ctx, "out of view", chromedp.Evaluate[[]string](outOfView)); len(out) > 0 {
			t.Errorf("%s at %dx%d: elements stick out of the window: %v", name, size.width, size.height, out)
		}
		if size.name == "phone" {
			if small := read(t, ctx, "targets", chromedp.Evaluate[[]string](customerSmallTargets)); len(small) > 0 {
				t.Errorf("%s on the phone: targets under 44 px: %v", name, small)
			}
		}
	}
	dark := emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}}
	step(t, ctx, "phone, dark", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), touch(true), media(dark), settled)
	saveShot(t, "customer-"+name+"-dark-390x844", read(t, ctx, "screenshot "+name+" dark", chromedp.CaptureScreenshot()))
	step(t, ctx, "light", media(emulation.SetEmulatedMediaParams{}))
	if print {
		step(t, ctx, "print", chromedp.EmulateViewport(800, 1100), touch(false), media(emulation.SetEmulatedMediaParams{Media: "print"}))
		saveShot(t, "customer-"+name+"-print", read(t, ctx, "screenshot "+name+" printed", chromedp.FullScreenshot(100)))
		step(t, ctx, "screen again", media(emulation.SetEmulatedMediaParams{}), chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), touch(true))
	}
}

// customerSmallTargets lists the page's buttons, links and fields shorter
// than 44 px (links inside running text aside).
const customerSmallTargets = `(() => {
  const out = [];
  for (const e of document.querySelectorAll("button, .c-button, .c-back, .c-tel, .c-doc, input:not([type=radio]), textarea, summary")) {
    const s = getComputedStyle(e);
    if (s.display === "none" || s.visibility === "hidden" || !e.getClientRects().length || e.closest(".c-hidden")) continue;
    const h = e.getBoundingClientRect().height;
    if (h < 44) out.push((e.textContent.trim() || e.name || e.tagName) + " is " + Math.round(h) + " px tall");
  }
  return out.slice(0, 10);
})()`

func TestCustomerPageInChromium(t *testing.T) {
	browser := newBrowser(t)
	axe := axeSource(t)
	dir := t.TempDir()
	srv, m, api := serveForOwner(t, dir, "customer page test")
	must := func(method, path string, body, out any) {
		t.Helper()
		if _, err := api.do(method, path, body, out); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}

	// The staff console, at a desk, signed in as the owner.
	var confirms atomic.Int32
	staff := tab(t, browser, &confirms)
	step(t, staff, "desk size", chromedp.EmulateViewport(1440, 900))
	signUpOwner(t, staff, m[0])

	type rec struct {
		ID     uint64 `json:"id"`
		Number uint64 `json:"number"`
	}
	var ada, ticket, quote rec
	must("PATCH", "/api/v1/store", map[string]any{"name": "Fix-It Corner", "phone": "+44 20 7946 0000", "tax_rate": 8.25,
		"address": "12 High Street\nLondon N1 9GU", "hours": "Mon–Fri 9:00–18:00\nSat 10:00–16:00", "timezone": "Europe/London"}, nil)
	must("PATCH", "/api/v1/store/payments", map[string]any{"payment_link_template": "https://pay.example.com/fixit?ticket={ticket_id}&amount={balance}"}, nil)
	must("POST", "/api/v1/customers", map[string]any{"name": "Ada Lovelace", "email": "ada@example.com", "phone": "+44 20 7946 0101"}, &ada)
	must("POST", "/api/v1/tickets", map[string]any{"customer_id": ada.ID, "device": map[string]any{"brand": "Apple", "model": "iPhone 13"},
		"issue": "Cracked screen, battery drains", "due_at": time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)}, &ticket)
	must("POST", fmt.Sprintf("/api/v1/tickets/%d/notes", ticket.ID), map[string]any{"body": "We have ordered the screen; it arrives tomorrow."}, nil)
	must("POST", fmt.Sprintf("/api/v1/tickets/%d/notes", ticket.ID), map[string]any{"body": "SECRET-INTERNAL supplier margin is 40%", "internal": true}, nil)
	must("POST", fmt.Sprintf("/api/v1/tickets/%d/line_items", ticket.ID), map[string]any{"kind": "service", "description": "Diagnosis", "quantity": 1, "unit_price": 25}, nil)
	must("POST", fmt.Sprintf("/api/v1/tickets/%d/payments", ticket.ID), map[string]any{"amount": 10, "method": "cash"}, nil)
	must("POST", "/api/v1/proposals", map[string]any{"name": "iPhone 13 screen", "customer_id": ada.ID, "ticket_id": ticket.ID,
		"areas": []map[string]any{{"name": "Screen", "options": []map[string]any{
			{"name": "Original", "client_description": "Apple part, 1 year warranty", "internal_notes": "SECRET-INTERNAL order from Parts Direct",
				"line_items": []map[string]any{{"kind": "part", "description": "Original screen", "quantity": 1, "unit_price": 189},
					{"kind": "service", "description": "Fitting", "quantity": 0.5, "unit_price": 60}}},
			{"name": "Aftermarket", "client_description": "Compatible part, 90 days",
				"line_items": []map[string]any{{"kind": "part", "description": "Aftermarket screen", "quantity": 1, "unit_price": 99},
					{"kind": "service", "description": "Fitting", "quantity": 0.5, "unit_price": 60}}},
		}}}}, &quote)
	must("PATCH", fmt.Sprintf("/api/v1/proposals/%d", quote.ID), map[string]any{"status": "Submitted"}, nil)
	var battery, tablet rec
	must("POST", "/api/v1/proposals", map[string]any{"name": "New battery", "customer_id": ada.ID, "ticket_id": ticket.ID,
		"areas": []map[string]any{{"name": "Battery", "options": []map[string]any{{"name": "Battery", "client_description": "A new battery, 1 year warranty",
			"line_items": []map[string]any{{"kind": "part", "description": "Battery", "quantity": 1, "unit_price": 49}}}}}}}, &battery)
	must("PATCH", fmt.Sprintf("/api/v1/proposals/%d", battery.ID), map[string]any{"status": "Submitted"}, nil)
	// A second repair, already collected: listed after the open one.
	must("POST", "/api/v1/tickets", map[string]any{"customer_id": ada.ID, "device": map[string]any{"brand": "Samsung", "model": "Galaxy Tab S9"},
		"issue": "Charging port loose"}, &tablet)
	must("PATCH", fmt.Sprintf("/api/v1/tickets/%d", tablet.ID), map[string]any{"status": "Closed"}, nil)
	// Photos and documents: what the shop made visible, and nothing else.
	pics := t.TempDir()
	writeImage(t, filepath.Join(pics, "intake.png"), 640, 480, color.RGBA{40, 120, 200, 255})
	writeImage(t, filepath.Join(pics, "bench.png"), 320, 240, color.RGBA{200, 60, 40, 255})
	visible := func(a attachment) {
		must("PATCH", fmt.Sprintf("/api/v1/attachments/%d", a.ID), map[string]any{"customer_visible": true}, nil)
	}
	visible(attachFile(t, api, fmt.Sprintf("/api/v1/tickets/%d/attachments", ticket.ID), "intake.png", mustRead(t, filepath.Join(pics, "intake.png"))))
	visible(attachFile(t, api, fmt.Sprintf("/api/v1/tickets/%d/attachments", ticket.ID), "estimate.pdf", []byte(minimalPDF)))
	attachFile(t, api, fmt.Sprintf("/api/v1/tickets/%d/attachments", ticket.ID), "bench-SECRET-INTERNAL.png", mustRead(t, filepath.Join(pics, "bench.png")))
	var link struct {
		URL       string `json:"url"`
		ExpiresAt string `json:"expires_at"`
	}
	must("POST", fmt.Sprintf("/api/v1/customers/%d/portal-link", ada.ID), nil, &link)
	if !strings.Contains(link.URL, "/c/") {
		t.Fatalf("the portal link is %q", link.URL)
	}
	// The link names the address the server was reached at, or a configured one: open it here.
	linkPath := link.URL[strings.Index(link.URL, "/c/"):]

	// The staff console has the quote open, to see the customer's answer arrive.
	step(t, staff, "the quote in the console",
		chromedp.Navigate(fmt.Sprintf("%s/proposals/%d", srv.URL, quote.ID)),
		waitText("h1", "Submitted"),
		waitText(".live-status", "Live"),
		chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`))

	// The customer, on their phone, opens the link.
	cust := tab(t, browser, &confirms)
	step(t, cust, "open the link",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), touch(true),
		chromedp.Navigate(srv.URL+linkPath),
		afterLoad(waitText("h1", "Your repair")),
		chromedp.Poll[chromedp.Void](`document.body.dataset.live === "on"`),
		waitText(".c-shop-name", "Fix-It Corner"),
		waitText(".c-repair", "iPhone 13"),
		waitText(".c-repair .c-status", "New"),
		waitText(".c-timeline", "We have ordered the screen"),
		waitText(".c-contact", "+44 20 7946 0000"),
		waitText(".c-contact", "Mon–Fri 9:00–18:00"),
		waitText(".c-quotes", "Waiting for your answer"),
		waitText("h1", "Your repairs"),
		waitText(fmt.Sprintf(`.c-repair[data-ticket="%d"]`, tablet.ID), "Collected"),
		imgLoaded(".c-photos img"),
		waitText(".c-docs", "estimate.pdf"))
	if order := read(t, cust, "order", chromedp.Evaluate[[]string](`[...document.querySelectorAll(".c-repair")].map((c) => c.dataset.ticket)`)); len(order) != 2 || order[0] != fmt.Sprint(ticket.ID) {
		t.Errorf("the repairs are listed as %v, want the open one (%d) first", order, ticket.ID)
	}
	if n := read(t, cust, "photos", chromedp.Evaluate[int](`document.querySelectorAll(".c-photos img").length`)); n != 1 {
		t.Errorf("the page shows %d photos, want the one the shop made visible", n)
	}
	if path := read(t, cust, "path", chromedp.Evaluate[string](`location.pathname`)); path != "/c/" {
		t.Errorf("the link lands on %q, want /c/ (the token out of the address bar)", path)
	}
	first := read(t, cust, "first text", chromedp.Evaluate[string](`document.querySelector("#c-app").innerText.trim().split("\n")[0]`))
	if first != "Fix-It Corner" {
		t.Errorf("the page starts with %q, want the shop's name", first)
	}
	noInternal := func(where string) {
		t.Helper()
		if text := read(t, cust, "page text", chromedp.Evaluate[string](`document.documentElement.outerHTML`)); strings.Contains(text, "SECRET-INTERNAL") {
			t.Errorf("%s: the customer's page holds an internal note", where)
		}
	}
	noInternal("the repair")
	tel := read(t, cust, "tel link", chromedp.Evaluate[string](`document.querySelector(".c-tel")?.getAttribute("href") || ""`))
	if tel != "tel:+442079460000" {
		t.Errorf("the shop's phone links to %q", tel)
	}
	customerShots(t, cust, "repair", false)
	customerAudit(t, cust, axe, "repair")

	// The shop moves the repair on: the page follows without a reload, and
	// the live region says what changed.
	step(t, cust, "mark", chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`))
	must("PATCH", fmt.Sprintf("/api/v1/tickets/%d", ticket.ID), map[string]any{"status": "In Progress"}, nil)
	step(t, cust, "status live",
		waitText(".c-repair .c-status", "In Progress"),
		waitText("#c-live", "is now In Progress"),
		chromedp.Poll[chromedp.Void](`document.querySelector(".c-progress li.now")?.textContent === "In progress"`),
		chromedp.Poll[chromedp.Void](`window.notReloaded === true`))

	// The quote: opening it tells the shop it was seen.
	step(t, cust, "open the quote",
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`a[data-open-quote="%d"]`, quote.ID))),
		waitText("h1", "iPhone 13 screen"),
		waitText(".c-quote .c-option", "Apple part, 1 year warranty"),
		waitText(".c-chosen-total", "$237.07")) // 189 + 30 = 219; tax 18.0675 → 18.07
	var seen struct {
		Status string `json:"status"`
	}
	deadline := time.Now().Add(10 * time.Second)
	for must("GET", fmt.Sprintf("/api/v1/proposals/%d", quote.ID), nil, &seen); seen.Status != "ViewedByClient" && time.Now().Before(deadline); {
		must("GET", fmt.Sprintf("/api/v1/proposals/%d", quote.ID), nil, &seen)
	}
	if seen.Status != "ViewedByClient" {
		t.Errorf("after the customer opened it the quote is %q, want ViewedByClient", seen.Status)
	}
	step(t, staff, "viewed in the console", waitText("h1", "Viewed by client"), waitText(".notice", "Ada Lovelace"))
	noInternal("the quote")
	customerShots(t, cust, "quote", false)
	customerAudit(t, cust, axe, "quote")

	// The cheaper option: the total follows.
	step(t, cust, "choose",
		chromedp.Click(chromedp.CSS(`input[name="area-0"][value="1"]`)),
		waitText(".c-chosen-total", "$139.64")) // 129 × 1.0825 = 139.6425
	step(t, cust, "accept",
		chromedp.Click(chromedp.CSS(`button[data-action="accept"]`)),
		chromedp.WaitVisible(chromedp.CSS(`dialog[open] #c-sign`)),
		waitText("dialog[open]", "Aftermarket"),
		chromedp.Click(chromedp.CSS(`button[data-action="confirm-accept"]`)),
		waitText("dialog[open] .c-error", "Type your name"))
	customerAudit(t, cust, axe, "accept dialog")
	saveShot(t, "customer-accept-phone-390x844", read(t, cust, "screenshot accept", chromedp.CaptureScreenshot()))
	step(t, cust, "sign",
		chromedp.SendKeys(chromedp.CSS(`#c-sign`), "Ada Lovelace"),
		chromedp.Click(chromedp.CSS(`button[data-action="confirm-accept"]`)),
		waitText(".c-result", "Accepted and signed by Ada Lovelace"),
		waitText(".c-quote .c-status", "Accepted"),
		chromedp.Poll[chromedp.Void](`!document.querySelector("dialog")`),
		chromedp.Poll[chromedp.Void](`document.querySelector('input[name="area-0"]').disabled`))
	step(t, staff, "accepted in the console, live",
		waitText("h1", "Accepted"),
		chromedp.Poll[chromedp.Void](`window.notReloaded === true`))
	var accepted struct {
		Status     string `json:"status"`
		Acceptance *struct {
			Name string `json:"name"`
		} `json:"acceptance"`
		Summary struct {
			Total float64 `json:"total"`
		} `json:"summary"`
	}
	must("GET", fmt.Sprintf("/api/v1/proposals/%d", quote.ID), nil, &accepted)
	if accepted.Status != "Accepted" || accepted.Acceptance == nil || accepted.Acceptance.Name != "Ada Lovelace" || accepted.Summary.Total != 139.64 {
		t.Errorf("the accepted quote is %+v", accepted)
	}
	customerShots(t, cust, "accepted", false)
	customerAudit(t, cust, axe, "accepted")

	// The battery quote: declined, with a reason.
	step(t, cust, "decline the other quote",
		chromedp.Click(chromedp.CSS(`.c-back`)),
		waitText("h1", "Your repairs"),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`a[data-open-quote="%d"]`, battery.ID))),
		waitText("h1", "New battery"),
		waitText(".c-chosen-total", "$53.04"), // 49 × 1.0825 = 53.0425
		chromedp.Click(chromedp.CSS(`button[data-action="decline"]`)),
		chromedp.WaitVisible(chromedp.CSS(`dialog[open] #c-reason`)))
	customerAudit(t, cust, axe, "decline dialog")
	step(t, cust, "decline",
		chromedp.SendKeys(chromedp.CSS(`#c-reason`), "I will keep the old one for now"),
		chromedp.Click(chromedp.CSS(`button[data-action="confirm-decline"]`)),
		waitText(".c-result", "You declined this quote"),
		waitText(".c-quote .c-status", "Declined"),
		chromedp.Poll[chromedp.Void](`!document.querySelector("dialog")`))
	var declined struct {
		Status        string  `json:"status"`
		DeclineReason *string `json:"decline_reason"`
	}
	must("GET", fmt.Sprintf("/api/v1/proposals/%d", battery.ID), nil, &declined)
	if declined.Status != "Declined" {
		t.Errorf("the declined quote is %+v", declined)
	}

	// The invoice: the ticket's lines (the quote's now among them), tax,
	// the payment and the balance; Pay, the PDF, and one printed page.
	step(t, cust, "the invoice",
		chromedp.Click(chromedp.CSS(`.c-back`)),
		waitText("h1", "Your repair"),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`a[data-invoice="%d"]`, ticket.ID))),
		waitText("h1", "Invoice"),
		waitText(".c-inv-lines", "Diagnosis"),
		waitText(".c-inv-lines", "Aftermarket screen"),
		waitText(".c-inv-totals", "Balance due"),
		chromedp.WaitVisible(chromedp.CSS(`a[data-action="pay"]`)))
	pdf := read(t, cust, "pdf", chromedp.Evaluate[string](`(async () => {
  const r = await fetch(document.querySelector('a[data-action="pdf"]').href);
  const b = new Uint8Array(await r.arrayBuffer());
  return r.status + " " + r.headers.get("Content-Type") + " " + String.fromCharCode(...b.slice(0, 5));
})()`, chromedp.EvalAwaitPromise))
	if !strings.HasPrefix(pdf, "200 application/pdf %PDF-") {
		t.Errorf("the invoice's PDF link answers %q", pdf)
	}
	pay := read(t, cust, "pay link", chromedp.Evaluate[string](`document.querySelector('a[data-action="pay"]').href`))
	if !strings.HasPrefix(pay, "https://pay.example.com/fixit?ticket=") {
		t.Errorf("Pay links to %q", pay)
	}
	customerShots(t, cust, "invoice", true)
	customerAudit(t, cust, axe, "invoice")
	for _, paper := range []struct {
		name string
		w, h float64 // inches
	}{{"a4", 8.27, 11.69}, {"letter", 8.5, 11}} {
		printed, err := chromedp.Call(cust, page.PrintToPDF, page.PrintToPDFParams{PaperWidth: paper.w, PaperHeight: paper.h})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(screenshotDir(t), "customer-invoice-"+paper.name+".pdf"), printed.Data, 0o644); err != nil {
			t.Error(err)
		}
		if n := len(pdfPage.FindAll(printed.Data, -1)); n != 1 {
			t.Errorf("the invoice prints on %d %s pages, want 1", n, paper.name)
		}
	}
	step(t, cust, "print media", media(emulation.SetEmulatedMediaParams{Media: "print"}))
	paper := read(t, cust, "printed invoice", chromedp.Evaluate[string](`document.body.innerText`))
	step(t, cust, "screen media", media(emulation.SetEmulatedMediaParams{}))
	for _, w := range []string{"Fix-It Corner", "Diagnosis", "Aftermarket screen", "Balance due"} {
		if !strings.Contains(paper, w) {
			t.Errorf("the printed invoice lacks %q:\n%s", w, paper)
		}
	}
	for _, w := range []string{"Download PDF", "Sign out", "Print", "Contact the shop"} {
		if strings.Contains(paper, w) {
			t.Errorf("the printed invoice shows %q:\n%s", w, paper)
		}
	}
	noInternal("the invoice")

	// Signed out: the form; a wrong contact is refused in the API's words.
	step(t, cust, "sign out",
		chromedp.Click(chromedp.CSS(`.c-back`)),
		waitText("h1", "Your repair"),
		chromedp.Click(chromedp.CSS(`button[data-action="sign-out"]`)),
		waitText("h1", "Follow your repair"),
		chromedp.WaitVisible(chromedp.CSS(`#c-ticket`)))
	customerShots(t, cust, "signin", false)
	customerAudit(t, cust, axe, "signin")
	step(t, cust, "wrong contact",
		chromedp.SendKeys(chromedp.CSS(`#c-ticket`), fmt.Sprint(ticket.Number)),
		chromedp.SendKeys(chromedp.CSS(`#c-contact`), "someone-else@example.com"),
		chromedp.Click(chromedp.CSS(`button[data-action="sign-in"]`)),
		chromedp.Poll[chromedp.Void](`!!document.querySelector("#c-login-error")?.textContent.trim()`))
	refused := read(t, cust, "refusal", chromedp.Evaluate[string](`document.querySelector("#c-login-error").textContent`))
	if refused == "" || strings.Contains(refused, "HTTP") {
		t.Errorf("a wrong contact says %q; want the API's words", refused)
	}
	saveShot(t, "customer-signin-refused-phone-390x844", read(t, cust, "screenshot refused", chromedp.CaptureScreenshot()))
	customerAudit(t, cust, axe, "signin refused")
	step(t, cust, "right contact",
		clearField(`#c-contact`),
		chromedp.SendKeys(chromedp.CSS(`#c-contact`), "+44 20 7946 0101"),
		chromedp.Click(chromedp.CSS(`button[data-action="sign-in"]`)),
		waitText("h1", "Your repair"),
		waitText(".c-repair .c-status", "In Progress"))

	// The console's side: on the customer's page a link with its QR code,
	// and "Revoke every link" (confirmed) ends the customer's signed-in page.
	qrLoaded := func(sel string) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](fmt.Sprintf(`(() => { const i = document.querySelector(%q); return !!i && i.complete && i.naturalWidth > 0; })()`, sel))
	}
	step(t, staff, "the customer's page",
		chromedp.Navigate(fmt.Sprintf("%s/customers/%d", srv.URL, ada.ID)),
		waitText("h1", "Ada Lovelace"),
		waitText(".portal-link h2", "Customer portal link"),
		chromedp.Click(chromedp.CSS(`button[data-action="create-portal-link"]`)),
		qrLoaded(".portal-link-qr img"),
		chromedp.Poll[chromedp.Void](`document.querySelector('input[name="portal-url"]').value.includes("/c/")`),
		waitText(".portal-link", "Works until"))
	panelURL := read(t, staff, "panel url", chromedp.Evaluate[string](`document.querySelector('input[name="portal-url"]').value`))
	if res, err := api.http.Get(panelURL); err != nil || res.StatusCode != 200 || res.Request.URL.Path != "/c/" {
		t.Errorf("the panel's link %q does not open the customer's page: %v %v", panelURL, err, res)
	}
	step(t, staff, "scroll to the panel", chromedp.Evaluate[chromedp.Void](`document.querySelector(".portal-link").scrollIntoView()`))
	saveShot(t, "customer-console-panel-desk-1440x900", read(t, staff, "screenshot panel", chromedp.CaptureScreenshot()))
	step(t, staff, "panel on a phone", chromedp.EmulateViewport(390, 844), chromedp.Evaluate[chromedp.Void](`document.querySelector(".portal-link").scrollIntoView()`))
	saveShot(t, "customer-console-panel-phone-390x844", read(t, staff, "screenshot panel phone", chromedp.CaptureScreenshot()))
	if over := read(t, staff, "overflow", chromedp.Evaluate[int](`document.documentElement.scrollWidth - innerWidth`)); over > 0 {
		t.Errorf("the customer's page in the console on a phone is %d px wider than the window", over)
	}
	step(t, staff, "desk again", chromedp.EmulateViewport(1440, 900))
	customerAudit(t, staff, axe, "console panel")
	confirms.Add(1)
	step(t, staff, "revoke",
		chromedp.Click(chromedp.CSS(`button[data-action="revoke-portal-links"]`)),
		waitText(".portal-link", "Every link is revoked"),
		chromedp.Poll[chromedp.Void](`!document.querySelector('input[name="portal-url"]')`))
	step(t, cust, "revoked: the customer is signed out",
		chromedp.Evaluate[chromedp.Void](`location.hash = "#invoice/`+fmt.Sprint(ticket.ID)+`"`),
		waitText("h1", "Follow your repair"),
		waitText(".c-notice", "signed out"))

	// Guessing is limited: after a few wrong tries the form says, in the
	// API's words, to wait.
	step(t, cust, "guess",
		chromedp.SendKeys(chromedp.CSS(`#c-ticket`), fmt.Sprint(ticket.Number)),
		chromedp.SendKeys(chromedp.CSS(`#c-contact`), "guess@example.com"))
	for i := 0; i < 6; i++ {
		step(t, cust, "wrong again",
			chromedp.Evaluate[chromedp.Void](`document.querySelector("#c-login-error").textContent = ""`),
			chromedp.Click(chromedp.CSS(`button[data-action="sign-in"]`)),
			chromedp.Poll[chromedp.Void](`!!document.querySelector("#c-login-error").textContent.trim() && !document.querySelector('button[data-action="sign-in"]').disabled`))
	}
	step(t, cust, "rate limited", waitText("#c-login-error", "Too many wrong tries"))
	saveShot(t, "customer-signin-limited-phone-390x844", read(t, cust, "screenshot limited", chromedp.CaptureScreenshot()))

	// The intake receipt carries the customer's link as a QR code.
	step(t, staff, "the receipt",
		chromedp.Navigate(fmt.Sprintf("%s/tickets/%d/receipt", srv.URL, ticket.ID)),
		waitText(".receipt", "Follow your repair: scan or visit"),
		qrLoaded(".receipt-portal img"))
	receiptPDF, err := chromedp.Call(staff, page.PrintToPDF, page.PrintToPDFParams{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(pdfPage.FindAll(receiptPDF.Data, -1)); n != 1 {
		t.Errorf("the receipt with the customer's link prints on %d pages, want 1", n)
	}
	step(t, staff, "print media", media(emulation.SetEmulatedMediaParams{Media: "print"}), chromedp.EmulateViewport(800, 1100))
	saveShot(t, "customer-receipt-print", read(t, staff, "screenshot receipt", chromedp.FullScreenshot(100)))
	step(t, staff, "screen media", media(emulation.SetEmulatedMediaParams{}), chromedp.EmulateViewport(1440, 900))

	// A link made in test mode (the console in test mode) opens the test
	// store's page, which says so.
	testURL := read(t, staff, "test-mode link", chromedp.Evaluate[string](`(async () => {
  const h = {"Portal-Mode": "test", "Content-Type": "application/json"};
  const c = (await (await fetch("/api/v1/customers", {method: "POST", headers: h, body: JSON.stringify({name: "Tess Test", email: "tess@example.com"})})).json()).data;
  await fetch("/api/v1/tickets", {method: "POST", headers: h, body: JSON.stringify({customer_id: c.id, issue: "Test repair", device: {brand: "Nokia", model: "3310"}})});
  return (await (await fetch("/api/v1/customers/" + c.id + "/portal-link/qr", {method: "POST", headers: h})).json()).data.url;
})()`, chromedp.EvalAwaitPromise))
	step(t, cust, "a test-mode link",
		chromedp.Navigate(srv.URL+testURL[strings.Index(testURL, "/c/"):]),
		afterLoad(waitText("h1", "Your repair")),
		waitText(".c-test", "Test mode"),
		waitText(".c-repair", "Nokia 3310"),
		chromedp.Poll[chromedp.Void](`!document.body.innerText.includes("iPhone 13")`))
	saveShot(t, "customer-testmode-phone-390x844", read(t, cust, "screenshot test mode", chromedp.CaptureScreenshot()))
}

// customerAudit runs axe once nothing moves: a colour still fading after the
// switch back from dark mode is not what the customer reads.
func customerAudit(t *testing.T, ctx context.Context, axe, name string) {
	t.Helper()
	step(t, ctx, "still", settled)
	audit(t, ctx, axe, name)
}
