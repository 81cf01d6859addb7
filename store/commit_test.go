package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// holdWriteLoop parks the write loop inside a commit of its own until the
// returned release is called. Writes queued meanwhile share the next commit.
func holdWriteLoop(t *testing.T, s *Store) (release func()) {
	t.Helper()
	started, gate := make(chan struct{}), make(chan struct{})
	var once sync.Once
	errc := make(chan error, 1)
	go func() {
		errc <- s.update(context.Background(), func(tx *bolt.Tx) error {
			once.Do(func() { close(started) })
			<-gate
			return nil
		})
	}()
	<-started
	return func() {
		close(gate)
		if err := <-errc; err != nil {
			t.Errorf("holding write failed: %v", err)
		}
	}
}

// queue hands fn to the write loop without waiting, as update does.
func queue(s *Store, fn writeFunc) *writeReq {
	req := &writeReq{fn: fn, done: make(chan error, 1)}
	s.writes <- req
	return req
}

func TestConcurrentWritersAllSucceedAndAreDurable(t *testing.T) {
	s := openTest(t)
	const writers, each = 8, 25
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	ids := make(chan uint64, writers*each)
	for w := range writers {
		wg.Go(func() {
			<-start
			for i := range each {
				c, err := s.CreateCustomer(context.Background(), CustomerInput{Name: fmt.Sprintf("Writer %d customer %d", w, i)})
				errs <- err
				ids <- c.ID
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	close(ids)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent CreateCustomer: %v", err)
		}
	}
	seen := map[uint64]bool{}
	for id := range ids {
		if id == 0 || id > writers*each || seen[id] {
			t.Fatalf("id %d is out of range or handed out twice", id)
		}
		seen[id] = true
	}

	s = reopen(t, s, Options{})
	page, err := s.ListCustomers(ListQuery{Page: 1, PerPage: 1000}, "")
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != writers*each || len(page.Items) != writers*each {
		t.Fatalf("after reopen: total %d, items %d; want %d", page.Total, len(page.Items), writers*each)
	}
	for id := range seen {
		if _, err := s.Customer(id); err != nil {
			t.Errorf("customer %d lost after reopen: %v", id, err)
		}
	}
	if n := len(eventsAfter(t, s, 0)); n != writers*each {
		t.Errorf("event log holds %d events, want %d customer.created", n, writers*each)
	}
}

func TestFailingWritesInABatchDoNotFailOrLoseTheOthers(t *testing.T) {
	s := openTest(t)
	c := mustCustomer(t, s, CustomerInput{Name: "Batch Customer"})
	errBoom := errors.New("boom")

	type result struct {
		req    *writeReq
		ticket *Ticket
		txID   *int
	}
	okWrite := func(i int) result {
		r := result{ticket: new(Ticket), txID: new(int)}
		r.req = queue(s, func(tx *bolt.Tx) error {
			tk, err := s.createTicket(tx, TicketInput{CustomerID: c.ID, Issue: fmt.Sprintf("batched %d", i)}, nil)
			*r.ticket, *r.txID = tk, tx.ID()
			return err
		})
		return r
	}

	release := holdWriteLoop(t, s)
	var oks []result
	oks = append(oks, okWrite(0))
	failing := queue(s, func(tx *bolt.Tx) error {
		// A write that fails after writing must leave no trace.
		if err := tx.Bucket(bucketSettings).Put([]byte("partial"), []byte("x")); err != nil {
			return err
		}
		return fmt.Errorf("request 2: %w", errBoom)
	})
	oks = append(oks, okWrite(1))
	panicking := queue(s, func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketSettings).Put([]byte("partial-panic"), []byte("x")); err != nil {
			return err
		}
		panic("a bug in one write")
	})
	oks = append(oks, okWrite(2))
	invalid := queue(s, func(tx *bolt.Tx) error {
		_, err := s.createTicket(tx, TicketInput{CustomerID: c.ID, Issue: "bad", Status: "Teleported"}, nil)
		return err
	})
	oks = append(oks, okWrite(3))
	release()

	if err := <-failing.done; !errors.Is(err, errBoom) {
		t.Errorf("failing write got %v, want its own error", err)
	}
	if err := <-panicking.done; err == nil || !strings.Contains(err.Error(), "panic") {
		t.Errorf("panicking write got %v, want a panic error", err)
	}
	wantFields(t, <-invalid.done, "status")
	for i, r := range oks {
		if err := <-r.req.done; err != nil {
			t.Fatalf("write %d failed alongside the failing ones: %v", i, err)
		}
		// Retried without the failures, the survivors still draw consecutive
		// ids and numbers: nothing leaked from the rolled-back attempts.
		if r.ticket.ID != uint64(i+1) || r.ticket.Number != uint64(firstTicketNumber+i) {
			t.Errorf("write %d made ticket id %d number %d, want id %d number %d",
				i, r.ticket.ID, r.ticket.Number, i+1, firstTicketNumber+i)
		}
		if *r.txID != *oks[0].txID {
			t.Errorf("write %d committed in tx %d, write 0 in tx %d: not one shared commit", i, *r.txID, *oks[0].txID)
		}
	}

	s = reopen(t, s, Options{})
	page, err := s.ListTickets(ListQuery{Page: 1, PerPage: 50})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != len(oks) || len(page.Items) != len(oks) {
		t.Fatalf("after reopen %d tickets (total %d), want %d", len(page.Items), page.Total, len(oks))
	}
	created := 0
	for _, e := range eventsAfter(t, s, 0) {
		if e.Name == "ticket.created" {
			created++
		}
	}
	if created != len(oks) {
		t.Errorf("%d ticket.created events, want %d", created, len(oks))
	}
	err = s.view(func(tx *bolt.Tx) error {
		for _, k := range []string{"partial", "partial-panic"} {
			if tx.Bucket(bucketSettings).Get([]byte(k)) != nil {
				t.Errorf("a failed write's %q survived", k)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestPanickingWriteReturnsErrorAndStoreKeepsWorking(t *testing.T) {
	s := openTest(t)
	err := s.update(t.Context(), func(*bolt.Tx) error { panic("kaboom") })
	if err == nil || !strings.Contains(err.Error(), "kaboom") {
		t.Fatalf("update with a panicking fn = %v, want an error naming the panic", err)
	}
	mustCustomer(t, s, CustomerInput{Name: "After Panic"})
}

func TestCloseCommitsWritesAlreadyQueued(t *testing.T) {
	s := openTest(t)
	path := s.Path()
	release := holdWriteLoop(t, s)
	var reqs []*writeReq
	for i := range 5 {
		reqs = append(reqs, queue(s, func(tx *bolt.Tx) error {
			return tx.Bucket(bucketSettings).Put(fmt.Appendf(nil, "queued-%d", i), []byte("x"))
		}))
	}
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	<-s.quit // Close has begun: the loop must still finish what was queued.
	release()
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	for i, r := range reqs {
		if err := <-r.done; err != nil {
			t.Errorf("queued write %d: %v", i, err)
		}
	}
	s = openAt(t, path, Options{})
	s.view(func(tx *bolt.Tx) error {
		for i := range reqs {
			if tx.Bucket(bucketSettings).Get(fmt.Appendf(nil, "queued-%d", i)) == nil {
				t.Errorf("queued write %d was acknowledged but not stored", i)
			}
		}
		return nil
	})
}

func TestWritesAfterCloseReturnErrClosed(t *testing.T) {
	s := openTest(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		for range 50 {
			if _, err := s.CreateCustomer(context.Background(), CustomerInput{Name: "Too Late"}); !errors.Is(err, ErrClosed) {
				done <- fmt.Errorf("CreateCustomer after Close = %v, want ErrClosed", err)
				return
			}
		}
		done <- nil
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second): // a guard against a hang, not a wait
		t.Fatal("a write after Close never returned")
	}
}

func TestCanceledContextBeforeQueueingIsReported(t *testing.T) {
	s := openTest(t)
	release := holdWriteLoop(t, s)
	// Fill the queue so the next write cannot be handed over.
	var queued []*writeReq
	for range cap(s.writes) {
		queued = append(queued, queue(s, func(*bolt.Tx) error { return nil }))
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := s.CreateCustomer(ctx, CustomerInput{Name: "Nobody"})
	release()
	for _, r := range queued {
		<-r.done
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("CreateCustomer with a canceled context and a full queue = %v, want context.Canceled", err)
	}
	if page, _ := s.ListCustomers(ListQuery{Page: 1, PerPage: 10}, ""); page.Total != 0 {
		t.Fatalf("the canceled write landed anyway: %d customers", page.Total)
	}
}
