package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/chromedp"
)

// widgetPage is a plugin's ticket_sidebar widget: it asks for the ticket and
// adds a note about it through the bridge, as a plugin's page would.
const widgetPage = `<!doctype html><html lang="en"><title>Hello widget</title><body><p id="out">waiting</p><script>
const out = document.getElementById("out");
addEventListener("message", (e) => {
  const m = e.data;
  if (m.type === "portal:response" && m.data) {
    out.textContent = "ticket " + m.data.number;
    parent.postMessage({type: "portal:action", action: "add_note", request_id: "n1", data: {text: "Widget saw ticket " + m.data.number}}, "*");
  }
});
parent.postMessage({type: "portal:request", resource: "ticket", id: "current", request_id: "r1"}, "*");
</script></body></html>`

// A plugin's widget in a real Chromium: the sandboxed iframe loads with its
// token, asks for the ticket, adds a note that appears in the timeline by
// the plugin's name; a message forged by the page itself is ignored.
func TestWidgetBridgeInChromium(t *testing.T) {
	var tokens atomic.Int32
	widget := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Query().Get("token"), "wt_") {
			tokens.Add(1)
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, widgetPage)
	}))
	t.Cleanup(widget.Close)

	browser := newBrowser(t)
	dir := t.TempDir()
	srv, m, api := serveForOwner(t, dir, "widget test", "--sandbox")
	must := func(method, path string, body, out any) {
		t.Helper()
		if _, err := api.do(method, path, body, out); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}
	must("POST", "/api/v1/plugins", map[string]any{"manifest": map[string]any{
		"manifest_version": 1, "id": "hello", "name": "Hello Widgets", "version": "1.0.0", "description": "A widget",
		"author": map[string]any{"name": "Tests"}, "category": "productivity", "pricing": map[string]any{"model": "free"},
		"scopes":  []string{"tickets.read", "tickets.write"},
		"widgets": []map[string]any{{"id": "side", "location": "ticket_sidebar", "url": widget.URL + "/side", "height": 120}},
	}}, nil)
	var c, tk struct {
		ID uint64 `json:"id"`
	}
	must("POST", "/api/v1/customers", map[string]any{"name": "Ada Widget"}, &c)
	must("POST", "/api/v1/tickets", map[string]any{"customer_id": c.ID, "issue": "Widget issue"}, &tk)

	var confirms atomic.Int32
	a := tab(t, browser, &confirms)
	signUpOwner(t, a, m[0])
	step(t, a, "ticket with its widget",
		chromedp.Navigate(fmt.Sprintf("%s/tickets/%d", srv.URL, tk.ID)),
		chromedp.WaitVisible(chromedp.CSS(`.widgets-ticket_sidebar iframe[sandbox="allow-scripts allow-forms"]`)),
		waitText(".widgets-ticket_sidebar .widget-head", "Hello Widgets"),
		waitText(".timeline", "Widget saw ticket"))
	// The page itself (not the widget's frame) forges an action: ignored.
	step(t, a, "forged message",
		chromedp.Evaluate[chromedp.Void](`postMessage({type: "portal:action", action: "add_note", data: {text: "FORGED note"}}, "*")`))
	var notes []struct {
		Body   string `json:"body"`
		Author string `json:"author"`
	}
	must("GET", fmt.Sprintf("/api/v1/tickets/%d/notes", tk.ID), nil, &notes)
	if len(notes) != 1 || notes[0].Author != "Hello Widgets" || !strings.HasPrefix(notes[0].Body, "Widget saw ticket") {
		t.Errorf("notes %+v", notes)
	}
	if h := read(t, a, "height", chromedp.Evaluate[string](`document.querySelector(".widgets-ticket_sidebar iframe").getAttribute("height")`)); h != "120" {
		t.Errorf("widget height %q", h)
	}
	if tokens.Load() == 0 {
		t.Error("the widget was loaded without a wt_ token")
	}
	if strings.Contains(read(t, a, "timeline", chromedp.Evaluate[string](`document.querySelector(".timeline").textContent`)), "FORGED") {
		t.Error("a forged message added a note")
	}
}
