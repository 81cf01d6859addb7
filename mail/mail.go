// Package mail emails customers when something happens to their repair: a
// consumer of each store's event log with its own durable cursor, like the
// webhook dispatcher (hooks/). It reads after the commit, never inside the
// request that changed the ticket; queues each email in bbolt in the same
// transaction that moves its cursor (store/mailqueue.go); and sends through
// the store's own SMTP settings with retries on an injected clock. Each
// store (live and test) has its own queue and settings.
package mail

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"portal/store"
)

// LinkFunc makes a customer's sign-in link for an email (the api's
// PortalLink, passed in by main so that mail does not import api).
type LinkFunc func(mode store.Mode, customerID uint64) (string, error)

// DefaultSchedule is the wait before each retry: six attempts over about 15 hours.
var DefaultSchedule = []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 12 * time.Hour}

// Config sets up the mailer. Zero values take the documented defaults.
type Config struct {
	Sealer *store.Sealer // opens the SMTP password
	Link   LinkFunc      // nil: emails carry no link
	Now    func() time.Time
	Log    *slog.Logger
	// Schedule replaces DefaultSchedule (tests, demos).
	Schedule []time.Duration
	// Timeout bounds one conversation with the mail server (default 30 s).
	Timeout time.Duration
	// Attempted, when set, is told every recorded attempt (tests await it).
	Attempted func(store.Email)
}

// Mailer sends each store's customer emails. Build it with New; Run it once
// per store.
type Mailer struct {
	cfg   Config
	mu    sync.Mutex
	kicks []chan struct{}
	read  map[*store.Store]uint64 // how far each store's log was read: consume.go
}

// New builds a mailer.
func New(cfg Config) *Mailer {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Schedule == nil {
		cfg.Schedule = DefaultSchedule
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	return &Mailer{cfg: cfg}
}

// Timeout is how long one conversation with a mail server may take.
func (m *Mailer) Timeout() time.Duration { return m.cfg.Timeout }

// Kick makes every Run look at its queue now (after a test moves the
// injected clock, or the shop sets up its mail server).
func (m *Mailer) Kick() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range m.kicks {
		select {
		case k <- struct{}{}:
		default:
		}
	}
}

func (m *Mailer) newKick() chan struct{} {
	k := make(chan struct{}, 1)
	m.mu.Lock()
	m.kicks = append(m.kicks, k)
	m.mu.Unlock()
	return k
}

// idleWait is how long an idle loop sleeps with nothing due; commits and
// kicks wake it sooner. retryWait follows a failure of the store (a full disk).
const (
	idleWait       = time.Hour
	retryWait      = 5 * time.Second
	commitCoalesce = 100 * time.Millisecond
)

// Run consumes s's events and sends its emails until ctx ends. An email
// being sent when it ends keeps its lease; the next Run sends it again.
func (m *Mailer) Run(ctx context.Context, s *store.Store) error {
	if _, err := s.RecoverEmailLeases(ctx, m.cfg.Now(), true); err != nil {
		return err
	}
	kick := m.newKick()
	timer := time.NewTimer(idleWait)
	defer timer.Stop()
	for {
		committed := s.Committed() // taken before reading, so no commit is missed
		wait := idleWait
		if err := m.consume(ctx, s); err != nil && ctx.Err() == nil && !errors.Is(err, store.ErrClosed) {
			m.cfg.Log.Error("mail: reading events", "store", s.Mode(), "err", err)
			wait = retryWait
		}
		if err := m.sendDue(ctx, s); err != nil && ctx.Err() == nil && !errors.Is(err, store.ErrClosed) {
			m.cfg.Log.Error("mail: sending", "store", s.Mode(), "err", err)
			wait = retryWait
		}
		if at, ok, err := s.NextEmailDue(); err == nil && ok {
			wait = min(wait, max(at.Sub(m.cfg.Now()), 50*time.Millisecond))
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return nil
		case <-committed:
			// A busy shop commits often and an email can wait a moment: the
			// commits of the next instant are read together.
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(commitCoalesce):
			}
		case <-kick:
		case <-timer.C:
		}
	}
}
