package store

// The email queue: emails to customers, made from the event log by the mail
// consumer (mail/), each waiting in mail_ready by due time and, while a
// sender holds it, in mail_inflight by lease expiry. The webhook queue's
// shape, with one sender per store instead of one queue per receiver.
//
// Invariants: the consumer's cursor (meta mail_cursor) and the emails made
// from the events up to it are written in one transaction, so a crash loses
// no event and makes no email twice; mail_by_event holds one email per event
// id, so a batch read again after a crash adds nothing.

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

var (
	bucketMail         = []byte("mail")          // be64 seq -> emailRecord JSON
	bucketMailReady    = []byte("mail_ready")    // be64 due | be64 seq -> nil
	bucketMailInflight = []byte("mail_inflight") // be64 lease until | be64 seq -> nil
	bucketMailByEvent  = []byte("mail_by_event") // event id -> be64 seq
	keyMailCursor      = []byte("mail_cursor")   // in meta: the last event seq the consumer read
)

// Email statuses. Skipped emails were never sendable (the customer has no
// address, the shop has no mail server): they are logged, not queued.
const (
	EmailQueued  = "queued"
	EmailSent    = "sent"
	EmailFailed  = "failed"
	EmailSkipped = "skipped"
)

// Email is one email to a customer, as the email log shows it. It holds no
// body: the body carries the customer's sign-in link, made when it is sent.
type Email struct {
	ID            string         `json:"id"` // eml_<n>
	To            string         `json:"to"`
	Subject       string         `json:"subject"`
	Kind          string         `json:"kind"` // status, quote or receipt
	CustomerID    uint64         `json:"customer_id"`
	EventID       string         `json:"event_id"`
	Event         string         `json:"event"`
	Status        string         `json:"status"`
	Reason        string         `json:"reason,omitempty"` // why it was skipped or failed
	Attempts      []EmailAttempt `json:"attempts"`
	NextAttemptAt *time.Time     `json:"next_attempt_at"`
	CreatedAt     time.Time      `json:"created_at"`
	UpdatedAt     time.Time      `json:"updated_at"`
}

// EmailAttempt is one try at sending: the server's reply, or what failed.
type EmailAttempt struct {
	N     int       `json:"n"`
	At    time.Time `json:"at"`
	Reply string    `json:"reply"` // the SMTP server's answer, as it said it
	Error string    `json:"error,omitempty"`
}

// NewEmail is an email the consumer makes from one event. Data are the
// template's values taken from the event; Skip, when set, logs it as
// skipped for that reason instead of queueing it.
type NewEmail struct {
	EventID, Event string
	Kind           string
	CustomerID     uint64
	To, Subject    string
	Data           map[string]string
	Skip           string
}

// EmailJob is a leased email with what its sender renders it from.
type EmailJob struct {
	Email
	Seq  uint64
	Data map[string]string
}

type emailRecord struct {
	Email
	Seq        uint64            `json:"seq"`
	Data       map[string]string `json:"data,omitempty"`
	ReadyAt    int64             `json:"ready_at,omitempty"`    // unix nanos of its mail_ready key
	LeaseUntil int64             `json:"lease_until,omitempty"` // unix nanos of its mail_inflight key
}

const emailPrefix = "eml_"

// ParseEmailID returns the sequence of an eml_ id.
func ParseEmailID(id string) (uint64, bool) {
	n, err := strconv.ParseUint(strings.TrimPrefix(id, emailPrefix), 10, 64)
	return n, err == nil && n > 0 && strings.HasPrefix(id, emailPrefix)
}

func mailKey(t int64, seq uint64) []byte {
	k := make([]byte, 16)
	binary.BigEndian.PutUint64(k, uint64(t))
	binary.BigEndian.PutUint64(k[8:], seq)
	return k
}

func getEmail(tx *bolt.Tx, seq uint64) (*emailRecord, error) {
	v := tx.Bucket(bucketMail).Get(itob(seq))
	if v == nil {
		return nil, notFound("email")
	}
	var r emailRecord
	return &r, json.Unmarshal(v, &r)
}

func putEmail(tx *bolt.Tx, r *emailRecord) error {
	raw, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return appending(tx.Bucket(bucketMail)).Put(itob(r.Seq), raw)
}

func (r *emailRecord) schedule(tx *bolt.Tx, t time.Time) error {
	if err := r.unschedule(tx); err != nil {
		return err
	}
	r.ReadyAt = t.UnixNano()
	at := t.UTC()
	r.NextAttemptAt = &at
	return queuePut(tx.Bucket(bucketMailReady), mailKey(r.ReadyAt, r.Seq))
}

