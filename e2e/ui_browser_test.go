package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// The console in a real Chromium (Debian's, as .ci/run installs it) against
// a real `portal serve`: the owner sets up the shop, creates a ticket for a
// customer whose name is an XSS attempt, a second tab sees it arrive live,
// a note is added, an API client's change shows on the open ticket, and a
// webhook's secret is rotated. Screenshots of the main pages land in
// artifacts/screenshots (or $PORTAL_SCREENSHOTS) for a person to check.

const xssName = `<img src=x onerror=alert(1)>`

func chromiumPath(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("CI must run the browser tests: .ci/run installs Debian's chromium")
	}
	t.Skip("no Chromium on this machine (apt-get install chromium)")
	return ""
}

// newBrowser starts headless Chromium with the flags this machine needs
// (root, closed network) and a fresh profile.
func newBrowser(t *testing.T) context.Context {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return ctx
}

// tab opens another tab of the same browser (same cookies). A dialog is
// accepted only when the test said one is coming (confirms); any other, such
// as an injected script's alert, fails the test.
func tab(t *testing.T, browser context.Context, confirms *atomic.Int32) context.Context {
	ctx, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	go func() {
		for ev, err := range chromedp.Events(ctx, page.JavascriptDialogOpening) {
			if err != nil {
				return
			}
			accept := ev.Type == page.DialogTypeConfirm && confirms.Add(-1) >= 0
			if !accept {
				t.Errorf("unexpected %s dialog: %q", ev.Type, ev.Message)
			}
			chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: accept})
		}
	}()
	return ctx
}

func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(c, actions...); err != nil {
		sc, cancel2 := context.WithTimeout(ctx, 5*time.Second)
		defer cancel2()
		if shot, err := chromedp.Run(sc, chromedp.CaptureScreenshot()); err == nil {
			saveShot(t, "failed-"+strings.ReplaceAll(what, " ", "-"), shot)
		}
		body, _ := chromedp.Run(sc, chromedp.Text(chromedp.CSS("body")))
		t.Fatalf("%s: %v\npage text:\n%s", what, err, body)
	}
}

// read runs one action that returns a value.
func read[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(c, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// waitText waits until the element matching sel contains text.
func waitText(sel, text string) chromedp.Action[chromedp.Void] {
	js := fmt.Sprintf(`[...document.querySelectorAll(%q)].some((n) => n.textContent.includes(%q))`, sel, text)
	return chromedp.Poll[chromedp.Void](js, chromedp.WithPollingInterval(50*time.Millisecond))
}

func screenshotDir(t *testing.T) string {
	dir := os.Getenv("PORTAL_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join("..", "artifacts", "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func saveShot(t *testing.T, name string, png []byte) {
	if err := os.WriteFile(filepath.Join(screenshotDir(t), name+".png"), png, 0o644); err != nil {
		t.Error(err)
	}
}

// The sizes the console is checked at: a phone, a tablet, a desk.
var sizes = []struct {
	name          string
	width, height int64
}{{"phone", 390, 844}, {"tablet", 768, 1024}, {"desk", 1280, 800}}

// shots saves the current page at every size (and at 200% zoom) for a
// person to look at, and fails when the page scrolls sideways at any of
// them: on a phone, a tablet or zoomed, the page must reflow.
func shots(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	step(t, ctx, "to the top", chromedp.Evaluate[chromedp.Void](`scrollTo(0, 0)`))
	for _, size := range sizes {
		step(t, ctx, "viewport", chromedp.EmulateViewport(size.width, size.height))
		png := read(t, ctx, "screenshot "+name, chromedp.CaptureScreenshot())
		saveShot(t, fmt.Sprintf("%s-%s-%dx%d", name, size.name, size.width, size.height), png)
		if over := read(t, ctx, "overflow", chromedp.Evaluate[int](`document.documentElement.scrollWidth - innerWidth`)); over > 0 {
			t.Errorf("%s at %dx%d is %d px wider than the window", name, size.width, size.height, over)
		}
	}
	// 200% zoom of a 1280×800 screen: half the CSS pixels at twice the
	// density. The page must reflow, not scroll sideways.
	step(t, ctx, "zoom 200%", chromedp.EmulateViewport(640, 400, chromedp.EmulateScale(2)))
	png := read(t, ctx, "screenshot "+name, chromedp.CaptureScreenshot())
	saveShot(t, name+"-zoom200", png)
	if over := read(t, ctx, "overflow", chromedp.Evaluate[int](`document.documentElement.scrollWidth - innerWidth`)); over > 0 {
		t.Errorf("%s at 200%% zoom is %d px wider than the window", name, over)
	}
	step(t, ctx, "viewport back", chromedp.EmulateViewport(1280, 800))
}

// darkShot saves the page as it looks with the system in dark mode.
func darkShot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dark := emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}}
	step(t, ctx, "dark mode", media(dark))
	png := read(t, ctx, "screenshot "+name, chromedp.CaptureScreenshot())
	saveShot(t, name+"-dark-1280x800", png)
	step(t, ctx, "light mode", media(emulation.SetEmulatedMediaParams{}))
}

// media emulates a CSS media type or feature (print, dark mode); the zero
// params switch emulation off.
func media(p emulation.SetEmulatedMediaParams) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, p)
		return err
	})
}

