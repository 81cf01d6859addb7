package e2e

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"portal/hooks"
)

var listenSecret = regexp.MustCompile(`secret is (whsec_\S+)`)

func TestListenForwardsSignedEventsAndPrintsTheReceiversStatus(t *testing.T) {
	dir := t.TempDir()
	startServe(t, dir, "--sandbox")
	type got struct {
		header http.Header
		body   []byte
	}
	hits := make(chan got, 8)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		hits <- got{r.Header.Clone(), body}
	}))
	defer recv.Close()

	cmd := exec.Command(portalBin, "listen", "--forward-to", recv.URL, "--data", dir, "--events", "ticket.*")
	cmd.Env = append(os.Environ(), "PORTAL_DATA=")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	next := func() string {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("portal listen exited")
			}
			return l
		case <-time.After(15 * time.Second):
			t.Fatal("portal listen printed nothing")
		}
		return ""
	}
	m := listenSecret.FindStringSubmatch(next())
	if m == nil {
		t.Fatal("no signing secret printed")
	}
	if l := next(); !strings.HasPrefix(l, "Listening") {
		t.Fatalf("second line %q", l)
	}

	id, err := portalCmd(t, "trigger", "ticket.created", "--data", dir)
	if err != nil {
		t.Fatal(err)
	}
	id = strings.TrimSpace(id)
	select {
	case h := <-hits:
		if err := hooks.VerifyPortal(m[1], h.header, h.body, time.Minute, time.Now()); err != nil {
			t.Fatalf("forwarded request does not verify with the printed secret: %v", err)
		}
		if h.header.Get("X-Portal-Delivery") != id {
			t.Fatalf("forwarded %s, triggered %s", h.header.Get("X-Portal-Delivery"), id)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the receiver got nothing")
	}
	if l := next(); !strings.Contains(l, id) || !strings.Contains(l, "→ 200") {
		t.Fatalf("event line %q, want the id and → 200", l)
	}
}
