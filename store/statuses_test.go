package store

import (
	"testing"
)

// A rename moves the tickets and keeps the open-ticket counts the customer
// page and deletes rely on.
func TestRenameStatusKeepsCounts(t *testing.T) {
	s := openTest(t)
	ctx := t.Context()
	c, tk := ticketFor(t, s, "Ann")
	list := DefaultStatuses()
	list[0].Name = "Received"
	if _, err := s.ReplaceStatuses(ctx, list, map[string]string{"New": "Received"}); err != nil {
		t.Fatal(err)
	}
	page, err := s.ListTickets(ListQuery{Filters: map[string]string{"status": "Received"}, Page: 1, PerPage: 10})
	if err != nil || page.Total != 1 {
		t.Fatalf("tickets in the new name: %d, %v", page.Total, err)
	}
	if err := s.DeleteCustomer(ctx, c.ID); err == nil {
		t.Fatalf("customer with open ticket %d deleted after a rename", tk.ID)
	}
}
