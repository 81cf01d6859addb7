package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

var (
	bucketEvents       = []byte("events")         // be64 seq -> event JSON (the bytes webhooks send)
	bucketEventsByName = []byte("events_by_name") // name 0x00 be64 seq -> nil
	bucketEventCounts  = []byte("events_count")   // name -> be64 count
	keyLastEventMS     = []byte("last_event_ms")
)

// Event is one entry of the event log. Field order is the wire order.
type Event struct {
	Event     string          `json:"event"`
	EventID   string          `json:"event_id"`
	Timestamp time.Time       `json:"timestamp"`
	StoreID   int             `json:"store_id"`
	Actor     *Actor          `json:"actor,omitempty"` // who did it; absent on events logged before actors were
	Data      json.RawMessage `json:"data"`
}

// StoredEvent is an event as the log holds it, with its position.
type StoredEvent struct {
	Seq  uint64
	Name string
	ID   string          // the event id (evt_…), read from its header
	JSON json.RawMessage // exactly the bytes of the event object
}

// ordered is a JSON object whose keys keep the order they were added in, so
// event payloads read the same way every time (resource id, changes, record).
type ordered []struct {
	k string
	v any
}

// text records a patch's text field: trimmed, and only when it changes.
func (o *ordered) text(name string, dst, v *string) {
	if v != nil && strings.TrimSpace(*v) != *dst {
		*o = o.with(name, change{*dst, strings.TrimSpace(*v)})
		*dst = strings.TrimSpace(*v)
	}
}

func (o ordered) with(k string, v any) ordered {
	return append(o, struct {
		k string
		v any
	}{k, v})
}

func (o ordered) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, kv := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(kv.k)
		b.Write(k)
		b.WriteByte(':')
		if raw, ok := kv.v.(json.RawMessage); ok {
			b.Write(raw) // a record the store encoded itself: valid and compact
			continue
		}
		v, err := json.Marshal(kv.v)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// change is one field's before and after, as events report it.
type change struct {
	From any `json:"from"`
	To   any `json:"to"`
}

// appendEvent writes an event into the log inside the caller's transaction, so
// the event exists exactly when the change it describes does.
func (s *Store) appendEvent(tx *bolt.Tx, name string, data ordered) (string, error) {
	raw, err := data.MarshalJSON()
	if err != nil {
		return "", err
	}
	seq, err := tx.Bucket(bucketEvents).NextSequence()
	if err != nil {
		return "", err
	}
	if ticketID := data.ticketOf(); ticketID != 0 {
		if err := indexTicketEvent(tx, ticketID, seq); err != nil {
			return "", err
		}
	}
	return s.putEvent(tx, seq, name, raw)
}

// appendRawEvent appends an event whose data is already encoded.
func (s *Store) appendRawEvent(tx *bolt.Tx, name string, raw json.RawMessage) (string, error) {
	seq, err := tx.Bucket(bucketEvents).NextSequence()
	if err != nil {
		return "", err
	}
	return s.putEvent(tx, seq, name, raw)
}

// putEvent writes event seq of the log, its name index and counts.
func (s *Store) putEvent(tx *bolt.Tx, seq uint64, name string, raw json.RawMessage) (string, error) {
	b := appending(tx.Bucket(bucketEvents))
	now := s.clock()
	meta := tx.Bucket(bucketMeta)
	ms := uint64(s.now().UnixMilli())
	if last := meta.Get(keyLastEventMS); last != nil && btoi(last) > ms {
		ms = btoi(last) // ids must keep increasing even if the clock steps back
	}
	if err := meta.Put(keyLastEventMS, itob(ms)); err != nil {
		return "", err
	}
	id := formatEventID(ms, s.mode, seq)
	actor := s.writing
	if actor.Type == "" { // a write outside the writer loop (a migration)
		actor = System
	}
	body, err := json.Marshal(Event{Event: name, EventID: id, Timestamp: now, StoreID: 1, Actor: &actor, Data: raw})
	if err != nil {
		return "", err
	}
	if err := b.Put(itob(seq), packEvent(body)); err != nil {
		return "", err
	}
	if err := appending(tx.Bucket(bucketEventsByName)).Put(append([]byte(name+"\x00"), itob(seq)...), nil); err != nil {
		return "", err
	}
	counts := tx.Bucket(bucketEventCounts)
	if err := addCount(counts, []byte(name), 1); err != nil {
		return "", err
	}
	return id, addCount(counts, []byte("*"), 1)
}

// EventQuery selects events from the log.
type EventQuery struct {
	Since   string // an event id: list what follows it, oldest first
	Pattern string // "ticket.created", "ticket.*" or "" for all
	Page    int
	PerPage int
	// Allowed, when set, hides events the reader may not see (an event
	// carries its record, so reading it needs the record's read scope).
	Allowed func(name string) bool
}