// outOfView lists the visible elements of the page that stick out of the
// window sideways (the hidden navigation drawer and visually hidden text
// aside), as "tag.class (left–right)".
const outOfView = `(() => {
  const out = [];
  for (const e of document.querySelectorAll("body *")) {
    if (e.closest(".visually-hidden, .skip, [hidden]") || (e.closest(".side") && getComputedStyle(e.closest(".side")).visibility === "hidden")) continue;
    const s = getComputedStyle(e);
    if (s.display === "none" || s.visibility === "hidden") continue;
    const r = e.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.right > innerWidth + 0.5 || r.left < -0.5) out.push(e.tagName.toLowerCase() + "." + [...e.classList].join(".") + " (" + Math.round(r.left) + "–" + Math.round(r.right) + ")");
  }
  return out.slice(0, 8);
})()`

// smallTargets lists the list rows (and the controls and links of the
// shell and the page) shorter than 44 px, and the rows that a tap at their
// far right does not open: whole rows are the target on touch sizes.
const smallTargets = `(() => {
  const out = [];
  const seen = (e) => { const s = getComputedStyle(e); return s.display !== "none" && s.visibility !== "hidden" && e.getClientRects().length; };
  for (const row of document.querySelectorAll("[data-list] > tr")) {
    const r = row.getBoundingClientRect();
    if (r.height < 44) out.push("row " + row.dataset.id + " is " + Math.round(r.height) + " px tall");
    const link = row.querySelector("a");
    const hit = document.elementFromPoint(r.right - 8, r.top + r.height / 2);
    if (r.bottom <= innerHeight && (!hit || hit.closest("a") !== link)) out.push("row " + row.dataset.id + " does not open from its right end");
  }
  for (const e of document.querySelectorAll(".topbar button, .side-foot button, #content button, #content select, #content input:not([type=checkbox]):not([type=hidden]), #content .button")) {
    if (!seen(e) || e.closest("[data-list], .visually-hidden")) continue;
    const h = e.getBoundingClientRect().height;
    if (h < 44) out.push((e.textContent.trim() || e.name || e.tagName) + " is " + Math.round(h) + " px tall");
  }
  return out.slice(0, 10);
})()`

// checkTouch checks the page at the phone and tablet sizes: nothing sticks
// out sideways, and every row and control is a target of 44 px or more.
func checkTouch(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	for _, size := range sizes[:2] {
		step(t, ctx, "viewport", chromedp.EmulateViewport(size.width, size.height))
		if out := read(t, ctx, "out of view", chromedp.Evaluate[[]string](outOfView)); len(out) > 0 {
			t.Errorf("%s at %dx%d: elements stick out of the window: %v", name, size.width, size.height, out)
		}
		if small := read(t, ctx, "targets", chromedp.Evaluate[[]string](smallTargets)); len(small) > 0 {
			t.Errorf("%s at %dx%d: targets under 44 px: %v", name, size.width, size.height, small)
		}
	}
	step(t, ctx, "viewport back", chromedp.EmulateViewport(1280, 800))
}

// pdfPages counts the pages of a PDF Chromium printed (one /Type /Page
// object each; the /Pages tree node does not count).
var pdfPage = regexp.MustCompile(`/Type\s*/Page[^s]`)

// afterLoad runs a wait that a page load may interrupt (the page it polls
// is replaced): it is tried again on the new page until the step's deadline.
func afterLoad(wait chromedp.Action[chromedp.Void]) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		for {
			err := chromedp.Do(ctx, wait)
			if err == nil || ctx.Err() != nil || !strings.Contains(err.Error(), "context") {
				return err
			}
		}
	})
}

