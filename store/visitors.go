package store

import (
	"strings"
	"time"
)

// visitors are the people the visitor desk signs in: pre-registered by a
// host (expected), walked in at the kiosk, checked out by hand, at the
// kiosk or at the location's closing time. Porter's API (seed 002) is the
// model; API.md "Visitor desk" lays it out.
var visitors = declare(Resource[Visitor]{
	Name: "visitors", Scope: "visitors", Search: true,
	Events: []string{"visitor.pre_registered", "visitor.checked_in", "visitor.checked_out", "visitor.cancelled"},
	Filters: []Filter[Visitor]{
		{Name: "status", Doc: "Only visitors in this status (expected, checked_in, checked_out, cancelled)",
			Key: func(v *Visitor) []byte { return []byte(v.Status) }, Parse: visitorStatus, Few: true, Values: VisitorStatuses},
		{Name: "location_id", Doc: "Only visitors to this location", Key: func(v *Visitor) []byte { return orderedUint(v.LocationID) },
			Parse: positiveID("location_id"), Show: showID, Few: true},
		{Name: "host", Doc: "Only visitors of this host (a staff id)", Key: func(v *Visitor) []byte { return orderedUint(v.HostID) },
			Parse: positiveID("host"), Show: showID, Few: true},
		{Name: "date", Doc: "Only visitors of this day, YYYY-MM-DD in the location's time zone (expected, or in, that day)",
			Key: func(v *Visitor) []byte { return []byte(v.Date) }, Parse: visitorDate, SortedBy: []string{"id", "expected_at"}},
	},
	Sorts: []Sort[Visitor]{
		{Name: "id", Label: "Newest", Desc: true, Aliases: []string{"created_at"}},
		{Name: "updated_at", Label: "Recently updated", Desc: true, Grows: true, Key: func(v *Visitor) []byte { return orderedUint(timeKey(v.UpdatedAt)) }},
		{Name: "expected_at", Label: "Expected", Key: func(v *Visitor) []byte { return orderedUint(optTimeKey(v.ExpectedAt)) }},
	},
})

// Visitor statuses: expected → checked_in → checked_out, or cancelled.
const (
	VisitorExpected   = "expected"
	VisitorCheckedIn  = "checked_in"
	VisitorCheckedOut = "checked_out"
	VisitorCancelled  = "cancelled"
)

// Visitor is one visit. Its JSON is exactly what the API returns (in our
// envelope, or as Porter's {"visitor": …}).
type Visitor struct {
	ID         uint64 `json:"id"`
	Name       string `json:"name"`
	Email      string `json:"email"`
	Phone      string `json:"phone"`
	Company    string `json:"company"`
	HostID     uint64 `json:"host_id"`
	LocationID uint64 `json:"location_id"`
	Purpose    string `json:"purpose"`
	Notes      string `json:"notes"`
	Status     string `json:"status"`
	// Date is the visit's day in the location's time zone (YYYY-MM-DD): of
	// the expected arrival, else of the check-in. Lists filter by it.
	Date          string     `json:"date"`
	ExpectedAt    *time.Time `json:"expected_at"`
	ExpectedUntil *time.Time `json:"expected_until"`
	CheckedInAt   *time.Time `json:"checked_in_at"`
	CheckedOutAt  *time.Time `json:"checked_out_at"`
	// CheckedOutBy says how the visit ended: "desk", "kiosk", "closing_time".
	CheckedOutBy string    `json:"checked_out_by,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// VisitorStatuses lists the statuses a visitor can have.
var VisitorStatuses = []string{VisitorExpected, VisitorCheckedIn, VisitorCheckedOut, VisitorCancelled}

func visitorStatus(raw string) ([]byte, error) {
	for _, s := range VisitorStatuses {
		if raw == s {
			return []byte(raw), nil
		}
	}
	return nil, Invalid("status", "must be one of "+strings.Join(VisitorStatuses, ", "))
}

func visitorDate(raw string) ([]byte, error) {
	if _, err := time.Parse(time.DateOnly, raw); err != nil || len(raw) != 10 {
		return nil, Invalid("date", "must be a date as YYYY-MM-DD")
	}
	return []byte(raw), nil
}
