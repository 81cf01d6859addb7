package hooks_test

import (
	"net/url"
	"testing"

	"portal/hooks"
)

func TestMSSReproducesVectors(t *testing.T) {
	x := loadVectors(t).XMSS
	for _, c := range x.Cases {
		u, err := url.Parse(c.URL)
		if err != nil {
			t.Fatal(err)
		}
		ct := ""
		if c.ContentType != nil {
			ct = *c.ContentType
		}
		canonical := hooks.MSSCanonical(c.Method, hooks.MSSBaseURL(u), ct, x.Date, x.UserKey)
		if canonical != c.Canonical {
			t.Errorf("%s canonical\n got %q\nwant %q", c.Method, canonical, c.Canonical)
		}
		if sig := hooks.MSSSign(x.AppSecret, canonical); sig != c.Signature {
			t.Errorf("%s signature %q, want %q", c.Method, sig, c.Signature)
		}
	}
}

func TestMSSCanonicalLeavesContentTypeOutOfGetAndDelete(t *testing.T) {
	for method, want := range map[string]string{
		"GET":    "GEThttps://h/pdateuk",
		"DELETE": "DELETEhttps://h/pdateuk",
		"POST":   "POSThttps://h/papplication/jsondateuk",
	} {
		if got := hooks.MSSCanonical(method, "https://h/p", "application/json", "date", "uk"); got != want {
			t.Errorf("%s: %q, want %q", method, got, want)
		}
	}
}

func TestMSSBaseURL(t *testing.T) {
	for raw, want := range map[string]string{
		"https://shop.example/public/webhook/subscriptions?ignored=1": "https://shop.example/public/webhook/subscriptions",
		"http://127.0.0.1:8080/public/webhook/subscription/7#frag":    "http://127.0.0.1:8080/public/webhook/subscription/7",
		"https://user:pw@shop.example/a%20b?x=y":                      "https://shop.example/a%20b",
	} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := hooks.MSSBaseURL(u); got != want {
			t.Errorf("MSSBaseURL(%s) = %q, want %q", raw, got, want)
		}
	}
}
