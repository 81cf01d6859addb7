package store

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestTicketNumbersStartAt1001AndIncrement(t *testing.T) {
	s := openTest(t)
	c := mustCustomer(t, s, CustomerInput{Name: "Numbered"})
	for i := range 5 {
		tk := mustTicket(t, s, TicketInput{CustomerID: c.ID, Issue: "no power"})
		if tk.Number != uint64(1001+i) || tk.ID != uint64(1+i) {
			t.Fatalf("ticket %d has id %d number %d, want id %d number %d", i, tk.ID, tk.Number, i+1, 1001+i)
		}
	}
	// A refused ticket does not use up a number.
	if _, err := s.CreateTicket(t.Context(), TicketInput{CustomerID: c.ID}); err == nil {
		t.Fatal("a ticket without an issue was accepted")
	}
	s = reopen(t, s, Options{})
	if tk := mustTicket(t, s, TicketInput{CustomerID: c.ID, Issue: "after reopen"}); tk.Number != 1006 {
		t.Fatalf("after a refusal and a reopen the next number is %d, want 1006", tk.Number)
	}
}

func TestTicketNumbersAreKeptPerStore(t *testing.T) {
	dir := t.TempDir()
	live := openAt(t, filepath.Join(dir, "live.db"), Options{Mode: Live})
	test := openAt(t, filepath.Join(dir, "test.db"), Options{Mode: Test})
	_, a := ticketFor(t, live, "Live")
	ticketFor(t, live, "Live 2")
	_, b := ticketFor(t, test, "Test")
	if a.Number != 1001 || b.Number != 1001 {
		t.Fatalf("first numbers: live %d, test %d; each store starts at 1001", a.Number, b.Number)
	}
	if test.Mode() != Test || live.Mode() != Live {
		t.Fatalf("modes: live store %q, test store %q", live.Mode(), test.Mode())
	}
}

func TestCreateTicketDefaultsAndRecordsEvent(t *testing.T) {
	s, clock := openTestClock(t)
	c := mustCustomer(t, s, CustomerInput{Name: "Default"})
	due := time.Date(2026, 3, 20, 17, 30, 15, 999, time.FixedZone("CET", 3600))
	var tk Ticket
	evs := expectEvents(t, s, []string{"ticket.created"}, func() (err error) {
		tk, err = s.CreateTicket(t.Context(), TicketInput{CustomerID: c.ID, Issue: "  water damage  ",
			DueAt: Nullable[time.Time]{Set: true, Value: &due}})
		return err
	})
	if tk.Status != "New" || tk.Priority != "normal" || tk.Issue != "water damage" || tk.ClosedAt != nil ||
		!tk.CreatedAt.Equal(clock.Now()) || tk.AssignedTo != nil {
		t.Fatalf("created %+v", tk)
	}
	if tk.DueAt == nil || tk.DueAt.Location() != time.UTC || !tk.DueAt.Equal(due.Truncate(time.Second)) {
		t.Fatalf("due_at %v, want %v in UTC at seconds", tk.DueAt, due)
	}
	d := dataOf(t, evs[0])
	if string(d["ticket_id"]) != "1" {
		t.Errorf("ticket.created data = %s", evs[0].Data)
	}
	if got := decode[Ticket](t, d["ticket"]); got.Number != tk.Number || got.Issue != tk.Issue {
		t.Errorf("ticket.created carries %+v, want %+v", got, tk)
	}
	// Created straight into a closed status, a ticket is closed at once.
	closed := mustTicket(t, s, TicketInput{CustomerID: c.ID, Issue: "walk-in fix", Status: "Closed"})
	if closed.ClosedAt == nil {
		t.Error("a ticket created as Closed has no closed_at")
	}
}

