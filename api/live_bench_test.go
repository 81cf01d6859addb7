package api_test

// go test -run '^$' -bench LiveBurst -benchtime 1x ./api/
// 500 websocket subscribers on loopback and a burst of 10,000 events: every
// subscriber must get every event (order and no-loss are the tests' job).
// Reports events delivered per second over all subscribers, and the p50 and
// p99 time from append to receipt.

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"portal/api"
	"portal/store"
)

func BenchmarkLiveBurst(b *testing.B) {
	const subscribers, events = 500, 10_000
	dir := b.TempDir()
	live, err := store.Open(filepath.Join(dir, "live.db"), store.Options{Mode: store.Live})
	if err != nil {
		b.Fatal(err)
	}
	defer live.Close()
	test, err := store.Open(filepath.Join(dir, "test.db"), store.Options{Mode: store.Test})
	if err != nil {
		b.Fatal(err)
	}
	defer test.Close()
	sealer, _ := store.LoadSealer(filepath.Join(dir, "seal.key"))
	k, err := live.CreateKey(context.Background(), store.KeyInput{Type: store.KeyInternal, Name: "bench"}, sealer)
	if err != nil {
		b.Fatal(err)
	}
	srv := api.New(api.Config{Live: live, Test: test, Sealer: sealer})
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go srv.RunLive(ctx)

	u := "ws" + strings.TrimPrefix(hs.URL, "http") + "/api/v1/live"
	conns := make([]*websocket.Conn, subscribers)
	for i := range conns {
		c, _, err := websocket.DefaultDialer.Dial(u, http.Header{"Authorization": {"Bearer " + k.Secret}})
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		conns[i] = c
	}
	for b.Loop() {
		var mu sync.Mutex
		var lat []time.Duration
		var wg sync.WaitGroup
		start := time.Now()
		for _, c := range conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c.SetReadDeadline(time.Now().Add(5 * time.Minute))
				var mine []time.Duration
				for i := range events {
					_, msg, err := c.ReadMessage()
					if err != nil {
						b.Errorf("after %d events: %v", i, err)
						return
					}
					if i%50 == 0 { // a sample is enough for the percentiles
						mine = append(mine, time.Since(time.Unix(0, sentAt(msg))))
					}
				}
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			}()
		}
		var wwg sync.WaitGroup
		for w := range 8 {
			wwg.Add(1)
			go func() {
				defer wwg.Done()
				for i := w; i < events; i += 8 {
					data := json.RawMessage(`{"ticket_id":1,"sent_at":` + strconv.FormatInt(time.Now().UnixNano(), 10) + `}`)
					if _, err := live.AppendSampleEvent(context.Background(), "ticket.created", data); err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		wwg.Wait()
		wg.Wait()
		elapsed := time.Since(start)
		slices.Sort(lat)
		b.ReportMetric(float64(subscribers*events)/elapsed.Seconds(), "events/s")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.Logf("%d subscribers × %d events in %v", subscribers, events, elapsed.Round(time.Millisecond))
	}
	if n := srv.LiveSubscribers(); n != subscribers {
		b.Fatalf("%d subscribers left, want %d (none dropped)", n, subscribers)
	}
}

// sentAt reads the "sent_at" the benchmark put in the event's data.
func sentAt(msg []byte) int64 {
	i := bytes.Index(msg, []byte(`"sent_at":`))
	if i < 0 {
		return 0
	}
	rest := msg[i+len(`"sent_at":`):]
	j := bytes.IndexAny(rest, ",}")
	n, _ := strconv.ParseInt(string(rest[:j]), 10, 64)
	return n
}
