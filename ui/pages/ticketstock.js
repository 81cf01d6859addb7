// The ticket page's stock and money additions: a part picked from the
// catalog (typing searches it; each match says what is in stock at the
// ticket's location; the shop refuses a part it does not have, in the API's
// words), and refunds and voids of payments (what can still be refunded is
// shown; never more than was paid).

import { el, field, showErrors, busy } from "../lib/dom.js";
import { call, get } from "../lib/api.js";
import { money, parseDecimal } from "../lib/format.js";
import { onHand, picker, searchCatalog, integer, tag, allPages, locationsOrNone } from "../lib/stock.js";

// stockAt answers what is in stock of an item at a location (all locations
// when the ticket has none), or null when it cannot be read.
async function stockAt(item, locationId) {
  if (item.kind === "service") return null;
  try {
    const levels = await allPages("/api/v1/inventory", { item_id: item.id, ...(locationId ? { location_id: locationId } : {}) }, 1);
    return levels.filter((l) => (l.item_id ?? item.id) === item.id && (!locationId || l.location_id === locationId))
      .reduce((a, l) => a + onHand(l), 0);
  } catch {
    return null;
  }
}

// partPicker adds a catalog item to the ticket as a line item; run posts it
// the way the money panel posts everything (errors shown, totals refreshed).
export function partPicker(ctx, base, ticket, run) {
  if (!ctx.can("catalog.read")) return null;
  let locationId = ticket.location_id || 0;
  let locName = "";
  let chosen = null;
  const haveInventory = ctx.can("inventory.read");
  const levels = new Map(); // item id → stock at the location, for the options
  const qty = el("input", { name: "catalog_quantity", inputmode: "numeric", value: "1", size: 3 });
  const add = el("button", { type: "submit", text: "Add part" });
  const picked = el("p", { class: "picked part-picked", hidden: true });
  const error = el("p", { class: "error", role: "alert" });
  const stockWord = (n, item) => {
    if (n === null || n === undefined) return "";
    const where = locName ? ` at ${locName}` : "";
    if (n <= 0) return item?.allow_backorder ? `none in stock${where} (backorder allowed)` : `out of stock${where}`;
    return `${n} in stock${where}`;
  };
  const p = picker({
    id: "catalog-part", label: "Catalog items", placeholder: "Type a part's name, SKU or barcode",
    search: async (q) => {
      const found = await searchCatalog(q);
      if (haveInventory) await Promise.all(found.map(async (it) => levels.set(it.id, await stockAt(it, locationId))));
      return found;
    },
    describe: (it) => ({ label: it.name, detail: [money(it.price), it.sku, stockWord(levels.get(it.id), it)].filter(Boolean).join(" · ") }),
    onPick: (it) => choose(it),
  });
  // Where the parts come from: the ticket's location, chosen here when the
  // shop has several.
  const from = el("select", { name: "location_id", id: "parts-from" });
  const fromField = el("div", { class: "field parts-from", hidden: true }, el("label", { for: "parts-from", text: "Parts come from" }), from,
    el("p", { class: "field-error", id: "parts-from-error", role: "alert" }));
  from.setAttribute("aria-describedby", "parts-from-error");
  const whereHint = el("p", { class: "hint", id: "catalog-part-hint" });
  let locations = [];
  locationsOrNone().then((list) => {
    locations = list;
    if (list.length < 2) return;
    from.replaceChildren(el("option", { value: "", text: "Choose a location" }), ...list.map((l) => el("option", { value: String(l.id), text: l.name })));
    from.value = locationId ? String(locationId) : "";
    fromField.hidden = false;
    showWhere();
  }).catch(() => {});
  from.addEventListener("change", async () => {
    if (!from.value) return;
    const ok = await run(() => call("PATCH", base, { location_id: Number(from.value) }), fromField);
    if (!ok) from.value = locationId ? String(locationId) : "";
  });
  const form = el("form", { class: "part-form", novalidate: true, "aria-label": "Add a part from the catalog" },
    fromField,
    el("div", { class: "field" }, el("label", { for: "catalog-part", text: "Add from the catalog" }), p.node, whereHint,
      el("p", { class: "field-error", id: "catalog-part-error", role: "alert" })),
    picked,
    el("div", { class: "part-add", hidden: true }, field("Qty", qty), add),
    error);
  p.input.setAttribute("aria-describedby", "catalog-part-hint catalog-part-error");
  p.input.setAttribute("name", "catalog_item_id");

  function showWhere() {
    whereHint.textContent = locationId
      ? `Parts are taken from the stock at ${locName || "the ticket's location"}.`
      : fromField.hidden ? "" : "The ticket has no location yet: choose where its parts come from.";
  }

  function choose(it) {
    chosen = it;
    const n = levels.get(it.id);
    picked.hidden = false;
    picked.replaceChildren(el("strong", { text: it.name }), el("span", { class: "num", text: ` ${money(it.price)}` }),
      n !== undefined && n !== null ? el("span", { class: `stock-word${n <= 0 ? " out" : ""}`, text: stockWord(n, it) }) : null,
      el("button", { type: "button", class: "linklike", text: "Change", onclick: () => clear(true) }));
    form.querySelector(".part-add").hidden = false;
    p.node.hidden = true;
    qty.value = "1";
    qty.focus();
    qty.select();
  }
  function clear(focus) {
    chosen = null;
    picked.hidden = true;
    form.querySelector(".part-add").hidden = true;
    p.node.hidden = false;
    p.clear();
    error.textContent = "";
    if (focus) p.input.focus();
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    error.textContent = "";
    if (!chosen) { showErrors(form, { details: [{ field: "catalog_item_id", message: "Type to find a part, then pick it" }] }); return; }
    const q = integer(qty.value);
    if (typeof q !== "number" || q <= 0) { showErrors(form, { details: [{ field: "catalog_quantity", message: "Type how many, such as 1" }] }); return; }
    showErrors(form, {});
    busy(add, async () => {
      const it = chosen;
      // The line's description, price and tax come from the catalog item.
      const body = { catalog_item_id: it.id, quantity: q };
      const ok = await run(() => call("POST", `${base}/line_items`, body), null, (err) => {
        // Out of stock (409) and the like: the API's words, by the picker.
        error.textContent = err.message;
      });
      if (ok) clear(true);
      else if (haveInventory) {
        levels.set(it.id, await stockAt(it, locationId));
        if (chosen === it) choose(it);
        error.textContent ||= "The part could not be added.";
      }
    });
  });

  return {
    node: form,
    async setTicket(t) {
      if ((t.location_id || 0) === locationId && (locName || !locationId)) { showWhere(); return; }
      locationId = t.location_id || 0;
      locName = locations.find((l) => l.id === locationId)?.name || "";
      if (locationId && !locName) {
        try { locName = (await get(`/api/v1/locations/${locationId}`)).data.name; } catch { /* unnamed */ }
      }
      if (!fromField.hidden && document.activeElement !== from) from.value = locationId ? String(locationId) : "";
      levels.clear();
      showWhere();
    },
  };
}

