package store

import (
	"encoding/json"
	"slices"
	"strconv"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// recordTokens recomputes a record's tokens from its JSON: what the index
// must hold for it.
func recordTokens(ix *tokenIndex, tx *bolt.Tx, stored []byte) ([]string, error) {
	switch ix {
	case customerSearch:
		return customerTokensOf(tx, stored)
	case catalogSearch:
		c, err := getRecordRaw[CatalogItem](stored)
		if err != nil {
			return nil, err
		}
		return c.tokens(), nil
	}
	return ticketTokensOf(tx, stored)
}

// checkSearchIndex compares a token index with the tokens its records have
// now: nothing missing, nothing left over (a deleted or re-tokened record's).
func checkSearchIndex(t *testing.T, s *Store, ix *tokenIndex) {
	t.Helper()
	err := s.view(func(tx *bolt.Tx) error {
		stored := map[string]bool{} // token 0x00 id
		err := tx.Bucket(ix.bucket).ForEach(func(k, v []byte) error {
			if len(v) == 0 {
				t.Errorf("%s: empty container kept for %q", ix.bucket, k)
			}
			token := string(k[:len(k)-5])
			eachPosting(chunkOf(k), v, func(id uint64) { stored[token+"\x00"+string(itob(id))] = true })
			return nil
		})
		if err != nil {
			return err
		}
		err = tx.Bucket(ix.records).ForEach(func(k, v []byte) error {
			tokens, err := recordTokens(ix, tx, v)
			if err != nil {
				return err
			}
			for _, tok := range tokens {
				key := tok + "\x00" + string(k)
				if !stored[key] {
					t.Errorf("%s: record %d lacks token %q", ix.bucket, btoi(k), tok)
				}
				delete(stored, key)
			}
			return nil
		})
		for key := range stored {
			t.Errorf("%s: stale posting %q for record %d", ix.bucket, key[:len(key)-9], btoi([]byte(key[len(key)-8:])))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// searchTicketIDs returns the ids of the tickets matching q (newest first)
// and checks that one page holds them all.
func searchTicketIDs(t *testing.T, s *Store, q string, filters map[string]string) []uint64 {
	t.Helper()
	page, err := s.SearchTickets(ListQuery{Filters: filters, Desc: true, Page: 1, PerPage: 50}, q)
	if err != nil {
		t.Fatalf("search tickets %q %v: %v", q, filters, err)
	}
	if page.Total != len(page.Items) || page.HasMore {
		t.Fatalf("search tickets %q: total %d has_more %v for %d items", q, page.Total, page.HasMore, len(page.Items))
	}
	return idsOf(t, page.Items)
}

// ticketSearchFixture: Ada's iPhone and MacBook, Charles's Galaxy.
type ticketSearchFixture struct {
	ada, charles           Customer
	iphone, macbook, pixel Ticket
}

func newTicketSearchFixture(t *testing.T, s *Store) ticketSearchFixture {
	t.Helper()
	var f ticketSearchFixture
	f.ada = mustCustomer(t, s, CustomerInput{Name: "Ada Lovelace", Email: "ada@analytical.org", Phone: "+44 20 7946 0958"})
	f.charles = mustCustomer(t, s, CustomerInput{Name: "Charles Babbage", Company: "Difference Engines Ltd", Phone: "555 123 4567"})
	f.iphone = mustTicket(t, s, TicketInput{CustomerID: f.ada.ID, Issue: "Cracked screen, touch not responding",
		Device: Device{Brand: "Apple", Model: "iPhone 13 Pro", IMEI: "356938035643809"}})
	f.macbook = mustTicket(t, s, TicketInput{CustomerID: f.ada.ID, Issue: "Battery swelling", Status: "In Progress",
		Device: Device{Brand: "Apple", Model: "MacBook Air", Serial: "C02-XK4-LMD6M"}})
	f.pixel = mustTicket(t, s, TicketInput{CustomerID: f.charles.ID, Issue: "Screen flickers after water damage",
		AssignedTo: ptr[uint64](7), Device: Device{Brand: "Google", Model: "Pixel 7", Serial: "28KX0B4Z"}})
	return f
}

func TestSearchTicketsByNumberCustomerDeviceAndIssue(t *testing.T) {
	s := openTest(t)
	f := newTicketSearchFixture(t, s)
	iphone, macbook, pixel := f.iphone.ID, f.macbook.ID, f.pixel.ID
	tests := []struct {
		q       string
		filters map[string]string
		want    []uint64
	}{
		{strconv.FormatUint(f.iphone.Number, 10), nil, []uint64{iphone}}, // 1001
		{"#1002", nil, []uint64{macbook}},
		{"100", nil, []uint64{pixel, macbook, iphone}}, // a prefix of every number
		{"ada", nil, []uint64{macbook, iphone}},
		{"ada love", nil, []uint64{macbook, iphone}},
		{"LOVELACE", nil, []uint64{macbook, iphone}},
		{"babbage", nil, []uint64{pixel}},
		{"difference", nil, []uint64{pixel}}, // the customer's company
		{"ada@analytical.org", nil, []uint64{macbook, iphone}},
		{"analytical.org", nil, []uint64{macbook, iphone}},
		{"0958", nil, []uint64{macbook, iphone}}, // last digits of the phone
		{"4567", nil, []uint64{pixel}},
		{"123-4567", nil, []uint64{pixel}},
		{"iphone 13", nil, []uint64{iphone}},
		{"apple", nil, []uint64{macbook, iphone}},
		{"macbook air", nil, []uint64{macbook}},
		{"pixel 7", nil, []uint64{pixel}},
		{"356938035643809", nil, []uint64{iphone}}, // IMEI
		{"3569380", nil, []uint64{iphone}},
		{"c02-xk4-lmd6m", nil, []uint64{macbook}}, // serial as printed
		{"C02XK4LMD6M", nil, []uint64{macbook}},   // and typed without dashes
		{"28kx0b4z", nil, []uint64{pixel}},
		{"cracked screen", nil, []uint64{iphone}},
		{"screen", nil, []uint64{pixel, iphone}},
		{"scr", nil, []uint64{pixel, iphone}},
		{"water damage", nil, []uint64{pixel}},
		{"ada screen", nil, []uint64{iphone}}, // every word must match
		{"ada battery 1002", nil, []uint64{macbook}},
		{"ada water", nil, nil},
		{"charles cracked", nil, nil},
		{"nokia", nil, nil},
		// Filters narrow the hits.
		{"ada", map[string]string{"status": "In Progress"}, []uint64{macbook}},
		{"ada", map[string]string{"status": "New"}, []uint64{iphone}},
		{"apple", map[string]string{"status": "Closed"}, nil},
		{"screen", map[string]string{"assigned_to": "7"}, []uint64{pixel}},
		{"screen", map[string]string{"assigned_to": "none"}, []uint64{iphone}},
		{"screen", map[string]string{"assigned_to": "none", "status": "New"}, []uint64{iphone}},
		{"screen", map[string]string{"customer_id": strconv.FormatUint(f.charles.ID, 10)}, []uint64{pixel}},
	}
	for _, tt := range tests {
		if got := searchTicketIDs(t, s, tt.q, tt.filters); !slices.Equal(got, tt.want) {
			t.Errorf("search tickets %q %v = %v, want %v", tt.q, tt.filters, got, tt.want)
		}
	}
	checkSearchIndex(t, s, ticketSearch)
}

func TestSearchTicketsPagesFilteredHitsInIDOrder(t *testing.T) {
	s := openTest(t)
	f := newTicketSearchFixture(t, s)
	for range 3 {
		mustTicket(t, s, TicketInput{CustomerID: f.ada.ID, Issue: "Cracked back glass", Status: "In Progress"})
	}
	// Ada's In Progress tickets: the MacBook (2) and tickets 4, 5 and 6.
	q := ListQuery{Filters: map[string]string{"status": "In Progress"}, Page: 2, PerPage: 2}
	page, err := s.SearchTickets(q, "ada")
	if err != nil {
		t.Fatal(err)
	}
	if got := idsOf(t, page.Items); !slices.Equal(got, []uint64{5, 6}) || page.Total != 4 || page.HasMore {
		t.Errorf("page 2 oldest first = %v total %d has_more %v, want [5 6] total 4", got, page.Total, page.HasMore)
	}
	q.Desc, q.Page = true, 1
	page, _ = s.SearchTickets(q, "ada")
	if got := idsOf(t, page.Items); !slices.Equal(got, []uint64{6, 5}) || page.Total != 4 || !page.HasMore {
		t.Errorf("page 1 newest first = %v total %d has_more %v, want [6 5] total 4 and more", got, page.Total, page.HasMore)
	}

	_, err = s.SearchTickets(ListQuery{Sort: "updated_at", Page: 1, PerPage: 10}, "ada")
	wantFields(t, err, "sort")
	_, err = s.SearchTickets(ListQuery{Filters: map[string]string{"priority": "high"}, Page: 1, PerPage: 10}, "ada")
	wantFields(t, err, "priority")
}

func TestTicketSearchFollowsTicketAndCustomerChanges(t *testing.T) {
	s := openTest(t)
	ctx := t.Context()
	f := newTicketSearchFixture(t, s)
	iphone, macbook, pixel := f.iphone.ID, f.macbook.ID, f.pixel.ID
	expect := func(when string, want map[string][]uint64) {
		t.Helper()
		for q, ids := range want {
			if got := searchTicketIDs(t, s, q, nil); !slices.Equal(got, ids) {
				t.Errorf("%s: search tickets %q = %v, want %v", when, q, got, ids)
			}
		}
		checkSearchIndex(t, s, ticketSearch)
		checkSearchIndex(t, s, customerSearch)
	}

	mustUpdateTicket(t, s, iphone, TicketPatch{Issue: ptr("No sound from speaker"),
		Device: &Device{Brand: "Apple", Model: "iPhone 12 mini"}})
	expect("after a ticket update", map[string][]uint64{
		"cracked": nil, "iphone 13": nil, "356938": nil,
		"speaker": {iphone}, "iphone 12 mini": {iphone}, "ada speaker": {iphone},
	})

	// A note rewrites the ticket but not its tokens.
	if _, err := s.AddNote(ctx, iphone, NoteInput{Body: "ordered a speaker"}); err != nil {
		t.Fatal(err)
	}
	expect("after a note", map[string][]uint64{"speaker": {iphone}})

	if _, err := s.UpdateCustomer(ctx, f.ada.ID, CustomerPatch{Name: ptr("Augusta King"), Phone: ptr("555 000 1111")}); err != nil {
		t.Fatal(err)
	}
	expect("after renaming the customer", map[string][]uint64{
		"ada":      {macbook, iphone}, // still her email
		"lovelace": nil, "0958": nil,
		"augusta king": {macbook, iphone}, "1111": {macbook, iphone}, "king battery": {macbook},
	})
	if _, err := s.UpdateCustomer(ctx, f.ada.ID, CustomerPatch{Notes: ptr("prefers email")}); err != nil {
		t.Fatal(err)
	}
	expect("after changing what search does not read", map[string][]uint64{"augusta": {macbook, iphone}})

	// The ticket moves to Charles: his words find it, hers no longer do.
	mustUpdateTicket(t, s, macbook, TicketPatch{CustomerID: &f.charles.ID})
	expect("after moving a ticket", map[string][]uint64{
		"augusta": {iphone}, "babbage macbook": {macbook}, "babbage": {pixel, macbook},
	})

	// Charles goes once his tickets are closed: they stay, found by their
	// own words but not by his.
	for _, id := range []uint64{macbook, pixel} {
		mustUpdateTicket(t, s, id, TicketPatch{Status: ptr("Closed")})
	}
	if err := s.DeleteCustomer(ctx, f.charles.ID); err != nil {
		t.Fatal(err)
	}
	expect("after deleting the customer", map[string][]uint64{
		"babbage": nil, "4567": nil, "macbook": {macbook}, "flickers": {pixel},
	})
	// A later update of such a ticket leaves nothing behind.
	mustUpdateTicket(t, s, pixel, TicketPatch{Status: ptr("New"), Issue: ptr("Screen flickers again")})
	expect("after reopening a deleted customer's ticket", map[string][]uint64{"again": {pixel}, "babbage": nil})
}

func TestImportedTicketsAreSearchable(t *testing.T) {
	s := openTest(t)
	c := mustCustomer(t, s, CustomerInput{Name: "Grace Hopper"})
	ids, err := s.ImportTickets(t.Context(), []TicketInput{
		{CustomerID: c.ID, Issue: "Moth in the relay", Device: Device{Brand: "Harvard", Model: "Mark II"}},
		{CustomerID: c.ID, Issue: "Compiler crash"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := searchTicketIDs(t, s, "grace moth", nil); !slices.Equal(got, ids[:1]) {
		t.Errorf("imported ticket: %v, want %v", got, ids[:1])
	}
	if got := searchTicketIDs(t, s, "hopper", nil); !slices.Equal(got, []uint64{ids[1], ids[0]}) {
		t.Errorf("imported tickets by customer: %v", got)
	}
	checkSearchIndex(t, s, ticketSearch)
}

// A word every ticket has is answered exactly: the total counts them all
// and the first page holds the newest, filters applied.
func TestSearchForACommonWordIsExactAndNewestFirst(t *testing.T) {
	s := openTest(t)
	c := mustCustomer(t, s, CustomerInput{Name: "Ada Lovelace"})
	const n = 3000
	in := make([]TicketInput, n)
	for i := range in {
		in[i] = TicketInput{CustomerID: c.ID, Issue: "Cracked screen", Device: Device{Brand: "Apple"}}
	}
	ids, err := s.ImportTickets(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	status := "In Progress"
	for _, id := range ids[:n/3] {
		if _, err := s.UpdateTicket(t.Context(), id, TicketPatch{Status: &status}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		q       string
		filters map[string]string
		total   int
		first   uint64
	}{
		{"cracked", nil, n, ids[n-1]},
		{"c", nil, n, ids[n-1]}, // matches the customer, the issue and the device's words
		{"ada apple scr", nil, n, ids[n-1]},
		{"cracked", map[string]string{"status": "In Progress"}, n / 3, ids[n/3-1]},
	} {
		page, err := s.SearchTickets(ListQuery{Filters: tc.filters, Desc: true, Page: 2, PerPage: 50}, tc.q)
		if err != nil {
			t.Fatal(err)
		}
		got := idsOf(t, page.Items)
		if page.Total != tc.total || len(got) != 50 || got[0] != tc.first-50 || !page.HasMore {
			t.Errorf("%q %v page 2: total %d, %d items from %v, want total %d from %d", tc.q, tc.filters, page.Total, len(got), got[:min(1, len(got))], tc.total, tc.first-50)
		}
	}
}

func getRecordRaw[T any](stored []byte) (*T, error) {
	raw, err := recordView(stored)
	if err != nil {
		return nil, err
	}
	var out T
	return &out, json.Unmarshal(raw, &out)
}
