package store

import (
	"bytes"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// Tickets are stored packed and read back as exactly the JSON written; a
// migrated store's plain tickets are packed by their schema step.
func TestTicketRecordsArePackedAndReadBackExactly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "live.db")
	copyFile(t, "testdata/v5.db", path)
	s := openAt(t, path, Options{})
	c := mustCustomer(t, s, CustomerInput{Name: "Ada"})
	fresh := mustTicket(t, s, TicketInput{CustomerID: c.ID, Issue: "Cracked screen", Device: Device{Brand: "Apple", Model: "iPhone 13"}})
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(tickets.records).ForEach(func(k, v []byte) error {
			if v[0] != packedRecordV1 {
				t.Errorf("ticket %d stored plain", btoi(k))
			}
			raw, err := recordJSON(v)
			if err != nil || raw[0] != '{' {
				t.Errorf("ticket %d unpacks to %.40s (%v)", btoi(k), raw, err)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Ticket(fresh.ID)
	if err != nil || !bytes.Equal(got, fresh.JSON()) {
		t.Fatalf("Ticket(%d) = %s, %v; want the bytes written, %s", fresh.ID, got, err, fresh.JSON())
	}
	page, err := s.ListTickets(ListQuery{Page: 1, PerPage: 100})
	if err != nil || len(page.Items) != page.Total || !bytes.Equal(page.Items[len(page.Items)-1], got) {
		t.Fatalf("list: %d of %d, first %.60s (%v)", len(page.Items), page.Total, page.Items[0], err)
	}
}
