package store

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestCreateCustomerValidation(t *testing.T) {
	s := openTest(t)
	long := func(n int) string { return strings.Repeat("a", n) }
	tests := []struct {
		name   string
		in     CustomerInput
		fields []string
	}{
		{"name missing", CustomerInput{}, []string{"name"}},
		{"name only spaces", CustomerInput{Name: "   "}, []string{"name"}},
		{"name too long", CustomerInput{Name: long(121)}, []string{"name"}},
		{"email without at", CustomerInput{Name: "A", Email: "alice.example.com"}, []string{"email"}},
		{"email without domain dot", CustomerInput{Name: "A", Email: "alice@localhost"}, []string{"email"}},
		{"email with display name", CustomerInput{Name: "A", Email: "Alice <alice@example.com>"}, []string{"email"}},
		{"phone with letters", CustomerInput{Name: "A", Phone: "555-CALL-NOW"}, []string{"phone"}},
		{"phone too short", CustomerInput{Name: "A", Phone: "12"}, []string{"phone"}},
		{"company too long", CustomerInput{Name: "A", Company: long(121)}, []string{"company"}},
		{"address too long", CustomerInput{Name: "A", Address: long(501)}, []string{"address"}},
		{"notes too long", CustomerInput{Name: "A", Notes: long(10001)}, []string{"notes"}},
		{"every problem at once", CustomerInput{Email: "x", Phone: "abc"}, []string{"name", "email", "phone"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.CreateCustomer(t.Context(), tt.in)
			wantFields(t, err, tt.fields...)
		})
	}
	if evs := eventsAfter(t, s, 0); len(evs) != 0 {
		t.Errorf("invalid inputs appended events: %v", eventNames(evs))
	}
	page, _ := s.ListCustomers(ListQuery{Page: 1, PerPage: 10}, "")
	if page.Total != 0 {
		t.Errorf("invalid inputs created %d customers", page.Total)
	}
}

func TestCreateCustomerTrimsAndRecordsEvent(t *testing.T) {
	s, clock := openTestClock(t)
	var c Customer
	evs := expectEvents(t, s, []string{"customer.created"}, func() (err error) {
		c, err = s.CreateCustomer(t.Context(), CustomerInput{Name: "  Ada Lovelace ", Email: " ada@example.com ", Phone: "+44 20 7946 0000"})
		return err
	})
	if c.ID != 1 || c.Name != "Ada Lovelace" || c.Email != "ada@example.com" || !c.CreatedAt.Equal(clock.Now()) {
		t.Fatalf("created %+v", c)
	}
	d := dataOf(t, evs[0])
	if string(d["customer_id"]) != "1" || decode[Customer](t, d["customer"]) != c {
		t.Errorf("customer.created data = %s", evs[0].Data)
	}
	if raw, err := s.Customer(c.ID); err != nil || decode[Customer](t, raw) != c {
		t.Errorf("Customer(%d) = %s, %v", c.ID, raw, err)
	}
}

func TestUpdateCustomerChangesFieldsAndNamesInvalidOnes(t *testing.T) {
	s, clock := openTestClock(t)
	c := mustCustomer(t, s, CustomerInput{Name: "Ada", Email: "ada@example.com"})
	clock.Advance(time.Minute)

	_, err := s.UpdateCustomer(t.Context(), c.ID, CustomerPatch{Email: ptr("not an email"), Name: ptr("")})
	wantFields(t, err, "email", "name")

	var got Customer
	evs := expectEvents(t, s, []string{"customer.updated"}, func() (err error) {
		got, err = s.UpdateCustomer(t.Context(), c.ID, CustomerPatch{Phone: ptr("555 0100"), Company: ptr("Analytical Engines")})
		return err
	})
	if got.Phone != "555 0100" || got.Company != "Analytical Engines" || got.Name != "Ada" || !got.UpdatedAt.Equal(clock.Now()) {
		t.Fatalf("updated %+v", got)
	}
	changes := decode[struct {
		Changes map[string]change `json:"changes"`
	}](t, evs[0].Data)
	if len(changes.Changes) != 2 || changes.Changes["phone"].To != "555 0100" {
		t.Errorf("customer.updated changes = %s", evs[0].Data)
	}

	// A patch that changes nothing records nothing.
	expectEvents(t, s, nil, func() error {
		_, err := s.UpdateCustomer(t.Context(), c.ID, CustomerPatch{Name: ptr("Ada")})
		return err
	})
	_, err = s.UpdateCustomer(t.Context(), 999, CustomerPatch{Name: ptr("X")})
	wantNotFound(t, err)
}

