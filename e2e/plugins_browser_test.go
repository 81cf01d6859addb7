package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// Plugins in a real Chromium against `portal serve --sandbox`: the sample
// plugin Hello (served by the sandbox at /sandbox/plugins/hello/) is
// installed by OAuth with PKCE — its page starts the flow, the owner
// approves on Portal's page, the callback exchanges the code and says
// "Installed". Settings → Plugins lists it with its scopes in plain words;
// uninstalling (confirmed) removes it; the catalog installs it again in one
// click. Every screen is audited with axe-core
// and photographed at 1440×900, 820×1180, 390×844, on paper and dark
// (artifacts/screenshots/plugins-*).

func pluginShots(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	step(t, ctx, "to the top", chromedp.Evaluate[chromedp.Void](`scrollTo(0, 0)`))
	for _, size := range deskSizes {
		step(t, ctx, "viewport", chromedp.EmulateViewport(size.width, size.height))
		png := read(t, ctx, "screenshot "+name, chromedp.CaptureScreenshot())
		saveShot(t, fmt.Sprintf("plugins-%s-%s-%dx%d", name, size.name, size.width, size.height), png)
		if over := read(t, ctx, "overflow", chromedp.Evaluate[int](`document.documentElement.scrollWidth - innerWidth`)); over > 0 {
			t.Errorf("%s at %dx%d is %d px wider than the window", name, size.width, size.height, over)
		}
	}
	step(t, ctx, "print", chromedp.EmulateViewport(800, 1100), media(emulation.SetEmulatedMediaParams{Media: "print"}))
	saveShot(t, "plugins-"+name+"-print", read(t, ctx, "screenshot "+name+" printed", chromedp.FullScreenshot(100)))
	step(t, ctx, "screen again", media(emulation.SetEmulatedMediaParams{}), chromedp.EmulateViewport(1440, 900))
	darkShot(t, ctx, "plugins-"+name)
}

// navigateBy clicks sel, which leaves the page (a link, a form), and waits
// for text in the page it lands on; a poll cut short by the navigation
// ("Cannot find context", "Inspected target navigated") is tried again on
// the new page.
func navigateBy(t *testing.T, ctx context.Context, what, sel, waitSel, text string) {
	t.Helper()
	step(t, ctx, what, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`setTimeout(() => document.querySelector(%q).click(), 0)`, sel)))
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := chromedp.Do(c, waitText(waitSel, text))
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			step(t, ctx, what, waitText(waitSel, text)) // fails with the page's text
			return
		}
		// The old page's context is gone before the new one is announced.
		time.Sleep(50 * time.Millisecond)
	}
}

