package store

import (
	"bytes"
	"encoding/json"

	bolt "go.etcd.io/bbolt"
)

// A ticket's timeline is the events that name it (data.ticket_id): an index
// of ticket id + event sequence, kept with the log in the same transaction,
// so the ticket page reads its own events without scanning the whole log.
// An entry's value is empty while the log holds its event, and the event's
// bytes once the log has pruned it.

var bucketTicketEvents = []byte("events_by_ticket")

func ticketEventKey(ticketID, seq uint64) []byte {
	return append(itob(ticketID), itob(seq)...)
}

// ticketOf finds the ticket an event's data names, or 0.
func (o ordered) ticketOf() uint64 {
	for _, kv := range o {
		if kv.k == "ticket_id" {
			if id, ok := kv.v.(uint64); ok {
				return id
			}
		}
	}
	return 0
}

// indexTicketEvent files an event under its ticket. Most events are about
// recent tickets, whose keys are the last, so the pages are filled.
func indexTicketEvent(tx *bolt.Tx, ticketID, seq uint64) error {
	return appending(tx.Bucket(bucketTicketEvents)).Put(ticketEventKey(ticketID, seq), nil)
}

// createTicketEventIndex adds the timeline index and fills it from the log.
func createTicketEventIndex(tx *bolt.Tx) error {
	b, err := tx.CreateBucketIfNotExists(bucketTicketEvents)
	if err != nil {
		return err
	}
	c := tx.Bucket(bucketEvents).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		var ev struct {
			Data struct {
				TicketID uint64 `json:"ticket_id"`
			} `json:"data"`
		}
		raw, err := eventJSON(v)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(raw, &ev); err != nil {
			return err
		}
		if ev.Data.TicketID != 0 {
			if err := b.Put(ticketEventKey(ev.Data.TicketID, btoi(k)), nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// TicketEvents lists the events about one ticket, oldest first; allowed,
// when set, hides events the reader may not see.
func (s *Store) TicketEvents(ticketID uint64, page, perPage int, allowed func(name string) bool) (Page, error) {
	var out Page
	err := s.view(func(tx *bolt.Tx) error {
		if tx.Bucket(tickets.records).Get(itob(ticketID)) == nil {
			return notFound("ticket")
		}
		log := tx.Bucket(bucketEvents)
		prefix := itob(ticketID)
		pg := newPager(page, perPage)
		c := tx.Bucket(bucketTicketEvents).Cursor()
		for k, kept := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, kept = c.Next() {
			v := kept // the event's bytes once the log has pruned it (retention.go)
			if len(v) == 0 {
				v = log.Get(k[8:])
			}
			if v == nil || (allowed != nil && !allowed(eventName(v))) {
				continue
			}
			if pg.keeps() { // unpacked only when it is on the page
				raw, err := eventJSON(v)
				if err != nil {
					return err
				}
				v = raw
			}
			pg.add(v)
		}
		out = pg.Page
		return nil
	})
	return out, err
}
