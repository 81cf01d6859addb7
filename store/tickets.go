package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

// tickets are filtered by customer, assignee and status (walked in that order
// of selectivity) and sorted by id (= created_at), updated_at and due_at.
var tickets = declare(Resource[Ticket]{
	Name: "tickets", Scope: "tickets", Search: true,
	Events: []string{"ticket.created", "ticket.updated", "ticket.status_changed", "ticket.assigned", "ticket.note_added",
		"ticket.line_item_added", "ticket.attachment_added", "ticket.closed", "ticket.reopened"},
	Filters: []Filter[Ticket]{
		{Name: "customer_id", Doc: "Only this customer's tickets", Key: func(t *Ticket) []byte { return orderedUint(t.CustomerID) },
			Parse: positiveID("customer_id"), Show: showID},
		{Name: "assigned_to", Doc: "Only tickets assigned to this staff member (none: unassigned)", Key: ticketAssignee,
			Parse: parseAssignee, Show: showAssignee, Few: true},
		{Name: "status", Doc: "Only tickets in this status", Key: func(t *Ticket) []byte { return []byte(t.Status) }, Parse: text, Few: true},
	},
	Sorts: []Sort[Ticket]{
		{Name: "id", Label: "Newest", Desc: true, Aliases: []string{"created_at"}},
		{Name: "updated_at", Label: "Recently updated", Desc: true, Grows: true, Key: func(t *Ticket) []byte { return orderedUint(timeKey(t.UpdatedAt)) }},
		{Name: "due_at", Label: "Due date", Key: func(t *Ticket) []byte { return orderedUint(optTimeKey(t.DueAt)) }},
	},
})

func ticketAssignee(t *Ticket) []byte {
	if t.AssignedTo == nil {
		return orderedUint(0)
	}
	return orderedUint(*t.AssignedTo)
}

func showAssignee(key []byte) string {
	if id := orderedUintValue(key); id != 0 {
		return strconv.FormatUint(id, 10)
	}
	return "none"
}

// parseAssignee reads assigned_to: a staff id, or none (or 0) for unassigned.
func parseAssignee(raw string) ([]byte, error) {
	if raw == "none" || raw == "0" {
		return orderedUint(0), nil
	}
	return positiveID("assigned_to")(raw)
}

var (
	keyTicketNumber    = []byte("ticket_number")
	bucketTicketSearch = []byte("search_tickets") // token postings (postings.go)
)

// firstTicketNumber is where a shop's ticket numbers start.
const firstTicketNumber = 1001

// Priorities a ticket can have.
var Priorities = []string{"low", "normal", "high", "urgent"}

// Device is the item a ticket is about.
type Device struct {
	Brand  string `json:"brand"`
	Model  string `json:"model"`
	Serial string `json:"serial"`
	IMEI   string `json:"imei"`
}

// Totals are derived from line items and payments in the transaction that changes them.
type Totals struct {
	Subtotal Money `json:"subtotal"`
	Tax      Money `json:"tax"`
	Total    Money `json:"total"`
	Paid     Money `json:"paid"`
	Balance  Money `json:"balance"`
}

