// The devices board: phones and tablets the shop buys, tests, refurbishes,
// lists and sells, one column a status (sold and scrapped folded at the
// end). A device moves with "Move to"; where the shop's rules do not allow
// a move, the API's answer (which names the allowed ones) is shown on the
// card. A listed device is sold with its price and buyer; a new one is
// added with the customer who sold it to the shop. Live.

import { el, field, showErrors, busy, debounce, flash } from "../lib/dom.js";
import { call, get, query } from "../lib/api.js";
import { money, when, parseDecimal } from "../lib/format.js";
import { replaceURL } from "../lib/mode.js";
import { customerNames, rememberCustomer } from "../lib/customers.js";
import { tag, word, exportButton, locationsOrNone, allPages, picker, searchCustomers, liveHint } from "../lib/stock.js";
import { attachments } from "../lib/attachments.js";

const columns = [
  ["acquired", "Acquired", "Nothing bought and waiting."],
  ["testing", "Testing", "Nothing being tested."],
  ["refurbishing", "Refurbishing", "Nothing on the bench."],
  ["listed", "Listed", "Nothing for sale."],
];
const statuses = ["acquired", "testing", "refurbishing", "listed", "sold", "scrapped"];
const grades = ["", "A", "B", "C", "D"];
const deviceName = (d) => [d.brand, d.model].filter(Boolean).join(" ") || `Device ${d.id}`;

