package store

import (
	"errors"
	"testing"
)

func TestRevokingCustomerLinksBumpsTheirEpochOnly(t *testing.T) {
	s := openTest(t)
	ada, tk := ticketFor(t, s, "Ada")
	bob, _ := ticketFor(t, s, "Bob")
	if e, err := s.CustomerLinkEpoch(ada.ID); err != nil || e != 0 {
		t.Fatalf("a new customer's epoch = %d, %v; want 0", e, err)
	}
	var epoch uint64
	evs := expectEvents(t, s, []string{"customer.portal_link_revoked"}, func() (err error) {
		epoch, err = s.RevokeCustomerLinks(t.Context(), ada.ID)
		return err
	})
	if epoch != 1 || string(evs[0].Data) != `{"customer_id":1,"link_epoch":1}` {
		t.Fatalf("epoch %d, event %s", epoch, evs[0].Data)
	}
	if e, _ := s.CustomerLinkEpoch(ada.ID); e != 1 {
		t.Fatalf("epoch after revoking = %d", e)
	}
	if e, _ := s.CustomerLinkEpoch(bob.ID); e != 0 {
		t.Fatalf("another customer's epoch moved to %d", e)
	}
	var nf *NotFoundError
	if _, err := s.CustomerLinkEpoch(999); !errors.As(err, &nf) {
		t.Fatalf("no such customer: %v", err)
	}
	if _, err := s.RevokeCustomerLinks(t.Context(), 999); !errors.As(err, &nf) {
		t.Fatalf("revoking no such customer: %v", err)
	}

	got, err := s.TicketByNumber(tk.Number)
	if err != nil || got.ID != tk.ID {
		t.Fatalf("TicketByNumber(%d) = %+v, %v", tk.Number, got, err)
	}
	if _, err := s.TicketByNumber(tk.Number % 100); !errors.As(err, &nf) { // the last digits find a ticket in search, not here
		t.Fatalf("TicketByNumber(last digits): %v", err)
	}
	// Numbers never given out are not looked for at all: "1" would match
	// nearly every ticket by prefix.
	for _, n := range []uint64{1, tk.Number + 1000} {
		if _, err := s.TicketByNumber(n); !errors.As(err, &nf) {
			t.Fatalf("TicketByNumber(%d), never given out: %v", n, err)
		}
	}
}
