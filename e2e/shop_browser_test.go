package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// The shop's stock and money in the console, in a real Chromium against a
// real `portal serve`: the catalog with stock per location (low stock said
// in words), an item added, stock adjusted in place and a refused
// adjustment rolled back with the API's reason, its history; a purchase
// order created from the catalog, ordered, received line by line (more than
// outstanding refused in the API's words) and its stock landing; the
// devices board (an illegal move answered with the allowed ones, a device
// added with its seller, moved, sold); a part from the catalog on a ticket
// (its stock at the ticket's location shown, an out-of-stock one refused),
// a partial refund and a void; a CSV import whose dry run lists every bad
// row, then lands. A second tab sees stock, orders and devices change live.
// Every screen is audited with axe-core and photographed at 1440×900,
// 820×1180, 390×844 and on paper (artifacts/screenshots/shop-*).

// shopShots saves the page at each size and printed, and fails when it
// scrolls sideways or something sticks out of the window.
func shopShots(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	shopShotsAt(t, ctx, name, "")
}

// shopShotsAt is shopShots with the element sel scrolled into the middle of
// the window at each size (a form low on a long page).
func shopShotsAt(t *testing.T, ctx context.Context, name, sel string) {
	t.Helper()
	step(t, ctx, "to the top", chromedp.Evaluate[chromedp.Void](`scrollTo(0, 0)`))
	for _, size := range deskSizes {
		step(t, ctx, "viewport", chromedp.EmulateViewport(size.width, size.height))
		if sel != "" {
			step(t, ctx, "scroll to "+sel, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%q)?.scrollIntoView({block: "center"})`, sel)))
		}
		png := read(t, ctx, "screenshot "+name, chromedp.CaptureScreenshot())
		saveShot(t, fmt.Sprintf("shop-%s-%s-%dx%d", name, size.name, size.width, size.height), png)
		if over := read(t, ctx, "overflow", chromedp.Evaluate[int](`document.documentElement.scrollWidth - innerWidth`)); over > 0 {
			t.Errorf("%s at %dx%d is %d px wider than the window", name, size.width, size.height, over)
		}
		if out := read(t, ctx, "out of view", chromedp.Evaluate[[]string](outOfView)); len(out) > 0 {
			t.Errorf("%s at %dx%d: elements stick out of the window: %v", name, size.width, size.height, out)
		}
	}
	step(t, ctx, "print", chromedp.EmulateViewport(800, 1100), media(emulation.SetEmulatedMediaParams{Media: "print"}))
	saveShot(t, "shop-"+name+"-print", read(t, ctx, "screenshot "+name+" printed", chromedp.FullScreenshot(100)))
	step(t, ctx, "screen again", media(emulation.SetEmulatedMediaParams{}), chromedp.EmulateViewport(1440, 900))
}

// setSelect picks a value in a select and tells the page, as a person would.
func setSelect(sel, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const s = document.querySelector(%q); s.value = %q; s.dispatchEvent(new Event("change", {bubbles: true})); })()`, sel, value))
}

