package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// Quotes in the console, in a real Chromium against a real `portal serve`:
// from a ticket's "Quote" link a proposal is built for its customer and
// ticket — an area with two options, a line from the catalog and free-text
// lines — the summary following every keystroke (exact cents, as the server
// answers them: 189 + 0.5 × 60 at 8.25 % is 237.07), the chosen option
// switching the total; saved, then submitted, and a second tab that has the
// quote open sees its status change without a reload; only the moves the
// status machine allows are offered. The printed quote is the customer's
// (no internal notes, no buttons). Every screen is audited with axe-core
// and photographed at 1440×900, 820×1180, 390×844, on paper and dark
// (artifacts/screenshots/quotes-*).

// quoteShots saves the page at each size (the tablet with touch), printed
// and dark, and fails when it scrolls sideways, something sticks out, or a
// target on the touch tablet is under 44 px.
func quoteShots(t *testing.T, ctx context.Context, name, sel string) {
	t.Helper()
	step(t, ctx, "to the top", chromedp.Evaluate[chromedp.Void](`scrollTo(0, 0)`))
	for _, size := range deskSizes {
		opts := []chromedp.EmulateViewportOption{}
		if size.name == "tablet" {
			opts = append(opts, chromedp.EmulateTouch)
		}
		step(t, ctx, "viewport", chromedp.EmulateViewport(size.width, size.height, opts...))
		if sel != "" {
			step(t, ctx, "scroll to "+sel, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%q)?.scrollIntoView({block: "start"})`, sel)))
		}
		png := read(t, ctx, "screenshot "+name, chromedp.CaptureScreenshot())
		saveShot(t, fmt.Sprintf("quotes-%s-%s-%dx%d", name, size.name, size.width, size.height), png)
		if over := read(t, ctx, "overflow", chromedp.Evaluate[int](`document.documentElement.scrollWidth - innerWidth`)); over > 0 {
			t.Errorf("%s at %dx%d is %d px wider than the window", name, size.width, size.height, over)
		}
		if out := read(t, ctx, "out of view", chromedp.Evaluate[[]string](outOfView)); len(out) > 0 {
			t.Errorf("%s at %dx%d: elements stick out of the window: %v", name, size.width, size.height, out)
		}
		if size.name == "tablet" {
			if small := read(t, ctx, "targets", chromedp.Evaluate[[]string](smallTargets)); len(small) > 0 {
				t.Errorf("%s on the tablet: targets under 44 px: %v", name, small)
			}
		}
	}
	step(t, ctx, "print", chromedp.EmulateViewport(800, 1100), media(emulation.SetEmulatedMediaParams{Media: "print"}))
	saveShot(t, "quotes-"+name+"-print", read(t, ctx, "screenshot "+name+" printed", chromedp.FullScreenshot(100)))
	step(t, ctx, "screen again", media(emulation.SetEmulatedMediaParams{}), chromedp.EmulateViewport(1440, 900))
	darkShot(t, ctx, "quotes-"+name)
}

func TestQuotesInChromium(t *testing.T) {
	browser := newBrowser(t)
	axe := axeSource(t)
	dir := t.TempDir()
	srv, m, api := serveForOwner(t, dir, "quotes test")
	must := func(method, path string, body, out any) {
		t.Helper()
		if _, err := api.do(method, path, body, out); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}

	var confirms atomic.Int32
	a := tab(t, browser, &confirms)
	signUpOwner(t, a, m[0])

	type rec struct {
		ID     uint64 `json:"id"`
		Number uint64 `json:"number"`
	}
	var screen, ada, ticket, shop rec
	must("POST", "/api/v1/locations", map[string]any{"name": "Main shop", "timezone": "Europe/London"}, &shop)
	must("PATCH", "/api/v1/store", map[string]any{"name": "Fix-It Corner", "phone": "+44 20 7946 0000", "tax_rate": 8.25}, nil)
	must("POST", "/api/v1/catalog/items", map[string]any{"sku": "SCR-13", "name": "iPhone 13 screen", "kind": "part", "price": 189, "cost": 90, "taxable": true}, &screen)
	must("POST", "/api/v1/customers", map[string]any{"name": "Ada Lovelace", "email": "ada@example.com", "phone": "+44 20 7946 0101"}, &ada)
	must("POST", "/api/v1/tickets", map[string]any{"customer_id": ada.ID, "device": map[string]any{"brand": "Apple", "model": "iPhone 13"},
		"issue": "Cracked screen, battery drains"}, &ticket)

	// The keyboard finds the quotes: g then q.
	step(t, a, "g q",
		chromedp.Evaluate[chromedp.Void](`document.activeElement.blur()`),
		shortcut('g'), shortcut('q'),
		waitText("h1", "Quotes"))

	// A second tab on the list, empty for now, to see the quote arrive.
	b := tab(t, browser, &confirms)
	step(t, b, "list in the second tab",
		chromedp.Navigate(srv.URL+"/proposals"),
		waitText("h1", "Quotes"),
		waitText(".live-status", "Live"),
		waitText(".empty", "No quotes yet"))

	// From the ticket: Quote opens a new quote for its customer and ticket.
	total := `.quote-summary dd[data-key="total"]`
	line := func(area, option, line int, field string) string {
		return fmt.Sprintf(`[name="areas[%d].options[%d].line_items[%d].%s"]`, area, option, line, field)
	}
	freeLine := func(area, option int) chromedp.Action[chromedp.Void] {
		return chromedp.Click(chromedp.Search(fmt.Sprintf(`//section[@data-area="%d"]//div[@data-option="%d"]//button[text()="+ Free-text line"]`, area, option)))
	}
	step(t, a, "quote from the ticket",
		chromedp.Navigate(fmt.Sprintf("%s/tickets/%d", srv.URL, ticket.ID)),
		chromedp.Click(chromedp.Search(`//a[text()="Quote"]`)),
		waitText("h1", "New quote"),
		waitText(".quote-details .picked", "Ada Lovelace"),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.querySelector('select[name="ticket_id"]')?.value === "%d"`, ticket.ID)))
	quoteShots(t, a, "new", "")
	audit(t, a, axe, "new")
	step(t, a, "build it",
		typeInto(`input[name="name"]`, "iPhone 13 screen"),
		typeInto(`input[name="areas[0].name"]`, "Screen"),
		typeInto(`input[name="areas[0].options[0].name"]`, "Original"),
		chromedp.SendKeys(chromedp.CSS(`textarea[name="areas[0].options[0].client_description"]`), "Apple part, 1 year warranty"),
		chromedp.SendKeys(chromedp.CSS(`textarea[name="areas[0].options[0].internal_notes"]`), "Order from Parts Direct"),
		pickOption(`#pick-0-0`, "iPhone 13", "iPhone 13 screen"),
		chromedp.WaitVisible(chromedp.CSS(line(0, 0, 0, "quantity"))),
		waitText(total, "$204.59"), // 189 + 8.25 % = 204.5925
		freeLine(0, 0),
		chromedp.WaitVisible(chromedp.CSS(line(0, 0, 1, "description"))),
		chromedp.SendKeys(chromedp.CSS(line(0, 0, 1, "description")), "Fitting"),
		typeInto(line(0, 0, 1, "quantity"), "0.5"),
		waitText(total, "$204.59"), // no price yet: the line is left out
		chromedp.SendKeys(chromedp.CSS(line(0, 0, 1, "unit_price")), "6"),
		waitText(total, "$207.84"), // 189 + 0.5 × 6 = 192; × 1.0825 = 207.84
		chromedp.SendKeys(chromedp.CSS(line(0, 0, 1, "unit_price")), "0"),
		waitText(total, "$237.07"), // 189 + 30 = 219; tax 18.0675 → 18.07
		waitText(`.quote-summary dd[data-key="labor"]`, "$30.00"),
		waitText(`.quote-summary dd[data-key="tax"]`, "$18.07"))
	if src := read(t, a, "summary source", chromedp.Evaluate[string](`document.querySelector(".quote-summary").dataset.source`)); src != "browser" {
		t.Errorf("the summary while typing comes from %q, want the browser", src)
	}

	// A second option, cheaper; choosing it switches the total.
	step(t, a, "second option",
		chromedp.Click(chromedp.Search(`//section[@data-area="0"]//button[text()="+ Add option"]`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name="areas[0].options[1].name"]`)),
		typeInto(`input[name="areas[0].options[1].name"]`, "Aftermarket"),
		chromedp.SendKeys(chromedp.CSS(`textarea[name="areas[0].options[1].client_description"]`), "Compatible part, 90 days"),
		freeLine(0, 1),
		chromedp.SendKeys(chromedp.CSS(line(0, 1, 0, "description")), "Aftermarket screen"),
		setSelect(line(0, 1, 0, "kind"), "part"),
		chromedp.SendKeys(chromedp.CSS(line(0, 1, 0, "unit_price")), "99"),
		freeLine(0, 1),
		chromedp.SendKeys(chromedp.CSS(line(0, 1, 1, "description")), "Fitting"),
		typeInto(line(0, 1, 1, "quantity"), "0.5"),
		chromedp.SendKeys(chromedp.CSS(line(0, 1, 1, "unit_price")), "60"),
		waitText(`.quote-area .choice:nth-of-type(2) .choice-total`, "$139.64"), // 129 × 1.0825 = 139.6425
		waitText(total, "$237.07"),                                              // the first option is still the chosen one
		chromedp.Click(chromedp.CSS(`input[name="chosen-0"][value="1"]`)),
		waitText(total, "$139.64"),
		chromedp.Click(chromedp.CSS(`input[name="chosen-0"][value="0"]`)),
		waitText(total, "$237.07"))
	quoteShots(t, a, "builder", ".quote-area")
	audit(t, a, axe, "builder")

	// Saved: the server's answer replaces the browser's figures, to the cent.
	step(t, a, "save",
		chromedp.Click(chromedp.CSS(`button[data-key="save"]`)),
		waitText("h1", "Quote 1"),
		chromedp.Poll[chromedp.Void](`document.querySelector(".quote-summary")?.dataset.source === "server"`),
		waitText(total, "$237.07"),
		waitText(`button[data-key="save"]`, "Saved"))
	var quotes []struct {
		ID      uint64 `json:"id"`
		Number  uint64 `json:"number"`
		Status  string `json:"status"`
		Summary struct {
			Total float64 `json:"total"`
		} `json:"summary"`
		TicketID *uint64 `json:"ticket_id"`
		Areas    []struct {
			Options []struct {
				Name      string `json:"name"`
				LineItems []struct {
					CatalogItemID *uint64 `json:"catalog_item_id"`
					Kind          string  `json:"kind"`
				} `json:"line_items"`
				Summary struct {
					Total float64 `json:"total"`
				} `json:"summary"`
			} `json:"options"`
		} `json:"areas"`
	}
	must("GET", "/api/v1/proposals", nil, &quotes)
	if len(quotes) != 1 {
		t.Fatalf("proposals after saving: %+v", quotes)
	}
	q := quotes[0]
	if q.Status != "Draft" || q.Summary.Total != 237.07 || q.TicketID == nil || *q.TicketID != ticket.ID ||
		len(q.Areas) != 1 || len(q.Areas[0].Options) != 2 || q.Areas[0].Options[1].Summary.Total != 139.64 ||
		len(q.Areas[0].Options[0].LineItems) != 2 || q.Areas[0].Options[0].LineItems[0].CatalogItemID == nil ||
		q.Areas[0].Options[0].LineItems[1].Kind != "service" {
		t.Errorf("the saved proposal is %+v", q)
	}
	name := fmt.Sprint(q.Number)

	// The files helper's gallery on the saved quote: a document attached.
	spec := filepath.Join(t.TempDir(), "screen-spec.pdf")
	if err := os.WriteFile(spec, []byte(minimalPDF), 0o644); err != nil {
		t.Fatal(err)
	}
	step(t, a, "attach a document",
		chromedp.SetUploadFiles(chromedp.CSS(`.quote-attachments input[type="file"][multiple]`), []string{spec}),
		waitText(".quote-attachments .att-docs", "screen-spec.pdf"),
		chromedp.Poll[chromedp.Void](`!document.querySelector(".att-up")`))
	var attached []struct {
		Filename string `json:"filename"`
	}
	must("GET", fmt.Sprintf("/api/v1/proposals/%d/attachments", q.ID), nil, &attached)
	if len(attached) != 1 || attached[0].Filename != "screen-spec.pdf" {
		t.Errorf("the quote's attachments: %+v", attached)
	}

	// The second tab saw it arrive, and opens it.
	rowSel := fmt.Sprintf(`tbody[data-list] tr[data-id="%d"]`, q.ID)
	step(t, b, "arrived live",
		waitText(rowSel, "iPhone 13 screen"),
		waitText(rowSel, "Ada Lovelace"),
		waitText(rowSel, "Draft"),
		waitText(rowSel, "$237.07"))
	quoteShots(t, b, "list", "")
	audit(t, b, axe, "list")
	step(t, b, "filter and search",
		chromedp.Click(chromedp.Search(`//button[text()="Submitted"]`)),
		waitText(".empty", "No quotes match"),
		chromedp.Poll[chromedp.Void](`location.search.includes("status=Submitted")`),
		chromedp.Click(chromedp.Search(`//button[text()="Draft"]`)),
		waitText(rowSel, "iPhone 13 screen"),
		chromedp.Click(chromedp.Search(`//button[text()="All"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="q"]`), "no such quote"),
		waitText(".empty", "No quotes match"),
		typeInto(`input[name="q"]`, name),
		waitText(rowSel, "iPhone 13 screen"),
		typeInto(`input[name="q"]`, "screen"),
		waitText(rowSel, "iPhone 13 screen"))
	step(t, b, "open in the second tab",
		chromedp.Click(chromedp.CSS(rowSel+" a")),
		waitText("h1", "Quote "+name),
		waitText("h1", "Draft"),
		chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`))

	// Submitted in the first tab; the second follows without a reload.
	step(t, a, "submit",
		chromedp.Click(chromedp.CSS(`button[data-status="Submitted"]`)),
		waitText("h1", "Submitted"),
		chromedp.WaitVisible(chromedp.CSS(`button[data-status="Accepted"]`)))
	step(t, b, "submitted live",
		waitText("h1", "Submitted"),
		waitText(".quote-history", "Submitted"),
		waitText(".notice", "Sam Owner"),
		chromedp.Poll[chromedp.Void](`window.notReloaded === true`),
		chromedp.Poll[chromedp.Void](`!document.querySelector('[name="areas[0].name"]')`)) // no longer editable
	offered := read(t, a, "offered moves", chromedp.Evaluate[[]string](`[...document.querySelectorAll(".quote-actions button[data-status]")].map((b) => b.dataset.status)`))
	want := []string{"ViewedByClient", "Accepted", "Declined", "Delayed", "EmailFailed", "Draft"}
	if !slices.Equal(offered, want) {
		t.Errorf("a submitted quote offers %v, want %v", offered, want)
	}
	quoteShots(t, b, "submitted", "")
	audit(t, b, axe, "submitted")

	// The printed quote is the customer's: options and prices, never the
	// internal notes or a button.
	printed := printedText(t, a)
	for _, w := range []string{"Fix-It Corner", name, "Ada Lovelace", "Original", "Apple part, 1 year warranty", "Aftermarket", "$237.07", "selected"} {
		if !strings.Contains(printed, w) {
			t.Errorf("the printed quote lacks %q:\n%s", w, printed)
		}
	}
	for _, w := range []string{"Order from Parts Direct", "Internal", "Mark accepted", "Customer view"} {
		if strings.Contains(printed, w) {
			t.Errorf("the printed quote shows %q:\n%s", w, printed)
		}
	}

	// The customer view on screen, as it prints.
	step(t, a, "customer view",
		chromedp.Click(chromedp.Search(`//button[text()="Customer view"]`)),
		chromedp.WaitVisible(chromedp.CSS(".quote-sheet")))
	quoteShots(t, a, "customer-view", "")
	audit(t, a, axe, "customer-view")
	step(t, a, "back to editing", chromedp.Click(chromedp.Search(`//button[text()="Back to editing"]`)), chromedp.WaitVisible(chromedp.CSS(".quote-form")))

	// Declined from the API: both tabs follow, and back to draft is offered.
	must("PATCH", fmt.Sprintf("/api/v1/proposals/%d", q.ID), map[string]any{"status": "Declined"}, nil)
	step(t, b, "declined live", waitText("h1", "Declined"), chromedp.WaitVisible(chromedp.CSS(`button[data-status="Draft"]`)),
		chromedp.Poll[chromedp.Void](`window.notReloaded === true`))
	step(t, a, "declined in the first tab", waitText("h1", "Declined"))

	// Back to draft, submitted again, then accepted: without the screen in
	// stock the API refuses (its words by the buttons), with it the chosen
	// lines land on the ticket, to the cent.
	step(t, a, "rework",
		chromedp.Click(chromedp.CSS(`button[data-status="Draft"]`)),
		waitText("h1", "Draft"),
		chromedp.WaitVisible(chromedp.CSS(`input[name="areas[0].name"]`)),
		chromedp.Click(chromedp.CSS(`button[data-status="Submitted"]`)),
		waitText("h1", "Submitted"),
		chromedp.Click(chromedp.CSS(`button[data-status="Accepted"]`)),
		chromedp.Poll[chromedp.Void](`!!document.querySelector(".quote-side .error")?.textContent.trim()`),
		waitText("h1", "Submitted"))
	refused := read(t, a, "refusal", chromedp.Evaluate[string](`document.querySelector(".quote-side .error").textContent`))
	if !strings.Contains(strings.ToLower(refused), "stock") {
		t.Errorf("accepting without stock says %q; want the API's reason", refused)
	}
	must("POST", "/api/v1/inventory/adjustments", map[string]any{"item_id": screen.ID, "location_id": shop.ID, "delta": 2, "reason": "count"}, nil)
	step(t, a, "accept",
		chromedp.Click(chromedp.CSS(`button[data-status="Accepted"]`)),
		waitText("h1", "Accepted"),
		chromedp.Poll[chromedp.Void](`!document.querySelector(".quote-side .error")?.textContent.trim()`),
		chromedp.Poll[chromedp.Void](`document.querySelector('input[name="chosen-0"]').disabled`))
	offered = read(t, a, "offered moves", chromedp.Evaluate[[]string](`[...document.querySelectorAll(".quote-actions button[data-status]")].map((b) => b.dataset.status)`))
	if !slices.Equal(offered, []string{"Completed"}) {
		t.Errorf("an accepted quote offers %v, want only Completed", offered)
	}
	step(t, b, "accepted live", waitText("h1", "Accepted"), chromedp.Poll[chromedp.Void](`window.notReloaded === true`))
	var onTicket struct {
		Totals struct {
			Total float64 `json:"total"`
		} `json:"totals"`
	}
	must("GET", fmt.Sprintf("/api/v1/tickets/%d", ticket.ID), nil, &onTicket)
	if onTicket.Totals.Total != 237.07 {
		t.Errorf("the ticket's total after accepting is %v, want 237.07", onTicket.Totals.Total)
	}
	// The browser's arithmetic is the server's: random lines (odd
	// quantities and prices, every kind, some untaxed) at two tax rates,
	// every line, option and chosen-options figure compared to the cent.
	for _, rate := range []float64{8.25, 8.875} {
		must("PATCH", "/api/v1/store", map[string]any{"tax_rate": rate}, nil)
		var made rec
		must("POST", "/api/v1/proposals", randomProposal(rate, ada.ID), &made)
		mismatches := read(t, a, "arithmetic", chromedp.Evaluate[[]string](fmt.Sprintf(`(async () => {
  const m = await import("/pages/proposalmath.js");
  const p = (await (await fetch("/api/v1/proposals/%d", {headers: {"Portal-Mode": "live"}})).json()).data;
  const rate = m.rateOf(p.tax_rate), out = [];
  if (p.areas.length !== 6 || rate !== %d) out.push("the proposal has " + p.areas.length + " areas at " + p.tax_rate + "%%");
  const same = (what, mine, theirs) => { for (const k of ["parts", "labor", "fees", "subtotal", "tax", "total"]) if (mine[k] !== theirs[k]) out.push(what + " " + k + ": " + mine[k] + " != " + theirs[k]); };
  p.areas.forEach((a, i) => a.options.forEach((o, j) => {
    o.line_items.forEach((l, k) => { if (m.lineTotal(l) !== m.fixed(l.total)) out.push("line " + i + "/" + j + "/" + k + ": " + m.lineTotal(l) + " != " + l.total); });
    same("option " + i + "/" + j, m.optionSummary(o, rate), m.centsOf(o.summary));
  }));
  same("chosen", m.proposalSummary(p.areas, rate), m.centsOf(p.summary));
  return out;
})()`, made.ID, int(rate*1000)), chromedp.EvalAwaitPromise))
		if len(mismatches) > 0 {
			t.Errorf("at %v%%, the browser's figures differ from the server's: %v", rate, mismatches)
		}
	}

	step(t, a, "the ticket has the lines",
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`.quote-meta a[href="/tickets/%d"]`, ticket.ID))),
		waitText(".col-side", "iPhone 13 screen"),
		waitText(".col-side", "Fitting"),
		waitText(".col-side", "$237.07"))
}

