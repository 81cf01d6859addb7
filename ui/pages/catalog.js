// The catalog: every part, service and product with its stock at each
// location. Low stock is said in words as well as colour. Stock is adjusted
// in place (a delta and a reason): the new level shows at once and goes back,
// with the API's reason, when the shop refuses it. Each item's adjustment
// history opens under it; changes made elsewhere arrive live.

import { el, link, field, showErrors, busy, debounce, flash, keepFocus, reconcile, renderPager } from "../lib/dom.js";
import { call, get, query, listSorts } from "../lib/api.js";
import { replaceURL } from "../lib/mode.js";
import { money, when, fullTime, parseDecimal } from "../lib/format.js";
import { onHand, isLow, exportButton, locationsOrNone, integer, allPages, liveHint } from "../lib/stock.js";

const perPage = 50;
const kinds = ["part", "service", "product"];
const reasons = [["count", "Stock count"], ["damage", "Damaged"], ["return", "Returned"], ["transfer", "Transfer"],
  ["correction", "Correction"], ["sale", "Sale"], ["receive", "Received"]];
const reasonWord = (r) => reasons.find(([v]) => v === r)?.[1] || r;
const kindWord = (k) => (k ? k[0].toUpperCase() + k.slice(1) : "");

export async function catalogPage(ctx, _params, search) {
  const canWrite = ctx.can("catalog.write");
  const canStock = ctx.can("inventory.read");
  const canAdjust = ctx.can("inventory.write");
  const [locations, sorts, suppliers] = await Promise.all([
    canStock ? locationsOrNone() : [],
    listSorts("/catalog/items").catch(() => []),
    ctx.can("purchase_orders.read") ? allPages("/api/v1/suppliers", {}, 2).catch(() => []) : [],
  ]);
  const state = {
    q: search.get("q") || "",
    kind: kinds.includes(search.get("kind")) ? search.get("kind") : "",
    low: search.get("low") === "1",
    sort: sorts.some((s) => s.name === search.get("sort")) ? search.get("sort") : "",
    page: Math.max(1, Number(search.get("page")) || 1),
  };
  const stockCols = locations.slice(0, 4); // more than four: the totals column says the rest

  const searchBox = el("input", {
    type: "search", name: "q", value: state.q, "data-search": true, "aria-label": "Search the catalog",
    placeholder: "Search name, SKU, barcode   /", autocomplete: "off",
  });
  const kindSelect = el("select", { name: "kind", "aria-label": "Kind" },
    el("option", { value: "", text: "Every kind" }), kinds.map((k) => el("option", { value: k, text: kindWord(k), selected: k === state.kind })));
  const lowToggle = canStock ? el("button", { type: "button", class: "count", "aria-pressed": String(state.low), text: "Low stock only" }) : null;
  const sort = sorts.length ? el("select", { name: "sort", "aria-label": "Sort" },
    el("option", { value: "", text: "Newest first" }),
    sorts.map((s) => el("option", { value: s.name, text: s.label, selected: s.name === state.sort }))) : null;
  const error = el("p", { class: "error", role: "alert" });
  const hint = liveHint();
  const addButton = canWrite ? el("button", { type: "button", text: "+ Add item", onclick: () => openForm(null) }) : null;
  const exportCSV = exportButton("Export CSV", "/api/v1/catalog/items.csv", () => ({ q: state.q, kind: state.kind }), "catalog.csv",
    (err) => { error.textContent = err.message; });
  const importLink = canWrite ? link("/import?kind=catalog_items", "Import CSV", { class: "button secondary" }) : null;

  const head = ["Item", "Kind", "Price", ...stockCols.map((l) => `Stock · ${l.name}`)];
  if (locations.length > stockCols.length) head.push("Stock · all");
  head.push("");
  const body = el("tbody", { "data-list": true });
  const table = el("table", { class: "catalog rows-plain" },
    el("caption", { class: "visually-hidden", text: "Catalog items and their stock" }),
    el("thead", {}, el("tr", {}, head.map((h, i) => el("th", { scope: "col", class: i === 2 ? "num" : i >= 3 && h ? "num stock-h" : "", text: h })))),
    body);
  const empty = el("div", { class: "empty", hidden: true });
  const pager = el("nav", { class: "pager", "aria-label": "Pages" });
  const formSlot = el("div", { hidden: true });
  const form = canWrite ? itemForm({ suppliers, onSaved: (it) => { closeForm(); changed.add(it.id); reloadNow(); }, onCancel: () => closeForm() }) : null;
  if (form) formSlot.append(form.node);

  const node = el("section", { class: "page catalog-page", "aria-labelledby": "catalog-title" },
    el("header", { class: "page-head" }, el("h1", { id: "catalog-title", text: "Catalog" }), searchBox,
      el("div", { class: "actions" }, addButton, importLink, exportCSV)),
    el("div", { class: "toolbar" }, kindSelect, lowToggle, sort, hint.node),
    error, formSlot,
    canStock && !locations.length ? el("p", { class: "notice", text: "Stock is kept per location, and the shop has none yet: add a location to count stock." }) : null,
    el("div", { class: "table-wrap" }, table, empty), pager);

  const changed = new Set(); // item ids to flash
  let items = []; // the items on screen
  const stock = new Map(); // item id → Map(location id → level)
  const open = new Map(); // item id → "adjust:<loc>" | "history"
  const openRows = new Map(); // item id → {what, tr}: an open form or history keeps its node (and what is typed) across renders
  const shownRows = new Map(); // item id → {sig, tr}: a row that did not change keeps its node, so a reload never pulls a button from under a click
  let seq = 0;

  function syncURL() {
    replaceURL(`/catalog${query({ q: state.q, kind: state.kind, low: state.low ? "1" : "", sort: state.sort, page: state.page > 1 ? state.page : "" })}`);
    lowToggle?.setAttribute("aria-pressed", String(state.low));
    if (sort) sort.disabled = !!state.q;
  }

  async function load() {
    const mine = ++seq;
    let list, total;
    if (state.low) {
      // The items below their reorder level somewhere: from the stock list.
      const low = await allPages("/api/v1/inventory", { low_stock: true }, 5);
      const ids = [...new Set(low.map((l) => l.item_id ?? l.catalog_item_id))];
      total = ids.length;
      const shown = ids.slice((state.page - 1) * perPage, state.page * perPage);
      list = (await Promise.all(shown.map((id) => get(`/api/v1/catalog/items/${id}`).then((r) => r.data).catch(() => null)))).filter(Boolean)
        .filter((it) => (!state.kind || it.kind === state.kind) && (!state.q || [it.name, it.sku, it.barcode].some((v) => v?.toLowerCase().includes(state.q.toLowerCase()))));
    } else {
      const r = await get(`/api/v1/catalog/items${query({ q: state.q, kind: state.kind, sort: state.q ? "" : state.sort, page: state.page, per_page: perPage })}`);
      list = r.data;
      total = r.meta.total;
    }
    const levels = canStock ? await stockOf(list) : new Map();
    if (mine !== seq) return;
    items = list;
    stock.clear();
    for (const [k, v] of levels) stock.set(k, v);
    render();
    renderPager(pager, { page: state.page, perPage, total, summary: `${total} item${total === 1 ? "" : "s"}` },
      (p) => { state.page = p; syncURL(); reloadNow(); });
  }

  // stockOf reads the stock levels of the items on the page, a few at a time.
  async function stockOf(list) {
    const out = new Map();
    for (let i = 0; i < list.length; i += 8) {
      await Promise.all(list.slice(i, i + 8).map(async (it) => {
        const levels = await allPages("/api/v1/inventory", { item_id: it.id }, 2).catch(() => []);
        out.set(it.id, new Map(levels.filter((l) => (l.item_id ?? l.catalog_item_id ?? it.id) === it.id).map((l) => [l.location_id, l])));
      }));
    }
    return out;
  }

  function render() {
    const focusKey = document.activeElement?.dataset?.key;
    const active = body.contains(document.activeElement) ? document.activeElement : null;
    const rows = [];
    const keep = new Set();
    for (const it of items) {
      keep.add(it.id);
      const sig = JSON.stringify([it, stockCols.map((l) => levelOf(it, l.id)), [...(stock.get(it.id)?.values() || [])].map(onHand), open.get(it.id) || ""]);
      let shown = shownRows.get(it.id);
      if (changed.has(it.id) || shown?.sig !== sig) {
        shown = { sig, tr: row(it) };
        shownRows.set(it.id, shown);
      }
      rows.push(shown.tr);
      const o = open.get(it.id);
      if (!o) { openRows.delete(it.id); continue; }
      let kept = openRows.get(it.id);
      if (kept?.what !== o) {
        kept = { what: o, tr: o === "history" ? historyRow(it) : adjustRow(it, Number(o.slice(7))) };
        openRows.set(it.id, kept);
      } else if (o.startsWith("adjust:")) {
        kept.tr.querySelector(".adjust-now .num").textContent = String(onHand(levelOf(it, Number(o.slice(7)))));
      }
      rows.push(kept.tr);
    }
    for (const id of shownRows.keys()) if (!keep.has(id)) shownRows.delete(id);
    keepFocus(body, () => reconcile(body, rows));
    if (active?.isConnected && document.activeElement !== active) active.focus({ preventScroll: true });
    changed.clear();
    table.hidden = !items.length;
    empty.hidden = !!items.length;
    empty.replaceChildren(el("p", { text: state.q || state.kind || state.low
      ? (state.low ? "No item is below its reorder level." : "No item matches — try a SKU, a barcode or part of the name.")
      : canWrite ? "The catalog is empty — press N to add a part, a service or a product, or import a CSV." : "The catalog is empty." }));
    if (focusKey) body.querySelector(`[data-key="${CSS.escape(focusKey)}"]`)?.focus({ preventScroll: true });
  }

  function levelOf(it, locId) {
    return stock.get(it.id)?.get(locId) || null;
  }

  function stockCell(it, l) {
    const level = levelOf(it, l.id);
    const n = onHand(level);
    const low = isLow(level || { quantity: 0 }, it) && it.kind !== "service";
    const pending = level?.pending;
    return el("td", { class: `num stock${low ? " low" : ""}`, "data-loc": String(l.id) },
      el("span", { class: "cell-label", text: `${l.name}: ` }),
      it.kind === "service" ? el("span", { class: "muted", text: "—" }) : [
        el("span", { class: "qty", text: String(n) }),
        low ? el("span", { class: "low-tag", text: n <= 0 ? "Out of stock" : "Low stock" }) : null,
        pending ? el("span", { class: "muted small", text: " saving…" }) : null,
        canAdjust ? el("button", {
          type: "button", class: "quiet adjust", "data-key": `adjust-${it.id}-${l.id}`, "aria-expanded": String(open.get(it.id) === `adjust:${l.id}`),
          "aria-label": `Adjust stock of ${it.name} at ${l.name}`, text: "Adjust",
          onclick: () => toggle(it.id, `adjust:${l.id}`),
        }) : null,
      ]);
  }

  function row(it) {
    const levels = [...(stock.get(it.id)?.values() || [])];
    const total = levels.reduce((a, l) => a + onHand(l), 0);
    const anyLow = it.kind !== "service" && locations.some((l) => isLow(levelOf(it, l.id) || { quantity: 0 }, it));
    const tr = el("tr", { "data-id": String(it.id), class: anyLow ? "low-row" : "" },
      el("td", { class: "c-item" },
        el("strong", { class: "item-name", text: it.name }),
        el("span", { class: "muted small sku", text: [it.sku && `SKU ${it.sku}`, it.barcode && `Barcode ${it.barcode}`].filter(Boolean).join(" · ") }),
        it.reorder_level ? el("span", { class: "muted small sku", text: `Reorder at ${it.reorder_level}` }) : null),
      el("td", { class: "c-kind" }, el("span", { class: "cell-label", text: "Kind: " }), kindWord(it.kind),
        it.allow_backorder ? el("span", { class: "muted small sku", text: "Backorders allowed" }) : null),
      el("td", { class: "num c-price" }, el("span", { class: "cell-label", text: "Price: " }), money(it.price),
        ctx.can("catalog.write") && it.cost !== undefined ? el("span", { class: "muted small sku", text: `Cost ${money(it.cost)}` }) : null),
      stockCols.map((l) => stockCell(it, l)),
      locations.length > stockCols.length ? el("td", { class: "num" }, el("span", { class: "cell-label", text: "All locations: " }), String(total)) : null,
      el("td", { class: "c-actions" }, el("div", { class: "row-actions" },
        canStock ? el("button", { type: "button", class: "quiet", "data-key": `history-${it.id}`, "aria-expanded": String(open.get(it.id) === "history"),
          "aria-label": `Stock history of ${it.name}`, text: "History", onclick: () => toggle(it.id, "history") }) : null,
        canWrite ? el("button", { type: "button", class: "quiet", "data-key": `edit-${it.id}`, "aria-label": `Edit ${it.name}`, text: "Edit", onclick: () => openForm(it) }) : null)));
    if (changed.has(it.id)) flash(tr);
    return tr;
  }

  function toggle(id, what) {
    if (open.get(id) === what) open.delete(id);
    else open.set(id, what);
    render();
    if (open.get(id)?.startsWith("adjust:")) body.querySelector(`tr.adjust-row[data-for="${id}"] input[name="delta"]`)?.focus();
  }

  const span = () => head.length;

  // adjustRow is the in-place form under an item: delta and reason. The new
  // level shows at once; a refusal puts the old one back with the reason.
  function adjustRow(it, locId) {
    const loc = locations.find((l) => l.id === locId);
    const delta = el("input", { name: "delta", inputmode: "numeric", size: 5, autocomplete: "off", placeholder: "+5 or -2" });
    const reason = el("select", { name: "reason" }, reasons.filter(([r]) => r !== "sale" && r !== "receive").map(([v, t]) => el("option", { value: v, text: t })));
    const note = el("input", { name: "note", autocomplete: "off", placeholder: "Optional" });
    const submit = el("button", { type: "submit", text: "Save" });
    const msg = el("p", { class: "error", role: "alert" });
    const f = el("form", { class: "adjust-form", novalidate: true, "aria-label": `Adjust stock of ${it.name} at ${loc?.name}` },
      el("p", { class: "adjust-now" }, "In stock at ", el("strong", { text: loc?.name || "" }), ": ",
        el("span", { class: "num", text: String(onHand(levelOf(it, locId))) })),
      field("Change by", delta, "A count up (+) or down (−)"), field("Reason", reason), field("Note", note),
      el("div", { class: "actions" }, submit, el("button", { type: "button", class: "quiet", text: "Cancel", onclick: () => toggle(it.id, `adjust:${locId}`) })),
      msg);
    f.addEventListener("submit", (e) => {
      e.preventDefault();
      msg.textContent = "";
      const d = integer(delta.value);
      if (typeof d !== "number" || d === 0) {
        showErrors(f, { details: [{ field: "delta", message: "Type a whole number other than 0, such as 5 or -2" }] });
        return;
      }
      showErrors(f, {});
      busy(submit, () => adjust(it, locId, d, reason.value, note.value.trim(), f));
    });
    return el("tr", { class: "adjust-row", "data-for": String(it.id) }, el("td", { colspan: span() }, f));
  }

  async function adjust(it, locId, delta, reason, note, f) {
    const levels = stock.get(it.id) || new Map();
    stock.set(it.id, levels);
    const before = levels.get(locId) || null;
    const optimistic = { ...(before || { item_id: it.id, location_id: locId }), quantity: onHand(before) + delta, pending: true };
    delete optimistic.on_hand; delete optimistic.low_stock; delete optimistic.low;
    levels.set(locId, optimistic);
    open.delete(it.id);
    render();
    try {
      const r = await call("POST", "/api/v1/inventory/adjustments", { item_id: it.id, location_id: locId, delta, reason, ...(note ? { note } : {}) });
      const lvl = levelFrom(r.data);
      levels.set(locId, lvl || { ...optimistic, pending: false });
      changed.add(it.id);
      render();
      tell(`${it.name}: ${delta > 0 ? "+" : ""}${delta} at ${locations.find((l) => l.id === locId)?.name} (${reasonWord(reason)})`);
    } catch (err) {
      // Refused (not enough in stock, 409): the old level comes back, with why.
      if (before) levels.set(locId, before); else levels.delete(locId);
      open.set(it.id, `adjust:${locId}`);
      render();
      const again = body.querySelector(`tr.adjust-row[data-for="${it.id}"] form`);
      if (again) {
        again.querySelector('[name="delta"]').value = String(delta);
        again.querySelector('[name="reason"]').value = reason;
        if (!showErrors(again, err)) again.querySelector("p.error").textContent = err.message;
        again.querySelector('[name="delta"]').focus();
      } else f.querySelector("p.error").textContent = err.message;
    }
  }

  function historyRow(it) {
    const cell = el("td", { colspan: span() }, el("p", { class: "muted", text: "Loading the history…" }));
    (async () => {
      try {
        const list = (await get(`/api/v1/inventory/adjustments${query({ item_id: it.id, per_page: 50 })}`)).data;
        const locName = (id) => locations.find((l) => l.id === id)?.name || "";
        cell.replaceChildren(el("h2", { class: "history-title", text: `Stock history of ${it.name}` }), list.length
          ? el("table", { class: "history" },
            el("thead", {}, el("tr", {}, ["When", "Location", "Change", "Reason", "By", "Cause"].map((h) => el("th", { scope: "col", text: h })))),
            el("tbody", {}, list.map((a) => el("tr", {},
              el("td", {}, el("time", { datetime: a.created_at, title: fullTime(a.created_at), text: when(a.created_at) })),
              el("td", { text: locName(a.location_id) }),
              el("td", { class: `num ${a.delta < 0 ? "neg" : "pos"}`, text: `${a.delta > 0 ? "+" : ""}${a.delta}` }),
              el("td", { text: reasonWord(a.reason) + (a.note ? ` — ${a.note}` : "") }),
              el("td", { text: a.actor?.name || a.actor_name || (a.user_id ? ctx.userName(a.user_id) : "") }),
              el("td", { class: "muted", text: a.ref || a.reference || "" })))))
          : el("p", { class: "muted", text: "No stock changes yet." }));
      } catch (err) {
        cell.replaceChildren(el("p", { class: "error", role: "alert", text: err.message }));
      }
    })();
    return el("tr", { class: "history-row", "data-for": String(it.id) }, cell);
  }

  function openForm(it) {
    if (!form) return;
    form.fill(it);
    formSlot.hidden = false;
    form.focus();
  }
  function closeForm() {
    formSlot.hidden = true;
    addButton?.focus();
  }

  const tell = hint.tell;

  const reloadNow = () => load().catch((err) => { error.textContent = err.message; });
  const reload = debounce(reloadNow, 150);
  const onSearch = debounce(() => { state.q = searchBox.value.trim(); state.page = 1; syncURL(); reloadNow(); }, 200);
  searchBox.addEventListener("input", onSearch);
  searchBox.addEventListener("keydown", (e) => { if (e.key === "Enter") body.querySelector("button")?.focus(); });
  kindSelect.addEventListener("change", () => { state.kind = kindSelect.value; state.page = 1; syncURL(); reloadNow(); });
  lowToggle?.addEventListener("click", () => { state.low = !state.low; state.page = 1; syncURL(); reloadNow(); });
  sort?.addEventListener("change", () => { state.sort = sort.value; state.page = 1; syncURL(); reloadNow(); });

  syncURL();
  await load();

  return {
    node,
    title: "Catalog",
    onEvent(ev) {
      const d = ev.data || {};
      if (ev.event === "inventory.adjusted" || ev.event === "inventory.low_stock") {
        const lvl = levelFrom(d);
        const id = lvl?.item_id ?? d.item_id ?? d.adjustment?.item_id;
        const it = items.find((x) => x.id === id);
        if (!it) return;
        const levels = stock.get(id) || new Map();
        stock.set(id, levels);
        const cur = levels.get(lvl?.location_id);
        if (lvl && !cur?.pending) levels.set(lvl.location_id, lvl);
        else if (!lvl) { reload(); return; }
        changed.add(id);
        if (openRows.get(id)?.what === "history") openRows.delete(id); // read again, with this change
        if (ev.event === "inventory.low_stock") tell(`${it.name} is low at ${locations.find((l) => l.id === lvl.location_id)?.name || "a location"}`);
        render();
        return;
      }
      if (ev.event === "catalog.item_created" || ev.event === "catalog.item_updated") {
        const id = d.catalog_item_id ?? d.item_id ?? d.catalog_item?.id ?? d.item?.id;
        if (id) changed.add(id);
        const name = d.catalog_item?.name ?? d.item?.name;
        if (name && ev.event === "catalog.item_created") tell(`${name} added to the catalog`);
        reload();
      }
    },
    onResync: reload,
    onKey(e) {
      if (e.key === "n" && form) { openForm(null); return true; }
      return false;
    },
    onEscape() {
      if (form && !formSlot.hidden) { closeForm(); return true; }
      if (open.size) { open.clear(); render(); return true; }
      if (!state.q) return false;
      searchBox.value = "";
      onSearch.cancel();
      state.q = "";
      state.page = 1;
      syncURL();
      reloadNow();
      return true;
    },
    destroy() { reload.cancel(); onSearch.cancel(); seq++; },
  };
}

