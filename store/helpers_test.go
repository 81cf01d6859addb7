package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"
)

// testClock is the injected clock of a test store. It only moves when the
// test moves it, so times (and therefore sort orders and expiries) are exact.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock() *testClock {
	return &testClock{now: time.Date(2026, 3, 15, 9, 0, 0, 0, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// openTest opens a fresh live store in the test's temporary folder.
func openTest(t testing.TB) *Store {
	t.Helper()
	s, _ := openTestClock(t)
	return s
}

// openTestClock opens a fresh live store whose clock the test drives.
func openTestClock(t testing.TB) (*Store, *testClock) {
	t.Helper()
	clock := newTestClock()
	s := openAt(t, filepath.Join(t.TempDir(), "live.db"), Options{Now: clock.Now})
	return s, clock
}

// openAt opens the store at path and closes it when the test ends (Close is
// idempotent, so a test may close it earlier and reopen the file).
func openAt(t testing.TB, path string, opts Options) *Store {
	t.Helper()
	s, err := Open(path, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// reopen closes s and opens its file again with opts.
func reopen(t *testing.T, s *Store, opts Options) *Store {
	t.Helper()
	path := s.Path()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return openAt(t, path, opts)
}

func mustCustomer(t testing.TB, s *Store, in CustomerInput) Customer {
	t.Helper()
	c, err := s.CreateCustomer(t.Context(), in)
	if err != nil {
		t.Fatalf("CreateCustomer(%+v): %v", in, err)
	}
	return c
}

func mustTicket(t *testing.T, s *Store, in TicketInput) Ticket {
	t.Helper()
	tk, err := s.CreateTicket(t.Context(), in)
	if err != nil {
		t.Fatalf("CreateTicket(%+v): %v", in, err)
	}
	return tk
}

// ticketFor creates a customer and an open ticket for them.
func ticketFor(t *testing.T, s *Store, name string) (Customer, Ticket) {
	t.Helper()
	c := mustCustomer(t, s, CustomerInput{Name: name})
	return c, mustTicket(t, s, TicketInput{CustomerID: c.ID, Issue: "cracked screen"})
}

func mustUpdateTicket(t *testing.T, s *Store, id uint64, p TicketPatch) Ticket {
	t.Helper()
	tk, err := s.UpdateTicket(t.Context(), id, p)
	if err != nil {
		t.Fatalf("UpdateTicket(%d): %v", id, err)
	}
	return tk
}

func ptr[T any](v T) *T { return &v }

func money(t *testing.T, s string) *Money {
	t.Helper()
	var m Money
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("money %s: %v", s, err)
	}
	return &m
}

func decode[T any](t *testing.T, raw []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decode %T from %s: %v", v, raw, err)
	}
	return v
}

func loadTicket(t *testing.T, s *Store, id uint64) Ticket {
	t.Helper()
	raw, err := s.Ticket(id)
	if err != nil {
		t.Fatalf("Ticket(%d): %v", id, err)
	}
	return decode[Ticket](t, raw)
}

// wantFields asserts err is a *ValidationError naming exactly these fields.
func wantFields(t *testing.T, err error, fields ...string) {
	t.Helper()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error = %v, want a validation error naming %v", err, fields)
	}
	var got []string
	for _, f := range ve.Fields {
		if f.Message == "" {
			t.Errorf("field %s has no message", f.Field)
		}
		got = append(got, f.Field)
	}
	sort.Strings(got)
	want := slices.Clone(fields)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Fatalf("validation error names %v, want %v (%v)", got, want, err)
	}
}

func wantConflict(t *testing.T, err error) {
	t.Helper()
	var ce *ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("error = %v, want a *ConflictError", err)
	}
}

func wantNotFound(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("error = %v, want ErrNotFound", err)
	}
}

// lastSeq is the sequence of the newest event in the log (0 when empty).
func lastSeq(t *testing.T, s *Store) uint64 {
	t.Helper()
	evs := eventsAfter(t, s, 0)
	if len(evs) == 0 {
		return 0
	}
	return evs[len(evs)-1].Seq
}

// eventsAfter returns every event after seq, oldest first.
func eventsAfter(t *testing.T, s *Store, seq uint64) []StoredEvent {
	t.Helper()
	evs, err := s.EventsAfter(seq, 1<<20)
	if err != nil {
		t.Fatalf("EventsAfter: %v", err)
	}
	return evs
}

func eventNames(evs []StoredEvent) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Name
	}
	return out
}

// expectEvents runs op and asserts it appended exactly these events, in order.
// It returns them decoded.
func expectEvents(t *testing.T, s *Store, want []string, op func() error) []Event {
	t.Helper()
	before := lastSeq(t, s)
	if err := op(); err != nil {
		t.Fatalf("operation failed: %v", err)
	}
	evs := eventsAfter(t, s, before)
	if got := eventNames(evs); !slices.Equal(got, want) {
		t.Fatalf("events appended = %v, want %v", got, want)
	}
	out := make([]Event, len(evs))
	for i, e := range evs {
		out[i] = decode[Event](t, e.JSON)
	}
	return out
}

// dataOf decodes an event's data object.
func dataOf(t *testing.T, e Event) map[string]json.RawMessage {
	t.Helper()
	return decode[map[string]json.RawMessage](t, e.Data)
}

// statusChange reads data.changes.status of a ticket event.
func statusChange(t *testing.T, e Event) (from, to string) {
	t.Helper()
	var d struct {
		Changes struct {
			Status struct{ From, To string } `json:"status"`
		} `json:"changes"`
	}
	if err := json.Unmarshal(e.Data, &d); err != nil {
		t.Fatalf("event data %s: %v", e.Data, err)
	}
	return d.Changes.Status.From, d.Changes.Status.To
}

func idsOf(t *testing.T, items []json.RawMessage) []uint64 {
	t.Helper()
	out := make([]uint64, len(items))
	for i, raw := range items {
		out[i] = decode[struct {
			ID uint64 `json:"id"`
		}](t, raw).ID
	}
	return out
}

func describe(q ListQuery) string {
	s := fmt.Sprintf("filters=%v sort=%s desc=%v page=%d per_page=%d", q.Filters, q.Sort, q.Desc, q.Page, q.PerPage)
	if q.SinceID > 0 {
		s += fmt.Sprintf(" since_id=%d", q.SinceID)
	}
	if q.UpdatedAfter != nil {
		s += " updated_after=" + q.UpdatedAfter.Format(time.RFC3339)
	}
	return s
}
