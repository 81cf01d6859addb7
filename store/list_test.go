package store

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"slices"
	"strconv"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ticketModel is what the test believes the store holds, built only from the
// values the store's operations returned.
type ticketModel map[uint64]Ticket

func (m ticketModel) matches(t Ticket, filters map[string]string) bool {
	for f, v := range filters {
		switch f {
		case "status":
			if t.Status != v {
				return false
			}
		case "customer_id":
			if strconv.FormatUint(t.CustomerID, 10) != v {
				return false
			}
		case "assigned_to":
			got := "none"
			if t.AssignedTo != nil {
				got = strconv.FormatUint(*t.AssignedTo, 10)
			}
			if got != v {
				return false
			}
		}
	}
	return true
}

func sortValue(t Ticket, sort string) uint64 {
	switch sort {
	case "updated_at":
		return uint64(t.UpdatedAt.Unix())
	case "due_at":
		if t.DueAt == nil {
			return ^uint64(0) // no due date sorts last
		}
		return uint64(t.DueAt.Unix())
	}
	return t.ID
}

// expect computes by brute force the ids a list query must return (all pages).
func (m ticketModel) expect(q ListQuery) []uint64 {
	sort, desc := q.Sort, q.Desc
	if sort == "" {
		sort = "id"
	}
	if q.SinceID > 0 {
		sort, desc = "id", false
	}
	if q.UpdatedAfter != nil {
		sort, desc = "updated_at", false
	}
	var out []Ticket
	for _, t := range m {
		if !m.matches(t, q.Filters) {
			continue
		}
		if q.SinceID > 0 && t.ID <= q.SinceID {
			continue
		}
		if q.UpdatedAfter != nil && t.UpdatedAt.Before(*q.UpdatedAfter) {
			continue
		}
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b Ticket) int {
		va, vb := sortValue(a, sort), sortValue(b, sort)
		if va != vb {
			if va < vb {
				return -1
			}
			return 1
		}
		if a.ID < b.ID {
			return -1
		}
		return 1
	})
	if desc {
		slices.Reverse(out)
	}
	ids := make([]uint64, len(out))
	for i, t := range out {
		ids[i] = t.ID
	}
	return ids
}

func (m ticketModel) total(filters map[string]string) int {
	n := 0
	for _, t := range m {
		if m.matches(t, filters) {
			n++
		}
	}
	return n
}

// checkQuery pages through q and compares every page, its total and has_more
// with the brute-force answer. Items are compared as bytes with the model's
// records, which checks both the order and the records' contents.
func checkQuery(t *testing.T, s *Store, m ticketModel, records map[uint64]string, q ListQuery) {
	t.Helper()
	want := m.expect(q)
	wantTotal := m.total(q.Filters)
	for page := 1; ; page++ {
		q.Page = page
		got, err := s.ListTickets(q)
		if err != nil {
			t.Fatalf("ListTickets(%s): %v", describe(q), err)
		}
		from := min((page-1)*q.PerPage, len(want))
		to := min(from+q.PerPage, len(want))
		same := len(got.Items) == to-from
		for i := 0; same && i < len(got.Items); i++ {
			same = string(got.Items[i]) == records[want[from+i]]
		}
		if !same {
			t.Fatalf("ListTickets(%s) = %v, want %v (or a listed record differs from the stored one)",
				describe(q), idsOf(t, got.Items), want[from:to])
		}
		if got.Total != wantTotal {
			t.Fatalf("ListTickets(%s) total = %d, want %d", describe(q), got.Total, wantTotal)
		}
		if got.HasMore != (to < len(want)) {
			t.Fatalf("ListTickets(%s) has_more = %v with %d of %d listed", describe(q), got.HasMore, to, len(want))
		}
		if !got.HasMore {
			return
		}
	}
}

// queryFilters draws a filter set from values that occur (and one that does not).
func queryFilters(rng *rand.Rand, customers []uint64) map[string]string {
	f := map[string]string{}
	statuses := DefaultStatuses()
	if rng.Intn(2) == 0 {
		f["status"] = statuses[rng.Intn(len(statuses))].Name
	}
	if rng.Intn(2) == 0 {
		f["assigned_to"] = []string{"none", "1", "2", "3", "99"}[rng.Intn(5)]
	}
	if rng.Intn(2) == 0 {
		f["customer_id"] = strconv.FormatUint(customers[rng.Intn(len(customers))], 10)
	}
	return f
}

