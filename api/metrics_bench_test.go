package api_test

// The request metrics' cost, as a ratio within one run:
//
//	go test -run '^$' -bench GetWithMetrics -benchtime 20000x -count 3 ./api/
//
// GET /api/v1/tickets/{id} (internal key, store read) on a server without a
// registry and on one that counts and times every request, over loopback
// HTTP as clients see it, and straight into the handler, where nothing else
// hides the cost. The machines here are shared and noisy, so the two
// servers take turns in batches of 100 requests within one loop and the
// benchmark reports each one's ns/op and their ratio (x-plain).
// Target: http x-plain ≤ 1.05.

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"portal/api"
	"portal/store"
)

func BenchmarkGetWithMetrics(b *testing.B) {
	for _, via := range []string{"http", "handler"} {
		b.Run(via, func(b *testing.B) {
			get := map[bool]func(){} // by metrics on
			for _, metrics := range []bool{false, true} {
				h, path, key := benchTicketServer(b, metrics)
				if via == "http" {
					get[metrics] = getOverHTTP(b, h, path, key)
				} else {
					get[metrics] = getInProcess(b, h, path, key)
				}
			}
			const batch = 100
			var spent [2]time.Duration // plain, metrics
			b.ResetTimer()
			for done := 0; done < b.N; done += batch {
				for i, metrics := range []bool{false, true} {
					start := time.Now()
					for range min(batch, b.N-done) {
						get[metrics]()
					}
					spent[i] += time.Since(start)
				}
			}
			b.ReportMetric(float64(spent[0].Nanoseconds())/float64(b.N), "plain-ns/op")
			b.ReportMetric(float64(spent[1].Nanoseconds())/float64(b.N), "metrics-ns/op")
			b.ReportMetric(float64(spent[1])/float64(spent[0]), "x-plain")
		})
	}
}

// benchTicketServer is a server over real stores holding one ticket, with
// a registry when metrics is set; it returns the ticket's path and an
// internal key (no rate limit, so only the metrics differ).
func benchTicketServer(b *testing.B, metrics bool) (http.Handler, string, string) {
	b.Helper()
	dir := b.TempDir()
	live, err := store.Open(filepath.Join(dir, "live.db"), store.Options{Mode: store.Live})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { live.Close() })
	test, err := store.Open(filepath.Join(dir, "test.db"), store.Options{Mode: store.Test})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { test.Close() })
	sealer, err := store.LoadSealer(filepath.Join(dir, "seal.key"))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	cust, err := live.CreateCustomer(ctx, store.CustomerInput{Name: "Ada Lovelace", Email: "ada@example.com"})
	if err != nil {
		b.Fatal(err)
	}
	t, err := live.CreateTicket(ctx, store.TicketInput{CustomerID: cust.ID, Issue: "Cracked screen",
		Device: store.Device{Brand: "Apple", Model: "iPhone 13"}})
	if err != nil {
		b.Fatal(err)
	}
	k, err := live.CreateKey(ctx, store.KeyInput{Type: store.KeyInternal, Name: "bench"}, sealer)
	if err != nil {
		b.Fatal(err)
	}
	cfg := api.Config{Live: live, Test: test, Sealer: sealer, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if metrics {
		cfg.Metrics = prometheus.NewRegistry()
	}
	srv := api.New(cfg)
	srv.SetReady(true)
	return srv.Handler(), api.APIPrefix + "/tickets/" + strconv.FormatUint(t.ID, 10), k.Secret
}

// getOverHTTP serves h on loopback and returns one GET of path through it.
func getOverHTTP(b *testing.B, h http.Handler, path, key string) func() {
	hs := httptest.NewServer(h)
	b.Cleanup(hs.Close)
	c := hs.Client()
	return func() {
		req, _ := http.NewRequest(http.MethodGet, hs.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := c.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
	}
}

// getInProcess returns one GET of path straight into h.
func getInProcess(b *testing.B, h http.Handler, path, key string) func() {
	return func() {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Authorization", "Bearer "+key)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("GET %s: %d", path, rec.Code)
		}
	}
}
