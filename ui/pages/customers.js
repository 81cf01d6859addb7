// Customers: a searchable list, and one customer's page with their details
// and tickets.

import { widgetPlace } from "../lib/widgets.js";
import { el, link, field, showErrors, busy, debounce, flash, renderPager } from "../lib/dom.js";
import { call, get, query } from "../lib/api.js";
import { replaceURL } from "../lib/mode.js";
import { when, device, statusClass } from "../lib/format.js";
import { rememberCustomer } from "../lib/customers.js";
import { exportButton } from "../lib/stock.js";
import { attachments } from "../lib/attachments.js";
import { portalLinkPanel } from "./portallink.js";

const perPage = 50;

export async function customerList(ctx, _params, search) {
  const state = { q: search.get("q") || "", page: Math.max(1, Number(search.get("page")) || 1) };
  const box = el("input", { type: "search", name: "q", value: state.q, "data-search": true, "aria-label": "Search customers", placeholder: "Name, email or phone   /", autocomplete: "off" });
  const body = el("tbody", { "data-list": true });
  const table = el("table", { class: "rows" },
    el("caption", { class: "visually-hidden", text: "Customers" }),
    el("thead", {}, el("tr", {}, ["Name", "Phone", "Email", "Company", "Since"].map((h) => el("th", { scope: "col", text: h })))), body);
  const empty = el("div", { class: "empty", hidden: true });
  const pager = el("nav", { class: "pager", "aria-label": "Pages" });
  const exportError = el("p", { class: "error", role: "alert" });
  let seq = 0;

  async function load() {
    const mine = ++seq;
    const r = await get(`/api/v1/customers${query({ q: state.q, page: state.page, per_page: perPage, sort: state.q ? "" : "name", order: state.q ? "" : "asc" })}`);
    if (mine !== seq) return;
    replaceURL(`/customers${query({ q: state.q, page: state.page > 1 ? state.page : "" })}`);
    body.replaceChildren(...r.data.map((c) => {
      rememberCustomer(c);
      return el("tr", { "data-id": String(c.id) },
        el("td", {}, link(`/customers/${c.id}`, c.name)),
        el("td", { class: "num", text: c.phone }), el("td", { text: c.email }), el("td", { text: c.company }),
        el("td", { class: "muted", text: when(c.created_at) }));
    }));
    table.hidden = !r.data.length;
    empty.hidden = !!r.data.length;
    empty.replaceChildren(el("p", { text: state.q
      ? `No customer matches “${state.q}”. Check the spelling, or search by phone or email.`
      : "No customers yet — they are added when you create a ticket (press N)." }));
    renderPager(pager, { page: state.page, perPage, total: r.meta.total, summary: `${r.meta.total} customer${r.meta.total === 1 ? "" : "s"}` },
      (p) => { state.page = p; loadNow(); });
  }

  const loadNow = () => load().catch((err) => { empty.hidden = false; empty.replaceChildren(el("p", { class: "error", text: err.message })); });
  const onSearch = debounce(() => { state.q = box.value.trim(); state.page = 1; loadNow(); }, 200);
  box.addEventListener("input", onSearch);
  await load();
  const reload = debounce(loadNow, 200);
  return {
    node: el("section", { class: "page" },
      el("header", { class: "page-head" }, el("h1", { text: "Customers" }), box,
        el("div", { class: "actions" },
          ctx.can("customers.write") ? link("/import?kind=customers", "Import CSV", { class: "button secondary" }) : null,
          exportButton("Export CSV", "/api/v1/customers.csv", () => ({ q: state.q }), "customers.csv", (err) => { exportError.textContent = err.message; }))),
      exportError,
      el("div", { class: "table-wrap" }, table, empty), pager),
    title: "Customers",
    onEvent(ev) { if (ev.event.startsWith("customer.")) reload(); },
    onResync: reload,
    destroy() { reload.cancel(); onSearch.cancel(); seq++; },
  };
}

