package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"portal/store"
)

// quoteShop is a shop ready to quote: a location, a customer with a
// ticket, a stocked screen (5 in stock) and a labour service in the
// catalog, and a tax rate of 8.25%.
type quoteShop struct {
	*poShop
	customer, ticket uint64
}

func newQuoteShop(t *testing.T) *quoteShop {
	t.Helper()
	sh := &quoteShop{poShop: newPOShop(t)}
	c := sh.c
	c.patch("/store", map[string]any{"tax_rate": 8.25}).ok(http.StatusOK, nil)
	sh.customer = c.newCustomer("Ada Lovelace").ID
	sh.ticket = c.newTicket(sh.customer, map[string]any{"location_id": sh.loc}).ID
	c.post("/inventory/adjustments", map[string]any{"item_id": sh.screen.ID, "location_id": sh.loc, "delta": 5, "reason": "count"}).
		ok(http.StatusCreated, nil)
	return sh
}

// line is a free-text line.
func line(kind, desc string, qty, price any) map[string]any {
	return map[string]any{"kind": kind, "description": desc, "quantity": qty, "unit_price": price}
}

// option is an option of lines.
func option(name string, lines ...map[string]any) map[string]any {
	if lines == nil {
		lines = []map[string]any{}
	}
	return map[string]any{"name": name, "client_description": "For you", "internal_notes": "Ours", "line_items": lines}
}

// area is an area of options.
func area(name string, options ...map[string]any) map[string]any {
	return map[string]any{"name": name, "options": options}
}

// propose creates a proposal for the shop's customer, on its ticket.
func (sh *quoteShop) propose(areas ...map[string]any) store.Proposal {
	sh.c.t.Helper()
	var p store.Proposal
	sh.c.post("/proposals", map[string]any{"name": "iPhone 13 screen and battery", "customer_id": sh.customer,
		"ticket_id": sh.ticket, "areas": areas}).ok(http.StatusCreated, &p)
	return p
}

func proposalPath(p store.Proposal) string { return fmt.Sprintf("/proposals/%d", p.ID) }

// The routes end to end: create, get, list, patch.
func TestProposalRoundTrip(t *testing.T) {
	t.Parallel()
	sh := newQuoteShop(t)
	c := sh.c
	p := sh.propose(area("Screen", option("Original",
		map[string]any{"catalog_item_id": sh.screen.ID},
		line("service", "Fitting", 0.5, 60))))
	if p.Number != 1001 || p.Status != store.ProposalDraft || p.TaxRate != 8250 || len(p.StatusHistory) != 1 {
		t.Fatalf("created %+v", p)
	}
	raw := string(c.get(proposalPath(p)).Body)
	for _, want := range []string{`"total":30.00`, `"quantity":0.5`, `"summary":{"parts":89.00,"labor":30.00,"fees":0.00,"subtotal":119.00,"tax":9.82,"total":128.82}`} {
		if !strings.Contains(raw, want) {
			t.Errorf("GET lacks %s: %s", want, raw)
		}
	}
	var list []store.Proposal
	c.get("/proposals?status=Draft&q=screen").ok(http.StatusOK, &list)
	if len(list) != 1 || list[0].ID != p.ID {
		t.Fatalf("list %+v", list)
	}
	c.patch(proposalPath(p), map[string]any{"status": "Submitted"}).ok(http.StatusOK, &p)
	if p.Status != store.ProposalSubmitted || len(p.StatusHistory) != 2 {
		t.Fatalf("patched %+v", p)
	}
}

// Over HTTP: bad input is a 422 naming each field by its path; a fourth
// option names itself; an illegal move is a 409 naming the allowed ones;
// editing areas outside a Draft is a 409 saying so.
func TestProposalErrorsOverHTTP(t *testing.T) {
	t.Parallel()
	sh := newQuoteShop(t)
	c := sh.c
	four := area("Screen", option("A"), option("B"), option("C"), option("D"))
	c.post("/proposals", map[string]any{"name": "X", "customer_id": sh.customer, "areas": []any{four}}).
		fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "areas[0].options[3]")
	c.post("/proposals", map[string]any{"name": "X", "customer_id": sh.customer, "areas": []any{area("Screen", option("A", line("part", "Glass", 1, -1)))}}).
		fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "areas[0].options[0].line_items[0].unit_price")
	c.post("/proposals", map[string]any{"name": "X", "customer_id": sh.customer, "status": "Accepted", "areas": []any{area("Screen", option("A"))}}).
		fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "status")
	p := sh.propose(area("Screen", option("Original", line("part", "Glass", 3, 19.99)), option("Aftermarket", line("part", "Glass", 3, 9.99))))
	path := proposalPath(p)
	conflictNaming(t, c.patch(path, map[string]any{"status": "Accepted"}), "from Draft it can move to Submitted")
	conflictNaming(t, c.patch(path, map[string]any{"status": "Expired"}), "only by the clock")
	c.patch(path, map[string]any{"status": "Won"}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "status")
	c.patch(path, map[string]any{"chosen_options": []int{0, 1}}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "chosen_options")
	c.patch(path, map[string]any{"status": "Submitted"}).ok(http.StatusOK, nil)
	conflictNaming(t, c.patch(path, map[string]any{"areas": []any{area("Screen", option("A"))}}), "only while it is a Draft")
	conflictNaming(t, c.patch(path, map[string]any{"status": "Completed"}),
		"from Submitted it can move to ViewedByClient, Accepted, Declined, Delayed, EmailFailed, Draft")
	c.get("/proposals/999").fail(http.StatusNotFound, "NOT_FOUND")
	c.patch("/proposals/999", map[string]any{"name": "X"}).fail(http.StatusNotFound, "NOT_FOUND")
}

