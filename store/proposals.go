package store

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// proposals are quotes for a customer, after Portal.io's model (API.md
// "proposals"): areas, each with up to three options, each option with line
// items; the customer chooses one option per area, and an accepted proposal
// on a ticket becomes that ticket's line items. The writes are in
// proposals_write.go, the status machine in proposals_status.go, the
// arithmetic in proposals_summary.go.
var proposals = declare(Resource[Proposal]{
	Name: "proposals", Scope: "proposals", Search: true,
	Events: []string{"proposal.created", "proposal.updated", "proposal.status_changed",
		"proposal.outline_status_changed", "proposal.build_status_changed"},
	Filters: []Filter[Proposal]{
		{Name: "status", Doc: "Only proposals in this status (Draft, Submitted, ViewedByClient, Accepted, Declined, Delayed, Completed, EmailFailed, Expired)",
			Key: func(p *Proposal) []byte { return []byte(p.Status) }, Parse: proposalStatus, Few: true, Values: ProposalStatuses},
		// A customer's or a ticket's proposals are listed newest or recently
		// updated first; those two orders are all their indexes keep.
		{Name: "customer_id", Doc: "Only proposals for this customer", Key: func(p *Proposal) []byte { return orderedUint(p.CustomerID) },
			Parse: positiveID("customer_id"), Show: showID, SortedBy: []string{"id", "updated_at"}},
		{Name: "ticket_id", Doc: "Only proposals for this ticket", Key: func(p *Proposal) []byte { return orderedUint(derefID(p.TicketID)) },
			Parse: positiveID("ticket_id"), Show: showID, SortedBy: []string{"id", "updated_at"}},
	},
	Sorts: []Sort[Proposal]{
		{Name: "id", Label: "Newest", Desc: true, Aliases: []string{"created_at"}},
		{Name: "updated_at", Label: "Recently updated", Desc: true, Grows: true, Key: func(p *Proposal) []byte { return orderedUint(timeKey(p.UpdatedAt)) }},
		{Name: "expires_at", Label: "Expiring soonest", Key: func(p *Proposal) []byte { return orderedUint(expiryKey(p.ExpiresAt)) }},
	},
})

