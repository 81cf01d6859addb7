package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"portal/internal/natstest"
)

// The chain of shops in the console, in a real Chromium against a real
// `portal serve` and a real JetStream server: the owner sets it up on
// Settings → Appliance (a bad address is refused next to its field), a
// ticket made through the API reaches the stream (the status shows nothing
// waiting and "sent through" at the log's last event), the NATS server
// stops (the status says disconnected, the shop keeps working, the events
// waiting grow) and comes back (caught up). Audited with axe-core;
// photographed at 1440×900, 820×1180, 390×844, printed and dark
// (artifacts/screenshots/chain-*).
func TestChainInChromium(t *testing.T) {
	browser := newBrowser(t)
	axe := axeSource(t)
	ns := natstest.Start(t)
	dir := t.TempDir()
	srv, m, api := serveForOwner(t, dir, "chain test")
	var confirms atomic.Int32
	a := tab(t, browser, &confirms)
	signUpOwner(t, a, m[0])

	save := chromedp.Click(chromedp.Search(`//button[text()="Save chain settings"]`))
	step(t, a, "appliance page, off",
		chromedp.Navigate(srv.URL+"/settings/appliance"),
		waitText("#chain-head", "Chain of shops"),
		waitText(".chain-state", "Off"),
		typeInto(`input[name="nats_url"]`, "http://"+strings.TrimPrefix(ns.URL, "nats://")),
		save,
		waitText(`.chain .field-error`, "nats://, tls://, ws:// or wss://"))
	audit(t, a, axe, "chain-off")
	chainShots(t, a, "off")

	// A server that asks for a password: a wrong one is refused in the
	// status, the right one connects, and neither is ever on the page.
	secured := natstest.Start(t, natstest.WithUser("branch", "s3cret-pass"))
	hostPort := strings.TrimPrefix(secured.URL, "nats://")
	noSecret := func(secret string) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](fmt.Sprintf(`!document.documentElement.outerHTML.includes(%q) && [...document.querySelectorAll("input")].every((i) => !i.value.includes(%q))`, secret, secret),
			chromedp.WithPollingInterval(50*time.Millisecond))
	}
	step(t, a, "a wrong password",
		typeInto(`input[name="nats_url"]`, "nats://branch:wrong-pass@"+hostPort),
		save,
		waitText(`.chain [role="status"]`, "Saved."),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.querySelector('input[name="nats_url"]').value === "nats://***@%s"`, hostPort),
			chromedp.WithPollingInterval(50*time.Millisecond)),
		waitText(".chain-state", "Disconnected"),
		waitText(".chain-error", "Last error"),
		noSecret("wrong-pass"),
		chromedp.EmulateViewport(1440, 900),
		chromedp.Evaluate[chromedp.Void](`scrollTo(0, document.querySelector("#chain-head").getBoundingClientRect().top + scrollY - 72)`))
	saveShot(t, "chain-wrong-password-desk-1440x900", read(t, a, "screenshot wrong password", chromedp.CaptureScreenshot()))
	step(t, a, "the right password",
		typeInto(`input[name="nats_url"]`, "nats://branch:s3cret-pass@"+hostPort),
		save,
		waitText(".chain-state", "Connected"),
		noSecret("s3cret-pass"))

	step(t, a, "set up",
		typeInto(`input[name="nats_url"]`, ns.URL),
		typeInto(`input[name="shop"]`, "downtown"),
		save,
		waitText(`.chain [role="status"]`, "Saved."),
		waitText(".chain-state", "Connected"))

	// Credentials are write-only: pasted, saved, never shown again; then removed.
	creds, seed := natstest.UserCreds(t)
	step(t, a, "creds",
		// As a paste: the value and an input event (the form is being edited).
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const c = document.querySelector('textarea[name="creds"]'); c.value = %q; c.dispatchEvent(new Event("input", {bubbles: true})); })()`, creds)),
		save,
		waitText(".chain-creds-state", "Set, and kept encrypted"),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.querySelector('textarea[name="creds"]').value === "" && !document.documentElement.outerHTML.includes(%q)`, seed),
			chromedp.WithPollingInterval(50*time.Millisecond)),
		waitText(".chain-state", "Connected"),
		chromedp.Click(chromedp.Search(`//button[text()="Remove credentials"]`)),
		waitText(".chain-creds-state", "None:"))

	// A ticket made through the API is mirrored: nothing waits, and the
	// stream's last ticket.created is that event.
	var ada, tk struct {
		ID uint64 `json:"id"`
	}
	if _, err := api.do("POST", "/api/v1/customers", map[string]any{"name": "Ada Lovelace", "email": "ada@example.com"}, &ada); err != nil {
		t.Fatal(err)
	}
	if _, err := api.do("POST", "/api/v1/tickets", map[string]any{"customer_id": ada.ID, "issue": "Battery",
		"device": map[string]any{"brand": "Apple", "model": "iPhone 12"}}, &tk); err != nil {
		t.Fatal(err)
	}
	last := lastEventSeq(t, api)
	step(t, a, "mirrored",
		ddIs(fmt.Sprintf("#%d of %d", last, last)),
		ddIs("0 events"))
	nc, err := nats.Connect(ns.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := js.Stream(ctx, "PORTAL")
	if err != nil {
		t.Fatal(err)
	}
	msg, err := stream.GetLastMsgForSubject(ctx, "portal.downtown.ticket.created")
	if err != nil {
		t.Fatalf("the stream has no ticket.created: %v", err)
	}
	var created []struct {
		EventID string `json:"event_id"`
	}
	if _, err := api.do("GET", "/api/v1/events?event=ticket.created&per_page=1", nil, &created); err != nil || len(created) != 1 {
		t.Fatalf("events: %v %+v", err, created)
	}
	if got := msg.Header.Get("Nats-Msg-Id"); got != created[0].EventID || !strings.Contains(string(msg.Data), `"issue":"Battery"`) {
		t.Fatalf("the stream's ticket.created: id %s (want %s) %s", got, created[0].EventID, msg.Data)
	}
	audit(t, a, axe, "chain-connected")
	chainShots(t, a, "connected")

	// The NATS server goes away: the shop keeps working, the events wait.
	nc.Close()
	ns.Stop()
	step(t, a, "disconnected", waitText(".chain-state", "Disconnected"))
	if _, err := api.do("PATCH", fmt.Sprintf("/api/v1/tickets/%d", tk.ID), map[string]any{"status": "In Progress"}, nil); err != nil {
		t.Fatalf("the shop waited on NATS: %v", err)
	}
	behind := lastEventSeq(t, api)
	step(t, a, "the lag grows",
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`[...document.querySelectorAll(".chain-store dd")].some((n) => n.textContent.endsWith(" of %d"))`, behind),
			chromedp.WithPollingInterval(50*time.Millisecond)),
		chromedp.Poll[chromedp.Void](`[...document.querySelectorAll(".chain-store dd")].some((n) => /^[1-9][\d,]* events?$/.test(n.textContent))`,
			chromedp.WithPollingInterval(50*time.Millisecond)),
		waitText(".chain-error", "Last error"))
	audit(t, a, axe, "chain-disconnected")
	chainShots(t, a, "disconnected")

	// Back: caught up, in order.
	// Back: "Try now" connects at once, not after the publisher's backoff
	// (unless the publisher was quicker, and the button is gone already).
	ns.Restart()
	step(t, a, "caught up",
		chromedp.Evaluate[chromedp.Void](`(() => { const b = [...document.querySelectorAll("button")].find((b) => b.textContent === "Try now"); if (b && !b.hidden) b.click(); })()`),
		waitText(".chain-state", "Connected"),
		ddIs(fmt.Sprintf("#%d of %d", behind, behind)),
		ddIs("0 events"))

	// Turning it off asks first (what retention drops while off is never
	// sent), then nothing leaves the appliance.
	confirms.Add(1)
	step(t, a, "turn off",
		chromedp.Click(chromedp.Search(`//button[text()="Turn off"]`)),
		waitText(".chain-state", "Off"),
		chromedp.Poll[chromedp.Void](`document.querySelector('input[name="nats_url"]').value === ""`, chromedp.WithPollingInterval(50*time.Millisecond)))
	if n := confirms.Load(); n != 0 {
		t.Fatalf("turning the chain off asked %d times too few", n)
	}

	// Another appliance whose start command sets the chain: the console
	// shows it, read-only, and says where to change it.
	flagged := startServe(t, t.TempDir(), "--nats-url", ns.URL, "--nats-shop", "uptown")
	m = setupLink.FindStringSubmatch(flagged.Stdout)
	if m == nil {
		t.Fatalf("no setup link in:\n%s", flagged.Stdout)
	}
	step(t, a, "set by flags",
		chromedp.Navigate(m[0]),
		chromedp.WaitVisible(chromedp.CSS(`input[name="name"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="name"]`), "Uma Owner"),
		chromedp.SendKeys(chromedp.CSS(`input[name="email"]`), "uma@example.com"),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), "correct horse battery"),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		waitText("h1", "About your shop"),
		chromedp.Navigate(flagged.URL+"/settings/appliance"),
		waitText(".chain-state", "Connected"),
		waitText(".chain-flags", "--nats-url"),
		chromedp.Poll[chromedp.Void](`(() => { const u = document.querySelector('input[name="nats_url"]'); return u.disabled && u.value.startsWith("nats://") && document.querySelector('input[name="shop"]').value === "uptown" && !document.querySelector('.chain button[type="submit"]').checkVisibility(); })()`,
			chromedp.WithPollingInterval(50*time.Millisecond)))
	audit(t, a, axe, "chain-flags")
	chainShots(t, a, "flags")
}