// levelFrom finds the stock level in an answer or an event's data.
function levelFrom(d) {
  if (!d) return null;
  for (const k of ["stock_level", "level", "inventory", "stock"]) {
    if (d[k] && typeof d[k] === "object" && d[k].location_id !== undefined) return d[k];
  }
  if (d.location_id !== undefined && (d.quantity !== undefined || d.on_hand !== undefined) && d.delta === undefined) return d;
  // An adjustment answer: {adjustment, …} with the level after it.
  const a = d.adjustment || (d.delta !== undefined ? d : null);
  if (a && (a.quantity_after !== undefined || a.balance !== undefined || a.on_hand_after !== undefined)) {
    return { item_id: a.item_id, location_id: a.location_id, quantity: a.quantity_after ?? a.balance ?? a.on_hand_after };
  }
  return null;
}

// itemForm adds a catalog item, or edits one (only what changed is sent).
function itemForm({ suppliers, onSaved, onCancel }) {
  const inputs = {
    name: el("input", { name: "name", autocomplete: "off", "aria-required": "true" }),
    sku: el("input", { name: "sku", autocomplete: "off" }),
    kind: el("select", { name: "kind" }, kinds.map((k) => el("option", { value: k, text: kindWord(k) }))),
    price: el("input", { name: "price", inputmode: "decimal", autocomplete: "off" }),
    cost: el("input", { name: "cost", inputmode: "decimal", autocomplete: "off" }),
    reorder_level: el("input", { name: "reorder_level", inputmode: "numeric", autocomplete: "off" }),
    barcode: el("input", { name: "barcode", autocomplete: "off" }),
    supplier_id: el("select", { name: "supplier_id" }, el("option", { value: "", text: "None" }),
      suppliers.map((s) => el("option", { value: String(s.id), text: s.name }))),
  };
  const taxable = el("input", { type: "checkbox", name: "taxable", id: "item-taxable" });
  const backorder = el("input", { type: "checkbox", name: "allow_backorder", id: "item-backorder" });
  const title = el("h2", { id: "item-form-title" });
  const error = el("p", { class: "error", role: "alert" });
  const submit = el("button", { type: "submit" });
  const form = el("form", { class: "stack card-flat desk-form", novalidate: true, "aria-labelledby": "item-form-title" },
    title,
    el("div", { class: "row" }, field("Name", inputs.name), field("SKU", inputs.sku, "Unique; leave empty to have none"), field("Kind", inputs.kind)),
    el("div", { class: "row" }, field("Price", inputs.price), field("Cost", inputs.cost), field("Reorder level", inputs.reorder_level, "Low stock at or below this")),
    el("div", { class: "row" }, field("Barcode", inputs.barcode), suppliers.length ? field("Supplier", inputs.supplier_id) : null),
    el("div", { class: "actions" }, el("label", { class: "check", for: "item-taxable" }, taxable, " Taxable"),
      el("label", { class: "check", for: "item-backorder" }, backorder, " Allow backorders (stock may go below zero)")),
    error,
    el("div", { class: "actions" }, submit, el("button", { type: "button", class: "quiet", text: "Cancel", onclick: () => onCancel() })));
  let editing = null;
  const values = () => {
    const v = {
      name: inputs.name.value.trim(), sku: inputs.sku.value.trim(), kind: inputs.kind.value,
      price: parseDecimal(inputs.price.value || "0"), cost: parseDecimal(inputs.cost.value || "0"),
      reorder_level: inputs.reorder_level.value.trim() === "" ? 0 : integer(inputs.reorder_level.value),
      barcode: inputs.barcode.value.trim(), taxable: taxable.checked, allow_backorder: backorder.checked,
    };
    if (suppliers.length) v.supplier_id = inputs.supplier_id.value ? Number(inputs.supplier_id.value) : 0;
    return v;
  };
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    error.textContent = "";
    busy(submit, async () => {
      const v = values();
      const body = editing ? Object.fromEntries(Object.entries(v).filter(([k, x]) => x !== (editing[k] ?? (typeof x === "number" ? 0 : typeof x === "boolean" ? false : "")))) : v;
      if (editing && !Object.keys(body).length) { onCancel(); return; }
      try {
        const r = editing ? await call("PATCH", `/api/v1/catalog/items/${editing.id}`, body) : await call("POST", "/api/v1/catalog/items", body);
        showErrors(form, {});
        onSaved(r.data?.catalog_item || r.data?.item || r.data);
      } catch (err) {
        if (!showErrors(form, err)) error.textContent = err.message;
      }
    });
  });
  return {
    node: form,
    fill(it) {
      editing = it;
      form.reset();
      showErrors(form, {});
      error.textContent = "";
      inputs.name.value = it?.name ?? "";
      inputs.sku.value = it?.sku ?? "";
      inputs.kind.value = it?.kind ?? "part";
      inputs.price.value = it ? String(it.price ?? "") : "";
      inputs.cost.value = it ? String(it.cost ?? "") : "";
      inputs.reorder_level.value = it?.reorder_level ? String(it.reorder_level) : "";
      inputs.barcode.value = it?.barcode ?? "";
      inputs.supplier_id.value = it?.supplier_id ? String(it.supplier_id) : "";
      taxable.checked = it ? !!it.taxable : true;
      backorder.checked = !!it?.allow_backorder;
      title.textContent = it ? `Edit ${it.name}` : "Add a catalog item";
      submit.textContent = it ? "Save changes" : "Add item";
    },
    focus: () => inputs.name.focus(),
  };
}
