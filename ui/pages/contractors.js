// Contractors: the firms' people who work on site. Each shows whether they
// are approved, and when their induction and insurance run out — expired,
// or expiring within two weeks, is said in words as well as colour, since
// either stops them checking in. Approve or reject, check in at a location
// and out, add and edit.

import { el, field, showErrors, busy, debounce, flash, reconcile, renderPager } from "../lib/dom.js";
import { call, get, query, listSorts } from "../lib/api.js";
import { replaceURL } from "../lib/mode.js";
import { shopZone } from "../lib/format.js";
import { loadLocations, listFilters, statusWord, statusTag, locationNames, dayIn, timeIn, validZone } from "./visitorsdesk.js";

const perPage = 50;
const warnDays = 14;

// expiry describes a YYYY-MM-DD date against today: [text, level], level
// "bad" (missing or past), "warn" (within two weeks) or "".
export function expiry(date, today) {
  if (!date) return ["Not on file", "bad"];
  const days = Math.round((Date.parse(date) - Date.parse(today)) / 86400000);
  const shown = new Intl.DateTimeFormat(undefined, { timeZone: "UTC", dateStyle: "medium" }).format(Date.parse(date));
  if (days < 0) return [`Expired ${shown}`, "bad"];
  if (days === 0) return [`Expires today (${shown})`, "warn"];
  if (days <= warnDays) return [`Expires in ${days} day${days === 1 ? "" : "s"} (${shown})`, "warn"];
  return [shown, ""];
}

