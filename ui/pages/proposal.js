// One quote (the API's proposal): built while it is a draft — customer and
// ticket, areas each with up to three options, lines from the catalog or
// free text — with the summary worked out in the browser as you type (exact
// cents, the server's arithmetic) and replaced by the server's answer on
// save; then submitted and moved through the statuses the API allows, its
// status and history following changes made anywhere. The printed page is
// the customer's: no internal notes, no controls.

import { el, link, field, showErrors, busy, flash, keepFocus } from "../lib/dom.js";
import { call, get, query, mode } from "../lib/api.js";
import { money, when, fullTime, dateTime, ago } from "../lib/format.js";
import { actorName } from "../lib/describe.js";
import { picker, searchCatalog, searchCustomers } from "../lib/stock.js";
import { rememberCustomer } from "../lib/customers.js";
import { attachments } from "../lib/attachments.js";
import { statusTag, statusWord, quoteName, proposalSentence, day } from "./proposals.js";
import { kinds, kindWords, fixed, lineTotal, optionSummary, proposalSummary, rateOf, centsOf } from "./proposalmath.js";

const maxAreas = 20;
const maxOptions = 3;
const maxLines = 100;

// The transitions the API allows (its 409 names them too); a record that
// carries its own list is believed first.
const transitions = {
  Draft: ["Submitted"],
  Submitted: ["ViewedByClient", "Accepted", "Declined", "Delayed", "EmailFailed", "Draft"],
  ViewedByClient: ["Accepted", "Declined", "Delayed", "Draft"],
  Delayed: ["Submitted", "Accepted", "Declined", "Draft"],
  EmailFailed: ["Submitted", "Draft"],
  Accepted: ["Completed"],
  Declined: ["Draft"],
  Expired: ["Draft"],
  Completed: [],
};
const nextStatuses = (p) => p.next_statuses ?? p.allowed_statuses ?? p.allowed_transitions ?? transitions[p.status] ?? [];
const actionWords = {
  Submitted: (from) => (from === "Draft" ? "Submit to customer" : "Submit again"),
  ViewedByClient: () => "Mark viewed by client", Accepted: () => "Mark accepted", Declined: () => "Mark declined",
  Delayed: () => "Mark delayed", EmailFailed: () => "Mark email failed", Draft: () => "Back to draft", Completed: () => "Mark completed",
};
const closedChoices = new Set(["Accepted", "Completed"]); // the chosen options are fixed once accepted

// cents → money text.
const cash = (cents) => money(cents / 100);
const priceText = (n) => (n === null || n === undefined || n === "" ? "" : Number(n).toFixed(2));
const qtyText = (n) => (n === null || n === undefined || n === "" ? "1" : String(n));
// kids flattens children as el() does, for replaceChildren.
const kids = (...list) => list.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false && c !== "");
const idOf = (path) => `f-${path.replace(/[^a-z0-9]+/gi, "-")}`;
const inDays = (n) => new Date(Date.now() + n * 86400000).toISOString().slice(0, 10);

// fromRecord is the page's editable copy of a proposal: typed text stays
// text until it is saved.
function fromRecord(p) {
  return {
    name: p.name || "",
    customer_id: p.customer_id || null,
    ticket_id: p.ticket_id || null,
    expires: p.expires_at ? p.expires_at.slice(0, 10) : "",
    areas: (p.areas || []).map((a) => ({
      name: a.name || "",
      chosen_option: a.chosen_option ?? 0,
      options: (a.options || []).map((o) => ({
        name: o.name || "", client_description: o.client_description || "", internal_notes: o.internal_notes || "",
        line_items: (o.line_items || []).map((l) => ({
          catalog_item_id: l.catalog_item_id ?? null, kind: l.kind || "part", description: l.description || "",
          quantity: qtyText(l.quantity), unit_price: priceText(l.unit_price), taxable: l.taxable !== false,
        })),
      })),
    })),
  };
}

const blankOption = (n) => ({ name: n === 1 ? "Recommended" : `Option ${n}`, client_description: "", internal_notes: "", line_items: [] });
const blankArea = (n) => ({ name: n === 1 ? "Repair" : `Area ${n}`, chosen_option: 0, options: [blankOption(1)] });

