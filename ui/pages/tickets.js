// The ticket queue: counts per status (each a filter), assignee, search,
// sort and pages; rows change in place as the shop works.

import { el, link, debounce, flash, keepFocus, renderPager } from "../lib/dom.js";
import { get, query } from "../lib/api.js";
import { when, device, statusClass } from "../lib/format.js";
import { customerNames, rememberCustomer } from "../lib/customers.js";
import { ticketHint } from "../lib/describe.js";

const perPage = 50;
const sorts = [
  ["updated_at", "Recently updated"],
  ["created_at", "Newest"],
  ["due_at", "Due date"],
];

export async function ticketQueue(ctx, _params, search) {
  const state = {
    status: search.get("status") || "",
    assigned_to: search.get("assigned_to") || "",
    q: search.get("q") || "",
    sort: sorts.some(([s]) => s === search.get("sort")) ? search.get("sort") : "updated_at",
    page: Math.max(1, Number(search.get("page")) || 1),
  };

  const searchBox = el("input", {
    type: "search", name: "q", value: state.q, "data-search": true, "aria-label": "Search tickets",
    placeholder: "Search number, customer, device, issue   /", autocomplete: "off",
  });
  const assignee = el("select", { name: "assigned_to", "aria-label": "Assignee" },
    el("option", { value: "", text: "Anyone" }),
    ctx.users.map((u) => el("option", { value: String(u.id), text: u.name, selected: String(u.id) === state.assigned_to })));
  const sort = el("select", { name: "sort", "aria-label": "Sort" },
    sorts.map(([v, label]) => el("option", { value: v, text: label, selected: v === state.sort })));
  const counts = el("div", { class: "counts", role: "group", "aria-label": "Filter by status" });
  const body = el("tbody", { "data-list": true });
  const table = el("table", { class: "queue" },
    el("caption", { class: "visually-hidden", text: "Tickets" }),
    el("colgroup", {}, ["c-num", "c-cust", "c-dev", "c-issue", "c-status", "c-tech", "c-due", "c-upd"].map((c) => el("col", { class: c }))),
    el("thead", {}, el("tr", {}, ["#", "Customer", "Device", "Issue", "Status", "Tech", "Due", "Updated"].map((h) => el("th", { scope: "col", text: h })))),
    body);
  const empty = el("div", { class: "empty", hidden: true });
  const pager = el("nav", { class: "pager", "aria-label": "Pages" });
  const hint = el("p", { class: "live-hint", role: "status", "aria-live": "polite" });

  const newButton = ctx.can("tickets.write")
    ? link("/tickets/new", "", { class: "button" })
    : null;
  newButton?.append("+ New ticket ", el("kbd", { text: "N" }));

  const node = el("section", { class: "page", "aria-labelledby": "queue-title" },
    el("header", { class: "page-head" }, el("h1", { id: "queue-title", text: "Tickets" }), searchBox, newButton),
    counts,
    el("div", { class: "toolbar" }, assignee, sort, hint),
    el("div", { class: "table-wrap" }, table, empty),
    pager);

  const changed = new Set(); // ticket ids to flash on the next render
  const numbers = new Map(); // ticket id → number, for hints about events that carry only the id
  let loadSeq = 0;

  function syncURL() {
    const q = query({ status: state.status, assigned_to: state.assigned_to, q: state.q,
      sort: state.sort === "updated_at" ? "" : state.sort, page: state.page > 1 ? state.page : "" });
    history.replaceState(null, "", `/tickets${q}`);
  }

  async function load() {
    const seq = ++loadSeq;
    const filters = { assigned_to: state.assigned_to };
    const listQuery = state.q
      ? { ...filters, status: state.status, q: state.q, page: state.page, per_page: perPage }
      : { ...filters, status: state.status, sort: state.sort, order: state.sort === "due_at" ? "asc" : "desc", page: state.page, per_page: perPage };
    const [list, ...totals] = await Promise.all([
      get(`/api/v1/tickets${query(listQuery)}`),
      ...ctx.statuses.map((s) => get(`/api/v1/tickets${query({ ...filters, status: s.name, per_page: 1 })}`).then((r) => r.meta.total)),
    ]);
    const name = await customerNames(list.data.map((t) => t.customer_id));
    if (seq !== loadSeq) return; // a newer load is on its way
    renderCounts(totals);
    renderRows(list.data, name);
    showPager(list.meta);
  }

  function renderCounts(totals) {
    const all = totals.reduce((a, b) => a + b, 0);
    const button = (label, value, n) => el("button", {
      type: "button", class: "count", "aria-pressed": String(state.status === value), "data-key": `status:${value}`,
      onclick: () => { state.status = value; state.page = 1; syncURL(); reloadNow(); },
    }, `${label} `, el("span", { class: "num", text: String(n) }));
    keepFocus(counts, () => counts.replaceChildren(button("All", "", all),
      ...ctx.statuses.map((s, i) => button(s.name, s.name, totals[i]))));
  }

  function renderRows(tickets, name) {
    const focusedId = document.activeElement?.closest?.("tr[data-id]")?.dataset.id;
    for (const t of tickets) numbers.set(t.id, t.number);
    body.replaceChildren(...tickets.map((t) => {
      const row = el("tr", { "data-id": String(t.id) },
        el("td", { class: "num" }, link(`/tickets/${t.id}`, String(t.number), { "aria-label": `Ticket ${t.number}` })),
        el("td", { text: name(t.customer_id) }),
        el("td", { text: device(t.device) }),
        el("td", { class: "clip", text: t.issue, title: t.issue }),
        el("td", {}, el("span", { class: `status ${statusClass(t.status, ctx.statuses)}`, text: t.status })),
        el("td", { text: t.assigned_to ? ctx.userName(t.assigned_to) : "—" }),
        el("td", { class: "num", text: t.due_at ? when(t.due_at) : "" }),
        el("td", { class: "num muted", text: when(t.updated_at) }));
      if (changed.has(t.id)) flash(row);
      return row;
    }));
    changed.clear();
    if (focusedId) body.querySelector(`tr[data-id="${focusedId}"] a`)?.focus({ preventScroll: true });
    table.hidden = tickets.length === 0;
    empty.hidden = tickets.length !== 0;
    const filtered = state.q || state.status || state.assigned_to;
    empty.replaceChildren(filtered
      ? el("p", {}, "No tickets match these filters. ", el("button", { type: "button", class: "linklike", text: "Clear filters", onclick: clear }))
      : el("p", { text: ctx.can("tickets.write") ? "No tickets yet — press N to create one." : "No tickets yet." }));
  }

  function showPager(meta) {
    const from = meta.total ? (meta.page - 1) * perPage + 1 : 0;
    const to = Math.min(meta.total, meta.page * perPage);
    renderPager(pager, { page: meta.page, perPage, total: meta.total, summary: `${from}–${to} of ${meta.total}` },
      (p) => { state.page = p; syncURL(); reloadNow(); });
  }

  function clear() {
    Object.assign(state, { status: "", assigned_to: "", q: "", page: 1 });
    searchBox.value = "";
    assignee.value = "";
    syncURL();
    reloadNow();
  }

  const reloadNow = () => load().catch((err) => { hint.textContent = err.message; });
  const reload = debounce(reloadNow, 150);
  const onSearch = debounce(() => { state.q = searchBox.value.trim(); state.page = 1; syncURL(); reloadNow(); }, 200);
  searchBox.addEventListener("input", onSearch);
  searchBox.addEventListener("keydown", (e) => {
    if (e.key === "Enter") body.querySelector("a")?.focus();
    if (e.key === "Escape" && searchBox.value) { searchBox.value = ""; onSearch(); }
  });
  assignee.addEventListener("change", () => { state.assigned_to = assignee.value; state.page = 1; syncURL(); reloadNow(); });
  sort.addEventListener("change", () => { state.sort = sort.value; state.page = 1; syncURL(); reloadNow(); });
  sort.disabled = !!state.q;
  searchBox.addEventListener("input", () => { sort.disabled = searchBox.value.trim() !== ""; });

  await load();

  return {
    node,
    title: "Tickets",
    onEvent(ev) {
      if (ev.event.startsWith("customer.")) rememberCustomer(ev.data?.customer);
      if (!ev.event.startsWith("ticket.") && !ev.event.startsWith("payment.") && ev.event !== "customer.updated") return;
      if (ev.data?.ticket_id) changed.add(ev.data.ticket_id);
      const text = ticketHint(ev, ctx.userName);
      const num = ev.data?.ticket ? "" : numbers.get(ev.data?.ticket_id);
      if (text) hint.textContent = `${text}${num ? ` on ticket #${num}` : ""} · just now`;
      reload();
    },
    onResync: reload,
    destroy() { reload.cancel(); onSearch.cancel(); loadSeq++; },
  };
}