export async function contractorsPage(ctx, _params, search) {
  const [locations, filters, sorts] = await Promise.all([
    loadLocations(), listFilters("/contractors"), listSorts("/contractors"),
  ]);
  const locName = locationNames(locations);
  const canWrite = ctx.can("contractors.write");
  const state = {
    extra: {},
    sort: sorts.some((s) => s.name === search.get("sort")) ? search.get("sort") : "company",
    page: Math.max(1, Number(search.get("page")) || 1),
  };
  if (!sorts.some((s) => s.name === state.sort)) state.sort = sorts[0]?.name || "";
  for (const f of filters) if (search.get(f.name)) state.extra[f.name] = search.get(f.name);
  const today = () => dayIn(shopZone());

  const controls = filters.map((f) => {
    const c = f.values
      ? el("select", { name: f.name, "aria-label": f.name === "status" ? "Status" : f.name },
        el("option", { value: "", text: f.name === "status" ? "Any status" : `Any ${f.name}` }),
        f.values.map((v) => el("option", { value: v, text: statusWord(v), selected: state.extra[f.name] === v })))
      : el("input", { name: f.name, "aria-label": f.name, placeholder: f.name, title: f.doc, value: state.extra[f.name] || "" });
    c.addEventListener("change", () => { state.extra[f.name] = c.value; state.page = 1; syncURL(); reloadNow(); });
    return c;
  });
  const sort = sorts.length ? el("select", { name: "sort", "aria-label": "Sort" },
    sorts.map((s) => el("option", { value: s.name, text: s.label, selected: s.name === state.sort }))) : null;
  sort?.addEventListener("change", () => { state.sort = sort.value; state.page = 1; syncURL(); reloadNow(); });

  const addButton = canWrite ? el("button", { type: "button", text: "+ Add contractor", onclick: () => openForm(null) }) : null;
  const body = el("tbody", { "data-list": true });
  const table = el("table", { class: "contractors rows-plain" },
    el("caption", { class: "visually-hidden", text: "Contractors" }),
    el("thead", {}, el("tr", {}, ["Company", "Contact", "Status", "Induction", "Insurance", "On site", ""].map((h, i) => el("th", { scope: "col", class: `k-${i}`, text: h })))),
    body);
  const empty = el("div", { class: "empty", hidden: true });
  const pager = el("nav", { class: "pager", "aria-label": "Pages" });
  const error = el("p", { class: "error", role: "alert" });
  const formSlot = el("div", { hidden: true });
  const warnings = el("div", { class: "contractor-warnings", role: "status" });
  const form = canWrite ? contractorForm({ onSaved: (c) => { closeForm(); changed.add(c.id); reloadNow(); }, onCancel: () => closeForm() }) : null;
  if (form) formSlot.append(form.node);
  const rejectDialog = canWrite ? rejectAsk() : null;

  const node = el("section", { class: "page", "aria-labelledby": "contractors-title" },
    el("header", { class: "page-head" }, el("h1", { id: "contractors-title", text: "Contractors" }), addButton),
    el("div", { class: "toolbar" }, controls, sort),
    warnings, error, formSlot,
    el("div", { class: "table-wrap" }, table, empty), pager,
    rejectDialog?.node);

  const changed = new Set();
  let seq = 0;

  function syncURL() {
    replaceURL(`/contractors${query({ ...state.extra, sort: state.sort === "company" ? "" : state.sort, page: state.page > 1 ? state.page : "" })}`);
  }

  async function load() {
    const mine = ++seq;
    const r = await get(`/api/v1/contractors${query({ ...state.extra, sort: state.sort, page: state.page, per_page: perPage })}`);
    if (mine !== seq) return;
    render(r.data);
    renderPager(pager, { page: state.page, perPage, total: r.meta.total, summary: `${r.meta.total} contractor${r.meta.total === 1 ? "" : "s"}` },
      (p) => { state.page = p; syncURL(); reloadNow(); });
  }

  const shownRows = new Map(); // contractor id → {sig, tr}
  function render(list) {
    const t = today();
    const focused = document.activeElement?.closest?.("tr[data-id]")?.dataset.id;
    const focusedAction = document.activeElement?.dataset?.action;
    // A row whose contractor did not change keeps its node (and a place
    // chosen in its select), so a reload never pulls it from under a click.
    const rows = list.map((c) => {
      const sig = JSON.stringify([c, t, locations.length]);
      let shown = shownRows.get(c.id);
      if (changed.has(c.id) || shown?.sig !== sig) {
        shown = { sig, tr: row(c, t) };
        shownRows.set(c.id, shown);
      }
      return shown.tr;
    });
    for (const id of [...shownRows.keys()]) if (!list.some((c) => c.id === id)) shownRows.delete(id);
    reconcile(body, rows);
    changed.clear();
    table.hidden = !list.length;
    empty.hidden = !!list.length;
    empty.replaceChildren(el("p", { text: Object.values(state.extra).some(Boolean)
      ? "No contractor matches this filter."
      : canWrite ? "No contractors yet — add one with their induction and insurance dates." : "No contractors yet." }));
    // Approved contractors whose papers lapse soon, said once above the list.
    const soon = list.filter((c) => c.status === "approved" &&
      [c.induction_expires_on, c.insurance_expires_on].some((d) => expiry(d, t)[1]));
    warnings.replaceChildren(soon.length
      ? el("p", { class: "notice warn-notice" }, `${soon.length} approved contractor${soon.length === 1 ? " has" : "s have"} papers expired or expiring within ${warnDays} days: `,
        soon.map((c) => c.name).join(", "), ".")
      : "");
    if (focused) body.querySelector(`tr[data-id="${focused}"] [data-action="${focusedAction}"]`)?.focus({ preventScroll: true });
  }

  function row(c, t) {
    const date = (d, what) => {
      const [text, level] = expiry(d, t);
      return el("td", { class: `num expiry ${level}` },
        el("span", { class: "cell-label", text: `${what}: ` }),
        level ? el("span", { class: `warn-mark ${level}`, "aria-hidden": "true", text: level === "bad" ? "✕" : "!" }) : null,
        el("span", { text: text }));
    };
    const rowError = el("p", { class: "field-error", role: "alert" });
    const act = (label, action, run, cls = "secondary") => el("button", {
      type: "button", class: cls, "data-action": action, "aria-label": `${label} ${c.name}`,
      onclick: (e) => busy(e.currentTarget, async () => {
        rowError.textContent = "";
        try {
          await run();
          changed.add(c.id);
          await load();
        } catch (err) {
          rowError.textContent = err.message;
        }
      }),
    }, label);
    const actions = [];
    if (canWrite) {
      if (c.status !== "approved") actions.push(act("Approve", "approve", () => call("POST", `/api/v1/contractors/${c.id}/approve`), ""));
      if (c.status === "pending") actions.push(el("button", { type: "button", class: "quiet danger", "data-action": "reject", "aria-label": `Reject ${c.name}`, text: "Reject",
        onclick: () => rejectDialog.ask(c, async (reason) => {
          await call("POST", `/api/v1/contractors/${c.id}/reject`, { reason });
          changed.add(c.id);
          await load();
        }) }));
      if (c.status === "approved" && !c.on_site_location_id && locations.length) {
        const where = locations.length > 1
          ? el("select", { "aria-label": `Where ${c.name} checks in`, class: "where" }, locations.map((l) => el("option", { value: String(l.id), text: l.name })))
          : null;
        actions.push(where, act("Check in", "check-in", () => call("POST", `/api/v1/contractors/${c.id}/check-in`, { location_id: Number(where?.value || locations[0].id) })));
      }
      if (c.on_site_location_id) actions.push(act("Check out", "check-out", () => call("POST", `/api/v1/contractors/${c.id}/check-out`)));
      actions.push(el("button", { type: "button", class: "quiet", "data-action": "edit", "aria-label": `Edit ${c.name}`, text: "Edit", onclick: () => openForm(c) }));
    }
    const z = validZone(locations.find((l) => l.id === c.on_site_location_id)?.timezone || shopZone());
    const tr = el("tr", { "data-id": String(c.id) },
      el("td", { class: "k-company" }, el("strong", { text: c.company || "—" })),
      el("td", { class: "k-contact" }, el("span", { text: c.name }),
        c.email || c.phone ? el("span", { class: "muted small contact-line", text: [c.phone, c.email].filter(Boolean).join(" · ") }) : null),
      el("td", { class: "k-status" }, statusTag(c.status),
        c.status === "rejected" && c.rejection_reason ? el("span", { class: "muted small contact-line", text: c.rejection_reason }) : null),
      date(c.induction_expires_on, "Induction"),
      date(c.insurance_expires_on, "Insurance"),
      el("td", { class: "k-onsite" }, c.on_site_location_id
        ? el("span", { text: `${locName(c.on_site_location_id)}${c.checked_in_at ? `, since ${timeIn(c.checked_in_at, z, dayIn(z))}` : ""}` })
        : el("span", { class: "muted", text: "Not on site" })),
      el("td", { class: "k-actions" }, el("div", { class: "row-actions" }, actions), rowError));
    if (changed.has(c.id)) flash(tr);
    return tr;
  }

  function openForm(c) {
    if (!form) return;
    form.fill(c);
    formSlot.hidden = false;
    form.focus();
  }
  function closeForm() {
    formSlot.hidden = true;
    addButton?.focus();
  }

  const reloadNow = () => load().catch((err) => { error.textContent = err.message; });
  const reload = debounce(reloadNow, 150);
  syncURL();
  await load();

  return {
    node,
    title: "Contractors",
    onEvent(ev) {
      if (!ev.event.startsWith("contractor.")) return;
      const id = ev.data?.contractor_id;
      if (id) changed.add(id);
      reload();
    },
    onResync: reload,
    onKey(e) {
      if (e.key === "n" && form) { openForm(null); return true; }
      return false;
    },
    onEscape() {
      if (form && !formSlot.hidden) { closeForm(); return true; }
      return false;
    },
    destroy() { reload.cancel(); seq++; },
  };
}

