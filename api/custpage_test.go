package api_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"portal/api"
	"portal/store"
)

func TestTheCustomerPageIsItsOwnBundleUnderAStrictPolicy(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	live, err := store.Open(filepath.Join(dir, "live.db"), store.Options{Mode: store.Live})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { live.Close() })
	test, err := store.Open(filepath.Join(dir, "test.db"), store.Options{Mode: store.Test})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { test.Close() })
	ui := fstest.MapFS{
		"index.html":           {Data: []byte("CONSOLE")},
		"app.js":               {Data: []byte("console js")},
		"customer/index.html":  {Data: []byte("CUSTOMER PAGE")},
		"customer/customer.js": {Data: []byte("customer js")},
	}
	srv := api.New(api.Config{Live: live, Test: test, UI: ui})
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	hc := hs.Client()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	get := func(path string) (*http.Response, string) {
		t.Helper()
		res, err := hc.Get(hs.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	for path, want := range map[string]string{"/c/": "CUSTOMER PAGE", "/c/tickets/4": "CUSTOMER PAGE", "/c/customer.js": "customer js", "/": "CONSOLE"} {
		res, body := get(path)
		if res.StatusCode != http.StatusOK || body != want {
			t.Errorf("GET %s: %d %q, want %q", path, res.StatusCode, body, want)
		}
		csp := res.Header.Get("Content-Security-Policy")
		if strings.HasPrefix(path, "/c/") && (!strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "script-src 'self'") ||
			strings.Contains(csp, "unsafe") || res.Header.Get("Referrer-Policy") != "no-referrer") {
			t.Errorf("GET %s: policy %q, referrer %q", path, csp, res.Header.Get("Referrer-Policy"))
		}
	}
	if res, _ := get("/c"); res.StatusCode != http.StatusMovedPermanently || res.Header.Get("Location") != "/c/" {
		t.Errorf("GET /c: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	// No console file is reachable under /c/.
	if res, _ := get("/c/app.js"); res.StatusCode != http.StatusNotFound {
		t.Errorf("GET /c/app.js: %d, want 404", res.StatusCode)
	}
	res, body := get("/c/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	if res.StatusCode != http.StatusNotFound || !strings.Contains(body, "no longer works") || res.Header.Get("Content-Security-Policy") == "" {
		t.Errorf("a bad link: %d %q", res.StatusCode, body)
	}
}
