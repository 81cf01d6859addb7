package store

import (
	"bytes"
	"fmt"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// The log packs events, and every reader gets back exactly the bytes that
// were packed; the header reads without unpacking; events stored plain
// (before packing existed) read as they are.
func TestTheLogPacksEventsAndGivesBackTheirExactBytes(t *testing.T) {
	s := openTest(t)
	c := mustCustomer(t, s, CustomerInput{Name: "Ada Lovelace", Email: "ada@example.com"})
	for i := range 3 {
		mustTicket(t, s, TicketInput{CustomerID: c.ID, Issue: fmt.Sprintf("Cracked screen %d", i), Device: Device{Brand: "Apple", Model: "iPhone 13"}})
	}
	evs, err := s.EventsAfter(0, 100)
	if err != nil {
		t.Fatal(err)
	}
	err = s.view(func(tx *bolt.Tx) error {
		for _, ev := range evs {
			stored := tx.Bucket(bucketEvents).Get(itob(ev.Seq))
			if stored[0] != packedV1 || len(stored) >= len(ev.JSON) {
				t.Errorf("event %d stored in %d bytes, %d unpacked: not packed", ev.Seq, len(stored), len(ev.JSON))
			}
			if ev.JSON[0] != '{' || eventName(stored) != ev.Name || eventIDOf(stored) != eventIDOf(ev.JSON) {
				t.Errorf("event %d: header %q %q, unpacked %.60s", ev.Seq, eventName(stored), eventIDOf(stored), ev.JSON)
			}
			if again := packEvent(ev.JSON); !bytes.Equal(again, stored) {
				t.Errorf("event %d packs differently a second time", ev.Seq)
			}
			got, err := eventJSON(stored)
			if err != nil || !bytes.Equal(got, ev.JSON) {
				t.Errorf("event %d unpacks to %s (%v)", ev.Seq, got, err)
			}
			by, err := s.Event(eventIDOf(ev.JSON), nil)
			if err != nil || !bytes.Equal(by, ev.JSON) {
				t.Errorf("Event(%s) = %s, %v", eventIDOf(ev.JSON), by, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	plain := []byte(`{"event":"ticket.created","event_id":"evt_x","timestamp":"2026-01-01T00:00:00Z","store_id":1,"data":{}}`)
	if got, err := eventJSON(plain); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("a plain event reads as %s, %v", got, err)
	}
	if _, err := eventJSON(append([]byte{packedV1, 3}, "{\"e"...)); err == nil {
		t.Fatal("a damaged packed event unpacked")
	}
}
