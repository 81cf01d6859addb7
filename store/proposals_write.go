package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The proposals' writes. Each records its events in the same transaction,
// with the whole proposal in the data (so a portalio webhook sends it as
// Portal.io does): proposal.created; proposal.updated (name, customer,
// ticket, expiry, areas, chosen options); proposal.status_changed,
// proposal.outline_status_changed and proposal.build_status_changed, whose
// data also has "from" and "to".

var (
	bucketProposalSearch = []byte("search_proposals") // token postings (postings.go)
	keyProposalNumber    = []byte("proposal_number")
)

var proposalSearch = &tokenIndex{bucketProposalSearch, proposals.records}

// firstProposalNumber is where a shop's proposal numbers start.
const firstProposalNumber = 1001

// CreateProposal adds a Draft proposal at the shop's tax rate and records
// proposal.created.
func (s *Store) CreateProposal(ctx context.Context, in ProposalInput) (Proposal, error) {
	var p Problems
	checkProposalName(&p, "name", in.Name)
	if in.CustomerID == 0 {
		p.Add("customer_id", "is required")
	}
	if in.TicketID != nil && *in.TicketID == 0 {
		p.Add("ticket_id", "must be a ticket's id, or null")
	}
	checkAreas(&p, in.Areas)
	if in.ExpiresAt != nil && !in.ExpiresAt.After(s.clock()) {
		p.Add("expires_at", "must be in the future")
	}
	if err := p.Err(); err != nil {
		return Proposal{}, err
	}
	by := ActorFrom(ctx).Name
	var out Proposal
	err := s.update(ctx, func(tx *bolt.Tx) error {
		shop, err := getJSON(tx, keyShop, defaultShop())
		if err != nil {
			return err
		}
		rec := Proposal{Name: strings.TrimSpace(in.Name), CustomerID: in.CustomerID, TicketID: in.TicketID,
			Status: ProposalDraft, ExpiresAt: utcPtr(in.ExpiresAt), TaxRate: shop.TaxRate}
		if err := rec.checkRefs(tx); err != nil {
			return err
		}
		if rec.Areas, err = proposalAreas(tx, in.Areas); err != nil {
			return err
		}
		if err := rec.summarize(); err != nil {
			return err
		}
		id, err := tx.Bucket(proposals.records).NextSequence()
		if err != nil {
			return err
		}
		if rec.Number, err = nextProposalNumber(tx); err != nil {
			return err
		}
		now := s.clock()
		rec.ID, rec.CreatedAt, rec.UpdatedAt = id, now, now
		rec.StatusHistory = []ProposalStatusChange{{To: ProposalDraft, At: now, By: by}}
		if err := putProposal(tx, nil, &rec); err != nil {
			return err
		}
		out = rec
		_, err = s.appendEvent(tx, "proposal.created", ordered{}.with("proposal_id", id).with("proposal", rec))
		return err
	})
	return out, err
}

// nextProposalNumber takes the next number of the shop's sequence, kept in
// meta as the tickets' is (ids are per store; numbers are what people say).
func nextProposalNumber(tx *bolt.Tx) (uint64, error) {
	meta := tx.Bucket(bucketMeta)
	number := uint64(firstProposalNumber)
	if v := meta.Get(keyProposalNumber); v != nil {
		number = btoi(v) + 1
	}
	return number, meta.Put(keyProposalNumber, itob(number))
}

// checkRefs refuses a customer or ticket that does not exist, and a ticket
// of another customer (its lines would bill the wrong person).
func (p *Proposal) checkRefs(tx *bolt.Tx) error {
	var probs Problems
	if tx.Bucket(customers.records).Get(itob(p.CustomerID)) == nil {
		probs.Add("customer_id", "no customer has this id")
	}
	if p.TicketID != nil {
		t, err := getRecord[Ticket](tx, tickets.records, *p.TicketID, "ticket")
		switch {
		case isNotFound(err):
			probs.Add("ticket_id", "no ticket has this id")
		case err != nil:
			return err
		case t.CustomerID != 0 && t.CustomerID != p.CustomerID:
			probs.Add("ticket_id", "the ticket is another customer's: its customer_id is "+formatID(t.CustomerID))
		}
	}
	return probs.Err()
}