func TestCreateTicketValidation(t *testing.T) {
	s := openTest(t)
	c := mustCustomer(t, s, CustomerInput{Name: "Valid"})
	ok := func(mod func(*TicketInput)) TicketInput {
		in := TicketInput{CustomerID: c.ID, Issue: "broken"}
		mod(&in)
		return in
	}
	tests := []struct {
		name   string
		in     TicketInput
		fields []string
	}{
		{"no customer", ok(func(in *TicketInput) { in.CustomerID = 0 }), []string{"customer_id"}},
		{"unknown customer", ok(func(in *TicketInput) { in.CustomerID = 42 }), []string{"customer_id"}},
		{"no issue", ok(func(in *TicketInput) { in.Issue = " " }), []string{"issue"}},
		{"issue too long", ok(func(in *TicketInput) { in.Issue = strings.Repeat("x", 5001) }), []string{"issue"}},
		{"status not configured", ok(func(in *TicketInput) { in.Status = "Lost" }), []string{"status"}},
		{"status in the wrong case", ok(func(in *TicketInput) { in.Status = "new" }), []string{"status"}},
		{"unknown priority", ok(func(in *TicketInput) { in.Priority = "asap" }), []string{"priority"}},
		{"assignee zero", ok(func(in *TicketInput) { in.AssignedTo = ptr[uint64](0) }), []string{"assigned_to"}},
		{"imei with letters", ok(func(in *TicketInput) { in.Device.IMEI = "35693803564380X" }), []string{"device.imei"}},
		{"imei too short", ok(func(in *TicketInput) { in.Device.IMEI = "1234" }), []string{"device.imei"}},
		{"brand too long", ok(func(in *TicketInput) { in.Device.Brand = strings.Repeat("b", 101) }), []string{"device.brand"}},
		{"several", TicketInput{Status: "Lost", Priority: "asap"}, []string{"customer_id", "issue", "status", "priority"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.CreateTicket(t.Context(), tt.in)
			wantFields(t, err, tt.fields...)
		})
	}
	mustTicket(t, s, ok(func(in *TicketInput) {
		in.Device = Device{Brand: "Apple", Model: "iPhone 13", IMEI: "356938035643809"}
		in.Priority = "urgent"
	}))
}

func TestTicketStatusMustBeOneOfTheConfiguredStatuses(t *testing.T) {
	s := openTest(t)
	_, tk := ticketFor(t, s, "Workflow")
	_, err := s.UpdateTicket(t.Context(), tk.ID, TicketPatch{Status: ptr("Diagnosing")})
	wantFields(t, err, "status")

	list := append(DefaultStatuses(), Status{Name: "Diagnosing"})
	if _, err := s.SetStatuses(t.Context(), list); err != nil {
		t.Fatal(err)
	}
	if got := mustUpdateTicket(t, s, tk.ID, TicketPatch{Status: ptr("Diagnosing")}); got.Status != "Diagnosing" {
		t.Fatalf("status = %q after adding Diagnosing to the workflow", got.Status)
	}
}

func TestStatusChangesEmitStatusChangedClosedAndReopened(t *testing.T) {
	s, clock := openTestClock(t)
	_, tk := ticketFor(t, s, "Events")

	clock.Advance(time.Minute)
	evs := expectEvents(t, s, []string{"ticket.updated", "ticket.status_changed"}, func() error {
		_, err := s.UpdateTicket(t.Context(), tk.ID, TicketPatch{Status: ptr("In Progress")})
		return err
	})
	if from, to := statusChange(t, evs[1]); from != "New" || to != "In Progress" {
		t.Errorf("status_changed from %q to %q", from, to)
	}
	if got := decode[Ticket](t, dataOf(t, evs[1])["ticket"]); got.Status != "In Progress" || !got.UpdatedAt.Equal(clock.Now()) {
		t.Errorf("status_changed carries %+v", got)
	}

	clock.Advance(time.Minute)
	var closed Ticket
	evs = expectEvents(t, s, []string{"ticket.updated", "ticket.status_changed", "ticket.closed"}, func() (err error) {
		closed, err = s.UpdateTicket(t.Context(), tk.ID, TicketPatch{Status: ptr("Closed")})
		return err
	})
	if closed.ClosedAt == nil || !closed.ClosedAt.Equal(clock.Now()) {
		t.Fatalf("closed_at = %v, want %v", closed.ClosedAt, clock.Now())
	}
	if from, to := statusChange(t, evs[1]); from != "In Progress" || to != "Closed" {
		t.Errorf("status_changed from %q to %q", from, to)
	}

	// Closed to Resolved: both closed, so no closed/reopened event and closed_at stays.
	clock.Advance(time.Minute)
	var resolved Ticket
	expectEvents(t, s, []string{"ticket.updated", "ticket.status_changed"}, func() (err error) {
		resolved, err = s.UpdateTicket(t.Context(), tk.ID, TicketPatch{Status: ptr("Resolved")})
		return err
	})
	if resolved.ClosedAt == nil || !resolved.ClosedAt.Equal(*closed.ClosedAt) {
		t.Errorf("closed_at moved from %v to %v between two closed statuses", closed.ClosedAt, resolved.ClosedAt)
	}

	var reopened Ticket
	expectEvents(t, s, []string{"ticket.updated", "ticket.status_changed", "ticket.reopened"}, func() (err error) {
		reopened, err = s.UpdateTicket(t.Context(), tk.ID, TicketPatch{Status: ptr("Waiting for Parts")})
		return err
	})
	if reopened.ClosedAt != nil {
		t.Errorf("a reopened ticket keeps closed_at %v", reopened.ClosedAt)
	}
}