func (r *emailRecord) unschedule(tx *bolt.Tx) error {
	if r.ReadyAt != 0 {
		if err := queueDelete(tx.Bucket(bucketMailReady), mailKey(r.ReadyAt, r.Seq)); err != nil {
			return err
		}
	}
	r.ReadyAt, r.NextAttemptAt = 0, nil
	return nil
}

func (r *emailRecord) release(tx *bolt.Tx) error {
	if r.LeaseUntil != 0 {
		if err := queueDelete(tx.Bucket(bucketMailInflight), mailKey(r.LeaseUntil, r.Seq)); err != nil {
			return err
		}
	}
	r.LeaseUntil = 0
	return nil
}

// MailCursor is the last event seq the mail consumer has read, and the
// log's last seq: the consumer is caught up when they are equal.
func (s *Store) MailCursor() (cursor, last uint64, err error) {
	return s.cursorAndLast(keyMailCursor)
}

// EnqueueEmails records the emails made from the events after `after` up
// to `through` and moves the cursor to through, in one transaction. A cursor
// that moved meanwhile (a second consumer) is a conflict and writes nothing.
func (s *Store) EnqueueEmails(ctx context.Context, after, through uint64, emails []NewEmail) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		if cursor := readCursor(tx, keyMailCursor); cursor != after {
			return Conflict("the mail cursor is at %d, not %d", cursor, after)
		}
		now := s.clock()
		for _, e := range emails {
			byEvent := tx.Bucket(bucketMailByEvent)
			if byEvent.Get([]byte(e.EventID)) != nil {
				continue // made before a crash: one email per event
			}
			seq, err := tx.Bucket(bucketMail).NextSequence()
			if err != nil {
				return err
			}
			r := &emailRecord{Seq: seq, Data: e.Data, Email: Email{ID: emailPrefix + strconv.FormatUint(seq, 10),
				To: e.To, Subject: e.Subject, Kind: e.Kind, CustomerID: e.CustomerID, EventID: e.EventID, Event: e.Event,
				Status: EmailQueued, Attempts: []EmailAttempt{}, CreatedAt: now, UpdatedAt: now}}
			if e.Skip != "" {
				r.Status, r.Reason = EmailSkipped, e.Skip
			} else if err := r.schedule(tx, now); err != nil {
				return err
			}
			if err := putEmail(tx, r); err != nil {
				return err
			}
			if err := byEvent.Put([]byte(e.EventID), itob(seq)); err != nil {
				return err
			}
		}
		return moveCursor(tx, keyMailCursor, "mail", after, through)
	})
}

// LeaseEmails moves up to limit emails due by now to the in-flight queue
// until `until`, and returns them. With nothing due it writes nothing.
func (s *Store) LeaseEmails(ctx context.Context, now, until time.Time, limit int) ([]EmailJob, error) {
	if at, ok, err := s.NextEmailDue(); err != nil || !ok || at.After(now) {
		return nil, err
	}
	var out []EmailJob
	err := s.update(ctx, func(tx *bolt.Tx) error {
		out = out[:0]
		var seqs []uint64
		c := tx.Bucket(bucketMailReady).Cursor()
		for k, _ := c.First(); k != nil && len(seqs) < limit; k, _ = c.Next() {
			if int64(binary.BigEndian.Uint64(k)) > now.UnixNano() {
				break
			}
			seqs = append(seqs, binary.BigEndian.Uint64(k[8:]))
		}
		for _, seq := range seqs {
			r, err := getEmail(tx, seq)
			if err != nil {
				return err
			}
			if err := r.unschedule(tx); err != nil {
				return err
			}
			r.LeaseUntil = until.UnixNano()
			if err := queuePut(tx.Bucket(bucketMailInflight), mailKey(r.LeaseUntil, seq)); err != nil {
				return err
			}
			if err := putEmail(tx, r); err != nil {
				return err
			}
			out = append(out, EmailJob{Email: r.Email, Seq: seq, Data: r.Data})
		}
		return nil
	})
	return out, err
}

