// The evacuation board, for a phone in the car park: once activated, the
// roll call of everyone who was on site, per location, the unaccounted for
// first in big type, one tap = safe (shown at once, sent in the background;
// marking twice is harmless). The count of who is still missing stays at
// the top. Ending it shows the summary. It prints as a paper roll call per
// location with a box to tick for each name.

import { el, flash } from "../lib/dom.js";
import { call, get } from "../lib/api.js";
import { shopZone } from "../lib/format.js";
import { loadLocations, locationNames, validZone, timeIn, dayIn, dayLabel, printOnly } from "./visitorsdesk.js";

const kinds = { visitor: "Visitor", contractor: "Contractor", staff: "Staff" };

// normalize reads GET /evacuation's answer: the evacuation, its roll call
// and whether it is still on.
function normalize(data) {
  if (!data) return null;
  const evac = data.evacuation || data;
  const entries = (data.entries || evac.entries || data.roll_call || []).map((e) => ({
    ...e,
    id: e.id ?? e.entry_id,
    kind: e.kind || e.person_kind || e.person?.kind || "",
    name: e.name ?? e.person?.name ?? "",
    company: e.company ?? e.person?.company ?? "",
  }));
  const status = evac.status || (evac.ended_at ? "ended" : "active");
  return { evac, entries, active: status === "active", summary: evac.summary || data.summary || null };
}

