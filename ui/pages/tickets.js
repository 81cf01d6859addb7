// The ticket queue: counts per status (each a filter), assignee and "Mine",
// search, sort and pages; rows change in place as the shop works. Below
// 600 px each row is a card; a whole row (or card) opens its ticket.

import { widgetPlace } from "../lib/widgets.js";
import { el, link, debounce, flash, keepFocus, renderPager } from "../lib/dom.js";
import { get, query, listSorts } from "../lib/api.js";
import { replaceURL } from "../lib/mode.js";
import { when, device, statusClass } from "../lib/format.js";
import { customerNames, rememberCustomer } from "../lib/customers.js";
import { ticketSentence } from "../lib/describe.js";
import { exportButton } from "../lib/stock.js";

const perPage = 50;
const columns = [["c-num", "#"], ["c-cust", "Customer"], ["c-dev", "Device"], ["c-issue", "Issue"], ["c-status", "Status"],
  ["c-tech", "Tech"], ["c-due", "Due"], ["c-upd", "Updated"]];
const priorityWords = { urgent: "Urgent", high: "High", low: "Low" }; // normal goes without saying
const hintLines = 3;

export async function ticketQueue(ctx, _params, search) {
  // The sorts the API declares for tickets, each in its natural order.
  const sorts = (await listSorts("/tickets")).map((s) => [s.name, s.label]);
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
  const mine = ctx.me ? el("button", { type: "button", class: "count", "aria-pressed": "false", title: "Tickets assigned to you (g m)", text: "Mine" }) : null;
  const sort = el("select", { name: "sort", "aria-label": "Sort" },
    sorts.map(([v, label]) => el("option", { value: v, text: label, selected: v === state.sort })));
  const counts = el("div", { class: "counts", role: "group", "aria-label": "Filter by status" });
  const body = el("tbody", { "data-list": true });
  const table = el("table", { class: "queue rows" },
    el("caption", { class: "visually-hidden", text: "Tickets" }),
    el("colgroup", {}, columns.map(([c]) => el("col", { class: c }))),
    el("thead", {}, el("tr", {}, columns.map(([c, h]) => el("th", { scope: "col", class: c, text: h })))),
    body);
  const empty = el("div", { class: "empty", hidden: true });
  const setupCard = setupNudge(ctx);
  const pager = el("nav", { class: "pager", "aria-label": "Pages" });
  const hint = el("ul", { class: "live-hint", role: "status", "aria-live": "polite", "aria-label": "Recent changes" });

  const newButton = ctx.can("tickets.write")
    ? link("/tickets/new", "", { class: "button" })
    : null;
  newButton?.append("+ New ticket ", el("kbd", { text: "N" }));

  const banner = widgetPlace("queue_banner"); // plugins' widgets (ui/lib/widgets.js): the queue's top
  const cards = widgetPlace("dashboard_card");
  const node = el("section", { class: "page", "aria-labelledby": "queue-title" },
    banner.node,
    el("header", { class: "page-head" }, el("h1", { id: "queue-title", text: "Tickets" }), searchBox, newButton),
    cards.node,
    counts,
    el("div", { class: "toolbar" }, mine, assignee, sort,
      exportButton("Export CSV", "/api/v1/tickets.csv", () => ({ status: state.status, assigned_to: state.assigned_to, q: state.q }), "tickets.csv",
        (err) => tell(err.message)), hint),
    setupCard,
    el("div", { class: "table-wrap" }, table, empty),
    pager);

  const changed = new Set(); // ticket ids to flash on the next render
  const numbers = new Map(); // ticket id → number, for hints about events that carry only the id
  let loadSeq = 0;

  function syncURL() {
    replaceURL(`/tickets${query({ status: state.status, assigned_to: state.assigned_to, q: state.q,
      sort: state.sort === "updated_at" ? "" : state.sort, page: state.page > 1 ? state.page : "" })}`);
    if (mine) mine.setAttribute("aria-pressed", String(state.assigned_to === String(ctx.me.id)));
    assignee.value = state.assigned_to;
  }

  async function load() {
    const seq = ++loadSeq;
    const filters = { assigned_to: state.assigned_to };
    const listQuery = state.q
      ? { ...filters, status: state.status, q: state.q, page: state.page, per_page: perPage }
      : { ...filters, status: state.status, sort: state.sort, page: state.page, per_page: perPage };
    // One request for every status's count, from the store's kept counts.
    const [list, counts] = await Promise.all([
      get(`/api/v1/tickets${query(listQuery)}`),
      get(`/api/v1/tickets/counts${query({ ...filters, by: "status" })}`),
    ]);
    const totals = ctx.statuses.map((s) => counts.data[s.name] || 0);
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

  function row(t, name) {
    const tech = t.assigned_to ? ctx.userName(t.assigned_to) : "";
    const due = t.due_at ? when(t.due_at) : "";
    const prio = priorityWords[t.priority];
    return el("tr", { "data-id": String(t.id) },
      // The number's link covers the whole row (CSS), so a click or tap
      // anywhere opens the ticket and a middle click opens a tab.
      el("td", { class: "c-num num" }, link(`/tickets/${t.id}`, String(t.number), { "aria-label": `Ticket ${t.number}` })),
      el("td", { class: "c-cust", text: name(t.customer_id) }),
      el("td", { class: "c-dev", text: device(t.device) }),
      el("td", { class: "c-issue clip", title: t.issue },
        prio ? el("span", { class: `prio prio-${t.priority}`, text: prio }) : null, prio ? " " : null, t.issue),
      el("td", { class: "c-status" }, el("span", { class: `status ${statusClass(t.status, ctx.statuses)}`, text: t.status }),
        // Narrow screens drop the Tech and Due columns and say them here.
        tech || due ? el("span", { class: "row-meta muted" }, [tech, due && `due ${due}`].filter(Boolean).join(" · ")) : null),
      el("td", { class: "c-tech", text: tech || "—" }),
      el("td", { class: "c-due num", text: due }),
      el("td", { class: "c-upd num muted", text: when(t.updated_at) }));
  }

  function renderRows(tickets, name) {
    const focusedId = document.activeElement?.closest?.("tr[data-id]")?.dataset.id;
    for (const t of tickets) numbers.set(t.id, t.number);
    body.replaceChildren(...tickets.map((t) => {
      const r = row(t, name);
      if (changed.has(t.id)) flash(r);
      return r;
    }));
    changed.clear();
    if (focusedId) body.querySelector(`tr[data-id="${focusedId}"] a`)?.focus({ preventScroll: true });
    // Columns nobody on this page uses give their room to the issue.
    table.classList.toggle("no-tech", !tickets.some((t) => t.assigned_to));
    table.classList.toggle("no-due", !tickets.some((t) => t.due_at));
    table.hidden = tickets.length === 0;
    empty.hidden = tickets.length !== 0;
    const filtered = state.q || state.status || state.assigned_to;
    if (setupCard) setupCard.hidden = !!(tickets.length || filtered || ctx.shop.setup_complete);
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
    sort.disabled = false;
    syncURL();
    reloadNow();
  }

  // tell adds a line to the hint; the newest first, a few kept, so changes
  // that come together all stay readable.
  function tell(text) {
    hint.prepend(el("li", {}, text, el("span", { class: "muted", text: " · just now" })));
    while (hint.children.length > hintLines) hint.lastElementChild.remove();
  }

  const reloadNow = () => load().catch((err) => { tell(err.message); });
  const reload = debounce(reloadNow, 150);
  const onSearch = debounce(() => { state.q = searchBox.value.trim(); state.page = 1; syncURL(); reloadNow(); }, 200);
  searchBox.addEventListener("input", onSearch);
  searchBox.addEventListener("keydown", (e) => {
    if (e.key === "Enter") body.querySelector("a")?.focus();
  });
  assignee.addEventListener("change", () => { state.assigned_to = assignee.value; state.page = 1; syncURL(); reloadNow(); });
  mine?.addEventListener("click", () => {
    state.assigned_to = state.assigned_to === String(ctx.me.id) ? "" : String(ctx.me.id);
    state.page = 1;
    syncURL();
    reloadNow();
  });
  sort.addEventListener("change", () => { state.sort = sort.value; state.page = 1; syncURL(); reloadNow(); });
  sort.disabled = !!state.q;
  searchBox.addEventListener("input", () => { sort.disabled = searchBox.value.trim() !== ""; });

  syncURL();
  await load();

  return {
    node,
    title: "Tickets",
    onEvent(ev) {
      if (ev.event === "store.updated") { reload(); return; } // statuses renamed or reordered: new counts
      if (ev.event.startsWith("customer.")) rememberCustomer(ev.data?.customer);
      if (!ev.event.startsWith("ticket.") && !ev.event.startsWith("payment.") && ev.event !== "customer.updated") return;
      const d = ev.data || {};
      if (d.ticket_id) changed.add(d.ticket_id);
      const text = ticketSentence(ev, ctx.userName);
      const num = d.ticket?.number ?? numbers.get(d.ticket_id);
      if (text) tell(num ? `#${num}: ${text}` : text);
      reload();
    },
    onResync: reload,
    // Esc on the queue steps out of a search.
    onEscape() {
      if (!state.q) return false;
      searchBox.value = "";
      onSearch.cancel();
      state.q = "";
      state.page = 1;
      sort.disabled = false;
      syncURL();
      reloadNow();
      return true;
    },
    destroy() { reload.cancel(); onSearch.cancel(); loadSeq++; banner.destroy(); cards.destroy(); },
  };
}

// setupNudge is the empty queue's card for an owner whose shop is not set
// up yet: a receipt without a name or phone, and a 0 % tax, are the first
// things a new shop gets wrong.
function setupNudge(ctx) {
  if (!ctx.can("store.write") || ctx.shop.setup_complete) return null;
  return el("section", { class: "setup-card", "aria-labelledby": "setup-card-title", hidden: true },
    el("h2", { id: "setup-card-title", text: "Finish setting up your shop" }),
    el("p", { text: "Add the shop's name, phone, time zone and tax rate, so receipts carry them and tickets are taxed right." }),
    link("/settings/shop", "Set up the shop", { class: "button" }));
}
