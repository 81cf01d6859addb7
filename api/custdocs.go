package api

import (
	"net/http"
	"strconv"
	"time"

	"portal/store"
)

// The customer's documents on their own page: invoices (JSON and PDF),
// quotes (read, accept, decline) and the files the shop made visible.
// Every record is checked to be the signed-in customer's; anyone else's is
// the same 404 as one that does not exist (customerError turns any 403 into
// it too). Quotes are shaped here field by field, so internal notes, status
// history with staff names and the like never reach the page.

func (s *Server) portalDocsRoutes() []portalRoute {
	return []portalRoute{
		{method: "GET", path: "/tickets/{id}/invoice", handle: s.getCustomerInvoice},
		{method: "GET", path: "/tickets/{id}/invoice.pdf", handle: s.getCustomerInvoicePDF},
		{method: "GET", path: "/proposals", handle: s.listCustomerProposals},
		{method: "GET", path: "/proposals/{id}", handle: s.getCustomerProposal},
		{method: "POST", path: "/proposals/{id}/accept", handle: s.acceptCustomerProposal},
		{method: "POST", path: "/proposals/{id}/decline", handle: s.declineCustomerProposal},
		{method: "GET", path: "/attachments", handle: s.listCustomerAttachments},
	}
}

// customerInvoice reads the invoice of one of the customer's tickets.
func customerInvoice(r *http.Request, c *CustomerPrincipal) (store.Invoice, error) {
	id, err := idParam(r, "id")
	if err != nil {
		return store.Invoice{}, errCustomerNotFound
	}
	if _, err := ownTicket(c, id); err != nil {
		return store.Invoice{}, err
	}
	return c.Store.Invoice(id)
}

func (s *Server) getCustomerInvoice(w http.ResponseWriter, r *http.Request, c *CustomerPrincipal) error {
	inv, err := customerInvoice(r, c)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, inv)
}

func (s *Server) getCustomerInvoicePDF(w http.ResponseWriter, r *http.Request, c *CustomerPrincipal) error {
	inv, err := customerInvoice(r, c)
	if err != nil {
		return err
	}
	return writeInvoicePDF(w, c.Store, inv)
}

// customerProposal is a quote as its customer sees it.
type customerProposal struct {
	ID         uint64  `json:"id"`
	Number     uint64  `json:"number"`
	Name       string  `json:"name"`
	TicketID   *uint64 `json:"ticket_id"`
	Status     string  `json:"status"`
	StatusText string  `json:"status_text"` // in plain words
	// CanAnswer says the page may offer Accept and Decline.
	CanAnswer     bool                    `json:"can_answer"`
	ExpiresAt     *time.Time              `json:"expires_at"`
	TaxRate       store.Percent           `json:"tax_rate"`
	Areas         []customerProposalArea  `json:"areas"`
	Summary       store.ProposalSummary   `json:"summary"`
	Acceptance    *customerAcceptanceView `json:"acceptance"`
	DeclineReason *string                 `json:"decline_reason"`
	CreatedAt     time.Time               `json:"created_at"`
	UpdatedAt     time.Time               `json:"updated_at"`
}

type customerProposalArea struct {
	Name         string                   `json:"name"`
	ChosenOption int                      `json:"chosen_option"`
	Options      []customerProposalOption `json:"options"`
}

// customerProposalOption has no internal_notes: that field is the shop's alone.
type customerProposalOption struct {
	Name              string                 `json:"name"`
	ClientDescription string                 `json:"client_description"`
	LineItems         []customerProposalLine `json:"line_items"`
	Summary           store.ProposalSummary  `json:"summary"`
}

type customerProposalLine struct {
	Kind        string         `json:"kind"`
	Description string         `json:"description"`
	Quantity    store.Quantity `json:"quantity"`
	UnitPrice   store.Money    `json:"unit_price"`
	Taxable     bool           `json:"taxable"`
	Total       store.Money    `json:"total"`
}

// customerAcceptanceView is the signature as the customer sees it back.
type customerAcceptanceView struct {
	Name string    `json:"name"`
	At   time.Time `json:"at"`
}

// proposalWords are the statuses as a customer reads them.
var proposalWords = map[string]string{
	store.ProposalSubmitted:      "Waiting for your answer",
	store.ProposalViewedByClient: "Waiting for your answer",
	store.ProposalDelayed:        "On hold",
	store.ProposalEmailFailed:    "Waiting for your answer",
	store.ProposalAccepted:       "Accepted",
	store.ProposalDeclined:       "Declined",
	store.ProposalCompleted:      "Completed",
	store.ProposalExpired:        "Expired",
}

