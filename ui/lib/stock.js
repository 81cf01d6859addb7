// The shop's stock and money screens share these: quantities and stock
// levels as the API answers them, a type-to-search picker (catalog items,
// customers), CSV downloads and uploads in the tab's mode, and the words for
// the pipelines' statuses (always a word as well as a colour).

import { el } from "./dom.js";
import { ApiError, get, mode, query } from "./api.js";

// onHand is the quantity in stock a stock level reports.
export function onHand(level) {
  if (!level) return 0;
  return Number(level.quantity ?? level.on_hand ?? level.in_stock ?? level.stock ?? 0);
}

// isLow says whether a level is at or below its item's reorder level (an
// item without one is never low), unless the API said so itself.
export function isLow(level, item) {
  if (level && typeof level.low_stock === "boolean") return level.low_stock;
  if (level && typeof level.low === "boolean") return level.low;
  const reorder = Number(item?.reorder_level ?? level?.reorder_level ?? 0);
  return reorder > 0 && onHand(level) <= reorder;
}

// allPages reads every page of a list (up to max pages of 200).
export async function allPages(path, params = {}, max = 10) {
  const out = [];
  for (let page = 1; page <= max; page++) {
    const r = await get(`${path}${query({ ...params, page, per_page: 200 })}`);
    out.push(...r.data);
    if (out.length >= (r.meta?.total ?? 0) || r.data.length < 200) break;
  }
  return out;
}

// fetchCSV downloads a list as CSV in the tab's mode (a plain link could
// not send the mode) and hands it to the browser as a file.
export async function downloadCSV(path, filename) {
  const res = await fetch(path, { headers: { "Portal-Mode": mode(), Accept: "text/csv" }, credentials: "same-origin" });
  if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => ({})));
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = el("a", { href: url, download: filename, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// exportButton is a list's "Export CSV": the list's endpoint with its filters.
export function exportButton(label, path, params, filename, onError) {
  const b = el("button", { type: "button", class: "secondary export", text: label });
  b.addEventListener("click", async () => {
    b.disabled = true;
    try {
      await downloadCSV(`${path}${query(params())}`, filename);
    } catch (err) {
      onError(err);
    } finally {
      b.disabled = false;
    }
  });
  return b;
}

// postCSV sends a CSV file's text to an import endpoint and answers the
// envelope; a refusal that lists bad rows answers them too (as data).
export async function postCSV(path, text) {
  let res;
  try {
    res = await fetch(path, {
      method: "POST", credentials: "same-origin", body: text,
      headers: { "Portal-Mode": mode(), "Content-Type": "text/csv" },
    });
  } catch {
    throw new ApiError(0, { error: { message: "Portal cannot be reached. Check that it is running, then try again." } });
  }
  const env = await res.json().catch(() => ({}));
  if (!res.ok) {
    const err = new ApiError(res.status, env);
    err.rows = rowErrors(env.error) || rowErrors(env.data) || rowErrors(env);
    throw err;
  }
  return env;
}

// rowErrors finds the bad rows in an answer: [{line, column, message}].
export function rowErrors(x) {
  if (!x) return null;
  for (const list of [x.errors, x.rows, x.details]) {
    if (Array.isArray(list) && list.some((e) => e && (e.line !== undefined || e.row !== undefined))) {
      return list.map((e) => ({ line: e.line ?? e.row, column: e.column ?? e.field ?? "", message: e.message ?? "" }));
    }
  }
  return null;
}

// picker is a combobox over a search: typing asks search(q) for matches,
// shown by describe(item) → {label, detail}; choosing one calls onPick.
export function picker({ id, label, placeholder, search, describe, onPick, name = "" }) {
  const input = el("input", {
    type: "text", id, name, autocomplete: "off", role: "combobox", "aria-autocomplete": "list",
    "aria-expanded": "false", "aria-controls": `${id}-options`, placeholder,
  });
  const list = el("ul", { id: `${id}-options`, role: "listbox", class: "options", hidden: true, "aria-label": label });
  let items = [];
  let active = -1;
  let seq = 0;
  let timer = 0;

  function render() {
    list.replaceChildren(...items.map((it, i) => {
      const d = describe(it);
      return el("li", {
        role: "option", id: `${id}-opt-${i}`, "aria-selected": String(i === active), "aria-disabled": d.disabled ? "true" : null,
        onmousedown: (e) => { e.preventDefault(); choose(i); },
      }, el("span", { class: "opt-label", text: d.label }), d.detail ? el("span", { class: "muted small opt-detail", text: ` ${d.detail}` }) : null);
    }));
    if (!items.length && input.value.trim()) list.append(el("li", { class: "muted", "aria-disabled": "true", text: "Nothing matches" }));
    const open = !!input.value.trim() && document.activeElement === input;
    list.hidden = !open;
    input.setAttribute("aria-expanded", String(open));
    if (active >= 0) input.setAttribute("aria-activedescendant", `${id}-opt-${active}`);
    else input.removeAttribute("aria-activedescendant");
  }
  function choose(i) {
    const it = items[i];
    if (!it) return;
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    onPick(it);
  }
  async function lookup() {
    const mine = ++seq;
    const q = input.value.trim();
    if (!q) { items = []; active = -1; render(); return; }
    try {
      const found = await search(q);
      if (mine !== seq) return;
      items = found;
      active = found.length ? 0 : -1;
      render();
    } catch { /* the next keystroke asks again */ }
  }
  input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(lookup, 150); });
  input.addEventListener("blur", () => { list.hidden = true; input.setAttribute("aria-expanded", "false"); });
  input.addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      if (!items.length) return;
      e.preventDefault();
      active = (active + (e.key === "ArrowDown" ? 1 : -1) + items.length) % items.length;
      render();
    } else if (e.key === "Enter") {
      if (list.hidden || active < 0) return;
      e.preventDefault();
      choose(active);
    } else if (e.key === "Escape" && !list.hidden) {
      e.preventDefault(); // closes the list only
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
    }
  });
  return {
    node: el("div", { class: "combo" }, input, list),
    input,
    clear() { input.value = ""; items = []; active = -1; render(); },
  };
}

