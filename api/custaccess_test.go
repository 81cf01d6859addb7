package api_test

import (
	"net/http"
	"strings"
	"testing"
)

type custTicket struct {
	ID         uint64 `json:"id"`
	Number     uint64 `json:"number"`
	Status     string `json:"status"`
	StatusText string `json:"status_text"`
	Progress   struct {
		Step  int      `json:"step"`
		Steps []string `json:"steps"`
	} `json:"progress"`
	Timeline []struct {
		Kind, Text, By string
	} `json:"timeline"`
}

func TestACustomerOpensTheirLinkAndSeesOnlyTheirRepairs(t *testing.T) {
	ts, staff := newServer(t, internalKey)
	ada := staff.newCustomer("Ada Lovelace")
	bob := staff.newCustomer("Bob Other")
	mine := staff.newTicket(ada.ID, nil)
	theirs := staff.newTicket(bob.ID, nil)

	path, _ := portalLink(t, staff, ada.ID)
	c := ts.openLink(t, path)

	var me struct {
		Customer struct{ Name string } `json:"customer"`
		Shop     struct{ Name string } `json:"shop"`
		Mode     string                `json:"mode"`
	}
	c.cust("GET", "/me", nil).ok(http.StatusOK, &me)
	if me.Customer.Name != "Ada Lovelace" || me.Shop.Name == "" || me.Mode != "live" {
		t.Fatalf("me = %+v", me)
	}
	var list []custTicket
	c.cust("GET", "/tickets", nil).ok(http.StatusOK, &list)
	if len(list) != 1 || list[0].ID != mine.ID {
		t.Fatalf("tickets = %+v, want only #%d", list, mine.Number)
	}
	var one custTicket
	c.cust("GET", "/tickets/"+itoa(mine.ID), nil).ok(http.StatusOK, &one)
	if one.Number != mine.Number || one.StatusText == "" || one.Progress.Step != 1 {
		t.Fatalf("ticket = %+v", one)
	}
	// Another customer's ticket, and one that does not exist: the same 404.
	a := c.cust("GET", "/tickets/"+itoa(theirs.ID), nil).fail(http.StatusNotFound, "NOT_FOUND")
	b := c.cust("GET", "/tickets/999999", nil).fail(http.StatusNotFound, "NOT_FOUND")
	if a.Message != b.Message {
		t.Fatalf("another's ticket says %q, a missing one %q: they must not differ", a.Message, b.Message)
	}
	if strings.Contains(string(c.cust("GET", "/tickets/"+itoa(theirs.ID), nil).Body), "Bob") {
		t.Fatal("another customer's name leaked")
	}
}