// pickOption types into a combobox and picks the option naming text.
func pickOption(input, typed, text string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		return chromedp.Do(ctx,
			clearField(input),
			chromedp.Focus(chromedp.CSS(input)),
			chromedp.SendKeys(chromedp.CSS(input), typed),
			waitText(`[role="listbox"]:not([hidden]) li[role="option"]`, text),
			chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
  const li = [...document.querySelectorAll('[role="listbox"]:not([hidden]) li[role="option"]')].find((n) => n.textContent.includes(%q));
  li.dispatchEvent(new MouseEvent("mousedown", {bubbles: true}));
})()`, text)))
	})
}

// typeInto replaces a text control's value with typed keys.
func typeInto(sel, text string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		return chromedp.Do(ctx, clearField(sel), chromedp.SendKeys(chromedp.CSS(sel), text))
	})
}

func TestShopInChromium(t *testing.T) {
	browser := newBrowser(t)
	axe := axeSource(t)
	dir := t.TempDir()
	srv, m, api := serveForOwner(t, dir, "shop test")
	must := func(method, path string, body, out any) {
		t.Helper()
		if _, err := api.do(method, path, body, out); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}

	var confirms atomic.Int32
	a := tab(t, browser, &confirms)
	signUpOwner(t, a, m[0])

	// The shop: two locations, a supplier, three catalog items, some stock.
	type rec struct {
		ID uint64 `json:"id"`
	}
	var main, annex, supplier, screen, battery, diag, ada, grace rec
	must("POST", "/api/v1/locations", map[string]any{"name": "Main shop", "timezone": "Europe/London"}, &main)
	must("POST", "/api/v1/locations", map[string]any{"name": "Annex", "timezone": "Europe/London"}, &annex)
	must("POST", "/api/v1/suppliers", map[string]any{"name": "Parts Direct", "contact": "Pat", "email": "orders@parts.example"}, &supplier)
	must("POST", "/api/v1/catalog/items", map[string]any{"sku": "SCR-13", "name": "iPhone 13 screen", "kind": "part", "price": 89, "cost": 40,
		"reorder_level": 3, "barcode": "0190199000013", "taxable": true, "supplier_id": supplier.ID}, &screen)
	must("POST", "/api/v1/catalog/items", map[string]any{"sku": "BAT-12", "name": "iPhone 12 battery", "kind": "part", "price": 49, "cost": 15,
		"reorder_level": 2, "taxable": true}, &battery)
	must("POST", "/api/v1/catalog/items", map[string]any{"sku": "DIAG", "name": "Diagnostic", "kind": "service", "price": 25}, &diag)
	must("POST", "/api/v1/inventory/adjustments", map[string]any{"item_id": screen.ID, "location_id": main.ID, "delta": 5, "reason": "count"}, nil)
	must("POST", "/api/v1/inventory/adjustments", map[string]any{"item_id": battery.ID, "location_id": main.ID, "delta": 1, "reason": "count"}, nil)
	must("POST", "/api/v1/customers", map[string]any{"name": "Ada Lovelace", "email": "ada@example.com", "phone": "+44 20 7946 0101"}, &ada)
	must("POST", "/api/v1/customers", map[string]any{"name": "Grace Hopper", "email": "grace@example.com"}, &grace)

	// The catalog: stock per location, the battery low (in words).
	rowOf := func(id uint64) string { return fmt.Sprintf(`tbody[data-list] tr[data-id="%d"]`, id) }
	cellOf := func(id, loc uint64) string { return fmt.Sprintf(`%s td.stock[data-loc="%d"]`, rowOf(id), loc) }
	step(t, a, "catalog",
		chromedp.Click(chromedp.CSS(`.side a[href="/catalog"]`)),
		waitText("h1", "Catalog"),
		waitText(rowOf(screen.ID), "iPhone 13 screen"),
		waitText(cellOf(screen.ID, main.ID)+" .qty", "5"),
		waitText(cellOf(battery.ID, main.ID), "Low stock"),
		waitText(cellOf(screen.ID, annex.ID), "Out of stock"))
	shopShots(t, a, "catalog")
	darkShot(t, a, "shop-catalog")
	audit(t, a, axe, "catalog")

	// Search by SKU, then by barcode.
	step(t, a, "search",
		chromedp.SendKeys(chromedp.CSS(`input[name="q"]`), "BAT-12"),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`!document.querySelector(%q) && !!document.querySelector(%q)`, rowOf(screen.ID), rowOf(battery.ID))),
		typeInto(`input[name="q"]`, "0190199000013"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('input[name="q"]').dispatchEvent(new Event("input"))`),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`!!document.querySelector(%q) && !document.querySelector(%q)`, rowOf(screen.ID), rowOf(battery.ID))),
		clearField(`input[name="q"]`),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('input[name="q"]').dispatchEvent(new Event("input"))`),
		waitText(rowOf(battery.ID), "iPhone 12 battery"))

	// An item added through the form.
	step(t, a, "add an item",
		chromedp.Click(chromedp.Search(`//button[text()="+ Add item"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form.desk-form input[name="name"]`)),
		chromedp.SendKeys(chromedp.CSS(`form.desk-form input[name="name"]`), "USB-C cable"),
		chromedp.SendKeys(chromedp.CSS(`form.desk-form input[name="sku"]`), "USBC-1"),
		setSelect(`form.desk-form select[name="kind"]`, "product"),
		chromedp.SendKeys(chromedp.CSS(`form.desk-form input[name="price"]`), "12,50"),
		chromedp.SendKeys(chromedp.CSS(`form.desk-form input[name="reorder_level"]`), "4"))
	shopShots(t, a, "catalog-add")
	audit(t, a, axe, "catalog-add")
	step(t, a, "item added",
		chromedp.Click(chromedp.Search(`//button[text()="Add item"]`)),
		waitText(`tbody[data-list] tr`, "USB-C cable"),
		waitText(`tbody[data-list] tr`, "USBC-1"))
	var cables []rec
	must("GET", "/api/v1/catalog/items?q=USBC-1", nil, &cables)
	if len(cables) != 1 {
		t.Fatalf("the cable was not created: %v", cables)
	}
	cable := cables[0]

	// Edited: only what changed is sent.
	step(t, a, "edit an item",
		chromedp.Click(chromedp.CSS(`button[aria-label="Edit USB-C cable"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form.desk-form input[name="price"]`)),
		typeInto(`form.desk-form input[name="price"]`, "14"),
		setSelect(`form.desk-form select[name="supplier_id"]`, fmt.Sprint(supplier.ID)),
		chromedp.Click(chromedp.Search(`//button[text()="Save changes"]`)),
		waitText(fmt.Sprintf(`tbody[data-list] tr[data-id="%d"]`, cable.ID), "$14.00"))
	var edited struct {
		Price      float64 `json:"price"`
		SupplierID uint64  `json:"supplier_id"`
		SKU        string  `json:"sku"`
	}
	must("GET", fmt.Sprintf("/api/v1/catalog/items/%d", cable.ID), nil, &edited)
	if edited.Price != 14 || edited.SupplierID != supplier.ID || edited.SKU != "USBC-1" {
		t.Errorf("the edited cable is %+v", edited)
	}

	// Stock adjusted in place: one screen damaged.
	step(t, a, "adjust",
		chromedp.Click(chromedp.CSS(`button[aria-label="Adjust stock of iPhone 13 screen at Main shop"]`)),
		chromedp.WaitVisible(chromedp.CSS(`tr.adjust-row input[name="delta"]`)),
		chromedp.SendKeys(chromedp.CSS(`tr.adjust-row input[name="delta"]`), "-1"),
		setSelect(`tr.adjust-row select[name="reason"]`, "damage"),
		chromedp.SendKeys(chromedp.CSS(`tr.adjust-row input[name="note"]`), "Cracked in the drawer"))
	shopShots(t, a, "catalog-adjust")
	audit(t, a, axe, "catalog-adjust")
	step(t, a, "adjusted",
		chromedp.Click(chromedp.CSS(`tr.adjust-row button[type="submit"]`)),
		waitText(cellOf(screen.ID, main.ID)+" .qty", "4"),
		chromedp.Poll[chromedp.Void](`!document.querySelector("tr.adjust-row") && !document.querySelector("td.stock .muted.small")`))
	// More than there is: refused, the level back where it was, the API's words shown.
	step(t, a, "adjust refused",
		chromedp.Click(chromedp.CSS(`button[aria-label="Adjust stock of iPhone 12 battery at Main shop"]`)),
		chromedp.WaitVisible(chromedp.CSS(`tr.adjust-row input[name="delta"]`)),
		chromedp.SendKeys(chromedp.CSS(`tr.adjust-row input[name="delta"]`), "-5"),
		chromedp.Click(chromedp.CSS(`tr.adjust-row button[type="submit"]`)),
		chromedp.Poll[chromedp.Void](`[...document.querySelectorAll("tr.adjust-row .error, tr.adjust-row .field-error")].some((p) => p.textContent.trim())`),
		waitText(cellOf(battery.ID, main.ID)+" .qty", "1"))
	refusal := read(t, a, "refusal", chromedp.Evaluate[string](`[...document.querySelectorAll("tr.adjust-row .error, tr.adjust-row .field-error")].map((p) => p.textContent).join(" ")`))
	if !strings.Contains(strings.ToLower(refusal), "stock") {
		t.Errorf("the refused adjustment says %q; want the API's reason (what is in stock)", refusal)
	}
	shopShotsAt(t, a, "catalog-refused", "tr.adjust-row")
	step(t, a, "history",
		chromedp.Click(chromedp.CSS(`tr.adjust-row button.quiet`)), // Cancel
		chromedp.Click(chromedp.CSS(`button[aria-label="Stock history of iPhone 13 screen"]`)),
		waitText(`tr.history-row table.history`, "Damaged"),
		waitText(`tr.history-row table.history`, "Cracked in the drawer"),
		waitText(`tr.history-row table.history`, "Stock count"))
	shopShots(t, a, "catalog-history")
	audit(t, a, axe, "catalog-history")

	// A second tab sees stock change live: a count at the annex, and the
	// screen falling to its reorder level.
	b := tab(t, browser, &confirms)
	step(t, b, "second catalog", chromedp.Navigate(srv.URL+"/catalog"), waitText(".live-status", "Live"), waitText(cellOf(screen.ID, main.ID)+" .qty", "4"))
	must("POST", "/api/v1/inventory/adjustments", map[string]any{"item_id": screen.ID, "location_id": annex.ID, "delta": 3, "reason": "transfer"}, nil)
	must("POST", "/api/v1/inventory/adjustments", map[string]any{"item_id": screen.ID, "location_id": main.ID, "delta": -2, "reason": "correction"}, nil)
	step(t, b, "stock live",
		waitText(cellOf(screen.ID, annex.ID)+" .qty", "3"),
		waitText(cellOf(screen.ID, main.ID)+" .qty", "2"),
		waitText(cellOf(screen.ID, main.ID), "Low stock"),
		waitText(".live-hint", "iPhone 13 screen is low at Main shop"))
	step(t, b, "low only",
		chromedp.Click(chromedp.Search(`//button[text()="Low stock only"]`)),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`location.search.includes("low=1") && !!document.querySelector(%q) && !document.querySelector(%q)`, rowOf(battery.ID), rowOf(diag.ID))))

	// Purchase orders (g o from the keyboard): a second supplier through the
	// form, then an order of batteries from the catalog.
	step(t, a, "purchase orders",
		chromedp.Evaluate[chromedp.Void](`document.activeElement.blur()`),
		shortcut('g'), shortcut('o'),
		waitText("h1", "Purchase orders"),
		waitText(".empty", "No purchase orders yet"),
		waitText(".suppliers-table", "Parts Direct"),
		chromedp.Click(chromedp.Search(`//button[text()="+ Add supplier"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form.supplier-form input[name="name"]`)),
		chromedp.SendKeys(chromedp.CSS(`form.supplier-form input[name="name"]`), "Cell Spares"),
		chromedp.SendKeys(chromedp.CSS(`form.supplier-form input[name="email"]`), "sales@cellspares.example"),
		chromedp.Click(chromedp.Search(`//form[contains(@class, "supplier-form")]//button[text()="Add supplier"]`)),
		waitText(".suppliers-table", "Cell Spares"))
	step(t, b, "orders in the second tab", chromedp.Navigate(srv.URL+"/purchase-orders"), waitText("h1", "Purchase orders"), waitText(".live-status", "Live"))
	step(t, a, "new order",
		chromedp.Click(chromedp.Search(`//button[text()="+ New purchase order"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form.po-form select[name="supplier_id"]`)),
		setSelect(`form.po-form select[name="supplier_id"]`, fmt.Sprint(supplier.ID)),
		setSelect(`form.po-form select[name="location_id"]`, fmt.Sprint(main.ID)),
		pickOption(`#po-add-item`, "batt", "iPhone 12 battery"),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`input[name="qty-%d"]`, battery.ID))),
		typeInto(fmt.Sprintf(`input[name="qty-%d"]`, battery.ID), "10"),
		pickOption(`#po-add-item`, "SCR", "iPhone 13 screen"),
		typeInto(fmt.Sprintf(`input[name="qty-%d"]`, screen.ID), "2"))
	shopShots(t, a, "po-new")
	audit(t, a, axe, "po-new")
	step(t, a, "create the order",
		chromedp.Click(chromedp.Search(`//button[text()="Create draft order"]`)),
		waitText("h1", "PO-"),
		waitText("h1", "Draft"),
		waitText("table.po-detail-lines", "iPhone 12 battery"))
	step(t, b, "order live", waitText(`tbody[data-list] tr`, "Parts Direct"), waitText(`tbody[data-list] tr`, "Draft"))
	step(t, a, "order it",
		chromedp.Click(chromedp.Search(`//button[text()="Mark as ordered"]`)),
		waitText("h1", "Ordered"),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`input[name="receive-%d"]`, battery.ID))))
	step(t, b, "ordered live", waitText(`tbody[data-list] tr`, "Ordered"))
	// More than outstanding: refused in the API's words.
	step(t, a, "receive too many",
		typeInto(fmt.Sprintf(`input[name="receive-%d"]`, battery.ID), "11"),
		chromedp.Click(chromedp.Search(`//button[text()="Receive"]`)),
		chromedp.Poll[chromedp.Void](`[...document.querySelectorAll(".receive-form .error, .receive-form .field-error")].some((p) => p.textContent.trim())`),
		waitText("h1", "Ordered"))
	tooMany := read(t, a, "too many", chromedp.Evaluate[string](`[...document.querySelectorAll(".receive-form .error, .receive-form .field-error")].map((p) => p.textContent).join(" ")`))
	if !strings.Contains(strings.ToLower(tooMany), "outstanding") && !strings.Contains(strings.ToLower(tooMany), "more than") {
		t.Errorf("receiving 11 of 10 says %q; want the API's refusal", tooMany)
	}
	shopShots(t, a, "po-refused")
	audit(t, a, axe, "po-refused")
	step(t, a, "receive some",
		typeInto(fmt.Sprintf(`input[name="receive-%d"]`, battery.ID), "4"),
		chromedp.Click(chromedp.Search(`//button[text()="Receive"]`)),
		waitText("h1", "Partly received"),
		waitText(".notice", "Received 4 units"))
	step(t, b, "partly received live", waitText(`tbody[data-list] tr`, "Partly received"), waitText(`tbody[data-list] tr`, "4 of 12 received"))
	shopShots(t, a, "po-partial")
	step(t, a, "receive the rest",
		chromedp.Click(chromedp.Search(`//button[text()="Fill everything outstanding"]`)),
		chromedp.Click(chromedp.Search(`//button[text()="Receive"]`)),
		waitText("h1", "Received"),
		chromedp.Poll[chromedp.Void](`!document.querySelector(".receive-form input[data-item]")`))
	step(t, b, "received live", waitText(`tbody[data-list] tr`, "Received"))
	var level []struct {
		Quantity int64 `json:"quantity"`
	}
	must("GET", fmt.Sprintf("/api/v1/inventory?item_id=%d&location_id=%d", battery.ID, main.ID), nil, &level)
	if len(level) != 1 || level[0].Quantity != 11 {
		t.Errorf("batteries at the main shop after receiving 10: %+v, want 11", level)
	}
	step(t, a, "back to the list", chromedp.Click(chromedp.CSS(`.crumbs a`)), waitText(`tbody[data-list] tr`, "12 of 12 received"))
	shopShots(t, a, "po-list")
	audit(t, a, axe, "po-list")

	// Devices: one bought from Grace through the form.
	step(t, a, "devices",
		chromedp.Click(chromedp.CSS(`.side a[href="/devices"]`)),
		waitText("h1", "Devices"),
		waitText(".dev-acquired", "Nothing bought"),
		chromedp.Click(chromedp.Search(`//button[text()="+ Add device"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form.desk-form input[name="brand"]`)),
		chromedp.SendKeys(chromedp.CSS(`form.desk-form input[name="brand"]`), "Apple"),
		chromedp.SendKeys(chromedp.CSS(`form.desk-form input[name="model"]`), "iPhone 12"),
		chromedp.SendKeys(chromedp.CSS(`form.desk-form input[name="imei"]`), "490154203237518"),
		chromedp.SendKeys(chromedp.CSS(`form.desk-form input[name="storage"]`), "128 GB"),
		chromedp.SendKeys(chromedp.CSS(`form.desk-form input[name="purchase_price"]`), "150"),
		chromedp.SendKeys(chromedp.CSS(`form.desk-form input[name="asking_price"]`), "299"),
		setSelect(`form.desk-form select[name="location_id"]`, fmt.Sprint(main.ID)),
		pickOption(`#seller_customer_id`, "Grace", "Grace Hopper"),
		waitText(`form.desk-form .picked`, "Grace Hopper"))
	shopShots(t, a, "devices-add")
	audit(t, a, axe, "devices-add")
	step(t, a, "device added",
		chromedp.Click(chromedp.Search(`//button[text()="Add device"]`)),
		waitText(".dev-acquired li.device-card", "Apple iPhone 12"),
		waitText(".dev-acquired li.device-card", "from Grace Hopper"))
	// Straight to listed is not allowed: the API's answer names the moves that are.
	step(t, a, "illegal move",
		setSelect(`select[aria-label="Move Apple iPhone 12 to"]`, "listed"),
		chromedp.Click(chromedp.CSS(`button[aria-label="Move Apple iPhone 12"]`)),
		chromedp.Poll[chromedp.Void](`!!document.querySelector(".dev-acquired li.device-card .field-error")?.textContent.trim()`))
	why := read(t, a, "illegal move", chromedp.Text(chromedp.CSS(`.dev-acquired li.device-card .field-error`)))
	if !strings.Contains(why, "testing") {
		t.Errorf("the illegal move says %q; want the allowed moves (testing)", why)
	}
	shopShots(t, a, "devices-refused")
	audit(t, a, axe, "devices-refused")
	step(t, b, "devices in the second tab", chromedp.Navigate(srv.URL+"/devices"), waitText(".live-status", "Live"), waitText(".dev-acquired", "Apple iPhone 12"))
	step(t, a, "move to testing",
		setSelect(`select[aria-label="Move Apple iPhone 12 to"]`, "testing"),
		chromedp.Click(chromedp.CSS(`button[aria-label="Move Apple iPhone 12"]`)),
		waitText(".dev-testing li.device-card", "Apple iPhone 12"))
	step(t, b, "moved live", waitText(".dev-testing li.device-card", "Apple iPhone 12"), waitText(".live-hint", "testing"))
	var devices []rec
	must("GET", "/api/v1/devices", nil, &devices)
	if len(devices) != 1 {
		t.Fatalf("devices: %v", devices)
	}
	must("PATCH", fmt.Sprintf("/api/v1/devices/%d", devices[0].ID), map[string]any{"status": "listed"}, nil)
	step(t, a, "listed live", waitText(".dev-listed li.device-card", "Apple iPhone 12"))
	shopShots(t, a, "devices-board")
	darkShot(t, a, "shop-devices-board")
	step(t, a, "sell",
		chromedp.Click(chromedp.CSS(`button[aria-label="Sell Apple iPhone 12"]`)),
		chromedp.WaitVisible(chromedp.CSS(`dialog.sale-dialog input[name="sale_price"]`)),
		typeInto(`dialog.sale-dialog input[name="sale_price"]`, "280"),
		pickOption(`#buyer_customer_id`, "Ada", "Ada Lovelace"))
	shopShots(t, a, "devices-sell")
	audit(t, a, axe, "devices-sell")
	step(t, a, "sold",
		chromedp.Click(chromedp.Search(`//button[text()="Record sale"]`)),
		chromedp.Poll[chromedp.Void](`!document.querySelector("dialog[open]")`),
		waitText(".device-done summary", "1 sold for"),
		chromedp.Poll[chromedp.Void](`!document.querySelector(".dev-listed li.device-card")`))
	step(t, b, "sold live", waitText(".device-done summary", "1 sold"), waitText(".live-hint", "sold"))
	step(t, a, "open the sold", chromedp.Click(chromedp.CSS(`.device-done summary`)), waitText(".done-list", "to Ada Lovelace"))
	shopShots(t, a, "devices-sold")

	// A ticket at the main shop: a part from the catalog, one not in stock refused.
	var ticket struct {
		ID     uint64 `json:"id"`
		Number int    `json:"number"`
	}
	must("POST", "/api/v1/tickets", map[string]any{"customer_id": ada.ID, "device": map[string]any{"brand": "Apple", "model": "iPhone 13"},
		"issue": "Cracked screen", "location_id": main.ID}, &ticket)
	step(t, a, "ticket",
		chromedp.Navigate(fmt.Sprintf("%s/tickets/%d", srv.URL, ticket.ID)),
		waitText("h1", fmt.Sprint(ticket.Number)),
		chromedp.WaitVisible(chromedp.CSS(`#catalog-part`)),
		chromedp.Focus(chromedp.CSS(`#catalog-part`)),
		chromedp.SendKeys(chromedp.CSS(`#catalog-part`), "iPhone 13"),
		waitText(`#catalog-part-options li[role="option"]`, "4 in stock at Main shop"),
		// The keyboard picks it: Enter takes the highlighted match (its
		// keydown only, as a browser sends it once the page prevented it).
		shortcut('\r'),
		waitText(".part-picked", "iPhone 13 screen"),
		waitText(".part-picked", "4 in stock at Main shop"))
	shopShotsAt(t, a, "ticket-part", ".part-form")
	audit(t, a, axe, "ticket-part")
	step(t, a, "add the part",
		chromedp.Click(chromedp.Search(`//button[text()="Add part"]`)),
		waitText("table.items", "iPhone 13 screen"))
	step(t, a, "part form reset",
		chromedp.Poll[chromedp.Void](`document.querySelector(".part-picked").hidden`))
	must("GET", fmt.Sprintf("/api/v1/inventory?item_id=%d&location_id=%d", screen.ID, main.ID), nil, &level)
	if len(level) != 1 || level[0].Quantity != 3 {
		t.Errorf("screens at the main shop after one went on a ticket: %+v, want 3 (2 counted, 2 received, 1 taken)", level)
	}
	step(t, a, "out of stock refused",
		pickOption(`#catalog-part`, "USB", "USB-C cable"),
		waitText(".part-picked", "out of stock at Main shop"),
		chromedp.Click(chromedp.Search(`//button[text()="Add part"]`)),
		chromedp.Poll[chromedp.Void](`!!document.querySelector(".part-form .error")?.textContent.trim()`))
	outOfStock := read(t, a, "out of stock", chromedp.Text(chromedp.CSS(`.part-form .error`)))
	if !strings.Contains(strings.ToLower(outOfStock), "stock") {
		t.Errorf("adding a part not in stock says %q; want the API's 409", outOfStock)
	}
	if items := read(t, a, "items", chromedp.Text(chromedp.CSS("table.items"))); strings.Contains(items, "USB-C cable") {
		t.Errorf("the refused part is on the ticket:\n%s", items)
	}
	_ = cable

	// Payments: a partial refund, more than refundable refused, a void.
	var pay1, pay2 struct {
		Payment rec `json:"payment"`
	}
	must("POST", fmt.Sprintf("/api/v1/tickets/%d/payments", ticket.ID), map[string]any{"amount": 60, "method": "card"}, &pay1)
	must("POST", fmt.Sprintf("/api/v1/tickets/%d/payments", ticket.ID), map[string]any{"amount": 20, "method": "cash"}, &pay2)
	payLi := func(id uint64) string { return fmt.Sprintf(`.payments li.payment[data-id="%d"]`, id) }
	step(t, a, "payments shown", waitText(payLi(pay1.Payment.ID), "card"), waitText(payLi(pay2.Payment.ID), "cash"))
	step(t, a, "refund form",
		chromedp.Click(chromedp.CSS(payLi(pay1.Payment.ID)+` .payment-actions button`)),
		chromedp.WaitVisible(chromedp.CSS(payLi(pay1.Payment.ID)+` .refund-form input[name="amount"]`)),
		waitText(payLi(pay1.Payment.ID)+` .refundable-now`, "60.00 can be refunded"),
		chromedp.SendKeys(chromedp.CSS(payLi(pay1.Payment.ID)+` .refund-form input[name="amount"]`), "30"),
		chromedp.SendKeys(chromedp.CSS(payLi(pay1.Payment.ID)+` .refund-form input[name="reason"]`), "Screen protector returned"))
	shopShotsAt(t, a, "ticket-refund", ".refund-form")
	audit(t, a, axe, "ticket-refund")
	step(t, a, "refunded",
		chromedp.Click(chromedp.CSS(payLi(pay1.Payment.ID)+` .refund-form button[type="submit"]`)),
		waitText(payLi(pay1.Payment.ID), "30.00 refundable"),
		waitText(payLi(pay1.Payment.ID), "Screen protector returned"))
	step(t, a, "refund too much",
		chromedp.Click(chromedp.CSS(payLi(pay1.Payment.ID)+` .payment-actions button`)),
		chromedp.SendKeys(chromedp.CSS(payLi(pay1.Payment.ID)+` .refund-form input[name="amount"]`), "40"),
		chromedp.Click(chromedp.CSS(payLi(pay1.Payment.ID)+` .refund-form button[type="submit"]`)),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`[...document.querySelectorAll(%q)].some((p) => p.textContent.trim()) || !!document.querySelector(".col-side > .error")?.textContent.trim()`,
			payLi(pay1.Payment.ID)+" .refund-form .field-error")),
		waitText(payLi(pay1.Payment.ID), "30.00 refundable"),
		chromedp.Click(chromedp.CSS(payLi(pay1.Payment.ID)+` .refund-form button.quiet:not(.small-button)`)))
	step(t, a, "void",
		chromedp.Click(chromedp.CSS(`button[aria-label^="Void the payment"]`)),
		waitText(payLi(pay2.Payment.ID)+` .refund-form`, "stops counting"),
		chromedp.Click(chromedp.Search(`//button[text()="Void payment"]`)),
		waitText(payLi(pay2.Payment.ID), "Voided"))
	shopShotsAt(t, a, "ticket-refunded", ".payments")
	audit(t, a, axe, "ticket-refunded")

	// Import: a customer CSV with two bad rows; the dry run names both and
	// writes nothing; fixed, it lands.
	bad := filepath.Join(t.TempDir(), "customers-bad.csv")
	good := filepath.Join(t.TempDir(), "customers.csv")
	if err := os.WriteFile(bad, []byte("name,email,phone\nAlan Turing,alan@example.com,+44 20 7946 0201\n,nobody@example.com,\nJoan Clarke,not-an-email,\nTommy Flowers,tommy@example.com,\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(good, []byte("name,email,phone\nAlan Turing,alan@example.com,+44 20 7946 0201\nJoan Clarke,joan@example.com,\nTommy Flowers,tommy@example.com,\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	step(t, a, "import",
		chromedp.Click(chromedp.CSS(`.side a[href="/import"]`)),
		waitText("h1", "Import and export"),
		chromedp.WaitVisible(chromedp.CSS(`#import-file`)),
		chromedp.SetUploadFiles(chromedp.CSS(`#import-file`), []string{bad}),
		chromedp.Click(chromedp.Search(`//button[text()="Check the file"]`)),
		waitText(".import-status", "Nothing was imported"),
		waitText("table.import-errors", "3"),
		waitText("table.import-errors", "4"))
	lines := read(t, a, "bad lines", chromedp.Evaluate[[]string](`[...document.querySelectorAll("table.import-errors tbody tr td:first-child")].map((td) => td.textContent)`))
	if strings.Join(lines, ",") != "3,4" {
		t.Errorf("the dry run lists lines %v, want 3 and 4", lines)
	}
	var found []rec
	must("GET", "/api/v1/customers?q=Turing", nil, &found)
	if len(found) != 0 {
		t.Errorf("the dry run wrote customers: %v", found)
	}
	shopShots(t, a, "import-errors")
	audit(t, a, axe, "import-errors")
	step(t, a, "import the fixed file",
		chromedp.SetUploadFiles(chromedp.CSS(`#import-file`), []string{good}),
		chromedp.Click(chromedp.Search(`//button[text()="Check the file"]`)),
		waitText(".import-status", "ready to import"),
		chromedp.Click(chromedp.CSS(`.import-form .actions button:not([type="submit"])`)),
		waitText(".import-status", "Imported 3 customers"))
	must("GET", "/api/v1/customers?q=Turing", nil, &found)
	if len(found) != 1 {
		t.Errorf("after the import, customers named Turing: %v", found)
	}
	shopShots(t, a, "import-done")
	audit(t, a, axe, "import-done")

	// Catalog items too: a SKU already in the catalog and an unknown kind are
	// named by line and column; the good file lands, and the catalog shows it.
	badItems := filepath.Join(t.TempDir(), "items-bad.csv")
	goodItems := filepath.Join(t.TempDir(), "items.csv")
	if err := os.WriteFile(badItems, []byte("sku,name,kind,price,cost,reorder_level\nSCR-13,Duplicate screen,part,10,5,1\nCASE-1,Phone case,gizmo,15,4,2\nGLS-1,Screen protector,product,9.99,2,5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(goodItems, []byte("sku,name,kind,price,cost,reorder_level\nCASE-1,Phone case,product,15,4,2\nGLS-1,Screen protector,product,9.99,2,5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	step(t, a, "import catalog items",
		chromedp.Click(chromedp.CSS(`#imp-catalog_items`)),
		chromedp.Poll[chromedp.Void](`location.search.includes("kind=catalog_items") && !document.querySelector(".import-status").textContent`),
		chromedp.SetUploadFiles(chromedp.CSS(`#import-file`), []string{badItems}),
		chromedp.Click(chromedp.Search(`//button[text()="Check the file"]`)),
		waitText(".import-status", "Nothing was imported"),
		waitText("table.import-errors", "sku"),
		waitText("table.import-errors", "kind"))
	itemLines := read(t, a, "bad item lines", chromedp.Evaluate[[]string](`[...document.querySelectorAll("table.import-errors tbody tr td:first-child")].map((td) => td.textContent)`))
	if strings.Join(itemLines, ",") != "2,3" {
		t.Errorf("the catalog dry run lists lines %v, want 2 and 3", itemLines)
	}
	step(t, a, "import the fixed catalog",
		chromedp.SetUploadFiles(chromedp.CSS(`#import-file`), []string{goodItems}),
		chromedp.Click(chromedp.Search(`//button[text()="Check the file"]`)),
		waitText(".import-status", "All 2 rows are ready"),
		chromedp.Click(chromedp.CSS(`.import-form .actions button:not([type="submit"])`)),
		waitText(".import-status", "Imported 2 catalog items"),
		chromedp.Click(chromedp.CSS(`.import-status a`)),
		waitText("h1", "Catalog"),
		waitText(`tbody[data-list] tr`, "Screen protector"))

	// Export: the lists' CSV, in the tab's mode, as the buttons fetch them.
	for _, path := range []string{"/api/v1/customers.csv", "/api/v1/catalog/items.csv", "/api/v1/purchase_orders.csv", "/api/v1/devices.csv"} {
		got := read(t, a, "export "+path, chromedp.Evaluate[string](fmt.Sprintf(`fetch(%q, {headers: {"Portal-Mode": "live"}}).then(async (r) => r.status + " " + (r.headers.get("content-type") || "") + "\n" + (await r.text()))`, path), chromedp.EvalAwaitPromise))
		if !strings.HasPrefix(got, "200 text/csv") {
			t.Errorf("%s answers %.200q", path, got)
		}
	}
	step(t, a, "export button",
		chromedp.Click(chromedp.CSS(`.side a[href="/import"]`)),
		waitText("h1", "Import and export"),
		chromedp.Click(chromedp.Search(`//section[contains(@class, "exports")]//button[text()="Customers"]`)),
		chromedp.Poll[chromedp.Void](`!document.querySelector(".exports button:disabled")`))
	if msg := read(t, a, "export error", chromedp.Text(chromedp.CSS(`.exports`))); strings.Contains(msg, "failed") {
		t.Errorf("the export button failed: %s", msg)
	}

	// Test mode keeps to the test store: its catalog is empty, its devices board too.
	step(t, a, "test mode",
		chromedp.Navigate(srv.URL+"/test/catalog"),
		waitText(".test-banner", "TEST MODE"),
		waitText(".empty", "The catalog is empty"),
		chromedp.Click(chromedp.CSS(`.side a[href="/test/devices"]`)),
		waitText(".dev-acquired", "Nothing bought"),
		waitText(".device-done summary", "0"))
}
