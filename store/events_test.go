package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func TestEveryChangeAppendsItsEventsAndRefusalsAppendNone(t *testing.T) {
	s := openTest(t)
	ctx := t.Context()
	c := mustCustomer(t, s, CustomerInput{Name: "Counted"})
	tk := mustTicket(t, s, TicketInput{CustomerID: c.ID, Issue: "x"})
	steps := []struct {
		name string
		want []string
		op   func() error
	}{
		{"create customer", []string{"customer.created"}, func() error {
			_, err := s.CreateCustomer(ctx, CustomerInput{Name: "Other"})
			return err
		}},
		{"update customer", []string{"customer.updated"}, func() error {
			_, err := s.UpdateCustomer(ctx, c.ID, CustomerPatch{Notes: ptr("VIP")})
			return err
		}},
		{"create ticket", []string{"ticket.created"}, func() error {
			_, err := s.CreateTicket(ctx, TicketInput{CustomerID: c.ID, Issue: "y"})
			return err
		}},
		{"change priority", []string{"ticket.updated"}, func() error {
			_, err := s.UpdateTicket(ctx, tk.ID, TicketPatch{Priority: ptr("high")})
			return err
		}},
		{"update shop", []string{"store.updated"}, func() error {
			_, err := s.UpdateShop(ctx, ShopPatch{Name: ptr("Fixit")})
			return err
		}},
		{"set statuses", []string{"store.updated"}, func() error {
			_, err := s.SetStatuses(ctx, append(DefaultStatuses(), Status{Name: "On Hold"}))
			return err
		}},
		{"refused payment", nil, func() error {
			_, _, err := s.AddPayment(ctx, tk.ID, PaymentInput{Amount: ptr(Money(1))})
			return expect(err, "exceeds")
		}},
		{"refused ticket", nil, func() error {
			_, err := s.CreateTicket(ctx, TicketInput{CustomerID: c.ID, Issue: "z", Status: "Nope"})
			return expect(err, "invalid")
		}},
		{"refused delete", nil, func() error { return expect(s.DeleteCustomer(ctx, c.ID), "open ticket") }},
		{"refused status removal", nil, func() error {
			_, err := s.SetStatuses(ctx, DefaultStatuses()[1:])
			return expect(err, "")
		}},
		{"key and session writes are not events", nil, func() error {
			if _, err := s.CreateKey(ctx, KeyInput{Type: KeyInternal, Name: "ops"}, nil); err != nil {
				return err
			}
			_, err := s.NewSession(ctx, 1)
			return err
		}},
	}
	for _, st := range steps {
		total := func() int {
			p, err := s.ListEvents(EventQuery{Page: 1, PerPage: 1})
			if err != nil {
				t.Fatal(err)
			}
			return p.Total
		}
		before := total()
		expectEvents(t, s, st.want, st.op)
		if after := total(); after != before+len(st.want) {
			t.Errorf("%s: event total went from %d to %d, want +%d", st.name, before, after, len(st.want))
		}
	}
}

// expect turns an expected failure into success, and anything else into an error.
func expect(err error, contains string) error {
	if err == nil {
		return errors.New("operation succeeded, want a refusal")
	}
	if !strings.Contains(err.Error(), contains) {
		return fmt.Errorf("refusal %q does not mention %q", err, contains)
	}
	return nil
}

