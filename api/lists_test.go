package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"
)

func TestListPagesWithPerPageHasMoreAndTotal(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, internalKey)
	for i := 1; i <= 5; i++ {
		c.newCustomer(fmt.Sprintf("Customer %d", i))
	}

	cases := []struct {
		query   string
		ids     []uint64
		page    int
		perPage int
		hasMore bool
	}{
		{"", []uint64{5, 4, 3, 2, 1}, 1, 50, false},
		{"?per_page=2", []uint64{5, 4}, 1, 2, true},
		{"?per_page=2&page=2", []uint64{3, 2}, 2, 2, true},
		{"?per_page=2&page=3", []uint64{1}, 3, 2, false},
		{"?per_page=2&page=4", []uint64{}, 4, 2, false},
		{"?per_page=200", []uint64{5, 4, 3, 2, 1}, 1, 200, false},
	}
	for _, tc := range cases {
		env := c.get("/customers"+tc.query).ok(http.StatusOK, nil)
		if got := ids(t, env.Data); !slices.Equal(got, tc.ids) {
			t.Errorf("%s: ids %v, want %v", tc.query, got, tc.ids)
		}
		m := env.Meta
		if m.Page == nil || *m.Page != tc.page || m.PerPage != tc.perPage || m.Total != 5 || m.HasMore != tc.hasMore {
			t.Errorf("%s: meta %+v (page %v), want page %d per_page %d total 5 has_more %v",
				tc.query, m, m.Page, tc.page, tc.perPage, tc.hasMore)
		}
	}
}

// ticketFixture opens tickets across two customers, statuses and assignees.
type ticketFixture struct {
	ann, bob       uint64
	t1, t2, t3, t4 uint64
}

func newTicketFixture(t *testing.T, ts *testServer, c *client) ticketFixture {
	t.Helper()
	ts.owner() // staff member 1, for assigned_to
	f := ticketFixture{ann: c.newCustomer("Ann").ID, bob: c.newCustomer("Bob").ID}
	f.t1 = c.newTicket(f.ann, map[string]any{"due_at": "2026-03-20T10:00:00Z"}).ID
	f.t2 = c.newTicket(f.ann, map[string]any{"status": "In Progress", "assigned_to": 1, "due_at": "2026-03-18T10:00:00Z"}).ID
	f.t3 = c.newTicket(f.bob, map[string]any{"status": "In Progress"}).ID
	f.t4 = c.newTicket(f.bob, map[string]any{"status": "Closed", "assigned_to": 1, "due_at": "2026-03-19T10:00:00Z"}).ID
	return f
}

func TestTicketListFilters(t *testing.T) {
	t.Parallel()
	ts, c := newServer(t, internalKey)
	f := newTicketFixture(t, ts, c)

	cases := []struct {
		query string
		ids   []uint64
	}{
		{"status=In+Progress", []uint64{f.t3, f.t2}},
		{"status=New", []uint64{f.t1}},
		{"status=Resolved", []uint64{}},
		{"assigned_to=1", []uint64{f.t4, f.t2}},
		{"assigned_to=none", []uint64{f.t3, f.t1}},
		{fmt.Sprintf("customer_id=%d", f.ann), []uint64{f.t2, f.t1}},
		{fmt.Sprintf("customer_id=%d", f.bob), []uint64{f.t4, f.t3}},
		{"status=In+Progress&assigned_to=1", []uint64{f.t2}},
		{fmt.Sprintf("status=In+Progress&customer_id=%d", f.bob), []uint64{f.t3}},
		{fmt.Sprintf("status=Closed&assigned_to=1&customer_id=%d", f.bob), []uint64{f.t4}},
		{"status=In+Progress&per_page=1", []uint64{f.t3}},
	}
	for _, tc := range cases {
		env := c.get("/tickets?"+tc.query).ok(http.StatusOK, nil)
		if got := ids(t, env.Data); !slices.Equal(got, tc.ids) {
			t.Errorf("%s: ids %v, want %v", tc.query, got, tc.ids)
		}
		want := len(tc.ids)
		if tc.query == "status=In+Progress&per_page=1" {
			want = 2 // total counts the filtered set, not the page
			if !env.Meta.HasMore {
				t.Errorf("%s: has_more false", tc.query)
			}
		}
		if env.Meta.Total != want {
			t.Errorf("%s: total %d, want %d", tc.query, env.Meta.Total, want)
		}
	}
}

func TestTicketListSortAndOrder(t *testing.T) {
	t.Parallel()
	ts, c := newServer(t, internalKey)
	f := newTicketFixture(t, ts, c)
	ts.Clock.Advance(time.Minute)
	c.patch(fmt.Sprintf("/tickets/%d", f.t2), map[string]any{"priority": "high"}).ok(http.StatusOK, nil)

	cases := []struct {
		query string
		ids   []uint64
	}{
		{"", []uint64{f.t4, f.t3, f.t2, f.t1}}, // newest first
		{"sort=id&order=asc", []uint64{f.t1, f.t2, f.t3, f.t4}},
		{"sort=created_at", []uint64{f.t4, f.t3, f.t2, f.t1}},
		{"sort=created_at&order=asc", []uint64{f.t1, f.t2, f.t3, f.t4}},
		{"sort=due_at", []uint64{f.t2, f.t4, f.t1, f.t3}}, // soonest first, no due date last
		{"sort=due_at&order=desc", []uint64{f.t3, f.t1, f.t4, f.t2}},
		{"sort=updated_at", []uint64{f.t2, f.t4, f.t3, f.t1}}, // most recently changed first
		{"sort=updated_at&order=asc", []uint64{f.t1, f.t3, f.t4, f.t2}},
		{"sort=due_at&status=In+Progress", []uint64{f.t2, f.t3}},
	}
	for _, tc := range cases {
		env := c.get("/tickets?"+tc.query).ok(http.StatusOK, nil)
		if got := ids(t, env.Data); !slices.Equal(got, tc.ids) {
			t.Errorf("%q: ids %v, want %v", tc.query, got, tc.ids)
		}
	}
}

