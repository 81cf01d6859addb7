package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

const day = 24 * time.Hour

// prune removes what a 30-day window lets go, holding back from hold.
func prune(t *testing.T, s *Store, hold func() uint64) PruneResult {
	t.Helper()
	r, err := s.PruneEvents(t.Context(), PruneOptions{Keep: 30 * day, Hold: hold})
	if err != nil {
		t.Fatalf("PruneEvents: %v", err)
	}
	return r
}

// caughtUp fans out every event, as the webhook engine does after each commit.
func caughtUp(t *testing.T, s *Store) {
	t.Helper()
	for fanOut(t, s) > 0 {
	}
}

// wantGone checks that err says since is gone and names oldest.
func wantGone(t *testing.T, err error, since, oldest string) {
	t.Helper()
	var gone *GoneError
	if !errors.As(err, &gone) || gone.Since != since || gone.Oldest != oldest {
		t.Fatalf("error = %v, want GoneError{%s, oldest %s}", err, since, oldest)
	}
}

func idOf(t *testing.T, ev StoredEvent) string {
	t.Helper()
	return decode[Event](t, ev.JSON).EventID
}

// Events older than the window go, with their name index and counts;
// a cursor from before what is kept is a GoneError naming the oldest kept.
func TestPruneRemovesEventsOlderThanTheWindow(t *testing.T) {
	t.Parallel()
	s, clock := openTestClock(t)
	for i := range 5 {
		mustCustomer(t, s, CustomerInput{Name: fmt.Sprintf("Old %d", i)})
	}
	old := eventsAfter(t, s, 0)
	clock.Advance(29 * day)
	mustCustomer(t, s, CustomerInput{Name: "Within the window"})
	caughtUp(t, s)
	if r := prune(t, s, nil); r.Events != 0 {
		t.Fatalf("at day 29 pruned %d events, want none", r.Events)
	}
	clock.Advance(2 * day) // day 31: the first five are past 30 days
	mustCustomer(t, s, CustomerInput{Name: "New"})
	caughtUp(t, s)
	r := prune(t, s, nil)
	if r.Events != 5 || r.HeldBack {
		t.Fatalf("pruned %+v, want the 5 old events", r)
	}
	kept := eventsAfter(t, s, 0)
	if got := eventNames(kept); len(got) != 2 || kept[0].Seq != old[4].Seq+1 {
		t.Fatalf("log keeps %v from seq %d, want the 2 newer events", got, kept[0].Seq)
	}
	page, err := s.ListEvents(EventQuery{Pattern: "customer.created", Page: 1, PerPage: 50})
	if err != nil || page.Total != 2 || len(page.Items) != 2 {
		t.Fatalf("customer.created lists %d of total %d (%v), want the 2 kept", len(page.Items), page.Total, err)
	}
	if all, _ := s.ListEvents(EventQuery{Page: 1, PerPage: 50}); all.Total != 2 {
		t.Fatalf("the log counts %d events, want the 2 kept", all.Total)
	}

	oldest := idOf(t, kept[0])
	for _, ev := range old {
		_, err := s.ListEvents(EventQuery{Since: idOf(t, ev), Page: 1, PerPage: 50})
		wantGone(t, err, idOf(t, ev), oldest)
		_, err = s.Resume(idOf(t, ev), nil)
		wantGone(t, err, idOf(t, ev), oldest)
	}
	page, err = s.ListEvents(EventQuery{Since: oldest, Page: 1, PerPage: 50})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("since the oldest kept: %d events, %v; want the newest", len(page.Items), err)
	}
	if seq, err := s.Resume(oldest, nil); err != nil || seq != kept[0].Seq {
		t.Fatalf("Resume(oldest kept) = %d, %v", seq, err)
	}
	if got, _ := s.OldestEventID(); got != oldest {
		t.Fatalf("OldestEventID = %s, want %s", got, oldest)
	}
	if again := prune(t, s, nil); again.Events != 0 {
		t.Fatalf("a second prune removed %d more", again.Events)
	}
}

