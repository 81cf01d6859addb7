package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// proposalShop is a store ready to quote: a location with 5 screens in
// stock, labour in the catalog, a customer with a ticket there, and a tax
// rate of 8.25%.
type proposalShop struct {
	s              *Store
	clock          *testClock
	ctx            context.Context
	customer       uint64
	ticket         uint64
	loc            uint64
	screen, labour CatalogItem
}

func newProposalShop(t *testing.T) *proposalShop {
	t.Helper()
	s, clock := openTestClock(t)
	ctx := WithActor(context.Background(), Actor{Type: ActorUser, ID: 1, Name: "Sam Owner"})
	sh := &proposalShop{s: s, clock: clock, ctx: ctx}
	rate := Percent(8250)
	if _, err := s.UpdateShop(ctx, ShopPatch{TaxRate: &rate}); err != nil {
		t.Fatal(err)
	}
	loc, err := s.CreateLocation(ctx, LocationInput{Name: "Main Street"})
	if err != nil {
		t.Fatal(err)
	}
	sh.loc = loc.ID
	if sh.screen, err = s.CreateCatalogItem(ctx, CatalogItemInput{SKU: "SCR-13", Name: "iPhone 13 screen", Kind: "part", Price: 18900}); err != nil {
		t.Fatal(err)
	}
	if sh.labour, err = s.CreateCatalogItem(ctx, CatalogItemInput{SKU: "LAB", Name: "Labour", Kind: "service", Price: 6000}); err != nil {
		t.Fatal(err)
	}
	sh.stock(t, 5)
	c, tk := ticketFor(t, s, "Ada Lovelace")
	sh.customer, sh.ticket = c.ID, tk.ID
	return sh
}

// stock adds delta screens at the location.
func (sh *proposalShop) stock(t *testing.T, delta int64) {
	t.Helper()
	if _, _, err := sh.s.AdjustStock(sh.ctx, AdjustmentInput{ItemID: sh.screen.ID, LocationID: sh.loc, Delta: delta, Reason: "count"}); err != nil {
		t.Fatal(err)
	}
}

// screens is the screens' stock at the location.
func (sh *proposalShop) screens(t *testing.T) int64 {
	t.Helper()
	return must(sh.s.StockLevelOf(sh.screen.ID, sh.loc)).Quantity
}

func q(v int64) *Quantity { return ptr(Quantity(v)) }
func m(v int64) *Money    { return ptr(Money(v)) }

// free is a free-text line.
func free(kind, desc string, qty, price int64, taxable bool) LineItemInput {
	return LineItemInput{Kind: kind, Description: desc, Quantity: q(qty), UnitPrice: m(price), Taxable: &taxable}
}

func opt(name string, lines ...LineItemInput) ProposalOptionInput {
	return ProposalOptionInput{Name: name, ClientDescription: "What you get", InternalNotes: "Order from X", LineItems: lines}
}

