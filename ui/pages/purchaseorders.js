// Purchase orders: the list by status, a new order (supplier, location,
// lines picked from the catalog), and one order's page where it is ordered,
// received line by line (more than is outstanding is refused, in the API's
// words) or cancelled. Suppliers are added and edited below the list.

import { el, link, field, showErrors, busy, debounce, flash, keepFocus, renderPager } from "../lib/dom.js";
import { call, get, query } from "../lib/api.js";
import { replaceURL } from "../lib/mode.js";
import { money, when, fullTime, parseDecimal } from "../lib/format.js";
import { tag, word, exportButton, locationsOrNone, allPages, picker, searchCatalog, integer, liveHint } from "../lib/stock.js";

const perPage = 50;
const statuses = ["draft", "ordered", "partially_received", "received", "cancelled"];

// received is how much of a line has come in.
const received = (l) => Number(l.received ?? l.quantity_received ?? l.received_quantity ?? 0);
const outstanding = (l) => Math.max(0, Number(l.quantity) - received(l));
const lineItemId = (l) => l.item_id ?? l.catalog_item_id;
const poName = (p) => p.number || `PO #${p.id}`;
const poTotal = (p) => p.totals?.total ?? p.total ?? (p.lines || []).reduce((a, l) => a + Number(l.quantity) * Number(l.unit_cost || 0), 0);

// itemNames is a per-page cache of catalog item names for order lines.
function itemNamer() {
  const names = new Map();
  return {
    async fill(ids) {
      const missing = [...new Set(ids)].filter((id) => id && !names.has(id));
      await Promise.all(missing.map(async (id) => {
        try { names.set(id, (await get(`/api/v1/catalog/items/${id}`)).data); } catch { names.set(id, null); }
      }));
    },
    item: (id) => names.get(id) || null,
    name: (id) => names.get(id)?.name || `Item ${id}`,
    remember: (it) => names.set(it.id, it),
  };
}