// Nothing the fan-out has not passed is pruned: not the event at its cursor,
// nor any later one, however old.
func TestPruneKeepsWhatTheFanOutHasNotPassed(t *testing.T) {
	t.Parallel()
	s, clock := openTestClock(t)
	for i := range 10 {
		mustCustomer(t, s, CustomerInput{Name: fmt.Sprintf("C%d", i)})
	}
	evs := eventsAfter(t, s, 0)
	clock.Advance(40 * day)
	if r := prune(t, s, nil); r.Events != 0 || !r.HeldBack {
		t.Fatalf("before any fan-out pruned %+v, want nothing, held back", r)
	}
	if _, err := s.FanOut(t.Context(), 4, routeTo(1)); err != nil { // cursor at the 4th event
		t.Fatal(err)
	}
	if r := prune(t, s, nil); r.Events != 3 || !r.HeldBack {
		t.Fatalf("with the cursor at the 4th event pruned %+v, want the 3 before it", r)
	}
	if kept := eventsAfter(t, s, 0); kept[0].Seq != evs[3].Seq || len(kept) != 7 {
		t.Fatalf("log keeps %d events from seq %d, want 7 from the cursor's (%d)", len(kept), kept[0].Seq, evs[3].Seq)
	}
}

// A reader's hold keeps its event and every later one.
func TestPruneKeepsWhatAReaderHolds(t *testing.T) {
	t.Parallel()
	s, clock := openTestClock(t)
	for i := range 10 {
		mustCustomer(t, s, CustomerInput{Name: fmt.Sprintf("C%d", i)})
	}
	evs := eventsAfter(t, s, 0)
	clock.Advance(40 * day)
	mustCustomer(t, s, CustomerInput{Name: "New"})
	caughtUp(t, s)
	hold := evs[6].Seq
	if r := prune(t, s, func() uint64 { return hold }); r.Events != 6 || !r.HeldBack {
		t.Fatalf("holding the 7th event pruned %+v, want the 6 before it", r)
	}
	// A reader resuming takes its hold before the check.
	var held uint64
	if seq, err := s.Resume(idOf(t, evs[7]), func(next uint64) { held = next }); err != nil || held != seq+1 {
		t.Fatalf("Resume held %d for seq %d (%v), want the next one", held, seq, err)
	}
	hold = 0 // released
	if r := prune(t, s, func() uint64 { return hold }); r.Events != 4 || r.HeldBack {
		t.Fatalf("after the reader let go pruned %+v, want the other 4 old ones", r)
	}
}