// UpdateProposal applies a patch in one transaction: the fields, areas and
// chosen options first (proposal.updated), then the status
// (proposal.status_changed; accepting puts the chosen lines on the ticket),
// then the outline and build statuses. Anything refused leaves the proposal
// and the ticket as they were.
func (s *Store) UpdateProposal(ctx context.Context, id uint64, patch ProposalPatch) (Proposal, error) {
	if err := checkProposalPatch(patch); err != nil {
		return Proposal{}, err
	}
	by := ActorFrom(ctx).Name
	var out Proposal
	err := s.update(ctx, func(tx *bolt.Tx) error {
		old, err := getRecord[Proposal](tx, proposals.records, id, "proposal")
		if err != nil {
			return err
		}
		now := s.clock()
		if patch.Customer != nil {
			if err := old.customerMay(*patch.Customer, patch.Status, now); err != nil {
				return err
			}
		}
		rec := *old
		rec.Areas = slices.Clone(old.Areas) // chosen options change in the copy
		changes, err := rec.applyFields(tx, patch, now)
		if err != nil {
			return err
		}
		var moves []statusMove
		if patch.Status != nil && *patch.Status != rec.Status {
			if why := rec.moveProblem(*patch.Status); why != "" {
				return Conflict("%s", why)
			}
			if *patch.Status == ProposalSubmitted && rec.ExpiresAt != nil && !rec.ExpiresAt.After(now) {
				return Conflict("proposal %d expired at %s: set a later expires_at before submitting it", rec.Number, rec.ExpiresAt.Format(time.RFC3339))
			}
			moves = append(moves, rec.move(*patch.Status, now, by))
			if patch.Customer != nil {
				patch.Customer.record(&rec)
			}
		}
		if m, ok := sideStatus(&rec.OutlineStatus, patch.OutlineStatus, "proposal.outline_status_changed"); ok {
			moves = append(moves, m)
		}
		if m, ok := sideStatus(&rec.BuildStatus, patch.BuildStatus, "proposal.build_status_changed"); ok {
			moves = append(moves, m)
		}
		out = rec
		if len(changes) == 0 && len(moves) == 0 {
			return nil
		}
		rec.UpdatedAt = now
		var added []LineItem
		var ticket *Ticket
		if rec.Status == ProposalAccepted && old.Status != ProposalAccepted {
			if patch.NoTicketWrites && rec.TicketID != nil {
				return &ForbiddenError{Msg: fmt.Sprintf("accepting proposal %d puts its lines on ticket %d: this needs the tickets.write scope", rec.Number, *rec.TicketID)}
			}
			if added, ticket, err = s.acceptOntoTicket(tx, &rec); err != nil {
				if patch.Customer != nil {
					return customerConflict(err)
				}
				return err
			}
		}
		if err := putProposal(tx, old, &rec); err != nil {
			return err
		}
		out = rec
		for _, li := range added {
			if err := s.lineItemAdded(tx, ticket, li); err != nil {
				return err
			}
		}
		if len(changes) > 0 {
			data := ordered{}.with("proposal_id", id).with("changes", changes).with("proposal", rec)
			if _, err := s.appendEvent(tx, "proposal.updated", data); err != nil {
				return err
			}
		}
		for _, m := range moves {
			data := ordered{}.with("proposal_id", id).with("proposal", rec).with("from", m.from).with("to", m.to)
			if _, err := s.appendEvent(tx, m.event, data); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// statusMove is one status change of a proposal, for its event.
type statusMove struct {
	event    string
	from, to any
}

// move sets p's status, adding to its history.
func (p *Proposal) move(to string, now time.Time, by string) statusMove {
	from := p.Status
	p.Status = to
	p.StatusHistory = append(slices.Clip(p.StatusHistory), ProposalStatusChange{From: &from, To: to, At: now, By: by})
	return statusMove{event: "proposal.status_changed", from: from, to: to}
}

// sideStatus sets an outline or build status to what a patch gives.
func sideStatus(field **string, to *string, event string) (statusMove, bool) {
	if to == nil || (*field != nil && **field == *to) {
		return statusMove{}, false
	}
	var from any
	if *field != nil {
		from = **field
	}
	v := *to
	*field = &v
	return statusMove{event: event, from: from, to: v}, true
}

// checkProposalPatch validates what a patch says on its own.
func checkProposalPatch(patch ProposalPatch) error {
	var p Problems
	if patch.Name != nil {
		checkProposalName(&p, "name", *patch.Name)
	}
	if patch.CustomerID != nil && *patch.CustomerID == 0 {
		p.Add("customer_id", "must be a customer's id")
	}
	if patch.TicketID.Value != nil && *patch.TicketID.Value == 0 {
		p.Add("ticket_id", "must be a ticket's id, or null")
	}
	if patch.Areas != nil {
		checkAreas(&p, *patch.Areas)
	}
	if patch.ChosenOptions != nil {
		for i, c := range *patch.ChosenOptions {
			if c < 0 || c >= maxProposalOptions {
				p.Add("chosen_options["+formatID(uint64(i))+"]", "must be an option's index (0-based)")
			}
		}
	}
	if patch.Status != nil && !slices.Contains(ProposalStatuses, *patch.Status) {
		p.Add("status", "must be one of "+strings.Join(ProposalStatuses, ", "))
	}
	if patch.OutlineStatus != nil && !slices.Contains(ProposalOutlineStatuses, *patch.OutlineStatus) {
		p.Add("outline_status", "must be one of "+strings.Join(ProposalOutlineStatuses, ", "))
	}
	if patch.BuildStatus != nil && !slices.Contains(ProposalBuildStatuses, *patch.BuildStatus) {
		p.Add("build_status", "must be one of "+strings.Join(ProposalBuildStatuses, ", "))
	}
	return p.Err()
}

// applyFields changes what a patch gives besides the statuses, says what
// changed, and resummarizes. Areas change only in a Draft (what the
// customer was sent must stay what they answer); the customer, the ticket
// and the chosen options no longer change once accepted (the lines are on
// the ticket).
func (p *Proposal) applyFields(tx *bolt.Tx, patch ProposalPatch, now time.Time) (ordered, error) {
	changes := ordered{}
	changes.text("name", &p.Name, patch.Name)
	var settled []string
	if patch.CustomerID != nil && *patch.CustomerID != p.CustomerID {
		settled = append(settled, "customer_id")
		changes = changes.with("customer_id", change{p.CustomerID, *patch.CustomerID})
		p.CustomerID = *patch.CustomerID
	}
	if patch.TicketID.Set && !equalPtr(patch.TicketID.Value, p.TicketID) {
		settled = append(settled, "ticket_id")
		changes = changes.with("ticket_id", change{p.TicketID, patch.TicketID.Value})
		p.TicketID = patch.TicketID.Value
	}
	if patch.ChosenOptions != nil {
		settled = append(settled, "chosen_options")
	}
	if len(settled) > 0 && p.frozen() {
		return nil, Conflict("proposal %d is %s: %s no longer change (its lines are on the ticket)", p.Number, p.Status, strings.Join(settled, ", "))
	}
	if patch.ExpiresAt.Set {
		to := utcPtr(patch.ExpiresAt.Value)
		if !equalTimePtr(to, p.ExpiresAt) {
			if to != nil && !to.After(now) {
				return nil, Invalid("expires_at", "must be in the future")
			}
			changes = changes.with("expires_at", change{p.ExpiresAt, to})
			p.ExpiresAt = to
		}
	}
	if patch.Areas != nil {
		if p.Status != ProposalDraft {
			return nil, Conflict("proposal %d is %s: its areas change only while it is a Draft (move it back to Draft first)", p.Number, p.Status)
		}
		areas, err := proposalAreas(tx, *patch.Areas)
		if err != nil {
			return nil, err
		}
		if areasJSON(areas) != areasJSON(p.Areas) {
			changes = changes.with("areas", change{p.Areas, areas})
			p.Areas = areas
		}
	}
	if patch.ChosenOptions != nil {
		if err := p.choose(&changes, *patch.ChosenOptions); err != nil {
			return nil, err
		}
	}
	if err := p.checkRefs(tx); err != nil {
		if patch.Customer != nil {
			// The shop moved the ticket or customer under the quote; the
			// reason names records that are not the customer's to see.
			return nil, customerConflict(Conflict("%v", err))
		}
		return nil, err
	}
	return changes, p.summarize()
}

// choose sets each area's chosen option.
func (p *Proposal) choose(changes *ordered, chosen []int) error {
	if len(chosen) != len(p.Areas) {
		return Invalid("chosen_options", "must give one option index per area ("+formatID(uint64(len(p.Areas)))+")")
	}
	var probs Problems
	was := p.chosen()
	for i, c := range chosen {
		if c >= len(p.Areas[i].Options) {
			probs.Add("chosen_options["+formatID(uint64(i))+"]", "area "+formatID(uint64(i))+" has "+formatID(uint64(len(p.Areas[i].Options)))+" option(s) (0-based)")
			continue
		}
		p.Areas[i].ChosenOption = c
	}
	if err := probs.Err(); err != nil {
		return err
	}
	if now := p.chosen(); !slices.Equal(was, now) {
		*changes = changes.with("chosen_options", change{was, now})
	}
	return nil
}

// chosen lists each area's chosen option.
func (p *Proposal) chosen() []int {
	out := make([]int, len(p.Areas))
	for i, a := range p.Areas {
		out[i] = a.ChosenOption
	}
	return out
}

// areasJSON compares areas by what was given (totals and summaries are
// derived, and equal when the rest is).
func areasJSON(areas []ProposalArea) string {
	b, _ := json.Marshal(areas)
	return string(b)
}

func equalTimePtr(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// putProposal writes the record with its indexes and search tokens.
func putProposal(tx *bolt.Tx, old, p *Proposal) error {
	var oldTokens []string
	if old != nil {
		oldTokens = old.tokens()
	}
	if err := setTokens(tx.Bucket(bucketProposalSearch), p.ID, oldTokens, p.tokens()); err != nil {
		return err
	}
	return proposals.put(tx, p.ID, old, p)
}

// Proposal returns one proposal's JSON.
func (s *Store) Proposal(id uint64) (json.RawMessage, error) {
	return s.raw(proposals.records, id, "proposal")
}

// ListProposals pages the proposals; search (q=) matches every word as a
// prefix of the name's words or of the number, and the list's filters
// narrow the hits.
func (s *Store) ListProposals(q ListQuery, search string) (Page, error) {
	var page Page
	err := s.view(func(tx *bolt.Tx) error {
		if strings.TrimSpace(search) == "" {
			var err error
			page, err = proposals.list(tx, q)
			return err
		}
		filters, err := proposals.encodeFilters(q.Filters)
		if err != nil {
			return err
		}
		var keep func(id uint64) bool
		if len(filters) > 0 {
			post := proposals.postFilter(filters, -1)
			keep = func(id uint64) bool { return post(proposals.filterTuple(tx, id)) }
		}
		page, err = proposalSearch.search(tx, search, q, keep)
		return err
	})
	return page, err
}

func formatID(id uint64) string { return strconv.FormatUint(id, 10) }
