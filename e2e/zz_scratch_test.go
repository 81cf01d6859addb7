package e2e

import (
	"os"
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
	key, _ := portalCmd(t, "keys", "create", "--data", dir, "--type", "internal", "--name", "x")
	api := newClient(srv.URL, strings.TrimSpace(key))
	var loc, grace struct{ ID uint64 `json:"id"` }
	api.do("POST", "/api/v1/locations", map[string]any{"name": "Main shop", "timezone": "Europe/London"}, &loc)
	api.do("POST", "/api/v1/customers", map[string]any{"name": "Grace Hopper"}, &grace)
	bad := t.TempDir() + "/bad.csv"
	os.WriteFile(bad, []byte("name,email,phone\nAlan Turing,alan@example.com,+44 20 7946 0201\n,nobody@example.com,\nJoan Clarke,not-an-email,\nTommy Flowers,tommy@example.com,\n"), 0o644)
	step(t, a, "import", chromedp.Navigate(srv.URL+"/import"), chromedp.WaitVisible(chromedp.CSS("#import-file")),
		chromedp.SetUploadFiles(chromedp.CSS(`#import-file`), []string{bad}),
		chromedp.Click(chromedp.Search(`//button[text()="Check the file"]`)), chromedp.Sleep(1500e6))
	fmt.Println(read(t, a, "text", chromedp.Text(chromedp.CSS("#content"))))
	step(t, a, "devices", chromedp.Navigate(srv.URL+"/devices"), chromedp.Sleep(1500e6))
	fmt.Println(read(t, a, "text", chromedp.Text(chromedp.CSS("#content"))))
	_ = fmt.Sprint
}
