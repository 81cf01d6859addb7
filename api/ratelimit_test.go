package api_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"portal/store"
)

var tierLimits = []struct {
	tier  string
	limit int
}{{"free", 30}, {"paid", 120}, {"partner", 300}}

// nextMinute is the Unix second at which the window holding now ends.
func nextMinute(now time.Time) int64 { return now.Truncate(time.Minute).Add(time.Minute).Unix() }

func headerInt(t *testing.T, res *response, name string) int64 {
	t.Helper()
	v, err := strconv.ParseInt(res.Header.Get(name), 10, 64)
	if err != nil {
		t.Fatalf("%s: header %s = %q", res.req, name, res.Header.Get(name))
	}
	return v
}

func TestTieredKeysCarryRateLimitHeaders(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	for _, tl := range tierLimits {
		c := ts.client(keySpec{Type: store.KeyPlugin, Scopes: []string{"store.read"}, Tier: tl.tier})
		for i := 1; i <= 2; i++ {
			res := c.get("/store")
			res.ok(http.StatusOK, nil)
			if got := headerInt(t, res, "X-RateLimit-Limit"); got != int64(tl.limit) {
				t.Errorf("%s: X-RateLimit-Limit %d, want %d", tl.tier, got, tl.limit)
			}
			if got := headerInt(t, res, "X-RateLimit-Remaining"); got != int64(tl.limit-i) {
				t.Errorf("%s request %d: X-RateLimit-Remaining %d, want %d", tl.tier, i, got, tl.limit-i)
			}
			if got := headerInt(t, res, "X-RateLimit-Reset"); got != nextMinute(start) {
				t.Errorf("%s: X-RateLimit-Reset %d, want %d", tl.tier, got, nextMinute(start))
			}
		}
	}
}

func TestPluginAndUserKeysDefaultToThePaidTier(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	for _, typ := range []store.KeyType{store.KeyPlugin, store.KeyUser} {
		c := ts.client(keySpec{Type: typ, Scopes: []string{"store.read"}})
		if got := headerInt(t, c.get("/store"), "X-RateLimit-Limit"); got != 120 {
			t.Errorf("%s key: limit %d, want 120", typ, got)
		}
	}
}

func TestOverTheLimitIs429UntilTheWindowResets(t *testing.T) {
	t.Parallel()
	for _, tl := range tierLimits {
		t.Run(tl.tier, func(t *testing.T) {
			t.Parallel()
			ts, c := newServer(t, keySpec{Type: store.KeyPlugin, Scopes: []string{"store.read"}, Tier: tl.tier})
			other := ts.client(keySpec{Type: store.KeyPlugin, Scopes: []string{"store.read"}, Tier: tl.tier})
			for i := 0; i < tl.limit; i++ {
				if res := c.get("/store"); res.Status != http.StatusOK {
					t.Fatalf("request %d of %d: status %d", i+1, tl.limit, res.Status)
				}
			}

			res := c.get("/store")
			res.fail(http.StatusTooManyRequests, "RATE_LIMITED")
			if got, want := headerInt(t, res, "Retry-After"), nextMinute(start)-start.Unix(); got != want {
				t.Errorf("Retry-After %d, want %d", got, want)
			}
			if got := headerInt(t, res, "X-RateLimit-Remaining"); got != 0 {
				t.Errorf("X-RateLimit-Remaining %d on a 429", got)
			}
			if res.Header.Get("X-Request-Id") == "" {
				t.Error("429 without X-Request-Id")
			}
			other.get("/store").ok(http.StatusOK, nil) // limits are per key

			ts.Clock.Advance(time.Minute) // the next window
			res = c.get("/store")
			res.ok(http.StatusOK, nil)
			if got := headerInt(t, res, "X-RateLimit-Remaining"); got != int64(tl.limit-1) {
				t.Errorf("after the reset: X-RateLimit-Remaining %d, want %d", got, tl.limit-1)
			}
			if got := headerInt(t, res, "X-RateLimit-Reset"); got != nextMinute(ts.Clock.Now()) {
				t.Errorf("after the reset: X-RateLimit-Reset %d, want %d", got, nextMinute(ts.Clock.Now()))
			}
		})
	}
}

func TestDeveloperKeyWithATierRehearsesItsLimit(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, keySpec{Type: store.KeyDeveloper, Scopes: []string{"store.read"}, Tier: "free"})
	for i := 0; i < 30; i++ {
		c.get("/store").ok(http.StatusOK, nil)
	}
	c.get("/store").fail(http.StatusTooManyRequests, "RATE_LIMITED")
}

func TestUnlimitedKeysAreNeverLimited(t *testing.T) {
	t.Parallel()
	ts, internal := newServer(t, internalKey)
	dev := ts.client(keySpec{Type: store.KeyDeveloper, Scopes: []string{"store.read"}, Tier: "unlimited"})
	for _, c := range []*client{internal, dev} {
		for i := 0; i < 310; i++ {
			res := c.get("/store")
			res.ok(http.StatusOK, nil)
			if res.Header.Get("X-RateLimit-Limit") != "" {
				t.Fatalf("an unlimited key got rate-limit headers: %v", res.Header)
			}
		}
	}
}

// A developer key rehearses what the plugin it stands in for will meet: the
// paid tier unless it asked for another, with the headers on every answer.
func TestDeveloperKeysAreLimitedLikeAPlugin(t *testing.T) {
	t.Parallel()
	ts, dev := newServer(t, developerKey)
	res := dev.get("/store")
	res.ok(http.StatusOK, nil)
	if got := headerInt(t, res, "X-RateLimit-Limit"); got != 120 {
		t.Fatalf("developer key limit %d, want the paid tier's 120", got)
	}
	for i := 1; i < 120; i++ {
		dev.get("/store").ok(http.StatusOK, nil)
	}
	dev.get("/store").fail(http.StatusTooManyRequests, "RATE_LIMITED")
	standard := ts.client(keySpec{Type: store.KeyDeveloper, Scopes: []string{"store.read"}, Tier: "standard"})
	if got := headerInt(t, standard.get("/store"), "X-RateLimit-Limit"); got != 100 {
		t.Fatalf("standard tier limit %d, want Porter's 100", got)
	}
}

func TestRefusedRequestsCountAndCarryRateLimitHeaders(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, keySpec{Type: store.KeyPlugin, Scopes: []string{"store.read"}, Tier: "free"})
	res := c.get("/tickets")
	res.fail(http.StatusForbidden, "FORBIDDEN")
	if got := headerInt(t, res, "X-RateLimit-Remaining"); got != 29 {
		t.Fatalf("X-RateLimit-Remaining on a 403 = %d, want 29", got)
	}
}
