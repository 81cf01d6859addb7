package e2e

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// The visitor desk in the console, in a real Chromium against a real
// `portal serve`: a visitor pre-registered through the form (its code and
// QR shown once), a kiosk-style check-in through the API appearing live on
// the open desk, staff marked present, a contractor approved and checked
// in, and an evacuation started, a person marked safe with one tap (seen
// in a second tab), a check-in refused meanwhile, and the evacuation ended.
// Every screen is audited with axe-core and photographed at a desk, a
// tablet, a phone and on paper (artifacts/screenshots, or
// $PORTAL_SCREENSHOTS).

// deskSizes are the sizes the desk is looked at: the front desk's PC, the
// tablet on the counter, the phone in the car park.
var deskSizes = []struct {
	name          string
	width, height int64
}{{"desk", 1440, 900}, {"tablet", 820, 1180}, {"phone", 390, 844}}

// deskShots saves the page at each desk size and as printed, and fails
// when it scrolls sideways at any size or something sticks out.
func deskShots(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	step(t, ctx, "to the top", chromedp.Evaluate[chromedp.Void](`scrollTo(0, 0)`))
	for _, size := range deskSizes {
		step(t, ctx, "viewport", chromedp.EmulateViewport(size.width, size.height))
		png := read(t, ctx, "screenshot "+name, chromedp.CaptureScreenshot())
		saveShot(t, fmt.Sprintf("desk-%s-%s-%dx%d", name, size.name, size.width, size.height), png)
		if over := read(t, ctx, "overflow", chromedp.Evaluate[int](`document.documentElement.scrollWidth - innerWidth`)); over > 0 {
			t.Errorf("%s at %dx%d is %d px wider than the window", name, size.width, size.height, over)
		}
		if out := read(t, ctx, "out of view", chromedp.Evaluate[[]string](outOfView)); len(out) > 0 {
			t.Errorf("%s at %dx%d: elements stick out of the window: %v", name, size.width, size.height, out)
		}
	}
	// 200% zoom of a 1280×800 screen: the page reflows.
	step(t, ctx, "zoom 200%", chromedp.EmulateViewport(640, 400, chromedp.EmulateScale(2)))
	saveShot(t, "desk-"+name+"-zoom200", read(t, ctx, "screenshot "+name+" zoomed", chromedp.CaptureScreenshot()))
	if over := read(t, ctx, "overflow", chromedp.Evaluate[int](`document.documentElement.scrollWidth - innerWidth`)); over > 0 {
		t.Errorf("%s at 200%% zoom is %d px wider than the window", name, over)
	}
	step(t, ctx, "print", chromedp.EmulateViewport(800, 1100), media(emulation.SetEmulatedMediaParams{Media: "print"}))
	png := read(t, ctx, "screenshot "+name+" printed", chromedp.FullScreenshot(100))
	saveShot(t, "desk-"+name+"-print", png)
	step(t, ctx, "screen again", media(emulation.SetEmulatedMediaParams{}), chromedp.EmulateViewport(1440, 900))
}

// printedText is the page's text as printed.
func printedText(t *testing.T, ctx context.Context) string {
	t.Helper()
	step(t, ctx, "print media", media(emulation.SetEmulatedMediaParams{Media: "print"}))
	text := read(t, ctx, "printed text", chromedp.Evaluate[string](`document.body.innerText`))
	step(t, ctx, "screen media", media(emulation.SetEmulatedMediaParams{}))
	return text
}

// waitCard waits until a card in a column of the board names the person.
func waitCard(column, name string) chromedp.Action[chromedp.Void] {
	return waitText(fmt.Sprintf(`.desk-%s li.visitor`, column), name)
}

