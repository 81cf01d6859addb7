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
	lockoutTracked  = 10_000 // emails remembered at most
)

type signinGuard struct {
	now func() time.Time
	mu  sync.Mutex
	by  map[string]*signinFailures
}

type signinFailures struct {
	first   time.Time // of the current window
	tries   int       // started in the window, including ones still checking
	locked  time.Time // until
	pending int       // tries whose outcome is not known yet
}

func newSigninGuard(now func() time.Time) *signinGuard {
	return &signinGuard{now: now, by: map[string]*signinFailures{}}
}

// emailKey folds an email as the store matches it (case-insensitively,
// including the Unicode letters that fold onto ASCII ones).
func emailKey(email string) string {
	return strings.ToLower(strings.ToUpper(strings.TrimSpace(email)))
}

// begin counts a sign-in attempt before its password is checked, so that
// attempts sent together cannot all slip past the limit. It returns how long
// the email is locked out (0: go ahead, and report the outcome with end).
func (g *signinGuard) begin(email string) time.Duration {
	key, now := emailKey(email), g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	f := g.by[key]
	if f != nil {
		if left := f.locked.Sub(now); left > 0 {
			return left
		}
		if f.tries+f.pending >= lockoutFailures && now.Sub(f.first) <= lockoutWindow {
			return lockoutWindow - now.Sub(f.first)
		}
	}
	if f == nil || (now.Sub(f.first) > lockoutWindow && f.pending == 0) {
		if f == nil && len(g.by) >= lockoutTracked {
			g.forgetOne(now)
		}
		f = &signinFailures{first: now}
		g.by[key] = f
	}
	f.pending++
	return 0
}

// end reports the outcome of an attempt begun with begin.
func (g *signinGuard) end(email string, ok bool) {
	key, now := emailKey(email), g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	f := g.by[key]
	if f == nil {
		return
	}
	f.pending--
	switch {
	case ok:
		delete(g.by, key)
	default:
		if f.tries++; f.tries >= lockoutFailures {
			f.locked, f.first, f.tries = now.Add(lockoutWindow), now, 0
		}
	}
}

// forgetOne makes room: an entry neither locked nor in use, oldest first.
// Locked entries stay, so a flood of new emails cannot unlock one.
func (g *signinGuard) forgetOne(now time.Time) {
	var oldest string
	var at time.Time
	for k, f := range g.by {
		if f.locked.After(now) || f.pending > 0 {
			continue
		}
		if oldest == "" || f.first.Before(at) {
			oldest, at = k, f.first
		}
	}
	if oldest != "" {
		delete(g.by, oldest)
	}
}