// widgetFrame is a context in the widget's frame (a sandboxed frame may run
// in its own process: a target of its own).
func widgetFrame(t *testing.T, ctx context.Context, path string) context.Context {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		targets, err := chromedp.Targets(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, ti := range targets {
			if ti.Type == "iframe" && strings.Contains(ti.URL, path) {
				w, cancel := chromedp.NewContext(ctx, chromedp.WithTargetID(ti.TargetID))
				t.Cleanup(cancel)
				// Attach now, on this long-lived context: a step's own
				// (cancelled when the step ends) would detach it.
				if err := chromedp.Do(w); err != nil {
					t.Fatal(err)
				}
				return w
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no frame target for %s", path)
	return nil
}

func TestPluginsInChromium(t *testing.T) {
	browser := newBrowser(t)
	axe := axeSource(t)
	dir := t.TempDir()
	srv, m, api := serveForOwner(t, dir, "plugins test", "--sandbox")

	var confirms atomic.Int32
	a := tab(t, browser, &confirms)
	signUpOwner(t, a, m[0])

	// The plugins page before: nothing installed, the sample in the catalog.
	step(t, a, "plugins page, empty",
		chromedp.Navigate(srv.URL+"/settings/plugins"),
		waitText("h1", "Plugins"),
		waitText(`[data-list="installed"]`, "No plugins installed"),
		waitText(`[data-catalog="hello"]`, "Hello"),
		waitText(`[data-catalog="hello"]`, "Read your tickets and their customers"))
	pluginShots(t, a, "empty")
	audit(t, a, axe, "plugins-empty")

	// The plugin's own site starts the OAuth flow; the owner approves.
	step(t, a, "the plugin's page",
		chromedp.Navigate(srv.URL+"/sandbox/plugins/hello/"),
		waitText("h1", "Hello"),
		chromedp.Poll[chromedp.Void](`document.getElementById("install").dataset.ready === "true"`))
	audit(t, a, axe, "sample-plugin")
	navigateBy(t, a, "to Portal's approval", "#install", "h1", "Install Hello")
	step(t, a, "the approval page", waitText("body", "Read your tickets and their customers"))
	pluginShots(t, a, "approve")
	audit(t, a, axe, "approve")
	navigateBy(t, a, "approve", `button[value="approve"]`, "#status", "Installed")
	if url := read(t, a, "callback url", chromedp.Evaluate[string](`location.pathname`)); url != "/sandbox/plugins/hello/callback.html" {
		t.Errorf("landed on %s, want the callback", url)
	}
	pluginShots(t, a, "installed")
	audit(t, a, axe, "callback")

	var plugins []struct {
		ID     string   `json:"id"`
		Scopes []string `json:"scopes"`
	}
	if _, err := api.do("GET", "/api/v1/plugins", nil, &plugins); err != nil {
		t.Fatal(err)
	}
	if len(plugins) != 1 || plugins[0].ID != "hello" || strings.Join(plugins[0].Scopes, " ") != "tickets.read tickets.write customers.read" {
		t.Fatalf("installed plugins = %+v", plugins)
	}

	// A ticket: the Hello widget in its sidebar asks for the ticket, shows its
	// number, and adds a note through the bridge that appears live by Hello.
	var ticket struct {
		ID     uint64 `json:"id"`
		Number uint64 `json:"number"`
	}
	var customer struct {
		ID uint64 `json:"id"`
	}
	if _, err := api.do("POST", "/api/v1/customers", map[string]any{"name": "Ada Lovelace"}, &customer); err != nil {
		t.Fatal(err)
	}
	if _, err := api.do("POST", "/api/v1/tickets", map[string]any{"customer_id": customer.ID, "issue": "Cracked screen"}, &ticket); err != nil {
		t.Fatal(err)
	}
	step(t, a, "the ticket with Hello's widget",
		chromedp.Navigate(fmt.Sprintf("%s/tickets/%d", srv.URL, ticket.ID)),
		chromedp.WaitVisible(chromedp.CSS(`.widgets-ticket_sidebar iframe[sandbox="allow-scripts allow-forms"]`)),
		waitText(".widgets-ticket_sidebar .widget-head", "Hello"))
	w := widgetFrame(t, a, "/sandbox/plugins/hello/widget.html")
	step(t, w, "the widget shows its ticket",
		waitText("#ticket", fmt.Sprintf("Hello, ticket #%d", ticket.Number)),
		chromedp.Poll[chromedp.Void](`!document.getElementById("note").disabled`))
	step(t, w, "add a hello note", chromedp.Click(chromedp.CSS(`#note`)))
	step(t, w, "the widget hears back", waitText("#said", "Note added"))
	step(t, a, "the note, live, by Hello",
		waitText(".timeline", "Hello from the Hello plugin"),
		waitText(".timeline", "Hello"))
	pluginShots(t, a, "ticket-widget")
	audit(t, a, axe, "ticket-widget")

	// Another frame in the page (same origin, not the widget's) posts an
	// action from its own window: the bridge ignores it.
	step(t, a, "a forged frame",
		chromedp.Evaluate[chromedp.Void](`(() => {
			const f = document.createElement("iframe");
			f.title = "forger";
			f.src = "/sandbox/plugins/hello/hello.css";
			document.body.append(f);
		})()`),
		chromedp.Poll[chromedp.Void](`document.querySelector('iframe[title="forger"]').contentDocument?.readyState === "complete"`))
	// chromedp learns of the frame's script context a moment after it loads:
	// the post is tried until the frame can run it.
	var forgeErr error
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		c, cancel := context.WithTimeout(a, 5*time.Second)
		var forger []*chromedp.Node
		forger, forgeErr = chromedp.Run(c, chromedp.Nodes(chromedp.CSS(`iframe[title="forger"]`)))
		if forgeErr == nil {
			_, forgeErr = chromedp.Run(c, chromedp.Poll[chromedp.Void](`(parent.postMessage({type: "portal:action", action: "add_note", data: {text: "FORGED note"}}, "*"), true)`,
				chromedp.WithPollingInFrame(forger[0])))
		}
		cancel()
		if forgeErr == nil {
			break
		}
	}
	if forgeErr != nil {
		t.Fatalf("the forger posts: %v", forgeErr)
	}
	// The widget's own second note, posted after the forgery, is the signal
	// that the bridge has read the forged message before it.
	step(t, w, "a second note", chromedp.Click(chromedp.CSS(`#note`)))
	step(t, a, "the second note, live",
		chromedp.Poll[chromedp.Void](`document.querySelector(".timeline").textContent.split("Hello from the Hello plugin").length === 3`))
	var notes []struct {
		Body   string `json:"body"`
		Author string `json:"author"`
	}
	if _, err := api.do("GET", fmt.Sprintf("/api/v1/tickets/%d/notes", ticket.ID), nil, &notes); err != nil {
		t.Fatal(err)
	}
	if len(notes) != 2 || notes[0].Author != "Hello" || notes[1].Author != "Hello" {
		t.Errorf("notes after the widget and a forged frame: %+v", notes)
	}

	// Settings → Plugins lists it with its scopes in words.
	step(t, a, "plugins page, installed",
		chromedp.Navigate(srv.URL+"/settings/plugins"),
		waitText(`[data-plugin="hello"] h3`, "Hello"),
		waitText(`[data-plugin="hello"]`, "Version 1.0.0"),
		waitText(`[data-plugin="hello"]`, "Read your tickets and their customers."),
		waitText(`[data-plugin="hello"]`, "Create and change tickets and add notes."),
		waitText(`[data-catalog="hello"]`, "Installed."))
	pluginShots(t, a, "list")
	audit(t, a, axe, "plugins-list")

	// Uninstall, confirmed: gone from the page and the API.
	confirms.Add(1)
	step(t, a, "uninstall",
		chromedp.Click(chromedp.CSS(`[data-plugin="hello"] button[aria-label="Uninstall Hello"]`)),
		waitText(`[data-list="installed"]`, "No plugins installed"))
	if _, err := api.do("GET", "/api/v1/plugins", nil, &plugins); err != nil {
		t.Fatal(err)
	}
	if len(plugins) != 0 {
		t.Fatalf("after uninstall: %+v", plugins)
	}

	// Uninstalled, its widget is gone from the ticket.
	step(t, a, "the ticket without Hello",
		chromedp.Navigate(fmt.Sprintf("%s/tickets/%d", srv.URL, ticket.ID)),
		waitText(".timeline", "Hello from the Hello plugin"),
		chromedp.Poll[chromedp.Void](`performance.getEntriesByType("resource").some((e) => e.name.includes("/api/v1/widgets?location=ticket_sidebar") && e.responseEnd > 0)`))
	if n := read(t, a, "widgets", chromedp.Evaluate[int](`document.querySelectorAll(".widgets-ticket_sidebar iframe").length`)); n != 0 {
		t.Errorf("%d widget frames on the ticket after uninstalling", n)
	}

	// One click in the catalog installs it again; its key is shown once.
	step(t, a, "install from the catalog",
		chromedp.Navigate(srv.URL+"/settings/plugins"),
		waitText(`[data-catalog="hello"] button`, "Install Hello"),
		chromedp.Click(chromedp.CSS(`[data-catalog="hello"] button`)),
		waitText(".secret-panel", "Hello installed"),
		waitText(`[data-plugin="hello"]`, "Read your tickets and their customers."),
		waitText(`[data-catalog="hello"]`, "Installed."))
	if _, err := api.do("GET", "/api/v1/plugins", nil, &plugins); err != nil {
		t.Fatal(err)
	}
	if len(plugins) != 1 || plugins[0].ID != "hello" {
		t.Fatalf("after the catalog's install: %+v", plugins)
	}

	// A newer version asks for more: it waits on the page, in words, until
	// the owner approves it there.
	res, err := http.Get(srv.URL + "/sandbox/plugins/hello/portal-plugin.json")
	if err != nil {
		t.Fatal(err)
	}
	var manifest map[string]any
	err = json.NewDecoder(res.Body).Decode(&manifest)
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	manifest["version"] = "1.1.0"
	manifest["scopes"] = []string{"tickets.read", "tickets.write", "customers.read", "customers.write"}
	if _, err := api.do("POST", "/api/v1/plugins", map[string]any{"manifest": manifest}, nil); err != nil {
		t.Fatal(err)
	}
	step(t, a, "the upgrade waits",
		chromedp.Reload(),
		waitText(`[data-plugin="hello"] .plugin-upgrade`, "Version 1.1.0 asks for more"),
		waitText(`[data-plugin="hello"] .plugin-upgrade`, "Create and change customers."),
		waitText(`[data-plugin="hello"]`, "Version 1.0.0"))
	pluginShots(t, a, "upgrade")
	audit(t, a, axe, "plugins-upgrade")
	step(t, a, "approve the upgrade",
		chromedp.Click(chromedp.CSS(`[data-plugin="hello"] .plugin-upgrade button`)),
		waitText(`[data-plugin="hello"]`, "Version 1.1.0"),
		chromedp.Poll[chromedp.Void](`!document.querySelector('[data-plugin="hello"] .plugin-upgrade')`))
	if _, err := api.do("GET", "/api/v1/plugins", nil, &plugins); err != nil {
		t.Fatal(err)
	}
	if len(plugins) != 1 || !slices.Contains(plugins[0].Scopes, "customers.write") {
		t.Fatalf("after approving the upgrade: %+v", plugins)
	}
}
