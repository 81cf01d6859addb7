package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
)

// TestSIGKILLDuringWritesLosesNoAcknowledgedWrite kills the server while 16
// clients write, restarts it, and reads back every write that got a 201.
func TestSIGKILLDuringWritesLosesNoAcknowledgedWrite(t *testing.T) {
	dir := t.TempDir()
	out, err := portalCmd(t, "keys", "create", "--data", dir, "--type", "internal", "--name", "crash")
	if err != nil {
		t.Fatal(err)
	}
	key := strings.TrimSpace(out)
	p := startServe(t, dir)
	c := newClient(p.URL, key)
	var customer struct{ ID uint64 }
	if code, err := c.do("POST", "/api/v1/customers", map[string]any{"name": "Crash Test"}, &customer); code != http.StatusCreated {
		t.Fatalf("customer: %d %v", code, err)
	}

	const writers, killAfter = 16, 300
	type ack struct {
		id    uint64
		issue string
	}
	var (
		mu    sync.Mutex
		acked []ack
		count atomic.Int64
		wg    sync.WaitGroup
	)
	enough := make(chan struct{})
	var once sync.Once
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				issue := fmt.Sprintf("writer %d ticket %d", w, i)
				var tk struct{ ID uint64 }
				code, err := c.do("POST", "/api/v1/tickets", map[string]any{"customer_id": customer.ID, "issue": issue}, &tk)
				if err != nil || code != http.StatusCreated {
					return // the server is gone; this write was never acknowledged
				}
				mu.Lock()
				acked = append(acked, ack{tk.ID, issue})
				mu.Unlock()
				if count.Add(1) >= killAfter {
					once.Do(func() { close(enough) })
				}
			}
		}()
	}
	<-enough
	p.stop(t, syscall.SIGKILL) // writes are still in flight
	wg.Wait()

	again := startServe(t, dir)
	c = newClient(again.URL, key)
	for _, a := range acked {
		var tk struct{ Issue string }
		if code, err := c.do("GET", fmt.Sprintf("/api/v1/tickets/%d", a.id), nil, &tk); code != http.StatusOK || tk.Issue != a.issue {
			t.Fatalf("acknowledged ticket %d (%q) after restart: %d %v %q", a.id, a.issue, code, err, tk.Issue)
		}
	}

	// Indexes and counts committed with the records: the total agrees with a walk.
	var walked int
	var total int
	for since := uint64(0); ; {
		var page []struct{ ID uint64 }
		resp, err := c.http.Do(mustRequest(t, c, fmt.Sprintf("/api/v1/tickets?since_id=%d&per_page=200", since)))
		if err != nil {
			t.Fatal(err)
		}
		env := decodeEnvelope(t, resp, &page)
		total = env.Meta.Total
		walked += len(page)
		if len(page) == 0 {
			break
		}
		since = page[len(page)-1].ID
	}
	if walked != total || walked < len(acked) {
		t.Fatalf("walked %d tickets, meta.total %d, acknowledged %d", walked, total, len(acked))
	}
	t.Logf("%d writes acknowledged before SIGKILL, %d tickets after restart", len(acked), walked)
}