func TestAssigningEmitsAssignedAndSamePatchEmitsNothing(t *testing.T) {
	s := openTest(t)
	_, tk := ticketFor(t, s, "Assign")
	evs := expectEvents(t, s, []string{"ticket.updated", "ticket.assigned"}, func() error {
		_, err := s.UpdateTicket(t.Context(), tk.ID, TicketPatch{AssignedTo: Nullable[uint64]{Set: true, Value: ptr[uint64](7)}})
		return err
	})
	var d struct {
		Changes struct {
			AssignedTo struct{ From, To *uint64 } `json:"assigned_to"`
		} `json:"changes"`
	}
	json.Unmarshal(evs[1].Data, &d)
	if d.Changes.AssignedTo.From != nil || d.Changes.AssignedTo.To == nil || *d.Changes.AssignedTo.To != 7 {
		t.Errorf("ticket.assigned data = %s", evs[1].Data)
	}
	expectEvents(t, s, nil, func() error {
		_, err := s.UpdateTicket(t.Context(), tk.ID, TicketPatch{
			AssignedTo: Nullable[uint64]{Set: true, Value: ptr[uint64](7)}, Status: ptr("New"), Issue: ptr(" cracked screen ")})
		return err
	})
	got := expectEvents(t, s, []string{"ticket.updated", "ticket.assigned"}, func() error {
		_, err := s.UpdateTicket(t.Context(), tk.ID, TicketPatch{AssignedTo: Nullable[uint64]{Set: true}})
		return err
	})
	if tk := decode[Ticket](t, dataOf(t, got[1])["ticket"]); tk.AssignedTo != nil {
		t.Errorf("unassigning left assigned_to = %d", *tk.AssignedTo)
	}
	_, err := s.UpdateTicket(t.Context(), 999, TicketPatch{Status: ptr("New")})
	wantNotFound(t, err)
}

func TestPatchFieldsDecodeAbsentNullAndValue(t *testing.T) {
	var p TicketPatch
	if err := json.Unmarshal([]byte(`{"assigned_to": null, "status": "Closed"}`), &p); err != nil {
		t.Fatal(err)
	}
	if !p.AssignedTo.Set || p.AssignedTo.Value != nil || p.DueAt.Set || *p.Status != "Closed" {
		t.Fatalf("decoded %+v", p)
	}
	if err := json.Unmarshal([]byte(`{"assigned_to": "seven"}`), &p); err == nil {
		t.Fatal("a string assignee was accepted")
	}
}

