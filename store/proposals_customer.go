package store

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"
	"unicode/utf8"
)

// A customer answers their quotes on their own page: they open one (a
// Submitted proposal becomes ViewedByClient), accept it with a typed name as
// signature, or decline it with an optional reason. Each goes through
// UpdateProposal, so the status change, the signature and the ticket's new
// lines are one transaction and fire the same events as staff's, with the
// customer as actor. A customer never sees another's proposal nor a Draft:
// both are "not found", so nothing confirms they exist.

// ProposalAcceptance is the customer's signature on an accepted proposal.
type ProposalAcceptance struct {
	Name string    `json:"name"`
	At   time.Time `json:"at"`
	IP   string    `json:"ip"`
}

// CustomerAct names the customer acting and what they sign or say.
type CustomerAct struct {
	CustomerID    uint64
	Acceptance    *ProposalAcceptance // accepting: At is set by the store
	DeclineReason *string             // declining: "" says nothing
}

// CustomerAcceptInput is the body of a customer's accept.
type CustomerAcceptInput struct {
	ChosenOptions []int  `json:"chosen_options"`
	SignatureName string `json:"signature_name"`
}

// CustomerDeclineInput is the body of a customer's decline.
type CustomerDeclineInput struct {
	Reason string `json:"reason"`
}

// Bounds of what a customer types.
const (
	minSignature     = 2
	maxSignature     = 100
	maxDeclineReason = 1000
)

// visibleTo says whether customer may see p at all.
func (p *Proposal) visibleTo(customerID uint64) bool {
	return p.CustomerID == customerID && p.Status != ProposalDraft
}

// CustomerProposal reads a proposal as its customer may: another customer's,
// or a Draft, is not found.
func (s *Store) CustomerProposal(id, customerID uint64) (Proposal, error) {
	raw, err := s.Proposal(id)
	if err != nil {
		return Proposal{}, err
	}
	var p Proposal
	if err := json.Unmarshal(raw, &p); err != nil {
		return Proposal{}, err
	}
	if !p.visibleTo(customerID) {
		return Proposal{}, notFound("proposal")
	}
	return p, nil
}

// ViewProposalAsCustomer reads the proposal for its customer, marking a
// Submitted one ViewedByClient (proposal.status_changed with ctx's actor).
func (s *Store) ViewProposalAsCustomer(ctx context.Context, id, customerID uint64) (Proposal, error) {
	p, err := s.CustomerProposal(id, customerID)
	if err != nil || p.Status != ProposalSubmitted {
		return p, err
	}
	viewed := ProposalViewedByClient
	out, err := s.UpdateProposal(ctx, id, ProposalPatch{Status: &viewed, Customer: &CustomerAct{CustomerID: customerID}})
	var ce *ConflictError
	if errors.As(err, &ce) {
		// It moved on meanwhile (staff took it back, the clock expired it):
		// the customer sees it as it is now.
		return s.CustomerProposal(id, customerID)
	}
	return out, err
}

// AcceptProposalAsCustomer accepts with the customer's choices and typed
// name, recording the signature with the time and their address.
func (s *Store) AcceptProposalAsCustomer(ctx context.Context, id, customerID uint64, in CustomerAcceptInput, ip string) (Proposal, error) {
	name := strings.Join(strings.Fields(in.SignatureName), " ")
	if n := utf8.RuneCountInString(name); n < minSignature || n > maxSignature {
		return Proposal{}, Invalid("signature_name", "type your full name to sign (2 to 100 characters)")
	}
	accepted := ProposalAccepted
	patch := ProposalPatch{Status: &accepted, Customer: &CustomerAct{CustomerID: customerID,
		Acceptance: &ProposalAcceptance{Name: name, IP: ip}}}
	if in.ChosenOptions != nil {
		patch.ChosenOptions = &in.ChosenOptions
	}
	return s.UpdateProposal(ctx, id, patch)
}

// DeclineProposalAsCustomer declines, keeping the customer's reason.
func (s *Store) DeclineProposalAsCustomer(ctx context.Context, id, customerID uint64, in CustomerDeclineInput) (Proposal, error) {
	reason := strings.TrimSpace(in.Reason)
	if utf8.RuneCountInString(reason) > maxDeclineReason {
		return Proposal{}, Invalid("reason", "must be at most 1000 characters")
	}
	declined := ProposalDeclined
	return s.UpdateProposal(ctx, id, ProposalPatch{Status: &declined, Customer: &CustomerAct{CustomerID: customerID, DeclineReason: &reason}})
}

// customerMay refuses, inside the transaction, what the customer may not do
// to p, in words a customer understands: the staff's 409s name statuses
// and moves, which mean nothing to them.
func (p *Proposal) customerMay(act CustomerAct, to *string, now time.Time) error {
	if !p.visibleTo(act.CustomerID) {
		return notFound("proposal")
	}
	if to == nil {
		return Conflict("There is nothing to change on this quote.")
	}
	if *to == ProposalViewedByClient {
		if p.Status != ProposalSubmitted {
			return Conflict("This quote has already been opened.")
		}
		return nil
	}
	switch p.Status {
	case ProposalAccepted, ProposalCompleted:
		return Conflict("You have already accepted this quote.")
	case ProposalDeclined:
		return Conflict("You have already declined this quote. If you have changed your mind, please contact the shop.")
	case ProposalExpired:
		return Conflict("This quote has expired. Please contact the shop for a new one.")
	case ProposalSubmitted, ProposalViewedByClient, ProposalDelayed:
	default:
		return Conflict("This quote cannot be answered online yet. Please contact the shop.")
	}
	if p.ExpiresAt != nil && !p.ExpiresAt.After(now) {
		return Conflict("This quote expired on %s. Please contact the shop for a new one.", p.ExpiresAt.Format("2 January 2006"))
	}
	return nil
}

// record keeps the signature or the reason on the moved proposal.
func (act CustomerAct) record(p *Proposal) {
	switch p.Status {
	case ProposalAccepted:
		if act.Acceptance != nil {
			a := *act.Acceptance
			a.At = p.StatusHistory[len(p.StatusHistory)-1].At
			p.Acceptance = &a
		}
	case ProposalDeclined:
		if act.DeclineReason != nil && *act.DeclineReason != "" {
			r := *act.DeclineReason
			p.DeclineReason = &r
		}
	}
}

// customerConflict says a refusal of the ticket's side (a part out of
// stock, a ticket with no location) without the shop's inner workings.
func customerConflict(err error) error {
	var ce *ConflictError
	if errors.As(err, &ce) {
		return Conflict("This quote cannot be accepted online right now. Please contact the shop and they will sort it out.")
	}
	return err
}