export async function purchaseOrdersPage(ctx, _params, search) {
  const canWrite = ctx.can("purchase_orders.write");
  const [locations, suppliers] = await Promise.all([locationsOrNone(), allPages("/api/v1/suppliers", {}, 5)]);
  const state = {
    status: statuses.includes(search.get("status")) ? search.get("status") : "",
    page: Math.max(1, Number(search.get("page")) || 1),
  };
  const supplierName = (id) => suppliers.find((s) => s.id === id)?.name || (id ? `Supplier ${id}` : "—");
  const locName = (id) => locations.find((l) => l.id === id)?.name || "";

  const error = el("p", { class: "error", role: "alert" });
  const hint = liveHint();
  const filters = el("div", { class: "counts", role: "group", "aria-label": "Filter by status" });
  const newButton = canWrite ? el("button", { type: "button", text: "+ New purchase order", onclick: () => openNew() }) : null;
  const exportCSV = exportButton("Export CSV", "/api/v1/purchase_orders.csv", () => ({ status: state.status }), "purchase-orders.csv",
    (err) => { error.textContent = err.message; });
  const body = el("tbody", { "data-list": true });
  const table = el("table", { class: "orders rows" },
    el("caption", { class: "visually-hidden", text: "Purchase orders" }),
    el("thead", {}, el("tr", {}, ["Order", "Supplier", "Location", "Status", "Lines", "Cost", "Updated"].map((h, i) =>
      el("th", { scope: "col", class: i === 5 ? "num" : "", text: h })))),
    body);
  const empty = el("div", { class: "empty", hidden: true });
  const pager = el("nav", { class: "pager", "aria-label": "Pages" });
  const newSlot = el("div", { hidden: true });
  const items = itemNamer();
  const newForm = canWrite ? orderForm({ suppliers, locations, items, onSaved: (po) => ctx.navigate(`/purchase-orders/${po.id}`), onCancel: () => closeNew() }) : null;
  if (newForm) newSlot.append(newForm.node);
  const supplierSection = suppliersSection(ctx, suppliers, () => { reloadNow(); newForm?.setSuppliers(suppliers); });

  const node = el("section", { class: "page orders-page", "aria-labelledby": "po-title" },
    el("header", { class: "page-head" }, el("h1", { id: "po-title", text: "Purchase orders" }), el("div", { class: "actions" }, newButton, exportCSV)),
    el("div", { class: "toolbar" }, filters, hint.node),
    error, newSlot,
    el("div", { class: "table-wrap" }, table, empty), pager,
    supplierSection.node);

  const changed = new Set();
  let seq = 0;

  function syncURL() {
    replaceURL(`/purchase-orders${query({ status: state.status, page: state.page > 1 ? state.page : "" })}`);
    keepFocus(filters, () => filters.replaceChildren(...["", ...statuses].map((s) => el("button", {
      type: "button", class: "count", "aria-pressed": String(state.status === s), "data-key": `status:${s}`, text: s ? word(s) : "All",
      onclick: () => { state.status = s; state.page = 1; syncURL(); reloadNow(); },
    }))));
  }

  async function load() {
    const mine = ++seq;
    const r = await get(`/api/v1/purchase_orders${query({ status: state.status, page: state.page, per_page: perPage })}`);
    if (mine !== seq) return;
    body.replaceChildren(...r.data.map((p) => {
      const lines = p.lines || [];
      const ordered = lines.reduce((a, l) => a + Number(l.quantity), 0);
      const got = lines.reduce((a, l) => a + received(l), 0);
      const tr = el("tr", { "data-id": String(p.id) },
        el("td", { class: "num" }, link(`/purchase-orders/${p.id}`, poName(p), { "aria-label": `Purchase order ${poName(p)}` })),
        el("td", { text: supplierName(p.supplier_id) }),
        el("td", { text: locName(p.location_id) }),
        el("td", {}, tag(p.status)),
        el("td", { class: "num", text: `${lines.length} line${lines.length === 1 ? "" : "s"} · ${got} of ${ordered} received` }),
        el("td", { class: "num", text: money(poTotal(p)) }),
        el("td", { class: "num muted", text: when(p.updated_at || p.created_at) }));
      if (changed.has(p.id)) flash(tr);
      return tr;
    }));
    changed.clear();
    table.hidden = !r.data.length;
    empty.hidden = !!r.data.length;
    empty.replaceChildren(el("p", { text: state.status ? `No ${word(state.status).toLowerCase()} purchase orders.`
      : canWrite ? (suppliers.length ? "No purchase orders yet — press N to order stock from a supplier." : "No purchase orders yet — add a supplier below first.") : "No purchase orders yet." }));
    renderPager(pager, { page: state.page, perPage, total: r.meta.total, summary: `${r.meta.total} order${r.meta.total === 1 ? "" : "s"}` },
      (p) => { state.page = p; syncURL(); reloadNow(); });
  }

  function openNew() {
    if (!newForm) return;
    newForm.reset();
    newSlot.hidden = false;
    newForm.focus();
  }
  function closeNew() {
    newSlot.hidden = true;
    newButton?.focus();
  }
  const tell = hint.tell;

  const reloadNow = () => load().catch((err) => { error.textContent = err.message; });
  const reload = debounce(reloadNow, 150);
  syncURL();
  await load();

  return {
    node,
    title: "Purchase orders",
    onEvent(ev) {
      if (ev.event.startsWith("supplier.")) { supplierSection.refresh(); return; }
      if (!ev.event.startsWith("purchase_order.")) return;
      const d = ev.data || {};
      const id = d.purchase_order_id ?? d.purchase_order?.id;
      if (id) changed.add(id);
      const po = d.purchase_order;
      if (po && ev.event === "purchase_order.status_changed") tell(`${poName(po)} is now ${word(po.status).toLowerCase()}`);
      else if (po && ev.event === "purchase_order.created") tell(`${poName(po)} created`);
      reload();
    },
    onResync: () => { reload(); supplierSection.refresh(); },
    onKey(e) {
      if (e.key === "n" && newForm) { openNew(); return true; }
      return false;
    },
    onEscape() {
      if (newForm && !newSlot.hidden) { closeNew(); return true; }
      return supplierSection.escape();
    },
    destroy() { reload.cancel(); seq++; },
  };
}

