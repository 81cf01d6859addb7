package mail

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"portal/store"
)

func TestStatusChangeToANotifyStatusSendsExactlyOneEmailWithTheLink(t *testing.T) {
	r := newRig(t, store.Live, "ada@example.com")
	r.useServer()
	r.setStatus("In Progress") // does not notify
	r.step()
	if got := r.smtp.Messages(); len(got) != 0 {
		t.Fatalf("a status without notify_customer sent %d emails", len(got))
	}
	r.setStatus("Ready for Pickup")
	r.step()
	r.step() // a second pass finds nothing more to do
	got := r.smtp.Messages()
	if len(got) != 1 {
		t.Fatalf("got %d emails, want 1", len(got))
	}
	msg := got[0]
	for _, want := range []string{"Subject: Your repair is Ready for Pickup", "To: <ada@example.com>",
		"https://shop.example/c/live-1", "Fix-It Corner", "+1 503 555 0100", "Mon=E2=80=93Fri", "text/html",
		"Message-ID: <portal.live.eml_1@fixit.example>"} {
		if !strings.Contains(plain(msg.Data), want) {
			t.Errorf("the email lacks %q:\n%s", want, msg.Data)
		}
	}
	if len(msg.To) != 1 || msg.To[0] != "ada@example.com" {
		t.Fatalf("envelope to = %v", msg.To)
	}
	log := r.emails()
	if len(log) != 1 || log[0].Status != store.EmailSent || len(log[0].Attempts) != 1 ||
		!strings.HasPrefix(log[0].Attempts[0].Reply, "250") || log[0].Event != "ticket.status_changed" {
		t.Fatalf("email log = %+v", log)
	}
	if ready, inflight, _ := r.s.MailQueueDepth(); ready+inflight != 0 {
		t.Fatalf("queue holds %d+%d after sending", ready, inflight)
	}
}

func TestRefusedThenAcceptedGetsTheEmailOnRetry(t *testing.T) {
	r := newRig(t, store.Live, "ada@example.com")
	r.useServer()
	r.smtp.RefuseNext(1, 451)
	r.setStatus("Ready for Pickup")
	r.step()
	log := r.emails()
	if len(log) != 1 || log[0].Status != store.EmailQueued || len(log[0].Attempts) != 1 ||
		!strings.Contains(log[0].Attempts[0].Reply, "451") || log[0].NextAttemptAt == nil ||
		!log[0].NextAttemptAt.Equal(r.clock.Now().Add(time.Minute)) {
		t.Fatalf("after a 451 the email log = %+v", log)
	}
	r.clock.Advance(59 * time.Second)
	r.step()
	if n := len(r.smtp.Messages()); n != 0 {
		t.Fatalf("sent before its retry was due")
	}
	r.clock.Advance(time.Second)
	r.step()
	if n := len(r.smtp.Messages()); n != 1 {
		t.Fatalf("after the retry the server has %d emails, want 1", n)
	}
	log = r.emails()
	if log[0].Status != store.EmailSent || len(log[0].Attempts) != 2 || log[0].NextAttemptAt != nil {
		t.Fatalf("after the retry the email log = %+v", log)
	}
}

func TestRetriesFollowTheScheduleThenFail(t *testing.T) {
	r := newRig(t, store.Live, "ada@example.com")
	r.useServer()
	r.smtp.RefuseNext(100, 421)
	r.setStatus("Ready for Pickup")
	r.step()
	for _, wait := range DefaultSchedule {
		e := r.emails()[0]
		if e.Status != store.EmailQueued || !e.NextAttemptAt.Equal(r.clock.Now().Add(wait)) {
			t.Fatalf("want a retry in %s, email = %+v", wait, e)
		}
		r.clock.Advance(wait)
		r.step()
	}
	e := r.emails()[0]
	if e.Status != store.EmailFailed || len(e.Attempts) != 6 || e.NextAttemptAt != nil {
		t.Fatalf("after six refusals email = %+v", e)
	}
}

func TestPermanentRefusalStopsAtOnce(t *testing.T) {
	r := newRig(t, store.Live, "ada@example.com")
	r.useServer()
	r.smtp.RefuseNext(1, 550)
	r.setStatus("Ready for Pickup")
	r.step()
	e := r.emails()[0]
	if e.Status != store.EmailFailed || len(e.Attempts) != 1 || !strings.Contains(e.Attempts[0].Reply, "550") || e.NextAttemptAt != nil {
		t.Fatalf("after a 550 email = %+v", e)
	}
}

func TestServerDownRetriesLater(t *testing.T) {
	r := newRig(t, store.Live, "ada@example.com")
	r.useServer()
	r.smtp.Close()
	r.setStatus("Ready for Pickup")
	r.step()
	e := r.emails()[0]
	if e.Status != store.EmailQueued || len(e.Attempts) != 1 || e.Attempts[0].Error == "" {
		t.Fatalf("with the server down email = %+v", e)
	}
}

func TestCustomerWithoutEmailIsSkippedInTheLog(t *testing.T) {
	r := newRig(t, store.Live, "")
	r.useServer()
	r.setStatus("Ready for Pickup")
	r.step()
	e := r.emails()
	if len(e) != 1 || e[0].Status != store.EmailSkipped || !strings.Contains(e[0].Reason, "no email address") || len(r.smtp.Messages()) != 0 {
		t.Fatalf("email log = %+v", e)
	}
}

