package store

import (
	"context"
	"testing"
)

// A refused inbound payment writes nothing, not even its event id: when
// the provider retries after staff fixed the ticket, it lands, once.
func TestAnInboundPaymentRefusedForTheBalanceLandsOnRetry(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	_, tk := ticketFor(t, s, "Ada")
	price := Money(5000)
	if _, _, err := s.AddLineItem(ctx, tk.ID, LineItemInput{Kind: "service", Description: "Fix", UnitPrice: &price}); err != nil {
		t.Fatal(err)
	}
	in := InboundPayment{Provider: "stripe", EventID: "evt_1", ObjectID: "pi_1", TicketID: tk.ID, Amount: 8000}
	before := lastSeq(t, s)
	_, err := s.RecordInboundPayment(ctx, in)
	wantConflict(t, err)
	if n := len(eventsAfter(t, s, before)); n != 0 {
		t.Fatalf("a refused payment wrote %d events", n)
	}
	more := Money(3000)
	if _, _, err := s.AddLineItem(ctx, tk.ID, LineItemInput{Kind: "part", Description: "Screen", UnitPrice: &more}); err != nil {
		t.Fatal(err)
	}
	res, err := s.RecordInboundPayment(ctx, in)
	if err != nil || res.Duplicate || res.Payment.Reference != "pi_1" || res.Payment.Method != "card" || res.Ticket.Totals.Balance > 0 {
		t.Fatalf("retry: %+v %v", res, err)
	}
	// The same event again, and another event for the same object: nothing.
	for _, again := range []InboundPayment{in, {Provider: "stripe", EventID: "evt_2", ObjectID: "cs_2", AlsoIDs: []string{"pi_1"}, TicketID: tk.ID, Amount: 100}} {
		if res, err := s.RecordInboundPayment(ctx, again); err != nil || !res.Duplicate {
			t.Fatalf("%s: %+v %v", again.EventID, res, err)
		}
	}
	_, err = s.RecordInboundPayment(ctx, InboundPayment{Provider: "stripe", EventID: "evt_3", ObjectID: "pi_3", TicketID: 999, Amount: 100})
	wantNotFound(t, err)
}