// clickIn clicks the button labelled label on the card that names name.
func clickIn(name, label string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
  const li = [...document.querySelectorAll("li.visitor")].find((n) => n.querySelector(".visitor-name").textContent.includes(%q));
  const b = [...li.querySelectorAll("button")].find((b) => b.textContent.trim() === %q);
  b.click();
})()`, name, label))
}

func TestDeskInChromium(t *testing.T) {
	browser := newBrowser(t)
	axe := axeSource(t)
	dir := t.TempDir()
	srv, m, api := serveForOwner(t, dir, "front desk kiosk")

	var confirms atomic.Int32
	a := tab(t, browser, &confirms)
	signUpOwner(t, a, m[0])

	// Two sites in their own time zones; Sam and Rita can be visited.
	type location struct {
		ID uint64 `json:"id"`
	}
	var office, depot location
	if _, err := api.do("POST", "/api/v1/locations", map[string]any{"name": "Main office", "timezone": "Europe/London"}, &office); err != nil {
		t.Fatal(err)
	}
	if _, err := api.do("POST", "/api/v1/locations", map[string]any{"name": "Riverside depot", "timezone": "America/New_York"}, &depot); err != nil {
		t.Fatal(err)
	}
	var rita struct {
		User struct {
			ID uint64 `json:"id"`
		} `json:"user"`
	}
	if _, err := api.do("POST", "/api/v1/users", map[string]any{"name": "Rita Reyes", "email": "rita@example.com", "role": "front_desk"}, &rita); err != nil {
		t.Fatal(err)
	}
	for id, phone := range map[uint64]string{1: "+44 20 7946 0001", rita.User.ID: "+44 20 7946 0002"} {
		if _, err := api.do("PATCH", fmt.Sprintf("/api/v1/users/%d", id), map[string]any{"host": true, "phone": phone}, nil); err != nil {
			t.Fatal(err)
		}
	}

	// The desk: the navigation leads there; the first location is shown.
	step(t, a, "visitors screen",
		chromedp.Navigate(srv.URL+"/tickets"),
		chromedp.Click(chromedp.CSS(`.side a[href="/visitors"]`)),
		waitText("h1", "Visitors"),
		chromedp.WaitVisible(chromedp.CSS(`.desk-board`)),
		waitText(".desk-expected", "Nobody is expected"),
		waitText(".desk-day", "Today"))
	deskShots(t, a, "visitors-empty")
	audit(t, a, axe, "visitors-empty")

	// Pre-register through the form: the host is found by typing.
	step(t, a, "pre-register form",
		chromedp.Click(chromedp.CSS(`.page-head button.pre-register`)),
		chromedp.WaitVisible(chromedp.CSS(`form.desk-form input[name="name"]`)),
		chromedp.Click(chromedp.CSS(`form.desk-form button[type="submit"]`)),
		waitText(".field-error", "Enter the visitor's name"),
		chromedp.SendKeys(chromedp.CSS(`form.desk-form input[name="name"]`), "Grace Hopper"),
		chromedp.Poll[chromedp.Void](`!document.querySelector("form.desk-form .field-error").textContent`),
		chromedp.SendKeys(chromedp.CSS(`form.desk-form input[name="company"]`), "Navy Labs"),
		chromedp.SendKeys(chromedp.CSS(`form.desk-form input[name="email"]`), "grace@example.com"),
		chromedp.SendKeys(chromedp.CSS(`form.desk-form input[name="purpose"]`), "Compiler review"),
		chromedp.SendKeys(chromedp.CSS(`form.desk-form input[name="host_id"]`), "Rit"),
		waitText(`form.desk-form [role="listbox"] li`, "Rita Reyes"),
		chromedp.Click(chromedp.CSS(`form.desk-form [role="listbox"] li[role="option"]`)))
	deskShots(t, a, "pre-register")
	audit(t, a, axe, "pre-register")
	step(t, a, "pre-register",
		chromedp.Click(chromedp.CSS(`form.desk-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.visitor-pass .pass-code`)),
		chromedp.Poll[chromedp.Void](`(() => { const i = document.querySelector(".visitor-pass img.pass-qr"); return i && i.complete && i.naturalWidth > 0; })()`),
		waitCard("expected", "Grace Hopper"))
	code := read(t, a, "code", chromedp.Text(chromedp.CSS(`.visitor-pass .pass-code`)))
	if len(code) != 6 || strings.ContainsAny(code, "0O1I") {
		t.Errorf("the pass shows the code %q, want 6 characters without 0, O, 1 or I", code)
	}
	if pass := read(t, a, "pass", chromedp.Text(chromedp.CSS(`.visitor-pass`))); !strings.Contains(pass, "Rita Reyes") || !strings.Contains(pass, "Main office") {
		t.Errorf("the pass lacks the host or the place:\n%s", pass)
	}
	// Its Print button prints the pass alone.
	step(t, a, "print the pass", chromedp.Evaluate[chromedp.Void](`document.body.dataset.print = "pass"`))
	printed := printedText(t, a)
	step(t, a, "pass printed", chromedp.Evaluate[chromedp.Void](`delete document.body.dataset.print`))
	for _, want := range []string{code, "Grace Hopper", "Rita Reyes"} {
		if !strings.Contains(printed, want) {
			t.Errorf("the printed pass lacks %q:\n%s", want, printed)
		}
	}
	for _, hidden := range []string{"Expected", "Sign out", "Print", "Staff on site"} {
		if strings.Contains(printed, hidden) {
			t.Errorf("the printed pass shows %q:\n%s", hidden, printed)
		}
	}
	deskShots(t, a, "pass")
	audit(t, a, axe, "pass")
	step(t, a, "done with the pass", chromedp.Click(chromedp.Search(`//section[contains(@class, "visitor-pass")]//button[text()="Done"]`)),
		chromedp.Poll[chromedp.Void](`!document.querySelector(".visitor-pass")`))

	// A second tab watches the desk; visitors pre-registered and checked in
	// elsewhere (the kiosk, an integration) appear there at once.
	b := tab(t, browser, &confirms)
	step(t, b, "second desk", chromedp.Navigate(srv.URL+"/visitors"), waitText(".live-status", "Live"), waitCard("expected", "Grace Hopper"))
	soon := time.Now().Add(30 * time.Minute).UTC().Format(time.RFC3339)
	var ada map[string]any
	if _, err := api.do("POST", "/api/v1/visitors/pre-register", map[string]any{
		"name": "Ada Lovelace", "company": "Analytical Engines", "email": "ada@example.com", "host_id": 1,
		"location_id": office.ID, "expected_at": soon, "purpose": "Board meeting",
	}, &ada); err != nil {
		t.Fatal(err)
	}
	adaCode, _ := ada["code"].(string)
	if v, ok := ada["visitor"].(map[string]any); ok && adaCode == "" {
		adaCode, _ = v["code"].(string)
	}
	step(t, b, "pre-registered live", waitCard("expected", "Ada Lovelace"), waitText(".live-hint", "Ada Lovelace is expected"))
	if _, err := api.do("POST", "/api/v1/visitors/check-in", map[string]any{"code": adaCode}, nil); err != nil {
		t.Fatalf("check-in by code %q: %v", adaCode, err)
	}
	step(t, b, "arrival live",
		waitCard("checked_in", "Ada Lovelace"),
		chromedp.WaitVisible(chromedp.CSS(`.desk-checked_in li.visitor.arrived .arrived-tag`)),
		waitText(".live-hint", "Your visitor Ada Lovelace is here"))
	step(t, a, "arrival in the first tab too", waitCard("checked_in", "Ada Lovelace"))
	deskShots(t, b, "visitors-arrival")
	darkShot(t, b, "desk-visitors-arrival")
	audit(t, b, axe, "visitors-arrival")

	// Check in and out at the desk; search finds by company.
	step(t, a, "check in Grace", clickIn("Grace Hopper", "Check in"), waitCard("checked_in", "Grace Hopper"))
	step(t, a, "check out Grace", clickIn("Grace Hopper", "Check out"), waitCard("checked_out", "Grace Hopper"))
	step(t, b, "departure live", waitCard("checked_out", "Grace Hopper"), waitText(".live-hint", "Grace Hopper left"))
	step(t, a, "search",
		chromedp.SendKeys(chromedp.CSS(`input[name="q"]`), "Analytical"),
		chromedp.Poll[chromedp.Void](`location.search.includes("q=Analytical")`),
		waitText(".desk-results li.visitor", "Ada Lovelace"),
		chromedp.Poll[chromedp.Void](`![...document.querySelectorAll(".desk-results li.visitor")].some((n) => n.textContent.includes("Grace"))`))
	deskShots(t, a, "visitors-search")
	step(t, a, "leave the search",
		clearField(`input[name="q"]`),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('input[name="q"]').dispatchEvent(new Event("input"))`),
		waitCard("checked_in", "Ada Lovelace"))
	// The status filter comes from the API's declaration.
	opts := read(t, a, "status options", chromedp.Evaluate[[]string](`[...document.querySelectorAll('.desk-controls select[name="status"] option')].map((o) => o.value)`))
	if strings.Join(opts, ",") != ",expected,checked_in,checked_out,cancelled" {
		t.Errorf("the status filter offers %q", opts)
	}
	step(t, a, "status filter",
		chromedp.Evaluate[chromedp.Void](`(() => { const s = document.querySelector('.desk-controls select[name="status"]'); s.value = "checked_in"; s.dispatchEvent(new Event("change")); })()`),
		chromedp.Poll[chromedp.Void](`location.search.includes("status=checked_in") && document.querySelectorAll(".desk-col").length === 1`),
		waitCard("checked_in", "Ada Lovelace"),
		chromedp.Evaluate[chromedp.Void](`(() => { const s = document.querySelector('.desk-controls select[name="status"]'); s.value = ""; s.dispatchEvent(new Event("change")); })()`),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll(".desk-col").length === 3`))

	// Someone at the desk now: a walk-in is checked in at once, with a badge
	// code; then checked out.
	step(t, a, "walk-in",
		chromedp.Click(chromedp.CSS(`.page-head button.walk-in`)),
		waitText("form.desk-form h2", "walk-in"),
		chromedp.Poll[chromedp.Void](`document.querySelector("form.desk-form .times").hidden`),
		chromedp.SendKeys(chromedp.CSS(`form.desk-form input[name="name"]`), "Walter Walk"),
		chromedp.SendKeys(chromedp.CSS(`form.desk-form input[name="host_id"]`), "Sam"),
		waitText(`form.desk-form [role="listbox"] li`, "Sam Owner"),
		chromedp.Click(chromedp.CSS(`form.desk-form [role="listbox"] li[role="option"]`)),
		chromedp.Click(chromedp.Search(`//button[text()="Check in now"]`)),
		waitText(".visitor-pass .pass-label", "badge code"),
		waitCard("checked_in", "Walter Walk"),
		chromedp.Click(chromedp.Search(`//section[contains(@class, "visitor-pass")]//button[text()="Done"]`)),
		clickIn("Walter Walk", "Check out"),
		waitCard("checked_out", "Walter Walk"))

	// Staff on site: Sam is marked present at the office, Rita's phone set.
	step(t, a, "staff presence",
		chromedp.Click(chromedp.CSS(`.staff-presence summary`)),
		chromedp.Click(chromedp.CSS(`button[aria-label="Mark Sam Owner present here"]`)),
		chromedp.WaitVisible(chromedp.CSS(`button[aria-label="Mark Sam Owner as gone"]`)))
	var sam struct {
		OnSite uint64 `json:"on_site_location_id"`
		Host   bool   `json:"host"`
	}
	if _, err := api.do("GET", "/api/v1/users/1", nil, &sam); err == nil && sam.OnSite != office.ID {
		t.Errorf("Sam is marked at %d, want the office %d", sam.OnSite, office.ID)
	}
	deskShots(t, a, "visitors-staff")
	audit(t, a, axe, "visitors-staff")

	// Contractors: one with papers in order, one whose induction runs out
	// in five days and whose insurance has lapsed.
	today := time.Now().UTC()
	day := func(d int) string { return today.AddDate(0, 0, d).Format(time.DateOnly) }
	for _, c := range []map[string]any{
		{"company": "Sparks Electrical", "name": "Ellis Watt", "email": "ellis@sparks.example", "phone": "+44 7700 900001", "induction_expires_on": day(200), "insurance_expires_on": day(300)},
		{"company": "Hammer & Sons", "name": "Hal Hammer", "email": "hal@hammer.example", "induction_expires_on": day(5), "insurance_expires_on": day(-3)},
	} {
		if _, err := api.do("POST", "/api/v1/contractors", c, nil); err != nil {
			t.Fatal(err)
		}
	}
	step(t, a, "contractors",
		chromedp.Click(chromedp.CSS(`.side a[href="/contractors"]`)),
		waitText("h1", "Contractors"),
		waitText(`tbody[data-list] tr`, "Ellis Watt"),
		waitText(`tbody[data-list] tr .expiry.warn`, "Expires in 5 days"),
		waitText(`tbody[data-list] tr .expiry.bad`, "Expired"))
	deskShots(t, a, "contractors")
	audit(t, a, axe, "contractors")
	step(t, a, "approve and check in",
		chromedp.Click(chromedp.CSS(`button[aria-label="Approve Ellis Watt"]`)),
		waitText(`tbody[data-list] tr`, "Approved"),
		chromedp.SetValue(chromedp.CSS(`select[aria-label="Where Ellis Watt checks in"]`), fmt.Sprint(office.ID)),
		chromedp.Click(chromedp.CSS(`button[aria-label="Check in Ellis Watt"]`)),
		chromedp.WaitVisible(chromedp.CSS(`button[aria-label="Check out Ellis Watt"]`)),
		waitText(`tbody[data-list] tr`, "Main office, since"))
	// An edit: the lapsed insurance renewed.
	step(t, a, "edit a contractor",
		chromedp.Click(chromedp.CSS(`button[aria-label="Edit Hal Hammer"]`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name="insurance_expires_on"]`)),
		chromedp.SetValue(chromedp.CSS(`input[name="insurance_expires_on"]`), day(365)),
		chromedp.Click(chromedp.Search(`//button[text()="Save changes"]`)),
		chromedp.Poll[chromedp.Void](`![...document.querySelectorAll("tbody[data-list] tr")].some((r) => r.textContent.includes("Hal Hammer") && r.textContent.includes("Expired"))`))
	// One added through the form, then rejected with a reason.
	step(t, a, "add a contractor",
		chromedp.Click(chromedp.Search(`//button[text()="+ Add contractor"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form.desk-form input[name="company"]`)),
		chromedp.SendKeys(chromedp.CSS(`form.desk-form input[name="company"]`), "Slate Roofing"),
		chromedp.SendKeys(chromedp.CSS(`form.desk-form input[name="name"]`), "Rory Slate"),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector('form.desk-form input[name="induction_expires_on"]').value = %q`, day(90))),
		chromedp.Click(chromedp.Search(`//button[text()="Add contractor"]`)),
		waitText(`tbody[data-list] tr`, "Rory Slate"),
		waitText(`tbody[data-list] tr`, "Not on file"))
	step(t, a, "reject",
		chromedp.Click(chromedp.CSS(`button[aria-label="Reject Rory Slate"]`)),
		chromedp.WaitVisible(chromedp.CSS(`dialog.desk-dialog textarea[name="reason"]`)),
		chromedp.SendKeys(chromedp.CSS(`dialog.desk-dialog textarea[name="reason"]`), "No insurance on file"),
		chromedp.Click(chromedp.CSS(`dialog.desk-dialog button[type="submit"]`)),
		chromedp.Poll[chromedp.Void](`!document.querySelector("dialog[open]")`),
		waitText(`tbody[data-list] tr`, "Rejected"),
		waitText(`tbody[data-list] tr`, "No insurance on file"))
	deskShots(t, a, "contractors-approved")
	audit(t, a, axe, "contractors-approved")

	// The evacuation: started from the board (a confirm), it lists Ada, Ellis
	// and Sam at the office; one tap marks Ada safe, in both tabs.
	step(t, b, "evacuation in the second tab", chromedp.Navigate(srv.URL+"/evacuation"), waitText(".evac-activate", "Start an evacuation"))
	step(t, a, "evacuation screen", chromedp.Click(chromedp.CSS(`.side a[href="/evacuation"]`)), waitText(".evac-activate", "Start an evacuation"))
	deskShots(t, a, "evacuation-idle")
	audit(t, a, axe, "evacuation-idle")
	confirms.Store(1)
	step(t, a, "activate",
		chromedp.Click(chromedp.CSS(`button.evac-start`)),
		waitText("h1", "Evacuation in progress"),
		waitText(".evac-missing", "Ada Lovelace"),
		waitText(".evac-missing", "Ellis Watt"),
		waitText(".evac-missing", "Sam Owner"),
		waitText(".evac-big", "3 unaccounted"))
	step(t, b, "activated live", waitText(".evac-big", "3 unaccounted"))
	deskShots(t, a, "evacuation-active")
	audit(t, a, axe, "evacuation-active")
	step(t, a, "mark Ada safe",
		chromedp.Click(chromedp.CSS(`button[aria-label="Mark Ada Lovelace safe"]`)),
		waitText(".evac-big", "2 unaccounted"),
		waitText(".evac-safe", "Ada Lovelace"))
	step(t, b, "safe live", waitText(".evac-big", "2 unaccounted"), waitText(".evac-safe", "Ada Lovelace"))
	var evac map[string]any
	if _, err := api.do("GET", "/api/v1/evacuation", nil, &evac); err != nil {
		t.Fatal(err)
	}
	if s := fmt.Sprint(evac); !strings.Contains(s, "Ada Lovelace") {
		t.Errorf("GET /evacuation lacks Ada: %s", s)
	}
	// The paper roll call: each location's names with a box to tick, no navigation.
	rollcall := printedText(t, a)
	for _, want := range []string{"Roll call — Main office", "Ada Lovelace", "Ellis Watt", "Sam Owner", "Sparks Electrical"} {
		if !strings.Contains(rollcall, want) {
			t.Errorf("the printed roll call lacks %q:\n%s", want, rollcall)
		}
	}
	for _, hidden := range []string{"Sign out", "End evacuation", "Tap when safe", "Contractors"} {
		if strings.Contains(rollcall, hidden) {
			t.Errorf("the printed roll call shows %q:\n%s", hidden, rollcall)
		}
	}
	deskShots(t, a, "evacuation-marked")
	darkShot(t, a, "desk-evacuation-marked")

	// Meanwhile a check-in at the desk is refused, as the API says.
	if _, err := api.do("POST", "/api/v1/visitors/pre-register", map[string]any{
		"name": "Late Larry", "host_id": 1, "location_id": office.ID, "expected_at": soon,
	}, nil); err != nil {
		t.Fatal(err)
	}
	step(t, b, "check-in refused",
		chromedp.Navigate(srv.URL+"/visitors"),
		waitCard("expected", "Late Larry"),
		waitText(".evac-alert", "Evacuation in progress"),
		clickIn("Late Larry", "Check in"),
		waitText(".desk-expected li.visitor .field-error", "vacuat"))

	confirms.Store(1)
	step(t, a, "end",
		chromedp.Click(chromedp.Search(`//button[text()="End evacuation"]`)),
		waitText(".evac-summary", "Last evacuation"),
		waitText(".evac-summary", "Not marked safe"),
		waitText(".evac-activate", "Start an evacuation"))
	step(t, b, "check-ins open again", chromedp.Poll[chromedp.Void](`document.querySelector(".evac-alert").hidden`))
	deskShots(t, a, "evacuation-ended")
	audit(t, a, axe, "evacuation-ended")
}