func (sh *proposalShop) create(t *testing.T, withTicket bool, areas ...ProposalAreaInput) Proposal {
	t.Helper()
	in := ProposalInput{Name: "Screen and battery", CustomerID: sh.customer, Areas: areas}
	if withTicket {
		in.TicketID = &sh.ticket
	}
	p, err := sh.s.CreateProposal(sh.ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (sh *proposalShop) move(id uint64, status string) (Proposal, error) {
	return sh.s.UpdateProposal(sh.ctx, id, ProposalPatch{Status: &status})
}

func (sh *proposalShop) mustMove(t *testing.T, id uint64, statuses ...string) Proposal {
	t.Helper()
	p := decode[Proposal](t, must(sh.s.Proposal(id)))
	for _, st := range statuses {
		var err error
		if p, err = sh.move(id, st); err != nil {
			t.Fatalf("move %d to %s: %v", id, st, err)
		}
	}
	return p
}

// legalMoves is the brief's table of transitions, written out again here
// so the test checks the rule rather than echoing proposalMoves.
var legalMoves = map[string][]string{
	"Draft":          {"Submitted"},
	"Submitted":      {"ViewedByClient", "Accepted", "Declined", "Delayed", "EmailFailed", "Draft"},
	"ViewedByClient": {"Accepted", "Declined", "Delayed", "Draft"},
	"Delayed":        {"Submitted", "Accepted", "Declined", "Draft"},
	"EmailFailed":    {"Submitted", "Draft"},
	"Accepted":       {"Completed"},
	"Declined":       {"Draft"},
	"Expired":        {"Draft"},
	"Completed":      {},
}

// pathTo is a way to reach each status from Draft by legal moves (Expired
// by the clock).
var pathTo = map[string][]string{
	"Draft": {}, "Submitted": {"Submitted"}, "ViewedByClient": {"Submitted", "ViewedByClient"},
	"Accepted": {"Submitted", "Accepted"}, "Declined": {"Submitted", "Declined"}, "Delayed": {"Submitted", "Delayed"},
	"EmailFailed": {"Submitted", "EmailFailed"}, "Completed": {"Submitted", "Accepted", "Completed"}, "Expired": {"Submitted"},
}

// Every pair of statuses, each from a proposal really in the first: the
// legal moves succeed with their history entry and event; every other is a
// 409 that names the allowed moves, and changes nothing.
func TestEveryProposalTransition(t *testing.T) {
	sh := newProposalShop(t)
	area := ProposalAreaInput{Name: "Screen", Options: []ProposalOptionInput{opt("Original", free("part", "Screen", 100, 18900, true))}}
	if len(legalMoves) != len(ProposalStatuses) || len(proposalMoves) != len(ProposalStatuses) {
		t.Fatalf("tables of %d and %d statuses, %d declared", len(legalMoves), len(proposalMoves), len(ProposalStatuses))
	}
	for _, from := range ProposalStatuses {
		for _, to := range ProposalStatuses {
			if to == from {
				continue
			}
			p := sh.create(t, false, area)
			if from == ProposalExpired {
				expires := sh.clock.Now().Add(time.Hour)
				if _, err := sh.s.UpdateProposal(sh.ctx, p.ID, ProposalPatch{ExpiresAt: Nullable[time.Time]{Set: true, Value: &expires}}); err != nil {
					t.Fatal(err)
				}
			}
			p = sh.mustMove(t, p.ID, pathTo[from]...)
			if from == ProposalExpired {
				sh.clock.Advance(time.Hour)
				if n, err := sh.s.ExpireProposals(sh.ctx); err != nil || n != 1 {
					t.Fatalf("ExpireProposals = %d, %v", n, err)
				}
				sh.clock.Advance(-time.Hour) // so a move back to Submitted is not refused for the date
				p = decode[Proposal](t, must(sh.s.Proposal(p.ID)))
			}
			if p.Status != from {
				t.Fatalf("reached %s, want %s", p.Status, from)
			}
			seq := lastSeq(t, sh.s)
			got, err := sh.move(p.ID, to)
			if slices.Contains(legalMoves[from], to) {
				if err != nil {
					t.Errorf("%s → %s: %v", from, to, err)
					continue
				}
				h := got.StatusHistory[len(got.StatusHistory)-1]
				if got.Status != to || h.From == nil || *h.From != from || h.To != to || h.By != "Sam Owner" || !h.At.Equal(sh.clock.Now()) {
					t.Errorf("%s → %s: status %s, last history %+v", from, to, got.Status, h)
				}
				evs := eventsAfter(t, sh.s, seq)
				if len(evs) != 1 || evs[0].Name != "proposal.status_changed" {
					t.Fatalf("%s → %s: events %v", from, to, eventNames(evs))
				}
				var ev struct {
					Data struct {
						Proposal Proposal `json:"proposal"`
						From     string   `json:"from"`
						To       string   `json:"to"`
					} `json:"data"`
				}
				if err := json.Unmarshal(evs[0].JSON, &ev); err != nil || ev.Data.From != from || ev.Data.To != to || ev.Data.Proposal.Status != to ||
					len(ev.Data.Proposal.Areas) != 1 {
					t.Errorf("%s → %s: event %s (%v)", from, to, evs[0].JSON, err)
				}
				continue
			}
			wantConflict(t, err)
			allowed := legalMoves[from]
			for _, a := range allowed {
				if !strings.Contains(err.Error(), a) {
					t.Errorf("%s → %s: %q does not name %s", from, to, err, a)
				}
			}
			if len(allowed) == 0 && !strings.Contains(err.Error(), "final") {
				t.Errorf("%s → %s: %q does not say %s is final", from, to, err, from)
			}
			if seq != lastSeq(t, sh.s) {
				t.Errorf("%s → %s: a refused move wrote events", from, to)
			}
			if now := decode[Proposal](t, must(sh.s.Proposal(p.ID))); now.Status != from || len(now.StatusHistory) != len(p.StatusHistory) {
				t.Errorf("%s → %s: a refused move left %s, %d history entries", from, to, now.Status, len(now.StatusHistory))
			}
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// The arithmetic, to the cent: 3 × 19.99, half an hour at 75.00, a fee
// that is not taxed, 1.5 × 0.99 (1.485, rounded half up as a ticket line
// is), at 8.25%.
func TestProposalSummaryIsExactCents(t *testing.T) {
	sh := newProposalShop(t)
	p := sh.create(t, false,
		ProposalAreaInput{Name: "Repair", Options: []ProposalOptionInput{
			opt("Full",
				free("part", "Screen protector", 300, 1999, true), // 59.97
				free("service", "Fitting", 50, 7500, true),        // 37.50
				free("fee", "Disposal", 100, 995, false),          // 9.95
				free("product", "Cable", 150, 99, true)),          // 1.485 → 1.49
			opt("Basic", free("service", "Fitting", 50, 7500, true)),
		}},
		ProposalAreaInput{Name: "Extras", ChosenOption: ptr(1), Options: []ProposalOptionInput{
			opt("None"),
			opt("Sticker", free("product", "Sticker", 100, 6, true)), // 0.06: 0.00495 tax alone
		}})
	full := p.Areas[0].Options[0]
	// parts 59.97 + 1.49 = 61.46; taxable 59.97 + 37.50 + 1.49 = 98.96 → 8.1642 → 8.16
	want := ProposalSummary{Parts: 6146, Labor: 3750, Fees: 995, Subtotal: 10891, Tax: 816, Total: 11707}
	if full.Summary != want {
		t.Errorf("option summary %+v, want %+v", full.Summary, want)
	}
	if tot := []Money{full.LineItems[0].Total, full.LineItems[1].Total, full.LineItems[2].Total, full.LineItems[3].Total}; !slices.Equal(tot, []Money{5997, 3750, 995, 149}) {
		t.Errorf("line totals %v", tot)
	}
	if s := p.Areas[0].Options[1].Summary; s != (ProposalSummary{Labor: 3750, Subtotal: 3750, Tax: 309, Total: 4059}) { // 3.09375
		t.Errorf("basic %+v", s)
	}
	if s := p.Areas[1].Options[0].Summary; s != (ProposalSummary{}) {
		t.Errorf("an empty option %+v", s)
	}
	// The chosen options (Full, Sticker): tax on 98.96 + 0.06 = 99.02 together
	// (8.16915 → 8.17), as the ticket will charge, not 8.16 + 0.00.
	if want := (ProposalSummary{Parts: 6152, Labor: 3750, Fees: 995, Subtotal: 10897, Tax: 817, Total: 11714}); p.Summary != want {
		t.Errorf("chosen summary %+v, want %+v", p.Summary, want)
	}
	raw := string(must(sh.s.Proposal(p.ID)))
	for _, w := range []string{`"summary":{"parts":61.52,"labor":37.50,"fees":9.95,"subtotal":108.97,"tax":8.17,"total":117.14}`,
		`"quantity":1.5,"unit_price":0.99,"taxable":true,"total":1.49`, `"quantity":0.5,`, `"tax_rate":8.25`} {
		if !strings.Contains(raw, w) {
			t.Errorf("the record lacks %s:\n%s", w, raw)
		}
	}
	// Choosing other options resummarizes; the shop's rate changing later
	// does not reprice the quote.
	rate := Percent(20000)
	if _, err := sh.s.UpdateShop(sh.ctx, ShopPatch{TaxRate: &rate}); err != nil {
		t.Fatal(err)
	}
	p, err := sh.s.UpdateProposal(sh.ctx, p.ID, ProposalPatch{ChosenOptions: &[]int{1, 0}})
	if err != nil {
		t.Fatal(err)
	}
	if want := (ProposalSummary{Labor: 3750, Subtotal: 3750, Tax: 309, Total: 4059}); p.Summary != want || p.TaxRate != 8250 {
		t.Errorf("rechosen summary %+v at %v", p.Summary, p.TaxRate)
	}
}

// A catalog line takes the item's kind, name, price and taxable unless
// given; a stocked item needs a whole quantity.
func TestProposalLinesFromTheCatalog(t *testing.T) {
	sh := newProposalShop(t)
	p := sh.create(t, false, ProposalAreaInput{Name: "Screen", Options: []ProposalOptionInput{opt("Original",
		LineItemInput{CatalogItemID: &sh.screen.ID},
		LineItemInput{CatalogItemID: &sh.labour.ID, Quantity: q(25), Description: "Quick fit"})}})
	got := p.Areas[0].Options[0].LineItems
	want := []ProposalLine{
		{CatalogItemID: &sh.screen.ID, Kind: "part", Description: "iPhone 13 screen", Quantity: 100, UnitPrice: 18900, Taxable: true, Total: 18900},
		{CatalogItemID: &sh.labour.ID, Kind: "service", Description: "Quick fit", Quantity: 25, UnitPrice: 6000, Taxable: true, Total: 1500},
	}
	if a, b := must(json.Marshal(got)), must(json.Marshal(want)); string(a) != string(b) {
		t.Errorf("lines %s\nwant %s", a, b)
	}
	_, err := sh.s.CreateProposal(sh.ctx, ProposalInput{Name: "X", CustomerID: sh.customer, Areas: []ProposalAreaInput{{Name: "A",
		Options: []ProposalOptionInput{opt("O", LineItemInput{CatalogItemID: &sh.screen.ID, Quantity: q(50)}, LineItemInput{CatalogItemID: ptr(uint64(999))},
			LineItemInput{CatalogItemID: &sh.screen.ID, Kind: "fee"})}}}})
	wantFields(t, err, "areas[0].options[0].line_items[0].quantity", "areas[0].options[0].line_items[1].catalog_item_id",
		"areas[0].options[0].line_items[2].kind")
}

// Bad shapes are 422s naming each field, all at once, and write nothing.
func TestProposalInputIsValidatedFieldByField(t *testing.T) {
	sh := newProposalShop(t)
	four := []ProposalOptionInput{opt("A"), opt("B"), opt("C"), opt("D")}
	one := []ProposalOptionInput{opt("A")}
	areas := func(n int) []ProposalAreaInput {
		out := make([]ProposalAreaInput, n)
		for i := range out {
			out[i] = ProposalAreaInput{Name: fmt.Sprint("Area ", i), Options: one}
		}
		return out
	}
	past := sh.clock.Now().Add(-time.Minute)
	for _, c := range []struct {
		in     ProposalInput
		fields []string
	}{
		{ProposalInput{}, []string{"name", "customer_id", "areas"}},
		{ProposalInput{Name: "X", CustomerID: 999, TicketID: ptr(uint64(999)), Areas: areas(1)}, []string{"customer_id", "ticket_id"}},
		{ProposalInput{Name: "X", CustomerID: sh.customer, Areas: areas(21)}, []string{"areas"}},
		{ProposalInput{Name: "X", CustomerID: sh.customer, Areas: []ProposalAreaInput{{Name: "A", Options: four}}}, []string{"areas[0].options[3]"}},
		{ProposalInput{Name: "X", CustomerID: sh.customer, Areas: []ProposalAreaInput{{Name: " ", Options: nil}}}, []string{"areas[0].name", "areas[0].options"}},
		{ProposalInput{Name: "X", CustomerID: sh.customer, Areas: []ProposalAreaInput{{Name: "A", ChosenOption: ptr(1), Options: []ProposalOptionInput{
			{Name: "", LineItems: []LineItemInput{{Description: "No price"}, free("gift", "", 0, -1, true)}}}}}},
			[]string{"areas[0].chosen_option", "areas[0].options[0].name", "areas[0].options[0].line_items[0].unit_price",
				"areas[0].options[0].line_items[1].kind", "areas[0].options[0].line_items[1].description",
				"areas[0].options[0].line_items[1].quantity", "areas[0].options[0].line_items[1].unit_price"}},
		{ProposalInput{Name: "X", CustomerID: sh.customer, ExpiresAt: &past, Areas: areas(1)}, []string{"expires_at"}},
	} {
		_, err := sh.s.CreateProposal(sh.ctx, c.in)
		wantFields(t, err, c.fields...)
	}
	// Another customer's ticket would bill the wrong person.
	other := mustCustomer(t, sh.s, CustomerInput{Name: "Grace"})
	_, err := sh.s.CreateProposal(sh.ctx, ProposalInput{Name: "X", CustomerID: other.ID, TicketID: &sh.ticket, Areas: areas(1)})
	wantFields(t, err, "ticket_id")
	page, err := sh.s.ListProposals(ListQuery{Page: 1, PerPage: 10}, "")
	if err != nil || page.Total != 0 {
		t.Fatalf("refused input wrote %d proposals (%v)", page.Total, err)
	}
}

// Areas change only in a Draft; the ticket, the customer and the chosen
// options no longer change once accepted.
func TestProposalEditsFollowTheStatus(t *testing.T) {
	sh := newProposalShop(t)
	area := ProposalAreaInput{Name: "Screen", Options: []ProposalOptionInput{opt("Original", free("part", "Screen", 100, 18900, true)), opt("Copy")}}
	p := sh.create(t, false, area)
	renamed := []ProposalAreaInput{{Name: "Display", Options: area.Options}}
	seq := lastSeq(t, sh.s)
	p, err := sh.s.UpdateProposal(sh.ctx, p.ID, ProposalPatch{Areas: &renamed, Name: ptr("Display job")})
	if err != nil || p.Areas[0].Name != "Display" || p.Name != "Display job" {
		t.Fatalf("draft edit: %+v, %v", p, err)
	}
	if evs := eventsAfter(t, sh.s, seq); len(evs) != 1 || evs[0].Name != "proposal.updated" {
		t.Fatalf("events %v", eventNames(evs))
	}
	sh.mustMove(t, p.ID, ProposalSubmitted)
	_, err = sh.s.UpdateProposal(sh.ctx, p.ID, ProposalPatch{Areas: &renamed})
	wantConflict(t, err)
	if !strings.Contains(err.Error(), "only while it is a Draft") {
		t.Errorf("%v", err)
	}
	if p, err = sh.s.UpdateProposal(sh.ctx, p.ID, ProposalPatch{ChosenOptions: &[]int{1}}); err != nil || p.Areas[0].ChosenOption != 1 {
		t.Fatalf("choosing while Submitted: %v", err)
	}
	_, err = sh.s.UpdateProposal(sh.ctx, p.ID, ProposalPatch{ChosenOptions: &[]int{0, 0}})
	wantFields(t, err, "chosen_options")
	_, err = sh.s.UpdateProposal(sh.ctx, p.ID, ProposalPatch{ChosenOptions: &[]int{2}})
	wantFields(t, err, "chosen_options[0]")
	sh.mustMove(t, p.ID, ProposalAccepted)
	for _, patch := range []ProposalPatch{{ChosenOptions: &[]int{0}}, {TicketID: Nullable[uint64]{Set: true, Value: &sh.ticket}}} {
		_, err = sh.s.UpdateProposal(sh.ctx, p.ID, patch)
		wantConflict(t, err)
	}
	// The integration's statuses move freely, each with its event.
	seq = lastSeq(t, sh.s)
	p, err = sh.s.UpdateProposal(sh.ctx, p.ID, ProposalPatch{OutlineStatus: ptr("Generating"), BuildStatus: ptr("Building")})
	if err != nil || *p.OutlineStatus != "Generating" || *p.BuildStatus != "Building" {
		t.Fatalf("%+v %v", p, err)
	}
	if got := eventNames(eventsAfter(t, sh.s, seq)); !slices.Equal(got, []string{"proposal.outline_status_changed", "proposal.build_status_changed"}) {
		t.Errorf("events %v", got)
	}
	_, err = sh.s.UpdateProposal(sh.ctx, p.ID, ProposalPatch{OutlineStatus: ptr("Done"), BuildStatus: ptr("Generating")})
	wantFields(t, err, "outline_status", "build_status")
}

// Expiry runs on the store's clock: a Submitted, ViewedByClient or Delayed
// proposal moves to Expired once expires_at has passed, not a moment
// before; Drafts and settled proposals never do.
func TestProposalsExpireOnTheClock(t *testing.T) {
	sh := newProposalShop(t)
	area := ProposalAreaInput{Name: "Screen", Options: []ProposalOptionInput{opt("Original", free("part", "Screen", 100, 18900, true))}}
	expires := sh.clock.Now().Add(48 * time.Hour)
	mk := func(path ...string) Proposal {
		p := sh.create(t, false, area)
		if _, err := sh.s.UpdateProposal(sh.ctx, p.ID, ProposalPatch{ExpiresAt: Nullable[time.Time]{Set: true, Value: &expires}}); err != nil {
			t.Fatal(err)
		}
		return sh.mustMove(t, p.ID, path...)
	}
	due := []Proposal{mk("Submitted"), mk("Submitted", "ViewedByClient"), mk("Submitted", "Delayed")}
	kept := []Proposal{mk(), mk("Submitted", "Accepted"), mk("Submitted", "Declined"), mk("Submitted", "EmailFailed")}
	sh.clock.Advance(48*time.Hour - time.Second)
	if n, err := sh.s.ExpireProposals(sh.ctx); n != 0 || err != nil {
		t.Fatalf("a second early: %d expired (%v)", n, err)
	}
	sh.clock.Advance(time.Second)
	seq := lastSeq(t, sh.s)
	if n, err := sh.s.ExpireProposals(context.Background()); n != 3 || err != nil {
		t.Fatalf("at expiry: %d expired (%v)", n, err)
	}
	for _, p := range due {
		now := decode[Proposal](t, must(sh.s.Proposal(p.ID)))
		h := now.StatusHistory[len(now.StatusHistory)-1]
		if now.Status != ProposalExpired || *h.From != p.Status || h.By != "Portal" || !h.At.Equal(sh.clock.Now()) {
			t.Errorf("%s proposal: %s, %+v", p.Status, now.Status, h)
		}
	}
	for _, p := range kept {
		if now := decode[Proposal](t, must(sh.s.Proposal(p.ID))); now.Status != p.Status {
			t.Errorf("%s proposal expired", p.Status)
		}
	}
	evs := eventsAfter(t, sh.s, seq)
	if len(evs) != 3 || evs[0].Name != "proposal.status_changed" || !strings.Contains(string(evs[0].JSON), `"from":"Submitted","to":"Expired"`) {
		t.Fatalf("events %v %s", eventNames(evs), evs[0].JSON)
	}
	if n, _ := sh.s.ExpireProposals(sh.ctx); n != 0 {
		t.Errorf("a second pass expired %d", n)
	}
	// Back to Draft, and not submittable again until given a later date.
	p := sh.mustMove(t, due[0].ID, ProposalDraft)
	_, err := sh.move(p.ID, ProposalSubmitted)
	wantConflict(t, err)
	later := sh.clock.Now().Add(24 * time.Hour)
	if _, err := sh.s.UpdateProposal(sh.ctx, p.ID, ProposalPatch{ExpiresAt: Nullable[time.Time]{Set: true, Value: &later}}); err != nil {
		t.Fatal(err)
	}
	sh.mustMove(t, p.ID, ProposalSubmitted)
}

// Accepting a proposal on a ticket puts exactly its chosen options' lines
// on the ticket, taking stock as AddLineItem does, in one transaction; not
// enough stock refuses the whole accept and writes nothing.
func TestAcceptedProposalBecomesExactlyItsChosenLines(t *testing.T) {
	sh := newProposalShop(t)
	p := sh.create(t, true,
		ProposalAreaInput{Name: "Screen", ChosenOption: ptr(1), Options: []ProposalOptionInput{
			opt("Two screens", LineItemInput{CatalogItemID: &sh.screen.ID, Quantity: q(200)}),
			opt("One screen", LineItemInput{CatalogItemID: &sh.screen.ID, UnitPrice: m(17500)}, LineItemInput{CatalogItemID: &sh.labour.ID, Quantity: q(50)}),
		}},
		ProposalAreaInput{Name: "Call-out", Options: []ProposalOptionInput{opt("Fee", free("fee", "Call-out", 100, 2500, false))}})
	sh.mustMove(t, p.ID, ProposalSubmitted)

	// Five in stock, but choosing six screens' worth fails whole.
	sh.stock(t, -4)
	p, err := sh.s.UpdateProposal(sh.ctx, p.ID, ProposalPatch{ChosenOptions: &[]int{0, 0}})
	if err != nil {
		t.Fatal(err)
	}
	seq := lastSeq(t, sh.s)
	_, err = sh.move(p.ID, ProposalAccepted)
	wantConflict(t, err)
	if !strings.Contains(err.Error(), "not enough") || !strings.Contains(err.Error(), "areas[0].options[0].line_items[0]") {
		t.Errorf("refusal %q", err)
	}
	if seq != lastSeq(t, sh.s) || sh.screens(t) != 1 || loadTicket(t, sh.s, sh.ticket).Totals.Total != 0 {
		t.Fatalf("a refused accept wrote: events %v, %d screens", eventNames(eventsAfter(t, sh.s, seq)), sh.screens(t))
	}
	if page := must(sh.s.LineItems(sh.ticket, 1, 100)); page.Total != 0 {
		t.Fatalf("a refused accept left %d lines", page.Total)
	}
	if now := decode[Proposal](t, must(sh.s.Proposal(p.ID))); now.Status != ProposalSubmitted {
		t.Fatalf("a refused accept left %s", now.Status)
	}

	// The other option fits: its two lines and the fee go on, at the quoted
	// prices, and one screen leaves stock.
	if p, err = sh.s.UpdateProposal(sh.ctx, p.ID, ProposalPatch{ChosenOptions: &[]int{1, 0}}); err != nil {
		t.Fatal(err)
	}
	seq = lastSeq(t, sh.s)
	p = sh.mustMove(t, p.ID, ProposalAccepted)
	page := must(sh.s.LineItems(sh.ticket, 1, 100))
	var got []ProposalLine
	for _, raw := range page.Items {
		li := decode[LineItem](t, raw)
		got = append(got, ProposalLine{CatalogItemID: li.CatalogItemID, Kind: li.Kind, Description: li.Description, Quantity: li.Quantity,
			UnitPrice: li.UnitPrice, Taxable: li.Taxable, Total: li.Total})
	}
	if a, b := must(json.Marshal(got)), must(json.Marshal(p.chosenLines())); string(a) != string(b) {
		t.Errorf("ticket lines %s\nwant the chosen lines %s", a, b)
	}
	if len(got) != 3 || sh.screens(t) != 0 {
		t.Errorf("%d lines, %d screens left", len(got), sh.screens(t))
	}
	tk := loadTicket(t, sh.s, sh.ticket)
	if tk.Totals.Subtotal != p.Summary.Subtotal || tk.Totals.Tax != p.Summary.Tax || tk.Totals.Total != p.Summary.Total {
		t.Errorf("ticket totals %+v, proposal summary %+v", tk.Totals, p.Summary)
	}
	want := []string{"inventory.adjusted", "ticket.line_item_added", "ticket.line_item_added", "ticket.line_item_added", "proposal.status_changed"}
	if got := eventNames(eventsAfter(t, sh.s, seq)); !slices.Equal(got, want) {
		t.Errorf("events %v\nwant %v", got, want)
	}
	// Completing adds nothing more.
	sh.mustMove(t, p.ID, ProposalCompleted)
	if page := must(sh.s.LineItems(sh.ticket, 1, 100)); page.Total != 3 {
		t.Errorf("%d lines after completing", page.Total)
	}
}

// Without the tickets.write scope, accepting onto a ticket is forbidden;
// accepting a proposal that has no ticket is not.
func TestAcceptingOntoATicketNeedsTicketWrites(t *testing.T) {
	sh := newProposalShop(t)
	area := ProposalAreaInput{Name: "Screen", Options: []ProposalOptionInput{opt("Original", free("part", "Screen", 100, 18900, true))}}
	accepted := ProposalAccepted
	for _, withTicket := range []bool{true, false} {
		p := sh.create(t, withTicket, area)
		sh.mustMove(t, p.ID, ProposalSubmitted)
		_, err := sh.s.UpdateProposal(sh.ctx, p.ID, ProposalPatch{Status: &accepted, NoTicketWrites: true})
		var fe *ForbiddenError
		if withTicket != errors.As(err, &fe) || !withTicket && err != nil {
			t.Errorf("with ticket %v: %v", withTicket, err)
		}
	}
}

// The number sequence and search.
func TestProposalNumbersAndSearch(t *testing.T) {
	sh := newProposalShop(t)
	area := ProposalAreaInput{Name: "Screen", Options: []ProposalOptionInput{opt("Original")}}
	a := sh.create(t, false, area)
	b, err := sh.s.CreateProposal(sh.ctx, ProposalInput{Name: "Office AV refresh", CustomerID: sh.customer, Areas: []ProposalAreaInput{area}})
	if err != nil || a.Number != 1001 || b.Number != 1002 {
		t.Fatalf("numbers %d, %d (%v)", a.Number, b.Number, err)
	}
	for q, want := range map[string]uint64{"office": b.ID, "1001": a.ID, "refr": b.ID} {
		page, err := sh.s.ListProposals(ListQuery{Page: 1, PerPage: 10}, q)
		if err != nil || page.Total != 1 || decode[Proposal](t, page.Items[0]).ID != want {
			t.Errorf("q=%s: %d hits (%v)", q, page.Total, err)
		}
	}
}

// A customer with a proposal still open cannot be deleted; once it is
// settled, they can.
func TestCustomerWithAnOpenProposalIsKept(t *testing.T) {
	sh := newProposalShop(t)
	c := mustCustomer(t, sh.s, CustomerInput{Name: "Grace"})
	p, err := sh.s.CreateProposal(sh.ctx, ProposalInput{Name: "Quote", CustomerID: c.ID,
		Areas: []ProposalAreaInput{{Name: "A", Options: []ProposalOptionInput{opt("O")}}}})
	if err != nil {
		t.Fatal(err)
	}
	err = sh.s.DeleteCustomer(sh.ctx, c.ID)
	wantConflict(t, err)
	if !strings.Contains(err.Error(), "1001") {
		t.Errorf("%v does not name the proposal", err)
	}
	sh.mustMove(t, p.ID, ProposalSubmitted, ProposalDeclined)
	if err := sh.s.DeleteCustomer(sh.ctx, c.ID); err != nil {
		t.Fatal(err)
	}
}