// ListEvents reads the log: newest first, or oldest first after Since.
func (s *Store) ListEvents(q EventQuery) (Page, error) {
	var after uint64
	if q.Since != "" {
		seq, err := parseEventID(q.Since, s.mode)
		if err != nil {
			return Page{}, Invalid("since", "must be an event id (evt_…) from this store")
		}
		after = seq
	}
	matchName, err := eventMatcher(q.Pattern)
	if err != nil {
		return Page{}, err
	}
	match := matchName
	if q.Allowed != nil {
		match = func(n string) bool { return matchName(n) && q.Allowed(n) }
	}
	var page Page
	err = s.view(func(tx *bolt.Tx) error {
		if q.Since != "" {
			if err := checkSince(tx, after, q.Since); err != nil {
				return err // its successors may be pruned: a gap must not pass for the whole story
			}
		}
		page.Total = eventTotal(tx, q.Pattern)
		if q.Allowed != nil {
			page.Total = 0
			err := tx.Bucket(bucketEventCounts).ForEach(func(k, v []byte) error {
				if name := string(k); name != "*" && match(name) {
					page.Total += int(btoi(v))
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		if KnownEvent(q.Pattern) {
			// One name: its index walks only its own events, however rare.
			return pageByName(tx, q, after, match, &page)
		}
		c := tx.Bucket(bucketEvents).Cursor()
		var k, v []byte
		step := c.Prev
		if q.Since != "" {
			k, v = c.Seek(itob(after + 1))
			step = c.Next
		} else {
			k, v = c.Last()
		}
		skip := (q.Page - 1) * q.PerPage
		for ; k != nil; k, v = step() {
			if !match(eventName(v)) {
				continue
			}
			if skip > 0 {
				skip--
				continue
			}
			if len(page.Items) == q.PerPage {
				page.HasMore = true
				break
			}
			raw, err := eventJSON(v)
			if err != nil {
				return err
			}
			page.Items = append(page.Items, raw)
		}
		return nil
	})
	return page, err
}

// pageByName fills page with one event name's events through events_by_name
// (name 0x00 be64 seq): newest first, or oldest first after since.
func pageByName(tx *bolt.Tx, q EventQuery, after uint64, match func(string) bool, page *Page) error {
	if !match(q.Pattern) {
		return nil // the reader may not see this event at all
	}
	prefix := []byte(q.Pattern + "\x00")
	c := tx.Bucket(bucketEventsByName).Cursor()
	events := tx.Bucket(bucketEvents)
	var k []byte
	step := c.Prev
	switch {
	case q.Since != "":
		k, _ = c.Seek(append(bytes.Clone(prefix), itob(after+1)...))
		step = c.Next
	default:
		if k, _ = c.Seek(successor(prefix)); k == nil {
			k, _ = c.Last()
		} else {
			k, _ = c.Prev()
		}
	}
	skip := (q.Page - 1) * q.PerPage
	for ; k != nil && bytes.HasPrefix(k, prefix); k, _ = step() {
		if skip > 0 {
			skip--
			continue
		}
		if len(page.Items) == q.PerPage {
			page.HasMore = true
			break
		}
		v := events.Get(k[len(prefix):])
		if v == nil {
			return fmt.Errorf("events_by_name points at missing event %d", btoi(k[len(prefix):]))
		}
		raw, err := eventJSON(v)
		if err != nil {
			return err
		}
		page.Items = append(page.Items, raw)
	}
	return nil
}

// Event returns one event by id.
func (s *Store) Event(id string, allowed func(name string) bool) (json.RawMessage, error) {
	seq, err := parseEventID(id, s.mode)
	if err != nil {
		return nil, notFound("event")
	}
	var out json.RawMessage
	err = s.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketEvents).Get(itob(seq))
		// The id's time part must match too: an id is not a sequence number.
		if v == nil || eventIDOf(v) != id || (allowed != nil && !allowed(eventName(v))) {
			return notFound("event")
		}
		out, err = eventJSON(v)
		return err
	})
	return out, err
}

// EventsAfter returns up to limit events that follow seq, oldest first.
func (s *Store) EventsAfter(seq uint64, limit int) ([]StoredEvent, error) {
	var out []StoredEvent
	err := s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketEvents).Cursor()
		for k, v := c.Seek(itob(seq + 1)); k != nil && len(out) < limit; k, v = c.Next() {
			raw, err := eventJSON(v)
			if err != nil {
				return err
			}
			out = append(out, StoredEvent{Seq: btoi(k), Name: eventName(v), ID: eventIDOf(v), JSON: raw})
		}
		return nil
	})
	return out, err
}

// eventMatcher accepts "", "*", an exact name, or a "prefix.*" pattern.
func eventMatcher(pattern string) (func(string) bool, error) {
	switch {
	case pattern == "" || pattern == "*":
		return func(string) bool { return true }, nil
	case strings.HasSuffix(pattern, ".*"):
		prefix := strings.TrimSuffix(pattern, "*")
		return func(n string) bool { return strings.HasPrefix(n, prefix) }, nil
	case strings.Contains(pattern, "*"):
		return nil, Invalid("event", "a pattern is an event name, \"*\", or \"area.*\"")
	default:
		return func(n string) bool { return n == pattern }, nil
	}
}

func eventTotal(tx *bolt.Tx, pattern string) int {
	counts := tx.Bucket(bucketEventCounts)
	if pattern == "" || pattern == "*" {
		if v := counts.Get([]byte("*")); v != nil {
			return int(btoi(v))
		}
		return 0
	}
	if !strings.HasSuffix(pattern, ".*") {
		if v := counts.Get([]byte(pattern)); v != nil {
			return int(btoi(v))
		}
		return 0
	}
	prefix := []byte(strings.TrimSuffix(pattern, "*"))
	total := 0
	c := counts.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		total += int(btoi(v))
	}
	return total
}

// EventSeq returns the log position of an event id from this store.
func (s *Store) EventSeq(id string) (uint64, error) {
	if _, err := s.Event(id, nil); err != nil {
		return 0, err
	}
	return parseEventID(id, s.mode)
}

// LastEventSeq is the position of the newest event (0 for an empty log).
func (s *Store) LastEventSeq() (uint64, error) {
	var seq uint64
	err := s.view(func(tx *bolt.Tx) error {
		seq = tx.Bucket(bucketEvents).Sequence()
		return nil
	})
	return seq, err
}
