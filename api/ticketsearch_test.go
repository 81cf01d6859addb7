package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
)

// searchTickets runs GET /tickets?q=...&extra and returns the ids and meta.
func (c *client) searchTickets(q, extra string) ([]uint64, *listMeta) {
	c.t.Helper()
	path := "/tickets?" + url.Values{"q": {q}}.Encode()
	if extra != "" {
		path += "&" + extra
	}
	env := c.get(path).ok(http.StatusOK, nil)
	return ids(c.t, env.Data), env.Meta
}

func TestTicketSearch(t *testing.T) {
	t.Parallel()
	ts, c := newServer(t, internalKey)
	ts.owner() // staff member 1, for assigned_to
	var ada, charles customer
	c.post("/customers", map[string]any{"name": "Ada Lovelace", "email": "ada@analytical.org", "phone": "+44 20 7946 0958"}).ok(http.StatusCreated, &ada)
	c.post("/customers", map[string]any{"name": "Charles Babbage", "phone": "555 123 4567"}).ok(http.StatusCreated, &charles)
	iphone := c.newTicket(ada.ID, map[string]any{"device": map[string]any{"brand": "Apple", "model": "iPhone 13", "imei": "356938035643809"}})
	macbook := c.newTicket(ada.ID, map[string]any{"issue": "Battery swelling", "status": "In Progress", "assigned_to": 1,
		"device": map[string]any{"brand": "Apple", "model": "MacBook Air", "serial": "C02XK4LMD6M"}})
	pixel := c.newTicket(charles.ID, map[string]any{"issue": "Screen flickers", "device": map[string]any{"brand": "Google", "model": "Pixel 7"}})

	cases := []struct {
		q, extra string
		ids      []uint64
	}{
		{fmt.Sprint(macbook.Number), "", []uint64{macbook.ID}},
		{"ada love", "", []uint64{macbook.ID, iphone.ID}},
		{"babbage", "", []uint64{pixel.ID}},
		{"0958", "", []uint64{macbook.ID, iphone.ID}},
		{"ada@analytical.org", "", []uint64{macbook.ID, iphone.ID}},
		{"iphone 13", "", []uint64{iphone.ID}},
		{"356938035643809", "", []uint64{iphone.ID}},
		{"c02xk4lmd6m", "", []uint64{macbook.ID}},
		{"cracked screen", "", []uint64{iphone.ID}},
		{"screen", "", []uint64{pixel.ID, iphone.ID}},
		{"ada screen", "", []uint64{iphone.ID}}, // every word must match
		{"charles cracked", "", []uint64{}},
		{"apple", "status=In+Progress", []uint64{macbook.ID}},
		{"apple", "status=New", []uint64{iphone.ID}},
		{"apple", "assigned_to=1", []uint64{macbook.ID}},
		{"apple", "assigned_to=none&status=New", []uint64{iphone.ID}},
		{"screen", "order=asc", []uint64{iphone.ID, pixel.ID}},
		{"screen", "sort=created_at&order=asc", []uint64{iphone.ID, pixel.ID}},
		{"   ", "", []uint64{pixel.ID, macbook.ID, iphone.ID}}, // no words: the plain list
	}
	for _, tc := range cases {
		got, meta := c.searchTickets(tc.q, tc.extra)
		if !slices.Equal(got, tc.ids) {
			t.Errorf("q=%q %s: %v, want %v", tc.q, tc.extra, got, tc.ids)
		}
		if meta.Total != len(tc.ids) {
			t.Errorf("q=%q %s: total %d, want %d", tc.q, tc.extra, meta.Total, len(tc.ids))
		}
	}

	// Pages count the filtered hits.
	for range 3 {
		c.newTicket(ada.ID, map[string]any{"issue": "Cracked back", "status": "In Progress"})
	}
	got, meta := c.searchTickets("lovelace", "status=In+Progress&per_page=3")
	if len(got) != 3 || got[0] != macbook.ID+4 || meta.Total != 4 || !meta.HasMore || meta.PerPage != 3 {
		t.Errorf("page 1: %v meta %+v, want 3 of 4 newest first", got, meta)
	}
	got, meta = c.searchTickets("lovelace", "status=In+Progress&per_page=3&page=2")
	if !slices.Equal(got, []uint64{macbook.ID}) || meta.Total != 4 || meta.HasMore || *meta.Page != 2 {
		t.Errorf("page 2: %v meta %+v, want [%d] total 4", got, meta, macbook.ID)
	}

	// Renaming the customer moves her tickets' words with her.
	c.patch(fmt.Sprintf("/customers/%d", ada.ID), map[string]any{"name": "Augusta King"}).ok(http.StatusOK, nil)
	if got, _ := c.searchTickets("lovelace", ""); len(got) != 0 {
		t.Errorf("the old name still finds %v", got)
	}
	if got, meta := c.searchTickets("augusta king battery", ""); !slices.Equal(got, []uint64{macbook.ID}) || meta.Total != 1 {
		t.Errorf("the new name finds %v (total %d), want [%d]", got, meta.Total, macbook.ID)
	}
	if got, _ := c.searchTickets("king", ""); len(got) != 5 {
		t.Errorf("the new name finds %d tickets, want all 5 of hers", len(got))
	}

	for _, bad := range []struct{ path, field string }{
		{"/tickets?q=ada&sort=due_at", "sort"},
		{"/tickets?q=ada&since_id=1", "q"},
		{"/tickets?q=ada&updated_after=2026-01-01T00:00:00Z", "q"},
		{"/tickets?q=ada&status=New&colour=red", "colour"},
		{fmt.Sprintf("/customers/%d/tickets?q=ada", ada.ID), "q"},
	} {
		c.get(bad.path).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", bad.field)
	}
}