// clearField empties a text control, for typing a new value into it.
func clearField(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%q).value = ""`, sel))
}

// press sends keys to the page as a person types them.
func press(keys string) chromedp.Action[chromedp.Void] { return chromedp.KeyEvent(keys) }

// shortcut presses one key as a shortcut: its keydown and keyup without the
// separate character event chromedp adds for typing. A browser types no
// character for a keydown the page prevented (a "/" that focuses the search
// box is not typed into it); over the protocol that character would still
// arrive, so it is not sent.
func shortcut(key rune) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		for _, k := range kb.Encode(key) {
			if k.Type == kb.KeyChar {
				continue
			}
			if _, err := chromedp.Call(ctx, input.DispatchKeyEvent, *k); err != nil {
				return err
			}
		}
		return nil
	})
}

// axeSource is axe-core's script, which .ci/run installs from npm into
// .ci/node (PORTAL_AXE names another copy); the accessibility audit is
// required in CI and skipped elsewhere when it is missing.
func axeSource(t *testing.T) string {
	path := os.Getenv("PORTAL_AXE")
	if path == "" {
		path = filepath.Join("..", ".ci", "node", "node_modules", "axe-core", "axe.min.js")
	}
	src, err := os.ReadFile(path)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI must audit accessibility: %v", err)
		}
		t.Logf("no accessibility audit: %v (npm install --prefix .ci/node axe-core)", err)
		return ""
	}
	return string(src)
}

// audit runs axe-core's WCAG 2 A and AA rules on the page and fails the
// test on serious or critical findings, naming each rule and element.
func audit(t *testing.T, ctx context.Context, axe, page string) {
	t.Helper()
	if axe == "" {
		return
	}
	step(t, ctx, "load axe", chromedp.Evaluate[chromedp.Void](axe+";0"))
	type finding struct {
		ID, Impact, Help string
		Nodes            []string
	}
	found := read(t, ctx, "axe "+page, chromedp.Evaluate[[]finding](`axe.run(document, {runOnly: ["wcag2a", "wcag2aa"]}).then((r) =>
		r.violations.filter((v) => v.impact === "serious" || v.impact === "critical")
		  .map((v) => ({ID: v.id, Impact: v.impact, Help: v.help, Nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" "))})))`,
		chromedp.EvalAwaitPromise))
	for _, f := range found {
		t.Errorf("%s: %s (%s) at %v", page, f.Help, f.ID, f.Nodes)
	}
}

func TestConsoleInChromium(t *testing.T) {
	browser := newBrowser(t)
	axe := axeSource(t)
	dir := t.TempDir()
	// Sandbox mode lets webhooks reach the loopback receiver below.
	srv, m, api := serveForOwner(t, dir, "browser test", "--sandbox")

	var received atomic.Int32
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		received.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	defer receiver.Close()

	var confirms atomic.Int32
	a := tab(t, browser, &confirms)

	// The owner sets up the account from the printed link; the second step
	// asks for the shop's essentials, and can wait.
	step(t, a, "setup",
		chromedp.Navigate(m[0]),
		chromedp.WaitVisible(chromedp.CSS(`input[name="name"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="name"]`), "Sam Owner"),
		chromedp.SendKeys(chromedp.CSS(`input[name="email"]`), "sam@example.com"),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), "correct horse battery"),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		waitText("h1", "About your shop"),
		chromedp.WaitVisible(chromedp.CSS(`select[name="timezone"]`)))
	shots(t, a, "setup-shop")
	audit(t, a, axe, "setup-shop")
	step(t, a, "skip the shop step",
		chromedp.Click(chromedp.Search(`//button[text()="Skip for now"]`)),
		waitText(".empty", "No tickets yet"),
		waitText(".setup-card", "Finish setting up your shop"),
		waitText(".live-status", "Live"))
	shots(t, a, "queue-empty")
	audit(t, a, axe, "queue-empty")

	// Settings → Shop: the tax rate typed with a decimal comma, the terms the
	// receipt prints, and a status added to the workflow.
	step(t, a, "shop settings",
		chromedp.Click(chromedp.CSS(`.setup-card a`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name="tax_rate"]`)),
		clearField(`input[name="name"]`),
		chromedp.SendKeys(chromedp.CSS(`input[name="name"]`), "Fix-It Corner"),
		chromedp.SendKeys(chromedp.CSS(`input[name="phone"]`), "+1 503 555 0101"),
		chromedp.SendKeys(chromedp.CSS(`textarea[name="hours"]`), "Mon–Fri 9–6, Sat 10–4"),
		clearField(`input[name="tax_rate"]`),
		chromedp.SendKeys(chromedp.CSS(`input[name="tax_rate"]`), "8,875"),
		chromedp.SendKeys(chromedp.CSS(`textarea[name="receipt_terms"]`), "Devices left over 90 days are recycled."),
		chromedp.SendKeys(chromedp.CSS(`input[name="portal_url"]`), "https://repairs.example.com"),
		clearField(`input[name="portal_link_days"]`),
		chromedp.SendKeys(chromedp.CSS(`input[name="portal_link_days"]`), "14"),
		chromedp.Click(chromedp.Search(`//button[text()="Save shop details"]`)),
		waitText(`[role="status"]`, "Saved."),
		waitText(".shop-name", "Fix-It Corner"))
	var shop struct {
		TaxRate       float64 `json:"tax_rate"`
		SetupComplete bool    `json:"setup_complete"`
		ReceiptTerms  string  `json:"receipt_terms"`
		PortalURL     string  `json:"portal_url"`
		LinkDays      int     `json:"portal_link_days"`
	}
	if _, err := api.do("GET", "/api/v1/store", nil, &shop); err != nil || shop.TaxRate != 8.875 || !shop.SetupComplete || shop.ReceiptTerms == "" ||
		shop.PortalURL != "https://repairs.example.com" || shop.LinkDays != 14 {
		t.Fatalf("after Settings → Shop the shop is %+v (%v)", shop, err)
	}
	step(t, a, "add a status",
		chromedp.Click(chromedp.Search(`//button[text()="+ Add status"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="statuses[7].name"]`), "On hold"),
		chromedp.Click(chromedp.Search(`//button[text()="Save statuses"]`)),
		waitText(`.status-list + .actions [role="status"]`, "Saved."))
	shots(t, a, "shop-settings")
	audit(t, a, axe, "shop-settings")
	step(t, a, "queue without the nudge",
		chromedp.Click(chromedp.CSS(`.side a[href="/tickets"]`)),
		waitText(".counts", "On hold"),
		chromedp.Poll[chromedp.Void](`document.querySelector(".setup-card") === null`))

	// A second tab of the same session watches the queue.
	b := tab(t, browser, &confirms)
	step(t, b, "second tab", chromedp.Navigate(srv.URL+"/tickets"), waitText(".live-status", "Live"))

	// A new ticket through the form, for a new customer with a hostile name.
	// Creating it before choosing a customer says so; choosing clears it.
	step(t, a, "new ticket form",
		chromedp.Click(chromedp.CSS(`a[href="/tickets/new"]`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name="customer_search"]`)),
		chromedp.Click(chromedp.CSS(`form button[type="submit"]`)),
		waitText(".field-error", "Choose a customer"),
		chromedp.SendKeys(chromedp.CSS(`input[name="customer_search"]`), xssName),
		waitText("#customer-options", "New customer"),
		chromedp.Click(chromedp.CSS(`#customer-options li:last-child`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name="phone"]`)),
		chromedp.Poll[chromedp.Void](`![...document.querySelectorAll(".field-error")].some((p) => p.textContent)`),
		chromedp.SendKeys(chromedp.CSS(`input[name="phone"]`), "555 0100"),
		chromedp.SendKeys(chromedp.CSS(`input[name="device.brand"]`), "Apple"),
		chromedp.SendKeys(chromedp.CSS(`input[name="device.model"]`), "iPhone 13"),
		chromedp.SendKeys(chromedp.CSS(`input[name="device.serial"]`), "F2LXK9"),
		chromedp.SendKeys(chromedp.CSS(`textarea[name="issue"]`), "Cracked screen"))
	shots(t, a, "new-ticket")
	audit(t, a, axe, "new-ticket")
	step(t, a, "create ticket",
		chromedp.Click(chromedp.CSS(`form button[type="submit"]`)),
		waitText("h1", "#1001"),
		waitText(".timeline", "Cracked screen"))

	// The name is text, not markup: shown verbatim, and no image was made.
	shownName := read(t, a, "customer name", chromedp.Text(chromedp.CSS(`.ticket-head a[href^="/customers/"]`)))
	images := read(t, a, "images", chromedp.Evaluate[int](`document.querySelectorAll("img").length`))
	if shownName != xssName || images != 0 {
		t.Fatalf("customer name shown as %q with %d <img> elements; want the literal text and none", shownName, images)
	}

	// The other tab saw the ticket arrive, with who opened it.
	step(t, b, "live queue",
		waitText(`tbody[data-list] tr`, "iPhone 13"),
		waitText(`tbody[data-list] tr`, xssName),
		waitText(".live-hint", "#1001: Sam Owner opened the ticket"))

	// A note for the customer and an internal one land in the timeline.
	step(t, a, "add notes",
		chromedp.SendKeys(chromedp.CSS(`textarea[name="body"]`), "Screen ordered, ETA Thursday"),
		chromedp.Click(chromedp.CSS(`.composer button[type="submit"]`)),
		waitText(".timeline .note", "Screen ordered, ETA Thursday"),
		chromedp.SendKeys(chromedp.CSS(`textarea[name="body"]`), "Quote screen at $129 + labour"),
		chromedp.Click(chromedp.CSS(`#note-internal`)),
		chromedp.Click(chromedp.CSS(`.composer button[type="submit"]`)),
		waitText(".timeline .note.internal", "Quote screen"))
	composer := read(t, a, "composer", chromedp.Value(chromedp.CSS(`textarea[name="body"]`)))
	if composer != "" {
		t.Fatalf("composer still holds %q after adding the note", composer)
	}

	// An API client moves the ticket on: the open page says who did what,
	// the timeline too, and the queue in the other tab.
	if _, err := api.do("PATCH", "/api/v1/tickets/1", map[string]any{"status": "In Progress"}, nil); err != nil {
		t.Fatal(err)
	}
	step(t, a, "change from elsewhere",
		waitText(".notice", "browser test changed status New → In Progress"),
		waitText(".timeline .event", "browser test changed status New → In Progress"))
	status := read(t, a, "status", chromedp.Value(chromedp.CSS(`select[name="status"]`)))
	if status != "In Progress" {
		t.Fatalf("status control shows %q after the API changed it", status)
	}
	step(t, b, "queue follows",
		waitText(`tbody[data-list] tr`, "In Progress"),
		waitText(".live-hint", "#1001: browser test changed status New → In Progress"))

	// A part priced with a decimal comma is taxed at the shop's new rate:
	// 89.50 + 8.875 % = 97.44, and the balance shows in the header.
	step(t, a, "line item",
		chromedp.SendKeys(chromedp.CSS(`input[name="description"]`), "Screen"),
		chromedp.SendKeys(chromedp.CSS(`input[name="unit_price"]`), "89,50"),
		chromedp.Click(chromedp.Search(`//form[@aria-label="Add a line item"]//button[text()="Add"]`)),
		waitText(".col-side table.items", "Screen"),
		waitText(".totals", "$7.94"),
		waitText(".ticket-head .balance", "$97.44"),
		waitText(".timeline .event", "Sam Owner added Screen ($89.50)"))
	// Removing it asks nothing, says so in the timeline, and can be undone.
	step(t, a, "remove and undo",
		chromedp.Click(chromedp.CSS(`button[aria-label="Remove Screen"]`)),
		waitText(".undo", "Removed Screen"),
		waitText(".timeline .event", "Sam Owner removed Screen ($89.50)"),
		waitText(".ticket-head .balance", "$0.00"),
		chromedp.Click(chromedp.Search(`//div[@class="undo"]/button[text()="Undo"]`)),
		waitText(".ticket-head .balance", "$97.44"))
	// An empty payment amount is a question, never the whole balance.
	step(t, a, "empty payment",
		chromedp.Click(chromedp.Search(`//button[text()="Record payment"]`)),
		waitText(".field-error", "Enter the amount received (the balance is $97.44)"))
	var payments []any
	if _, err := api.do("GET", "/api/v1/tickets/1/payments", nil, &payments); err != nil || len(payments) != 0 {
		t.Fatalf("an empty amount recorded payments %v (%v)", payments, err)
	}
	shots(t, a, "ticket")
	checkTouch(t, a, "ticket")
	audit(t, a, axe, "ticket")
	darkShot(t, a, "ticket")
	// The balance is in the header, in view on a tablet.
	step(t, a, "tablet header", chromedp.EmulateViewport(768, 1024))
	if bottom := read(t, a, "balance", chromedp.Evaluate[float64](`document.querySelector(".ticket-head .balance").getBoundingClientRect().bottom`)); bottom > 1024 || bottom <= 0 {
		t.Errorf("at 768x1024 the balance is at %v px, below the fold", bottom)
	}
	step(t, a, "desk again", chromedp.EmulateViewport(1280, 800))

	// Printing the ticket hides the controls, the navigation, the internal
	// note and the events.
	step(t, a, "print the ticket", media(emulation.SetEmulatedMediaParams{Media: "print"}))
	printed := read(t, a, "printed ticket", chromedp.Evaluate[string](`document.body.innerText`))
	step(t, a, "screen again", media(emulation.SetEmulatedMediaParams{}))
	for _, hidden := range []string{"Quote screen", "Sign out", "Customers", "Record payment", "changed status"} {
		if strings.Contains(printed, hidden) {
			t.Errorf("the printed ticket shows %q:\n%s", hidden, printed)
		}
	}
	if !strings.Contains(printed, "Screen ordered, ETA Thursday") {
		t.Errorf("the printed ticket lacks the customer's note:\n%s", printed)
	}

	// p opens the intake receipt: one page, with the shop, the number, the
	// device and its serial, the terms and a QR code, and nothing internal.
	step(t, a, "receipt",
		chromedp.Focus(chromedp.CSS(`#content`)),
		shortcut('p'),
		waitText(".receipt", "Devices left over 90 days are recycled."),
		chromedp.Poll[chromedp.Void](`(() => { const i = document.querySelector(".receipt-qr img"); return i && i.complete && i.naturalWidth > 0; })()`))
	printedPDF, err := chromedp.Call(a, page.PrintToPDF, page.PrintToPDFParams{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(pdfPage.FindAll(printedPDF.Data, -1)); n != 1 {
		t.Errorf("the receipt prints on %d pages, want 1", n)
	}
	step(t, a, "print the receipt", media(emulation.SetEmulatedMediaParams{Media: "print"}))
	receipt := read(t, a, "printed receipt", chromedp.Evaluate[string](`document.body.innerText`))
	step(t, a, "screen again", media(emulation.SetEmulatedMediaParams{}))
	for _, want := range []string{"Fix-It Corner", "+1 503 555 0101", "#1001", xssName, "Apple iPhone 13", "F2LXK9", "Cracked screen", "Devices left over 90 days", "Customer signature"} {
		if !strings.Contains(receipt, want) {
			t.Errorf("the printed receipt lacks %q:\n%s", want, receipt)
		}
	}
	for _, hidden := range []string{"Quote screen", "Screen ordered", "Print", "Sign out", "$"} {
		if strings.Contains(receipt, hidden) {
			t.Errorf("the printed receipt shows %q:\n%s", hidden, receipt)
		}
	}
	shots(t, a, "receipt")
	audit(t, a, axe, "receipt")

	// The ticket becomes urgent and Sam's: the queue shows both.
	var staff []struct {
		ID    int    `json:"id"`
		Email string `json:"email"`
	}
	if _, err := api.do("GET", "/api/v1/users", nil, &staff); err != nil || len(staff) == 0 || staff[0].Email != "sam@example.com" {
		t.Fatalf("staff %v (%v)", staff, err)
	}
	if _, err := api.do("PATCH", "/api/v1/tickets/1", map[string]any{"priority": "urgent", "assigned_to": staff[0].ID}, nil); err != nil {
		t.Fatal(err)
	}

	// The keyboard: search, open the row, and Esc back to the same search
	// with that row focused; Esc in the search box leaves it, so j works.
	step(t, a, "search and open",
		chromedp.Navigate(srv.URL+"/tickets"),
		chromedp.WaitVisible(chromedp.CSS(`tbody[data-list] tr`)),
		chromedp.Focus(chromedp.CSS(`#content`)),
		shortcut('/'),
		press("iPhone"),
		chromedp.Poll[chromedp.Void](`location.search === "?q=iPhone"`),
		waitText(`tbody[data-list] tr`, "iPhone 13"),
		press(kb.Enter),
		chromedp.Poll[chromedp.Void](`document.activeElement.matches("tbody[data-list] a")`),
		press(kb.Enter),
		waitText("h1", "#1001"),
		press(kb.Escape),
		chromedp.Poll[chromedp.Void](`location.pathname === "/tickets" && location.search === "?q=iPhone" && document.activeElement.matches('tbody[data-list] a[href="/tickets/1"]')`),
		waitText(`tbody[data-list] tr .prio`, "Urgent"),
		waitText(`tbody[data-list] tr .c-tech`, "Sam Owner"))
	if v := read(t, a, "search box", chromedp.Value(chromedp.CSS(`input[name="q"]`))); v != "iPhone" {
		t.Errorf("back on the queue the search box holds %q", v)
	}
	step(t, a, "Esc leaves the search box",
		shortcut('/'),
		press(kb.Escape),
		chromedp.Poll[chromedp.Void](`document.activeElement.id === "content"`),
		shortcut('j'),
		chromedp.Poll[chromedp.Void](`document.activeElement.matches("tbody[data-list] a")`),
		shortcut('g'), shortcut('m'),
		chromedp.Poll[chromedp.Void](`/assigned_to=\d/.test(location.search) && document.querySelector(".toolbar .count[aria-pressed=true]")?.textContent === "Mine"`),
		waitText(`tbody[data-list] tr`, "iPhone 13"))

	// The shortcuts dialog lists every shortcut, as keys and words.
	step(t, a, "shortcuts", shortcut('?'), chromedp.WaitVisible(chromedp.CSS(`dialog.shortcuts`)))
	rows := read(t, a, "shortcut rows", chromedp.Evaluate[[]struct{ Keys, What string }](
		`[...document.querySelectorAll("dialog.shortcuts .shortcut")].map((r) => ({Keys: r.querySelector("dt").textContent, What: r.querySelector("dd").textContent}))`))
	wantKeys := []string{"/", "n", "g then t", "g then m", "g then c", "g then q", "g then i", "g then o", "g then d", "g then s", "g then w", "g then e", "g then k", "j / k", "Enter", "p", "Ctrl+Enter", "Esc", "?"}
	if len(rows) != len(wantKeys) {
		t.Errorf("the shortcuts dialog has %d rows, want %d: %v", len(rows), len(wantKeys), rows)
	}
	for i, r := range rows {
		if i < len(wantKeys) && (strings.Join(strings.Fields(r.Keys), " ") != wantKeys[i] || r.What == "" || strings.Contains(r.Keys+r.What, "[object")) {
			t.Errorf("shortcut row %d reads %q %q, want the keys %q and what they do", i, r.Keys, r.What, wantKeys[i])
		}
	}
	step(t, a, "close shortcuts", press(kb.Escape), chromedp.Poll[chromedp.Void](`!document.querySelector("dialog[open]")`))

	// The queue at every size: cards on a phone, a table on a tablet, rows
	// that open from anywhere, nothing off the side.
	step(t, b, "queue", chromedp.Navigate(srv.URL+"/tickets"), chromedp.WaitVisible(chromedp.CSS(`tbody[data-list] tr`)))
	shots(t, b, "queue")
	checkTouch(t, b, "queue")
	audit(t, b, axe, "queue")
	darkShot(t, b, "queue")
	// On a phone the navigation is a drawer behind Menu; Esc closes it.
	step(t, b, "drawer",
		chromedp.EmulateViewport(390, 844),
		chromedp.Click(chromedp.CSS(`.menu-button`)),
		chromedp.Poll[chromedp.Void](`document.querySelector(".side").getBoundingClientRect().left === 0 && document.activeElement.closest(".side")`))
	png := read(t, b, "drawer", chromedp.CaptureScreenshot())
	saveShot(t, "drawer-phone-390x844", png)
	if small := read(t, b, "drawer links", chromedp.Evaluate[[]string](`[...document.querySelectorAll(".side a, .side button")].filter((e) => e.getBoundingClientRect().height < 44).map((e) => e.textContent)`)); len(small) > 0 {
		t.Errorf("drawer targets under 44 px: %v", small)
	}
	step(t, b, "close drawer", press(kb.Escape),
		chromedp.Poll[chromedp.Void](`document.querySelector(".frame").dataset.drawer === "closed" && document.activeElement.matches(".menu-button")`),
		chromedp.EmulateViewport(1280, 800))

	// A webhook to the receiver, a test delivery, and a rotated secret.
	step(t, a, "create webhook",
		chromedp.Navigate(srv.URL+"/settings/webhooks"),
		chromedp.WaitVisible(chromedp.CSS(`input[name="url"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="url"]`), receiver.URL+"/hook"),
		chromedp.Click(chromedp.CSS(`form.card-flat button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.secret-panel input`)))
	firstSecret := read(t, a, "secret", chromedp.Value(chromedp.CSS(`.secret-panel input`)))
	step(t, a, "open webhook",
		chromedp.Click(chromedp.CSS(`a[href="/settings/webhooks/1"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.toolbar`)))
	step(t, a, "send test",
		chromedp.Click(chromedp.Search(`//button[text()="Send test"]`)),
		waitText(`[role="status"]`, "answered 200"),
		waitText(`table.deliveries`, "delivered"))
	if received.Load() == 0 {
		t.Fatal("the receiver got nothing from Send test")
	}
	confirms.Store(1)
	step(t, a, "rotate secret",
		chromedp.Click(chromedp.Search(`//button[text()="Rotate secret"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.secret-panel input`)))
	rotated := read(t, a, "rotated secret", chromedp.Value(chromedp.CSS(`.secret-panel input`)))
	if rotated == "" || rotated == firstSecret {
		t.Fatalf("rotated secret %q (first was %q)", rotated, firstSecret)
	}
	// The owner can see the current secret again.
	step(t, a, "show secret",
		chromedp.Click(chromedp.Search(`//button[text()="Show secret"]`)),
		waitText(`.secret-panel`, "Signing secret"))
	if shown := read(t, a, "shown secret", chromedp.Value(chromedp.CSS(`.secret-panel input`))); shown != rotated {
		t.Fatalf("Show secret showed %q, want the current %q", shown, rotated)
	}
	step(t, a, "delivery detail",
		chromedp.Click(chromedp.CSS(`table.deliveries button[aria-expanded]`)),
		waitText(`tr.detail`, "Attempt 1"))
	shots(t, a, "webhook")
	audit(t, a, axe, "webhook")

	// The events page names tickets and people, never their ids.
	step(t, a, "events", chromedp.Navigate(srv.URL+"/settings/events"), waitText(".event-list", "on #1001"))
	events := read(t, a, "event lines", chromedp.Evaluate[string](`[...document.querySelectorAll(".event-list .item-head .small:not(.mono)")].map((e) => e.textContent).join("\n")`))
	for _, want := range []string{"Sam Owner opened the ticket on #1001", "browser test changed status New → In Progress on #1001", "Sam Owner removed Screen ($89.50) on #1001", "Sam Owner changed the shop"} {
		if !strings.Contains(events, want) {
			t.Errorf("the events page lacks %q:\n%s", want, events)
		}
	}
	if regexp.MustCompile(`(?i)\b(ticket|customer|assignee) \d`).MatchString(events) {
		t.Errorf("the events page names records by id:\n%s", events)
	}
	shots(t, a, "events")
	audit(t, a, axe, "events")

	// The other main pages, for the screenshots' reviewer.
	for _, pg := range []struct{ path, ready, name string }{
		{"/customers/1", "h1", "customer"},
		{"/settings/keys", "table", "keys"},
		{"/settings/staff", "table", "staff"},
		{"/settings/appliance", "h1", "appliance"},
	} {
		step(t, a, "open "+pg.name, chromedp.Navigate(srv.URL+pg.path), chromedp.WaitVisible(chromedp.CSS(pg.ready)))
		shots(t, a, pg.name)
		audit(t, a, axe, pg.name)
	}
	// An invitation names the shop and the person, before the password.
	var invite struct {
		Path string `json:"invite_path"`
	}
	if _, err := api.do("POST", "/api/v1/users", map[string]any{"name": "Tess Tech", "email": "tess@example.com", "role": "technician"}, &invite); err != nil {
		t.Fatal(err)
	}
	// A third tab: the invitation here, a test ticket "opened in a new tab" later.
	c := tab(t, browser, &confirms)
	step(t, c, "invite page", chromedp.Navigate(srv.URL+invite.Path),
		waitText("h1", "Join Fix-It Corner"), waitText(".card", "Welcome, Tess Tech."))
	if email := read(t, c, "invited email", chromedp.Value(chromedp.CSS(`#invite-email`))); email != "tess@example.com" {
		t.Errorf("the invite page shows the email %q", email)
	}
	shots(t, c, "invite")
	audit(t, c, axe, "invite")
	// The console has an icon.
	if icon := read(t, c, "favicon", chromedp.Evaluate[int](`fetch(document.querySelector('link[rel="icon"]').href).then((r) => r.ok && r.headers.get("Content-Type").startsWith("image/svg") ? 1 : 0)`, chromedp.EvalAwaitPromise)); icon != 1 {
		t.Error("no favicon")
	}

	// Esc on a customer's page goes back to the customers.
	step(t, a, "Esc from a customer", chromedp.Navigate(srv.URL+"/customers"), chromedp.WaitVisible(chromedp.CSS(`tbody[data-list] a`)),
		chromedp.Click(chromedp.CSS(`tbody[data-list] a`)), chromedp.WaitVisible(chromedp.CSS(`form[aria-label="Customer details"]`)),
		chromedp.Focus(chromedp.CSS(`#content`)), press(kb.Escape),
		chromedp.Poll[chromedp.Void](`location.pathname === "/customers" && document.activeElement.matches('tbody[data-list] a[href="/customers/1"]')`))

	// A status the ticket is in is renamed, and another moved up with the
	// keyboard's arrows: the ticket moves with the rename.
	step(t, b, "rename a status",
		chromedp.Navigate(srv.URL+"/settings/shop"),
		chromedp.WaitVisible(chromedp.CSS(`input[name="statuses[1].name"]`)),
		clearField(`input[name="statuses[1].name"]`),
		chromedp.SendKeys(chromedp.CSS(`input[name="statuses[1].name"]`), "On the bench"),
		chromedp.Click(chromedp.CSS(`button[aria-label="Move On hold up"]`)),
		chromedp.Click(chromedp.Search(`//button[text()="Save statuses"]`)),
		waitText(`.status-list + .actions [role="status"]`, "Saved."),
		chromedp.Navigate(srv.URL+"/tickets"),
		waitText(`tbody[data-list] tr`, "On the bench"))
	var statuses []struct{ Name string }
	if _, err := api.do("GET", "/api/v1/store/statuses", nil, &statuses); err != nil || len(statuses) != 8 ||
		statuses[1].Name != "On the bench" || statuses[6].Name != "On hold" {
		t.Errorf("after the rename and the move the statuses are %v (%v)", statuses, err)
	}

	// Online payments: the Stripe secret is typed once and never shown back;
	// the form says it is set, and a bad payment link is refused on its field.
	step(t, b, "online payments",
		chromedp.Navigate(srv.URL+"/settings/shop"),
		waitText(`form[aria-labelledby="shop-payments"] [role="status"]`, "No signing secret yet"),
		chromedp.SendKeys(chromedp.CSS(`input[name="payment_link_template"]`), "http://pay.example.com/?t={ticket_id}"),
		chromedp.Click(chromedp.Search(`//button[text()="Save online payments"]`)),
		waitText(`input[name="payment_link_template"] ~ .field-error`, "https://"),
		clearField(`input[name="payment_link_template"]`),
		chromedp.SendKeys(chromedp.CSS(`input[name="payment_link_template"]`), "https://pay.example.com/?t={ticket_id}&a={balance}"),
		chromedp.SendKeys(chromedp.CSS(`input[name="stripe_webhook_secret"]`), "whsec_console_0123456789abcdef"),
		chromedp.Click(chromedp.Search(`//button[text()="Save online payments"]`)),
		waitText(`form[aria-labelledby="shop-payments"] [role="status"]`, "A signing secret is set"),
		chromedp.Poll[chromedp.Void](`document.querySelector('input[name="stripe_webhook_secret"]').value === ""`))
	audit(t, b, axe, "shop-payments")
	step(t, b, "to payments", chromedp.Evaluate[chromedp.Void](`document.getElementById("shop-payments").scrollIntoView()`))
	saveShot(t, "shop-payments", read(t, b, "screenshot shop-payments", chromedp.CaptureScreenshot()))
	var pay struct {
		Template string `json:"payment_link_template"`
		Set      bool   `json:"stripe_webhook_secret_set"`
	}
	if _, err := api.do("GET", "/api/v1/store/payments", nil, &pay); err != nil || !pay.Set || pay.Template != "https://pay.example.com/?t={ticket_id}&a={balance}" {
		t.Errorf("payment settings after the console saved them: %+v (%v)", pay, err)
	}

	// The server restarts: the open queue says it is reconnecting, comes back
	// by itself, and shows a change made while it was away.
	step(t, b, "queue before restart", chromedp.Navigate(srv.URL+"/tickets"), waitText(".live-status", "Live"),
		chromedp.WaitVisible(chromedp.CSS(`tbody[data-list] tr`)))
	if err := srv.stop(t, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	step(t, b, "reconnecting", waitText(".live-status", "Reconnecting"))
	srv = startServe(t, dir, "--sandbox", "--addr", strings.TrimPrefix(srv.URL, "http://"))
	api = newClient(srv.URL, api.key)
	if _, err := api.do("PATCH", "/api/v1/tickets/1", map[string]any{"status": "Ready for Pickup"}, nil); err != nil {
		t.Fatal(err)
	}
	step(t, b, "back after restart",
		waitText(".live-status", "Live"),
		waitText(`tbody[data-list] tr`, "Ready for Pickup"))

	// Test mode is in the URL: the switch opens /test/…, and every link
	// there keeps the mode.
	step(t, a, "test mode",
		chromedp.Navigate(srv.URL+"/tickets"),
		chromedp.WaitVisible(chromedp.CSS(`tbody[data-list] tr`)),
		chromedp.Click(chromedp.CSS(`button[role="switch"]`)),
		afterLoad(waitText(".test-banner", "TEST MODE")),
		chromedp.Poll[chromedp.Void](`location.pathname === "/test/tickets"`),
		waitText(`tbody[data-list] tr`, "Ada Lovelace"), // the sandbox's demo customer, not a live one
		waitText(".live-status", "Connected (test data)"))
	if live := read(t, a, "test rows", chromedp.Text(chromedp.CSS(`tbody[data-list]`))); strings.Contains(live, xssName) {
		t.Fatalf("test mode lists live data:\n%s", live)
	}
	if bad := read(t, a, "test links", chromedp.Evaluate[[]string](`[...document.querySelectorAll("a[data-nav]")].map((a) => a.getAttribute("href")).filter((h) => !h.startsWith("/test/"))`)); len(bad) > 0 {
		t.Errorf("links in test mode that leave it: %v", bad)
	}
	shots(t, a, "queue-test-mode")
	audit(t, a, axe, "queue-test-mode")

	// A test ticket opened in a new tab (as Ctrl+click or a bookmark does)
	// is the test record, under the banner.
	step(t, c, "test ticket in a new tab",
		chromedp.Navigate(srv.URL+"/test/tickets/1"),
		waitText(".test-banner", "TEST MODE"),
		waitText(".ticket-head", "Ada Lovelace"),
		waitText("h1", "iPhone 13"))
	// A record this mode lacks says which mode has it.
	step(t, c, "record in the other mode",
		chromedp.Navigate(srv.URL+"/tickets/3"),
		waitText("#content", "Ticket #1003 is in test mode"),
		chromedp.Click(chromedp.Search(`//a[text()="Open it in test mode"]`)),
		afterLoad(waitText(".test-banner", "TEST MODE")),
		chromedp.Poll[chromedp.Void](`location.pathname === "/test/tickets/3"`),
		waitText("h1", "#1003"))
}

// signUpOwner finishes the owner's setup through the link serve printed,
// skips the shop step, and waits for the console's live feed.
func signUpOwner(t *testing.T, ctx context.Context, setupURL string) {
	t.Helper()
	step(t, ctx, "setup",
		chromedp.Navigate(setupURL),
		chromedp.WaitVisible(chromedp.CSS(`input[name="name"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="name"]`), "Sam Owner"),
		chromedp.SendKeys(chromedp.CSS(`input[name="email"]`), "sam@example.com"),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), "correct horse battery"),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		waitText("h1", "About your shop"),
		chromedp.Click(chromedp.Search(`//button[text()="Skip for now"]`)),
		waitText(".live-status", "Live"))
}

// serveForOwner starts `portal serve` on dir with args and makes an
// internal key named keyName: the appliance, the owner's setup link (m[0])
// and an API client for the records a test puts in place.
func serveForOwner(t *testing.T, dir, keyName string, args ...string) (*child, []string, *apiClient) {
	t.Helper()
	srv := startServe(t, dir, args...)
	m := setupLink.FindStringSubmatch(srv.Stdout)
	if m == nil {
		t.Fatalf("no setup link in:\n%s", srv.Stdout)
	}
	key, err := portalCmd(t, "keys", "create", "--data", dir, "--type", "internal", "--name", keyName)
	if err != nil {
		t.Fatal(err)
	}
	return srv, m, newClient(srv.URL, strings.TrimSpace(key))
}
