package e2e

// Benchmarks for the spine's targets. Each target is a ratio between
// sub-benchmarks of one run, because the machines here are shared and noisy:
//
//	go test -run '^$' -bench . -benchtime 2s -count 3 .
//
// GetTicket: portal / bare ≥ 0.6 of throughput (compare ns/op).
// CreateTicket: clients=64 ≥ 5× the rate of clients=1.
// ListPage: tickets=1000000 ≤ 2× the time of tickets=10000.
// ServeRSS: resident memory of `portal serve` holding 1,000,000 tickets < 150 MB.
//
// The seeded stores are cached under the user cache folder (portal-bench/)
// because a million tickets take a minute or two to import.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"portal/api"
	"portal/internal/datafolder"
	"portal/store"
)

// benchServer is the API over real stores in a temporary data folder.
type benchServer struct {
	dirs *datafolder.Stores
	srv  *httptest.Server
}

func newBenchServer(b *testing.B, dir datafolder.Dir) *benchServer {
	b.Helper()
	dirs, err := dir.Open(time.Second)
	if err != nil {
		b.Fatal(err)
	}
	a := api.New(api.Config{Live: dirs.Live, Test: dirs.Test, Sealer: dirs.Sealer})
	a.SetReady(true)
	bs := &benchServer{dirs: dirs, srv: httptest.NewServer(a.Handler())}
	b.Cleanup(func() {
		bs.srv.Close()
		dirs.Close()
	})
	return bs
}

func (bs *benchServer) key(b *testing.B, in store.KeyInput) string {
	b.Helper()
	k, err := bs.dirs.Live.CreateKey(context.Background(), in, bs.dirs.Sealer)
	if err != nil {
		b.Fatal(err)
	}
	return k.Secret
}

func benchClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}}
}

// get fetches url with key and fails the benchmark on anything but want.
func get(b *testing.B, c *http.Client, url, key string, want int) []byte {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != want {
		b.Fatalf("GET %s: %d %v %s", url, resp.StatusCode, err, body)
	}
	return body
}

// BenchmarkGetTicket compares GET /tickets/{id} (key auth, scope check, rate
// limit, store read) with a bare net/http handler writing the same bytes.
func BenchmarkGetTicket(b *testing.B) {
	bs := newBenchServer(b, datafolder.Dir(b.TempDir()))
	ctx := context.Background()
	cust, err := bs.dirs.Live.CreateCustomer(ctx, store.CustomerInput{Name: "Ada Lovelace", Email: "ada@example.com"})
	if err != nil {
		b.Fatal(err)
	}
	t, err := bs.dirs.Live.CreateTicket(ctx, store.TicketInput{CustomerID: cust.ID, Issue: "Cracked screen",
		Device: store.Device{Brand: "Apple", Model: "iPhone 13"}})
	if err != nil {
		b.Fatal(err)
	}
	path := "/api/v1/tickets/" + strconv.FormatUint(t.ID, 10)
	body := get(b, benchClient(), bs.srv.URL+path, bs.key(b, store.KeyInput{Type: store.KeyInternal, Name: "probe"}), 200)

	run := func(b *testing.B, url string, keys []string) {
		c := benchClient()
		var n atomic.Int64
		b.SetParallelism(8)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := n.Add(1)
				key := ""
				if keys != nil {
					key = keys[int(i)/perKey%len(keys)]
				}
				get(b, c, url, key, 200)
			}
		})
	}
	b.Run("bare", func(b *testing.B) {
		bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Request-Id", "req_0000000000")
			w.Write(body)
		}))
		defer bare.Close()
		run(b, bare.URL+path, nil)
	})
	b.Run("portal", func(b *testing.B) {
		// Rate-limited keys (paid: 120 a minute), each used under its limit,
		// so every request pays for the limiter and none is refused.
		keys := benchKeys(b, bs, b.N/perKey+1)
		run(b, bs.srv.URL+path, keys)
	})
}