// Ticket is a repair job. Its JSON is exactly what the API returns.
type Ticket struct {
	ID         uint64     `json:"id"`
	Number     uint64     `json:"number"`
	CustomerID uint64     `json:"customer_id"`
	Device     Device     `json:"device"`
	Issue      string     `json:"issue"`
	Status     string     `json:"status"`
	AssignedTo *uint64    `json:"assigned_to"`
	Priority   string     `json:"priority"`
	DueAt      *time.Time `json:"due_at"`
	TaxRate    Percent    `json:"tax_rate"`
	Totals     Totals     `json:"totals"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	ClosedAt   *time.Time `json:"closed_at"`
	// LocationID is the location whose stock the ticket's parts come from
	// (0: none; tickets from before locations read so).
	LocationID uint64 `json:"location_id"`

	// raw is the record as putTicket stored it: the same bytes are the
	// API's answer and the events' data.ticket, encoded once. Invariant:
	// nothing changes a ticket between putTicket and the last use of raw.
	raw json.RawMessage
}

// JSON is the ticket as the store holds it and the API answers it.
func (t *Ticket) JSON() json.RawMessage {
	if t.raw != nil {
		return t.raw
	}
	b, _ := json.Marshal(t) // a Ticket always encodes
	return b
}

// TicketInput creates a ticket. Status defaults to the workflow's first status.
type TicketInput struct {
	CustomerID uint64              `json:"customer_id"`
	Device     Device              `json:"device"`
	Issue      string              `json:"issue"`
	Status     string              `json:"status"`
	AssignedTo *uint64             `json:"assigned_to"`
	Priority   string              `json:"priority"`
	DueAt      Nullable[time.Time] `json:"due_at"`
	// LocationID defaults to the shop's location when it has exactly one.
	LocationID uint64 `json:"location_id"`
}

// TicketPatch changes some of a ticket's fields; Null fields are cleared.
type TicketPatch struct {
	CustomerID *uint64             `json:"customer_id"`
	Device     *Device             `json:"device"`
	Issue      *string             `json:"issue"`
	Status     *string             `json:"status"`
	AssignedTo Nullable[uint64]    `json:"assigned_to"`
	Priority   *string             `json:"priority"`
	DueAt      Nullable[time.Time] `json:"due_at"`
	LocationID *uint64             `json:"location_id"`
}

// Nullable is a PATCH field that can be absent, null (clear it) or a value.
type Nullable[T any] struct {
	Set   bool
	Value *T
}

// UnmarshalJSON records that the field was present, and its value or null.
func (n *Nullable[T]) UnmarshalJSON(b []byte) error {
	n.Set = true
	if string(b) == "null" {
		n.Value = nil
		return nil
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		// Report every failure as a type error so the decoder names the field.
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return te
		}
		return &json.UnmarshalTypeError{Value: "value", Type: reflect.TypeFor[T]()}
	}
	n.Value = &v
	return nil
}

func (t *Ticket) validate(statuses []Status) error {
	var p Problems
	t.Issue = strings.TrimSpace(t.Issue)
	if t.CustomerID == 0 {
		p.Add("customer_id", "is required")
	}
	if t.Issue == "" || utf8.RuneCountInString(t.Issue) > 5000 {
		p.Add("issue", "is required (1 to 5000 characters)")
	}
	for name, v := range map[string]string{"device.brand": t.Device.Brand, "device.model": t.Device.Model,
		"device.serial": t.Device.Serial, "device.imei": t.Device.IMEI} {
		if utf8.RuneCountInString(v) > 100 {
			p.Add(name, "must be at most 100 characters")
		}
	}
	if t.Device.IMEI != "" && (len(t.Device.IMEI) < 14 || len(t.Device.IMEI) > 16 || !allDigits(t.Device.IMEI)) {
		p.Add("device.imei", "must be 14 to 16 digits")
	}
	if statusOf(statuses, t.Status) == nil {
		p.Add("status", fmt.Sprintf("must be one of the shop's statuses: %s", statusNames(statuses)))
	}
	if !contains(Priorities, t.Priority) {
		p.Add("priority", "must be one of low, normal, high, urgent")
	}
	if t.AssignedTo != nil && *t.AssignedTo == 0 {
		p.Add("assigned_to", "must be a user id, or null for unassigned")
	}
	return p.Err()
}

func statusOf(list []Status, name string) *Status {
	for i := range list {
		if list[i].Name == name {
			return &list[i]
		}
	}
	return nil
}

func statusNames(list []Status) string {
	names := make([]string, len(list))
	for i, s := range list {
		names[i] = s.Name
	}
	return strings.Join(names, ", ")
}

// CreateTicket opens a ticket for an existing customer and records ticket.created.
func (s *Store) CreateTicket(ctx context.Context, in TicketInput) (Ticket, error) {
	var out Ticket
	err := s.update(ctx, func(tx *bolt.Tx) error {
		t, err := s.createTicket(tx, in, nil)
		out = t
		return err
	})
	return out, err
}

// createTicket opens one ticket; batch, when given, gathers its search
// tokens (see putTicketTo).
func (s *Store) createTicket(tx *bolt.Tx, in TicketInput, batch tokenBatch) (Ticket, error) {
	statuses, err := getJSON(tx, keyStatuses, DefaultStatuses())
	if err != nil {
		return Ticket{}, err
	}
	shop, err := getJSON(tx, keyShop, defaultShop())
	if err != nil {
		return Ticket{}, err
	}
	t := Ticket{CustomerID: in.CustomerID, Device: in.Device, Issue: in.Issue, Status: in.Status,
		AssignedTo: in.AssignedTo, Priority: in.Priority, DueAt: utcPtr(in.DueAt.Value), TaxRate: shop.TaxRate}
	if t.Status == "" {
		t.Status = statuses[0].Name
	}
	if t.Priority == "" {
		t.Priority = "normal"
	}
	if err := t.validate(statuses); err != nil {
		return Ticket{}, err
	}
	if in.CustomerID != 0 && tx.Bucket(customers.records).Get(itob(in.CustomerID)) == nil {
		return Ticket{}, Invalid("customer_id", "no customer has this id")
	}
	if t.LocationID, err = ticketLocation(tx, in.LocationID); err != nil {
		return Ticket{}, err
	}
	id, err := tx.Bucket(tickets.records).NextSequence()
	if err != nil {
		return Ticket{}, err
	}
	meta := tx.Bucket(bucketMeta)
	number := uint64(firstTicketNumber)
	if v := meta.Get(keyTicketNumber); v != nil {
		number = btoi(v) + 1
	}
	if err := meta.Put(keyTicketNumber, itob(number)); err != nil {
		return Ticket{}, err
	}
	now := s.clock()
	t.ID, t.Number, t.CreatedAt, t.UpdatedAt = id, number, now, now
	if statusOf(statuses, t.Status).Closed {
		t.ClosedAt = &now
	}
	if err := s.putTicketTo(tx, nil, &t, batch); err != nil {
		return Ticket{}, err
	}
	_, err = s.appendEvent(tx, "ticket.created", ordered{}.with("ticket_id", id).with("ticket", t.JSON()))
	return t, err
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC().Truncate(time.Second)
	return &u
}

// putTicket writes the record, its indexes, its search tokens and the
// customer's open-ticket count.
func (s *Store) putTicket(tx *bolt.Tx, old, t *Ticket) error {
	return s.putTicketTo(tx, old, t, nil)
}

// putTicketTo is putTicket, but a new ticket's search tokens go to batch when
// one is given, for the caller to put with the rest of its tickets' tokens.
func (s *Store) putTicketTo(tx *bolt.Tx, old, t *Ticket, batch tokenBatch) error {
	t.raw = nil
	raw, err := json.Marshal(t)
	if err != nil {
		return err
	}
	if err := appending(tx.Bucket(tickets.records)).Put(itob(t.ID), packRecord(raw)); err != nil {
		return err
	}
	t.raw = raw
	// Notes, line items and payments rewrite the ticket too; its tokens only
	// change with what they are made of.
	if old == nil || old.CustomerID != t.CustomerID || old.Device != t.Device || old.Issue != t.Issue {
		var was []string
		if old != nil {
			if was, err = ticketTokens(tx, old); err != nil {
				return err
			}
		}
		now, err := ticketTokens(tx, t)
		switch {
		case err != nil:
			return err
		case old == nil && batch != nil:
			batch.add(t.ID, now)
		default:
			if err := setTokens(tx.Bucket(bucketTicketSearch), t.ID, was, now); err != nil {
				return err
			}
		}
	}
	var oldIdx *indexed
	if old != nil {
		oldIdx = tickets.index(old)
		if old.ClosedAt == nil {
			if err := addCount(tx.Bucket(bucketOpenTickets), itob(old.CustomerID), -1); err != nil {
				return err
			}
		}
	}
	if t.ClosedAt == nil {
		if err := addCount(tx.Bucket(bucketOpenTickets), itob(t.CustomerID), 1); err != nil {
			return err
		}
	}
	return tickets.reindex(tx, t.ID, oldIdx, tickets.index(t))
}

// Ticket returns one ticket's JSON.
func (s *Store) Ticket(id uint64) (json.RawMessage, error) {
	return s.raw(tickets.records, id, "ticket")
}

// ListTickets returns one page of tickets through the index that fits the query.
func (s *Store) ListTickets(q ListQuery) (Page, error) {
	var page Page
	err := s.view(func(tx *bolt.Tx) (err error) {
		page, err = tickets.list(tx, q)
		return err
	})
	return page, err
}

// CountTickets splits the tickets matching filters (raw, as the API got
// them) by a filter field's values: {"New": 4, "In Progress": 2}, or staff
// ids and "none" by assigned_to. It reads kept counts only, so it costs the
// same at ten tickets or a million.
func (s *Store) CountTickets(by string, filters map[string]string) (map[string]int, error) {
	var out map[string]int
	err := s.view(func(tx *bolt.Tx) error {
		enc, err := tickets.encodeFilters(filters)
		if err != nil {
			return err
		}
		out, err = tickets.countBy(tx, by, enc)
		return err
	})
	return out, err
}

// SearchTickets pages the tickets matching every word of search (see
// Ticket.tokens), narrowed by q's filters, in id order.
func (s *Store) SearchTickets(q ListQuery, search string) (Page, error) {
	var page Page
	err := s.view(func(tx *bolt.Tx) (err error) {
		page, err = searchTickets(tx, search, q)
		return err
	})
	return page, err
}

// CustomerTickets lists a customer's tickets (404 when the customer does not exist).
func (s *Store) CustomerTickets(customerID uint64, q ListQuery) (Page, error) {
	var page Page
	err := s.view(func(tx *bolt.Tx) (err error) {
		if tx.Bucket(customers.records).Get(itob(customerID)) == nil {
			return notFound("customer")
		}
		q.Filters = maps.Clone(q.Filters) // the caller's map stays as it was
		if q.Filters == nil {
			q.Filters = map[string]string{}
		}
		q.Filters["customer_id"] = strconv.FormatUint(customerID, 10)
		page, err = tickets.list(tx, q)
		return err
	})
	return page, err
}

// UpdateTicket applies a patch in one transaction. Besides ticket.updated it
// records the specific events a change implies: status_changed, assigned,
// closed and reopened.
func (s *Store) UpdateTicket(ctx context.Context, id uint64, p TicketPatch) (Ticket, error) {
	var out Ticket
	err := s.update(ctx, func(tx *bolt.Tx) error {
		old, err := getRecord[Ticket](tx, tickets.records, id, "ticket")
		if err != nil {
			return err
		}
		statuses, err := getJSON(tx, keyStatuses, DefaultStatuses())
		if err != nil {
			return err
		}
		t := *old
		changes := ordered{}
		if p.CustomerID != nil && *p.CustomerID != t.CustomerID {
			if tx.Bucket(customers.records).Get(itob(*p.CustomerID)) == nil {
				return Invalid("customer_id", "no customer has this id")
			}
			changes = changes.with("customer_id", change{t.CustomerID, *p.CustomerID})
			t.CustomerID = *p.CustomerID
		}
		if p.LocationID != nil && *p.LocationID != t.LocationID {
			if *p.LocationID == 0 || tx.Bucket(locations.records).Get(itob(*p.LocationID)) == nil {
				return Invalid("location_id", "must be an existing location")
			}
			changes = changes.with("location_id", change{t.LocationID, *p.LocationID})
			t.LocationID = *p.LocationID
		}
		if p.Device != nil && *p.Device != t.Device {
			changes = changes.with("device", change{t.Device, *p.Device})
			t.Device = *p.Device
		}
		if p.Issue != nil && strings.TrimSpace(*p.Issue) != t.Issue {
			changes = changes.with("issue", change{t.Issue, strings.TrimSpace(*p.Issue)})
			t.Issue = *p.Issue
		}
		if p.Status != nil && *p.Status != t.Status {
			changes = changes.with("status", change{t.Status, *p.Status})
			t.Status = *p.Status
		}
		if p.AssignedTo.Set && !equalPtr(p.AssignedTo.Value, t.AssignedTo) {
			changes = changes.with("assigned_to", change{t.AssignedTo, p.AssignedTo.Value})
			t.AssignedTo = p.AssignedTo.Value
		}
		if p.Priority != nil && *p.Priority != t.Priority {
			changes = changes.with("priority", change{t.Priority, *p.Priority})
			t.Priority = *p.Priority
		}
		if p.DueAt.Set && !equalTime(utcPtr(p.DueAt.Value), t.DueAt) {
			changes = changes.with("due_at", change{t.DueAt, utcPtr(p.DueAt.Value)})
			t.DueAt = utcPtr(p.DueAt.Value)
		}
		if err := t.validate(statuses); err != nil {
			return err
		}
		out = t
		if len(changes) == 0 {
			return nil
		}
		now := s.clock()
		t.UpdatedAt = now
		wasClosed := old.ClosedAt != nil
		isClosed := statusOf(statuses, t.Status).Closed
		switch {
		case isClosed && !wasClosed:
			t.ClosedAt = &now
		case !isClosed && wasClosed:
			t.ClosedAt = nil
		}
		if err := s.putTicket(tx, old, &t); err != nil {
			return err
		}
		out = t
		return s.ticketUpdateEvents(tx, old, &t, changes)
	})
	return out, err
}

func (s *Store) ticketUpdateEvents(tx *bolt.Tx, old, t *Ticket, changes ordered) error {
	emit := func(name string, data ordered) error {
		_, err := s.appendEvent(tx, name, data)
		return err
	}
	base := func() ordered { return ordered{}.with("ticket_id", t.ID) }
	if err := emit("ticket.updated", base().with("changes", changes).with("ticket", t.JSON())); err != nil {
		return err
	}
	if old.Status != t.Status {
		st := ordered{}.with("status", change{old.Status, t.Status})
		if err := emit("ticket.status_changed", base().with("changes", st).with("ticket", t.JSON())); err != nil {
			return err
		}
	}
	if !equalPtr(old.AssignedTo, t.AssignedTo) {
		as := ordered{}.with("assigned_to", change{old.AssignedTo, t.AssignedTo})
		if err := emit("ticket.assigned", base().with("changes", as).with("ticket", t.JSON())); err != nil {
			return err
		}
	}
	switch {
	case old.ClosedAt == nil && t.ClosedAt != nil:
		return emit("ticket.closed", base().with("ticket", t.JSON()))
	case old.ClosedAt != nil && t.ClosedAt == nil:
		return emit("ticket.reopened", base().with("ticket", t.JSON()))
	}
	return nil
}

func equalPtr[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

func equalTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

// ticketLocation is a new ticket's location: the one given, which must
// exist, else the shop's only location, else none (0) — a shop with several
// locations names it when it opens the ticket, or before a part is taken
// from stock for it (see AddLineItem).
func ticketLocation(tx *bolt.Tx, id uint64) (uint64, error) {
	if id != 0 {
		if tx.Bucket(locations.records).Get(itob(id)) == nil {
			return 0, Invalid("location_id", "must be an existing location")
		}
		return id, nil
	}
	return onlyLocation(tx), nil
}

// onlyLocation is the id of the shop's location when it has exactly one, else 0.
func onlyLocation(tx *bolt.Tx) uint64 {
	c := tx.Bucket(locations.records).Cursor()
	k, _ := c.First()
	if k == nil {
		return 0
	}
	if next, _ := c.Next(); next != nil {
		return 0
	}
	return btoi(k)
}