export async function customerPage(ctx, [id]) {
  let customer = (await get(`/api/v1/customers/${id}`)).data;
  rememberCustomer(customer);
  const canWrite = ctx.can("customers.write");
  const heading = el("h1", { text: customer.name });
  const body = el("tbody", { "data-list": true });
  const notice = el("div", { class: "notice", role: "status", hidden: true });

  const inputs = {};
  const form = el("form", { class: "stack", novalidate: true, "aria-label": "Customer details" });
  for (const [name, label, type] of [["name", "Name", "text"], ["phone", "Phone", "tel"], ["email", "Email", "email"],
    ["company", "Company", "text"], ["address", "Address", "text"], ["notes", "Notes", "textarea"]]) {
    inputs[name] = type === "textarea"
      ? el("textarea", { name, rows: 3, disabled: !canWrite })
      : el("input", { name, type, disabled: !canWrite, autocomplete: "off" });
    form.append(field(label, inputs[name]));
  }
  const error = el("p", { class: "error", role: "alert" });
  const save = el("button", { type: "submit", text: "Save changes" });
  if (canWrite) form.append(error, save);
  // filled holds what each field last showed: a field the user changed since
  // keeps their text when a live update arrives.
  const filled = {};
  const fill = () => {
    for (const [k, i] of Object.entries(inputs)) {
      if (document.activeElement === i || (k in filled && i.value !== filled[k])) continue;
      i.value = filled[k] = customer[k] ?? "";
    }
  };
  fill();
  let savedAt = ""; // updated_at of our own last save
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    error.textContent = "";
    busy(save, async () => {
      const patch = {};
      for (const [k, i] of Object.entries(inputs)) if (i.value !== (customer[k] ?? "")) patch[k] = i.value;
      if (!Object.keys(patch).length) return;
      try {
        customer = (await call("PATCH", `/api/v1/customers/${id}`, patch)).data;
        savedAt = customer.updated_at;
        rememberCustomer(customer);
        heading.textContent = customer.name;
        showErrors(form, {});
        for (const k of Object.keys(patch)) filled[k] = inputs[k].value;
        fill();
      } catch (err) {
        if (!showErrors(form, err)) error.textContent = err.message;
      }
    });
  });

  async function loadTickets() {
    const r = await get(`/api/v1/customers/${id}/tickets?per_page=200&sort=updated_at&order=desc`);
    body.replaceChildren(...r.data.map((t) => el("tr", { "data-id": String(t.id) },
      el("td", { class: "num" }, link(`/tickets/${t.id}`, `#${t.number}`)),
      el("td", { text: device(t.device) }), el("td", { text: t.issue }),
      el("td", {}, el("span", { class: `status ${statusClass(t.status, ctx.statuses)}`, text: t.status })),
      el("td", { class: "muted", text: when(t.updated_at) }))));
    if (!r.data.length) body.append(el("tr", {}, el("td", { colspan: 5, class: "muted", text: "No tickets yet." })));
  }
  await loadTickets();
  const reloadTickets = debounce(() => loadTickets().catch(() => {}), 200);

  // Their documents (ID, signed forms) and photos.
  const files = attachments(ctx, { type: "customer", id: customer.id });
  const portal = portalLinkPanel(ctx, customer); // customers.write and tickets.read only
  const widgets = widgetPlace("customer_sidebar", customer.id); // plugins' widgets (ui/lib/widgets.js)
  const newTicketLink = ctx.can("tickets.write") ? link(`/tickets/new?customer_id=${id}`, "+ New ticket for this customer", { class: "button" }) : null;
  return {
    node: el("section", { class: "page" },
      el("p", { class: "crumbs" }, link("/customers", "Customers")),
      el("header", { class: "page-head" }, heading, newTicketLink),
      notice,
      el("div", { class: "columns" },
        el("section", { class: "col-main", "aria-label": "Tickets" }, el("h2", { text: "Tickets" }),
          el("div", { class: "table-wrap" }, el("table", { class: "rows customer-tickets" }, el("thead", {}, el("tr", {}, ["#", "Device", "Issue", "Status", "Updated"].map((h) => el("th", { scope: "col", text: h })))), body)),
          files.node),
        el("aside", { class: "col-side", "aria-label": "Details" }, el("h2", { text: "Details" }), form, portal.node, widgets.node))),
    title: customer.name,
    onEvent(ev) {
      files.onEvent(ev);
      const d = ev.data || {};
      if (ev.event === "customer.updated" && d.customer_id === customer.id) {
        customer = d.customer;
        heading.textContent = customer.name;
        fill();
        if (customer.updated_at !== savedAt) {
          notice.hidden = false;
          notice.textContent = "These details were just changed elsewhere.";
          flash(notice);
        }
      }
      if (ev.event.startsWith("ticket.") && d.ticket?.customer_id === customer.id) reloadTickets();
    },
    onResync: () => { reloadTickets(); files.refresh(); },
    destroy: () => { reloadTickets.cancel(); files.destroy(); widgets.destroy(); },
  };
}