func customerProposalView(p store.Proposal, now time.Time) customerProposal {
	v := customerProposal{ID: p.ID, Number: p.Number, Name: p.Name, TicketID: p.TicketID, Status: p.Status,
		StatusText: proposalWords[p.Status], ExpiresAt: p.ExpiresAt, TaxRate: p.TaxRate, Summary: p.Summary,
		DeclineReason: p.DeclineReason, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt, Areas: []customerProposalArea{}}
	switch p.Status {
	case store.ProposalSubmitted, store.ProposalViewedByClient, store.ProposalDelayed:
		v.CanAnswer = p.ExpiresAt == nil || p.ExpiresAt.After(now)
	}
	if p.Acceptance != nil {
		v.Acceptance = &customerAcceptanceView{Name: p.Acceptance.Name, At: p.Acceptance.At}
	}
	for _, a := range p.Areas {
		area := customerProposalArea{Name: a.Name, ChosenOption: a.ChosenOption, Options: []customerProposalOption{}}
		for _, o := range a.Options {
			opt := customerProposalOption{Name: o.Name, ClientDescription: o.ClientDescription, Summary: o.Summary,
				LineItems: []customerProposalLine{}}
			for _, l := range o.LineItems {
				opt.LineItems = append(opt.LineItems, customerProposalLine{Kind: l.Kind, Description: l.Description,
					Quantity: l.Quantity, UnitPrice: l.UnitPrice, Taxable: l.Taxable, Total: l.Total})
			}
			area.Options = append(area.Options, opt)
		}
		v.Areas = append(v.Areas, area)
	}
	return v
}

func (s *Server) listCustomerProposals(w http.ResponseWriter, r *http.Request, c *CustomerPrincipal) error {
	list, err := c.Store.CustomerProposals(c.CustomerID)
	if err != nil {
		return err
	}
	out := make([]customerProposal, 0, len(list))
	for _, p := range list {
		out = append(out, customerProposalView(p, s.cfg.Now()))
	}
	return ok(w, http.StatusOK, out)
}

// proposalID reads {id}; a malformed one is the customer's plain 404.
func proposalID(r *http.Request) (uint64, error) {
	id, err := idParam(r, "id")
	if err != nil {
		return 0, errCustomerNotFound
	}
	return id, nil
}

// customerProposalErr keeps "not found" the customer's plain 404, whatever
// the store's wording (it would say "proposal not found").
func customerProposalErr(err error) error {
	if isNotFound(err) {
		return errCustomerNotFound
	}
	return err
}

// getCustomerProposal opens a quote: a Submitted one becomes ViewedByClient
// (the shop sees it was read).
func (s *Server) getCustomerProposal(w http.ResponseWriter, r *http.Request, c *CustomerPrincipal) error {
	id, err := proposalID(r)
	if err != nil {
		return err
	}
	p, err := c.Store.ViewProposalAsCustomer(r.Context(), id, c.CustomerID)
	if err != nil {
		return customerProposalErr(err)
	}
	return ok(w, http.StatusOK, customerProposalView(p, s.cfg.Now()))
}

func (s *Server) acceptCustomerProposal(w http.ResponseWriter, r *http.Request, c *CustomerPrincipal) error {
	id, err := proposalID(r)
	if err != nil {
		return err
	}
	var in store.CustomerAcceptInput
	if err := decode(r, &in); err != nil {
		return err
	}
	p, err := c.Store.AcceptProposalAsCustomer(r.Context(), id, c.CustomerID, in, clientAddress(r))
	if err != nil {
		return customerProposalErr(err)
	}
	return ok(w, http.StatusOK, customerProposalView(p, s.cfg.Now()))
}

func (s *Server) declineCustomerProposal(w http.ResponseWriter, r *http.Request, c *CustomerPrincipal) error {
	id, err := proposalID(r)
	if err != nil {
		return err
	}
	var in store.CustomerDeclineInput
	if err := decodeOptional(r, &in); err != nil {
		return err
	}
	p, err := c.Store.DeclineProposalAsCustomer(r.Context(), id, c.CustomerID, in)
	if err != nil {
		return customerProposalErr(err)
	}
	return ok(w, http.StatusOK, customerProposalView(p, s.cfg.Now()))
}

// customerFile is a visible file with its signed URLs (files.go: 15
// minutes, in the customer's store, so a test-mode link never reads live).
// Not uploaded_by (a staff member's name) nor the hashes.
type customerFile struct {
	ID           uint64    `json:"id"`
	OwnerType    string    `json:"owner_type"` // ticket, customer, proposal
	OwnerID      uint64    `json:"owner_id"`
	Filename     string    `json:"filename"`
	Size         int64     `json:"size"`
	ContentType  string    `json:"content_type"`
	Width        *int      `json:"width"`
	Height       *int      `json:"height"`
	CreatedAt    time.Time `json:"created_at"`
	URL          string    `json:"url"`
	ThumbnailURL *string   `json:"thumbnail_url"`
	ExpiresAt    time.Time `json:"expires_at"`
}

func (s *Server) listCustomerAttachments(w http.ResponseWriter, r *http.Request, c *CustomerPrincipal) error {
	var ticketID uint64
	if v := r.URL.Query().Get("ticket_id"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil || n == 0 {
			return errCustomerNotFound
		}
		ticketID = n
	}
	list, err := c.Store.CustomerAttachments(c.CustomerID, ticketID)
	if err != nil {
		return customerProposalErr(err)
	}
	out := make([]customerFile, 0, len(list))
	for _, a := range list {
		u := s.fileURLs(r, store.Mode(c.Mode), a)
		out = append(out, customerFile{ID: a.ID, OwnerType: a.OwnerType, OwnerID: a.OwnerID, Filename: a.Filename, Size: a.Size,
			ContentType: a.ContentType, Width: a.Width, Height: a.Height, CreatedAt: a.CreatedAt,
			URL: u.URL, ThumbnailURL: u.ThumbnailURL, ExpiresAt: u.ExpiresAt})
	}
	return ok(w, http.StatusOK, out)
}