func TestDeleteCustomerWithOpenTicketIsConflict(t *testing.T) {
	s := openTest(t)
	ctx := t.Context()
	c, tk := ticketFor(t, s, "Has Tickets")
	before := lastSeq(t, s)
	wantConflict(t, s.DeleteCustomer(ctx, c.ID))
	if _, err := s.Customer(c.ID); err != nil {
		t.Fatalf("a refused delete removed the customer: %v", err)
	}
	if evs := eventsAfter(t, s, before); len(evs) != 0 {
		t.Fatalf("a refused delete appended %v", eventNames(evs))
	}

	// Resolved counts as closed.
	mustUpdateTicket(t, s, tk.ID, TicketPatch{Status: ptr("Resolved")})
	evs := expectEvents(t, s, []string{"customer.deleted"}, func() error { return s.DeleteCustomer(ctx, c.ID) })
	if string(dataOf(t, evs[0])["customer_id"]) != "1" {
		t.Errorf("customer.deleted data = %s", evs[0].Data)
	}
	_, err := s.Customer(c.ID)
	wantNotFound(t, err)
	wantNotFound(t, s.DeleteCustomer(ctx, c.ID))
	page, err := s.ListCustomers(ListQuery{Page: 1, PerPage: 10}, "")
	if err != nil || page.Total != 0 || len(page.Items) != 0 {
		t.Fatalf("after delete: %d customers (total %d), %v", len(page.Items), page.Total, err)
	}
	if hits := search(t, s, "Tickets"); len(hits) != 0 {
		t.Errorf("a deleted customer is still found: %v", hits)
	}
	// Its closed ticket stays, as history.
	if got := loadTicket(t, s, tk.ID); got.CustomerID != c.ID {
		t.Errorf("the closed ticket lost its customer: %+v", got)
	}
}

func TestDeleteCustomerAfterTicketMovesToAnotherCustomer(t *testing.T) {
	s := openTest(t)
	a, tk := ticketFor(t, s, "First Owner")
	b := mustCustomer(t, s, CustomerInput{Name: "Second Owner"})
	mustUpdateTicket(t, s, tk.ID, TicketPatch{CustomerID: &b.ID})
	if err := s.DeleteCustomer(t.Context(), a.ID); err != nil {
		t.Fatalf("customer whose only ticket moved away: %v", err)
	}
	wantConflict(t, s.DeleteCustomer(t.Context(), b.ID))
}

// search returns the names of customers matching q, in id order.
func search(t *testing.T, s *Store, q string) []string {
	t.Helper()
	page, err := s.ListCustomers(ListQuery{Page: 1, PerPage: 50}, q)
	if err != nil {
		t.Fatalf("search %q: %v", q, err)
	}
	if page.Total != len(page.Items) {
		t.Fatalf("search %q: total %d for %d items", q, page.Total, len(page.Items))
	}
	var out []string
	for _, raw := range page.Items {
		out = append(out, decode[Customer](t, raw).Name)
	}
	return out
}