// randomProposal is a proposal of awkward figures (a fixed seed): quantities
// and prices with odd cents, every kind, some lines untaxed, several areas
// with their own chosen option.
func randomProposal(rate float64, customer uint64) map[string]any {
	r := rand.New(rand.NewPCG(uint64(rate*1000), 16))
	kinds := []string{"part", "product", "service", "fee"}
	var areas []map[string]any
	for i := 0; i < 6; i++ {
		var options []map[string]any
		for j := 0; j < 1+r.IntN(3); j++ {
			var lines []map[string]any
			for k := 0; k < 1+r.IntN(9); k++ {
				lines = append(lines, map[string]any{
					"kind": kinds[r.IntN(len(kinds))], "description": fmt.Sprintf("Line %d", k),
					"quantity":   json.Number(fmt.Sprintf("%d.%02d", r.IntN(20), 1+r.IntN(99))),
					"unit_price": json.Number(fmt.Sprintf("%d.%02d", r.IntN(2000), r.IntN(100))),
					"taxable":    r.IntN(4) != 0,
				})
			}
			options = append(options, map[string]any{"name": fmt.Sprintf("Option %d", j+1), "line_items": lines})
		}
		areas = append(areas, map[string]any{"name": fmt.Sprintf("Area %d", i+1), "chosen_option": r.IntN(len(options)), "options": options})
	}
	return map[string]any{"name": fmt.Sprintf("Arithmetic at %v%%", rate), "customer_id": customer, "areas": areas}
}