// orderForm creates a purchase order: supplier, location, and lines of
// catalog items, each with a quantity and a unit cost (the item's cost to start).
function orderForm({ suppliers, locations, items, onSaved, onCancel }) {
  const supplier = el("select", { name: "supplier_id" });
  const location = el("select", { name: "location_id" }, locations.map((l) => el("option", { value: String(l.id), text: l.name })));
  const linesBody = el("tbody");
  const linesTable = el("table", { class: "po-lines" },
    el("caption", { class: "visually-hidden", text: "Lines of the new order" }),
    el("thead", {}, el("tr", {}, ["Item", "Quantity", "Unit cost", ""].map((h) => el("th", { scope: "col", text: h })))), linesBody);
  const lines = []; // [{item, qty input, cost input}]
  const add = picker({
    id: "po-add-item", label: "Catalog items", placeholder: "Type a name, SKU or barcode to add a line",
    search: (q) => searchCatalog(q).then((list) => list.filter((it) => it.kind !== "service")),
    describe: (it) => ({ label: it.name, detail: [it.sku, money(it.cost ?? 0)].filter(Boolean).join(" · ") }),
    onPick: (it) => { addLine(it); add.clear(); add.input.focus(); },
  });
  const linesError = el("p", { class: "field-error", id: "po-add-item-error", role: "alert" });
  add.input.setAttribute("name", "lines");
  add.input.setAttribute("aria-describedby", "po-add-item-error");
  const error = el("p", { class: "error", role: "alert" });
  const submit = el("button", { type: "submit", text: "Create draft order" });
  const form = el("form", { class: "stack card-flat desk-form po-form", novalidate: true, "aria-labelledby": "po-form-title" },
    el("h2", { id: "po-form-title", text: "New purchase order" }),
    el("div", { class: "row" }, field("Supplier", supplier), field("Deliver to", location)),
    el("div", { class: "field" }, el("label", { for: "po-add-item", text: "Add a line from the catalog" }), add.node, linesError),
    linesTable, error,
    el("div", { class: "actions" }, submit, el("button", { type: "button", class: "quiet", text: "Cancel", onclick: () => onCancel() })));

  function setSuppliers(list) {
    const was = supplier.value;
    supplier.replaceChildren(el("option", { value: "", text: list.length ? "Choose a supplier" : "No suppliers yet — add one below" }),
      ...list.map((s) => el("option", { value: String(s.id), text: s.name, selected: String(s.id) === was })));
  }
  setSuppliers(suppliers);

  function renderLines() {
    linesBody.replaceChildren(...lines.map((ln, i) => el("tr", {},
      el("td", {}, el("strong", { text: ln.item.name }), ln.item.sku ? el("span", { class: "muted small", text: ` ${ln.item.sku}` }) : null),
      el("td", {}, ln.qty), el("td", {}, ln.cost),
      el("td", {}, el("button", { type: "button", class: "icon", "aria-label": `Remove ${ln.item.name}`, text: "×",
        onclick: () => { lines.splice(i, 1); renderLines(); add.input.focus(); } })))));
    if (!lines.length) linesBody.append(el("tr", {}, el("td", { colspan: 4, class: "muted", text: "No lines yet: find an item above." })));
  }
  function addLine(it) {
    items.remember(it);
    const same = lines.find((l) => l.item.id === it.id);
    if (same) { same.qty.value = String((integer(same.qty.value) || 0) + 1); return; }
    lines.push({
      item: it,
      qty: el("input", { name: `qty-${it.id}`, inputmode: "numeric", value: "1", size: 4, "aria-label": `Quantity of ${it.name}` }),
      cost: el("input", { name: `cost-${it.id}`, inputmode: "decimal", value: String(it.cost ?? 0), size: 7, "aria-label": `Unit cost of ${it.name}` }),
    });
    renderLines();
  }
  renderLines();

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    error.textContent = "";
    busy(submit, async () => {
      if (!lines.length) {
        showErrors(form, { details: [{ field: "lines", message: "Add at least one line from the catalog" }] });
        return;
      }
      try {
        const r = await call("POST", "/api/v1/purchase_orders", {
          supplier_id: Number(supplier.value) || 0, location_id: Number(location.value) || 0,
          lines: lines.map((l) => ({ item_id: l.item.id, quantity: integer(l.qty.value), unit_cost: parseDecimal(l.cost.value) })),
        });
        onSaved(r.data?.purchase_order || r.data);
      } catch (err) {
        // A line's error names it as lines[0].quantity: shown on that line.
        const details = (err.details || []).map((d) => {
          const m = /^lines\[(\d+)\]\.(quantity|unit_cost)/.exec(d.field || "");
          if (!m || !lines[+m[1]]) return d;
          return { ...d, field: `${m[2] === "quantity" ? "qty" : "cost"}-${lines[+m[1]].item.id}` };
        });
        if (!showErrors(form, { details })) error.textContent = err.message;
      }
    });
  });
  return {
    node: form,
    setSuppliers,
    reset() { lines.length = 0; renderLines(); error.textContent = ""; showErrors(form, {}); },
    focus: () => supplier.focus(),
  };
}