// Accepting onto a ticket over HTTP: the chosen option and the status in
// one PATCH; the ticket shows exactly those lines. A key that may write
// proposals but not tickets is refused (403 naming tickets.write), as the
// accept would add ticket lines it could not add itself.
func TestAcceptingAProposalOverHTTP(t *testing.T) {
	t.Parallel()
	sh := newQuoteShop(t)
	c := sh.c
	p := sh.propose(
		area("Screen", option("Original", map[string]any{"catalog_item_id": sh.screen.ID}, line("service", "Fitting", 0.5, 60)),
			option("Aftermarket", line("part", "Glass", 3, 19.99))),
		area("Call-out", option("Fee", map[string]any{"kind": "fee", "description": "Call-out", "unit_price": 25, "taxable": false})))
	path := proposalPath(p)
	c.patch(path, map[string]any{"status": "Submitted"}).ok(http.StatusOK, nil)

	weak := sh.ts.client(keySpec{Type: store.KeyPlugin, Scopes: []string{"proposals.read", "proposals.write"}})
	if e := weak.patch(path, map[string]any{"status": "Accepted"}).fail(http.StatusForbidden, "FORBIDDEN"); !strings.Contains(e.Message, "tickets.write") {
		t.Errorf("refusal %q does not name tickets.write", e.Message)
	}
	c.patch(path, map[string]any{"chosen_options": []int{1, 0}, "status": "Accepted"}).ok(http.StatusOK, &p)
	var lines []store.LineItem
	c.get(fmt.Sprintf("/tickets/%d/line_items", sh.ticket)).ok(http.StatusOK, &lines)
	if len(lines) != 2 || lines[0].Description != "Glass" || lines[0].Quantity != 300 || lines[0].UnitPrice != 1999 ||
		lines[1].Kind != "fee" || lines[1].Taxable || lines[1].Total != 2500 {
		t.Fatalf("ticket lines %+v", lines)
	}
	var tk struct {
		Totals store.Totals `json:"totals"`
	}
	c.get(fmt.Sprintf("/tickets/%d", sh.ticket)).ok(http.StatusOK, &tk)
	// 59.97 taxable at 8.25% = 4.947525 → 4.95; + 25.00 untaxed fee.
	if want := (store.ProposalSummary{Parts: 5997, Fees: 2500, Subtotal: 8497, Tax: 495, Total: 8992}); p.Summary != want ||
		tk.Totals.Total != p.Summary.Total || tk.Totals.Tax != p.Summary.Tax {
		t.Fatalf("proposal summary %+v, ticket totals %+v", p.Summary, tk.Totals)
	}
	conflictNaming(t, c.patch(path, map[string]any{"chosen_options": []int{0, 0}}), "no longer change")
}

// The expiry loop's one pass over both stores, on the injected clock.
func TestServerExpiresProposalsOnItsClock(t *testing.T) {
	t.Parallel()
	sh := newQuoteShop(t)
	c := sh.c
	var p store.Proposal
	c.post("/proposals", map[string]any{"name": "Quote", "customer_id": sh.customer, "expires_at": start.Add(24 * time.Hour),
		"areas": []any{area("Screen", option("A", line("part", "Glass", 1, 10)))}}).ok(http.StatusCreated, &p)
	c.patch(proposalPath(p), map[string]any{"status": "Submitted"}).ok(http.StatusOK, nil)
	if n, err := sh.ts.API.ExpireProposals(context.Background()); n != 0 || err != nil {
		t.Fatalf("early: %d, %v", n, err)
	}
	sh.ts.Clock.Advance(24 * time.Hour)
	if n, err := sh.ts.API.ExpireProposals(context.Background()); n != 1 || err != nil {
		t.Fatalf("due: %d, %v", n, err)
	}
	c.get(proposalPath(p)).ok(http.StatusOK, &p)
	if p.Status != store.ProposalExpired || p.StatusHistory[len(p.StatusHistory)-1].By != "Portal" {
		t.Fatalf("after expiry %+v", p)
	}
}
