package store

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
)

func timelineNames(t *testing.T, s *Store, ticketID uint64) []string {
	t.Helper()
	page, err := s.TicketEvents(ticketID, 1, 100, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, raw := range page.Items {
		var ev Event
		if err := json.Unmarshal(raw, &ev); err != nil {
			t.Fatal(err)
		}
		out = append(out, ev.Event)
	}
	return out
}

// A store written before the timeline index gets it from its log when
// opened, and keeps it from then on.
func TestMigrationIndexesTheLogForTicketTimelines(t *testing.T) {
	s := openTest(t)
	path := s.Path()
	c := mustCustomer(t, s, CustomerInput{Name: "Ada"})
	tk := mustTicket(t, s, TicketInput{CustomerID: c.ID, Issue: "Cracked screen"})
	mustTicket(t, s, TicketInput{CustomerID: c.ID, Issue: "Another one"})
	if _, err := s.AddNote(context.Background(), tk.ID, NoteInput{Body: "Ordered", Author: "Sam"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	downgrade(t, path, versionBefore(t, createTicketEventIndex), bucketTicketEvents)

	s = openAt(t, path, Options{})
	if got, want := timelineNames(t, s, tk.ID), []string{"ticket.created", "ticket.note_added"}; !slices.Equal(got, want) {
		t.Errorf("after migrating: timeline %v, want %v", got, want)
	}
	status := "In Progress"
	if _, err := s.UpdateTicket(context.Background(), tk.ID, TicketPatch{Status: &status}); err != nil {
		t.Fatal(err)
	}
	want := []string{"ticket.created", "ticket.note_added", "ticket.updated", "ticket.status_changed"}
	if got := timelineNames(t, s, tk.ID); !slices.Equal(got, want) {
		t.Errorf("after a change: timeline %v, want %v", got, want)
	}
}
