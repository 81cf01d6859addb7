// The money panel of a ticket: line items, totals, payments. Amounts are
// read as people type them (12,50 is 12.50); removing a line asks nothing
// and offers Undo for a few seconds instead.

import { el, field, showErrors, busy } from "../lib/dom.js";
import { call, get } from "../lib/api.js";
import { money, when, parseDecimal } from "../lib/format.js";
import { partPicker, paymentRow } from "./ticketstock.js";

const undoFor = 8000; // ms the Undo of a removed line stays offered

export function moneyPanel(ctx, base, ticket, write, changed) {
  const canWrite = ctx.can("tickets.write");
  const canPay = ctx.can("payments.write");
  const canSeePayments = ctx.can("payments.read");
  const itemsBody = el("tbody");
  const totals = el("dl", { class: "totals" });
  const payments = el("ul", { class: "payments" });
  const error = el("p", { class: "error", role: "alert" });
  const undo = el("div", { class: "undo", role: "status" });
  let undoTimer = 0;

  function renderTotals(t) {
    const row = (label, v, cls) => [el("dt", { text: label }), el("dd", { class: `num ${cls || ""}`, text: money(v) })];
    totals.replaceChildren(...row("Subtotal", t.totals.subtotal), ...row("Tax", t.totals.tax), ...row("Total", t.totals.total, "strong"),
      ...row("Paid", t.totals.paid), ...row("Balance", t.totals.balance, "strong"));
    balanceNow = Number(t.totals.balance);
    if (fillBalance) fillBalance.textContent = `Balance ${money(balanceNow)}`;
  }

  function renderItems(list) {
    itemsBody.replaceChildren(...list.map((li) => el("tr", {},
      el("td", {}, el("span", { text: li.description }), el("span", { class: "muted small", text: ` ${li.kind}${li.taxable ? "" : " · no tax"}` })),
      el("td", { class: "num", text: String(li.quantity) }),
      el("td", { class: "num", text: money(li.unit_price) }),
      el("td", { class: "num", text: money(li.total) }),
      el("td", {}, canWrite ? el("button", {
        type: "button", class: "icon", "aria-label": `Remove ${li.description}`, text: "×",
        onclick: () => remove(li),
      }) : null))));
    if (!list.length) itemsBody.append(el("tr", {}, el("td", { colspan: 5, class: "muted", text: "No parts or labour yet." })));
  }

  function renderPayments(list) {
    // A payment's open refund form stays open when the list is redrawn for
    // another reason (a change made elsewhere).
    const openForm = payments.querySelector(".refund-form");
    const openId = openForm?.closest("li[data-id]")?.dataset.id;
    payments.replaceChildren(...list.map((p) => {
      const li = paymentRow(ctx, base, p, run);
      li.querySelector(".payment-line").append(el("span", { class: "muted", text: ` · ${when(p.created_at)}` }));
      if (openId === String(p.id) && openForm && !openForm.dataset.done) li.querySelector(".refund-slot").append(openForm);
      return li;
    }));
    if (!list.length) payments.append(el("li", { class: "muted", text: "No payments yet." }));
  }

  let seq = 0;
  async function refresh() {
    const mine = ++seq;
    const [items, pays] = await Promise.all([
      get(`${base}/line_items?per_page=200`).then((r) => r.data),
      canSeePayments ? get(`${base}/payments?per_page=200`).then((r) => r.data) : [],
    ]);
    if (mine !== seq) return; // a newer refresh answers
    renderItems(items);
    if (canSeePayments) renderPayments(pays);
  }

  async function run(fn, form, onError) {
    error.textContent = "";
    try {
      const r = await write(fn);
      if (form) form.dataset.done = "1"; // a refund's form closes once it is taken
      changed(r.data?.ticket || (await get(base)).data);
      await refresh();
      return true;
    } catch (err) {
      if (onError) onError(err);
      else if (!form || !showErrors(form, err)) error.textContent = err.message;
      return false;
    }
  }

  // remove takes the line off at once (every tab sees it go) and offers to
  // put it back: a new line with the same fields.
  async function remove(li) {
    if (!await run(() => call("DELETE", `${base}/line_items/${li.id}`))) return;
    clearTimeout(undoTimer);
    const again = el("button", { type: "button", class: "secondary", text: "Undo" });
    undo.replaceChildren(el("span", { text: `Removed ${li.description}. ` }), again);
    again.addEventListener("click", async () => {
      clearTimeout(undoTimer);
      undo.replaceChildren();
      await run(() => call("POST", `${base}/line_items`, {
        kind: li.kind, description: li.description, quantity: li.quantity, unit_price: li.unit_price, taxable: li.taxable,
        ...(li.catalog_item_id ? { catalog_item_id: li.catalog_item_id } : {}),
      }));
    });
    again.focus(); // the removed row's button is gone: keyboard users land on Undo
    undoTimer = setTimeout(() => undo.replaceChildren(), undoFor);
  }

  let itemForm = null;
  if (canWrite) {
    const description = el("input", { name: "description", autocomplete: "off" });
    const kind = el("select", { name: "kind" }, ["part", "service", "product", "fee"].map((k) => el("option", { value: k, text: k })));
    const quantity = el("input", { name: "quantity", inputmode: "decimal", value: "1", size: 4 });
    const price = el("input", { name: "unit_price", inputmode: "decimal", size: 7 });
    const taxable = el("input", { type: "checkbox", name: "taxable", checked: true, id: "li-taxable" });
    const submit = el("button", { type: "submit", text: "Add" });
    itemForm = el("form", { class: "inline-form", novalidate: true, "aria-label": "Add a line item" },
      field("Description", description), field("Kind", kind), field("Qty", quantity), field("Unit price", price),
      el("label", { class: "check", for: "li-taxable" }, taxable, " Taxable"), submit);
    itemForm.addEventListener("submit", (e) => {
      e.preventDefault();
      busy(submit, async () => {
        if (!readable(itemForm, [quantity, price])) return;
        const ok = await run(() => call("POST", `${base}/line_items`, {
          description: description.value, kind: kind.value, quantity: amount(quantity.value), unit_price: amount(price.value), taxable: taxable.checked,
        }), itemForm);
        if (ok) { description.value = ""; price.value = ""; quantity.value = "1"; description.focus(); }
      });
    });
  }

  let payForm = null;
  let balanceNow = Number(ticket.totals.balance);
  let fillBalance = null; // fills the amount with the balance: an empty amount is never taken to mean it
  if (canPay) {
    const amountInput = el("input", { name: "amount", inputmode: "decimal", size: 8 });
    fillBalance = el("button", { type: "button", class: "quiet small-button", onclick: () => { amountInput.value = String(balanceNow); amountInput.focus(); } });
    const method = el("select", { name: "method" }, ["cash", "card", "check", "transfer", "other"].map((m) => el("option", { value: m, text: m })));
    const reference = el("input", { name: "reference", autocomplete: "off" });
    const submit = el("button", { type: "submit", text: "Record payment" });
    payForm = el("form", { class: "inline-form", novalidate: true, "aria-label": "Record a payment" },
      el("div", { class: "field-with-action" }, field("Amount", amountInput), fillBalance),
      field("Method", method), field("Reference", reference), submit);
    payForm.addEventListener("submit", (e) => {
      e.preventDefault();
      busy(submit, async () => {
        if (!amountInput.value.trim()) {
          showErrors(payForm, { details: [{ field: "amount", message: `Enter the amount received (the balance is ${money(balanceNow)})` }] });
          return;
        }
        if (!readable(payForm, [amountInput])) return;
        const ok = await run(() => call("POST", `${base}/payments`, { amount: amount(amountInput.value), method: method.value, reference: reference.value }), payForm);
        if (ok) { amountInput.value = ""; reference.value = ""; }
      });
    });
  }

  const parts = canWrite ? partPicker(ctx, base, ticket, run) : null;
  parts?.setTicket(ticket);
  const node = el("aside", { class: "col-side", "aria-label": "Charges and payments" },
    el("h2", { text: "Charges" }),
    el("table", { class: "items" },
      el("thead", {}, el("tr", {}, ["Item", "Qty", "Price", "Total", ""].map((h) => el("th", { scope: "col", text: h })))),
      itemsBody),
    undo, parts?.node, itemForm, totals,
    canSeePayments ? el("h2", { text: "Payments" }) : null, canSeePayments ? payments : null, payForm, error);
  renderTotals(ticket);
  refresh().catch((err) => { error.textContent = err.message; });
  return {
    node,
    setTicket(t) { renderTotals(t); parts?.setTicket(t); },
    refresh: () => refresh().catch(() => {}),
  };
}

// readable says, next to each field, an amount that does not read as one
// ("12,505" could be twelve or twelve thousand), and reports whether all did.
function readable(form, inputs) {
  const details = inputs.filter((i) => i.value.trim() && typeof amount(i.value) === "string")
    .map((i) => ({ field: i.name, message: "Type an amount such as 12.50 or 12,50" }));
  showErrors(form, { details });
  return details.length === 0;
}

// amount sends a typed amount as a number when it reads as one ("12,50"
// too), else as typed, so the API names the field in its error.
function amount(v) {
  return parseDecimal(v, 2);
}