export async function proposalPage(ctx, [id], search) {
  const isNew = id === undefined;
  const base = isNew ? "/api/v1/proposals" : `/api/v1/proposals/${id}`;
  const canWrite = ctx.can("proposals.write");
  let record = isNew
    ? {
      status: "Draft", name: "", customer_id: Number(search.get("customer_id")) || null, ticket_id: Number(search.get("ticket_id")) || null,
      tax_rate: ctx.shop.tax_rate ?? 0, expires_at: `${inDays(14)}T00:00:00Z`, areas: [blankArea(1)], status_history: [],
    }
    : (await get(base)).data;
  let customer = null;
  let ticket = null;
  [customer, ticket] = await Promise.all([
    record.customer_id ? get(`/api/v1/customers/${record.customer_id}`).then((r) => r.data).catch(() => null) : null,
    record.ticket_id ? get(`/api/v1/tickets/${record.ticket_id}`).then((r) => r.data).catch(() => null) : null,
  ]);
  if (isNew && ticket && !record.name) record.name = [ticket.device?.brand, ticket.device?.model].filter(Boolean).join(" ") || `Ticket #${ticket.number}`;
  if (isNew && ticket && !customer) {
    customer = await get(`/api/v1/customers/${ticket.customer_id}`).then((r) => r.data).catch(() => null);
    record.customer_id = customer?.id ?? null;
  }
  let doc = fromRecord(record);
  let dirty = isNew;
  let customerTickets = [];

  // Our own writes must not announce themselves as changes made elsewhere:
  // what each made is remembered, and events that arrive while one is in
  // flight wait for its answer.
  const ours = new Set();
  let pending = 0;
  let held = [];
  async function write(fn) {
    pending++;
    try {
      const r = await fn();
      if (r?.data?.updated_at) ours.add(r.data.updated_at);
      return r;
    } finally {
      if (--pending === 0) {
        const replay = held;
        held = [];
        replay.forEach(handle);
      }
    }
  }

  const editable = () => canWrite && record.status === "Draft";
  const choosable = () => canWrite && !closedChoices.has(record.status);
  const rate = () => rateOf(record.tax_rate);

  // The page's parts; the form holds every control so errors land by name.
  const title = el("h1", {});
  const meta = el("p", { class: "muted quote-meta" });
  const notices = el("ul", { class: "notice-lines" });
  const notice = el("div", { class: "notice", role: "status", "aria-live": "polite", hidden: true },
    notices, el("button", { type: "button", class: "quiet", text: "Dismiss", onclick: () => { notice.hidden = true; notices.replaceChildren(); } }));
  const details = el("div", { class: "quote-details" });
  const areasBox = el("div", { class: "quote-areas" });
  const addArea = el("button", { type: "button", class: "secondary", text: "+ Add area", onclick: () => {
    if (doc.areas.length >= maxAreas) return;
    doc.areas.push(blankArea(doc.areas.length + 1));
    changed();
    renderAreas(`areas[${doc.areas.length - 1}].name`);
  } });
  const summary = el("dl", { class: "totals quote-summary", "aria-live": "off" });
  // Below the desk's width the summary sits under the areas: a bar keeps
  // the total in view while typing, and leads to the summary and actions.
  const barTotal = el("strong", { class: "num" });
  const totalBar = el("div", { class: "quote-bar" }, el("span", { class: "muted", text: "Total " }), barTotal,
    el("button", { type: "button", class: "secondary", text: "Summary and actions", onclick: () => {
      summary.closest("aside").scrollIntoView({ block: "start" });
      actions.querySelector("button")?.focus({ preventScroll: true });
    } }));
  const summaryNote = el("p", { class: "muted small summary-note" });
  const actions = el("div", { class: "quote-actions" });
  const formError = el("p", { class: "error", role: "alert" });
  const history = el("ol", { class: "quote-history", "aria-label": "Status history" });
  const integration = el("p", { class: "muted small", hidden: true });
  // answer is the customer's own answer from their page: the typed
  // signature (with when and from where) or the reason they declined.
  const answer = el("p", { class: "small quote-answer", hidden: true });
  const sheet = el("article", { class: "quote-sheet", "aria-label": "The quote as the customer sees it" });
  const attachSlot = el("div", { class: "quote-attachments" });
  const form = el("form", { class: "quote-form", novalidate: true, "aria-label": "Quote" },
    el("div", { class: "columns quote-columns" },
      el("div", { class: "col-main" }, details, areasBox, el("div", { class: "actions add-area" }, addArea), totalBar),
      el("aside", { class: "col-side quote-side", "aria-labelledby": "quote-summary-title" },
        el("h2", { id: "quote-summary-title", text: "Summary" }), summaryNote, summary,
        actions, formError,
        el("h2", { text: "Status" }), integration, answer, history,
        attachSlot)));
  form.addEventListener("submit", (e) => { e.preventDefault(); save(); });
  form.addEventListener("keydown", (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key === "s") { e.preventDefault(); if (editable()) save(); }
  });

  const preview = el("button", { type: "button", class: "secondary", "aria-pressed": "false", text: "Customer view",
    title: "The quote as it prints: no internal notes", onclick: () => togglePreview() });
  const print = el("button", { type: "button", class: "secondary", title: "Print the quote (P)", onclick: () => window.print() }, "Print ", el("kbd", { text: "P" }));
  const node = el("section", { class: "page proposal-page" },
    el("header", { class: "ticket-head quote-head" },
      el("div", { class: "head-row" },
        el("p", { class: "crumbs" }, link("/proposals", "Quotes"), " / ", el("span", { class: "num", text: isNew ? "New" : String(record.number ?? record.id) })),
        el("div", { class: "actions" }, preview, print)),
      title, meta),
    notice, form, sheet);

  function togglePreview(on = !node.classList.contains("previewing")) {
    node.classList.toggle("previewing", on);
    preview.setAttribute("aria-pressed", String(on));
    preview.textContent = on ? "Back to editing" : "Customer view";
  }

  // ----- header and details -----

  // The heading names the quote as typed while it is being built.
  const headName = () => (editable() ? doc.name.trim() : record.name);

  function renderHead() {
    title.replaceChildren(...kids(
      el("span", { class: "num", text: isNew ? "New quote" : quoteName(record) }),
      headName() ? el("span", { class: "quote-title-name", text: ` · ${headName()}` }) : null, " ",
      statusTag(record.status)));
    meta.replaceChildren(...kids(
      customer ? link(`/customers/${customer.id}`, customer.name) : "No customer yet",
      ticket ? [" · ", link(`/tickets/${ticket.id}`, `Ticket #${ticket.number}`)] : "",
      record.expires_at ? ` · Expires ${day(record.expires_at)}` : "",
      ` · Tax ${Number(record.tax_rate ?? 0)}%`,
      record.updated_at ? ` · Updated ${when(record.updated_at)}` : ""));
  }

  function renderDetails() {
    const on = editable();
    // Once submitted, the heading's line says who, which ticket and until when.
    details.hidden = !on;
    if (!on) { details.replaceChildren(); return; }
    const nameInput = el("input", { name: "name", value: doc.name, autocomplete: "off", disabled: !on, placeholder: "What the quote is for, such as iPhone 13 screen" });
    nameInput.addEventListener("input", () => { doc.name = nameInput.value; changed(); renderHead(); });
    const expires = el("input", { name: "expires_at", type: "date", value: doc.expires, disabled: !on });
    expires.addEventListener("input", () => { doc.expires = expires.value; changed(); });
    details.replaceChildren(
      el("div", { class: "row quote-row" }, field("Name", nameInput), customerField(on), ticketField(on), field("Expires", expires, "Unanswered quotes expire at the start of this day")));
  }

  function customerField(on) {
    const err = el("p", { class: "field-error", id: "quote-customer-error", role: "alert" });
    if (!on) {
      return el("div", { class: "field" }, el("span", { class: "label-like", text: "Customer" }),
        el("p", { class: "picked" }, customer ? link(`/customers/${customer.id}`, customer.name) : el("span", { class: "muted", text: "None" })));
    }
    if (customer) {
      const change = el("button", { type: "button", class: "linklike", text: "Change", "aria-label": `Change the customer (${customer.name})`,
        onclick: () => { customer = null; ticket = null; doc.customer_id = null; doc.ticket_id = null; changed(); renderDetails(); details.querySelector("#quote-customer")?.focus(); } });
      return el("div", { class: "field" }, el("span", { class: "label-like", id: "quote-customer-label", text: "Customer" }),
        el("p", { class: "picked" }, el("strong", { text: customer.name }), customer.phone ? el("span", { class: "muted", text: customer.phone }) : null, change),
        el("input", { type: "hidden", name: "customer_id", id: "quote-customer", value: String(customer.id) }), err);
    }
    const p = picker({
      id: "quote-customer", label: "Customers", placeholder: "Type a name, email or phone",
      search: (q) => searchCustomers(q),
      describe: (c) => ({ label: c.name, detail: [c.phone, c.email].filter(Boolean).join(" · ") }),
      onPick: async (c) => {
        customer = c;
        rememberCustomer(c);
        doc.customer_id = c.id;
        doc.ticket_id = null;
        ticket = null;
        changed();
        await loadTickets();
        renderDetails();
        renderHead();
        details.querySelector('[name="ticket_id"]')?.focus();
      },
    });
    p.input.setAttribute("name", "customer_id");
    p.input.setAttribute("aria-describedby", "quote-customer-error");
    return el("div", { class: "field" }, el("label", { for: "quote-customer", text: "Customer" }), p.node, err);
  }

  function ticketField(on) {
    if (!on) {
      return el("div", { class: "field" }, el("span", { class: "label-like", text: "Ticket" }),
        el("p", { class: "picked" }, ticket ? link(`/tickets/${ticket.id}`, `#${ticket.number}`) : el("span", { class: "muted", text: "None" })));
    }
    const list = [...customerTickets];
    if (ticket && !list.some((t) => t.id === ticket.id)) list.unshift(ticket);
    const select = el("select", { name: "ticket_id", disabled: !customer },
      el("option", { value: "", text: customer ? "No ticket" : "Choose the customer first" }),
      list.map((t) => el("option", { value: String(t.id), text: `#${t.number} ${[t.device?.brand, t.device?.model].filter(Boolean).join(" ")} — ${t.status}`,
        selected: t.id === doc.ticket_id })));
    select.addEventListener("change", () => {
      doc.ticket_id = Number(select.value) || null;
      ticket = list.find((t) => t.id === doc.ticket_id) || null;
      changed();
      renderHead();
    });
    return field("Ticket (optional)", select, "Accepting adds the chosen lines to it");
  }

  async function loadTickets() {
    if (!customer || !ctx.can("tickets.read")) { customerTickets = []; return; }
    try {
      customerTickets = (await get(`/api/v1/tickets${query({ customer_id: customer.id, per_page: 50 })}`)).data;
    } catch { customerTickets = []; }
  }

  // ----- areas, options, lines -----

  // updaters refresh the computed figures in place as the user types; a
  // structural change (a line, an option, an area) renders the areas anew.
  let updaters = [];

  function renderAreas(focusName) {
    const before = document.activeElement;
    const keepName = areasBox.contains(before) ? before.getAttribute("name") : null;
    updaters = [];
    areasBox.replaceChildren(...doc.areas.map((a, i) => areaNode(a, i)));
    addArea.hidden = !editable() || doc.areas.length >= maxAreas;
    recompute();
    const target = focusName ?? keepName;
    if (target) form.querySelector(`[name="${CSS.escape(target)}"]`)?.focus();
  }

  function areaNode(a, i) {
    const on = editable();
    const path = `areas[${i}]`;
    const headId = `area-${i}-title`;
    const name = textControl(`${path}.name`, a.name, on, (v) => { a.name = v; }, { "aria-label": `Area ${i + 1} name`, class: "area-name" });
    const remove = on && doc.areas.length > 1
      ? el("button", { type: "button", class: "quiet danger", text: "Remove area", "aria-label": `Remove area ${a.name || i + 1}`,
        onclick: () => { doc.areas.splice(i, 1); changed(); renderAreas(); form.querySelector(".area-name")?.focus(); } })
      : null;
    const choose = chooser(a, i);
    const options = el("div", { class: `area-options n${a.options.length}` }, a.options.map((o, j) => optionNode(a, i, o, j)));
    const addOption = on && a.options.length < maxOptions
      ? el("button", { type: "button", class: "secondary", text: "+ Add option", onclick: () => {
        a.options.push(blankOption(a.options.length + 1));
        changed();
        renderAreas(`${path}.options[${a.options.length - 1}].name`);
      } })
      : null;
    return el("section", { class: "quote-area", "data-area": String(i), "aria-labelledby": headId },
      el("div", { class: "area-head" },
        el("h2", { id: headId, class: "area-title" }, el("span", { class: "muted area-n", text: `Area ${i + 1}` }), on ? null : ` ${a.name}`),
        on ? name : null, remove),
      choose,
      options,
      addOption ? el("div", { class: "actions" }, addOption,
        el("span", { class: "muted small", text: `Up to ${maxOptions} options; the customer picks one.` })) : null);
  }

  // chooser picks the area's option (a radio group): while a draft, part
  // of the next save; later (until accepted), saved at once.
  function chooser(a, i) {
    if (a.options.length < 2) return null;
    const on = choosable();
    const group = el("fieldset", { class: "chooser" }, el("legend", { text: "Chosen option" }));
    a.options.forEach((o, j) => {
      const total = el("span", { class: "num choice-total" });
      updaters.push(() => { total.textContent = shownOption(i, j).text; });
      const radio = el("input", { type: "radio", name: `chosen-${i}`, value: String(j), checked: (a.chosen_option ?? 0) === j, disabled: !on });
      radio.addEventListener("change", () => { if (radio.checked) choose(i, j); });
      group.append(el("label", { class: `choice${(a.chosen_option ?? 0) === j ? " chosen" : ""}` }, radio,
        el("span", { class: "choice-name", text: o.name || `Option ${j + 1}` }), total));
    });
    return group;
  }

  async function choose(i, j) {
    doc.areas[i].chosen_option = j;
    for (const [k, n] of [...areasBox.querySelectorAll(`.quote-area[data-area="${i}"] .choice`)].entries()) n.classList.toggle("chosen", k === j);
    for (const [k, n] of [...areasBox.querySelectorAll(`.quote-area[data-area="${i}"] .quote-option`)].entries()) n.classList.toggle("chosen", k === j);
    if (editable()) { changed(); return; }
    // After submitting, a choice is its own change, saved at once.
    recompute();
    formError.textContent = "";
    try {
      const r = await write(() => call("PATCH", base, { chosen_options: doc.areas.map((a) => a.chosen_option ?? 0) }));
      setRecord(r.data, { areas: !dirty });
    } catch (err) {
      formError.textContent = err.message;
      doc.areas[i].chosen_option = record.areas[i]?.chosen_option ?? 0;
      renderAreas(`chosen-${i}`);
    }
  }

  function optionNode(a, i, o, j) {
    const on = editable();
    const path = `areas[${i}].options[${j}]`;
    const chosen = (a.chosen_option ?? 0) === j;
    const label = o.name || `Option ${j + 1}`;
    const name = textControl(`${path}.name`, o.name, on, (v) => { o.name = v; refreshChoiceName(i, j, v); }, { "aria-label": `Area ${i + 1}, option ${j + 1} name`, class: "option-name" });
    const remove = on && a.options.length > 1
      ? el("button", { type: "button", class: "quiet danger", text: "Remove", "aria-label": `Remove option ${label}`,
        onclick: () => {
          a.options.splice(j, 1);
          if ((a.chosen_option ?? 0) >= a.options.length || (a.chosen_option ?? 0) === j) a.chosen_option = 0;
          else if ((a.chosen_option ?? 0) > j) a.chosen_option--;
          changed();
          renderAreas(`${`areas[${i}]`}.options[0].name`);
        } })
      : null;
    const desc = areaText(`${path}.client_description`, o.client_description, on, (v) => { o.client_description = v; }, "For the customer", "What the customer reads about this option");
    const notes = areaText(`${path}.internal_notes`, o.internal_notes, on, (v) => { o.internal_notes = v; }, "Internal notes (staff only)", "Never printed or shown to the customer");
    notes.classList.add("internal-notes");

    const body = el("tbody", {}, o.line_items.map((l, k) => lineRow(o, i, j, l, k)));
    if (!o.line_items.length) body.append(el("tr", { class: "no-lines" }, el("td", { colspan: 7, class: "muted", text: on ? "No lines yet: add one from the catalog or as free text." : "No lines." })));
    const table = el("table", { class: `quote-lines${on ? "" : " readonly"}` },
      el("caption", { class: "visually-hidden", text: `Lines of ${label}` }),
      el("thead", {}, el("tr", {}, [["l-desc", "Description"], ["l-kind", "Kind"], ["l-qty num", "Qty"], ["l-price num", "Unit price"], ["l-tax", "Tax"], ["l-total num", "Total"], ["l-act", ""]]
        .map(([c, h]) => el("th", { scope: "col", class: c }, h || el("span", { class: "visually-hidden", text: "Remove" }))))),
      body);
    const sum = el("dl", { class: "option-summary" });
    updaters.push(() => renderOptionSummary(sum, i, j));
    return el("div", { class: `quote-option${chosen ? " chosen" : ""}`, "data-option": String(j) },
      el("div", { class: "option-head" },
        on ? name : el("h3", { class: "option-title", text: label }),
        a.options.length > 1 ? el("span", { class: "badge chosen-badge", text: "Chosen" }) : null, remove),
      el("div", { class: "option-texts" }, desc, notes),
      el("div", { class: "lines-wrap" }, table),
      on ? addLineControls(o, i, j) : null,
      sum);
  }

  function refreshChoiceName(i, j, v) {
    const n = areasBox.querySelectorAll(`.quote-area[data-area="${i}"] .choice-name`)[j];
    if (n) n.textContent = v || `Option ${j + 1}`;
  }

  function lineRow(o, i, j, l, k) {
    const on = editable();
    const path = `areas[${i}].options[${j}].line_items[${k}]`;
    const what = l.description || `line ${k + 1}`;
    const total = el("td", { class: "l-total num" });
    updaters.push(() => {
      const t = lineTotal(l);
      total.textContent = t === null ? "—" : cash(t);
    });
    if (!on) {
      return el("tr", {},
        el("td", { class: "l-desc", text: l.description }),
        el("td", { class: "l-kind", text: kindWords[l.kind] || l.kind }),
        el("td", { class: "l-qty num", text: l.quantity }),
        el("td", { class: "l-price num", text: cash(fixed(l.unit_price) ?? 0) }),
        el("td", { class: "l-tax", text: l.taxable ? "Yes" : "No" }),
        total, el("td", { class: "l-act" }));
    }
    const cell = (cls, control) => el("td", { class: cls }, control, el("p", { class: "field-error", id: `${control.id}-error`, role: "alert" }));
    const input = (name, value, attrs, set) => {
      const c = el("input", { name: `${path}.${name}`, id: idOf(`${path}.${name}`), value, autocomplete: "off", ...attrs });
      c.setAttribute("aria-describedby", `${c.id}-error`);
      c.addEventListener("input", () => { set(c.value); checkNumber(c); changed(); });
      return c;
    };
    const desc = input("description", l.description, { "aria-label": `Description of line ${k + 1}`, placeholder: "What it is" }, (v) => { l.description = v; });
    const qty = input("quantity", l.quantity, { inputmode: "decimal", size: 4, "aria-label": `Quantity of ${what}`, "data-number": "quantity" }, (v) => { l.quantity = v; });
    const price = input("unit_price", l.unit_price, { inputmode: "decimal", size: 7, "aria-label": `Unit price of ${what}`, "data-number": "price" }, (v) => { l.unit_price = v; });
    const kind = el("select", { name: `${path}.kind`, id: idOf(`${path}.kind`), "aria-label": `Kind of ${what}`, disabled: !!l.catalog_item_id },
      kinds.map((x) => el("option", { value: x, text: kindWords[x], selected: x === l.kind })));
    kind.setAttribute("aria-describedby", `${kind.id}-error`);
    kind.addEventListener("change", () => { l.kind = kind.value; changed(); });
    const tax = el("input", { type: "checkbox", name: `${path}.taxable`, checked: l.taxable, "aria-label": `Tax ${what}` });
    tax.addEventListener("change", () => { l.taxable = tax.checked; changed(); });
    const remove = el("button", { type: "button", class: "icon", text: "×", "aria-label": `Remove ${what}`, onclick: () => {
      o.line_items.splice(k, 1);
      changed();
      renderAreas(o.line_items.length ? `areas[${i}].options[${j}].line_items[${Math.min(k, o.line_items.length - 1)}].description` : null);
    } });
    return el("tr", { class: l.catalog_item_id ? "from-catalog" : "" },
      cell("l-desc", desc), cell("l-kind", kind), cell("l-qty num", qty), cell("l-price num", price),
      el("td", { class: "l-tax" }, tax), total, el("td", { class: "l-act" }, remove));
  }

  // checkNumber says at once when a quantity or price cannot be read.
  function checkNumber(c) {
    if (!c.dataset.number) return;
    const ok = fixed(c.value, 2) !== null && c.value.trim() !== "";
    const err = document.getElementById(`${c.id}-error`);
    if (ok) { c.removeAttribute("aria-invalid"); if (err) err.textContent = ""; return; }
    c.setAttribute("aria-invalid", "true");
    if (err) err.textContent = c.dataset.number === "price" ? "Type a price, such as 12.50" : "Type a number, such as 1 or 0.5";
  }

  function addLineControls(o, i, j) {
    const pid = `pick-${i}-${j}`;
    const full = () => o.line_items.length >= maxLines;
    const p = ctx.can("catalog.read") ? picker({
      id: pid, label: "Catalog items", placeholder: "Add from the catalog: name, SKU or barcode",
      search: (q) => searchCatalog(q),
      describe: (it) => ({ label: it.name, detail: [money(it.price), it.sku, kindWords[it.kind] || it.kind].filter(Boolean).join(" · ") }),
      onPick: (it) => {
        if (full()) return;
        o.line_items.push({ catalog_item_id: it.id, kind: kinds.includes(it.kind) ? it.kind : "part", description: it.name,
          quantity: "1", unit_price: priceText(it.price ?? 0), taxable: it.taxable !== false });
        changed();
        renderAreas(`areas[${i}].options[${j}].line_items[${o.line_items.length - 1}].quantity`);
        form.querySelector(`[name="areas[${i}].options[${j}].line_items[${o.line_items.length - 1}].quantity"]`)?.select();
      },
    }) : null;
    p?.input.setAttribute("aria-label", `Add a catalog item to ${o.name || `option ${j + 1}`}`);
    const free = el("button", { type: "button", class: "secondary", text: "+ Free-text line", onclick: () => {
      if (full()) return;
      o.line_items.push({ catalog_item_id: null, kind: "service", description: "", quantity: "1", unit_price: "", taxable: true });
      changed();
      renderAreas(`areas[${i}].options[${j}].line_items[${o.line_items.length - 1}].description`);
    } });
    return el("div", { class: "add-line" }, p?.node, free);
  }

  function textControl(name, value, on, set, attrs = {}) {
    if (!on) return el("span", { text: value });
    const c = el("input", { name, id: idOf(name), value, autocomplete: "off", ...attrs });
    const err = el("p", { class: "field-error", id: `${c.id}-error`, role: "alert" });
    c.setAttribute("aria-describedby", `${c.id}-error`);
    c.addEventListener("input", () => { set(c.value); changed(); });
    return el("span", { class: "text-control" }, c, err);
  }

  function areaText(name, value, on, set, label, hint) {
    if (!on) {
      return value ? el("div", { class: "option-text" }, el("p", { class: "label-like", text: label }), el("p", { class: "pre", text: value })) : el("div", { class: "option-text" });
    }
    const t = el("textarea", { name, id: idOf(name), rows: 2, placeholder: hint });
    t.value = value;
    t.addEventListener("input", () => { set(t.value); changed(); });
    return field(label, t);
  }

  // ----- the summary -----

  // shownOption is an option's figures: the server's while nothing was
  // typed since it answered, else the browser's (the same arithmetic).
  function shownOption(i, j) {
    const s = !dirty && record.areas?.[i]?.options?.[j]?.summary
      ? centsOf(record.areas[i].options[j].summary)
      : optionSummary(doc.areas[i].options[j], rate());
    return { s, text: cash(s.total) };
  }

  function renderOptionSummary(dl, i, j) {
    const { s } = shownOption(i, j);
    dl.replaceChildren(...[["Parts", s.parts], ["Labour", s.labor], ["Fees", s.fees], ["Tax", s.tax]].flatMap(([k, v]) =>
      [el("dt", { text: k }), el("dd", { class: "num", text: cash(v) })]),
    el("dt", { class: "strong", text: "Option total" }), el("dd", { class: "num strong", text: cash(s.total) }));
  }

  function recompute() {
    for (const u of updaters) u();
    // The server's figures while nothing was typed or chosen since it answered.
    const fromServer = !dirty && record.summary && doc.areas.every((a, i) => (a.chosen_option ?? 0) === (record.areas?.[i]?.chosen_option ?? 0));
    const s = fromServer ? centsOf(record.summary) : proposalSummary(doc.areas, rate());
    summary.dataset.source = fromServer ? "server" : "browser";
    barTotal.textContent = cash(s.total);
    const rows = [["Parts", s.parts, "parts"], ["Labour", s.labor, "labor"], ["Fees", s.fees, "fees"], ["Subtotal", s.subtotal, "subtotal"],
      [`Tax (${Number(record.tax_rate ?? 0)}%)`, s.tax, "tax"]];
    summary.replaceChildren(...rows.flatMap(([k, v, key]) => [el("dt", { text: k }), el("dd", { class: "num", "data-key": key, text: cash(v) })]),
      el("dt", { class: "strong", text: "Total" }), el("dd", { class: "num strong", "data-key": "total", text: cash(s.total) }));
    summaryNote.textContent = s.unreadable
      ? "A line's quantity or price cannot be read yet; it is left out."
      : s.tooBig ? "The total is more than the shop can take on one quote."
        : doc.areas.some((a) => a.options.length > 1) ? "For the chosen option of each area." : "";
    renderSheet(s);
  }

  // ----- actions, status, history -----

  function renderActions() {
    keepFocus(actions, () => {
      const list = [];
      if (editable()) {
        list.push(el("button", { type: "submit", class: isNew ? "secondary" : "", "data-key": "save", text: isNew ? "Save draft" : "Save draft", title: "Ctrl+S" }));
        if (isNew) list.push(statusButton("Submitted", "Save and submit"));
      }
      if (!isNew && canWrite) {
        for (const to of nextStatuses(record)) list.push(statusButton(to));
      }
      if (!canWrite) list.push(el("p", { class: "muted small", text: "Your role can read quotes but not change them." }));
      actions.replaceChildren(...list);
    });
    // The save button says whether there is anything to save.
    const saveButton = actions.querySelector('[data-key="save"]');
    if (saveButton && !isNew) saveButton.textContent = dirty ? "Save draft" : "Saved";
  }

  function statusButton(to, label) {
    const from = record.status;
    const danger = to === "Declined" || to === "EmailFailed";
    const b = el("button", { type: "button", "data-key": `to:${to}`, "data-status": to,
      class: to === "Submitted" || to === "Accepted" ? "" : `secondary${danger ? " danger" : ""}`,
      text: label || actionWords[to]?.(from) || statusWord(to) });
    b.addEventListener("click", () => busy(b, () => moveTo(to)));
    return b;
  }

  async function moveTo(to) {
    formError.textContent = "";
    if (isNew || (dirty && editable())) {
      const saved = await save({ then: to });
      if (!saved) return;
      if (isNew) return; // save went on to the new quote's page
    }
    try {
      const r = await write(() => call("PATCH", base, { status: to }));
      setRecord(r.data, { areas: true });
      actions.querySelector("button")?.focus();
    } catch (err) {
      formError.textContent = err.message;
    }
  }

  function renderHistory() {
    const h = record.status_history || [];
    history.replaceChildren(...h.slice().reverse().map((x) => el("li", {},
      x.from ? [statusTag(x.from), el("span", { class: "muted", "aria-label": "to", text: " → " })] : el("span", { class: "muted", text: "Created as " }),
      statusTag(x.to), el("span", { class: "muted small" }, ` ${x.by || "Portal"} · `,
        el("time", { datetime: x.at, title: fullTime(x.at), text: when(x.at) })))));
    if (!h.length) history.append(el("li", { class: "muted", text: isNew ? "Not saved yet." : "No changes yet." }));
    const bits = [record.outline_status && `Outline: ${record.outline_status}`, record.build_status && `Build: ${record.build_status}`].filter(Boolean);
    integration.hidden = !bits.length;
    integration.textContent = bits.join(" · ");
    const a = record.acceptance;
    if (a) {
      answer.replaceChildren("Signed by the customer as “", el("strong", { text: a.name }), "” ",
        el("time", { datetime: a.at, title: fullTime(a.at), text: when(a.at) }), a.ip ? ` from ${a.ip}` : "");
    } else if (record.decline_reason) {
      answer.replaceChildren("The customer declined: “", record.decline_reason, "”");
    }
    answer.hidden = !a && !record.decline_reason;
  }

  // ----- the printed quote -----

  function renderSheet(total) {
    const shop = ctx.shop;
    const many = doc.areas.length > 1 || doc.areas.some((a) => a.options.length > 1);
    sheet.replaceChildren(...kids(
      mode() === "test" ? el("p", { class: "receipt-test", text: "TEST MODE — not a real quote" }) : null,
      el("header", { class: "sheet-shop" },
        el("p", { class: "sheet-shop-name", text: shop.name || "Repair shop" }),
        el("p", { text: [shop.phone, shop.email].filter(Boolean).join(" · ") }),
        shop.address ? el("p", { class: "pre", text: shop.address }) : null),
      el("div", { class: "sheet-main" },
        el("div", {},
          el("p", { class: "receipt-label", text: "Quote" }),
          el("p", { class: "sheet-number", text: isNew ? "Draft" : String(record.number ?? record.id) }),
          doc.name ? el("p", { class: "sheet-name", text: doc.name }) : null),
        el("dl", { class: "receipt-facts" },
          fact("For", customer?.name || ""), fact("Phone", customer?.phone || ""), fact("Email", customer?.email || ""),
          fact("Repair ticket", ticket ? `#${ticket.number}` : ""),
          fact("Date", dateTime(record.created_at || new Date().toISOString()).replace(/,[^,]*$/, "")),
          fact("Valid until", day(doc.expires)))),
      doc.areas.map((a, i) => el("section", { class: "sheet-area" },
        el("h2", { text: a.name || `Area ${i + 1}` }),
        a.options.map((o, j) => {
          const s = shownOption(i, j).s;
          const chosen = (a.chosen_option ?? 0) === j;
          return el("div", { class: `sheet-option${chosen && a.options.length > 1 ? " chosen" : ""}` },
            el("h3", {}, o.name || `Option ${j + 1}`, a.options.length > 1 && chosen ? el("span", { class: "sheet-chosen", text: " — selected" }) : null),
            o.client_description ? el("p", { class: "pre", text: o.client_description }) : null,
            el("table", { class: "sheet-lines" }, el("colgroup", {}, ["s-item", "s-qty", "s-price", "s-amount"].map((c) => el("col", { class: c }))),
              el("thead", {}, el("tr", {}, ["Item", "Qty", "Price", "Amount"].map((h, k) => el("th", { scope: "col", class: k ? "num" : "", text: h })))),
              el("tbody", {}, o.line_items.map((l) => el("tr", {},
                el("td", { text: l.description }), el("td", { class: "num", text: l.quantity }),
                el("td", { class: "num", text: cash(fixed(l.unit_price) ?? 0) }), el("td", { class: "num", text: cash(lineTotal(l) ?? 0) })))),
              el("tfoot", {}, el("tr", {}, el("th", { scope: "row", colspan: 3, text: s.tax ? `Total with tax (${cash(s.tax)})` : "Total" }),
                el("td", { class: "num", text: cash(s.total) })))));
        }))),
      el("section", { class: "sheet-total" },
        el("h2", { text: many ? "Total for the selected options" : "Total" }),
        el("dl", { class: "totals" },
          [["Parts", total.parts], ["Labour", total.labor], ["Fees", total.fees], ["Subtotal", total.subtotal], [`Tax (${Number(record.tax_rate ?? 0)}%)`, total.tax]]
            .filter(([, v], k) => v || k >= 3).flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { class: "num", text: cash(v) })]),
          el("dt", { class: "strong", text: "Total" }), el("dd", { class: "num strong", text: cash(total.total) }))),
      shop.receipt_terms ? el("section", { class: "receipt-terms" }, el("h2", { text: "Terms" }), el("p", { class: "pre", text: shop.receipt_terms })) : null,
      el("div", { class: "receipt-sign" },
        el("div", {}, el("span", { class: "sign-line" }), el("span", { text: "Accepted by (name and signature)" })),
        el("div", {}, el("span", { class: "sign-line" }), el("span", { text: "Date" })))));
  }
  const fact = (label, value) => (value ? [el("dt", { text: label }), el("dd", { text: value })] : null);

  // ----- saving -----

  function changed() {
    const was = dirty;
    dirty = true;
    recompute();
    if (!was) renderActions();
  }

  // body is what is sent: numbers exact to the cent, or the fields that
  // cannot be read yet (shown next to them, nothing sent).
  function bodyOf() {
    const bad = [];
    const areas = doc.areas.map((a, i) => ({
      name: a.name.trim(),
      chosen_option: a.chosen_option ?? 0,
      options: a.options.map((o, j) => ({
        name: o.name.trim(), client_description: o.client_description, internal_notes: o.internal_notes,
        line_items: o.line_items.map((l, k) => {
          const path = `areas[${i}].options[${j}].line_items[${k}]`;
          const q = fixed(l.quantity, 2);
          const p = fixed(l.unit_price, 2);
          if (q === null || String(l.quantity).trim() === "") bad.push({ field: `${path}.quantity`, message: "Type a number, such as 1 or 0.5" });
          if (p === null || String(l.unit_price).trim() === "") bad.push({ field: `${path}.unit_price`, message: "Type a price, such as 12.50" });
          return { catalog_item_id: l.catalog_item_id ?? null, kind: l.kind, description: l.description.trim(),
            quantity: (q ?? 0) / 100, unit_price: (p ?? 0) / 100, taxable: l.taxable };
        }),
      })),
    }));
    if (!doc.customer_id) bad.push({ field: "customer_id", message: "Choose the customer the quote is for" });
    return {
      bad,
      body: {
        name: doc.name.trim(), customer_id: doc.customer_id, ticket_id: doc.ticket_id || null,
        expires_at: doc.expires ? `${doc.expires}T00:00:00Z` : null, areas,
      },
    };
  }

  async function save({ then } = {}) {
    formError.textContent = "";
    showErrors(form, {});
    const { bad, body } = bodyOf();
    if (bad.length) {
      showErrors(form, { details: bad });
      formError.textContent = "Some fields need a look before the quote can be saved.";
      return false;
    }
    const button = actions.querySelector('[data-key="save"]');
    if (button) button.disabled = true;
    try {
      if (isNew) {
        const r = await write(() => call("POST", base, body));
        let p = r.data;
        if (then) p = (await write(() => call("PATCH", `${base}/${p.id}`, { status: then }))).data;
        ctx.navigate(`/proposals/${p.id}`, { replace: true });
        return true;
      }
      const r = await write(() => call("PATCH", base, body));
      dirty = false;
      setRecord(r.data, { areas: true });
      return true;
    } catch (err) {
      if (!showErrors(form, err)) formError.textContent = err.message;
      else formError.textContent = err.details?.length > 1 ? "Some fields need a look." : "";
      return false;
    } finally {
      if (button?.isConnected) button.disabled = false;
    }
  }

  // setRecord shows the server's record; with areas, the builder takes its
  // copy (unless the user has typed since, which is never overwritten).
  function setRecord(p, { areas }) {
    const wasEditable = editable();
    record = p;
    if (!editable()) dirty = false; // only a draft's areas can change: what was typed cannot be saved now
    if (areas && !dirty) doc = fromRecord(p);
    renderHead();
    if (areas && !dirty) { renderDetails(); renderAreas(); }
    else if (wasEditable !== editable()) { renderDetails(); renderAreas(); }
    else recompute();
    renderActions();
    renderHistory();
  }

  function tell(who, text, reload) {
    notice.hidden = false;
    notices.prepend(el("li", {}, el("strong", { text: who }), ` ${text} `, el("span", { class: "muted", text: ago(new Date().toISOString()) }),
      reload ? [" ", el("button", { type: "button", class: "linklike", text: "Show their version (drops your edits)", onclick: () => {
        dirty = false;
        setRecord(record, { areas: true });
        notice.hidden = true;
        notices.replaceChildren();
      } })] : null));
    while (notices.children.length > 5) notices.lastElementChild.remove();
    flash(notice);
  }

  function handle(ev) {
    if (isNew) return;
    const d = ev.data || {};
    if (ev.event === "customer.updated" && d.customer?.id === customer?.id) { customer = { ...customer, ...d.customer }; renderHead(); return; }
    if (!ev.event.startsWith("proposal.") || d.proposal?.id !== record.id) return;
    if (pending > 0) { held.push(ev); return; }
    const p = d.proposal;
    if (record.updated_at && p.updated_at && Date.parse(p.updated_at) < Date.parse(record.updated_at)) return; // older than what is shown
    const mine = ours.has(p.updated_at);
    const contentChanged = JSON.stringify(p.areas) !== JSON.stringify(record.areas) || p.name !== record.name;
    const typed = dirty;
    setRecord(p, { areas: true });
    if (!mine) tell(actorName(ev), sentenceFor(ev), typed && contentChanged);
  }

  function sentenceFor(ev) {
    const d = ev.data || {};
    if (ev.event === "proposal.status_changed") return `changed the status ${statusWord(d.from)} → ${statusWord(d.to ?? d.proposal.status)}`;
    if (ev.event === "proposal.updated") return "changed this quote";
    return proposalSentence(ev);
  }

  // ----- first render -----

  if (customer && isNew) await loadTickets();
  else if (customer && editable()) await loadTickets();
  renderHead();
  renderDetails();
  renderAreas();
  renderActions();
  renderHistory();
  let gallery = null;
  mountAttachments();

  // Photos and documents (the files helper's gallery), once the API keeps
  // them for quotes: a quote not saved yet has nothing to attach to, and an
  // API without proposal attachments shows no section rather than an error.
  async function mountAttachments() {
    if (isNew || !ctx.can("files.read")) return;
    try {
      await get(`/api/v1/proposals/${record.id}/attachments?per_page=1`);
    } catch { return; }
    const files = attachments(ctx, { type: "proposal", id: record.id }, { write });
    if (!files.node) return;
    gallery = files;
    attachSlot.replaceChildren(files.node);
  }

  let escapedOnce = false;
  return {
    node,
    title: isNew ? "New quote" : `${quoteName(record)}`,
    focus: () => (isNew && !customer ? details.querySelector("#quote-customer") : document.getElementById("content"))?.focus({ preventScroll: true }),
    onEvent(ev) { handle(ev); gallery?.onEvent(ev); },
    async onResync() {
      if (isNew) return;
      try { setRecord((await get(base)).data, { areas: true }); } catch { /* the next event tries again */ }
      gallery?.refresh();
    },
    onKey(e) {
      if (e.key === "p") { window.print(); return true; }
      return false;
    },
    onEscape() {
      if (node.classList.contains("previewing")) { togglePreview(false); return true; }
      if (dirty && canWrite && !escapedOnce && editable()) {
        escapedOnce = true;
        tell("You", "have unsaved changes: save the draft, or press Esc again to leave without saving.");
        return true;
      }
      return false;
    },
    destroy() { gallery?.destroy(); },
  };
}
