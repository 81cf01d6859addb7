package api

import (
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// failGuard counts wrong attempts per key (a kiosk's address, a customer's
// address or ticket) in fixed windows. An attempt is charged before it is
// checked, so attempts sent together cannot slip past the limit, and
// refunded when it was right.
type failGuard struct {
	now    func() time.Time
	window time.Duration
	limit  int
	memory int // keys remembered at most
	mu     sync.Mutex
	by     map[string]*failWindow
}

type failWindow struct {
	slot int64 // which window: unix time / window
	used int
}

func newFailGuard(now func() time.Time, window time.Duration, limit, memory int) *failGuard {
	return &failGuard{now: now, window: window, limit: limit, memory: memory, by: map[string]*failWindow{}}
}

// take charges an attempt to key; over the limit it returns a 429 (with
// Retry-After set) that says what was limited. With its memory full of
// keys still counting, a new key is refused too: memory stays bounded, and
// an attacker spreading guesses over many addresses gains nothing.
func (g *failGuard) take(w http.ResponseWriter, key, what string) error {
	now := g.now()
	slot := now.UnixNano() / int64(g.window)
	g.mu.Lock()
	wd := g.by[key]
	if wd == nil && len(g.by) >= g.memory {
		for k, old := range g.by {
			if old.slot != slot {
				delete(g.by, k)
			}
		}
	}
	allowed := false
	switch {
	case wd == nil && len(g.by) >= g.memory:
	case wd == nil:
		wd = &failWindow{slot: slot}
		g.by[key] = wd
		fallthrough
	default:
		if wd.slot != slot {
			wd.slot, wd.used = slot, 0
		}
		if allowed = wd.used < g.limit; allowed {
			wd.used++
		}
	}
	g.mu.Unlock()
	if allowed {
		return nil
	}
	end := time.Unix(0, (slot+1)*int64(g.window))
	wait := max(1, int64(end.Sub(now).Seconds()+0.999))
	w.Header().Set("Retry-After", strconv.FormatInt(wait, 10))
	return newError(http.StatusTooManyRequests, "RATE_LIMITED",
		"Too many wrong "+what+"; wait "+strconv.FormatInt(wait, 10)+" seconds and try again")
}

// refund takes back an attempt that was right.
func (g *failGuard) refund(key string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if wd := g.by[key]; wd != nil && wd.used > 0 {
		wd.used--
	}
}

// guessKey is who a guess is charged to: the client's address, or its /64
// for IPv6, where one household or one attacker holds a whole /64.
func guessKey(r *http.Request) string {
	addr := clientAddress(r)
	if ip := net.ParseIP(addr); ip != nil && ip.To4() == nil {
		return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
	return addr
}
