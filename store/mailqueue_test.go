package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

// The consumer's cursor and its emails move together: a batch read again
// (after a crash before the next one) adds nothing, and a cursor that moved
// meanwhile refuses the batch whole.
func TestEnqueueEmailsIsOneEmailPerEventAndMovesTheCursorWithThem(t *testing.T) {
	s, clock := openTestClock(t)
	ctx := context.Background()
	cursor, last, err := s.MailCursor()
	if err != nil || cursor != last {
		t.Fatalf("a new store's cursor %d, log %d, %v", cursor, last, err)
	}
	for range 2 { // two events for the cursor to pass: it never passes the log's end
		if _, err := s.CreateCustomer(ctx, CustomerInput{Name: "Ada Lovelace"}); err != nil {
			t.Fatal(err)
		}
	}
	e := NewEmail{EventID: "evt_a", Event: "ticket.status_changed", Kind: "status", To: "ada@example.com", Subject: "Your repair is Ready"}
	if err := s.EnqueueEmails(ctx, cursor, cursor+1, []NewEmail{e, e}); err != nil {
		t.Fatal(err)
	}
	var ce *ConflictError
	if err := s.EnqueueEmails(ctx, cursor, cursor+1, []NewEmail{e}); !errors.As(err, &ce) {
		t.Fatalf("a stale cursor: %v, want a conflict", err)
	}
	if err := s.EnqueueEmails(ctx, cursor+1, cursor+2, []NewEmail{e}); err != nil {
		t.Fatal(err)
	}
	page, _ := s.Emails(1, 10)
	if page.Total != 1 || len(page.Items) != 1 {
		t.Fatalf("emails = %d, want 1", page.Total)
	}

	// Leased and never recorded (a crash): the next start sends it again.
	jobs, err := s.LeaseEmails(ctx, clock.Now(), clock.Now().Add(time.Minute), 10)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("lease: %v %v", jobs, err)
	}
	if again, _ := s.LeaseEmails(ctx, clock.Now(), clock.Now().Add(time.Minute), 10); len(again) != 0 {
		t.Fatal("a leased email was leased twice")
	}
	if n, err := s.RecoverEmailLeases(ctx, clock.Now(), true); err != nil || n != 1 {
		t.Fatalf("recovered %d, %v", n, err)
	}
	jobs, _ = s.LeaseEmails(ctx, clock.Now(), clock.Now().Add(time.Minute), 10)
	if len(jobs) != 1 {
		t.Fatal("the recovered email is not due")
	}
	sent, err := s.RecordEmailAttempt(ctx, jobs[0].Seq, EmailAttempt{At: clock.Now(), Reply: "250 ok"}, true, nil)
	if err != nil || sent.Status != EmailSent || len(sent.Attempts) != 1 {
		t.Fatalf("sent = %+v, %v", sent, err)
	}
	if ready, inflight, _ := s.MailQueueDepth(); ready+inflight != 0 {
		t.Fatalf("queue holds %d+%d", ready, inflight)
	}
}
