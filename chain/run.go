package chain

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/nats-io/nats.go"

	"portal/store"
)

// Run publishes until ctx ends. It is called once.
func (p *Publisher) Run(ctx context.Context) error {
	failures := 0
	for ctx.Err() == nil {
		cfg, gen := p.config()
		if !cfg.On() {
			p.setConnected(false)
			select {
			case <-ctx.Done():
			case <-p.wake:
			}
			continue
		}
		began := p.o.Now()
		connected, err := p.session(ctx, cfg, gen)
		p.setConnected(false)
		if ctx.Err() != nil {
			break
		}
		if err == nil { // the config changed
			failures = 0
			continue
		}
		if connected && p.o.Now().Sub(began) > steadyAfter {
			failures = 0 // a hub that stayed a while starts the backoff again; a flapping one does not
		}
		p.fail(gen, err)
		wait := backoff(failures)
		failures++
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-p.wake:
			failures = 0
		case <-t.C:
		}
		t.Stop()
	}
	return nil
}

// backoff is the wait after n failures in a row: doubling from backoffMin
// to backoffMax, with a quarter of jitter so a chain's branches spread out.
func backoff(n int) time.Duration {
	d := backoffMin << min(n, 16)
	if d > backoffMax || d <= 0 {
		d = backoffMax
	}
	return d - time.Duration(rand.Int64N(int64(d/4)+1))
}

// errConfigChanged ends a session when Configure is called.
var errConfigChanged = errors.New("the chain settings changed")

// ended turns a session's end into Run's answer: nil when the config changed
// or ctx ended (whatever failed then failed because of it), else err.
func (p *Publisher) ended(sctx context.Context, err error) error {
	if sctx.Err() != nil {
		return nil
	}
	return err
}

func (p *Publisher) lostErr(nc *nats.Conn) error {
	if err := nc.LastError(); err != nil {
		return fmt.Errorf("disconnected: %w", err)
	}
	return errors.New("disconnected from the NATS server")
}

// fail records a session's failure for the status, and for the log when
// the state or the words changed (a hub away for an hour is one line, not
// one per retry).
func (p *Publisher) fail(gen uint64, err error) {
	p.mu.Lock()
	if p.gen != gen {
		p.mu.Unlock()
		return
	}
	msg := p.words(err)
	now := p.o.Now().UTC()
	p.state, p.errMsg, p.errAt, p.noted = StateDisconnected, msg, &now, false
	url := RedactURL(p.cfg.URL)
	changed := p.logged != msg
	p.logged = msg
	p.mu.Unlock()
	if changed {
		p.o.Log.Warn("chain: "+msg, "url", url)
	}
}

// block records that a store's events are held up while connected (an
// event too large for the hub, one the stream refused, an id another shop's
// message holds): the status names it, the log says it once.
func (p *Publisher) block(gen uint64, err error) {
	p.mu.Lock()
	if p.gen != gen {
		p.mu.Unlock()
		return
	}
	msg := p.words(err)
	now := p.o.Now().UTC()
	p.errMsg, p.errAt, p.blocked, p.noted = msg, &now, true, false
	changed := p.logged != msg
	p.logged = msg
	p.mu.Unlock()
	if changed {
		p.o.Log.Warn("chain: " + msg)
	}
}

// unblock clears what block recorded once every store goes on again; the
// stream's warning, if any, shows again.
func (p *Publisher) unblock(gen uint64) {
	p.mu.Lock()
	if p.gen != gen || !p.blocked {
		p.mu.Unlock()
		return
	}
	was := p.errMsg
	p.blocked, p.logged = false, ""
	p.clearError()
	p.mu.Unlock()
	// Logged after unlocking: the pruner takes p.mu (through Hold) inside
	// its write transaction, and a log may be slow.
	p.o.Log.Info("chain: publishing again", "was", was)
}

// clearError shows the stream's warning, if any, in place of the error.
// p.mu is held.
func (p *Publisher) clearError() {
	p.noted = false
	if p.warning != "" {
		now := p.o.Now().UTC()
		p.errMsg, p.errAt = p.warning, &now
	} else {
		p.errMsg, p.errAt = "", nil
	}
}

// note shows a message about store m in the status that does not stop
// publishing (events pruned before they were sent, an event sent again out
// of order) and logs it. last is m's newest event when it is noted: once
// the events after it are mirrored and m is caught up, the note is cleared
// (clearNote).
func (p *Publisher) note(gen uint64, m store.Mode, last uint64, msg string) {
	p.mu.Lock()
	if p.gen == gen {
		now := p.o.Now().UTC()
		p.errMsg, p.errAt = msg, &now
		p.noted, p.noteStore, p.noteLast = true, m, last
	}
	p.mu.Unlock()
	p.o.Log.Warn("chain: " + msg)
}

// notePruned notes the events from–through of m pruned before they were
// sent, once per gap (drain finds it again on every retry while the event
// after it is held up).
func (p *Publisher) notePruned(gen uint64, m store.Mode, last, from, through uint64) {
	p.mu.Lock()
	seen := p.gaps[m] == through+1
	p.gaps[m] = through + 1
	p.mu.Unlock()
	if !seen {
		p.note(gen, m, last, pruned(m, from, through))
	}
}

// clearNote clears a note about store s once the condition has passed: s
// is caught up, with events written after the note mirrored too.
func (p *Publisher) clearNote(gen uint64, s *store.Store) error {
	p.mu.Lock()
	noted := p.gen == gen && p.noted && p.noteStore == s.Mode()
	noteLast := p.noteLast
	p.mu.Unlock()
	if !noted {
		return nil
	}
	cursor, last, err := s.NATSCursor()
	if err != nil || cursor != last || cursor <= noteLast {
		return err
	}
	p.mu.Lock()
	if p.gen == gen && p.noted && p.noteStore == s.Mode() && p.noteLast == noteLast {
		p.clearError()
	}
	p.mu.Unlock()
	return nil
}

// setCursor records s's cursor in memory for Hold.
func (p *Publisher) setCursor(m store.Mode, cursor uint64) {
	if c := p.cursors[m]; c != nil {
		c.Store(cursor + 1)
	}
}
