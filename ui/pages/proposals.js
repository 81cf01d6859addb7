// Quotes (the API's proposals): the list by status, searched by name or
// number, sorted as the API declares; rows change in place as quotes are
// built, sent and answered elsewhere. A row that did not change keeps its
// node across reloads, so a click never lands on a detached row.

import { el, link, debounce, flash, keepFocus, reconcile, renderPager } from "../lib/dom.js";
import { get, query, listSorts } from "../lib/api.js";
import { replaceURL } from "../lib/mode.js";
import { money, when } from "../lib/format.js";
import { customerNames, rememberCustomer } from "../lib/customers.js";
import { actorName } from "../lib/describe.js";

const perPage = 50;
const hintLines = 3;

// The proposal statuses, in the order a quote lives them; each has a word
// and a colour slot (the word is always shown).
export const proposalStatuses = ["Draft", "Submitted", "ViewedByClient", "Delayed", "EmailFailed", "Accepted", "Declined", "Expired", "Completed"];
const statusWords = { ViewedByClient: "Viewed by client", EmailFailed: "Email failed" };
const statusColours = {
  Draft: "st-new", Submitted: "st-progress", ViewedByClient: "st-progress", Delayed: "st-waiting", EmailFailed: "st-failed",
  Accepted: "st-ready", Declined: "st-failed", Expired: "st-closed", Completed: "st-closed",
};
export const statusWord = (s) => statusWords[s] || s || "";
export const statusTag = (s) => el("span", { class: `status ${statusColours[s] || "st-progress"}`, text: statusWord(s) });
// day shows an expiry (a date, kept as midnight UTC) as the calendar day it names.
export const day = (iso) => (iso ? new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeZone: "UTC" }).format(new Date(iso.length === 10 ? `${iso}T00:00:00Z` : iso)) : "");
export const quoteName = (p) => `Quote ${p.number ?? `#${p.id}`}`;

// What the list's sort offers when the API document does not say.
const fallbackSorts = [{ name: "id", label: "Newest" }, { name: "updated_at", label: "Recently updated" }, { name: "expires_at", label: "Expiring soon" }];

// proposalSentence is what an event did to a quote, for the live hint.
export function proposalSentence(ev) {
  const d = ev.data || {};
  const p = d.proposal || {};
  const who = actorName(ev);
  switch (ev.event) {
    case "proposal.created": return `${who} created ${quoteName(p)}`;
    case "proposal.status_changed": return `${quoteName(p)} is now ${statusWord(d.to ?? p.status).toLowerCase()}`;
    case "proposal.outline_status_changed": return `${quoteName(p)}: outline ${String(d.to ?? p.outline_status ?? "").toLowerCase()}`;
    case "proposal.build_status_changed": return `${quoteName(p)}: build ${String(d.to ?? p.build_status ?? "").toLowerCase()}`;
    default: return `${who} changed ${quoteName(p)}`;
  }
}