// RecoverEmailLeases puts in-flight emails back in the ready queue, due
// now: those whose lease ended by now, or all (at start-up, when no sender
// holds any). An email whose send was cut short goes again: at least once.
func (s *Store) RecoverEmailLeases(ctx context.Context, now time.Time, all bool) (int, error) {
	// Looked at first in a read: the sender asks after every commit in the
	// shop, and an empty write transaction still commits (and syncs).
	var any bool
	if err := s.view(func(tx *bolt.Tx) error {
		k, _ := tx.Bucket(bucketMailInflight).Cursor().First()
		any = k != nil && (all || int64(binary.BigEndian.Uint64(k)) <= now.UnixNano())
		return nil
	}); err != nil || !any {
		return 0, err
	}
	var n int
	err := s.update(ctx, func(tx *bolt.Tx) error {
		n = 0
		var seqs []uint64
		c := tx.Bucket(bucketMailInflight).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if !all && int64(binary.BigEndian.Uint64(k)) > now.UnixNano() {
				break
			}
			seqs = append(seqs, binary.BigEndian.Uint64(k[8:]))
		}
		for _, seq := range seqs {
			r, err := getEmail(tx, seq)
			if err != nil {
				return err
			}
			if err := r.release(tx); err != nil {
				return err
			}
			if err := r.schedule(tx, now); err != nil {
				return err
			}
			if err := putEmail(tx, r); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// RecordEmailAttempt stores an attempt and what follows from it in one
// transaction: sent, queued again at retryAt, or (retryAt nil) failed.
func (s *Store) RecordEmailAttempt(ctx context.Context, seq uint64, a EmailAttempt, sent bool, retryAt *time.Time) (Email, error) {
	var out Email
	err := s.update(ctx, func(tx *bolt.Tx) error {
		r, err := getEmail(tx, seq)
		if err != nil {
			return err
		}
		if err := r.release(tx); err != nil {
			return err
		}
		a.N = len(r.Attempts) + 1
		r.Attempts = append(r.Attempts, a)
		r.UpdatedAt = s.clock()
		switch {
		case sent:
			r.Status, r.Reason = EmailSent, ""
			err = r.unschedule(tx)
		case retryAt != nil:
			r.Status = EmailQueued
			err = r.schedule(tx, *retryAt)
		default:
			r.Status, r.Reason = EmailFailed, a.Error
			err = r.unschedule(tx)
		}
		if err != nil {
			return err
		}
		out = r.Email
		return putEmail(tx, r)
	})
	return out, err
}

// NextEmailDue is when the earliest queued email is due (ok false: none is).
func (s *Store) NextEmailDue() (time.Time, bool, error) {
	var at time.Time
	var ok bool
	err := s.view(func(tx *bolt.Tx) error {
		if k, _ := tx.Bucket(bucketMailReady).Cursor().First(); k != nil {
			at, ok = time.Unix(0, int64(binary.BigEndian.Uint64(k))), true
		}
		return nil
	})
	return at, ok, err
}

// MailQueueDepth counts emails waiting and in flight (kept counts, as QueueDepth).
func (s *Store) MailQueueDepth() (ready, inflight int, err error) {
	err = s.view(func(tx *bolt.Tx) error {
		ready = int(tx.Bucket(bucketMailReady).Sequence())
		inflight = int(tx.Bucket(bucketMailInflight).Sequence())
		return nil
	})
	return ready, inflight, err
}

// Emails returns a page of the email log, newest first. Emails are never
// deleted, so the bucket's sequence is their number.
func (s *Store) Emails(page, perPage int) (Page, error) {
	out := Page{Items: []json.RawMessage{}}
	page, perPage = max(page, 1), max(perPage, 1)
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMail)
		out.Total = int(b.Sequence())
		skip := (page - 1) * perPage
		c := b.Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			if skip > 0 {
				skip--
				continue
			}
			if len(out.Items) == perPage {
				out.HasMore = true
				break
			}
			var r emailRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			raw, err := json.Marshal(r.Email)
			if err != nil {
				return err
			}
			out.Items = append(out.Items, raw)
		}
		return nil
	})
	return out, err
}

// EmailByID returns one email of the log.
func (s *Store) EmailByID(id string) (Email, error) {
	seq, ok := ParseEmailID(id)
	if !ok {
		return Email{}, notFound("email")
	}
	var out Email
	err := s.view(func(tx *bolt.Tx) error {
		r, err := getEmail(tx, seq)
		if err == nil {
			out = r.Email
		}
		return err
	})
	return out, err
}

// createMailQueue makes the queue's buckets and starts the consumer's cursor
// at the log's end: a shop upgrading gets no email for what happened before.
func createMailQueue(tx *bolt.Tx) error {
	if err := createAll(tx, "mail", "mail_ready", "mail_inflight", "mail_by_event"); err != nil {
		return err
	}
	meta := tx.Bucket([]byte("meta"))
	if meta.Get([]byte("mail_cursor")) != nil {
		return nil
	}
	return meta.Put([]byte("mail_cursor"), itob(tx.Bucket([]byte("events")).Sequence()))
}