// A delivery made before the cut keeps its payload, can be redelivered, and
// a pending retry goes out with the same bytes; a "Send test" delivery in
// between is untouched, and a later event's delivery still reads the log.
func TestDeliveriesOfPrunedEventsKeepTheirPayload(t *testing.T) {
	t.Parallel()
	s, clock := openTestClock(t)
	sealer := testSealer(t)
	w := mustWebhook(t, s, sealer, hookSecret(t), WebhookInput{Events: []string{"*"}})
	mustCustomer(t, s, CustomerInput{Name: "Delivered"})
	sample, err := s.TestDelivery(t.Context(), w.ID, "ticket.created", []byte(`{"ticket_id":1}`), sealer)
	if err != nil {
		t.Fatal(err)
	}
	mustCustomer(t, s, CustomerInput{Name: "Retried"})
	logged := eventsAfter(t, s, 0)
	caughtUp(t, s)
	leased := leaseAt(t, s, sealer, clock.Now())
	if len(leased) != 2 {
		t.Fatalf("leased %d, want 2", len(leased))
	}
	record(t, s, leased[0], Attempt{StatusCode: 200}, Outcome{Delivered: true}, 50)
	retryAt := clock.Now().Add(32 * day)
	record(t, s, leased[1], failed500, Outcome{RetryAt: &retryAt}, 50)
	before := map[string]DeliveryDetail{}
	for _, l := range append(leased, sample) {
		before[l.Delivery.ID] = detail(t, s, l.Delivery.ID)
	}

	clock.Advance(31 * day)
	mustCustomer(t, s, CustomerInput{Name: "After the cut"})
	caughtUp(t, s)
	r := prune(t, s, nil)
	if r.Events != 2 || r.Deliveries != 2 {
		t.Fatalf("pruned %+v, want 2 events and their 2 deliveries detached", r)
	}
	for i, l := range leased {
		d := detail(t, s, l.Delivery.ID)
		if !bytes.Equal(d.Payload, logged[i].JSON) || !slices.EqualFunc(d.Attempts, before[l.Delivery.ID].Attempts,
			func(a, b Attempt) bool { return a.N == b.N && a.StatusCode == b.StatusCode }) {
			t.Fatalf("%s after the cut: payload %s and %d attempts, want %s and %d", l.Delivery.ID, d.Payload,
				len(d.Attempts), logged[i].JSON, len(before[l.Delivery.ID].Attempts))
		}
		again, err := s.Redelivery(l.Delivery.ID, sealer)
		if err != nil || !bytes.Equal(again.Payload, logged[i].JSON) {
			t.Fatalf("Redelivery(%s) = %s, %v; want the event's bytes", l.Delivery.ID, again.Payload, err)
		}
	}
	if d := detail(t, s, sample.Delivery.ID); !bytes.Equal(d.Payload, before[sample.Delivery.ID].Payload) {
		t.Fatalf("the sample delivery's payload changed: %s", d.Payload)
	}
	// The failing webhook takes one delivery at a time: the new one first.
	for _, l := range leaseAt(t, s, sealer, clock.Now()) {
		record(t, s, l, Attempt{StatusCode: 200}, Outcome{Delivered: true}, 50)
	}
	retry := leaseAt(t, s, sealer, retryAt)
	var found bool
	for _, l := range retry {
		if l.Delivery.ID == leased[1].Delivery.ID {
			found = bytes.Equal(l.Payload, logged[1].JSON)
		}
	}
	if !found {
		t.Fatalf("the pending retry leased at its time: %v, want %s with its event's bytes", leasedIDs(retry), leased[1].Delivery.ID)
	}
	// The newest delivery still names its event in the log.
	newest := deliveriesOf(t, s, w.ID)[0]
	if err := s.view(func(tx *bolt.Tx) error {
		d, err := getDelivery(tx, mustDeliverySeq(t, newest.ID))
		if err == nil && (d.EventSeq == 0 || d.Payload != nil) {
			return fmt.Errorf("%+v holds its own payload, want the log's", d)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

func mustDeliverySeq(t *testing.T, id string) uint64 {
	t.Helper()
	seq, ok := ParseDeliveryID(id)
	if !ok {
		t.Fatalf("not a delivery id: %s", id)
	}
	return seq
}

// A ticket's timeline shows the same events, byte for byte, after the log
// pruned the older ones; its later events still come from the log.
func TestTimelineKeepsItsPrunedEvents(t *testing.T) {
	t.Parallel()
	s, clock := openTestClock(t)
	_, tk := ticketFor(t, s, "Ada")
	mustUpdateTicket(t, s, tk.ID, TicketPatch{Priority: ptr("high")})
	if _, err := s.AddNote(t.Context(), tk.ID, NoteInput{Body: "ordered a screen"}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(31 * day)
	mustUpdateTicket(t, s, tk.ID, TicketPatch{Status: ptr("In Progress")})
	timeline := func() []json.RawMessage {
		page, err := s.TicketEvents(tk.ID, 1, 100, nil)
		if err != nil {
			t.Fatal(err)
		}
		return page.Items
	}
	before := timeline()
	caughtUp(t, s)
	r := prune(t, s, nil)
	if r.Events == 0 || r.Timeline == 0 {
		t.Fatalf("pruned %+v, want old ticket events moved into the timeline", r)
	}
	if after := timeline(); !slices.EqualFunc(before, after, func(a, b json.RawMessage) bool { return bytes.Equal(a, b) }) {
		t.Fatalf("timeline after the cut:\n%s\nwant:\n%s", after, before)
	}
	if names := timelineNames(t, s, tk.ID); len(names) != len(before) {
		t.Fatalf("timeline %v", names)
	}
}

// Pruning goes in bounded transactions through the shared writer: a write
// made while it is under way commits between two of them, and a pruner
// stopped half way carries on where it was.
func TestWritesProceedWhilePruningRuns(t *testing.T) {
	t.Parallel()
	s, clock := openTestClock(t)
	for i := range 100 {
		mustCustomer(t, s, CustomerInput{Name: fmt.Sprintf("C%d", i)})
	}
	clock.Advance(31 * day)
	mustCustomer(t, s, CustomerInput{Name: "New"})
	caughtUp(t, s)
	written := make(chan error, 1)
	var batches int
	r, err := s.PruneEvents(t.Context(), PruneOptions{Keep: 30 * day, Batch: 10, afterBatch: func(PruneResult) {
		switch batches++; batches {
		case 1:
			go func() {
				_, err := s.CreateCustomer(t.Context(), CustomerInput{Name: "During the prune"})
				written <- err
			}()
		case 2:
			// A pruner that kept writes out until it was done would never get past here.
			if err := <-written; err != nil {
				t.Errorf("a write during the prune: %v", err)
			}
		}
	}})
	if err != nil || r.Events != 100 || r.Batches != 10 {
		t.Fatalf("PruneEvents = %+v, %v; want 100 events in 10 transactions", r, err)
	}
	if kept := eventsAfter(t, s, 0); len(kept) != 2 {
		t.Fatalf("log keeps %v, want the 2 new events", eventNames(kept))
	}
}

// Writers, the fan-out and the pruner running at once leave a consistent
// log: counts match what is kept and every timeline entry still reads.
func TestPruneUnderConcurrentWrites(t *testing.T) {
	t.Parallel()
	s, clock := openTestClock(t)
	_, tk := ticketFor(t, s, "Ada")
	for i := range 200 {
		mustUpdateTicket(t, s, tk.ID, TicketPatch{Priority: ptr(Priorities[i%len(Priorities)])})
	}
	clock.Advance(31 * day)
	caughtUp(t, s)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				if _, err := s.CreateCustomer(t.Context(), CustomerInput{Name: fmt.Sprintf("W%d-%d", w, i)}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if _, err := s.PruneEvents(t.Context(), PruneOptions{Keep: 30 * day, Batch: 16}); err != nil {
			t.Error(err)
		}
	}()
	wg.Wait()
	caughtUp(t, s)
	prune(t, s, nil)
	kept := eventsAfter(t, s, 0)
	if page, _ := s.ListEvents(EventQuery{Page: 1, PerPage: 1}); page.Total != len(kept) || len(kept) != 100 {
		t.Fatalf("log counts %d and keeps %d, want the 100 new events", page.Total, len(kept))
	}
	if names := timelineNames(t, s, tk.ID); len(names) != 100 { // the first page of its 201 events
		t.Fatalf("timeline reads %d events", len(names))
	}
	if page, err := s.TicketEvents(tk.ID, 1, 1000, nil); err != nil || page.Total != 201 {
		t.Fatalf("timeline total %d (%v), want 201", page.Total, err)
	}
}

func TestRetentionShorterThanADayIsRefused(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	if _, err := s.PruneEvents(t.Context(), PruneOptions{Keep: 23 * time.Hour}); err == nil {
		t.Fatal("a 23 h window was accepted")
	}
}
