package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// Photos and documents in the console, in a real Chromium against a real
// `portal serve`: an intake photo (a real PNG) and a PDF attached to a
// ticket through the file input, the photo's thumbnail loaded through its
// signed URL, the PDF in the documents with its download link; a second tab
// sees them arrive live; a photo from the camera input; a file over 20 MiB
// refused in words; "Customer can see" toggled; the larger view with the
// arrow keys and Esc; the printout showing only the customer-visible photo
// and no controls; delete with confirmation; a role without files.write
// gets no upload or delete controls and one without files.read no section;
// the same component on a customer's page and over the devices board.
// Audited with axe-core; photographed at 1440×900, 820×1180, 390×844, on
// paper and dark (artifacts/screenshots/files-*).

// filesShots saves the page at each size, printed and dark, and fails when
// it scrolls sideways or something sticks out of the window.
func filesShots(t *testing.T, ctx context.Context, name, sel string) {
	t.Helper()
	step(t, ctx, "to the top", chromedp.Evaluate[chromedp.Void](`scrollTo(0, 0)`))
	for _, size := range deskSizes {
		// The tablet and the phone are touch screens (pointer: coarse).
		step(t, ctx, "viewport", chromedp.EmulateViewport(size.width, size.height), touch(size.name != "desk"))
		if sel != "" {
			step(t, ctx, "scroll to "+sel, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%q)?.scrollIntoView({block: "start"})`, sel)))
		}
		step(t, ctx, "still", settled)
		png := read(t, ctx, "screenshot "+name, chromedp.CaptureScreenshot())
		saveShot(t, fmt.Sprintf("files-%s-%s-%dx%d", name, size.name, size.width, size.height), png)
		if over := read(t, ctx, "overflow", chromedp.Evaluate[int](`document.documentElement.scrollWidth - innerWidth`)); over > 0 {
			t.Errorf("%s at %dx%d is %d px wider than the window", name, size.width, size.height, over)
		}
		if out := read(t, ctx, "out of view", chromedp.Evaluate[[]string](outOfView)); len(out) > 0 {
			t.Errorf("%s at %dx%d: elements stick out of the window: %v", name, size.width, size.height, out)
		}
	}
	step(t, ctx, "viewport back", chromedp.EmulateViewport(1440, 900), touch(false))
	if sel != "" {
		step(t, ctx, "scroll to "+sel, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%q)?.scrollIntoView({block: "start"})`, sel)))
	}
	dark := emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}}
	step(t, ctx, "dark mode", media(dark), settled)
	saveShot(t, "files-"+name+"-dark-1440x900", read(t, ctx, "screenshot "+name+" dark", chromedp.CaptureScreenshot()))
	step(t, ctx, "light mode", media(emulation.SetEmulatedMediaParams{}))
}

// settled waits until nothing on the page moves (a flash of a new photo,
// a thumbnail fading in), so a screenshot shows the page at rest.
var settled = chromedp.Poll[chromedp.Void](`document.getAnimations().every((a) => a.playState !== "running")`)

// touch switches the emulation of a touch screen on or off.
func touch(on bool) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetTouchEmulationEnabled, emulation.SetTouchEmulationEnabledParams{Enabled: on, MaxTouchPoints: 5})
		return err
	})
}

// filesPrint saves the page as printed.
func filesPrint(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	step(t, ctx, "print", chromedp.EmulateViewport(800, 1100), media(emulation.SetEmulatedMediaParams{Media: "print"}))
	saveShot(t, "files-"+name+"-print", read(t, ctx, "screenshot "+name+" printed", chromedp.FullScreenshot(100)))
	step(t, ctx, "screen again", media(emulation.SetEmulatedMediaParams{}), chromedp.EmulateViewport(1440, 900))
}