func TestSearchCustomersByNameEmailAndPhone(t *testing.T) {
	s := openTest(t)
	for _, in := range []CustomerInput{
		{Name: "Alice Smith", Email: "alice@example.com", Phone: "+1 (555) 123-4567"},
		{Name: "Bob Jones", Email: "bob.jones@shop.io", Phone: "555 987 6543"},
		{Name: "Alicia Keys", Company: "Smith & Co", Phone: "020 7946 0000"},
		{Name: "Zoë O'Brien", Email: "zoe@example.org"},
	} {
		mustCustomer(t, s, in)
	}
	tests := []struct {
		q    string
		want []string
	}{
		{"ali", []string{"Alice Smith", "Alicia Keys"}},
		{"ALICE", []string{"Alice Smith"}},
		{"smith", []string{"Alice Smith", "Alicia Keys"}},
		{"ali smi", []string{"Alice Smith", "Alicia Keys"}},
		{"ali keys", []string{"Alicia Keys"}},
		{"jones", []string{"Bob Jones"}},
		{"alice@example.com", []string{"Alice Smith"}},
		{"bob.jones@shop.io", []string{"Bob Jones"}},
		{"example", []string{"Alice Smith", "Zoë O'Brien"}},
		{"zoë", []string{"Zoë O'Brien"}},
		{"o'brien", []string{"Zoë O'Brien"}},
		{"4567", []string{"Alice Smith"}},
		{"123-4567", []string{"Alice Smith"}},
		{"(555) 123-4567", []string{"Alice Smith"}},
		{"+15551234567", []string{"Alice Smith"}},
		{"6543", []string{"Bob Jones"}},
		{"0000", []string{"Alicia Keys"}},
		{"555", []string{"Alice Smith", "Bob Jones"}},
		{"nobody", nil},
		{"alice jones", nil},
	}
	for _, tt := range tests {
		if got := search(t, s, tt.q); !slices.Equal(got, tt.want) {
			t.Errorf("search %q = %v, want %v", tt.q, got, tt.want)
		}
	}
}

func TestSearchCustomersPagesInIDOrder(t *testing.T) {
	s := openTest(t)
	for _, n := range []string{"Sam A", "Sam B", "Sam C"} {
		mustCustomer(t, s, CustomerInput{Name: n})
	}
	page, err := s.ListCustomers(ListQuery{Desc: true, Page: 1, PerPage: 2}, "sam")
	if err != nil {
		t.Fatal(err)
	}
	if ids := idsOf(t, page.Items); !slices.Equal(ids, []uint64{3, 2}) || !page.HasMore || page.Total != 3 {
		t.Fatalf("page 1 = %v has_more=%v total=%d", ids, page.HasMore, page.Total)
	}
	page, _ = s.ListCustomers(ListQuery{Desc: true, Page: 2, PerPage: 2}, "sam")
	if ids := idsOf(t, page.Items); !slices.Equal(ids, []uint64{1}) || page.HasMore {
		t.Fatalf("page 2 = %v has_more=%v", ids, page.HasMore)
	}
	_, err = s.ListCustomers(ListQuery{Sort: "name", Page: 1, PerPage: 2}, "sam")
	wantFields(t, err, "sort")
}

func TestSearchFollowsUpdatesOfNameAndPhone(t *testing.T) {
	s := openTest(t)
	c := mustCustomer(t, s, CustomerInput{Name: "Old Name", Phone: "555 111 2222"})
	if _, err := s.UpdateCustomer(t.Context(), c.ID, CustomerPatch{Name: ptr("New Name"), Phone: ptr("555 333 4444")}); err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string][]string{"old": nil, "2222": nil, "new": {"New Name"}, "4444": {"New Name"}} {
		if got := search(t, s, q); !slices.Equal(got, want) {
			t.Errorf("search %q after update = %v, want %v", q, got, want)
		}
	}
}

func TestSearchFindsCustomerByLongEmail(t *testing.T) {
	s := openTest(t)
	email := "maximilian.alexander.von.humboldt-bonpland@botanical-expeditions.example.org"
	mustCustomer(t, s, CustomerInput{Name: "Max", Email: email})
	if got := search(t, s, email); !slices.Equal(got, []string{"Max"}) {
		t.Errorf("search by a %d-character email = %v, want [Max]", len(email), got)
	}
}