const perKey = 100

func benchKeys(b *testing.B, bs *benchServer, n int) []string {
	keys := make([]string, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64) // concurrent creates share commits
	for i := range keys {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			keys[i] = bs.key(b, store.KeyInput{Type: store.KeyPlugin, Name: "bench", Scopes: []string{"tickets.read"}, Tier: "paid"})
		}()
	}
	wg.Wait()
	return keys
}

// BenchmarkCreateTicket measures durable POST /tickets with 1 and 64 clients;
// the group commit should make 64 clients share each fsync.
func BenchmarkCreateTicket(b *testing.B) {
	for _, clients := range []int{1, 64} {
		b.Run("clients="+strconv.Itoa(clients), func(b *testing.B) {
			bs := newBenchServer(b, datafolder.Dir(b.TempDir()))
			key := bs.key(b, store.KeyInput{Type: store.KeyInternal, Name: "bench"})
			cust, err := bs.dirs.Live.CreateCustomer(context.Background(), store.CustomerInput{Name: "Grace Hopper"})
			if err != nil {
				b.Fatal(err)
			}
			body := []byte(fmt.Sprintf(`{"customer_id":%d,"issue":"Battery swells","device":{"brand":"Apple","model":"iPhone 12"}}`, cust.ID))
			c := benchClient()
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			for range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for next.Add(1) <= int64(b.N) {
						req, _ := http.NewRequest(http.MethodPost, bs.srv.URL+"/api/v1/tickets", bytes.NewReader(body))
						req.Header.Set("Authorization", "Bearer "+key)
						req.Header.Set("Content-Type", "application/json")
						resp, err := c.Do(req)
						if err != nil {
							b.Error(err)
							return
						}
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if resp.StatusCode != http.StatusCreated {
							b.Errorf("POST: %d", resp.StatusCode)
							return
						}
					}
				}()
			}
			wg.Wait()
		})
	}
}

// BenchmarkListPage reads a filtered, sorted page of 50 through the API.
func BenchmarkListPage(b *testing.B) {
	for _, n := range []int{10_000, 1_000_000} {
		b.Run("tickets="+strconv.Itoa(n), func(b *testing.B) {
			if n > 10_000 && testing.Short() {
				b.Skip("-short: no million-ticket store")
			}
			dir, key := seededDataDir(b, n)
			bs := newBenchServer(b, dir)
			c := benchClient()
			urls := listURLs(bs.srv.URL)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				get(b, c, urls[i%len(urls)], key, 200)
			}
		})
	}
}

// listURLs are filtered, sorted first-to-tenth pages of 50.
func listURLs(base string) []string {
	var urls []string
	for page := 1; page <= 10; page++ {
		for _, q := range []string{
			"status=In+Progress&sort=updated_at&order=desc",
			"status=New&sort=id&order=asc",
			"assigned_to=3&sort=due_at",
			"customer_id=42&status=Closed&sort=updated_at",
		} {
			urls = append(urls, fmt.Sprintf("%s/api/v1/tickets?%s&per_page=50&page=%d", base, q, page))
		}
	}
	return urls
}

// BenchmarkServeRSS starts `portal serve` on a million tickets, reads list
// pages and random tickets through it, and reports its resident memory: the
// process's own (anon: heap, stacks) and the pages of the bbolt file mapped in
// (file: page cache that the reads touched, which the kernel takes back under
// memory pressure and which grows with how much of the file was read).
func BenchmarkServeRSS(b *testing.B) {
	if testing.Short() {
		b.Skip("-short: no million-ticket store")
	}
	const n = 1_000_000
	dir, key := seededDataDir(b, n)
	p := startServe(b, string(dir))
	c := benchClient()
	pid := p.cmd.Process.Pid
	idle := statusKB(b, pid, "VmRSS:")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, u := range listURLs(p.URL) {
			get(b, c, u, key, 200)
		}
		for range 500 {
			get(b, c, fmt.Sprintf("%s/api/v1/tickets/%d", p.URL, 1+rand.IntN(n)), key, 200)
		}
	}
	b.StopTimer()
	mb := func(field string) float64 { return float64(statusKB(b, pid, field)) / 1024 }
	b.ReportMetric(float64(idle)/1024, "idle-MB")
	b.ReportMetric(mb("VmRSS:"), "rss-MB")
	b.ReportMetric(mb("RssAnon:"), "anon-MB")
	b.ReportMetric(mb("RssFile:"), "file-MB")
}

