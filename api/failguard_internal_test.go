package api

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

// A guard full of keys still counting refuses new keys rather than grow:
// guesses spread over many addresses neither exhaust memory nor escape the
// limit; and a new window forgives.
func TestFailGuardStaysBoundedAndForgivesInTheNextWindow(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	g := newFailGuard(func() time.Time { return now }, 15*time.Minute, 2, 3)
	take := func(key string) int {
		rec := httptest.NewRecorder()
		if err := g.take(rec, key, "tries"); err != nil {
			return http.StatusTooManyRequests
		}
		return http.StatusOK
	}
	for i := range 3 {
		if take("addr "+strconv.Itoa(i)) != http.StatusOK {
			t.Fatalf("key %d refused on its first try", i)
		}
	}
	if take("addr 3") != http.StatusTooManyRequests || len(g.by) != 3 {
		t.Fatalf("a fourth key with memory for three: allowed, or the guard grew to %d", len(g.by))
	}
	take("addr 0")
	if take("addr 0") != http.StatusTooManyRequests {
		t.Fatal("a third try within the window was allowed")
	}
	now = now.Add(15 * time.Minute)
	if take("addr 3") != http.StatusOK || take("addr 0") != http.StatusOK {
		t.Fatal("the next window did not forgive")
	}
}

// Guesses from one IPv6 /64 count as one address.
func TestGuessKeyCountsAnIPv6SlashSixtyFourAsOne(t *testing.T) {
	r := httptest.NewRequest("POST", "/c/api/login", nil)
	r.RemoteAddr = "[2001:db8:1:2:aaaa::1]:5000"
	a := guessKey(r)
	r.RemoteAddr = "[2001:db8:1:2:bbbb::9]:6000"
	if b := guessKey(r); a != b || a != "2001:db8:1:2::/64" {
		t.Fatalf("keys %q and %q, want one /64", a, b)
	}
	r.RemoteAddr = "192.0.2.7:1234"
	if k := guessKey(r); k != "192.0.2.7" {
		t.Fatalf("IPv4 key %q", k)
	}
}