export async function devicesPage(ctx, _params, search) {
  const canWrite = ctx.can("devices.write");
  const locations = await locationsOrNone();
  const state = { q: search.get("q") || "", location_id: search.get("location_id") || "" };

  const searchBox = el("input", {
    type: "search", name: "q", value: state.q, "data-search": true, "aria-label": "Search devices",
    placeholder: "Search brand, model, IMEI, serial   /", autocomplete: "off",
  });
  const where = locations.length > 1 ? el("select", { name: "location_id", "aria-label": "Location" },
    el("option", { value: "", text: "Every location" }),
    locations.map((l) => el("option", { value: String(l.id), text: l.name, selected: String(l.id) === state.location_id }))) : null;
  const error = el("p", { class: "error", role: "alert" });
  const hint = liveHint();
  const addButton = canWrite ? el("button", { type: "button", text: "+ Add device", onclick: () => openForm() }) : null;
  const exportCSV = exportButton("Export CSV", "/api/v1/devices.csv", () => ({ q: state.q, location_id: state.location_id }), "devices.csv",
    (err) => { error.textContent = err.message; });
  const board = el("div", { class: "device-board" });
  const done = el("details", { class: "device-done" });
  const formSlot = el("div", { hidden: true });
  const form = canWrite ? deviceForm({ locations, onSaved: (d) => { closeForm(); changed.add(d.id); reloadNow(); }, onCancel: () => closeForm() }) : null;
  if (form) formSlot.append(form.node);
  const sale = canWrite ? saleDialog((d) => { changed.add(d.id); reloadNow(); }) : null;
  const photos = ctx.can("files.read") ? photosDialog(ctx) : null;

  const node = el("section", { class: "page devices-page", "aria-labelledby": "devices-title" },
    el("header", { class: "page-head" }, el("h1", { id: "devices-title", text: "Devices" }), searchBox,
      el("div", { class: "actions" }, addButton, exportCSV)),
    el("div", { class: "toolbar" }, where, hint.node),
    error, formSlot, board, done, sale?.node, photos?.node);

  const changed = new Set();
  const cardErrors = new Map(); // device id → the last refusal, kept across a reload
  let seq = 0;
  let names = () => "";
  let totals = null; // status → count, from GET /devices/counts
  const countOf = (status, shown) => totals?.[status] ?? shown;

  function syncURL() {
    replaceURL(`/devices${query({ q: state.q, location_id: state.location_id })}`);
  }

  async function load() {
    const mine = ++seq;
    const params = { q: state.q, location_id: state.location_id };
    // The columns' counts come from the store's kept counts, so they are
    // right however many devices the board holds.
    const [list, counts] = await Promise.all([
      allPages("/api/v1/devices", params, 5),
      state.q ? null // a search counts what it found
        : get(`/api/v1/devices/counts${query({ by: "status", location_id: state.location_id })}`).then((r) => r.data).catch(() => null),
    ]);
    const nm = await customerNames(list.flatMap((d) => [d.seller_customer_id, d.buyer_customer_id]));
    if (mine !== seq) return;
    names = nm;
    totals = counts;
    render(list);
  }

  function render(list) {
    const focusId = document.activeElement?.closest?.("li[data-id]")?.dataset.id;
    const focusAction = document.activeElement?.dataset?.action;
    board.replaceChildren(...columns.map(([status, title, none]) => {
      const mine = list.filter((d) => d.status === status).sort((a, b) => new Date(b.updated_at) - new Date(a.updated_at));
      const id = `dev-${status}`;
      return el("section", { class: `device-col dev-${status}`, "aria-labelledby": id },
        el("h2", { id }, `${title} `, el("span", { class: "num count-pill", text: String(countOf(status, mine.length)) })),
        mine.length ? el("ul", { class: "device-list", "data-list": true, "aria-labelledby": id }, mine.map(card))
          : el("p", { class: "empty-col muted", text: status === "acquired" && canWrite ? `${none} Press N to add a device.` : none }));
    }));
    const gone = list.filter((d) => d.status === "sold" || d.status === "scrapped").sort((a, b) => new Date(b.updated_at) - new Date(a.updated_at));
    const sold = gone.filter((d) => d.status === "sold");
    const wasOpen = done.open;
    done.replaceChildren(
      el("summary", {}, el("h2", { id: "dev-done" }, "Sold and scrapped ",
        el("span", { class: "num count-pill", text: String(totals ? (totals.sold || 0) + (totals.scrapped || 0) : gone.length) }),
        sold.length ? el("span", { class: "muted small", text: ` · ${sold.length} sold for ${money(sold.reduce((a, d) => a + Number(d.sale_price || 0), 0))}` }) : null)),
      gone.length ? el("ul", { class: "device-list done-list", "aria-labelledby": "dev-done" }, gone.map(card)) : el("p", { class: "muted", text: "None yet." }));
    done.open = wasOpen;
    changed.clear();
    if (focusId) {
      const li = node.querySelector(`li[data-id="${focusId}"]`);
      (li?.querySelector(`[data-action="${focusAction}"]`) || li?.querySelector("select, button"))?.focus({ preventScroll: true });
    }
  }

  function card(d) {
    const rowError = el("p", { class: "field-error", role: "alert", text: cardErrors.get(d.id) || "" });
    const facts = [d.storage, d.colour, d.grade ? `Grade ${d.grade}` : ""].filter(Boolean).join(" · ");
    const codes = [d.imei && `IMEI ${d.imei}`, d.serial && `S/N ${d.serial}`].filter(Boolean).join(" · ");
    const prices = [`Bought ${money(d.purchase_price)}`, d.asking_price != null ? `asking ${money(d.asking_price)}` : "",
      d.status === "sold" && d.sale_price != null ? `sold ${money(d.sale_price)}` : ""].filter(Boolean).join(" · ");
    const people = [d.seller_customer_id ? `from ${names(d.seller_customer_id)}` : "", d.buyer_customer_id ? `to ${names(d.buyer_customer_id)}` : ""].filter(Boolean).join(" ");
    const actions = [];
    if (canWrite && d.status !== "sold" && d.status !== "scrapped") {
      const to = el("select", { "aria-label": `Move ${deviceName(d)} to`, "data-action": "move-to", class: "move-to" },
        el("option", { value: "", text: "Move to…" }),
        statuses.filter((s) => s !== d.status && s !== "sold").map((s) => el("option", { value: s, text: word(s) })));
      const go = el("button", { type: "button", class: "secondary", "data-action": "move", "aria-label": `Move ${deviceName(d)}`, text: "Move",
        onclick: (e) => { if (to.value) move(e.currentTarget, d, to.value); else to.focus(); } });
      actions.push(to, go);
      if (d.status === "listed") {
        actions.push(el("button", { type: "button", "data-action": "sell", "aria-label": `Sell ${deviceName(d)}`, text: "Sell", onclick: () => sale.ask(d) }));
      }
    }
    if (photos) {
      actions.push(el("button", { type: "button", class: "quiet", "data-action": "photos", "aria-label": `Photos and documents of ${deviceName(d)}`,
        text: "Photos", onclick: () => photos.open(d) }));
    }
    const li = el("li", { class: `device-card st-${d.status}`, "data-id": String(d.id), "data-status": d.status },
      el("div", { class: "device-main" },
        el("p", { class: "device-name" }, el("strong", { text: deviceName(d) }), " ", d.status === "sold" || d.status === "scrapped" ? tag(d.status) : null),
        facts ? el("p", { class: "device-meta", text: facts }) : null,
        codes ? el("p", { class: "device-meta muted mono", text: codes }) : null,
        el("p", { class: "device-meta num", text: prices }),
        people ? el("p", { class: "device-meta muted", text: people }) : null,
        el("p", { class: "device-meta muted small", text: `${locations.length > 1 ? `${locations.find((l) => l.id === d.location_id)?.name || ""} · ` : ""}since ${when(lastMove(d))}` }),
        rowError),
      actions.length ? el("div", { class: "device-actions" }, actions) : null);
    if (changed.has(d.id)) flash(li);
    return li;
  }

  async function move(button, d, status) {
    cardErrors.delete(d.id);
    await busy(button, async () => {
      try {
        const r = await call("PATCH", `/api/v1/devices/${d.id}`, { status });
        const next = r.data?.device || r.data;
        changed.add(d.id);
        tell(`${deviceName(d)} moved to ${word(status).toLowerCase()}`);
        if (next?.id) await load();
      } catch (err) {
        // An illegal move: the API names the moves that are allowed.
        cardErrors.set(d.id, err.message);
        const p = node.querySelector(`li[data-id="${d.id}"] .field-error`);
        if (p) p.textContent = err.message;
      }
    });
  }

  function lastMove(d) {
    const h = d.status_history || [];
    return h.length ? h[h.length - 1].at : d.updated_at || d.created_at;
  }

  function openForm() {
    if (!form) return;
    form.reset();
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
  const onSearch = debounce(() => { state.q = searchBox.value.trim(); syncURL(); reloadNow(); }, 200);
  searchBox.addEventListener("input", onSearch);
  where?.addEventListener("change", () => { state.location_id = where.value; syncURL(); reloadNow(); });
  syncURL();
  await load();

  return {
    node,
    title: "Devices",
    onEvent(ev) {
      photos?.onEvent(ev);
      if (ev.event.startsWith("customer.")) rememberCustomer(ev.data?.customer);
      if (!ev.event.startsWith("device.")) return;
      const d = ev.data || {};
      const dev = d.device;
      const id = d.device_id ?? dev?.id;
      if (id) { changed.add(id); cardErrors.delete(id); }
      if (dev && ev.event === "device.status_changed") tell(`${deviceName(dev)} is now ${word(dev.status).toLowerCase()}`);
      else if (dev && ev.event === "device.sold") tell(`${deviceName(dev)} sold${dev.sale_price != null ? ` for ${money(dev.sale_price)}` : ""}`);
      else if (dev && ev.event === "device.received") tell(`${deviceName(dev)} bought in`);
      reload();
    },
    onResync: reload,
    onKey(e) {
      if (e.key === "n" && form) { openForm(); return true; }
      return false;
    },
    onEscape() {
      if (form && !formSlot.hidden) { closeForm(); return true; }
      if (!state.q) return false;
      searchBox.value = "";
      onSearch.cancel();
      state.q = "";
      syncURL();
      reloadNow();
      return true;
    },
    destroy() { reload.cancel(); onSearch.cancel(); seq++; photos?.close(); },
  };
}

// photosDialog shows one device's photos and documents (its condition when
// bought, the test report) in a dialog over the board, live while open.
function photosDialog(ctx) {
  const title = el("h2", { id: "device-photos-title" });
  const slot = el("div", { class: "device-photos-slot" });
  const node = el("dialog", { class: "desk-dialog device-photos", "aria-labelledby": "device-photos-title" },
    el("div", { class: "device-photos-head" }, title,
      el("button", { type: "button", class: "quiet", text: "Close", onclick: () => node.close() })),
    slot);
  let files = null;
  let shown = null; // the device whose files are open
  node.addEventListener("close", () => {
    files?.destroy();
    files = null;
    slot.replaceChildren();
    // Back to the card's Photos button, also when the board was redrawn meanwhile.
    document.querySelector(`.device-card[data-id="${shown}"] [data-action="photos"]`)?.focus({ preventScroll: true });
  });
  return {
    node,
    open(d) {
      files?.destroy();
      shown = d.id;
      title.textContent = deviceName(d);
      files = attachments(ctx, { type: "device", id: d.id }, { headingLevel: 3 });
      slot.replaceChildren(files.node);
      node.showModal();
    },
    onEvent: (ev) => files?.onEvent(ev),
    close: () => { if (node.open) node.close(); },
  };
}

// customerField finds a customer by typing and shows the one picked; its
// error place is named after the field, for the API's 422.
function customerField(id, labelText) {
  let chosen = null;
  const shown = el("p", { class: "picked", hidden: true });
  const error = el("p", { class: "field-error", id: `${id}-error`, role: "alert" });
  const p = picker({
    id, label: "Matching customers", placeholder: "Name, phone or email", name: id,
    search: (q) => searchCustomers(q),
    describe: (c) => ({ label: c.name, detail: [c.phone, c.email].filter(Boolean).join(" · ") }),
    onPick: (c) => { set(c); },
  });
  p.input.setAttribute("aria-describedby", `${id}-error`);
  function set(c) {
    chosen = c;
    if (c) rememberCustomer(c);
    shown.hidden = !c;
    p.node.hidden = !!c;
    shown.replaceChildren(...(c ? [el("strong", { text: c.name }), c.phone || c.email ? el("span", { class: "muted", text: c.phone || c.email }) : null,
      el("button", { type: "button", class: "linklike", text: "Change", onclick: () => { set(null); p.clear(); p.input.focus(); } })] : []));
  }
  return {
    node: el("div", { class: "field" }, el("label", { for: id, text: labelText }), p.node, shown, error),
    get: () => chosen,
    set,
  };
}

// deviceForm adds a device bought in: what it is, its codes, what was paid
// and to whom.
function deviceForm({ locations, onSaved, onCancel }) {
  const inputs = {
    brand: el("input", { name: "brand", autocomplete: "off" }),
    model: el("input", { name: "model", autocomplete: "off" }),
    imei: el("input", { name: "imei", inputmode: "numeric", autocomplete: "off" }),
    serial: el("input", { name: "serial", autocomplete: "off" }),
    storage: el("input", { name: "storage", autocomplete: "off", placeholder: "128 GB" }),
    colour: el("input", { name: "colour", autocomplete: "off" }),
    grade: el("select", { name: "grade" }, grades.map((g) => el("option", { value: g, text: g ? `Grade ${g}` : "Not graded yet" }))),
    purchase_price: el("input", { name: "purchase_price", inputmode: "decimal", autocomplete: "off" }),
    asking_price: el("input", { name: "asking_price", inputmode: "decimal", autocomplete: "off" }),
    location_id: el("select", { name: "location_id" }, locations.map((l) => el("option", { value: String(l.id), text: l.name }))),
  };
  const seller = customerField("seller_customer_id", "Bought from (customer)");
  const error = el("p", { class: "error", role: "alert" });
  const submit = el("button", { type: "submit", text: "Add device" });
  const form = el("form", { class: "stack card-flat desk-form", novalidate: true, "aria-labelledby": "device-form-title" },
    el("h2", { id: "device-form-title", text: "Add a device bought in" }),
    el("div", { class: "row" }, field("Brand", inputs.brand), field("Model", inputs.model), field("Storage", inputs.storage), field("Colour", inputs.colour)),
    el("div", { class: "row" }, field("IMEI", inputs.imei, "15 digits; *#06# on the phone shows it"), field("Serial number", inputs.serial), field("Grade", inputs.grade)),
    el("div", { class: "row" }, field("Paid", inputs.purchase_price), field("Asking price", inputs.asking_price),
      locations.length > 1 ? field("Location", inputs.location_id) : null),
    seller.node,
    error,
    el("div", { class: "actions" }, submit, el("button", { type: "button", class: "quiet", text: "Cancel", onclick: () => onCancel() })));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    error.textContent = "";
    busy(submit, async () => {
      const body = {};
      for (const [k, i] of Object.entries(inputs)) {
        const v = i.value.trim();
        if (k === "purchase_price") body[k] = parseDecimal(v || "0");
        else if (k === "asking_price") { if (v) body[k] = parseDecimal(v); }
        else if (k === "location_id") { if (v) body[k] = Number(v); }
        else body[k] = v;
      }
      if (seller.get()) body.seller_customer_id = seller.get().id;
      try {
        const r = await call("POST", "/api/v1/devices", body);
        showErrors(form, {});
        onSaved(r.data?.device || r.data);
      } catch (err) {
        if (!showErrors(form, err)) error.textContent = err.message;
      }
    });
  });
  return {
    node: form,
    reset() { form.reset(); seller.set(null); showErrors(form, {}); error.textContent = ""; },
    focus: () => inputs.brand.focus(),
  };
}