export async function proposalsPage(ctx, _params, search) {
  const canWrite = ctx.can("proposals.write");
  const declared = await listSorts("/proposals").catch(() => []);
  const sorts = (declared.length ? declared : fallbackSorts).map((s) => [s.name, s.label]);
  const state = {
    status: proposalStatuses.includes(search.get("status")) ? search.get("status") : "",
    q: search.get("q") || "",
    sort: sorts.some(([s]) => s === search.get("sort")) ? search.get("sort") : sorts[0][0],
    page: Math.max(1, Number(search.get("page")) || 1),
  };
  const defaultSort = sorts[0][0];

  const searchBox = el("input", {
    type: "search", name: "q", value: state.q, "data-search": true, "aria-label": "Search quotes",
    placeholder: "Search name or number   /", autocomplete: "off",
  });
  const sort = el("select", { name: "sort", "aria-label": "Sort" },
    sorts.map(([v, label]) => el("option", { value: v, text: label, selected: v === state.sort })));
  const filters = el("div", { class: "counts", role: "group", "aria-label": "Filter by status" });
  const body = el("tbody", { "data-list": true });
  const table = el("table", { class: "quotes rows" },
    el("caption", { class: "visually-hidden", text: "Quotes" }),
    el("thead", {}, el("tr", {}, [["q-num", "Quote"], ["q-name", "Name"], ["q-cust", "Customer"], ["q-status", "Status"],
      ["q-total num", "Total"], ["q-exp", "Expires"], ["q-upd", "Updated"]].map(([c, h]) => el("th", { scope: "col", class: c, text: h })))),
    body);
  const empty = el("div", { class: "empty", hidden: true });
  const pager = el("nav", { class: "pager", "aria-label": "Pages" });
  const hint = el("ul", { class: "live-hint", "aria-label": "Recent changes" });
  const error = el("p", { class: "error", role: "alert" });
  const newButton = canWrite ? link("/proposals/new", "", { class: "button" }) : null;
  newButton?.append("+ New quote ", el("kbd", { text: "N" }));

  const node = el("section", { class: "page quotes-page", "aria-labelledby": "quotes-title" },
    el("header", { class: "page-head" }, el("h1", { id: "quotes-title", text: "Quotes" }), searchBox, newButton),
    filters,
    el("div", { class: "toolbar" }, sort, el("div", { class: "shop-hint", role: "status", "aria-live": "polite" }, hint)),
    error,
    el("div", { class: "table-wrap" }, table, empty),
    pager);

  const changed = new Set(); // ids to flash on the next render
  const shown = new Map(); // id → {sig, tr}: unchanged rows keep their nodes
  let seq = 0;

  function syncURL() {
    replaceURL(`/proposals${query({ status: state.status, q: state.q, sort: state.sort === defaultSort ? "" : state.sort,
      page: state.page > 1 ? state.page : "" })}`);
    keepFocus(filters, () => filters.replaceChildren(...["", ...proposalStatuses].map((s) => el("button", {
      type: "button", class: "count", "aria-pressed": String(state.status === s), "data-key": `status:${s}`, text: s ? statusWord(s) : "All",
      onclick: () => { state.status = s; state.page = 1; syncURL(); reloadNow(); },
    }))));
  }

  async function load() {
    const mine = ++seq;
    const r = await get(`/api/v1/proposals${query({ status: state.status, q: state.q, sort: state.q ? "" : state.sort, page: state.page, per_page: perPage })}`);
    const name = await customerNames(r.data.map((p) => p.customer_id));
    if (mine !== seq) return;
    error.textContent = "";
    render(r.data, name);
    const total = r.meta?.total ?? r.data.length;
    const from = total ? (state.page - 1) * perPage + 1 : 0;
    renderPager(pager, { page: state.page, perPage, total, summary: `${from}–${Math.min(total, state.page * perPage)} of ${total}` },
      (p) => { state.page = p; syncURL(); reloadNow(); });
  }

  function row(p, name) {
    const expires = day(p.expires_at);
    const expired = p.expires_at && new Date(p.expires_at) < new Date();
    return el("tr", { "data-id": String(p.id) },
      el("td", { class: "q-num num" }, link(`/proposals/${p.id}`, String(p.number ?? p.id), { "aria-label": `${quoteName(p)}: ${p.name}` })),
      el("td", { class: "q-name", text: p.name }),
      el("td", { class: "q-cust", text: name(p.customer_id) }),
      el("td", { class: "q-status" }, statusTag(p.status)),
      el("td", { class: "q-total num", text: money(p.summary?.total ?? 0) }),
      el("td", { class: `q-exp num${expired && !["Accepted", "Completed", "Declined"].includes(p.status) ? " late" : ""}`, text: expires }),
      el("td", { class: "q-upd num muted", text: when(p.updated_at || p.created_at) }));
  }

  function render(list, name) {
    const rows = [];
    const keep = new Set();
    for (const p of list) {
      keep.add(p.id);
      const sig = JSON.stringify([p.number, p.name, name(p.customer_id), p.status, p.summary?.total, p.expires_at, p.updated_at]);
      let s = shown.get(p.id);
      if (s?.sig !== sig) {
        s = { sig, tr: row(p, name) };
        shown.set(p.id, s);
      }
      if (changed.has(p.id)) flash(s.tr);
      rows.push(s.tr);
    }
    for (const id of shown.keys()) if (!keep.has(id)) shown.delete(id);
    reconcile(body, rows);
    changed.clear();
    table.hidden = !list.length;
    empty.hidden = !!list.length;
    const filtered = state.q || state.status;
    empty.replaceChildren(filtered
      ? el("p", {}, "No quotes match. ", el("button", { type: "button", class: "linklike", text: "Clear filters", onclick: clear }))
      : el("p", { text: canWrite ? "No quotes yet — press N to build one." : "No quotes yet." }));
  }

  function clear() {
    Object.assign(state, { status: "", q: "", page: 1 });
    searchBox.value = "";
    syncURL();
    reloadNow();
  }

  function tell(text) {
    hint.prepend(el("li", {}, text, el("span", { class: "muted", text: " · just now" })));
    while (hint.children.length > hintLines) hint.lastElementChild.remove();
  }

  const reloadNow = () => load().catch((err) => { error.textContent = err.message; });
  const reload = debounce(reloadNow, 150);
  const onSearch = debounce(() => { state.q = searchBox.value.trim(); state.page = 1; sort.disabled = !!state.q; syncURL(); reloadNow(); }, 200);
  searchBox.addEventListener("input", onSearch);
  searchBox.addEventListener("keydown", (e) => { if (e.key === "Enter") body.querySelector("a")?.focus(); });
  sort.addEventListener("change", () => { state.sort = sort.value; state.page = 1; syncURL(); reloadNow(); });
  sort.disabled = !!state.q;

  syncURL();
  await load();

  return {
    node,
    title: "Quotes",
    onEvent(ev) {
      if (ev.event.startsWith("customer.")) { rememberCustomer(ev.data?.customer); reload(); return; }
      if (!ev.event.startsWith("proposal.")) return;
      const p = ev.data?.proposal;
      if (p?.id) changed.add(p.id);
      tell(proposalSentence(ev));
      reload();
    },
    onResync: reload,
    onKey(e) {
      if (e.key === "n" && canWrite) { ctx.navigate("/proposals/new"); return true; }
      return false;
    },
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
    destroy() { reload.cancel(); onSearch.cancel(); seq++; },
  };
}