const refundedOf = (p) => Number(p.refunded ?? p.amount_refunded ?? 0);
const voided = (p) => p.status === "voided" || p.status === "void" || !!p.voided_at;
export const refundable = (p) => (voided(p) ? 0 : Math.max(0, Math.round((Number(p.amount) - refundedOf(p)) * 100) / 100));

// paymentRow is one payment with its refunds, what can still be refunded,
// and its Refund and Void actions (a small form opens under it).
export function paymentRow(ctx, base, p, run) {
  const canWrite = ctx.can("payments.write");
  const left = refundable(p);
  const slot = el("div", { class: "refund-slot" });
  const status = p.status && p.status !== "completed" && p.status !== "succeeded" && p.status !== "received" ? tag(p.status) : null;
  const li = el("li", { class: `payment${voided(p) ? " voided" : ""}`, "data-id": String(p.id) },
    el("div", { class: "payment-line" },
      el("span", { class: "num pay-amount", text: money(p.amount) }), " ",
      el("span", { text: p.method }), p.reference ? el("span", { class: "muted", text: ` · ${p.reference}` }) : null,
      status ? [" ", status] : null),
    (p.refunds || []).length ? el("ul", { class: "refunds" }, p.refunds.map((r) => el("li", { class: "muted small" },
      `Refunded ${money(r.amount)}`, r.reason ? ` — ${r.reason}` : ""))) : null,
    !voided(p) && refundedOf(p) > 0 ? el("p", { class: "muted small refundable", text: left > 0 ? `${money(left)} refundable` : "Refunded in full" }) : null,
    canWrite && !voided(p) ? el("div", { class: "payment-actions" },
      left > 0 ? el("button", { type: "button", class: "quiet small-button", "aria-label": `Refund the payment of ${money(p.amount)}`, text: "Refund",
        onclick: () => openRefund() }) : null,
      refundedOf(p) === 0 ? el("button", { type: "button", class: "quiet small-button danger", "aria-label": `Void the payment of ${money(p.amount)}`, text: "Void",
        onclick: () => openVoid() }) : null) : null,
    slot);

  function openRefund() {
    const amount = el("input", { name: "amount", inputmode: "decimal", size: 8, autocomplete: "off" });
    const reason = el("input", { name: "reason", autocomplete: "off" });
    const submit = el("button", { type: "submit", text: "Refund" });
    const fill = el("button", { type: "button", class: "quiet small-button", text: `All ${money(left)}`, onclick: () => { amount.value = String(left); amount.focus(); } });
    const f = el("form", { class: "inline-form refund-form", novalidate: true, "aria-label": `Refund the payment of ${money(p.amount)}` },
      el("p", { class: "refundable-now", text: `${money(left)} can be refunded` }),
      el("div", { class: "field-with-action" }, field("Amount", amount), fill), field("Reason", reason),
      el("div", { class: "actions" }, submit, el("button", { type: "button", class: "quiet", text: "Cancel", onclick: () => slot.replaceChildren() })));
    f.addEventListener("submit", (e) => {
      e.preventDefault();
      const a = parseDecimal(amount.value);
      if (!amount.value.trim() || typeof a !== "number") {
        showErrors(f, { details: [{ field: "amount", message: `Type the amount to refund (up to ${money(left)})` }] });
        return;
      }
      busy(submit, () => run(() => call("POST", `${base}/payments/${p.id}/refund`, { amount: a, reason: reason.value.trim() }), f));
    });
    slot.replaceChildren(f);
    amount.focus();
  }

  // openVoid asks once, in place: a void takes back the whole payment.
  function openVoid() {
    const submit = el("button", { type: "submit", class: "danger-solid", text: "Void payment" });
    const f = el("form", { class: "inline-form refund-form", novalidate: true, "aria-label": `Void the payment of ${money(p.amount)}` },
      el("p", { class: "refundable-now", text: `Void the ${money(p.amount)} ${p.method} payment? It stops counting towards the ticket, as if it had not been taken.` }),
      el("div", { class: "actions" }, submit, el("button", { type: "button", class: "quiet", text: "Keep it", onclick: () => slot.replaceChildren() })));
    f.addEventListener("submit", (e) => {
      e.preventDefault();
      busy(submit, () => run(() => call("POST", `${base}/payments/${p.id}/void`), f));
    });
    slot.replaceChildren(f);
    submit.focus();
  }
  return li;
}

