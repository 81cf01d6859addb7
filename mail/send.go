package mail

import (
	"context"
	"errors"
	"net/mail"
	"strings"
	"time"

	"portal/store"
)

// leaseBatch is how many due emails one lease takes; they go one at a time
// (a shop sends a few a day, and one relay takes them in order).
const leaseBatch = 16

// sendDue sends every email due now, recording each attempt before the next.
func (m *Mailer) sendDue(ctx context.Context, s *store.Store) error {
	for ctx.Err() == nil {
		now := m.cfg.Now()
		// This loop is the store's only sender and holds nothing between
		// batches, so a lease that ended (its record failed) is an orphan.
		if _, err := s.RecoverEmailLeases(ctx, now, false); err != nil {
			return err
		}
		jobs, err := s.LeaseEmails(ctx, now, now.Add(m.leaseFor()), leaseBatch)
		if err != nil || len(jobs) == 0 {
			return err
		}
		for _, job := range jobs {
			if ctx.Err() != nil {
				return nil // the rest keep their lease: the next start sends them
			}
			if err := m.attempt(ctx, s, job); err != nil {
				return err
			}
		}
	}
	return nil
}

// leaseFor outlasts one batch's conversations.
func (m *Mailer) leaseFor() time.Duration { return (leaseBatch+1)*m.cfg.Timeout + time.Minute }

// attempt renders and sends one email and records what came of it.
func (m *Mailer) attempt(ctx context.Context, s *store.Store, job store.EmailJob) error {
	at := m.cfg.Now()
	reply, err := m.deliver(ctx, s, job)
	if ctx.Err() != nil && err != nil {
		return nil // cut short by shutdown: the lease brings it back
	}
	a := store.EmailAttempt{At: at.UTC(), Reply: reply}
	var retryAt *time.Time
	if err != nil {
		a.Error = err.Error()
		var se *SendError
		if errors.As(err, &se) && se.Code != 0 && a.Reply == "" {
			a.Reply = a.Error // the server's own words
		}
		if n := len(job.Attempts); !Permanent(err) && n < len(m.cfg.Schedule) {
			next := m.cfg.Now().Add(m.cfg.Schedule[n])
			retryAt = &next
		}
	}
	e, rerr := s.RecordEmailAttempt(context.WithoutCancel(ctx), job.Seq, a, err == nil, retryAt)
	if rerr != nil {
		return rerr
	}
	m.cfg.Log.Info("mail attempt", "store", s.Mode(), "email", e.ID, "event", e.Event, "status", e.Status,
		"attempt", len(e.Attempts), "reply", a.Reply, "err", a.Error)
	if m.cfg.Attempted != nil {
		m.cfg.Attempted(e)
	}
	return nil
}

// deliver renders job with the shop's details as they are now and a fresh
// sign-in link, and hands it to the store's mail server.
func (m *Mailer) deliver(ctx context.Context, s *store.Store, job store.EmailJob) (string, error) {
	set, err := s.SMTPSettings(m.cfg.Sealer)
	if err != nil {
		return "", err
	}
	if !set.Configured() {
		return "", &SendError{Err: errors.New("no mail server is set up (Shop → Email)")}
	}
	shop, err := s.Shop()
	if err != nil {
		return "", err
	}
	link := ""
	if m.cfg.Link != nil && job.CustomerID != 0 {
		if link, err = m.cfg.Link(s.Mode(), job.CustomerID); err != nil {
			return "", err
		}
	}
	r, err := render(job.Kind, shop, link, job.Data)
	if err != nil {
		return "", err
	}
	msg := Message{To: job.To, Subject: job.Subject, Text: r.Text, HTML: r.HTML,
		MessageID: messageID(s.Mode(), job.ID, set.From)}
	return Send(ctx, set, msg, m.cfg.Timeout)
}

// messageID names one email for good: portal.<store>.<eml id>@<from's domain>.
func messageID(mode store.Mode, id, from string) string {
	domain := "portal.invalid"
	if a, err := mail.ParseAddress(from); err == nil {
		if _, d, ok := strings.Cut(a.Address, "@"); ok {
			domain = d
		}
	}
	return "portal." + string(mode) + "." + id + "@" + domain
}
