package e2e

import (
	"context"
	"fmt"
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

// The visitor kiosk in a real Chromium against a real `portal serve`: the
// owner adds a kiosk in Settings → Kiosks, the /kiosk page pairs with its
// code, and at 1080×1920 (portrait), 1920×1080 (landscape) and on an 820×1180
// tablet a visitor walks in, a pre-registered visitor checks in with their
// code, and the walk-in checks out with their badge's code — each arriving
// live in a second tab, the owner's console on its visitors desk. Every
// screen is audited (axe), its targets measured (64 px) and saved as a
// screenshot (artifacts/screenshots/kiosk-*), the badge as its print preview
// and a one-page PDF too. Then an evacuation takes the screen, the idle reset
// leaves nothing typed behind, and a revoked kiosk is back at pairing at its
// next request.

var kioskSizes = []struct {
	name          string
	width, height int64
}{{"portrait", 1080, 1920}, {"landscape", 1920, 1080}, {"tablet", 820, 1180}}

// kioskTargets lists the kiosk's visible controls shorter than 64 px.
const kioskTargets = `(() => {
  const out = [];
  for (const e of document.querySelectorAll("#kiosk button, #kiosk input")) {
    const s = getComputedStyle(e);
    if (s.display === "none" || s.visibility === "hidden" || !e.getClientRects().length) continue;
    const h = e.getBoundingClientRect().height;
    if (h < 64) out.push((e.textContent.trim() || e.name || e.tagName) + " is " + Math.round(h) + " px tall");
  }
  return out;
})()`

func TestKioskInChromium(t *testing.T) {
	browser := newBrowser(t)
	axe := axeSource(t)
	dir := t.TempDir()
	srv, m, api := serveForOwner(t, dir, "kiosk test")
	must := func(method, path string, body, out any) {
		t.Helper()
		if status, err := api.do(method, path, body, out); err != nil || status >= 300 {
			t.Fatalf("%s %s: %d %v", method, path, status, err)
		}
	}

	// The owner's console, in the second tab.
	var confirms atomic.Int32
	desk := tab(t, browser, &confirms)
	step(t, desk, "owner setup",
		chromedp.Navigate(m[0]),
		chromedp.WaitVisible(chromedp.CSS(`input[name="name"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="name"]`), "Olive Owner"),
		chromedp.SendKeys(chromedp.CSS(`input[name="email"]`), "olive@example.com"),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), "correct horse battery"),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		waitText("h1", "About your shop"),
		chromedp.Click(chromedp.Search(`//button[text()="Skip for now"]`)),
		waitText(".live-status", "Live"))

	// The shop, a location, a host and the kiosk, through the API.
	must("PATCH", "/api/v1/store", map[string]any{"name": "Fix-It Corner"}, nil)
	var loc struct {
		ID uint64 `json:"id"`
	}
	must("POST", "/api/v1/locations", map[string]any{"name": "Main Street", "timezone": "Europe/London"}, &loc)
	var inv struct {
		User struct {
			ID uint64 `json:"id"`
		} `json:"user"`
	}
	must("POST", "/api/v1/users", map[string]any{"name": "Sam Rivera", "email": "sam.rivera@example.com", "role": "front_desk"}, &inv)
	host := inv.User.ID
	must("PATCH", fmt.Sprintf("/api/v1/users/%d", host), map[string]any{"host": true}, nil)

	// The owner adds the kiosk in Settings → Kiosks and is shown its code once.
	step(t, desk, "Settings → Kiosks",
		chromedp.Navigate(srv.URL+"/settings/kiosks"),
		waitText("h1", "Kiosks"),
		waitText("tbody[data-list]", "No kiosks yet"),
		chromedp.SendKeys(chromedp.CSS(`input[name="name"]`), "Lobby"),
		chromedp.Click(chromedp.Search(`//button[text()="Create kiosk"]`)),
		waitText(".secret-panel", "Pairing code"),
		waitText("tbody[data-list]", "Waiting to be paired"))
	pairingCode := read(t, desk, "pairing code", chromedp.Value(chromedp.CSS(`input[aria-label="Pairing code"]`)))
	if len(pairingCode) != 9 {
		t.Fatalf("pairing code %q", pairingCode)
	}
	saveShot(t, "kiosk-settings-1280x800", read(t, desk, "settings screenshot", chromedp.CaptureScreenshot()))
	audit(t, desk, axe, "settings-kiosks")

	// The owner's console shows the visitors desk of the location, live; the
	// same tab also reads its /live feed, to see who the events name.
	step(t, desk, "the visitors desk",
		chromedp.Navigate(srv.URL+"/visitors"),
		waitText("h1", "Visitors"),
		waitText(".desk-day", "Main Street"),
		waitText(".live-status", "Live"))
	step(t, desk, "watch the live feed", chromedp.Evaluate[chromedp.Void](`new Promise((resolve, reject) => {
		window.kioskSeen = [];
		const ws = new WebSocket(location.origin.replace(/^http/, "ws") + "/api/v1/live?events=visitor.*");
		ws.onmessage = (m) => { const e = JSON.parse(m.data); kioskSeen.push(e.event + " " + (e.data.visitor?.name || "") + " by " + e.actor.type + " " + (e.actor.name || "")); };
		ws.onopen = () => resolve();
		ws.onerror = reject;
	})`, chromedp.EvalAwaitPromise))
	seen := func(what string, column, name string) {
		t.Helper()
		step(t, desk, "live: "+what,
			chromedp.Poll[chromedp.Void](fmt.Sprintf(`kioskSeen.includes(%q)`, what), chromedp.WithPollingInterval(50*time.Millisecond)),
			waitText(fmt.Sprintf(".desk-%s .visitor-name", column), name))
	}

	kiosk := tab(t, browser, &confirms)
	at := func(screen string) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](fmt.Sprintf(`window.kioskScreen === %q`, screen), chromedp.WithPollingInterval(50*time.Millisecond))
	}
	size := kioskSizes[0]
	// look saves the screen, audits it and measures its targets and width.
	look := func(name string) {
		t.Helper()
		label := fmt.Sprintf("kiosk-%s-%s-%dx%d", name, size.name, size.width, size.height)
		saveShot(t, label, read(t, kiosk, "screenshot "+label, chromedp.CaptureScreenshot()))
		if small := read(t, kiosk, "targets", chromedp.Evaluate[[]string](kioskTargets)); len(small) > 0 {
			t.Errorf("%s: targets under 64 px: %v", label, small)
		}
		if over := read(t, kiosk, "overflow", chromedp.Evaluate[int](`document.documentElement.scrollWidth - innerWidth`)); over > 0 {
			t.Errorf("%s is %d px wider than the screen", label, over)
		}
		audit(t, kiosk, axe, label)
		if size.name != "portrait" {
			return
		}
		// 200 % zoom of the portrait screen: the page reflows, never scrolls sideways.
		step(t, kiosk, "zoom 200%", chromedp.EmulateViewport(size.width/2, size.height/2, chromedp.EmulateScale(2)))
		saveShot(t, label+"-zoom200", read(t, kiosk, "screenshot "+label, chromedp.CaptureScreenshot()))
		if over := read(t, kiosk, "overflow", chromedp.Evaluate[int](`document.documentElement.scrollWidth - innerWidth`)); over > 0 {
			t.Errorf("%s at 200%% zoom is %d px wider than the screen", label, over)
		}
		step(t, kiosk, "zoom back", chromedp.EmulateViewport(size.width, size.height))
	}

	step(t, kiosk, "open the kiosk page",
		chromedp.EmulateViewport(size.width, size.height),
		chromedp.Navigate(srv.URL+"/kiosk"),
		at("pair"))
	look("pair")
	step(t, kiosk, "a wrong pairing code",
		chromedp.SendKeys(chromedp.CSS(`#pair-code`), "WRNG-CODE"),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		waitText(".k-error", "unknown, used or expired"))
	step(t, kiosk, "pair",
		clearField(`#pair-code`),
		chromedp.SendKeys(chromedp.CSS(`#pair-code`), strings.ToLower(pairingCode)),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		at("welcome"),
		waitText("h1", "Welcome to Main Street"),
		waitText(".k-shop", "Fix-It Corner"))
	cookie := read(t, kiosk, "cookie", chromedp.Evaluate[string](`document.cookie`))
	if strings.Contains(cookie, "portal_kiosk") {
		t.Errorf("the kiosk cookie is readable by scripts: %q", cookie)
	}

	for _, size = range kioskSizes {
		step(t, kiosk, "size", chromedp.EmulateViewport(size.width, size.height), at("welcome"))
		look("welcome")

		// A walk-in: one question per screen, the host found by typing.
		name := fmt.Sprintf("Ada Lovelace %s", size.name)
		step(t, kiosk, "I'm visiting", chromedp.Click(chromedp.CSS(`[data-action="visit"]`)), at("visit"),
			chromedp.WaitVisible(chromedp.CSS(`#walk-name`)))
		look("visit-name")
		step(t, kiosk, "an empty name is asked again",
			chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
			waitText(".k-error", "Please type your name"))
		step(t, kiosk, "name",
			chromedp.SendKeys(chromedp.CSS(`#walk-name`), name),
			chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#walk-company`)))
		look("visit-company")
		step(t, kiosk, "company",
			chromedp.SendKeys(chromedp.CSS(`#walk-company`), "Analytical Engines"),
			chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#walk-host`)),
			chromedp.SendKeys(chromedp.CSS(`#walk-host`), "sam"),
			waitText(".k-host", "Sam Rivera"))
		look("visit-host")
		step(t, kiosk, "choose the host and check in",
			chromedp.Click(chromedp.CSS(`.k-host`)),
			waitText(".k-chosen", "Visiting Sam Rivera"),
			chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
			at("checked-in"),
			waitText(".badge-name", name),
			chromedp.Poll[chromedp.Void](`(() => { const i = document.querySelector(".badge-qr img"); return i && i.complete && i.naturalWidth > 0; })()`))
		seen("visitor.checked_in "+name+" by kiosk Lobby", "checked_in", name)
		step(t, desk, "the arrival is told", waitText(".live-hint", name+" arrived for Sam Rivera"))
		look("checked-in")
		badgeCode := strings.TrimSpace(read(t, kiosk, "badge code", chromedp.Text(chromedp.CSS(`.badge-qr .mono`))))
		printBadge(t, kiosk, size.name, name)
		step(t, kiosk, "done", chromedp.Click(chromedp.CSS(`[data-action="done"]`)), at("welcome"))
		noneLeft(t, kiosk, name, badgeCode)

		// A code check-in, for a visitor the desk pre-registered.
		guest := fmt.Sprintf("Grace Hopper %s", size.name)
		var pre struct {
			Code string `json:"code"`
		}
		must("POST", "/api/v1/visitors/pre-register", map[string]any{"name": guest, "company": "US Navy", "host_id": host,
			"location_id": loc.ID, "expected_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}, &pre)
		step(t, desk, "expected on the desk", waitText(".desk-expected .visitor-name", guest))
		step(t, kiosk, "I have a code", chromedp.Click(chromedp.CSS(`[data-action="code"]`)), at("code"),
			chromedp.WaitVisible(chromedp.CSS(`#visit-code`)))
		if scan := read(t, kiosk, "scan button", chromedp.Evaluate[bool](`"BarcodeDetector" in window || document.querySelector("[data-action=scan]").hidden`)); !scan {
			t.Error("the scan button shows where the browser has no BarcodeDetector")
		}
		look("code")
		step(t, kiosk, "check in with the code",
			chromedp.SendKeys(chromedp.CSS(`#visit-code`), strings.ToLower(pre.Code)),
			chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
			at("checked-in"),
			waitText(".badge-name", guest),
			waitText(".badge-company", "US Navy"))
		seen("visitor.checked_in "+guest+" by kiosk Lobby", "checked_in", guest)
		step(t, kiosk, "done", chromedp.Click(chromedp.CSS(`[data-action="done"]`)), at("welcome"))
		step(t, kiosk, "the same code again",
			chromedp.Click(chromedp.CSS(`[data-action="code"]`)), at("code"),
			chromedp.SendKeys(chromedp.CSS(`#visit-code`), pre.Code),
			chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
			waitText(".k-error", "already been used to check in"))
		if text := read(t, kiosk, "409 text", chromedp.Text(chromedp.CSS(`#kiosk`))); strings.Contains(text, "Grace") {
			t.Errorf("a refused code names the visitor: %q", text)
		}
		look("code-already-used")
		step(t, kiosk, "back", chromedp.Click(chromedp.CSS(`[data-action="back"]`)), at("welcome"))

		// The walk-in leaves with their badge's code.
		step(t, kiosk, "I'm leaving", chromedp.Click(chromedp.CSS(`[data-action="leave"]`)), at("leave"),
			chromedp.WaitVisible(chromedp.CSS(`#visit-code`)))
		look("leave")
		step(t, kiosk, "check out",
			chromedp.SendKeys(chromedp.CSS(`#visit-code`), badgeCode),
			chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
			at("goodbye"),
			waitText("h1", "Goodbye, Ada"))
		seen("visitor.checked_out "+name+" by kiosk Lobby", "checked_out", name)
		step(t, desk, "left by the kiosk", waitText(".desk-checked_out", "(kiosk)"))
		if size.name == "portrait" {
			saveShot(t, "kiosk-desk-tab-1280x800", read(t, desk, "desk screenshot", chromedp.CaptureScreenshot()))
		}
		look("goodbye")
		step(t, kiosk, "done", chromedp.Click(chromedp.CSS(`[data-action="done"]`)), at("welcome"))
		noneLeft(t, kiosk, name, badgeCode)
	}
	size = kioskSizes[0]
	step(t, kiosk, "portrait", chromedp.EmulateViewport(size.width, size.height))
	dark := emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}}
	step(t, kiosk, "dark mode", media(dark))
	saveShot(t, "kiosk-welcome-dark-portrait-1080x1920", read(t, kiosk, "dark", chromedp.CaptureScreenshot()))
	audit(t, kiosk, axe, "kiosk-welcome-dark")
	step(t, kiosk, "light mode", media(emulation.SetEmulatedMediaParams{}))

	// An evacuation: a check-in is refused and the kiosk shows only the
	// evacuation; once it ends, the welcome screen again.
	var late struct {
		Code string `json:"code"`
	}
	must("POST", "/api/v1/visitors/pre-register", map[string]any{"name": "Late Comer", "host_id": host,
		"location_id": loc.ID, "expected_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}, &late)
	must("POST", "/api/v1/evacuation/activate", map[string]any{}, nil)
	step(t, kiosk, "a check-in during the evacuation",
		chromedp.Click(chromedp.CSS(`[data-action="code"]`)), at("code"),
		chromedp.SendKeys(chromedp.CSS(`#visit-code`), late.Code),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		at("evacuation"),
		waitText("h1", "Evacuation in progress"))
	look("evacuation")
	if text := read(t, kiosk, "evacuation text", chromedp.Text(chromedp.CSS(`#kiosk`))); strings.Contains(text, "Late") || strings.Contains(text, "code") {
		t.Errorf("the evacuation screen shows more than the evacuation: %q", text)
	}
	must("POST", "/api/v1/evacuation/end", nil, nil)
	step(t, kiosk, "after the evacuation", chromedp.Reload(), at("welcome"))

	// Idle: a visitor walks away mid-form; the kiosk forgets them.
	step(t, kiosk, "idle kiosk", chromedp.Navigate(srv.URL+"/kiosk?idle=2"), at("welcome"),
		chromedp.Click(chromedp.CSS(`[data-action="visit"]`)), at("visit"),
		chromedp.SendKeys(chromedp.CSS(`#walk-name`), "Walked Away"))
	step(t, kiosk, "idle reset", at("welcome"))
	noneLeft(t, kiosk, "Walked Away", "")

	// Revoked in Settings → Kiosks: the kiosk's next request is refused and it
	// is back at pairing.
	confirms.Add(1)
	step(t, desk, "revoke the kiosk",
		chromedp.Navigate(srv.URL+"/settings/kiosks"),
		waitText("tbody[data-list]", "Paired"),
		chromedp.Click(chromedp.CSS(`button[aria-label="Revoke Lobby"]`)),
		waitText("tbody[data-list]", "Revoked"))
	step(t, kiosk, "after revocation",
		chromedp.Click(chromedp.CSS(`[data-action="code"]`)), at("code"),
		chromedp.SendKeys(chromedp.CSS(`#visit-code`), "ABC234"),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		at("pair"),
		waitText(".k-error", "no longer paired"))
}

// noneLeft checks that nothing of a finished visit is left on the kiosk:
// no name or code in the page, no field holding text.
func noneLeft(t *testing.T, ctx context.Context, name, code string) {
	t.Helper()
	text := read(t, ctx, "page text", chromedp.Evaluate[string](`document.body.innerText + " " + [...document.querySelectorAll("input")].map((i) => i.value).join(" ")`))
	if strings.Contains(text, name) || (code != "" && strings.Contains(text, code)) {
		t.Errorf("after the visit the kiosk still shows %q or %q:\n%s", name, code, text)
	}
}

// printBadge checks the badge's print preview: the badge alone, on one
// label-sized page, with the name, company, host and date.
func printBadge(t *testing.T, ctx context.Context, orientation, name string) {
	t.Helper()
	// The preview at the label's printable size: 92 × 62 mm at 96 px an inch.
	w, h := read(t, ctx, "viewport", chromedp.Evaluate[[]int64](`[innerWidth, innerHeight]`))[0], int64(0)
	h = read(t, ctx, "viewport", chromedp.Evaluate[int64](`innerHeight`))
	step(t, ctx, "print preview", media(emulation.SetEmulatedMediaParams{Media: "print"}), chromedp.EmulateViewport(348, 234))
	printed := read(t, ctx, "printed badge", chromedp.Evaluate[string](`document.body.innerText`))
	saveShot(t, "kiosk-badge-print-"+orientation, read(t, ctx, "badge print preview", chromedp.CaptureScreenshot()))
	step(t, ctx, "screen again", media(emulation.SetEmulatedMediaParams{}), chromedp.EmulateViewport(w, h))
	for _, want := range []string{name, "Visiting", "Sam Rivera", "Main Street", "Scan at the kiosk to leave"} {
		if !strings.Contains(printed, want) {
			t.Errorf("the printed badge lacks %q:\n%s", want, printed)
		}
	}
	for _, hidden := range []string{"Print my badge", "Done", "checked in,", "Back to the start"} {
		if strings.Contains(printed, hidden) {
			t.Errorf("the printed badge shows %q:\n%s", hidden, printed)
		}
	}
	yes := true
	pdf, err := chromedp.Call(ctx, page.PrintToPDF, page.PrintToPDFParams{PreferCSSPageSize: &yes, PrintBackground: &yes})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(screenshotDir(t), "kiosk-badge-"+orientation+".pdf"), pdf.Data, 0o644); err != nil {
		t.Error(err)
	}
	if n := len(pdfPage.FindAll(pdf.Data, -1)); n != 1 {
		t.Errorf("the badge prints on %d pages, want 1", n)
	}
}