// purchaseOrderPage is one order: its lines with what has come in, and what
// can be done in its status — order it, receive, cancel.
export async function purchaseOrderPage(ctx, [id]) {
  const base = `/api/v1/purchase_orders/${id}`;
  const canWrite = ctx.can("purchase_orders.write");
  let po = (await get(base)).data;
  const [locations, supplier] = await Promise.all([
    locationsOrNone(),
    po.supplier_id ? get(`/api/v1/suppliers/${po.supplier_id}`).then((r) => r.data).catch(() => null) : null,
  ]);
  const items = itemNamer();
  await items.fill((po.lines || []).filter((l) => !l.name).map(lineItemId));

  const title = el("h1", {});
  const facts = el("dl", { class: "po-facts" });
  const actions = el("div", { class: "actions po-actions" });
  const error = el("p", { class: "error", role: "alert" });
  const notice = el("p", { class: "notice", role: "status", hidden: true });
  const linesBody = el("tbody", { "data-list": true });
  const receiveForm = el("form", { class: "receive-form", novalidate: true, "aria-labelledby": "po-lines-title" });
  const receiveButton = el("button", { type: "submit", text: "Receive" });
  const receiveError = el("p", { class: "error", role: "alert" });
  receiveForm.append(
    el("div", { class: "table-wrap" }, el("table", { class: "po-detail-lines" },
      el("caption", { class: "visually-hidden", text: "Lines" }),
      el("thead", {}, el("tr", {}, ["Item", "Ordered", "Received", "Outstanding", "Unit cost", "Line cost", "Receive now"].map((h, i) =>
        el("th", { scope: "col", class: i > 0 && i < 6 ? "num" : `${i === 6 ? "c-receive" : ""}`, text: h })))),
      linesBody)),
    receiveError,
    el("div", { class: "actions receive-actions" }, receiveButton,
      el("button", { type: "button", class: "quiet", text: "Fill everything outstanding", onclick: () => {
        for (const i of receiveForm.querySelectorAll("input[data-outstanding]")) i.value = i.dataset.outstanding;
      } })));

  const node = el("section", { class: "page po-page" },
    el("p", { class: "crumbs" }, link("/purchase-orders", "Purchase orders"), " / ", el("span", { class: "num", text: poName(po) })),
    el("header", { class: "page-head" }, title, actions),
    facts, notice, error,
    el("h2", { id: "po-lines-title", text: "Lines" }),
    receiveForm);

  const seen = new Map(); // item id → units received when last shown: only a line that changed flashes
  const canReceive = () => canWrite && (po.status === "ordered" || po.status === "partially_received");

  function render(flashLines) {
    title.replaceChildren(`${poName(po)} `, tag(po.status));
    const locName = locations.find((l) => l.id === po.location_id)?.name || "";
    facts.replaceChildren(
      el("dt", { text: "Supplier" }), el("dd", { text: supplier?.name || "—" }),
      el("dt", { text: "Deliver to" }), el("dd", { text: locName || "—" }),
      el("dt", { text: "Cost" }), el("dd", { class: "num", text: money(poTotal(po)) }),
      el("dt", { text: "Created" }), el("dd", {}, el("time", { datetime: po.created_at, title: fullTime(po.created_at), text: when(po.created_at) })));
    const act = (label, cls, run, confirmText) => el("button", { type: "button", class: cls, text: label, onclick: (e) => {
      if (confirmText && !confirm(confirmText)) return;
      busy(e.currentTarget, async () => {
        error.textContent = "";
        try {
          const r = await run();
          setPO(r.data?.purchase_order || r.data);
        } catch (err) {
          error.textContent = err.message;
        }
      });
    } });
    actions.replaceChildren();
    if (canWrite && po.status === "draft") actions.append(act("Mark as ordered", "", () => call("PATCH", base, { status: "ordered" })));
    if (canWrite && (po.status === "draft" || po.status === "ordered")) {
      actions.append(act("Cancel order", "quiet danger", () => call("PATCH", base, { status: "cancelled" }), `Cancel ${poName(po)}? Nothing more can be received on it.`));
    }
    const recv = canReceive();
    receiveForm.classList.toggle("receiving", recv);
    receiveButton.parentElement.hidden = !recv;
    // A reload (the order's own event, a change elsewhere) keeps what is
    // being typed, and the focus in it.
    const typed = new Map([...receiveForm.querySelectorAll("input[data-item]")].map((i) => [i.name, i.value]));
    const focused = receiveForm.contains(document.activeElement) ? document.activeElement.name : "";
    linesBody.replaceChildren(...(po.lines || []).map((l) => {
      const iid = lineItemId(l);
      const name = l.name || items.name(iid);
      const sku = l.sku || items.item(iid)?.sku;
      const out = outstanding(l);
      const input = recv && out > 0 ? el("input", {
        name: `receive-${iid}`, inputmode: "numeric", size: 4, value: typed.get(`receive-${iid}`) ?? "", placeholder: "0", "data-outstanding": String(out),
        "data-item": String(iid), "aria-label": `Receive how many of ${name} (${out} outstanding)`,
      }) : null;
      const tr = el("tr", { "data-id": String(iid) },
        el("td", {}, el("strong", { text: name }), sku ? el("span", { class: "muted small", text: ` ${sku}` }) : null),
        el("td", { class: "num" }, el("span", { class: "cell-label", text: "Ordered: " }), String(l.quantity)),
        el("td", { class: "num" }, el("span", { class: "cell-label", text: "Received: " }), String(received(l))),
        el("td", { class: `num ${out ? "" : "muted"}` }, el("span", { class: "cell-label", text: "Outstanding: " }), out ? String(out) : "None"),
        el("td", { class: "num" }, el("span", { class: "cell-label", text: "Unit cost: " }), money(l.unit_cost)),
        el("td", { class: "num" }, el("span", { class: "cell-label", text: "Line cost: " }), money(Number(l.quantity) * Number(l.unit_cost || 0))),
        el("td", { class: "c-receive" }, input, input ? el("p", { class: "field-error", role: "alert", id: `receive-${iid}-error` }) : null));
      if (input) input.setAttribute("aria-describedby", `receive-${iid}-error`);
      if (flashLines && seen.get(iid) !== received(l)) flash(tr);
      seen.set(iid, received(l));
      return tr;
    }));
    if (focused) receiveForm.querySelector(`input[name="${CSS.escape(focused)}"]`)?.focus({ preventScroll: true });
  }

  function setPO(next, flashLines) {
    if (!next) return;
    po = next;
    items.fill((po.lines || []).filter((l) => !l.name).map(lineItemId)).then(() => render(flashLines));
  }

  receiveForm.addEventListener("submit", (e) => {
    e.preventDefault();
    receiveError.textContent = "";
    const lines = [];
    const bad = [];
    for (const i of receiveForm.querySelectorAll("input[data-item]")) {
      if (!i.value.trim()) continue;
      const q = integer(i.value);
      if (typeof q !== "number" || q < 0) bad.push({ field: i.name, message: "Type a whole number" });
      else if (q > 0) lines.push({ item_id: Number(i.dataset.item), quantity: q });
    }
    if (bad.length) { showErrors(receiveForm, { details: bad }); return; }
    showErrors(receiveForm, {});
    if (!lines.length) { receiveError.textContent = "Type how many of each line came in, then Receive."; return; }
    busy(receiveButton, async () => {
      try {
        const r = await call("POST", `${base}/receive`, { lines });
        for (const i of receiveForm.querySelectorAll("input[data-item]")) i.value = "";
        setPO(r.data?.purchase_order || r.data, true);
        notice.hidden = false;
        notice.textContent = `Received ${lines.reduce((a, l) => a + l.quantity, 0)} unit${lines.length === 1 && lines[0].quantity === 1 ? "" : "s"}; stock at ${locations.find((l) => l.id === po.location_id)?.name || "the location"} is updated.`;
      } catch (err) {
        // More than outstanding (409) and the like: the API's words, next to the line when it names one.
        const details = (err.details || []).map((d) => {
          const m = /^lines\[(\d+)\]/.exec(d.field || "");
          return m && lines[+m[1]] ? { ...d, field: `receive-${lines[+m[1]].item_id}` } : d;
        });
        if (!showErrors(receiveForm, { details }) || err.status === 409) receiveError.textContent = err.message;
      }
    });
  });

  render();
  const reload = debounce(async () => {
    try { setPO((await get(base)).data, true); } catch { /* the next event tries again */ }
  }, 150);

  return {
    node,
    title: poName(po),
    onEvent(ev) {
      const d = ev.data || {};
      if (!ev.event.startsWith("purchase_order.")) return;
      if ((d.purchase_order_id ?? d.purchase_order?.id) !== po.id) return;
      reload();
    },
    onResync: reload,
    destroy() { reload.cancel(); },
  };
}