func checkLists(t *testing.T, s *Store, m ticketModel, customers []uint64, rng *rand.Rand) {
	t.Helper()
	records := map[uint64]string{}
	for id, tk := range m {
		raw, _ := json.Marshal(tk)
		records[id] = string(raw)
	}
	var filterSets []map[string]string
	filterSets = append(filterSets, map[string]string{})
	for _, st := range DefaultStatuses() {
		filterSets = append(filterSets, map[string]string{"status": st.Name})
	}
	for _, a := range []string{"none", "1", "2", "3"} {
		filterSets = append(filterSets, map[string]string{"assigned_to": a})
	}
	for _, c := range customers {
		filterSets = append(filterSets, map[string]string{"customer_id": strconv.FormatUint(c, 10)})
	}
	for range 25 {
		filterSets = append(filterSets, queryFilters(rng, customers))
	}
	for _, f := range filterSets {
		for _, sort := range []string{"id", "updated_at", "due_at"} {
			for _, desc := range []bool{false, true} {
				checkQuery(t, s, m, records, ListQuery{Filters: f, Sort: sort, Desc: desc, PerPage: 1 + rng.Intn(40)})
			}
		}
	}
	var maxID uint64
	var times []time.Time
	for id, tk := range m {
		maxID = max(maxID, id)
		times = append(times, tk.UpdatedAt)
	}
	for range 15 {
		f := queryFilters(rng, customers)
		checkQuery(t, s, m, records, ListQuery{Filters: f, SinceID: 1 + uint64(rng.Int63n(int64(maxID))), PerPage: 1 + rng.Intn(40)})
		after := times[rng.Intn(len(times))] // an exact updated_at: inclusive
		checkQuery(t, s, m, records, ListQuery{Filters: f, UpdatedAfter: &after, PerPage: 1 + rng.Intn(40)})
	}
}

// checkOpenCounts compares the kept open-ticket count of every customer with the model.
func checkOpenCounts(t *testing.T, s *Store, m ticketModel, customers []uint64) {
	t.Helper()
	s.view(func(tx *bolt.Tx) error {
		for _, c := range customers {
			want := 0
			for _, tk := range m {
				if tk.CustomerID == c && tk.ClosedAt == nil {
					want++
				}
			}
			if got := openTickets(tx, c); got != want {
				t.Errorf("customer %d: kept open-ticket count %d, want %d", c, got, want)
			}
		}
		return nil
	})
}

func TestListTicketsAgreesWithBruteForce(t *testing.T) {
	t.Parallel()
	s, clock := openTestClock(t)
	ctx := t.Context()
	rng := rand.New(rand.NewSource(20260315))
	var customers []uint64
	for i := range 6 {
		customers = append(customers, mustCustomer(t, s, CustomerInput{Name: fmt.Sprintf("Customer %d", i)}).ID)
	}
	statuses := DefaultStatuses()
	assignees := []*uint64{nil, ptr[uint64](1), ptr[uint64](2), ptr[uint64](3)}
	randomDue := func() Nullable[time.Time] {
		if rng.Intn(4) == 0 {
			return Nullable[time.Time]{Set: true}
		}
		// Few distinct days, so due dates tie and the id breaks the tie.
		d := clock.Now().Add(time.Duration(rng.Intn(10)) * 24 * time.Hour)
		return Nullable[time.Time]{Set: true, Value: &d}
	}

	m := ticketModel{}
	for i := range 200 {
		clock.Advance(time.Duration(rng.Intn(3)) * time.Second) // ties in updated_at too
		tk := mustTicket(t, s, TicketInput{
			CustomerID: customers[rng.Intn(len(customers))],
			Issue:      fmt.Sprintf("issue %d", i),
			Status:     statuses[rng.Intn(len(statuses))].Name,
			AssignedTo: assignees[rng.Intn(len(assignees))],
			DueAt:      randomDue(),
		})
		m[tk.ID] = tk
	}
	checkLists(t, s, m, customers, rng)
	checkOpenCounts(t, s, m, customers)
	checkSearchIndex(t, s, ticketSearch)

	// Move tickets between statuses, assignees, due dates and customers, and
	// touch some through notes, then check everything again.
	for range 150 {
		clock.Advance(time.Duration(rng.Intn(3)) * time.Second)
		id := uint64(1 + rng.Intn(len(m)))
		var p TicketPatch
		switch rng.Intn(5) {
		case 0:
			p.Status = &statuses[rng.Intn(len(statuses))].Name
		case 1:
			p.AssignedTo = Nullable[uint64]{Set: true, Value: assignees[rng.Intn(len(assignees))]}
		case 2:
			p.DueAt = randomDue()
		case 3:
			p.CustomerID = &customers[rng.Intn(len(customers))]
		case 4:
			if _, err := s.AddNote(ctx, id, NoteInput{Body: "called the customer"}); err != nil {
				t.Fatal(err)
			}
			tk := m[id]
			tk.UpdatedAt = clock.Now().Truncate(time.Second)
			m[id] = tk
			continue
		}
		m[id] = mustUpdateTicket(t, s, id, p)
	}

	// Customer 0's tickets all close, so it can go; customer 1 keeps open ones.
	closed := "Closed"
	for id, tk := range m {
		if tk.CustomerID == customers[0] && tk.ClosedAt == nil {
			clock.Advance(time.Second)
			m[id] = mustUpdateTicket(t, s, id, TicketPatch{Status: &closed})
		}
	}
	if err := s.DeleteCustomer(ctx, customers[0]); err != nil {
		t.Fatalf("deleting a customer whose tickets are all closed: %v", err)
	}
	if m.total(map[string]string{"customer_id": strconv.FormatUint(customers[1], 10), "status": "New"}) == 0 {
		clock.Advance(time.Second)
		tk := mustTicket(t, s, TicketInput{CustomerID: customers[1], Issue: "keeps customer 1 open"})
		m[tk.ID] = tk
	}
	wantConflict(t, s.DeleteCustomer(ctx, customers[1]))
	if _, err := s.UpdateCustomer(ctx, customers[2], CustomerPatch{Name: ptr("Renamed"), Phone: ptr("555 0199")}); err != nil {
		t.Fatal(err)
	}

	checkLists(t, s, m, customers, rng)
	checkOpenCounts(t, s, m, customers)
	checkSearchIndex(t, s, ticketSearch)
	checkSearchIndex(t, s, customerSearch)
	for id, want := range m {
		exp, _ := json.Marshal(want)
		raw, err := s.Ticket(id)
		if err != nil || string(raw) != string(exp) {
			t.Fatalf("Ticket(%d) = %s, %v; want %s", id, raw, err, exp)
		}
	}

	// Counts are kept on disk, not rebuilt: they survive a reopen.
	s = reopen(t, s, Options{Now: clock.Now})
	checkLists(t, s, m, customers, rng)
}