// lastEventSeq is the live log's newest event's seq: in a fresh log,
// nothing pruned, the number of its events.
func lastEventSeq(t *testing.T, api *apiClient) uint64 {
	t.Helper()
	resp, err := api.http.Do(mustRequest(t, api, "/api/v1/events?per_page=1"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env envelope
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil || env.Meta.Total == 0 {
		t.Fatalf("events: %v %+v", err, env)
	}
	return uint64(env.Meta.Total)
}

// ddIs waits until a figure of the chain's status reads exactly text.
func ddIs(text string) chromedp.Action[chromedp.Void] {
	js := fmt.Sprintf(`[...document.querySelectorAll(".chain-store dd")].some((n) => n.textContent === %q)`, text)
	return chromedp.Poll[chromedp.Void](js, chromedp.WithPollingInterval(50*time.Millisecond))
}

// chainShots saves the page with the chain section at each size, printed
// and dark, and fails when it scrolls sideways or something sticks out.
func chainShots(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	const sel = "#chain-head"
	step(t, ctx, "to the top", chromedp.Evaluate[chromedp.Void](`scrollTo(0, 0)`))
	for _, size := range deskSizes {
		step(t, ctx, "viewport", chromedp.EmulateViewport(size.width, size.height),
			chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`scrollTo(0, document.querySelector(%q).getBoundingClientRect().top + scrollY - 72)`, sel)))
		saveShot(t, fmt.Sprintf("chain-%s-%s-%dx%d", name, size.name, size.width, size.height), read(t, ctx, "screenshot "+name, chromedp.CaptureScreenshot()))
		if over := read(t, ctx, "overflow", chromedp.Evaluate[int](`document.documentElement.scrollWidth - innerWidth`)); over > 0 {
			t.Errorf("%s at %dx%d is %d px wider than the window", name, size.width, size.height, over)
		}
		if out := read(t, ctx, "out of view", chromedp.Evaluate[[]string](outOfView)); len(out) > 0 {
			t.Errorf("%s at %dx%d: elements stick out of the window: %v", name, size.width, size.height, out)
		}
	}
	step(t, ctx, "viewport back", chromedp.EmulateViewport(1440, 900),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`scrollTo(0, document.querySelector(%q).getBoundingClientRect().top + scrollY - 72)`, sel)))
	dark := emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}}
	step(t, ctx, "dark mode", media(dark))
	saveShot(t, "chain-"+name+"-dark-1440x900", read(t, ctx, "screenshot "+name+" dark", chromedp.CaptureScreenshot()))
	step(t, ctx, "print", media(emulation.SetEmulatedMediaParams{Media: "print"}), chromedp.EmulateViewport(800, 1100))
	saveShot(t, "chain-"+name+"-print", read(t, ctx, "screenshot "+name+" printed", chromedp.FullScreenshot(100)))
	step(t, ctx, "screen again", media(emulation.SetEmulatedMediaParams{}), chromedp.EmulateViewport(1440, 900))
}
