package e2e

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"portal/hooks"
)

// receiver counts what a webhook receiver gets, answering 503 while down.
type receiver struct {
	*httptest.Server
	up     atomic.Bool
	secret string
	mu     sync.Mutex
	seen   map[string]int
	bad    int
	want   int
	all    chan struct{}
}

func newReceiver(t *testing.T, want int) *receiver {
	rv := &receiver{seen: map[string]int{}, want: want, all: make(chan struct{})}
	rv.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !rv.up.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		rv.mu.Lock()
		defer rv.mu.Unlock()
		if err := hooks.VerifyPortal(rv.secret, r.Header, body, time.Minute, time.Now()); err != nil {
			rv.bad++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		id := r.Header.Get("X-Portal-Delivery")
		rv.seen[id]++
		if rv.seen[id] == 1 && len(rv.seen) == rv.want {
			close(rv.all)
		}
	}))
	t.Cleanup(rv.Close)
	return rv
}

// TestWebhooksSurviveSIGKILLWhileReceiverIsDown queues 1,000 events for a
// receiver that is down, kills the server, brings the receiver up and
// restarts: every event arrives at least once, signed.
func TestWebhooksSurviveSIGKILLWhileReceiverIsDown(t *testing.T) {
	const events = 1000
	dir := t.TempDir()
	schedule := strings.TrimSuffix(strings.Repeat("1s,", 10), ",")
	p := startServe(t, dir, "--sandbox", "--webhook-retry-schedule", schedule)
	// The sandbox's own key is limited like a plugin's (120 a minute); a
	// thousand writes need a developer key that asked for no limit.
	key, err := portalCmd(t, "keys", "create", "--data", dir, "--type", "developer", "--name", "load",
		"--scopes", "customers.read,customers.write,webhooks.write", "--tier", "unlimited")
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(p.URL, strings.TrimSpace(key))

	rv := newReceiver(t, events)
	var hook struct{ Secret string }
	if code, err := c.do("POST", "/api/v1/webhooks", map[string]any{"url": rv.URL, "events": []string{"customer.created"}}, &hook); code != http.StatusCreated {
		t.Fatalf("webhook: %d %v", code, err)
	}
	rv.secret = hook.Secret

	var wg sync.WaitGroup
	var next atomic.Int64
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1); i <= events; i = next.Add(1) {
				if code, err := c.do("POST", "/api/v1/customers", map[string]any{"name": fmt.Sprintf("Customer %d", i)}, nil); code != http.StatusCreated {
					t.Errorf("customer %d: %d %v", i, code, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	p.stop(t, syscall.SIGKILL)

	rv.up.Store(true)
	startServe(t, dir, "--sandbox", "--webhook-retry-schedule", schedule)
	select {
	case <-rv.all:
	case <-time.After(90 * time.Second):
		rv.mu.Lock()
		defer rv.mu.Unlock()
		t.Fatalf("after restart the receiver got %d of %d events", len(rv.seen), events)
	}
	rv.mu.Lock()
	defer rv.mu.Unlock()
	dups := 0
	for _, n := range rv.seen {
		dups += n - 1
	}
	if rv.bad > 0 {
		t.Errorf("%d requests failed signature verification", rv.bad)
	}
	t.Logf("%d events delivered after SIGKILL and restart, %d duplicates", len(rv.seen), dups)
}
