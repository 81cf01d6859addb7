package store

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

// Status is one step of the ticket workflow; Closed statuses close a ticket.
type Status struct {
	Name   string `json:"name"`
	Closed bool   `json:"closed"`
	// NotifyCustomer sends the ticket's customer an email when a ticket
	// reaches this status (mail/); the shop chooses which statuses do.
	NotifyCustomer bool `json:"notify_customer"`
}

// DefaultStatuses is a repair shop's workflow out of the box.
func DefaultStatuses() []Status {
	return []Status{
		{Name: "New"}, {Name: "In Progress"}, {Name: "Waiting for Parts"},
		{Name: "Waiting on Customer"}, {Name: "Ready for Pickup", NotifyCustomer: true},
		{Name: "Resolved", Closed: true}, {Name: "Closed", Closed: true},
	}
}

// Statuses returns the ticket workflow.
func (s *Store) Statuses() ([]Status, error) {
	var out []Status
	err := s.view(func(tx *bolt.Tx) (err error) { out, err = getJSON(tx, keyStatuses, DefaultStatuses()); return })
	return out, err
}

// SetStatuses replaces the ticket workflow without renaming any status.
func (s *Store) SetStatuses(ctx context.Context, list []Status) ([]Status, error) {
	return s.ReplaceStatuses(ctx, list, nil)
}

// ReplaceStatuses replaces the ticket workflow. renames maps a current
// status's name to its name in list: the tickets in it move with it, in the
// same transaction, so the kept counts and the status index never name a
// status the workflow lacks. A status that tickets use cannot otherwise be
// removed, nor change whether it closes a ticket (409): every ticket's
// closed_at would disagree with the workflow. A rename is a change of the
// workflow, not of the tickets: their updated_at stays, and the one
// store.updated event carries "renamed" for integrations that keep names.
func (s *Store) ReplaceStatuses(ctx context.Context, list []Status, renames map[string]string) ([]Status, error) {
	if err := validateStatuses(list, renames); err != nil {
		return nil, err
	}
	moves := map[string]string{} // the renames that rename
	for from, to := range renames {
		if from != to {
			moves[from] = to
		}
	}
	err := s.update(ctx, func(tx *bolt.Tx) error {
		old, err := getJSON(tx, keyStatuses, DefaultStatuses())
		if err != nil {
			return err
		}
		next := map[string]Status{}
		for _, st := range list {
			next[st.Name] = st
		}
		for from := range moves {
			if statusOf(old, from) == nil {
				return Invalid("renames", fmt.Sprintf("%q is not one of the shop's statuses", from))
			}
		}
		for _, st := range old {
			to, renamed := moves[st.Name]
			if !renamed {
				to = st.Name
			}
			n := tickets.count(tx, map[string][]byte{"status": []byte(st.Name)})
			if n == 0 {
				continue
			}
			if nw, ok := next[to]; !ok {
				return Conflict("status %q is used by %d tickets; move them first", st.Name, n)
			} else if nw.Closed != st.Closed {
				return Conflict("status %q is used by %d tickets; it cannot change between open and closed", st.Name, n)
			}
			if renamed {
				if err := s.moveStatus(tx, st.Name, to); err != nil {
					return err
				}
			}
		}
		if err := putJSON(tx, keyStatuses, list); err != nil {
			return err
		}
		data := ordered{}.with("store_id", 1).with("changes", ordered{}.with("statuses", change{old, list}))
		if len(moves) > 0 {
			data = data.with("renamed", moves)
		}
		_, err = s.appendEvent(tx, "store.updated", data)
		return err
	})
	if err != nil {
		return nil, err
	}
	return list, nil
}

// validateStatuses checks the list and the renames before any transaction.
func validateStatuses(list []Status, renames map[string]string) error {
	var pr Problems
	seen := map[string]bool{}
	if len(list) == 0 || len(list) > 30 {
		pr.Add("statuses", "must list 1 to 30 statuses")
	}
	open := 0
	for i, st := range list {
		name := strings.TrimSpace(st.Name)
		switch {
		case name == "" || utf8.RuneCountInString(name) > 40 || name != st.Name:
			pr.Add(fmt.Sprintf("statuses[%d].name", i), "must be 1 to 40 characters without surrounding spaces")
		case seen[strings.ToLower(name)]:
			pr.Add(fmt.Sprintf("statuses[%d].name", i), "is listed twice")
		}
		seen[strings.ToLower(name)] = true
		if !st.Closed {
			open++
		}
	}
	if len(list) > 0 && (open == 0 || list[0].Closed) {
		pr.Add("statuses", "the first status (given to new tickets) must be open")
	}
	targets := map[string]bool{}
	for from, to := range renames {
		switch {
		case statusOf(list, to) == nil:
			pr.Add("renames", fmt.Sprintf("%q is renamed to %q, which the new statuses do not list", from, to))
		case statusOf(list, from) != nil && from != to:
			pr.Add("renames", fmt.Sprintf("%q is renamed but also kept", from))
		case targets[to]:
			pr.Add("renames", fmt.Sprintf("two statuses are renamed to %q", to))
		}
		targets[to] = true
	}
	return pr.Err()
}

// moveStatus gives every ticket in status from the status to. The ids are
// gathered first: the walk must not see the index it is changing.
func (s *Store) moveStatus(tx *bolt.Tx, from, to string) error {
	var ids []uint64
	err := tickets.eachID(tx, "status", []byte(from), func(id uint64) error {
		ids = append(ids, id)
		return nil
	})
	if err != nil {
		return err
	}
	for _, id := range ids {
		t, err := getRecord[Ticket](tx, tickets.records, id, "ticket")
		if err != nil {
			return err
		}
		old := *t
		t.Status = to
		if err := s.putTicket(tx, &old, t); err != nil {
			return err
		}
	}
	return nil
}