// suppliersSection lists the suppliers with add and edit, under the orders.
function suppliersSection(ctx, suppliers, changedList) {
  const canWrite = ctx.can("purchase_orders.write");
  const body = el("tbody");
  const error = el("p", { class: "error", role: "alert" });
  const slot = el("div", { hidden: true });
  const addButton = canWrite ? el("button", { type: "button", class: "secondary", text: "+ Add supplier", onclick: () => open(null) }) : null;
  const inputs = {
    name: el("input", { name: "name", autocomplete: "off", "aria-required": "true" }),
    contact: el("input", { name: "contact", autocomplete: "off" }),
    email: el("input", { name: "email", type: "email", autocomplete: "off" }),
    phone: el("input", { name: "phone", type: "tel", autocomplete: "off" }),
  };
  const formTitle = el("h3", { id: "supplier-form-title" });
  const formError = el("p", { class: "error", role: "alert" });
  const submit = el("button", { type: "submit" });
  const form = el("form", { class: "stack card-flat desk-form supplier-form", novalidate: true, "aria-labelledby": "supplier-form-title" },
    formTitle,
    el("div", { class: "row" }, field("Name", inputs.name), field("Contact", inputs.contact)),
    el("div", { class: "row" }, field("Email", inputs.email), field("Phone", inputs.phone)),
    formError,
    el("div", { class: "actions" }, submit, el("button", { type: "button", class: "quiet", text: "Cancel", onclick: () => close() })));
  slot.append(form);
  let editing = null;

  function render() {
    body.replaceChildren(...suppliers.map((s) => el("tr", { "data-id": String(s.id) },
      el("td", {}, el("strong", { text: s.name })),
      el("td", { text: s.contact || "" }),
      el("td", { class: "wrap", text: [s.email, s.phone].filter(Boolean).join(" · ") }),
      el("td", {}, canWrite ? el("button", { type: "button", class: "quiet", "aria-label": `Edit ${s.name}`, text: "Edit", onclick: () => open(s) }) : null))));
    if (!suppliers.length) body.append(el("tr", {}, el("td", { colspan: 4, class: "muted", text: canWrite ? "No suppliers yet — add the first one." : "No suppliers yet." })));
  }
  function open(s) {
    editing = s;
    form.reset();
    showErrors(form, {});
    formError.textContent = "";
    for (const [k, i] of Object.entries(inputs)) i.value = s?.[k] ?? "";
    formTitle.textContent = s ? `Edit ${s.name}` : "Add a supplier";
    submit.textContent = s ? "Save supplier" : "Add supplier";
    slot.hidden = false;
    inputs.name.focus();
  }
  function close() {
    slot.hidden = true;
    addButton?.focus();
  }
  async function refresh() {
    try {
      const list = await allPages("/api/v1/suppliers", {}, 5);
      suppliers.splice(0, suppliers.length, ...list);
      render();
    } catch (err) {
      error.textContent = err.message;
    }
  }
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    formError.textContent = "";
    busy(submit, async () => {
      const values = Object.fromEntries(Object.entries(inputs).map(([k, i]) => [k, i.value.trim()]));
      const body = editing ? Object.fromEntries(Object.entries(values).filter(([k, v]) => v !== (editing[k] ?? ""))) : values;
      if (editing && !Object.keys(body).length) { close(); return; }
      try {
        if (editing) await call("PATCH", `/api/v1/suppliers/${editing.id}`, body);
        else await call("POST", "/api/v1/suppliers", body);
        close();
        await refresh();
        changedList();
      } catch (err) {
        if (!showErrors(form, err)) formError.textContent = err.message;
      }
    });
  });
  render();
  return {
    node: el("section", { class: "suppliers", "aria-labelledby": "suppliers-title" },
      el("div", { class: "section-head" }, el("h2", { id: "suppliers-title", text: "Suppliers" }), addButton),
      error, slot,
      el("div", { class: "table-wrap" }, el("table", { class: "suppliers-table" },
        el("caption", { class: "visually-hidden", text: "Suppliers" }),
        el("thead", {}, el("tr", {}, ["Name", "Contact", "Email and phone", ""].map((h) => el("th", { scope: "col", text: h })))), body))),
    refresh,
    escape() {
      if (slot.hidden) return false;
      close();
      return true;
    },
  };
}