// saleDialog records a sale: the price (the asking price to start) and the buyer.
function saleDialog(onSold) {
  const price = el("input", { name: "sale_price", inputmode: "decimal", autocomplete: "off" });
  const buyer = customerField("buyer_customer_id", "Buyer (customer, optional)");
  const title = el("h2", { id: "sale-title" });
  const error = el("p", { class: "error", role: "alert" });
  const submit = el("button", { type: "submit", text: "Record sale" });
  const form = el("form", { class: "stack", novalidate: true },
    title, field("Sale price", price), buyer.node, error,
    el("div", { class: "actions" }, submit, el("button", { type: "button", class: "quiet", text: "Cancel", onclick: () => node.close() })));
  const node = el("dialog", { class: "desk-dialog sale-dialog", "aria-labelledby": "sale-title" }, form);
  let device = null;
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    error.textContent = "";
    busy(submit, async () => {
      const body = { status: "sold", sale_price: parseDecimal(price.value) };
      if (buyer.get()) body.buyer_customer_id = buyer.get().id;
      try {
        const r = await call("PATCH", `/api/v1/devices/${device.id}`, body);
        node.close();
        onSold(r.data?.device || r.data || device);
      } catch (err) {
        if (!showErrors(form, err)) error.textContent = err.message;
      }
    });
  });
  return {
    node,
    ask(d) {
      device = d;
      title.textContent = `Sell ${deviceName(d)}`;
      price.value = d.asking_price != null ? String(d.asking_price) : "";
      buyer.set(null);
      showErrors(form, {});
      error.textContent = "";
      node.showModal();
      price.focus();
    },
  };
}
