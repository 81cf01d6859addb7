package store

import (
	"context"

	bolt "go.etcd.io/bbolt"
)

// ExpireProposals moves every Submitted, ViewedByClient or Delayed proposal
// whose expires_at has passed (by the store's clock) to Expired, each with
// its proposal.status_changed event, and says how many it moved. The
// server calls it every minute (api.RunMinuteJobs); tests call it after
// moving the clock. Only the proposals waiting on a customer are read,
// through the status index, so a shop's years of settled quotes cost
// nothing a minute.
func (s *Store) ExpireProposals(ctx context.Context) (int, error) {
	due := func(tx *bolt.Tx) ([]*Proposal, error) {
		now := s.clock()
		var out []*Proposal
		for _, status := range expiringStatuses {
			err := proposals.eachID(tx, "status", []byte(status), func(id uint64) error {
				p, err := getRecord[Proposal](tx, proposals.records, id, "proposal")
				if err == nil && p.ExpiresAt != nil && !now.Before(*p.ExpiresAt) {
					out = append(out, p)
				}
				return err
			})
			if err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	// A read first: most minutes nothing is due, and a write costs a commit.
	var pending []*Proposal
	if err := s.view(func(tx *bolt.Tx) (err error) { pending, err = due(tx); return err }); err != nil || len(pending) == 0 {
		return 0, err
	}
	n := 0
	err := s.update(ctx, func(tx *bolt.Tx) error {
		n = 0
		list, err := due(tx) // again: a PATCH may have moved one since the read
		if err != nil {
			return err
		}
		now := s.clock()
		for _, old := range list {
			rec := *old
			m := rec.move(ProposalExpired, now, System.Name)
			rec.UpdatedAt = now
			if err := putProposal(tx, old, &rec); err != nil {
				return err
			}
			data := ordered{}.with("proposal_id", rec.ID).with("proposal", rec).with("from", m.from).with("to", m.to)
			if _, err := s.appendEvent(tx, m.event, data); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}
