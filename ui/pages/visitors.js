// The visitor desk: one location's day (the location's own date) in three
// columns — expected (with their time), on site (since when, whose guest)
// and left — live, so a host's visitor who checks in at the kiosk shows up
// at once. Pre-register (n), check in, check out, cancel; search and the
// filters the API declares for the list.

import { el, link, debounce, flash } from "../lib/dom.js";
import { call, get, query } from "../lib/api.js";
import { replaceURL } from "../lib/mode.js";
import { loadLocations, validZone, dayIn, dayLabel, timeIn, listFilters, statusWord, statusTag, locationNames } from "./visitorsdesk.js";
import { preRegisterForm, visitorPass } from "./visitorsform.js";
import { staffPresence } from "./visitorsstaff.js";

const sections = [
  ["expected", "Expected", "Nobody is expected."],
  ["checked_in", "On site", "Nobody is on site."],
  ["checked_out", "Left", "Nobody has left yet."],
];
const arrivedFor = 60000; // how long a fresh arrival stays highlighted
const hintLines = 3;

export async function visitorsPage(ctx, _params, search) {
  const [locations, filters, hosts] = await Promise.all([
    loadLocations(),
    listFilters("/visitors"),
    get("/api/v1/hosts").then((r) => r.data).catch(() => []),
  ]);
  const has = (name) => filters.some((f) => f.name === name);
  // A host's name: the hosts list knows staff added since the console loaded.
  const hostName = (id) => hosts.find((h) => h.id === id)?.name || ctx.userName(id);
  const locName = locationNames(locations);
  const firstLocation = locations.find((l) => String(l.id) === search.get("location_id")) || locations[0];
  const state = {
    location_id: firstLocation ? String(firstLocation.id) : "",
    date: /^\d{4}-\d{2}-\d{2}$/.test(search.get("date") || "") ? search.get("date") : "",
    q: search.get("q") || "",
    extra: {}, // the other declared filters (status, host, …) by name
  };
  for (const f of filters) if (!["location_id", "date"].includes(f.name) && search.get(f.name)) state.extra[f.name] = search.get(f.name);
  const zone = () => validZone(locations.find((l) => String(l.id) === state.location_id)?.timezone || ctx.shop.timezone);
  const today = () => dayIn(zone());
  const day = () => state.date || today();

  // The header: location, day, search, pre-register.
  const where = locations.length > 1
    ? el("select", { name: "location_id", "aria-label": "Location" },
      locations.map((l) => el("option", { value: String(l.id), text: l.name, selected: String(l.id) === state.location_id })))
    : null;
  const dateInput = has("date") ? el("input", { type: "date", name: "date", "aria-label": "Day", value: day() }) : null;
  const searchBox = el("input", {
    type: "search", name: "q", value: state.q, "data-search": true, "aria-label": "Search visitors",
    placeholder: "Search name, company, email   /", autocomplete: "off",
  });
  const canWrite = ctx.can("visitors.write");
  const newButton = canWrite && locations.length
    ? el("button", { type: "button", class: "pre-register", onclick: () => openForm() }, "+ Pre-register ", el("kbd", { text: "N" }))
    : null;
  const walkInButton = canWrite && locations.length
    ? el("button", { type: "button", class: "secondary walk-in", text: "+ Walk-in", onclick: () => openForm("walk-in") })
    : null;

  // The toolbar: every other filter the API declares, as a choice.
  const filterControls = filters.filter((f) => !["location_id", "date"].includes(f.name)).map((f) => filterControl(f));
  // A status region around the list (a role on the list itself would hide
  // its items from the list).
  const hint = el("ul", { class: "live-hint", "aria-label": "Recent arrivals and departures" });
  const hintRegion = el("div", { class: "desk-hint", role: "status", "aria-live": "polite" }, hint);
  const subtitle = el("p", { class: "desk-day muted" });
  const error = el("p", { class: "error", role: "alert" });
  // During an evacuation check-ins are refused: the desk says so up front.
  const evacBanner = el("div", { class: "alert-danger evac-alert", role: "alert", hidden: true },
    el("strong", { text: "Evacuation in progress." }), " Check-ins are refused until it ends.",
    ctx.can("evacuation.read") ? link("/evacuation", "Open the evacuation board") : null);
  const passSlot = el("div", { class: "pass-slot" });
  const board = el("div", { class: "desk-board" });
  const results = el("section", { class: "desk-results", "aria-labelledby": "results-title", hidden: true });
  const formSlot = el("div", { hidden: true });
  const form = canWrite && locations.length
    ? preRegisterForm(ctx, {
      locations, location: () => state.location_id,
      onCancel: () => closeForm(),
      onDone: (v, code, qr, host, walkIn) => {
        closeForm();
        passSlot.replaceChildren(visitorPass(v, code, qr, {
          walkIn,
          hostName: host?.name || hostName(v.host_id), locationName: locName(v.location_id),
          zone: validZone(locations.find((l) => l.id === v.location_id)?.timezone), onClose: () => newButton?.focus(),
        }));
        changed.add(v.id);
        reload();
      },
    })
    : null;
  if (form) formSlot.append(form.node);
  const staff = staffPresence(ctx, { locations, location: () => state.location_id });

  const node = el("section", { class: "page desk", "aria-labelledby": "visitors-title" },
    el("header", { class: "page-head" }, el("h1", { id: "visitors-title", text: "Visitors" }),
      newButton || walkInButton ? el("div", { class: "actions" }, walkInButton, newButton) : null),
    el("div", { class: "desk-controls", role: "group", "aria-label": "Which visitors" }, where, dateInput, searchBox, filterControls.map((c) => c.node)),
    el("div", { class: "desk-sub" }, subtitle, hintRegion),
    evacBanner, error, passSlot, formSlot,
    locations.length ? [board, results] : noLocations(ctx),
    staff.node);

  function filterControl(f) {
    let control;
    if (f.values) {
      control = el("select", { name: f.name, "aria-label": filterLabel(f) },
        el("option", { value: "", text: `Any ${filterLabel(f).toLowerCase()}` }),
        f.values.map((v) => el("option", { value: v, text: statusWord(v), selected: state.extra[f.name] === v })));
    } else if (f.name === "host") {
      control = el("select", { name: f.name, "aria-label": "Host" },
        el("option", { value: "", text: "Any host" }),
        hosts.map((h) => el("option", { value: String(h.id), text: h.name, selected: state.extra.host === String(h.id) })));
    } else {
      control = el("input", { name: f.name, "aria-label": filterLabel(f), title: f.doc, placeholder: filterLabel(f), value: state.extra[f.name] || "" });
    }
    control.addEventListener("change", () => { state.extra[f.name] = control.value; syncURL(); reloadNow(); });
    return { node: control };
  }

  const changed = new Set(); // ids to flash on the next render
  const arrivals = new Map(); // id → when the arrival was seen live
  let seq = 0;

  function syncURL() {
    replaceURL(`/visitors${query({
      location_id: locations.length > 1 ? state.location_id : "", date: state.date && state.date !== today() ? state.date : "",
      q: state.q, ...state.extra,
    })}`);
  }

  async function load() {
    const mine = ++seq;
    if (!locations.length) return;
    const base = { location_id: state.location_id, ...state.extra };
    let list;
    if (state.q) {
      list = (await get(`/api/v1/visitors${query({ ...base, q: state.q, per_page: 100 })}`)).data;
    } else {
      const d = day();
      const wantsOnSite = d === today() && (!state.extra.status || state.extra.status === "checked_in");
      const [ofDay, onSite] = await Promise.all([
        get(`/api/v1/visitors${query({ ...base, date: has("date") ? d : "", sort: "expected_at", per_page: 200 })}`),
        // Who is in now, whatever day they came: on today's board.
        wantsOnSite ? get(`/api/v1/visitors${query({ ...base, status: "checked_in", per_page: 200 })}`) : null,
      ]);
      const byId = new Map(ofDay.data.map((v) => [v.id, v]));
      for (const v of onSite?.data || []) byId.set(v.id, v);
      list = [...byId.values()];
    }
    if (mine !== seq) return;
    render(list);
  }

  function render(list) {
    const d = day();
    subtitle.textContent = [locName(Number(state.location_id)), state.q ? "Search across all days" : dayLabel(d, zone()),
      `${zone().replaceAll("_", " ")} time`].filter(Boolean).join(" · ");
    if (dateInput && document.activeElement !== dateInput) dateInput.value = d;
    if (dateInput) dateInput.disabled = !!state.q; // a search looks across every day
    const focusedId = document.activeElement?.closest?.("li[data-id]")?.dataset.id;
    const focusedAction = document.activeElement?.dataset?.action;
    board.hidden = !!state.q;
    results.hidden = !state.q;
    if (state.q) {
      const items = list.map((v) => card(v, true));
      results.replaceChildren(el("h2", { id: "results-title" }, "Results ", el("span", { class: "num muted", text: String(list.length) })),
        items.length ? el("ul", { class: "visitor-list", "data-list": true, "aria-labelledby": "results-title" }, items)
          : el("div", { class: "empty" }, el("p", { text: `No visitor matches “${state.q}”. Search by name, company or email.` })));
    } else {
      const shown = sections.filter(([s]) => !state.extra.status || state.extra.status === s || (s === "checked_out" && state.extra.status === "cancelled"));
      board.dataset.columns = String(shown.length);
      board.replaceChildren(...shown.map(([status, title, none]) => {
        const mine = list.filter((v) => v.status === status || (status === "checked_out" && v.status === "cancelled"))
          .sort(order(status));
        const id = `desk-${status}`;
        return el("section", { class: `desk-col desk-${status}`, "aria-labelledby": id },
          el("h2", { id }, `${title} `, el("span", { class: "num count-pill", text: String(mine.filter((v) => v.status === status).length) })),
          mine.length
            ? el("ul", { class: "visitor-list", "data-list": true, "aria-labelledby": id }, mine.map((v) => card(v, false)))
            : el("p", { class: "empty-col muted", text: status === "expected" && canWrite && d >= today() ? `${none} Press N to pre-register someone.` : none }));
      }));
    }
    changed.clear();
    if (focusedId) {
      const li = node.querySelector(`li[data-id="${focusedId}"]`);
      (li?.querySelector(`[data-action="${focusedAction}"]`) || li?.querySelector("button") || li)?.focus({ preventScroll: true });
    }
  }

  // order: the expected by their time, the others most recent first.
  function order(status) {
    const t = (v) => new Date(v.expected_at || v.created_at).getTime();
    if (status === "expected") return (a, b) => t(a) - t(b);
    const key = status === "checked_in" ? "checked_in_at" : "checked_out_at";
    return (a, b) => new Date(b[key] || b.updated_at) - new Date(a[key] || a.updated_at);
  }

  function card(v, withStatus) {
    const z = validZone(locations.find((l) => l.id === v.location_id)?.timezone || zone());
    const d = day();
    const host = v.host_id ? hostName(v.host_id) : "";
    const times = {
      expected: v.expected_at ? `${timeIn(v.expected_at, z, d)}${v.expected_until ? `–${timeIn(v.expected_until, z, d)}` : ""}` : "No time given",
      checked_in: `In since ${timeIn(v.checked_in_at, z, d)}`,
      checked_out: `Left ${timeIn(v.checked_out_at, z, d)}${v.checked_out_by === "closing_time" ? " (at closing time)" : v.checked_out_by === "kiosk" ? " (kiosk)" : ""}`,
      cancelled: "Cancelled",
    };
    const rowError = el("p", { class: "field-error", role: "alert" });
    const act = (label, action, path, attrs = {}) => el("button", {
      type: "button", class: attrs.class ?? "secondary", "data-action": action, "aria-label": `${label} ${v.name}`,
      onclick: (e) => {
        if (attrs.confirm && !confirm(attrs.confirm)) return;
        doAction(e.currentTarget, rowError, path);
      },
    }, label);
    const actions = [];
    if (canWrite && v.status === "expected") {
      actions.push(act("Check in", "check-in", `/api/v1/visitors/${v.id}/check-in`, { class: "" }),
        act("Cancel", "cancel", `/api/v1/visitors/${v.id}/cancel`, { class: "quiet", confirm: `Cancel ${v.name}'s visit? Their check-in code stops working.` }));
    }
    if (canWrite && v.status === "checked_in") actions.push(act("Check out", "check-out", `/api/v1/visitors/${v.id}/check-out`));
    const arrivedAt = arrivals.get(v.id);
    const fresh = v.status === "checked_in" && arrivedAt && Date.now() - arrivedAt < arrivedFor;
    const li = el("li", { class: `visitor${fresh ? " arrived" : ""}${v.status === "cancelled" ? " cancelled" : ""}`, "data-id": String(v.id), "data-status": v.status },
      el("div", { class: "visitor-main" },
        el("p", { class: "visitor-name" }, el("strong", { text: v.name }), v.company ? el("span", { class: "muted", text: ` · ${v.company}` }) : null,
          fresh ? el("span", { class: "arrived-tag", text: v.host_id && v.host_id === ctx.me?.id ? "Your visitor is here" : "Just arrived" }) : null),
        el("p", { class: "visitor-meta" },
          withStatus ? [statusTag(v.status), " "] : null,
          el("span", { class: "num", text: withStatus ? `${dayLabel(v.date || d, z)} · ${times[v.status] || ""}` : times[v.status] || "" }),
          host ? el("span", { text: ` · visiting ${host}` }) : null,
          withStatus && locations.length > 1 ? el("span", { class: "muted", text: ` · ${locName(v.location_id)}` }) : null),
        v.purpose ? el("p", { class: "visitor-purpose muted", text: v.purpose }) : null,
        v.notes ? el("p", { class: "visitor-notes muted small", text: `Note: ${v.notes}` }) : null,
        rowError),
      actions.length ? el("div", { class: "visitor-actions" }, actions) : null);
    if (changed.has(v.id)) flash(li);
    return li;
  }

  async function doAction(button, rowError, path) {
    rowError.textContent = "";
    button.disabled = true;
    try {
      const r = await call("POST", path);
      const v = r.data?.visitor || r.data;
      if (v?.id) changed.add(v.id);
      await load();
    } catch (err) {
      // A conflict (checked in twice, out when not in, an evacuation) is
      // shown as the API says it, on the visitor's card.
      rowError.textContent = err.message;
      button.disabled = false;
      if (err.status === 409 || err.status === 404) reload();
    }
  }

  function openForm(mode = "pre-register") {
    if (!form) return;
    form.setMode(mode);
    passSlot.replaceChildren();
    formSlot.hidden = false;
    form.focus();
  }
  function closeForm() {
    formSlot.hidden = true;
    newButton?.focus();
  }

  // tell adds a line to the live hint; the newest first, a few kept.
  function tell(text) {
    hint.prepend(el("li", {}, text, el("span", { class: "muted", text: " · just now" })));
    while (hint.children.length > hintLines) hint.lastElementChild.remove();
  }

  const reloadNow = () => load().catch((err) => { error.textContent = err.message; });
  const reload = debounce(reloadNow, 120);
  const onSearch = debounce(() => { state.q = searchBox.value.trim(); syncURL(); reloadNow(); }, 200);
  searchBox.addEventListener("input", onSearch);
  searchBox.addEventListener("keydown", (e) => { if (e.key === "Enter") node.querySelector("[data-list] button, [data-list] li")?.focus(); });
  where?.addEventListener("change", () => {
    state.location_id = where.value;
    form?.setLocation(where.value);
    state.date = "";
    syncURL();
    reloadNow();
    staff.refresh();
  });
  dateInput?.addEventListener("change", () => {
    if (!dateInput.value) return;
    state.date = dateInput.value === today() ? "" : dateInput.value;
    syncURL();
    reloadNow();
  });
  // A fresh arrival's highlight fades when its minute is up.
  const fade = setInterval(() => {
    for (const [id, at] of arrivals) {
      if (Date.now() - at < arrivedFor) continue;
      arrivals.delete(id);
      const li = node.querySelector(`li[data-id="${id}"]`);
      li?.classList.remove("arrived");
      li?.querySelector(".arrived-tag")?.remove();
    }
  }, 5000);

  async function checkEvacuation() {
    if (!ctx.can("evacuation.read")) return;
    try {
      const e = (await get("/api/v1/evacuation")).data;
      evacBanner.hidden = e?.status !== "active";
    } catch {
      evacBanner.hidden = true; // none has run
    }
  }

  syncURL();
  await Promise.all([load(), staff.refresh(), checkEvacuation()]);

  return {
    node,
    title: "Visitors",
    onEvent(ev) {
      if (ev.event === "evacuation.activated" || ev.event === "evacuation.ended") { evacBanner.hidden = ev.event === "evacuation.ended"; staff.refresh(); }
      if (!ev.event.startsWith("visitor.")) return;
      const d = ev.data || {};
      const v = d.visitor;
      const id = d.visitor_id ?? v?.id;
      if (id) changed.add(id);
      if (v && String(v.location_id) === state.location_id) {
        const host = v.host_id ? hostName(v.host_id) : "";
        const yours = v.host_id && v.host_id === ctx.me?.id;
        if (ev.event === "visitor.checked_in") {
          arrivals.set(v.id, Date.now());
          tell(yours ? `Your visitor ${v.name} is here` : `${v.name} arrived${host ? ` for ${host}` : ""}`);
        } else if (ev.event === "visitor.checked_out") tell(`${v.name} left`);
        else if (ev.event === "visitor.pre_registered") tell(`${v.name} is expected${host ? ` by ${host}` : ""}`);
      }
      reload();
    },
    onResync: () => { reload(); staff.refresh(); checkEvacuation(); },
    onKey(e) {
      if (e.key === "n" && form) { openForm(); return true; }
      return false;
    },
    onEscape() {
      if (form && !formSlot.hidden) { closeForm(); return true; } // the draft stays for next time
      if (!state.q) return false;
      searchBox.value = "";
      onSearch.cancel();
      state.q = "";
      syncURL();
      reloadNow();
      return true;
    },
    destroy() { reload.cancel(); onSearch.cancel(); clearInterval(fade); seq++; staff.destroy(); },
  };
}

function filterLabel(f) {
  if (f.name === "status") return "Status";
  return f.name.replaceAll("_", " ").replace(/^./, (c) => c.toUpperCase());
}

// noLocations is the desk before the shop has a site: visitors are signed
// in per location.
function noLocations(ctx) {
  return el("div", { class: "empty" },
    el("p", { text: ctx.can("locations.write")
      ? "Visitors are signed in per location, and the shop has none yet. Add one below or through POST /api/v1/locations."
      : "Visitors are signed in per location, and the shop has none yet. Ask the owner to add one." }),
    ctx.can("locations.write") ? addLocation() : null);
}

function addLocation() {
  const name = el("input", { name: "name", autocomplete: "off", "aria-label": "Location name", placeholder: "Location name, e.g. Main office" });
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const error = el("p", { class: "error", role: "alert" });
  const submit = el("button", { type: "submit", text: "Add location" });
  const form = el("form", { class: "actions add-location", novalidate: true }, name, submit, error);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.textContent = "";
    submit.disabled = true;
    try {
      await call("POST", "/api/v1/locations", { name: name.value.trim(), timezone: zone });
      location.reload();
    } catch (err) {
      error.textContent = err.message;
      submit.disabled = false;
    }
  });
  return form;
}