func TestListTicketsRejectsBadQueries(t *testing.T) {
	s := openTest(t)
	now := time.Now()
	tests := []struct {
		name  string
		q     ListQuery
		field string
	}{
		{"unknown filter", ListQuery{Filters: map[string]string{"priority": "high"}}, "priority"},
		{"customer id not a number", ListQuery{Filters: map[string]string{"customer_id": "abc"}}, "customer_id"},
		{"customer id zero", ListQuery{Filters: map[string]string{"customer_id": "0"}}, "customer_id"},
		{"assignee not a number", ListQuery{Filters: map[string]string{"assigned_to": "-1"}}, "assigned_to"},
		{"unknown sort", ListQuery{Sort: "priority"}, "sort"},
		{"since_id with another sort", ListQuery{SinceID: 3, Sort: "due_at"}, "sort"},
		{"updated_after with another sort", ListQuery{UpdatedAfter: &now, Sort: "id"}, "sort"},
		{"since_id with updated_after", ListQuery{SinceID: 3, UpdatedAfter: &now}, "since_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.q.Page, tt.q.PerPage = 1, 10
			_, err := s.ListTickets(tt.q)
			wantFields(t, err, tt.field)
		})
	}
}

func TestListTicketsUnassignedFilterAcceptsNoneAndZero(t *testing.T) {
	s := openTest(t)
	c, unassigned := ticketFor(t, s, "Ann")
	mustTicket(t, s, TicketInput{CustomerID: c.ID, Issue: "assigned", AssignedTo: ptr[uint64](4)})
	for _, v := range []string{"none", "0"} {
		page, err := s.ListTickets(ListQuery{Filters: map[string]string{"assigned_to": v}, Page: 1, PerPage: 10})
		if err != nil {
			t.Fatal(err)
		}
		if ids := idsOf(t, page.Items); !slices.Equal(ids, []uint64{unassigned.ID}) || page.Total != 1 {
			t.Errorf("assigned_to=%s lists %v (total %d), want [%d]", v, ids, page.Total, unassigned.ID)
		}
	}
}

func TestCustomerTicketsListsOnlyThatCustomerAndUnknownIsNotFound(t *testing.T) {
	s := openTest(t)
	ann, annTicket := ticketFor(t, s, "Ann")
	ticketFor(t, s, "Bob")
	page, err := s.CustomerTickets(ann.ID, ListQuery{Page: 1, PerPage: 10})
	if err != nil {
		t.Fatal(err)
	}
	if ids := idsOf(t, page.Items); !slices.Equal(ids, []uint64{annTicket.ID}) || page.Total != 1 {
		t.Errorf("Ann's tickets = %v (total %d), want [%d]", ids, page.Total, annTicket.ID)
	}
	_, err = s.CustomerTickets(999, ListQuery{Page: 1, PerPage: 10})
	wantNotFound(t, err)
}

func TestListCustomersSortsByNameCaseInsensitively(t *testing.T) {
	s := openTest(t)
	for _, n := range []string{"bob", "Anna", "ann", "Carl"} {
		mustCustomer(t, s, CustomerInput{Name: n})
	}
	for _, desc := range []bool{false, true} {
		page, err := s.ListCustomers(ListQuery{Sort: "name", Desc: desc, Page: 1, PerPage: 10}, "")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, raw := range page.Items {
			got = append(got, decode[Customer](t, raw).Name)
		}
		want := []string{"ann", "Anna", "bob", "Carl"}
		if desc {
			slices.Reverse(want)
		}
		if !slices.Equal(got, want) || page.Total != 4 {
			t.Errorf("customers by name (desc=%v) = %v (total %d), want %v", desc, got, page.Total, want)
		}
	}
}
