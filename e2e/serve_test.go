package e2e

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

var (
	setupLink      = regexp.MustCompile(`(http://\S+)/setup#token=(\w+)`)
	sandboxKeyLine = regexp.MustCompile(`dk_test_\w+`)
)

func TestFirstStartPrintsSetupLinkUntilOwnerSetsPassword(t *testing.T) {
	dir := t.TempDir()
	p := startServe(t, dir)
	m := setupLink.FindStringSubmatch(p.Stdout)
	if m == nil {
		t.Fatalf("no setup link in:\n%s", p.Stdout)
	}
	resp, err := http.Get(p.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz = %d", resp.StatusCode)
	}
	page, err := http.Get(m[1] + "/setup")
	if err != nil {
		t.Fatal(err)
	}
	page.Body.Close()
	if page.StatusCode != http.StatusOK || !strings.HasPrefix(page.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("setup page: %d %s", page.StatusCode, page.Header.Get("Content-Type"))
	}

	setup := `{"token":"` + m[2] + `","name":"Sam Owner","email":"sam@example.com","password":"correct horse battery"}`
	req, _ := http.NewRequest("POST", p.URL+"/auth/setup", strings.NewReader(setup))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", p.URL) // the console's writes are same-origin only
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		t.Fatalf("setup = %d", resp.StatusCode)
	}
	if err := p.stop(t, syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM exit: %v\n%s", err, p.log.String())
	}

	again := startServe(t, dir)
	if setupLink.MatchString(again.Stdout) {
		t.Fatalf("setup link printed after setup:\n%s", again.Stdout)
	}
}

func TestSIGTERMShutsDownCleanly(t *testing.T) {
	dir := t.TempDir()
	p := startServe(t, dir)
	if err := p.stop(t, syscall.SIGTERM); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, p.log.String())
	}
	if !strings.Contains(p.log.String(), "shutting down") {
		t.Fatalf("no shutdown log:\n%s", p.log.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "portal.sock")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("admin socket left behind: %v", err)
	}
	// The stores were closed: another process can open them at once.
	if _, err := portalCmd(t, "keys", "list", "--data", dir); err != nil {
		t.Fatal(err)
	}
}

func TestSecondServerOnSameDataFolderIsRefused(t *testing.T) {
	dir := t.TempDir()
	startServe(t, dir)
	cmdOut, err := portalCmd(t, "serve", "--addr", "127.0.0.1:0", "--data", dir)
	if err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second serve: %v %s", err, cmdOut)
	}
}

func TestSandboxKeepsItsKeyAndDemoDataAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	p := startServe(t, dir, "--sandbox")
	key := sandboxKeyLine.FindString(p.Stdout)
	if key == "" {
		t.Fatalf("no sandbox key in:\n%s", p.Stdout)
	}
	var tickets []map[string]any
	if code, err := newClient(p.URL, key).do("GET", "/api/v1/tickets", nil, &tickets); err != nil || code != 200 {
		t.Fatalf("GET tickets: %d %v", code, err)
	}
	if len(tickets) == 0 {
		t.Fatal("sandbox has no demo tickets")
	}
	if err := p.stop(t, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}

	again := startServe(t, dir, "--sandbox")
	if got := sandboxKeyLine.FindString(again.Stdout); got != key {
		t.Fatalf("sandbox key changed: %s -> %s", key, got)
	}
	var after []map[string]any
	if _, err := newClient(again.URL, key).do("GET", "/api/v1/tickets", nil, &after); err != nil {
		t.Fatal(err)
	}
	if len(after) != len(tickets) {
		t.Fatalf("demo data seeded twice: %d then %d tickets", len(tickets), len(after))
	}
	// The developer key sees the test store only: the live store is empty.
	live, err := portalCmd(t, "keys", "create", "--data", dir, "--type", "internal", "--name", "ops")
	if err != nil {
		t.Fatal(err)
	}
	var liveTickets []map[string]any
	if _, err := newClient(again.URL, strings.TrimSpace(live)).do("GET", "/api/v1/tickets", nil, &liveTickets); err != nil {
		t.Fatal(err)
	}
	if len(liveTickets) != 0 {
		t.Fatalf("live store has %d tickets; demo data belongs in the test store", len(liveTickets))
	}
}