// writeImage writes a small real picture (a gradient with a square, so a
// thumbnail is not blank) as PNG or JPEG.
func writeImage(t *testing.T, path string, w, h int, tint color.RGBA) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.RGBA{uint8(int(tint.R) * x / w), uint8(int(tint.G) * y / h), tint.B, 255}
			if x > w/3 && x < 2*w/3 && y > h/3 && y < 2*h/3 {
				c = color.RGBA{250, 250, 250, 255}
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	var err error
	if strings.HasSuffix(path, ".png") {
		err = png.Encode(&buf, img)
	} else {
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85})
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// minimalPDF is a one-page PDF (sniffed as application/pdf).
const minimalPDF = "%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n2 0 obj <</Type /Pages /Kids [3 0 R] /Count 1>> endobj\n" +
	"3 0 obj <</Type /Page /Parent 2 0 R /MediaBox [0 0 200 200]>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"

// attachment is the API's record of a file.
type attachment struct {
	ID              uint64 `json:"id"`
	OwnerType       string `json:"owner_type"`
	OwnerID         uint64 `json:"owner_id"`
	Filename        string `json:"filename"`
	ContentType     string `json:"content_type"`
	CustomerVisible bool   `json:"customer_visible"`
}

// attachFile posts a file to an owner's attachments with the key, as an
// integration (or another tab) would.
func attachFile(t *testing.T, c *apiClient, path, name string, body []byte) attachment {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(body)
	mw.Close()
	req, err := http.NewRequest("POST", c.base+path, &buf)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST %s: %d %s", path, resp.StatusCode, raw)
	}
	var env struct {
		Data attachment `json:"data"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatal(err)
	}
	return env.Data
}

// imgLoaded is true once an image in the gallery matching sel has loaded
// (a real picture, read through its signed URL).
func imgLoaded(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](fmt.Sprintf(`[...document.querySelectorAll(%q)].some((i) => i.complete && i.naturalWidth > 0)`, sel))
}

func TestFilesInChromium(t *testing.T) {
	chrome := newBrowser(t)
	axe := axeSource(t)
	dir := t.TempDir()
	srv, m, api := serveForOwner(t, dir, "files test")
	must := func(method, path string, body, out any) {
		t.Helper()
		if _, err := api.do(method, path, body, out); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}

	// The files a shop takes in: two photos, a PDF, a text note, and one
	// too big to keep (a sparse file: nothing is written to disk).
	files := t.TempDir()
	front, back, camera := filepath.Join(files, "intake-front.png"), filepath.Join(files, "intake-back.jpg"), filepath.Join(files, "IMG_0042.jpg")
	writeImage(t, front, 640, 480, color.RGBA{40, 90, 200, 255})
	writeImage(t, back, 480, 640, color.RGBA{200, 60, 40, 255})
	writeImage(t, camera, 800, 600, color.RGBA{30, 160, 90, 255})
	manual := filepath.Join(files, "repair-authorisation.pdf")
	if err := os.WriteFile(manual, []byte(minimalPDF), 0o644); err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(files, "screen-recording.mov")
	if f, err := os.Create(huge); err != nil {
		t.Fatal(err)
	} else {
		f.Truncate(21 << 20)
		f.Close()
	}

	var confirms atomic.Int32
	a := tab(t, chrome, &confirms)
	signUpOwner(t, a, m[0])

	// Downloads land in a folder of the test's, and say when they are done.
	downloads := t.TempDir()
	downloaded := make(chan string, 8)
	go func() {
		for ev, err := range chromedp.BrowserEvents(a, browser.DownloadProgress) {
			if err != nil {
				return
			}
			if ev.State == browser.DownloadProgressStateCompleted {
				downloaded <- ev.FilePath
			}
		}
	}()
	yes := true
	if _, err := chromedp.CallBrowser(a, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads, EventsEnabled: &yes}); err != nil {
		t.Fatal(err)
	}

	type rec struct {
		ID     uint64 `json:"id"`
		Number int    `json:"number"`
	}
	var ada, ticket rec
	must("POST", "/api/v1/customers", map[string]any{"name": "Ada Lovelace", "email": "ada@example.com", "phone": "+44 20 7946 0101"}, &ada)
	must("POST", "/api/v1/tickets", map[string]any{"customer_id": ada.ID, "device": map[string]any{"brand": "Apple", "model": "iPhone 13", "serial": "F2LXK0ABCD"},
		"issue": "Cracked screen, dropped on tiles. Face ID works."}, &ticket)
	ticketURL := fmt.Sprintf("%s/tickets/%d", srv.URL, ticket.ID)
	section := `section.attachments[data-owner="ticket-%d"]`
	sec := fmt.Sprintf(section, ticket.ID)

	// The ticket without files: the section says what to do.
	step(t, a, "ticket",
		chromedp.Navigate(ticketURL),
		waitText("h1", fmt.Sprint(ticket.Number)),
		waitText(sec+" h2", "Photos and documents"),
		waitText(sec+" .att-empty", "No photos or documents yet"))
	filesShots(t, a, "ticket-empty", sec)
	audit(t, a, axe, "ticket-empty")

	// A second tab watches the same ticket.
	b := tab(t, chrome, &confirms)
	step(t, b, "second tab", chromedp.Navigate(ticketURL), waitText(".live-status", "Live"), waitText(sec+" .att-empty", "No photos"))

	// Two photos and a PDF through "Add files", several at once.
	step(t, a, "add files",
		chromedp.SetUploadFiles(chromedp.CSS(sec+` input[type="file"][multiple]`), []string{front, back, manual}),
		waitText(sec+" .att-gallery .att-name", "intake-front.png"),
		waitText(sec+" .att-gallery .att-name", "intake-back.jpg"),
		waitText(sec+" .att-docs .att-doc-link", "repair-authorisation.pdf"),
		imgLoaded(sec+` .att-gallery li[data-id] img[alt="intake-front.png"]`),
		imgLoaded(sec+` .att-gallery li[data-id] img[alt="intake-back.jpg"]`),
		chromedp.Poll[chromedp.Void](`!document.querySelector(".att-up")`))
	var listed []attachment
	must("GET", fmt.Sprintf("/api/v1/tickets/%d/attachments", ticket.ID), nil, &listed)
	if len(listed) != 3 {
		t.Fatalf("the ticket has %d attachments after three uploads: %+v", len(listed), listed)
	}
	byName := map[string]attachment{}
	for _, x := range listed {
		byName[x.Filename] = x
	}
	pdf := byName["repair-authorisation.pdf"]
	if pdf.ContentType != "application/pdf" {
		t.Errorf("the PDF is stored as %q", pdf.ContentType)
	}
	// The document's link is a signed URL that downloads the very bytes.
	step(t, a, "document link", chromedp.Poll[chromedp.Void](fmt.Sprintf(`!!document.querySelector('%s .att-docs a.att-doc-link[href*="/"]')`, sec)))
	got := read(t, a, "download the PDF", chromedp.Evaluate[string](fmt.Sprintf(`fetch(document.querySelector('%s .att-docs a.att-doc-link').href).then(async (r) => r.status + " " + (await r.text()).slice(0, 8))`, sec), chromedp.EvalAwaitPromise))
	if got != "200 %PDF-1.4" {
		t.Errorf("the document's link answers %q", got)
	}
	// A link whose URL ran out (a tablet that slept through the 15 minutes)
	// asks for a fresh one when clicked.
	step(t, a, "stale link",
		chromedp.Evaluate[chromedp.Void](`(() => {
  window.urlCalls = 0;
  const f = window.fetch;
  window.realFetch = f;
  window.fetch = (...args) => { if (String(args[0]).endsWith("/url")) window.urlCalls++; return f(...args); };
  const now = Date.now;
  window.realNow = now;
  Date.now = () => now() + 16 * 60 * 1000;
})()`),
		chromedp.Click(chromedp.CSS(sec+` .att-docs a.att-doc-link`)),
		chromedp.Poll[chromedp.Void](`window.urlCalls >= 1`),
		chromedp.Evaluate[chromedp.Void](`Date.now = window.realNow; window.fetch = window.realFetch`))
	select {
	case path := <-downloaded:
		if b, err := os.ReadFile(path); err != nil || string(b) != minimalPDF {
			t.Errorf("the downloaded PDF at %s is %q (%v)", path, b, err)
		}
	case <-time.After(20 * time.Second):
		t.Errorf("the stale link downloaded nothing")
	}

	// The timeline says who attached what.
	step(t, a, "timeline", waitText(".timeline .event", "attached a photo"))

	// The second tab saw all three arrive, thumbnails loaded.
	step(t, b, "arrived live",
		waitText(sec+" .att-gallery .att-name", "intake-front.png"),
		waitText(sec+" .att-docs", "repair-authorisation.pdf"),
		imgLoaded(sec+` .att-gallery img[alt="intake-back.jpg"]`))

	// Another photo, from elsewhere (an integration, another desk): it
	// appears in both tabs, and this tab tells who added it.
	fromKey := attachFile(t, api, fmt.Sprintf("/api/v1/tickets/%d/attachments", ticket.ID), "bench-test.jpg", mustRead(t, camera))
	step(t, a, "added elsewhere", imgLoaded(sec+` img[alt="bench-test.jpg"]`), waitText(".notice", "bench-test.jpg"))
	step(t, b, "added elsewhere, second tab", imgLoaded(sec+` img[alt="bench-test.jpg"]`))

	// A file over 20 MiB: refused in words, nothing uploaded.
	step(t, a, "too big",
		chromedp.SetUploadFiles(chromedp.CSS(sec+` input[type="file"][multiple]`), []string{huge}),
		waitText(sec+" .att-up.failed", "at most 20 MB"))
	must("GET", fmt.Sprintf("/api/v1/tickets/%d/attachments", ticket.ID), nil, &listed)
	if len(listed) != 4 {
		t.Errorf("after the refused file the ticket has %d attachments, want 4", len(listed))
	}
	filesShots(t, a, "ticket-files", sec)
	audit(t, a, axe, "ticket-files")
	checkTouch(t, a, "ticket-files")
	step(t, a, "dismiss", chromedp.Click(chromedp.CSS(sec+` .att-up.failed button`)), chromedp.Poll[chromedp.Void](`!document.querySelector(".att-up")`))

	// On a phone: the camera button, and a photo taken with it.
	step(t, a, "phone", chromedp.EmulateViewport(390, 844),
		chromedp.WaitVisible(chromedp.CSS(sec+` button.att-camera`)),
		chromedp.SetUploadFiles(chromedp.CSS(sec+` input[type="file"][capture="environment"]`), []string{camera}),
		imgLoaded(sec+` img[alt="IMG_0042.jpg"]`))
	step(t, a, "desk again", chromedp.EmulateViewport(1440, 900))
	if vis := read(t, a, "camera on a desk", chromedp.Evaluate[bool](fmt.Sprintf(`getComputedStyle(document.querySelector('%s button.att-camera')).display !== "none"`, sec))); vis {
		t.Errorf("the Take photo button shows on a desk")
	}

	// Customer can see: the front photo, saved.
	step(t, a, "customer can see",
		chromedp.Click(chromedp.CSS(sec+` input[aria-label="Customer can see intake-front.png"]`)),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.querySelector('%s li.att-photo.visible img[alt="intake-front.png"]') && !document.querySelector('%s input[aria-busy]')`, sec, sec)),
		// The focus stays on the box through its save.
		chromedp.Poll[chromedp.Void](`document.activeElement?.getAttribute("aria-label") === "Customer can see intake-front.png"`))
	var front1 attachment
	must("GET", fmt.Sprintf("/api/v1/attachments/%d", byName["intake-front.png"].ID), nil, &front1)
	if !front1.CustomerVisible {
		t.Errorf("after the toggle the front photo is %+v", front1)
	}

	// The larger view: opened from the thumbnail, the arrows move, Esc
	// closes and focus goes back to the thumbnail.
	openSel := sec + ` li.att-photo button.att-open[aria-label="View intake-front.png larger"]`
	step(t, a, "view larger",
		chromedp.Click(chromedp.CSS(openSel)),
		chromedp.WaitVisible(chromedp.CSS(`dialog.att-viewer[open] img.att-view-img`)),
		waitText(`dialog.att-viewer[open] .att-view-title`, "intake-front.png"),
		imgLoaded(`dialog.att-viewer[open] img.att-view-img`))
	filesShots(t, a, "viewer", "")
	audit(t, a, axe, "viewer")
	order := read(t, a, "gallery order", chromedp.Evaluate[[]string](fmt.Sprintf(`[...document.querySelectorAll('%s .att-gallery img')].map((i) => i.alt)`, sec)))
	at := -1
	for i, n := range order {
		if n == "intake-front.png" {
			at = i
		}
	}
	if at < 0 {
		t.Fatalf("gallery order %v", order)
	}
	step(t, a, "arrow right",
		press(kb.ArrowRight),
		waitText(`dialog.att-viewer[open] .att-view-title`, order[(at+1)%len(order)]),
		imgLoaded(`dialog.att-viewer[open] img.att-view-img`),
		press(kb.ArrowLeft),
		waitText(`dialog.att-viewer[open] .att-view-title`, "intake-front.png"),
		press(kb.Escape),
		chromedp.Poll[chromedp.Void](`!document.querySelector("dialog.att-viewer[open]")`),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.activeElement === document.querySelector('%s')`, openSel)))

	// On paper: the customer-visible photo only, no controls, no documents.
	step(t, a, "print media", media(emulation.SetEmulatedMediaParams{Media: "print"}))
	printed := read(t, a, "printed", chromedp.Evaluate[map[string]int](fmt.Sprintf(`(() => {
  const shown = (e) => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== "hidden";
  const s = document.querySelector('%s');
  return {photos: [...s.querySelectorAll("li.att-photo")].filter(shown).length,
    controls: [...s.querySelectorAll("input, .att-delete, .att-actions, .att-docs, .att-up")].filter(shown).length,
    loaded: [...s.querySelectorAll("li.att-photo")].filter(shown).filter((li) => li.querySelector("img").naturalWidth > 0).length};
})()`, sec)))
	step(t, a, "screen media", media(emulation.SetEmulatedMediaParams{}))
	if printed["photos"] != 1 || printed["loaded"] != 1 || printed["controls"] != 0 {
		t.Errorf("printed, the section shows %v; want the one customer-visible photo, loaded, and no controls", printed)
	}
	filesPrint(t, a, "ticket")

	// Delete the PDF, confirmed: gone here, and live in the second tab.
	confirms.Add(1)
	step(t, a, "delete",
		chromedp.Click(chromedp.CSS(sec+` button[aria-label="Delete repair-authorisation.pdf"]`)),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`!document.querySelector('%s .att-docs li')`, sec)))
	step(t, b, "deleted live", chromedp.Poll[chromedp.Void](fmt.Sprintf(`!document.querySelector('%s .att-docs li')`, sec)))
	must("GET", fmt.Sprintf("/api/v1/tickets/%d/attachments", ticket.ID), nil, &listed)
	for _, x := range listed {
		if x.ID == pdf.ID {
			t.Errorf("the deleted PDF is still listed: %+v", listed)
		}
	}
	if len(listed) != 4 {
		t.Errorf("after one delete the ticket has %d attachments, want 4", len(listed))
	}
	if n := read(t, a, "docs after the delete", chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll('%s .att-docs li').length`, sec))); n != 0 {
		t.Errorf("%d documents listed after the delete", n)
	}
	// A text file dropped on the section (a desk with a mouse) is uploaded.
	step(t, a, "drop",
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
  const s = document.querySelector('%s');
  const dt = new DataTransfer();
  dt.items.add(new File(["Customer says the phone fell in water last week."], "customer-notes.txt", {type: "text/plain"}));
  for (const type of ["dragenter", "dragover", "drop"]) s.dispatchEvent(new DragEvent(type, {dataTransfer: dt, bubbles: true, cancelable: true}));
})()`, sec)),
		waitText(sec+" .att-docs .att-doc-link", "customer-notes.txt"),
		waitText(sec+" .att-docs .att-meta", "Text"),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`!document.querySelector('%s').classList.contains("dragging")`, sec)))
	step(t, b, "reload second tab", chromedp.Reload(), waitText(sec+" .att-gallery .att-name", "bench-test.jpg"))
	if docs := read(t, b, "docs in the second tab", chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector('%s .att-docs').textContent`, sec))); strings.Contains(docs, "repair-authorisation") || !strings.Contains(docs, "customer-notes.txt") {
		t.Errorf("the second tab's documents after the delete and the drop: %q", docs)
	}
	_ = fromKey

	// Roles: without files.write no upload, toggle or delete; without
	// files.read no section at all (the component as the pages mount it).
	roles := read(t, a, "roles", chromedp.Evaluate[map[string]any](fmt.Sprintf(`import("/lib/attachments.js").then(async (m) => {
  const ro = m.attachments({can: (s) => s === "files.read"}, {type: "ticket", id: %d});
  document.body.append(ro.node);
  await ro.ready;
  const none = m.attachments({can: () => false}, {type: "ticket", id: %d});
  const out = {readOnlyPhotos: ro.node.querySelectorAll("li.att-photo").length,
    controls: ro.node.querySelectorAll("input, .att-delete, .att-actions, .att-drop-hint").length,
    noneNode: none.node === null};
  ro.destroy(); ro.node.remove();
  return out;
})`, ticket.ID, ticket.ID), chromedp.EvalAwaitPromise))
	if roles["readOnlyPhotos"] != float64(4) || roles["controls"] != float64(0) || roles["noneNode"] != true {
		t.Errorf("read-only and no-access components: %v", roles)
	}

	// A slow connection: the upload's progress shows as it goes, then the
	// file lands (uploads throttled to 256 KB/s for a 1.5 MB file).
	scan := filepath.Join(files, "board-scan.bin")
	noise := make([]byte, 3<<19)
	for i := range noise {
		noise[i] = byte(i*7 + i/251)
	}
	if err := os.WriteFile(scan, noise, 0o644); err != nil {
		t.Fatal(err)
	}
	throttle := func(on bool) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
				return err
			}
			rules := []*network.Conditions{}
			if on {
				rules = append(rules, &network.Conditions{URLPattern: srv.URL + "/api/v1/tickets/*/attachments", DownloadThroughput: -1, UploadThroughput: 256 << 10})
			}
			_, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: rules})
			return err
		})
	}
	step(t, a, "slow upload",
		throttle(true),
		chromedp.SetUploadFiles(chromedp.CSS(sec+` input[type="file"][multiple]`), []string{scan}),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`(() => { const p = document.querySelector('%s .att-up progress'); return !!p && p.value > 0 && p.value < 100; })()`, sec)))
	saveShot(t, "files-uploading-desk-1440x900", read(t, a, "uploading", chromedp.CaptureScreenshot()))
	step(t, a, "landed",
		waitText(sec+" .att-docs .att-doc-link", "board-scan.bin"),
		chromedp.Poll[chromedp.Void](`!document.querySelector(".att-up")`),
		throttle(false))

	// A customer's documents, on their page.
	attachFile(t, api, fmt.Sprintf("/api/v1/customers/%d/attachments", ada.ID), "id-check.pdf", []byte(minimalPDF))
	csec := fmt.Sprintf(`section.attachments[data-owner="customer-%d"]`, ada.ID)
	step(t, a, "customer page",
		chromedp.Navigate(fmt.Sprintf("%s/customers/%d", srv.URL, ada.ID)),
		waitText(csec+" .att-docs", "id-check.pdf"),
		chromedp.SetUploadFiles(chromedp.CSS(csec+` input[type="file"][multiple]`), []string{back}),
		imgLoaded(csec+` img[alt="intake-back.jpg"]`))
	filesShots(t, a, "customer", csec)
	audit(t, a, axe, "customer")

	// A device's photos, in a dialog over the board.
	var dev, shop rec
	must("POST", "/api/v1/locations", map[string]any{"name": "Main shop", "timezone": "Europe/London"}, &shop)
	must("POST", "/api/v1/devices", map[string]any{"brand": "Samsung", "model": "Galaxy S21", "purchase_price": 120, "imei": "490154203237518", "seller_customer_id": ada.ID, "location_id": shop.ID}, &dev)
	dsec := fmt.Sprintf(`section.attachments[data-owner="device-%d"]`, dev.ID)
	step(t, a, "devices board",
		chromedp.Navigate(srv.URL+"/devices"),
		chromedp.Click(chromedp.CSS(`button[aria-label="Photos and documents of Samsung Galaxy S21"]`)),
		waitText(dsec+" .att-empty", "No photos"),
		chromedp.SetUploadFiles(chromedp.CSS(dsec+` input[type="file"][multiple]`), []string{camera, manual}),
		imgLoaded(dsec+` img[alt="IMG_0042.jpg"]`),
		waitText(dsec+" .att-docs", "repair-authorisation.pdf"))
	filesShots(t, a, "device", "")
	audit(t, a, axe, "device")
	step(t, a, "close the device's files",
		press(kb.Escape),
		chromedp.Poll[chromedp.Void](`!document.querySelector("dialog.device-photos[open]") && document.activeElement?.dataset.action === "photos"`))
	var devFiles []attachment
	must("GET", fmt.Sprintf("/api/v1/devices/%d/attachments", dev.ID), nil, &devFiles)
	if len(devFiles) != 2 {
		t.Errorf("the device has %d attachments, want 2", len(devFiles))
	}

	// Test mode: a test ticket's photo goes to the test store and shows
	// through a test URL; the live ticket of the same id gains nothing.
	testTicket := read(t, a, "test ticket", chromedp.Evaluate[float64](`(async () => {
  const post = (path, body) => fetch(path, {method: "POST", headers: {"Portal-Mode": "test", "Content-Type": "application/json"}, body: JSON.stringify(body)}).then((r) => r.json());
  const c = await post("/api/v1/customers", {name: "Test Customer"});
  const tk = await post("/api/v1/tickets", {customer_id: c.data.id, device: {brand: "Google", model: "Pixel 8"}, issue: "Test intake"});
  return tk.data.id;
})()`, chromedp.EvalAwaitPromise))
	tsec := fmt.Sprintf(section, int(testTicket))
	var before []attachment
	_, liveErr := api.do("GET", fmt.Sprintf("/api/v1/tickets/%d/attachments", int(testTicket)), nil, &before)
	step(t, a, "test mode ticket",
		chromedp.Navigate(fmt.Sprintf("%s/test/tickets/%d", srv.URL, int(testTicket))),
		waitText(".test-banner", "TEST MODE"),
		waitText(tsec+" .att-empty", "No photos"),
		chromedp.SetUploadFiles(chromedp.CSS(tsec+` input[type="file"][multiple]`), []string{front}),
		imgLoaded(tsec+` img[alt="intake-front.png"]`))
	if src := read(t, a, "test thumbnail", chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector('%s img[alt="intake-front.png"]').src`, tsec))); !strings.Contains(src, "/test/") {
		t.Errorf("the test photo's thumbnail is read from %s; want the test store's URL", src)
	}
	var after []attachment
	if _, err := api.do("GET", fmt.Sprintf("/api/v1/tickets/%d/attachments", int(testTicket)), nil, &after); (err == nil) != (liveErr == nil) || len(after) != len(before) {
		t.Errorf("the live ticket %d's attachments changed with the test upload: %d → %d (%v)", int(testTicket), len(before), len(after), err)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
