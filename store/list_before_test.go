package store

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
)

// BeforeID walks a list newest first below an id, filtered or not.
func TestListBeforeID(t *testing.T) {
	s := openTest(t)
	c := mustCustomer(t, s, CustomerInput{Name: "Ada"})
	var in []TicketInput
	for i := range 30 {
		status := "New"
		if i%2 == 1 {
			status = "In Progress"
		}
		in = append(in, TicketInput{CustomerID: c.ID, Issue: "x", Status: status, Device: Device{Brand: "A", Model: "B"}})
	}
	if _, err := s.ImportTickets(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	ids := func(q ListQuery) []uint64 {
		t.Helper()
		page, err := s.ListTickets(q)
		if err != nil {
			t.Fatal(err)
		}
		var out []uint64
		for _, raw := range page.Items {
			var tk struct{ ID uint64 }
			json.Unmarshal(raw, &tk)
			out = append(out, tk.ID)
		}
		return out
	}
	if got := ids(ListQuery{Page: 1, PerPage: 4, BeforeID: 10}); !slices.Equal(got, []uint64{9, 8, 7, 6}) {
		t.Errorf("before 10: %v", got)
	}
	if got := ids(ListQuery{Page: 1, PerPage: 4, BeforeID: 10, Filters: map[string]string{"status": "New"}}); !slices.Equal(got, []uint64{9, 7, 5, 3}) {
		t.Errorf("New before 10: %v", got)
	}
	if got := ids(ListQuery{Page: 1, PerPage: 4, BeforeID: 2, Filters: map[string]string{"status": "In Progress"}}); len(got) != 0 {
		t.Errorf("In Progress before 2: %v", got)
	}
	if got := ids(ListQuery{Page: 1, PerPage: 3, BeforeID: 1000, Filters: map[string]string{"status": "In Progress"}}); !slices.Equal(got, []uint64{30, 28, 26}) {
		t.Errorf("In Progress before 1000: %v", got)
	}
	if _, err := s.ListTickets(ListQuery{Page: 1, PerPage: 3, BeforeID: 5, SinceID: 2}); err == nil {
		t.Error("before_id with since_id was taken")
	}
}