// Proposal is one quote. Its JSON is exactly what the API returns and what
// the proposal.* events carry (Portal.io subscribers get it whole).
type Proposal struct {
	ID     uint64 `json:"id"`
	Number uint64 `json:"number"` // from 1001, one shop-wide sequence (as tickets)
	Name   string `json:"name"`
	// CustomerID is whom it is for; TicketID the ticket its accepted lines
	// go to, if any.
	CustomerID uint64  `json:"customer_id"`
	TicketID   *uint64 `json:"ticket_id"`
	Status     string  `json:"status"`
	// OutlineStatus and BuildStatus are set by the integration that drafts
	// and builds the proposal (Portal.io's AI builder); null until it does.
	OutlineStatus *string `json:"outline_status"`
	BuildStatus   *string `json:"build_status"`
	// ExpiresAt, when set, moves a Submitted, ViewedByClient or Delayed
	// proposal to Expired once past (ExpireProposals).
	ExpiresAt *time.Time `json:"expires_at"`
	// TaxRate is the shop's at creation: a quote keeps its price when the
	// shop's rate changes later.
	TaxRate Percent        `json:"tax_rate"`
	Areas   []ProposalArea `json:"areas"`
	// Summary is over each area's chosen option.
	Summary       ProposalSummary        `json:"summary"`
	StatusHistory []ProposalStatusChange `json:"status_history"`
	// Acceptance is the customer's signature when they accepted on their
	// own page (proposals_customer.go); null when staff or a key accepted.
	Acceptance *ProposalAcceptance `json:"acceptance"`
	// DeclineReason is what the customer said when declining on their own
	// page; null when they said nothing or someone else declined it.
	DeclineReason *string   `json:"decline_reason"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// ProposalArea is one part of the job (a room, a repair), offered as up to
// three options of which the customer picks one.
type ProposalArea struct {
	Name         string           `json:"name"`
	ChosenOption int              `json:"chosen_option"` // 0-based index into Options
	Options      []ProposalOption `json:"options"`
}

// ProposalOption is one way to do an area: what the customer reads, what
// only the shop reads, its lines and their summary.
type ProposalOption struct {
	Name              string          `json:"name"`
	ClientDescription string          `json:"client_description"`
	InternalNotes     string          `json:"internal_notes"` // never printed for the customer
	LineItems         []ProposalLine  `json:"line_items"`
	Summary           ProposalSummary `json:"summary"`
}

// ProposalLine is a line of an option: a ticket line item before it is one
// (the same kinds, quantity in hundredths, price, taxable), so accepting
// copies it as is.
type ProposalLine struct {
	CatalogItemID *uint64  `json:"catalog_item_id"`
	Kind          string   `json:"kind"`
	Description   string   `json:"description"`
	Quantity      Quantity `json:"quantity"`
	UnitPrice     Money    `json:"unit_price"`
	Taxable       bool     `json:"taxable"`
	Total         Money    `json:"total"` // Quantity × UnitPrice, rounded as a ticket's line
}

// ProposalSummary is the money of an option, or of the chosen options:
// parts (part and product lines), labor (service lines), fees (fee lines),
// their subtotal, tax on the taxable lines at the proposal's rate, total.
type ProposalSummary struct {
	Parts    Money `json:"parts"`
	Labor    Money `json:"labor"`
	Fees     Money `json:"fees"`
	Subtotal Money `json:"subtotal"`
	Tax      Money `json:"tax"`
	Total    Money `json:"total"`
}

// ProposalStatusChange is one entry of the status history, oldest first;
// the first has no from (the creation). By names who moved it ("Portal"
// for the expiry clock).
type ProposalStatusChange struct {
	From *string   `json:"from"`
	To   string    `json:"to"`
	At   time.Time `json:"at"`
	By   string    `json:"by"`
}

// ProposalInput creates a Draft proposal.
type ProposalInput struct {
	Name       string              `json:"name"`
	CustomerID uint64              `json:"customer_id"`
	TicketID   *uint64             `json:"ticket_id"`
	ExpiresAt  *time.Time          `json:"expires_at"`
	Areas      []ProposalAreaInput `json:"areas"`
}

// ProposalAreaInput is an area as a client sends it; chosen_option defaults
// to the first.
type ProposalAreaInput struct {
	Name         string                `json:"name"`
	ChosenOption *int                  `json:"chosen_option"`
	Options      []ProposalOptionInput `json:"options"`
}

// ProposalOptionInput is an option as a client sends it. Its lines are
// ticket line inputs: from the catalog (kind, description, unit_price and
// taxable default to the item's) or free text.
type ProposalOptionInput struct {
	Name              string          `json:"name"`
	ClientDescription string          `json:"client_description"`
	InternalNotes     string          `json:"internal_notes"`
	LineItems         []LineItemInput `json:"line_items"`
}

// ProposalPatch changes a proposal. Areas are replaced whole and only in a
// Draft; chosen_options (one index per area) change until Accepted; status
// moves along proposalMoves; outline_status and build_status are the
// integration's. ticket_id and expires_at take null to clear them.
type ProposalPatch struct {
	Name          *string              `json:"name"`
	CustomerID    *uint64              `json:"customer_id"`
	TicketID      Nullable[uint64]     `json:"ticket_id"`
	ExpiresAt     Nullable[time.Time]  `json:"expires_at"`
	Areas         *[]ProposalAreaInput `json:"areas"`
	ChosenOptions *[]int               `json:"chosen_options"`
	Status        *string              `json:"status"`
	OutlineStatus *string              `json:"outline_status"`
	BuildStatus   *string              `json:"build_status"`
	// NoTicketWrites is set by a caller that may not write tickets: then
	// accepting a proposal that has a ticket is forbidden, as it would put
	// lines on the ticket (and take stock) that the caller could not add.
	NoTicketWrites bool `json:"-"`
	// Customer is set when the proposal's customer acts on their own page
	// (proposals_customer.go): never from a request body.
	Customer *CustomerAct `json:"-"`
}

// Outline and build statuses, as Portal.io names them.
var (
	ProposalOutlineStatuses = []string{"Generating", "Completed", "Failed"}
	ProposalBuildStatuses   = []string{"Building", "Completed", "Failed"}
)

// Bounds of a proposal's shape (API.md "proposals").
const (
	maxProposalAreas   = 20
	maxProposalOptions = 3
	maxOptionLines     = 100
	maxProposalName    = 200
	maxProposalText    = 10000 // client description, internal notes
)

func proposalStatus(raw string) ([]byte, error) {
	if slices.Contains(ProposalStatuses, raw) {
		return []byte(raw), nil
	}
	return nil, Invalid("status", "must be one of "+strings.Join(ProposalStatuses, ", "))
}

// expiryKey sorts a proposal that never expires after every dated one.
func expiryKey(t *time.Time) uint64 {
	if t == nil {
		return ^uint64(0)
	}
	return timeKey(*t)
}

func derefID(id *uint64) uint64 {
	if id == nil {
		return 0
	}
	return *id
}

// tokens are what proposal search (q=) matches: the name's words and the
// number.
func (p *Proposal) tokens() []string {
	set := tokenSet{}
	set.words(p.Name)
	set.add(strconv.FormatUint(p.Number, 10))
	return set.list()
}
