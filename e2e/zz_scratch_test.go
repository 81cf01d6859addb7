package e2e

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/chromedp"
)

func TestZZScratch(t *testing.T) {
	browser := newBrowser(t)
	dir := t.TempDir()
	srv := startServe(t, dir)
	m := setupLink.FindStringSubmatch(srv.Stdout)
	var confirms atomic.Int32
	a := tab(t, browser, &confirms)
	step(t, a, "setup",
		chromedp.Navigate(m[0]),
		chromedp.WaitVisible(chromedp.CSS(`input[name="name"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="name"]`), "Sam Owner"),
		chromedp.SendKeys(chromedp.CSS(`input[name="email"]`), "sam@example.com"),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), "correct horse battery"),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		waitText("h1", "About your shop"),
		chromedp.Click(chromedp.Search(`//button[text()="Skip for now"]`)),
		waitText(".live-status", "Live"))
	for _, p := range []string{"/import", "/customers", "/tickets", "/catalog", "/purchase-orders", "/devices"} {
		step(t, a, "nav "+p, chromedp.Navigate(srv.URL+p), chromedp.Sleep(1500e6))
		txt := read(t, a, "text", chromedp.Text(chromedp.CSS("#content")))
		nav := read(t, a, "nav", chromedp.Text(chromedp.CSS(".side")))
		fmt.Printf("=== %s\n%s\n--- nav: %s\n", p, strings.TrimSpace(txt), strings.ReplaceAll(nav, "\n", " | "))
		saveShot(t, "scratch"+strings.ReplaceAll(p, "/", "-"), read(t, a, "shot", chromedp.CaptureScreenshot()))
	}
}