export async function evacuationPage(ctx, _params, search) {
  const locations = await loadLocations();
  const known = locationNames(locations);
  // A location's name, from the evacuation's own counts when the list lacks it.
  const locName = (id) => current?.evac.locations?.find((l) => l.location_id === id)?.name || known(id);
  const canWrite = ctx.can("evacuation.write");
  let current = normalize(await fetchCurrent());
  const pendingSafe = new Map(); // entry id → when tapped, until the server agrees
  const state = { where: search.get("location_id") || "" };

  const head = el("header", { class: "page-head" }, el("h1", { id: "evac-title", text: "Evacuation" }));
  const top = el("div", { class: "evac-top" }); // the banner and the count that matters
  const controls = el("div", { class: "evac-controls" });
  const error = el("p", { class: "error", role: "alert" });
  const board = el("div", { class: "evac-board" });
  const paper = el("div", { class: "rollcall-print", "aria-hidden": "true" });
  const announce = el("p", { class: "visually-hidden", role: "status", "aria-live": "polite" });
  const node = el("section", { class: "page evac", "aria-labelledby": "evac-title" }, head, top, error, controls, board, paper, announce);

  const zoneOf = (id) => validZone(locations.find((l) => l.id === id)?.timezone || shopZone());
  const when = (iso, locId) => {
    const z = zoneOf(locId);
    const d = iso ? dayIn(z, new Date(iso)) : "";
    return iso ? `${d === dayIn(z) ? "" : `${dayLabel(d, z)}, `}${timeIn(iso, z)}` : "";
  };
  const isSafe = (e) => e.safe || pendingSafe.has(e.id);

  // groups is the roll call per location: every location the evacuation
  // covers (one nobody was at too), by name.
  function groups() {
    const entries = current?.entries || [];
    const ids = (current?.evac.locations || []).map((l) => l.location_id);
    for (const e of entries) if (!ids.includes(e.location_id)) ids.push(e.location_id);
    // Where nobody was goes last; the others keep their place by name while
    // people are marked safe.
    return ids.map((id) => [id, entries.filter((e) => e.location_id === id)])
      .sort((a, b) => (!a[1].length - !b[1].length) || locName(a[0]).localeCompare(locName(b[0])));
  }

  function counts(list) {
    const safe = list.filter(isSafe).length;
    return { total: list.length, safe, missing: list.length - safe };
  }

  function render() {
    const focusedId = document.activeElement?.closest?.("[data-entry]")?.dataset.entry;
    if (!current || !current.active) renderIdle();
    else renderActive();
    if (focusedId) {
      // Focus stays with the list where the tapped name was: the next one
      // still unaccounted for, so a keyboard can work down the roll call.
      const next = board.querySelector(`[data-entry="${focusedId}"]:not([data-safe="true"])`) || board.querySelector(`.evac-missing [data-entry]`);
      next?.focus({ preventScroll: true });
    }
  }

  function renderIdle() {
    node.classList.remove("evac-active");
    head.replaceChildren(el("h1", { id: "evac-title", text: "Evacuation" }));
    top.replaceChildren();
    board.replaceChildren();
    paper.replaceChildren();
    const parts = [];
    if (current) parts.push(summaryCard());
    if (canWrite) parts.push(activateForm());
    else parts.push(el("p", { class: "muted", text: "Only the owner or a manager can start an evacuation." }));
    if (!current) parts.unshift(el("p", { class: "muted", text: "No evacuation has run. Starting one takes a roll call of everyone on site now: visitors checked in, contractors on site and staff marked present. Check-ins stop until it ends." }));
    controls.replaceChildren(...parts);
  }

  function summaryCard() {
    const { evac } = current;
    const list = current.entries;
    const c = counts(list);
    const s = current.summary || {};
    const total = s.total ?? c.total, safe = s.safe ?? c.safe, missing = s.unaccounted ?? c.missing;
    const z = evac.location_id || (list[0]?.location_id ?? 0);
    return el("section", { class: "card-flat evac-summary", "aria-labelledby": "evac-summary-title" },
      el("h2", { id: "evac-summary-title", text: "Last evacuation" }),
      el("p", {}, `${evac.location_id ? locName(evac.location_id) : "Every location"} · started ${when(evac.activated_at || evac.started_at || evac.created_at, z)}`,
        evac.ended_at ? ` · ended ${when(evac.ended_at, z)}` : "",
        s.duration_seconds ? ` · lasted ${s.duration_seconds < 90 ? `${s.duration_seconds} s` : `${Math.round(s.duration_seconds / 60)} min`}` : ""),
      el("dl", { class: "evac-counts" },
        el("div", {}, el("dt", { text: "People" }), el("dd", { class: "num", text: String(total) })),
        el("div", {}, el("dt", { text: "Safe" }), el("dd", { class: "num", text: String(safe) })),
        el("div", { class: missing ? "bad" : "" }, el("dt", { text: "Unaccounted for" }), el("dd", { class: "num", text: String(missing) }))),
      groups().length > 1 ? el("ul", { class: "evac-summary-locs" }, groups().map(([id, l]) => {
        const k = counts(l);
        return el("li", { class: "num", text: `${locName(id)}: ${k.safe} safe of ${k.total}${k.missing ? `, ${k.missing} unaccounted for` : ""}` });
      })) : null,
      missing ? el("p", { class: "evac-missing-names" }, "Not marked safe: ",
        list.filter((e) => !isSafe(e)).map((e) => e.name).join(", ")) : el("p", { text: "Everyone was marked safe." }));
  }

  function activateForm() {
    const where = locations.length > 1
      ? el("select", { name: "location_id", "aria-label": "Which location" },
        el("option", { value: "", text: "Every location" }),
        locations.map((l) => el("option", { value: String(l.id), text: l.name })))
      : null;
    const start = el("button", { type: "submit", class: "evac-start", text: "Start evacuation" });
    const form = el("form", { class: "card-flat evac-activate", "aria-labelledby": "evac-start-title" },
      el("h2", { id: "evac-start-title", text: "Start an evacuation" }),
      el("p", { text: "Use this when the building must be left. Everyone on site goes on the roll call; check-ins at the desk and the kiosk stop." }),
      el("div", { class: "actions" }, where ? el("label", { class: "field-inline" }, "Where ", where) : null, start));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const place = where?.value ? locName(Number(where.value)) : "every location";
      if (!confirm(`Start an evacuation of ${place} now? Everyone on site goes on the roll call and check-ins stop.`)) return;
      start.disabled = true;
      error.textContent = "";
      try {
        const r = await call("POST", "/api/v1/evacuation/activate", where?.value ? { location_id: Number(where.value) } : {});
        current = normalize(r.data);
        if (!current?.entries.length) current = normalize(await fetchCurrent());
        render();
        board.querySelector("[data-entry]")?.focus();
      } catch (err) {
        error.textContent = err.message;
        start.disabled = false;
      }
    });
    return form;
  }

  function renderActive() {
    node.classList.add("evac-active");
    const { evac } = current;
    const all = counts(current.entries);
    const gs = groups();
    head.replaceChildren(el("h1", { id: "evac-title", text: "Evacuation in progress" }),
      el("div", { class: "actions" },
        el("button", { type: "button", class: "secondary", text: "Print roll call", onclick: () => printOnly("rollcall") }),
        canWrite ? el("button", { type: "button", class: "danger-solid", text: "End evacuation", onclick: end }) : null));
    top.replaceChildren(el("div", { class: `evac-banner${all.missing ? "" : " all-safe"}` },
      el("p", { class: "evac-big" }, el("span", { class: "num", text: String(all.missing) }), all.missing === 1 ? " unaccounted for" : " unaccounted for"),
      el("p", { class: "evac-sub num" }, `${all.safe} safe of ${all.total}`,
        ` · started ${when(evac.activated_at || evac.started_at || evac.created_at, evac.location_id || gs[0]?.[0])}`,
        evac.location_id ? ` · ${locName(evac.location_id)}` : gs.length > 1 ? " · every location" : "")));
    // Several locations: a choice of which one this phone is counting.
    const shown = state.where ? gs.filter(([id]) => String(id) === state.where) : gs;
    if (gs.length > 1) {
      const pick = el("select", { "aria-label": "Show location" },
        el("option", { value: "", text: "Every location" }),
        gs.map(([id, list]) => el("option", { value: String(id), text: `${locName(id)} (${counts(list).missing} missing)`, selected: String(id) === state.where })));
      pick.addEventListener("change", () => { state.where = pick.value; render(); });
      controls.replaceChildren(el("label", { class: "field-inline" }, "Location ", pick));
    } else controls.replaceChildren();
    board.replaceChildren(...(shown.length ? shown : [[0, []]]).map(([id, list]) => locationBoard(id, list)));
    paper.replaceChildren(...gs.map(([id, list]) => rollCallSheet(id, list)));
  }

  function locationBoard(locId, list) {
    const c = counts(list);
    const missing = list.filter((e) => !isSafe(e)).sort((a, b) => a.name.localeCompare(b.name));
    const safe = list.filter(isSafe).sort((a, b) => String(b.safe_at || "").localeCompare(String(a.safe_at || "")));
    const hid = `evac-loc-${locId}`;
    return el("section", { class: "evac-loc", "aria-labelledby": hid },
      el("h2", { id: hid }, `${locName(locId) || "On site"} `,
        el("span", { class: "evac-loc-counts num" }, `${c.missing} unaccounted · ${c.safe} safe · ${c.total} total`)),
      missing.length
        ? el("ul", { class: "evac-list evac-missing", "aria-label": `Unaccounted for at ${locName(locId) || "the site"}` }, missing.map((e) => entryButton(e)))
        : el("p", { class: "evac-done", text: list.length ? "Everyone here is accounted for." : "Nobody was on site." }),
      safe.length ? el("details", { class: "evac-safe-list", open: safe.length <= 12 },
        el("summary", {}, `Safe (${safe.length})`),
        el("ul", { class: "evac-list evac-safe" }, safe.map((e) => entryButton(e)))) : null);
  }

  function entryButton(e) {
    const safe = isSafe(e);
    const label = [e.company, kinds[e.kind] || e.kind].filter(Boolean).join(" · ");
    const b = el("button", {
      type: "button", class: `evac-person${safe ? " is-safe" : ""}`, "data-entry": String(e.id), "data-safe": String(safe),
      "aria-pressed": String(safe), disabled: !canWrite && !safe ? true : null,
      "aria-label": safe ? `${e.name}, safe${e.safe_at ? ` at ${timeIn(e.safe_at, zoneOf(e.location_id))}` : ""}` : `Mark ${e.name} safe`,
      onclick: () => markSafe(e),
    },
    el("span", { class: "evac-name", text: e.name }),
    label ? el("span", { class: "evac-detail", text: label }) : null,
    el("span", { class: "evac-state", text: safe ? `Safe${e.safe_at ? ` ${timeIn(e.safe_at, zoneOf(e.location_id))}` : ""}` : "Tap when safe" }));
    return el("li", {}, b);
  }

  // markSafe shows the person safe at once and tells the server; the call is
  // idempotent, so a second tap (or another phone) changes nothing.
  async function markSafe(e) {
    if (!canWrite || isSafe(e)) return;
    pendingSafe.set(e.id, Date.now());
    announce.textContent = `${e.name} marked safe.`;
    render();
    try {
      const r = await call("POST", `/api/v1/evacuation/roll-call/${e.id}/safe`);
      const got = r.data?.entry || r.data;
      e.safe = true;
      e.safe_at = got?.safe_at || e.safe_at || new Date().toISOString();
      pendingSafe.delete(e.id);
      render();
    } catch (err) {
      pendingSafe.delete(e.id);
      error.textContent = `${e.name} is not marked safe yet: ${err.message}`;
      render();
    }
  }

  async function end() {
    const c = counts(current.entries);
    if (!confirm(c.missing
      ? `End the evacuation with ${c.missing} ${c.missing === 1 ? "person" : "people"} still unaccounted for?`
      : "End the evacuation? Everyone is accounted for; check-ins start again.")) return;
    error.textContent = "";
    try {
      const r = await call("POST", "/api/v1/evacuation/end");
      const ended = normalize(r.data);
      current = ended?.entries.length ? ended : normalize(await fetchCurrent());
      if (current) current.active = false;
      render();
    } catch (err) {
      error.textContent = err.message;
    }
  }

  function rollCallSheet(locId, list) {
    const sorted = [...list].sort((a, b) => a.name.localeCompare(b.name));
    const { evac } = current;
    const c = counts(list);
    const title = el("h2", { text: `Roll call — ${locName(locId) || "On site"}` });
    if (!list.length) {
      return el("section", { class: "rollcall-loc empty-loc" }, title, el("p", { text: "Nobody was on site here when the evacuation started." }));
    }
    return el("section", { class: "rollcall-loc" }, title,
      el("p", { text: `Evacuation started ${when(evac.activated_at || evac.started_at || evac.created_at, locId)} · ${c.total} people, ${c.missing} unaccounted for · printed ${when(new Date().toISOString(), locId)} · a printed tick: marked safe on the board` }),
      el("table", {},
        el("thead", {}, el("tr", {}, ["Safe", "Name", "Company", "Who"].map((h) => el("th", { text: h })))),
        el("tbody", {}, sorted.map((e) => el("tr", {},
          el("td", { class: "box" }, el("span", { class: `tick${isSafe(e) ? " ticked" : ""}`, text: isSafe(e) ? "✓" : "" })),
          el("td", { text: e.name }), el("td", { text: e.company || "" }), el("td", { text: kinds[e.kind] || e.kind }))))));
  }

  let seq = 0;
  async function reload() {
    const mine = ++seq;
    try {
      const got = normalize(await fetchCurrent());
      if (mine !== seq) return;
      // What this phone marked and the server has not confirmed stays safe.
      for (const e of got?.entries || []) if (e.safe) pendingSafe.delete(e.id);
      current = got;
      render();
    } catch (err) {
      error.textContent = err.message;
    }
  }

  render();
  return {
    node,
    title: "Evacuation",
    onEvent(ev) {
      if (!ev.event.startsWith("evacuation.")) return;
      if (ev.event === "evacuation.person_safe" && current?.active) {
        const id = ev.data?.entry_id ?? ev.data?.entry?.id;
        const e = current.entries.find((x) => x.id === id);
        if (e && !e.safe) {
          e.safe = true;
          e.safe_at = ev.data?.entry?.safe_at || ev.timestamp;
          pendingSafe.delete(e.id);
          render();
          const b = board.querySelector(`[data-entry="${e.id}"]`);
          if (b) flash(b);
          return;
        }
        if (e) return;
      }
      reload();
    },
    onResync: reload,
    destroy() { seq++; },
  };
}

// fetchCurrent is the current or last evacuation; null when none has run.
async function fetchCurrent() {
  try {
    return (await get("/api/v1/evacuation")).data;
  } catch (err) {
    if (err.status === 404) return null;
    throw err;
  }
}