func statusKB(b *testing.B, pid int, field string) int {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Skip("no /proc on this system")
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			kb, _ := strconv.Atoi(strings.Fields(rest)[0])
			return kb
		}
	}
	b.Fatalf("%s missing from /proc/%d/status", field, pid)
	return 0
}

// seededDataDir returns a data folder whose live store holds n tickets over
// 1,000 customers, 5 assignees and the default statuses, and an internal key.
func seededDataDir(b *testing.B, n int) (datafolder.Dir, string) {
	b.Helper()
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := datafolder.Dir(filepath.Join(cache, "portal-bench", fmt.Sprintf("tickets-%d-v5", n)))
	keyFile := filepath.Join(string(dir), "bench.key")
	if key, err := os.ReadFile(keyFile); err == nil {
		return dir, string(key)
	}
	os.RemoveAll(string(dir))
	b.Logf("seeding %d tickets into %s (once)", n, dir)
	start := time.Now()
	if err := seed(dir, n); err != nil {
		os.RemoveAll(string(dir))
		b.Fatal(err)
	}
	dirs, err := dir.Open(time.Second)
	if err != nil {
		b.Fatal(err)
	}
	k, err := dirs.Live.CreateKey(context.Background(), store.KeyInput{Type: store.KeyInternal, Name: "bench"}, dirs.Sealer)
	dirs.Close()
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(keyFile, []byte(k.Secret), 0o600); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded in %v", time.Since(start).Round(time.Second))
	return dir, k.Secret
}

func seed(dir datafolder.Dir, n int) error {
	if err := os.MkdirAll(string(dir), 0o700); err != nil {
		return err
	}
	// A clock that moves a second per 50 tickets spreads updated_at like a real shop's.
	var tick atomic.Int64
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	now := func() time.Time { return base.Add(time.Duration(tick.Add(1)/50) * time.Second) }
	s, err := store.Open(dir.LiveDB(), store.Options{Mode: store.Live, Now: now})
	if err != nil {
		return err
	}
	defer s.Close()
	ctx := context.Background()
	var customers []uint64
	for i := range 1000 {
		c, err := s.CreateCustomer(ctx, store.CustomerInput{Name: fmt.Sprintf("Customer %d", i), Email: fmt.Sprintf("c%d@example.com", i)})
		if err != nil {
			return err
		}
		customers = append(customers, c.ID)
	}
	statuses := store.DefaultStatuses()
	rng := rand.New(rand.NewPCG(1, 2))
	const chunk = 5000
	for done := 0; done < n; done += chunk {
		batch := make([]store.TicketInput, min(chunk, n-done))
		for i := range batch {
			assignee := uint64(1 + rng.IntN(5))
			due := base.Add(time.Duration(rng.IntN(90*24)) * time.Hour)
			batch[i] = store.TicketInput{
				CustomerID: customers[rng.IntN(len(customers))],
				Device:     store.Device{Brand: "Apple", Model: "iPhone " + strconv.Itoa(10+rng.IntN(6))},
				Issue:      "Cracked screen, battery drains overnight",
				Status:     statuses[rng.IntN(len(statuses))].Name,
				AssignedTo: &assignee,
				DueAt:      store.Nullable[time.Time]{Set: true, Value: &due},
			}
		}
		if _, err := s.ImportTickets(ctx, batch); err != nil {
			return err
		}
	}
	return nil
}
