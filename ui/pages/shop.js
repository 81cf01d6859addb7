// Settings → Shop: what receipts and the customer pages say about the shop
// (name, phone, address, hours, terms), how money and time are counted
// (currency, tax rate, time zone), the ticket statuses and the mail server.

import { el, field, showErrors, busy } from "../lib/dom.js";
import { call } from "../lib/api.js";
import { parseDecimal } from "../lib/format.js";
import { statusEditor } from "./statuses.js";
import { paymentSettings } from "./shoppayments.js";
import { emailSection } from "./shopemail.js";

// shopFields builds the inputs for the given names, filled from shop: the
// settings page uses all of them, the setup step the essentials.
export function shopFields(initial, names, disabled = false) {
  let shop = initial;
  const text = (name, attrs = {}) => el("input", { name, autocomplete: "off", disabled, ...attrs });
  const area = (name, rows) => el("textarea", { name, rows, disabled });
  const all = {
    name: () => field("Shop name", text("name", { autocomplete: "organization" }), "On receipts and the customer's pages"),
    phone: () => field("Phone", text("phone", { type: "tel", autocomplete: "tel" }), "Customers call this number"),
    email: () => field("Email", text("email", { type: "email", autocomplete: "email" })),
    address: () => field("Address", area("address", 2)),
    hours: () => field("Opening hours", area("hours", 2), "As customers should read them, e.g. Mon–Fri 9–6, Sat 10–4"),
    timezone: () => field("Time zone", choice("timezone", zones(shop.timezone), disabled), "Times on tickets and receipts are the shop's"),
    currency: () => field("Currency", choice("currency", currencies(shop.currency), disabled)),
    tax_rate: () => field("Tax rate (%)", text("tax_rate", { inputmode: "decimal" }), "For example 8.875 or 20. Tickets opened from now on use it"),
    receipt_terms: () => field("Receipt terms", area("receipt_terms", 5), "Printed on every intake receipt, above the customer's signature"),
    portal_url: () => field("Customer page address", text("portal_url", { type: "url", inputmode: "url", placeholder: "https://repairs.example.com" }),
      "Where customers reach this appliance; links in emails and on receipts start with it"),
    portal_link_days: () => field("Customer links last (days)", text("portal_link_days", { inputmode: "numeric", size: 4 }), "From 1 to 365"),
  };
  const nodes = Object.fromEntries(names.map((n) => [n, all[n]()]));
  const inputs = Object.fromEntries(names.map((n) => [n, nodes[n].querySelector(`[name="${n}"]`)]));
  for (const [n, i] of Object.entries(inputs)) i.value = shop[n] ?? "";
  if (inputs.timezone && !shop.setup_complete && shop.timezone === "UTC") {
    // A new shop's UTC is a default, not a choice: offer where the owner is.
    const here = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if ([...inputs.timezone.options].some((o) => o.value === here)) inputs.timezone.value = here;
  }
  // changes is the PATCH for what differs from shop, or an error per field
  // for what does not read (a tax rate such as "8,8,7").
  const changes = () => {
    const patch = {};
    const details = [];
    for (const [n, i] of Object.entries(inputs)) {
      let v = n === "name" ? i.value.trim() : i.value;
      if (n === "tax_rate") {
        v = v.trim() === "" ? 0 : parseDecimal(v, 3);
        if (typeof v === "string") { details.push({ field: n, message: "Type a percentage such as 8.875 or 8,875" }); continue; }
        if (Number(v) === Number(shop.tax_rate)) continue;
      } else if (n === "portal_link_days") {
        if (!/^\s*\d+\s*$/.test(v)) { details.push({ field: n, message: "Type a whole number of days, from 1 to 365" }); continue; }
        v = Number(v);
        if (v === Number(shop[n])) continue;
      } else if (v === (shop[n] ?? "")) continue;
      patch[n] = v;
    }
    return { patch, details };
  };
  // saved takes the shop as the server answered, to compare the next save
  // with, and shows it as the server reads it (8,875 becomes 8.875).
  const saved = (s) => {
    shop = s;
    for (const [n, i] of Object.entries(inputs)) if (document.activeElement !== i) i.value = s[n] ?? "";
  };
  return { nodes, inputs, changes, saved };
}

function choice(name, options, disabled) {
  return el("select", { name, disabled }, options.map(([v, label]) => el("option", { value: v, text: label })));
}

function zones(current) {
  const list = new Set(Intl.supportedValuesOf?.("timeZone") ?? []);
  list.add("UTC");
  if (current) list.add(current);
  return [...list].sort().map((z) => [z, z.replaceAll("_", " ")]);
}

function currencies(current) {
  const list = new Set(Intl.supportedValuesOf?.("currency") ?? ["USD", "EUR", "GBP"]);
  if (current) list.add(current);
  let names = null;
  try { names = new Intl.DisplayNames(undefined, { type: "currency" }); } catch { /* codes alone */ }
  return [...list].sort().map((c) => [c, names ? `${c} — ${names.of(c)}` : c]);
}

export async function shopPage(ctx) {
  const canWrite = ctx.can("store.write");
  const f = shopFields(ctx.shop, ["name", "phone", "email", "address", "hours", "timezone", "currency", "tax_rate", "receipt_terms", "portal_url", "portal_link_days"], !canWrite);
  const saved = el("span", { class: "muted", role: "status" });
  const error = el("p", { class: "error", role: "alert" });
  const submit = el("button", { type: "submit", text: "Save shop details" });
  const form = el("form", { class: "stack form-wide card-flat", novalidate: true, "aria-labelledby": "shop-details" },
    el("h2", { id: "shop-details", text: "Shop details" }),
    el("div", { class: "row" }, f.nodes.name, f.nodes.phone, f.nodes.email),
    el("div", { class: "row" }, f.nodes.address, f.nodes.hours),
    el("div", { class: "row" }, f.nodes.timezone, f.nodes.currency, f.nodes.tax_rate),
    f.nodes.receipt_terms,
    el("div", { class: "row" }, f.nodes.portal_url, f.nodes.portal_link_days),
    error,
    canWrite ? el("div", { class: "actions" }, submit, saved) : el("p", { class: "muted", text: "Only the owner or a manager can change these." }));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    error.textContent = "";
    saved.textContent = "";
    busy(submit, async () => {
      const { patch, details } = f.changes();
      showErrors(form, { details });
      if (details.length) return;
      // Saving the details once is what finishing the setup means.
      if (!ctx.shop.setup_complete) patch.setup_complete = true;
      if (!Object.keys(patch).length) { saved.textContent = "Nothing changed."; return; }
      try {
        const shop = (await call("PATCH", "/api/v1/store", patch)).data;
        ctx.shopChanged(shop);
        f.saved(shop);
        saved.textContent = "Saved.";
      } catch (err) {
        if (!showErrors(form, err)) error.textContent = err.message;
      }
    });
  });

  const statuses = statusEditor(ctx, canWrite);
  const payments = paymentSettings(ctx);
  let email;
  try {
    email = await emailSection(ctx, canWrite);
  } catch (err) {
    email = { node: el("p", { class: "error", role: "alert", text: `The email settings did not load: ${err.message}` }), onEvent() {} };
  }
  return {
    node: el("section", { class: "page" },
      el("header", { class: "page-head" }, el("h1", { text: "Shop" })),
      form, statuses.node, email.node, payments.node),
    title: "Shop",
    onEvent(ev) { statuses.onEvent?.(ev); email.onEvent(ev); payments.onEvent(ev); },
  };
}
