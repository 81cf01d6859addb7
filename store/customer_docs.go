package store

import (
	"slices"

	bolt "go.etcd.io/bbolt"
)

// What a customer's own page lists besides their tickets: their quotes and
// the files the shop made visible to them. Both are read through the
// customer's own indexes, so nothing of another customer is ever loaded.

// maxCustomerList bounds what one answer lists (newest first): a customer
// with more quotes or files than this is a shop's mistake, not a page.
const maxCustomerList = 200

// CustomerProposals lists the customer's proposals that are not Drafts,
// newest first.
func (s *Store) CustomerProposals(customerID uint64) ([]Proposal, error) {
	out := []Proposal{}
	err := s.view(func(tx *bolt.Tx) error {
		return proposals.eachID(tx, "customer_id", orderedUint(customerID), func(id uint64) error {
			p, err := getRecord[Proposal](tx, proposals.records, id, "proposal")
			if err == nil && p.visibleTo(customerID) {
				out = append(out, *p)
			}
			return err
		})
	})
	slices.SortFunc(out, func(a, b Proposal) int { return cmpDesc(a.ID, b.ID) })
	return out[:min(len(out), maxCustomerList)], err
}

// CustomerAttachments lists the customer_visible attachments on the
// customer's record, their tickets and their (non-Draft) proposals, newest
// first; with ticketID, only that ticket's, which must be theirs (else not
// found).
func (s *Store) CustomerAttachments(customerID, ticketID uint64) ([]Attachment, error) {
	out := []Attachment{}
	err := s.view(func(tx *bolt.Tx) error {
		type owner struct {
			typ string
			id  uint64
		}
		var owners []owner
		if ticketID != 0 {
			t, err := getRecord[Ticket](tx, tickets.records, ticketID, "ticket")
			if err != nil {
				return err
			}
			if t.CustomerID != customerID {
				return notFound("ticket")
			}
			owners = append(owners, owner{"ticket", ticketID})
		} else {
			owners = append(owners, owner{"customer", customerID})
			err := tickets.eachID(tx, "customer_id", orderedUint(customerID), func(id uint64) error {
				owners = append(owners, owner{"ticket", id})
				return nil
			})
			if err != nil {
				return err
			}
			err = proposals.eachID(tx, "customer_id", orderedUint(customerID), func(id uint64) error {
				p, err := getRecord[Proposal](tx, proposals.records, id, "proposal")
				if err == nil && p.visibleTo(customerID) {
					owners = append(owners, owner{"proposal", id})
				}
				return err
			})
			if err != nil {
				return err
			}
		}
		for _, o := range owners {
			err := attachments.eachID(tx, "owner", ownerKey(o.typ, o.id), func(id uint64) error {
				a, err := getRecord[Attachment](tx, attachments.records, id, "attachment")
				if err == nil && a.CustomerVisible {
					out = append(out, *a)
				}
				return err
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	slices.SortFunc(out, func(a, b Attachment) int { return cmpDesc(a.ID, b.ID) })
	return out[:min(len(out), maxCustomerList)], err
}

func cmpDesc(a, b uint64) int {
	switch {
	case a > b:
		return -1
	case a < b:
		return 1
	}
	return 0
}
