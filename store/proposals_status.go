package store

import (
	"fmt"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// Proposal statuses, as Portal.io names them.
const (
	ProposalDraft          = "Draft"
	ProposalSubmitted      = "Submitted"
	ProposalViewedByClient = "ViewedByClient"
	ProposalAccepted       = "Accepted"
	ProposalDeclined       = "Declined"
	ProposalDelayed        = "Delayed"
	ProposalCompleted      = "Completed"
	ProposalEmailFailed    = "EmailFailed"
	ProposalExpired        = "Expired"
)

// ProposalStatuses lists a proposal's statuses, Draft first (new ones start
// there).
var ProposalStatuses = []string{ProposalDraft, ProposalSubmitted, ProposalViewedByClient, ProposalAccepted,
	ProposalDeclined, ProposalDelayed, ProposalCompleted, ProposalEmailFailed, ProposalExpired}

// proposalMoves is the one table of the moves a PATCH may make: from each
// status, where a proposal may go. Expired is in no list: only the clock
// sets it (expiringStatuses), and from it a proposal goes back to Draft to
// be reworked. Completed is final. The 409 of an illegal move is made from
// this table, so the message and the rule cannot disagree.
var proposalMoves = map[string][]string{
	ProposalDraft:          {ProposalSubmitted},
	ProposalSubmitted:      {ProposalViewedByClient, ProposalAccepted, ProposalDeclined, ProposalDelayed, ProposalEmailFailed, ProposalDraft},
	ProposalViewedByClient: {ProposalAccepted, ProposalDeclined, ProposalDelayed, ProposalDraft},
	ProposalDelayed:        {ProposalSubmitted, ProposalAccepted, ProposalDeclined, ProposalDraft},
	ProposalEmailFailed:    {ProposalSubmitted, ProposalDraft},
	ProposalAccepted:       {ProposalCompleted},
	ProposalDeclined:       {ProposalDraft},
	ProposalExpired:        {ProposalDraft},
	ProposalCompleted:      nil,
}

// expiringStatuses are the statuses in which a proposal waits on the
// customer, so its expiry date applies.
var expiringStatuses = []string{ProposalSubmitted, ProposalViewedByClient, ProposalDelayed}

// ProposalMoves says where a proposal in status from may move by a PATCH
// (nil: nowhere).
func ProposalMoves(from string) []string { return slices.Clone(proposalMoves[from]) }

// moveProblem says why p may not move to status by a PATCH, naming where it
// may move; "" when it may.
func (p *Proposal) moveProblem(status string) string {
	allowed := proposalMoves[p.Status]
	if slices.Contains(allowed, status) {
		return ""
	}
	next := strings.Join(allowed, ", ")
	if len(allowed) == 0 {
		next = "nowhere: " + p.Status + " is final"
	}
	why := fmt.Sprintf("proposal %d cannot move from %s to %s; from %s it can move to %s", p.Number, p.Status, status, p.Status, next)
	if status == ProposalExpired {
		why += " (Expired is set only by the clock, once expires_at has passed)"
	}
	return why
}

// frozen says whether p's lines and choices are settled: once accepted they
// are on the ticket, so the quote must keep saying what was agreed.
func (p *Proposal) frozen() bool {
	return p.Status == ProposalAccepted || p.Status == ProposalCompleted
}

// settled says whether a proposal is over: declined, expired or completed.
// Any other is still a deal with its customer.
func settled(status string) bool {
	return status == ProposalDeclined || status == ProposalExpired || status == ProposalCompleted
}

// openProposalsOf refuses to delete a customer who has proposals not yet
// settled (the quote would name nobody), naming the first few; settled
// ones keep the customer_id as history, as closed tickets do.
func openProposalsOf(tx *bolt.Tx, customerID uint64) error {
	var open []string
	err := proposals.eachID(tx, "customer_id", orderedUint(customerID), func(id uint64) error {
		p, err := getRecord[Proposal](tx, proposals.records, id, "proposal")
		if err == nil && !settled(p.Status) {
			open = append(open, fmt.Sprint(p.Number))
		}
		return err
	})
	if err != nil || len(open) == 0 {
		return err
	}
	return Conflict("customer has %d open proposal(s) (number %s); decline or complete them before deleting the customer",
		len(open), strings.Join(open[:min(len(open), 5)], ", "))
}
