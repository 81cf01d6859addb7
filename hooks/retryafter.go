package hooks

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// retryAfter is how long a 429 or 503 asks us to wait: its Retry-After in
// seconds, or an HTTP date counted from now (the engine's clock, which tests
// move). 0 means none: absent, unreadable, or a time already past. The
// caller caps it at twice the scheduled delay.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseUint(v, 10, 64); err == nil {
		// Bounded before multiplying: a huge value must not wrap to a short wait.
		return time.Duration(min(secs, maxRetryAfterSeconds)) * time.Second
	}
	if at, err := http.ParseTime(v); err == nil && at.After(now) {
		return at.Sub(now)
	}
	return 0
}

// maxRetryAfterSeconds (a century) fits a time.Duration with room to spare.
const maxRetryAfterSeconds = 100 * 365 * 24 * 3600
