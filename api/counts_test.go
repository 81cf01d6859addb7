package api_test

import (
	"fmt"
	"net/http"
	"testing"
)

// GET /tickets/counts answers the queue's status buttons in one request,
// from kept counts, narrowed by the list's filters.
func TestTicketCountsByStatusAndAssignee(t *testing.T) {
	t.Parallel()
	ts, c := newServer(t, internalKey)
	ts.owner()
	sam := newStaff(t, c, "Sam", "technician")
	ada, bob := c.newCustomer("Ada"), c.newCustomer("Bob")
	c.newTicket(ada.ID, nil)
	c.newTicket(ada.ID, map[string]any{"status": "In Progress", "assigned_to": sam.ID})
	c.newTicket(bob.ID, map[string]any{"status": "In Progress"})

	for _, tc := range []struct {
		query string
		want  map[string]int
	}{
		{"by=status", map[string]int{"New": 1, "In Progress": 2}},
		{fmt.Sprintf("by=status&customer_id=%d", ada.ID), map[string]int{"New": 1, "In Progress": 1}},
		{fmt.Sprintf("by=status&assigned_to=%d", sam.ID), map[string]int{"In Progress": 1}},
		{"by=assigned_to", map[string]int{"none": 2, fmt.Sprint(sam.ID): 1}},
		{"by=assigned_to&status=In+Progress", map[string]int{"none": 1, fmt.Sprint(sam.ID): 1}},
	} {
		var got map[string]int
		c.get("/tickets/counts?"+tc.query).ok(http.StatusOK, &got)
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: %v, want %v", tc.query, got, tc.want)
		}
	}
	c.get("/tickets/counts").fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "by")
	c.get("/tickets/counts?by=priority").fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "by")
	c.get("/tickets/counts?by=status&status=New").fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "status")
	c.get("/tickets/counts?by=status&colour=red").fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "colour")
}