// contractorForm adds a contractor, or edits one (only what changed is sent).
function contractorForm({ onSaved, onCancel }) {
  const inputs = {
    company: el("input", { name: "company", autocomplete: "off" }),
    name: el("input", { name: "name", autocomplete: "off", "aria-required": "true" }),
    email: el("input", { name: "email", type: "email", autocomplete: "off" }),
    phone: el("input", { name: "phone", type: "tel", autocomplete: "off" }),
    induction_expires_on: el("input", { name: "induction_expires_on", type: "date" }),
    insurance_expires_on: el("input", { name: "insurance_expires_on", type: "date" }),
  };
  const title = el("h2", { id: "contractor-form-title" });
  const error = el("p", { class: "error", role: "alert" });
  const submit = el("button", { type: "submit" });
  const form = el("form", { class: "stack card-flat desk-form", novalidate: true, "aria-labelledby": "contractor-form-title" },
    title,
    el("div", { class: "row" }, field("Company", inputs.company), field("Contact name", inputs.name)),
    el("div", { class: "row" }, field("Email", inputs.email), field("Phone", inputs.phone)),
    el("div", { class: "row" }, field("Induction expires on", inputs.induction_expires_on, "The day itself is still valid"),
      field("Insurance expires on", inputs.insurance_expires_on)),
    error,
    el("div", { class: "actions" }, submit, el("button", { type: "button", class: "quiet", text: "Cancel", onclick: () => onCancel() })));
  let editing = null;
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    error.textContent = "";
    busy(submit, async () => {
      const values = Object.fromEntries(Object.entries(inputs).map(([k, i]) => [k, i.value.trim()]));
      const body = editing ? Object.fromEntries(Object.entries(values).filter(([k, v]) => v !== (editing[k] ?? ""))) : values;
      if (editing && !Object.keys(body).length) { onCancel(); return; }
      try {
        const r = editing
          ? await call("PATCH", `/api/v1/contractors/${editing.id}`, body)
          : await call("POST", "/api/v1/contractors", body);
        showErrors(form, {});
        onSaved(r.data?.contractor || r.data);
      } catch (err) {
        if (!showErrors(form, err)) error.textContent = err.message;
      }
    });
  });
  return {
    node: form,
    fill(c) {
      editing = c;
      form.reset();
      showErrors(form, {});
      error.textContent = "";
      for (const [k, i] of Object.entries(inputs)) i.value = c?.[k] ?? "";
      title.textContent = c ? `Edit ${c.name}` : "Add a contractor";
      submit.textContent = c ? "Save changes" : "Add contractor";
    },
    focus: () => (editing ? inputs.induction_expires_on : inputs.company).focus(),
  };
}

// rejectAsk asks why a contractor is rejected (optional) in a small dialog.
function rejectAsk() {
  const reason = el("textarea", { name: "reason", rows: 3 });
  const title = el("h2", { id: "reject-title" });
  const error = el("p", { class: "error", role: "alert" });
  const submit = el("button", { type: "submit", class: "danger-solid", text: "Reject" });
  const form = el("form", { class: "stack", novalidate: true },
    title, field("Reason (optional)", reason, "Kept with the contractor's record"), error,
    el("div", { class: "actions" }, submit, el("button", { type: "button", class: "quiet", text: "Keep pending", onclick: () => node.close() })));
  const node = el("dialog", { class: "desk-dialog", "aria-labelledby": "reject-title" }, form);
  let run = null;
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    error.textContent = "";
    busy(submit, async () => {
      try {
        await run(reason.value.trim());
        node.close();
      } catch (err) {
        error.textContent = err.message;
      }
    });
  });
  return {
    node,
    ask(c, then) {
      run = then;
      title.textContent = `Reject ${c.name}${c.company ? ` (${c.company})` : ""}?`;
      reason.value = "";
      error.textContent = "";
      node.showModal();
      reason.focus();
    },
  };
}
