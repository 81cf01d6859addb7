package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"portal/internal/smtptest"
	"portal/store"
)

func TestEmailSettingsKeepThePasswordWriteOnly(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	c := ts.client(internalKey)
	var got store.EmailSettings
	c.api("GET", "/store/email", nil).ok(http.StatusOK, &got)
	if got.Port != 587 || got.Security != "starttls" || got.PasswordSet || got.Host != "" {
		t.Fatalf("defaults = %+v", got)
	}
	res := c.api("PATCH", "/store/email", map[string]any{"host": "mail.lan", "port": 25, "security": "none",
		"username": "shop", "password": "hunter2-secret", "from": "Fix-It <shop@fixit.example>"})
	res.ok(http.StatusOK, &got)
	if !got.PasswordSet || got.Host != "mail.lan" || strings.Contains(string(res.Body), "hunter2") {
		t.Fatalf("after PATCH: %s", res.Body)
	}
	if res := c.api("GET", "/store/email", nil); strings.Contains(string(res.Body), "hunter2") || !strings.Contains(string(res.Body), `"password_set":true`) {
		t.Fatalf("GET shows %s", res.Body)
	}
	if res := c.api("GET", "/events?per_page=5", nil); strings.Contains(string(res.Body), "hunter2") {
		t.Fatalf("an event holds the password: %s", res.Body)
	}
	c.api("PATCH", "/store/email", map[string]any{"password": ""}).ok(http.StatusOK, &got)
	if got.PasswordSet {
		t.Fatal(`password "" did not remove it`)
	}
	for field, body := range map[string]map[string]any{
		"host":     {"host": "mail server/with spaces"},
		"port":     {"port": 70000},
		"security": {"security": "ssl"},
		"from":     {"from": "not an address"},
		"password": {"password": "two\nlines"},
	} {
		c.api("PATCH", "/store/email", body).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", field)
	}
	c.api("PATCH", "/store/email", map[string]any{"from": ""}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "from")
	c.api("POST", "/store/email/test", map[string]any{"to": "nobody"}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "to")
}

// The test email goes through the store the principal sees: in test mode
// the test store's settings (empty at first: a 409), never live's.
func TestTestEmailInTestModeNeverUsesTheLiveSettings(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	live, err := smtptest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	test, err := smtptest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer test.Close()
	owner := ts.client(internalKey)
	owner.api("PATCH", "/store/email", map[string]any{"host": live.Host, "port": live.Port, "security": "none", "from": "shop@fixit.example"}).ok(http.StatusOK, nil)

	// Choosing the mail server takes every scope a customer's link reaches.
	dev := ts.client(keySpec{Type: store.KeyDeveloper, Scopes: []string{"store.read", "store.write", "customers.write",
		"tickets.read", "tickets.write", "payments.read", "files.read", "proposals.read", "proposals.write"}})
	dev.api("POST", "/store/email/test", map[string]any{"to": "me@example.com"}).fail(http.StatusConflict, "CONFLICT")
	dev.api("PATCH", "/store/email", map[string]any{"host": test.Host, "port": test.Port, "security": "none", "from": "test@fixit.example"}).ok(http.StatusOK, nil)
	var out struct {
		Sent  bool   `json:"sent"`
		Reply string `json:"reply"`
	}
	dev.api("POST", "/store/email/test", map[string]any{"to": "me@example.com"}).ok(http.StatusOK, &out)
	if !out.Sent || !strings.HasPrefix(out.Reply, "250") || len(test.Messages()) != 1 || len(live.Messages()) != 0 {
		t.Fatalf("test mode: %+v; test server %d, live server %d", out, len(test.Messages()), len(live.Messages()))
	}
	owner.api("POST", "/store/email/test", map[string]any{"to": "me@example.com"}).ok(http.StatusOK, &out)
	if !out.Sent || len(live.Messages()) != 1 || len(test.Messages()) != 1 {
		t.Fatalf("live: %+v; test server %d, live server %d", out, len(test.Messages()), len(live.Messages()))
	}
	// A refusal is the server's answer, not an API failure.
	live.RefuseNext(1, 550)
	var refused struct {
		Sent  bool   `json:"sent"`
		Error string `json:"error"`
	}
	owner.api("POST", "/store/email/test", map[string]any{"to": "me@example.com"}).ok(http.StatusOK, &refused)
	if refused.Sent || !strings.Contains(refused.Error, "550") {
		t.Fatalf("refused: %+v", refused)
	}
}

func TestEmailLogNeedsCustomersReadToo(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ids := map[string]string{}
	seedEmails(t, context.Background(), ts.Live, ids)
	storeOnly := ts.client(keySpec{Type: store.KeyPlugin, Scopes: []string{"store.read"}, Tier: "unlimited"})
	storeOnly.api("GET", "/emails", nil).fail(http.StatusForbidden, "FORBIDDEN")
	both := ts.client(keySpec{Type: store.KeyPlugin, Scopes: []string{"store.read", "customers.read"}, Tier: "unlimited"})
	var list []store.Email
	both.api("GET", "/emails", nil).ok(http.StatusOK, &list)
	if len(list) != 1 || list[0].ID != ids["email"] || list[0].To != "walk@example.com" || list[0].Status != store.EmailSkipped {
		t.Fatalf("email log = %+v", list)
	}
	var one store.Email
	both.api("GET", "/emails/"+ids["email"], nil).ok(http.StatusOK, &one)
	if one.ID != ids["email"] {
		t.Fatalf("email = %+v", one)
	}
	both.api("GET", "/emails/eml_999", nil).fail(http.StatusNotFound, "NOT_FOUND")
}

// seedEmails logs one email in s (the mail consumer's own operation), for
// the walks.
func seedEmails(t *testing.T, ctx context.Context, s *store.Store, ids map[string]string) {
	t.Helper()
	cursor, last, err := s.MailCursor()
	if err != nil {
		t.Fatal(err)
	}
	evID := fmt.Sprintf("evt_seed_%d_%s", last, ids["n"])
	err = s.EnqueueEmails(ctx, cursor, last, []store.NewEmail{{EventID: evID, Event: "ticket.status_changed", Kind: "status",
		To: "walk@example.com", Subject: "Your repair is Ready for Pickup", Skip: "no mail server is set up"}})
	if err != nil {
		t.Fatal(err)
	}
	page, err := s.Emails(1, 1)
	if err != nil || len(page.Items) != 1 {
		t.Fatal(err)
	}
	_, after, _ := strings.Cut(string(page.Items[0]), `"id":"`)
	ids["email"], _, _ = strings.Cut(after, `"`)
}
