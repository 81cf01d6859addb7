package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// A host written with IDNA's other full stops is dialled as its ASCII form
// (HTTP clients map it), so it is refused, or allowed, exactly as that form
// is; any other non-ASCII host (full-width digits and letters, which IDNA
// also maps) is refused and must be written in its xn-- form.
func TestWebhookHostsWithIdeographicDotsOrFullWidthDigitsAreCheckedAsTheyWillBeDialled(t *testing.T) {
	t.Parallel()
	dotted := map[string]string{ // as written → its ASCII form
		"http://127。0。0。1:9/x":    "http://127.0.0.1:9/x",
		"http://10．0．0．1/x":       "http://10.0.0.1/x",
		"http://169｡254｡169｡254/": "http://169.254.169.254/",
	}
	notASCII := []string{"http://１２７.0.0.1/x", "http://ｌｏｃａｌｈｏｓｔ/x", "http://münchen.example/x"}
	const public = "https://203.0.113.10/hooks"

	// refusal is the detail a create and a change of URL answer, or "" if accepted.
	refusal := func(c *client, path string, url string) string {
		t.Helper()
		method := http.MethodPost
		body := map[string]any{"url": url, "events": []string{"*"}}
		if path != "/webhooks" {
			method, body = http.MethodPatch, map[string]any{"url": url}
		}
		res := c.api(method, path, body)
		if res.Status < 300 {
			return ""
		}
		return res.fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "url").Details[0].Message
	}
	type webhook struct {
		ID uint64 `json:"id"`
	}

	t.Run("production", func(t *testing.T) {
		t.Parallel()
		_, c := newServer(t, internalKey)
		var created webhook
		c.post("/webhooks", map[string]any{"url": public, "events": []string{"*"}}).ok(http.StatusCreated, &created)
		for _, path := range []string{"/webhooks", fmt.Sprintf("/webhooks/%d", created.ID)} {
			for written, ascii := range dotted {
				got, want := refusal(c, path, written), refusal(c, path, ascii)
				if want == "" || got != want {
					t.Errorf("%s %s: refused with %q, its ASCII form with %q", path, written, got, want)
				}
			}
			for _, u := range notASCII {
				if got := refusal(c, path, u); !strings.Contains(got, "xn--") {
					t.Errorf("%s %s: refused with %q, want the ASCII host rule", path, u, got)
				}
			}
		}
	})

	t.Run("sandbox", func(t *testing.T) {
		t.Parallel()
		c := newTestServerWith(t, serverOptions{Sandbox: true}).client(internalKey)
		var created webhook
		c.post("/webhooks", map[string]any{"url": public, "events": []string{"*"}}).ok(http.StatusCreated, &created)
		for _, path := range []string{"/webhooks", fmt.Sprintf("/webhooks/%d", created.ID)} {
			if got := refusal(c, path, "http://127。0。0。1:9/x"); got != "" {
				t.Errorf("%s: loopback with ideographic dots refused in the sandbox: %q", path, got)
			}
			if got := refusal(c, path, "http://10。0。0。1/x"); !strings.Contains(got, "private") {
				t.Errorf("%s: a private address with ideographic dots: %q", path, got)
			}
			if got := refusal(c, path, notASCII[0]); !strings.Contains(got, "xn--") {
				t.Errorf("%s %s: refused with %q, want the ASCII host rule", path, notASCII[0], got)
			}
		}
	})
}
