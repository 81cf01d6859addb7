package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

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