func TestNotesLineItemsAndPaymentsEmitTheirEvents(t *testing.T) {
	s, clock := openTestClock(t)
	ctx := t.Context()
	_, tk := ticketFor(t, s, "Children")

	clock.Advance(time.Hour)
	var note Note
	evs := expectEvents(t, s, []string{"ticket.note_added"}, func() (err error) {
		note, err = s.AddNote(ctx, tk.ID, NoteInput{Body: " replaced the battery ", Author: "sam", Internal: true})
		return err
	})
	if note.Body != "replaced the battery" || note.Author != "sam" || !note.Internal || note.TicketID != tk.ID {
		t.Errorf("note %+v", note)
	}
	if d := dataOf(t, evs[0]); string(d["note_id"]) != "1" || decode[Note](t, d["note"]) != note {
		t.Errorf("note_added data = %s", evs[0].Data)
	}
	if got := loadTicket(t, s, tk.ID); !got.UpdatedAt.Equal(clock.Now()) {
		t.Errorf("a note did not touch the ticket: updated_at %v, want %v", got.UpdatedAt, clock.Now())
	}
	_, err := s.AddNote(ctx, tk.ID, NoteInput{Body: "   "})
	wantFields(t, err, "body")
	_, err = s.AddNote(ctx, 999, NoteInput{Body: "lost"})
	wantNotFound(t, err)

	var li LineItem
	evs = expectEvents(t, s, []string{"ticket.line_item_added"}, func() (err error) {
		li, _, err = s.AddLineItem(ctx, tk.ID, LineItemInput{Description: "Battery", UnitPrice: money(t, "29.90")})
		return err
	})
	if d := dataOf(t, evs[0]); decode[Totals](t, d["totals"]).Total != 2990 || string(d["line_item_id"]) != "1" {
		t.Errorf("line_item_added data = %s", evs[0].Data)
	}
	expectEvents(t, s, []string{"ticket.updated"}, func() error {
		_, _, err := s.UpdateLineItem(ctx, tk.ID, li.ID, LineItemPatch{Quantity: ptr(Quantity(200))})
		return err
	})
	evs = expectEvents(t, s, []string{"payment.received"}, func() error {
		_, _, err := s.AddPayment(ctx, tk.ID, PaymentInput{Amount: money(t, "10"), Method: "card", Reference: "txn-1"})
		return err
	})
	if p := decode[Payment](t, dataOf(t, evs[0])["payment"]); p.Amount != 1000 || p.Method != "card" || p.Status != "completed" {
		t.Errorf("payment.received carries %+v", p)
	}
	screw, _, err := s.AddLineItem(ctx, tk.ID, LineItemInput{Description: "Screw", UnitPrice: money(t, "0.10")})
	if err != nil {
		t.Fatal(err)
	}
	evs = expectEvents(t, s, []string{"ticket.updated"}, func() error {
		_, err := s.DeleteLineItem(ctx, tk.ID, screw.ID)
		return err
	})
	if got := decode[Ticket](t, dataOf(t, evs[0])["ticket"]); got.Totals.Subtotal != 5980 || got.Totals.Paid != 1000 {
		t.Errorf("after deleting the screw the ticket has %+v", got.Totals)
	}
	_, err = s.DeleteLineItem(ctx, tk.ID, screw.ID)
	wantNotFound(t, err)

	for name, list := range map[string]func(uint64, int, int) (Page, error){
		"notes": s.Notes, "line items": s.LineItems, "payments": s.Payments} {
		page, err := list(tk.ID, 1, 10)
		if err != nil || page.Total != 1 || len(page.Items) != 1 || page.HasMore {
			t.Errorf("%s: %d items (total %d, has_more %v), %v; want 1", name, len(page.Items), page.Total, page.HasMore, err)
		}
		_, err = list(999, 1, 10)
		wantNotFound(t, err)
	}
}

func TestNotesListOldestFirstInPages(t *testing.T) {
	s := openTest(t)
	_, tk := ticketFor(t, s, "Timeline")
	_, other := ticketFor(t, s, "Other")
	for _, b := range []string{"one", "two", "three"} {
		if _, err := s.AddNote(t.Context(), tk.ID, NoteInput{Body: b}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.AddNote(t.Context(), other.ID, NoteInput{Body: "elsewhere"}); err != nil {
		t.Fatal(err)
	}
	var bodies []string
	for page := 1; ; page++ {
		p, err := s.Notes(tk.ID, page, 2)
		if err != nil {
			t.Fatal(err)
		}
		if p.Total != 3 {
			t.Fatalf("page %d total %d, want 3", page, p.Total)
		}
		for _, raw := range p.Items {
			bodies = append(bodies, decode[Note](t, raw).Body)
		}
		if !p.HasMore {
			break
		}
	}
	if strings.Join(bodies, ",") != "one,two,three" {
		t.Fatalf("notes = %v, want one, two, three", bodies)
	}
}

// A ticket is encoded once: the record stored, the API's answer and the
// event's data.ticket are the same bytes.
func TestATicketIsEncodedOnce(t *testing.T) {
	s := openTest(t)
	c := mustCustomer(t, s, CustomerInput{Name: "Ada"})
	tk := mustTicket(t, s, TicketInput{CustomerID: c.ID, Issue: "Screen", Device: Device{Brand: "Apple"}})
	stored, err := s.Ticket(tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := s.EventsAfter(0, 10)
	if err != nil {
		t.Fatal(err)
	}
	var ev struct {
		Data struct {
			Ticket json.RawMessage `json:"ticket"`
		} `json:"data"`
	}
	if err := json.Unmarshal(evs[len(evs)-1].JSON, &ev); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(tk.JSON(), stored) || !bytes.Equal(ev.Data.Ticket, stored) {
		t.Fatalf("answer %s\nstored %s\nevent %s", tk.JSON(), stored, ev.Data.Ticket)
	}
}
