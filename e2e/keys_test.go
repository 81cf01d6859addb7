package e2e

import (
	"net/http"
	"strings"
	"testing"
)

func TestKeysCommandWorksWithAndWithoutServer(t *testing.T) {
	dir := t.TempDir()
	offline, err := portalCmd(t, "keys", "create", "--data", dir, "--type", "plugin", "--name", "Offline", "--scopes", "tickets.read")
	if err != nil {
		t.Fatal(err)
	}
	offline = strings.TrimSpace(offline)
	if !strings.HasPrefix(offline, "pk_live_") {
		t.Fatalf("plugin key = %q", offline)
	}

	p := startServe(t, dir)
	if code, _ := newClient(p.URL, offline).do("GET", "/api/v1/tickets", nil, nil); code != http.StatusOK {
		t.Fatalf("key made before start: %d", code)
	}

	// While the server holds the store, the CLI goes through the admin socket.
	online, err := portalCmd(t, "keys", "create", "--data", dir, "--type", "internal", "--name", "Online")
	if err != nil {
		t.Fatal(err)
	}
	online = strings.TrimSpace(online)
	if code, _ := newClient(p.URL, online).do("GET", "/api/v1/customers", nil, nil); code != http.StatusOK {
		t.Fatalf("key made through the socket: %d", code)
	}

	list, err := portalCmd(t, "keys", "list", "--data", dir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(list, "Offline") || !strings.Contains(list, "Online") {
		t.Fatalf("list:\n%s", list)
	}
	if strings.Contains(list, offline) || strings.Contains(list, online) {
		t.Fatalf("list shows a secret:\n%s", list)
	}

	if _, err := portalCmd(t, "keys", "revoke", "1", "--data", dir); err != nil {
		t.Fatal(err)
	}
	if code, _ := newClient(p.URL, offline).do("GET", "/api/v1/tickets", nil, nil); code != http.StatusUnauthorized {
		t.Fatalf("revoked key: %d, want 401 on the very next request", code)
	}
}

func TestKeysCreateAppPrintsIDThenSecret(t *testing.T) {
	out, err := portalCmd(t, "keys", "create", "--data", t.TempDir(), "--type", "app", "--name", "Zapier")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "app_") || len(lines[1]) < 32 {
		t.Fatalf("app credentials output:\n%s", out)
	}
}

func TestKeysCreateRejectsUnknownScopeNamingIt(t *testing.T) {
	_, err := portalCmd(t, "keys", "create", "--data", t.TempDir(), "--type", "plugin", "--name", "x", "--scopes", "tickets.read,bogus.write")
	if err == nil || !strings.Contains(err.Error(), "bogus.write") {
		t.Fatalf("err = %v", err)
	}
}
