package api

import (
	"strings"
	"sync"
	"time"
)

// Sign-in lock-out: after lockoutFailures wrong passwords for one email
// within lockoutWindow, that email cannot sign in for lockoutWindow. Unknown
// emails count the same, so the lock reveals nothing about who has an account.
const (
	lockoutFailures = 5
	lockoutWindow   = 15 * time.Minute
	lockoutTracked  = 10_000 // emails remembered at most; the oldest go first
)

type signinGuard struct {
	now func() time.Time
	mu  sync.Mutex
	by  map[string]*signinFailures
}

type signinFailures struct {
	first  time.Time // of the current window
	count  int
	locked time.Time // until
}

func newSigninGuard(now func() time.Time) *signinGuard {
	return &signinGuard{now: now, by: map[string]*signinFailures{}}
}

// lockedFor reports how long email is still locked out (0: it may try).
func (g *signinGuard) lockedFor(email string) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	if f := g.by[strings.ToLower(strings.TrimSpace(email))]; f != nil {
		if left := f.locked.Sub(g.now()); left > 0 {
			return left
		}
	}
	return 0
}

// failed counts a wrong password.
func (g *signinGuard) failed(email string) {
	key := strings.ToLower(strings.TrimSpace(email))
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	f := g.by[key]
	if f == nil || now.Sub(f.first) > lockoutWindow {
		if f == nil && len(g.by) >= lockoutTracked {
			g.forgetOldest()
		}
		f = &signinFailures{first: now}
		g.by[key] = f
	}
	if f.count++; f.count >= lockoutFailures {
		f.locked, f.first, f.count = now.Add(lockoutWindow), now, 0
	}
}

// succeeded clears an email's failures.
func (g *signinGuard) succeeded(email string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.by, strings.ToLower(strings.TrimSpace(email)))
}

func (g *signinGuard) forgetOldest() {
	var oldest string
	var at time.Time
	for k, f := range g.by {
		if oldest == "" || f.first.Before(at) {
			oldest, at = k, f.first
		}
	}
	delete(g.by, oldest)
}