func TestTestStoreWithoutItsOwnSettingsSendsNothing(t *testing.T) {
	r := newRig(t, store.Test, "ada@example.com")
	r.setStatus("Ready for Pickup")
	r.step()
	e := r.emails()
	if len(e) != 1 || e[0].Status != store.EmailSkipped || !strings.Contains(e[0].Reason, "no mail server") || len(r.smtp.Messages()) != 0 {
		t.Fatalf("email log = %+v", e)
	}
	r.useServer() // the shop sets up mail in test mode: from then on, test emails go
	r.setStatus("In Progress")
	r.setStatus("Ready for Pickup")
	r.step()
	got := r.smtp.WaitFor(1, time.Second)
	if len(got) != 1 || !strings.Contains(got[0].Data, "https://shop.example/c/test-1") {
		t.Fatalf("test-mode email = %+v", got)
	}
}

func TestReceiptEmailOnPayment(t *testing.T) {
	r := newRig(t, store.Live, "ada@example.com")
	r.useServer()
	ctx := context.Background()
	price, amount := store.Money(5000), store.Money(2000)
	if _, _, err := r.s.AddLineItem(ctx, r.ticketID, store.LineItemInput{Kind: "part", Description: "Speaker", Quantity: ptr(store.Quantity(100)), UnitPrice: &price, Taxable: ptr(false)}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.s.AddPayment(ctx, r.ticketID, store.PaymentInput{Amount: &amount, Method: "cash"}); err != nil {
		t.Fatal(err)
	}
	r.step()
	got := r.smtp.Messages()
	if len(got) != 1 || !strings.Contains(plain(got[0].Data), "Subject: Receipt: $20.00 for repair #") ||
		!strings.Contains(plain(got[0].Data), "Balance remaining: $30.00") {
		t.Fatalf("receipt = %+v", got)
	}
}

func TestRunSendsAfterTheCommitAndThePasswordIsNeverLogged(t *testing.T) {
	r := newRig(t, store.Live, "ada@example.com")
	r.useServer()
	attempts := make(chan store.Email, 10)
	r.m.cfg.Attempted = func(e store.Email) { attempts <- e }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.m.Run(ctx, r.s) }()
	r.setStatus("Ready for Pickup") // nothing more: the commit wakes the mailer
	if e := awaitAttempt(t, attempts); e.Status != store.EmailSent || len(r.smtp.Messages()) != 1 {
		t.Fatalf("first email: %+v", e)
	}
	// With security none a password is never sent in the clear (go-mail
	// offers only challenge mechanisms without TLS): the attempt fails, and
	// neither its error nor any log line holds the password.
	const password = "s3cret-Pa55word-never-logged"
	if _, err := r.s.UpdateEmailSettings(ctx, store.EmailSettingsPatch{Username: ptr("shop"), Password: ptr(password)}, r.sealer); err != nil {
		t.Fatal(err)
	}
	r.setStatus("In Progress")
	r.setStatus("Ready for Pickup")
	if e := awaitAttempt(t, attempts); e.Status != store.EmailQueued || e.Attempts[0].Error == "" {
		t.Fatalf("with a password over plain SMTP: %+v", e)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if strings.Contains(r.log.String(), password) || !strings.Contains(r.log.String(), "mail attempt") {
		t.Fatalf("the log holds the password (or nothing):\n%s", r.log.String())
	}
	events, _ := r.s.EventsAfter(0, 1000)
	for _, ev := range events {
		if strings.Contains(string(ev.JSON), password) {
			t.Fatalf("event %s holds the password", ev.Name)
		}
	}
	r.s.Close()
	raw, _ := os.ReadFile(r.s.Path())
	if strings.Contains(string(raw), password) {
		t.Fatal("the database file holds the password in the clear")
	}
}

func awaitAttempt(t *testing.T, c <-chan store.Email) store.Email {
	t.Helper()
	select {
	case e := <-c:
		return e
	case <-time.After(10 * time.Second):
		t.Fatal("no attempt within 10 s")
		return store.Email{}
	}
}

// plain undoes quoted-printable's soft line breaks and CRLFs.
func plain(data string) string {
	return strings.ReplaceAll(strings.ReplaceAll(data, "=\r\n", ""), "\r\n", "\n")
}

func TestSubmittedQuoteEmailsTheCustomerWithoutInternalNotes(t *testing.T) {
	r := newRig(t, store.Live, "ada@example.com")
	r.useServer()
	ctx := context.Background()
	price := store.Money(8900)
	p, err := r.s.CreateProposal(ctx, store.ProposalInput{Name: "Screen repair", CustomerID: r.custID, Areas: []store.ProposalAreaInput{{
		Name: "Screen", Options: []store.ProposalOptionInput{{Name: "Original", ClientDescription: "Apple part",
			InternalNotes: "SECRET-MARGIN-NOTE", LineItems: []store.LineItemInput{{Kind: "part", Description: "Screen",
				Quantity: ptr(store.Quantity(100)), UnitPrice: &price, Taxable: ptr(false)}}}}}}})
	if err != nil {
		t.Fatal(err)
	}
	r.step() // a Draft emails nobody
	if n := len(r.smtp.Messages()); n != 0 {
		t.Fatalf("a draft sent %d emails", n)
	}
	if _, err := r.s.UpdateProposal(ctx, p.ID, store.ProposalPatch{Status: ptr("Submitted")}); err != nil {
		t.Fatal(err)
	}
	r.step()
	got := r.smtp.Messages()
	if len(got) != 1 {
		t.Fatalf("got %d emails, want 1", len(got))
	}
	body := plain(got[0].Data)
	if !strings.Contains(body, "Subject: Your quote from Fix-It Corner: Screen repair") || !strings.Contains(body, "$89.00") ||
		!strings.Contains(body, "https://shop.example/c/live-1") || strings.Contains(body, "SECRET-MARGIN-NOTE") {
		t.Fatalf("quote email:\n%s", body)
	}
}