// searchCatalog finds catalog items by name, sku or barcode.
export async function searchCatalog(q, perPage = 8) {
  return (await get(`/api/v1/catalog/items${query({ q, per_page: perPage })}`)).data;
}

// searchCustomers finds customers by name, email or phone.
export async function searchCustomers(q, perPage = 8) {
  return (await get(`/api/v1/customers${query({ q, per_page: perPage })}`)).data;
}

// Words for the pipelines' statuses; a colour class goes with each.
const words = {
  draft: "Draft", ordered: "Ordered", partially_received: "Partly received", received: "Received", cancelled: "Cancelled",
  acquired: "Acquired", testing: "Testing", refurbishing: "Refurbishing", listed: "Listed", sold: "Sold", scrapped: "Scrapped",
  completed: "Completed", refunded: "Refunded", partially_refunded: "Partly refunded", voided: "Voided", void: "Voided",
};
const classes = {
  draft: "st-new", ordered: "st-progress", partially_received: "st-waiting", received: "st-ready", cancelled: "st-closed",
  acquired: "st-new", testing: "st-progress", refurbishing: "st-waiting", listed: "st-ready", sold: "st-closed", scrapped: "st-failed",
  refunded: "st-closed", partially_refunded: "st-waiting", voided: "st-failed", void: "st-failed",
};
export function word(s) {
  return words[s] || String(s || "").replaceAll("_", " ").replace(/^./, (c) => c.toUpperCase());
}
export function tag(s) {
  return el("span", { class: `status ${classes[s] || "st-progress"}`, text: word(s) });
}

// locationsOrNone lists the shop's locations by name ([] without the scope).
export async function locationsOrNone() {
  try {
    return (await get(`/api/v1/locations${query({ per_page: 200, sort: "name" })}`)).data;
  } catch (err) {
    if (err.status === 403) return [];
    throw err;
  }
}

// integer reads a typed whole number ("+3", "-2", "4"); else the text as typed.
export function integer(text) {
  const s = String(text ?? "").trim().replace(/^\u2212/, "-");
  return /^[+-]?\d+$/.test(s) ? Number(s) : s;
}

// liveHint is a list's "what just changed" lines: a status region around a
// list (a list inside, so its items stay list items), the newest first.
export function liveHint(label = "Recent changes") {
  const list = el("ul", { class: "live-hint", "aria-label": label });
  const node = el("div", { class: "shop-hint", role: "status", "aria-live": "polite" }, list);
  return {
    node,
    tell(text) {
      list.prepend(el("li", {}, text, el("span", { class: "muted", text: " · just now" })));
      while (list.children.length > 3) list.lastElementChild.remove();
    },
  };
}