func TestEventsAreWrittenInTheSameTransactionAsTheirChange(t *testing.T) {
	s := openTest(t)
	c := mustCustomer(t, s, CustomerInput{Name: "Atomic"})
	const writers, each = 4, 25
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range writers {
		wg.Go(func() {
			for range each {
				if _, err := s.CreateTicket(context.Background(), TicketInput{CustomerID: c.ID, Issue: "race"}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	go func() { wg.Wait(); close(stop) }()
	// Every snapshot a reader can see has exactly one ticket.created per ticket.
	var bad error
	for done := false; !done && bad == nil; {
		select {
		case <-stop:
			done = true // one last read after the writers finished
		default:
		}
		bad = s.view(func(tx *bolt.Tx) error {
			records := tx.Bucket(tickets.records).Stats().KeyN
			created := eventTotal(tx, "ticket.created")
			byName := 0
			c := tx.Bucket(bucketEventsByName).Cursor()
			prefix := []byte("ticket.created\x00")
			for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
				byName++
			}
			if records != created || records != byName || records != tickets.count(tx, nil) {
				return fmt.Errorf("a snapshot holds %d tickets, %d counted, %d ticket.created (%d by name)",
					records, tickets.count(tx, nil), created, byName)
			}
			return nil
		})
	}
	<-stop
	if bad != nil {
		t.Fatal(bad)
	}
	page, _ := s.ListTickets(ListQuery{Page: 1, PerPage: 1})
	if page.Total != writers*each {
		t.Fatalf("%d tickets, want %d", page.Total, writers*each)
	}
}

func TestEventIDsIncreaseAndParseBack(t *testing.T) {
	s, clock := openTestClock(t)
	for i := range 10 {
		// The clock steps back now and then; ids must still increase.
		if i%3 == 2 {
			clock.Advance(-time.Hour)
		} else {
			clock.Advance(time.Millisecond)
		}
		mustCustomer(t, s, CustomerInput{Name: fmt.Sprintf("C%d", i)})
	}
	evs := eventsAfter(t, s, 0)
	if len(evs) != 10 {
		t.Fatalf("%d events, want 10", len(evs))
	}
	prev := ""
	for i, e := range evs {
		ev := decode[Event](t, e.JSON)
		if !strings.HasPrefix(ev.EventID, EventIDPrefix) || len(ev.EventID) != len(EventIDPrefix)+26 {
			t.Fatalf("event id %q is not evt_ + 26 characters", ev.EventID)
		}
		if ev.EventID <= prev {
			t.Fatalf("event %d id %s does not sort after %s", i, ev.EventID, prev)
		}
		prev = ev.EventID
		seq, err := parseEventID(ev.EventID, Live)
		if err != nil || seq != e.Seq || e.Seq != uint64(i+1) {
			t.Fatalf("parseEventID(%s) = %d, %v; want %d", ev.EventID, seq, err, e.Seq)
		}
		if ev.Event != e.Name || ev.StoreID != 1 || ev.Timestamp.Location() != time.UTC {
			t.Errorf("event %s: %+v", ev.EventID, ev)
		}
		raw, err := s.Event(ev.EventID, nil)
		if err != nil || string(raw) != string(e.JSON) {
			t.Errorf("Event(%s) = %s, %v", ev.EventID, raw, err)
		}
	}
	for _, bad := range []string{"", "evt_", "evt_" + strings.Repeat("Z", 26), "evt_" + strings.Repeat("0", 25) + "U", prev[:len(prev)-1]} {
		if _, err := parseEventID(bad, Live); err == nil {
			t.Errorf("parseEventID(%q) accepted a malformed id", bad)
		}
	}
	_, err := s.Event("evt_"+strings.Repeat("0", 25)+"Z", nil) // well formed, not in the log
	wantNotFound(t, err)
}

func TestEventIDsOfOneStoreAreNotFoundInTheOther(t *testing.T) {
	dir := t.TempDir()
	live := openAt(t, filepath.Join(dir, "live.db"), Options{Mode: Live})
	test := openAt(t, filepath.Join(dir, "test.db"), Options{Mode: Test})
	mustCustomer(t, live, CustomerInput{Name: "L"})
	mustCustomer(t, test, CustomerInput{Name: "T"})
	liveID := decode[Event](t, eventsAfter(t, live, 0)[0].JSON).EventID
	testID := decode[Event](t, eventsAfter(t, test, 0)[0].JSON).EventID
	if liveID == testID {
		t.Fatalf("both stores minted %s", liveID)
	}
	if _, err := live.Event(testID, nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("live store found the test store's event: %v", err)
	}
	if _, err := test.Event(testID, nil); err != nil {
		t.Errorf("test store lost its own event: %v", err)
	}
	_, err := live.ListEvents(EventQuery{Since: testID, Page: 1, PerPage: 10})
	wantFields(t, err, "since")
}

func TestListEventsNewestFirstOrOldestFirstSince(t *testing.T) {
	s := openTest(t)
	c := mustCustomer(t, s, CustomerInput{Name: "Log"})                    // 1 customer.created
	tk := mustTicket(t, s, TicketInput{CustomerID: c.ID, Issue: "screen"}) // 2 ticket.created
	mustUpdateTicket(t, s, tk.ID, TicketPatch{Status: ptr("In Progress")}) // 3 updated, 4 status_changed
	if _, err := s.UpdateCustomer(t.Context(), c.ID, CustomerPatch{Name: ptr("Log 2")}); err != nil {
		t.Fatal(err) // 5 customer.updated
	}
	all := eventsAfter(t, s, 0)
	ids := make([]string, len(all))
	for i, e := range all {
		ids[i] = decode[Event](t, e.JSON).EventID
	}
	list := func(q EventQuery) ([]string, Page) {
		t.Helper()
		p, err := s.ListEvents(q)
		if err != nil {
			t.Fatalf("ListEvents(%+v): %v", q, err)
		}
		var out []string
		for _, raw := range p.Items {
			out = append(out, decode[Event](t, raw).EventID)
		}
		return out, p
	}
	newest := slices.Clone(ids)
	slices.Reverse(newest)
	if got, p := list(EventQuery{Page: 1, PerPage: 3}); !slices.Equal(got, newest[:3]) || !p.HasMore || p.Total != 5 {
		t.Errorf("page 1 = %v (has_more %v, total %d), want %v", got, p.HasMore, p.Total, newest[:3])
	}
	if got, p := list(EventQuery{Page: 2, PerPage: 3}); !slices.Equal(got, newest[3:]) || p.HasMore {
		t.Errorf("page 2 = %v (has_more %v), want %v", got, p.HasMore, newest[3:])
	}
	if got, _ := list(EventQuery{Since: ids[1], Page: 1, PerPage: 10}); !slices.Equal(got, ids[2:]) {
		t.Errorf("since %s = %v, want %v", ids[1], got, ids[2:])
	}
	if got, _ := list(EventQuery{Since: ids[4], Page: 1, PerPage: 10}); len(got) != 0 {
		t.Errorf("since the newest = %v, want nothing", got)
	}
	if got, p := list(EventQuery{Pattern: "ticket.*", Page: 1, PerPage: 10}); !slices.Equal(got, []string{ids[3], ids[2], ids[1]}) || p.Total != 3 {
		t.Errorf("ticket.* = %v (total %d)", got, p.Total)
	}
	if got, p := list(EventQuery{Pattern: "customer.updated", Page: 1, PerPage: 10}); !slices.Equal(got, ids[4:]) || p.Total != 1 {
		t.Errorf("customer.updated = %v (total %d)", got, p.Total)
	}
	if got, p := list(EventQuery{Pattern: "customer.*", Since: ids[0], Page: 1, PerPage: 10}); !slices.Equal(got, ids[4:]) || p.Total != 2 {
		t.Errorf("customer.* since the first = %v (total %d)", got, p.Total)
	}
	_, err := s.ListEvents(EventQuery{Pattern: "tick*t", Page: 1, PerPage: 10})
	wantFields(t, err, "event")
	_, err = s.ListEvents(EventQuery{Since: "evt_nope", Page: 1, PerPage: 10})
	wantFields(t, err, "since")
}

func TestEventsAfterReturnsTheFollowingEventsOldestFirst(t *testing.T) {
	s := openTest(t)
	for i := range 6 {
		mustCustomer(t, s, CustomerInput{Name: fmt.Sprintf("E%d", i)})
	}
	got, err := s.EventsAfter(2, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Seq != 3 || got[2].Seq != 5 || got[0].Name != "customer.created" {
		t.Fatalf("EventsAfter(2, 3) = %+v", got)
	}
	for _, ev := range got {
		var e Event
		if err := json.Unmarshal(ev.JSON, &e); err != nil || ev.ID == "" || ev.ID != e.EventID {
			t.Fatalf("event %d: ID %q, the JSON's event_id %q (%v)", ev.Seq, ev.ID, e.EventID, err)
		}
	}
	if rest := eventsAfter(t, s, 6); len(rest) != 0 {
		t.Fatalf("EventsAfter(last) = %v", rest)
	}
}

func TestCommittedSignalsAWaitingReader(t *testing.T) {
	s := openTest(t)
	ch := s.Committed()
	select {
	case <-ch:
		t.Fatal("Committed fired before any commit")
	default:
	}
	mustCustomer(t, s, CustomerInput{Name: "Wake"})
	select {
	case <-ch:
	case <-time.After(10 * time.Second): // a guard against a hang, not a wait
		t.Fatal("Committed never fired after a commit")
	}
}

// One event name is listed through its own index: newest first, paged, and
// oldest first after since=, exactly as the scan of the whole log would.
func TestListEventsOfOneNameUsesItsIndex(t *testing.T) {
	s := openTest(t)
	var created []string
	for i := 0; i < 5; i++ {
		c := mustCustomer(t, s, CustomerInput{Name: fmt.Sprintf("C%d", i)})
		name := "Renamed"
		if _, err := s.UpdateCustomer(t.Context(), c.ID, CustomerPatch{Name: &name}); err != nil {
			t.Fatal(err)
		}
	}
	page, err := s.ListEvents(EventQuery{Pattern: "customer.created", Page: 1, PerPage: 3})
	if err != nil {
		t.Fatal(err)
	}
	for _, raw := range page.Items {
		created = append(created, eventIDOf(raw))
		if eventName(raw) != "customer.created" {
			t.Fatalf("listed %s", raw)
		}
	}
	if page.Total != 5 || !page.HasMore || len(created) != 3 || created[0] <= created[1] {
		t.Fatalf("page %d items %v total %d more %v", len(page.Items), created, page.Total, page.HasMore)
	}
	after, err := s.ListEvents(EventQuery{Pattern: "customer.created", Since: created[1], Page: 1, PerPage: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(after.Items) != 1 || eventIDOf(after.Items[0]) != created[0] {
		t.Fatalf("after %s: %d items", created[1], len(after.Items))
	}
	hidden, err := s.ListEvents(EventQuery{Pattern: "customer.created", Page: 1, PerPage: 10, Allowed: func(string) bool { return false }})
	if err != nil || len(hidden.Items) != 0 || hidden.Total != 0 {
		t.Fatalf("a reader who may not see them: %+v %v", hidden, err)
	}
}
