package api_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"portal/store"
)

// Porter's docs (seed 002) list visitors with cURL, JavaScript (Node's
// fetch) and Python (requests). api/testdata/porter holds those examples
// exactly as the docs print them; each runs here unchanged but for the base
// URL and the key, against a real server, and prints the visitors.

const (
	porterBase = "https://yourapp.portervisitors.com"
	porterKey  = "your_api_key_here"
	seedFile   = "../../shared/seeds/002_ab1de3d8bb8bd3b6.txt" // in the project's workspace; absent in a bare clone
)

// seedExample reads an example, checks it is still the docs' text where the
// seed is at hand, and points it at base with key.
func seedExample(t *testing.T, name, base, key string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "porter", name))
	if err != nil {
		t.Fatal(err)
	}
	src := strings.TrimSpace(string(raw))
	if seed, err := os.ReadFile(seedFile); err == nil && !strings.Contains(string(seed), src) {
		t.Fatalf("testdata/porter/%s is not the seed's example as written", name)
	}
	if !strings.Contains(src, porterBase) || !strings.Contains(src, porterKey) {
		t.Fatalf("%s has no base URL or key to replace", name)
	}
	return strings.ReplaceAll(strings.ReplaceAll(src, porterBase, base), porterKey, key) + "\n"
}

// runExample runs a program and returns what it printed.
func runExample(t *testing.T, dir string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NO_PROXY=127.0.0.1,localhost", "no_proxy=127.0.0.1,localhost")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v\n%s%s", name, args, err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

func TestPorterSeedExamplesListTheVisitors(t *testing.T) {
	t.Parallel()
	d := newDesk(t, serverOptions{})
	d.preRegister(t, "Ada", start.Add(time.Hour))
	d.walkIn(t, "Grace", d.location.ID)
	key := d.ts.client(keySpec{Type: store.KeyPlugin, Name: "Porter integration", Tier: "standard", Scopes: []string{"visitors.read"}}).key
	dir := t.TempDir()

	examples := []struct {
		name, file, tool string
		args             []string
		missing          func() string // why it cannot run here ("" when it can)
	}{
		{"cURL", "list_visitors.sh", "sh", nil, func() string { return needTool("curl") }},
		{"JavaScript", "list_visitors.mjs", "node", nil, func() string { return needTool("node") }},
		{"Python", "list_visitors.py", "python3", nil, func() string {
			if why := needTool("python3"); why != "" {
				return why
			}
			if err := exec.Command("python3", "-c", "import requests").Run(); err != nil {
				return "python3's requests module is missing (.ci/run installs python3-requests)"
			}
			return ""
		}},
	}
	for _, ex := range examples {
		t.Run(ex.name, func(t *testing.T) {
			if why := ex.missing(); why != "" {
				t.Skip("cannot run the seed's " + ex.name + " example: " + why)
			}
			src := seedExample(t, ex.file, d.ts.HTTP.URL, key)
			path := filepath.Join(dir, ex.file)
			if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
				t.Fatal(err)
			}
			out := runExample(t, dir, ex.tool, append(ex.args, path)...)
			t.Logf("the seed's %s example printed:\n%s", ex.name, out)
			// Both visitors, newest first, as the API lists them.
			ada, grace := strings.Index(out, "Ada"), strings.Index(out, "Grace")
			if ada < 0 || grace < 0 || grace > ada {
				t.Fatalf("the %s example did not print the visitors:\n%s", ex.name, out)
			}
		})
	}
}

func needTool(name string) string {
	if _, err := exec.LookPath(name); err != nil {
		return name + " is not installed (.ci/run installs it)"
	}
	return ""
}

// A receiver written from the seed's Python verification code accepts our
// porter-format visitor.checked_in, sent by the real webhook engine, and
// refuses a forged one.
func TestPorterReceiverFromTheSeedAcceptsOurHook(t *testing.T) {
	t.Parallel()
	if why := needTool("python3"); why != "" {
		t.Skip("cannot run the seed's Python receiver: " + why)
	}
	d := newDesk(t, serverOptions{Sandbox: true, Hooks: true})
	c := d.c
	hook := c.newWebhook(map[string]any{"url": publicURL, "events": []string{"visitor.checked_in"}, "format": "porter"})

	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "python3", filepath.Join("testdata", "porter", "receiver.py"))
	cmd.Env = append(os.Environ(), "PORTER_WEBHOOK_SECRET="+hook.Secret)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); cmd.Wait() })
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	next := func() string {
		t.Helper()
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("the receiver stopped: %s", stderr.String())
			}
			return l
		case <-time.After(15 * time.Second):
			t.Fatalf("the receiver said nothing within 15 s: %s", stderr.String())
		}
		return ""
	}
	url := "http://127.0.0.1:" + next() + "/porter"
	c.patch(fmt.Sprintf("/webhooks/%d", hook.ID), map[string]any{"url": url}).ok(http.StatusOK, nil)

	// A forged request (signed with another secret) is refused.
	body := []byte(`{"event":"visitor.checked_in","data":{"visitor":{"name":"Mallory"}}}`)
	mac := hmac.New(sha256.New, []byte("whsec_not_the_secret"))
	mac.Write(body)
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("X-Porter-Signature", hex.EncodeToString(mac.Sum(nil)))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized || next() != "rejected" {
		t.Fatalf("a forged hook: %d", res.StatusCode)
	}

	// The host's visitor arrives: our hook reaches the receiver, which verifies it.
	v := d.preRegister(t, "Ada", start.Add(time.Hour))
	c.post("/visitors/check-in", map[string]any{"code": v.Code}).ok(http.StatusOK, nil)
	if got := next(); got != "accepted visitor.checked_in Ada" {
		t.Fatalf("the receiver said %q", got)
	}
	waitFor(t, d.ts.Live, "the delivery's success", func() bool {
		var ds []delivery
		c.get(fmt.Sprintf("/webhooks/%d/deliveries", hook.ID)).ok(http.StatusOK, &ds)
		return len(ds) == 1 && ds[0].Event == "visitor.checked_in" && ds[0].LastStatusCode == http.StatusOK
	})
}
