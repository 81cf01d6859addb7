package store

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// testdata/v1.db is a store as schema version 1 left it: customers, tickets,
// notes, line items, payments, keys and the event log, without the buckets
// later versions added (webhooks and their queue, ticket search, timelines).
// It was written by `go test ./store -run TestStoreFromVersion1 -write-v1-fixture`,
// which builds it with version 1's buckets only; the file is committed so
// that every later version is tested against the same bytes.

var writeV1Fixture = flag.Bool("write-v1-fixture", false, "rewrite testdata/v1.db")

const v1Fixture = "testdata/v1.db"

func buildV1Fixture(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	ada := mustCustomer(t, s, CustomerInput{Name: "Ada Lovelace", Email: "ada@example.com", Phone: "+44 20 7946 0018"})
	grace := mustCustomer(t, s, CustomerInput{Name: "Grace Hopper", Phone: "555-0100"})
	screen := mustTicket(t, s, TicketInput{CustomerID: ada.ID, Issue: "Cracked screen", Device: Device{Brand: "Apple", Model: "iPhone 13"}})
	mustTicket(t, s, TicketInput{CustomerID: grace.ID, Issue: "Will not charge", Device: Device{Brand: "Google", Model: "Pixel 7"}})
	if _, err := s.AddNote(ctx, screen.ID, NoteInput{Body: "Screen ordered", Author: "Sam"}); err != nil {
		t.Fatal(err)
	}
	status := "In Progress"
	if _, err := s.UpdateTicket(ctx, screen.ID, TicketPatch{Status: &status}); err != nil {
		t.Fatal(err)
	}
	path := s.Path()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	downgrade(t, path, 1, append(slices.Clone(webhookBuckets), bucketTicketSearch, bucketTicketEvents)...)
	// Compacted into a fresh file: the store's own file keeps its
	// preallocated size, which the repository need not carry.
	os.Remove(v1Fixture)
	src, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := bolt.Open(v1Fixture, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := bolt.Compact(dst, src, 0); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestStoreFromVersion1MigratesAndKeepsEverything(t *testing.T) {
	if *writeV1Fixture {
		buildV1Fixture(t)
	}
	raw, err := os.ReadFile(v1Fixture)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "live.db")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	if v := schemaVersionOf(t, path); v != 1 {
		t.Fatalf("the fixture is at version %d, want 1", v)
	}
	s := openAt(t, path, Options{})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if v := schemaVersionOf(t, path); v != uint64(SchemaVersion()) {
		t.Fatalf("after opening: version %d, want %d", v, SchemaVersion())
	}
	s = openAt(t, path, Options{Now: func() time.Time { return time.Date(2026, 3, 15, 14, 22, 0, 0, time.UTC) }})

	// The records are all there.
	page, err := s.ListTickets(ListQuery{Page: 1, PerPage: 10})
	if err != nil || page.Total != 2 {
		t.Fatalf("tickets after migrating: %d, %v", page.Total, err)
	}
	// Ticket search was built from them, timelines from the log.
	var found []uint64
	for _, raw := range mustSearch(t, s, "ada iphone").Items {
		var tk Ticket
		json.Unmarshal(raw, &tk)
		found = append(found, tk.ID)
	}
	if len(found) != 1 || found[0] != 1 {
		t.Errorf("search \"ada iphone\" found %v, want [1]", found)
	}
	if got, want := timelineNames(t, s, 1), []string{"ticket.created", "ticket.note_added", "ticket.updated", "ticket.status_changed"}; !slices.Equal(got, want) {
		t.Errorf("timeline %v, want %v", got, want)
	}
	// And the newer parts work on it: a webhook subscription.
	mustWebhook(t, s, testSealer(t), hookSecret(t), WebhookInput{Events: []string{"*"}, Format: "portal"})
}

func mustSearch(t *testing.T, s *Store, q string) Page {
	t.Helper()
	page, err := s.SearchTickets(ListQuery{Page: 1, PerPage: 10}, q)
	if err != nil {
		t.Fatal(err)
	}
	return page
}