func TestCustomerListSortsByName(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, internalKey)
	carl, ann, bea := c.newCustomer("carl"), c.newCustomer("Ann"), c.newCustomer("Bea")

	env := c.get("/customers?sort=name").ok(http.StatusOK, nil)
	if got, want := ids(t, env.Data), []uint64{ann.ID, bea.ID, carl.ID}; !slices.Equal(got, want) {
		t.Errorf("sort=name: %v, want %v", got, want)
	}
	env = c.get("/customers?sort=name&order=desc").ok(http.StatusOK, nil)
	if got, want := ids(t, env.Data), []uint64{carl.ID, bea.ID, ann.ID}; !slices.Equal(got, want) {
		t.Errorf("sort=name&order=desc: %v, want %v", got, want)
	}
}

func TestSinceIDListsLaterRecordsAscending(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, internalKey)
	for i := 1; i <= 5; i++ {
		c.newCustomer(fmt.Sprintf("Customer %d", i))
	}

	env := c.get("/customers?since_id=2").ok(http.StatusOK, nil)
	if got := ids(t, env.Data); !slices.Equal(got, []uint64{3, 4, 5}) {
		t.Errorf("since_id=2: %v, want [3 4 5]", got)
	}
	env = c.get("/customers?since_id=2&per_page=2").ok(http.StatusOK, nil)
	if got := ids(t, env.Data); !slices.Equal(got, []uint64{3, 4}) || !env.Meta.HasMore {
		t.Errorf("since_id=2&per_page=2: %v has_more %v, want [3 4] and more", got, env.Meta.HasMore)
	}
	env = c.get("/customers?since_id=5").ok(http.StatusOK, nil)
	if got := ids(t, env.Data); len(got) != 0 || env.Meta.HasMore {
		t.Errorf("since_id=5: %v", got)
	}
	c.get("/customers?since_id=2&updated_after=2026-01-01T00:00:00Z").fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "since_id")
}

func TestUpdatedAfterListsChangesOldestFirst(t *testing.T) {
	t.Parallel()
	ts, c := newServer(t, internalKey)
	ann := c.newCustomer("Ann")
	c.newCustomer("Bob")
	ts.Clock.Advance(time.Minute)
	cut := ts.Clock.Now()
	carl := c.newCustomer("Carl")
	ts.Clock.Advance(time.Minute)
	c.patch(fmt.Sprintf("/customers/%d", ann.ID), map[string]any{"phone": "555 0100"}).ok(http.StatusOK, nil)

	q := url.Values{"updated_after": {cut.Format(time.RFC3339)}}
	env := c.get("/customers?"+q.Encode()).ok(http.StatusOK, nil)
	if got, want := ids(t, env.Data), []uint64{carl.ID, ann.ID}; !slices.Equal(got, want) {
		t.Errorf("updated_after=%s: %v, want %v", cut.Format(time.RFC3339), got, want)
	}

	// Tickets too, and a note counts as a change to its ticket.
	cust := c.newCustomer("Dee")
	t1 := c.newTicket(cust.ID, nil)
	t2 := c.newTicket(cust.ID, nil)
	ts.Clock.Advance(time.Minute)
	cut = ts.Clock.Now()
	c.post(fmt.Sprintf("/tickets/%d/notes", t1.ID), map[string]any{"body": "Called the customer"}).ok(http.StatusCreated, nil)
	q = url.Values{"updated_after": {cut.Format(time.RFC3339)}}
	env = c.get("/tickets?"+q.Encode()).ok(http.StatusOK, nil)
	if got := ids(t, env.Data); !slices.Equal(got, []uint64{t1.ID}) {
		t.Errorf("tickets updated_after: %v, want [%d] (not %d)", got, t1.ID, t2.ID)
	}
}

func TestListRejectsBadParameters(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, internalKey)
	c.newTicket(c.newCustomer("Ann").ID, nil)

	cases := []struct{ path, field string }{
		{"/tickets?per_page=201", "per_page"},
		{"/tickets?per_page=0", "per_page"},
		{"/tickets?per_page=ten", "per_page"},
		{"/tickets?page=0", "page"},
		{"/tickets?page=-1", "page"},
		{"/tickets?sort=issue", "sort"},
		{"/tickets?order=up", "order"},
		{"/tickets?colour=red", "colour"},
		{"/customers/1/tickets?q=screen", "q"},
		{"/tickets?since_id=-1", "since_id"},
		{"/tickets?updated_after=yesterday", "updated_after"},
		{"/tickets?customer_id=abc", "customer_id"},
		{"/customers?status=New", "status"},
		{"/customers?sort=due_at", "sort"},
		{"/customers/1/tickets?customer_id=2", "customer_id"},
		{"/tickets/1/notes?sort=id", "sort"},
		{"/tickets/1/notes?status=New", "status"},
		{"/tickets/1/notes?since_id=1", "since_id"},
		{"/tickets/1/line_items?updated_after=2026-01-01T00:00:00Z", "updated_after"},
		{"/tickets/1/payments?per_page=500", "per_page"},
		{"/events?per_page=201", "per_page"},
		{"/events?since_id=1", "since_id"},
		{"/events?since=evt_nope", "since"},
		{"/events?event=ti*et", "event"},
	}
	for _, tc := range cases {
		c.get(tc.path).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", tc.field)
	}
}
