package api

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"portal/store"
)

// rateLimiter counts requests per key in fixed one-minute windows, which is
// what the X-RateLimit-* headers describe exactly: a limit, what is left, and
// when the window resets.
type rateLimiter struct {
	now func() time.Time
	mu  sync.Mutex
	win map[uint64]*window
}

type window struct {
	start int64 // unix minute
	used  int
}

func newRateLimiter(now func() time.Time) *rateLimiter {
	return &rateLimiter{now: now, win: map[uint64]*window{}}
}

// allow charges one request to key and sets the headers. It returns false,
// with Retry-After set, when the key is over its tier's limit.
func (l *rateLimiter) allow(w http.ResponseWriter, keyID uint64, tier string) bool {
	limit := store.Tiers[tier]
	if limit == 0 || keyID == 0 {
		return true
	}
	now := l.now()
	minute := now.Unix() / 60
	l.mu.Lock()
	wd := l.win[keyID]
	if wd == nil {
		wd = &window{}
		l.win[keyID] = wd
	}
	if wd.start != minute {
		wd.start, wd.used = minute, 0
	}
	allowed := wd.used < limit
	if allowed {
		wd.used++
	}
	remaining := limit - wd.used
	l.mu.Unlock()

	reset := (minute + 1) * 60
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(reset, 10))
	if !allowed {
		h.Set("Retry-After", strconv.FormatInt(max(1, reset-now.Unix()), 10))
	}
	return allowed
}
