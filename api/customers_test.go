package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
)

func TestCustomerSearchMatchesNameEmailAndPhone(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, internalKey)
	var ann, bob, annabel customer
	c.post("/customers", map[string]any{"name": "Ann Smith", "email": "ann@example.com", "phone": "555-0100"}).ok(http.StatusCreated, &ann)
	c.post("/customers", map[string]any{"name": "Bob Jones", "email": "bob@shop.io", "phone": "+1 (212) 555-4321"}).ok(http.StatusCreated, &bob)
	c.post("/customers", map[string]any{"name": "Annabel Lee", "company": "Smithson Ltd"}).ok(http.StatusCreated, &annabel)

	cases := []struct {
		q   string
		ids []uint64
	}{
		{"ann", []uint64{annabel.ID, ann.ID}},
		{"Ann Smith", []uint64{annabel.ID, ann.ID}}, // every word a prefix of some token
		{"annabel lee", []uint64{annabel.ID}},
		{"ann@example.com", []uint64{ann.ID}},
		{"smith", []uint64{annabel.ID, ann.ID}}, // Smithson is a company word
		{"bob@shop.io", []uint64{bob.ID}},
		{"shop", []uint64{bob.ID}}, // the email domain
		{"4321", []uint64{bob.ID}},
		{"212-555-4321", []uint64{bob.ID}},
		{"5550100", []uint64{ann.ID}},
		{"zelda", []uint64{}},
	}
	for _, tc := range cases {
		env := c.get("/customers?"+url.Values{"q": {tc.q}}.Encode()).ok(http.StatusOK, nil)
		if got := ids(t, env.Data); !slices.Equal(got, tc.ids) {
			t.Errorf("q=%q: %v, want %v", tc.q, got, tc.ids)
		}
		if env.Meta.Total != len(tc.ids) {
			t.Errorf("q=%q: total %d, want %d", tc.q, env.Meta.Total, len(tc.ids))
		}
	}
	env := c.get("/customers?q=ann&order=asc&per_page=1").ok(http.StatusOK, nil)
	if got := ids(t, env.Data); !slices.Equal(got, []uint64{ann.ID}) || !env.Meta.HasMore || env.Meta.Total != 2 {
		t.Errorf("q=ann&order=asc&per_page=1: %v meta %+v", got, env.Meta)
	}
}

func TestCustomerTicketHistory(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, internalKey)
	ann, bob := c.newCustomer("Ann"), c.newCustomer("Bob")
	first := c.newTicket(ann.ID, map[string]any{"status": "Closed"})
	second := c.newTicket(ann.ID, nil)
	c.newTicket(bob.ID, nil)

	path := fmt.Sprintf("/customers/%d/tickets", ann.ID)
	env := c.get(path).ok(http.StatusOK, nil)
	if got := ids(t, env.Data); !slices.Equal(got, []uint64{second.ID, first.ID}) || env.Meta.Total != 2 {
		t.Errorf("history %v total %d, want [%d %d] (closed tickets included)", got, env.Meta.Total, second.ID, first.ID)
	}
	env = c.get(path+"?status=Closed").ok(http.StatusOK, nil)
	if got := ids(t, env.Data); !slices.Equal(got, []uint64{first.ID}) {
		t.Errorf("closed history %v", got)
	}
	env = c.get(path+"?sort=id&order=asc&per_page=1").ok(http.StatusOK, nil)
	if got := ids(t, env.Data); !slices.Equal(got, []uint64{first.ID}) || !env.Meta.HasMore {
		t.Errorf("oldest first, one per page: %v %+v", got, env.Meta)
	}
	c.get("/customers/999/tickets").fail(http.StatusNotFound, "NOT_FOUND")
}

func TestDeleteCustomerWithOpenTicketsIsConflict(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, internalKey)
	ann := c.newCustomer("Ann")
	tk := c.newTicket(ann.ID, nil)
	path := fmt.Sprintf("/customers/%d", ann.ID)

	e := c.api("DELETE", path, nil).fail(http.StatusConflict, "CONFLICT")
	if e.Message == "" {
		t.Error("conflict without a message")
	}
	c.get(path).ok(http.StatusOK, nil)

	c.patch(fmt.Sprintf("/tickets/%d", tk.ID), map[string]any{"status": "Resolved"}).ok(http.StatusOK, nil)
	var gone struct {
		ID      uint64 `json:"id"`
		Deleted bool   `json:"deleted"`
	}
	c.api("DELETE", path, nil).ok(http.StatusOK, &gone)
	if gone.ID != ann.ID || !gone.Deleted {
		t.Errorf("delete answered %+v", gone)
	}
	c.get(path).fail(http.StatusNotFound, "NOT_FOUND")
	c.api("DELETE", path, nil).fail(http.StatusNotFound, "NOT_FOUND")
}

func TestPatchCustomerChangesOnlyGivenFields(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, internalKey)
	var ann customer
	c.post("/customers", map[string]any{"name": "Ann", "email": "ann@example.com"}).ok(http.StatusCreated, &ann)
	path := fmt.Sprintf("/customers/%d", ann.ID)

	var got customer
	c.patch(path, map[string]any{"phone": "555 0100"}).ok(http.StatusOK, &got)
	if got.Name != "Ann" || got.Email != "ann@example.com" || got.Phone != "555 0100" {
		t.Errorf("patched customer %+v", got)
	}
	c.patch(path, map[string]any{"email": "nope"}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "email")
	c.patch(path, map[string]any{"name": ""}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "name")
	c.patch(path, `{"mail":"x@example.com"}`).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "mail")
	c.patch("/customers/99", map[string]any{"name": "Nobody"}).fail(http.StatusNotFound, "NOT_FOUND")
}
