// Pre-registering a visitor: who, whom they visit (a host, found by typing),
// where and when. The answer's check-in code and its QR are shown once, on a
// pass that prints by itself.

import { el, field, showErrors, busy, debounce } from "../lib/dom.js";
import { call, get, query } from "../lib/api.js";
import { fromZoneTime, toZoneTime, validZone, locationSelect, timeIn, dayIn, dayLabel, printOnly } from "./visitorsdesk.js";

let seq = 0;

// hostPicker is a combobox over GET /hosts?q=: typing suggests the matching
// hosts; the chosen one's id is what the form sends. Its input is named
// host_id, so the API's error about the host lands next to it.
export function hostPicker({ label = "Host", required = false } = {}) {
  const id = `host-${++seq}`;
  const input = el("input", {
    name: "host_id", type: "text", autocomplete: "off", role: "combobox", "aria-autocomplete": "list",
    "aria-expanded": "false", "aria-controls": `${id}-options`, placeholder: "Type a name", "aria-required": required ? "true" : null,
  });
  const options = el("ul", { id: `${id}-options`, role: "listbox", class: "options", hidden: true, "aria-label": "Matching hosts" });
  const wrap = el("div", { class: "combo" }, field(label, input), options);
  let chosen = null;
  let results = [];
  let active = -1;

  const close = () => { options.hidden = true; input.setAttribute("aria-expanded", "false"); input.removeAttribute("aria-activedescendant"); };
  function pick(h) {
    chosen = h;
    input.value = h.name;
    showErrors(wrap, {});
    close();
  }
  function render() {
    options.replaceChildren(...results.map((h, i) => el("li", {
      role: "option", id: `${id}-opt-${i}`, "aria-selected": String(i === active),
      onmousedown: (e) => { e.preventDefault(); pick(h); },
    }, el("span", { text: h.name }), h.phone || h.email ? el("span", { class: "muted", text: ` ${[h.phone, h.email].filter(Boolean).join(" · ")}` }) : null)));
    const typed = input.value.trim();
    if (typed && !results.length) options.append(el("li", { role: "option", "aria-disabled": "true", "aria-selected": "false", class: "muted", text: "No host by that name" }));
    options.hidden = !typed || document.activeElement !== input;
    input.setAttribute("aria-expanded", String(!options.hidden));
    if (active >= 0) input.setAttribute("aria-activedescendant", `${id}-opt-${active}`);
    else input.removeAttribute("aria-activedescendant");
  }
  const lookup = debounce(async () => {
    const q = input.value.trim();
    active = -1;
    if (!q) { results = []; render(); return; }
    try {
      const r = await get(`/api/v1/hosts${query({ q })}`);
      if (input.value.trim() === q) { results = r.data.slice(0, 8); render(); }
    } catch { results = []; render(); }
  }, 120);
  input.addEventListener("input", () => { chosen = null; lookup(); });
  input.addEventListener("blur", () => {
    close();
    // A name typed in full is that host, without picking it from the list.
    const typed = input.value.trim().toLowerCase();
    if (!chosen && typed) {
      const exact = results.filter((h) => h.name.toLowerCase() === typed);
      if (exact.length === 1) chosen = exact[0];
    }
  });
  input.addEventListener("keydown", (e) => {
    if ((e.key === "ArrowDown" || e.key === "ArrowUp") && results.length) {
      e.preventDefault();
      active = (active + (e.key === "ArrowDown" ? 1 : -1) + results.length) % results.length;
      render();
    } else if (e.key === "Enter" && !options.hidden && results.length) {
      e.preventDefault();
      pick(results[Math.max(active, 0)]);
    } else if (e.key === "Escape" && !options.hidden) {
      e.preventDefault(); // Esc closes the list; the next one leaves the field
      close();
    }
  });
  return {
    node: wrap,
    input,
    get value() { return chosen; },
    set(h) { chosen = h; input.value = h?.name || ""; },
    clear() { chosen = null; input.value = ""; results = []; close(); },
  };
}

// nextSlot is the next quarter hour from now, as zone's clock reads it.
function nextSlot(zone) {
  const ms = Math.ceil(Date.now() / 900000) * 900000;
  return toZoneTime(new Date(ms).toISOString(), zone);
}

// preRegisterForm builds the form; onDone(visitor, code, qr, host, walkIn)
// gets the answer. setMode("walk-in") makes it the form for someone at the
// desk now: no expected times, checked in at once (POST /visitors).
export function preRegisterForm(ctx, { locations, location, onDone, onCancel }) {
  let walkIn = false;
  const text = (name, attrs = {}) => el("input", { name, autocomplete: "off", ...attrs });
  const inputs = {
    name: text("name", { "aria-required": "true" }),
    email: text("email", { type: "email" }),
    phone: text("phone", { type: "tel" }),
    company: text("company"),
    expected_at: text("expected_at", { type: "datetime-local" }),
    expected_until: text("expected_until", { type: "datetime-local" }),
    purpose: text("purpose"),
    notes: el("textarea", { name: "notes", rows: 2 }),
  };
  const host = hostPicker();
  const where = locations.length > 1 ? locationSelect(locations, location()) : null;
  const zone = () => validZone(locations.find((l) => String(l.id) === String(where?.value ?? location()))?.timezone);
  const error = el("p", { class: "error", role: "alert" });
  const submit = el("button", { type: "submit", text: "Pre-register" });
  const heading = el("h2", { id: "prereg-title", text: "Pre-register a visitor" });
  const form = el("form", { class: "stack card-flat desk-form", novalidate: true, "aria-labelledby": "prereg-title" },
    heading,
    el("div", { class: "row" }, field("Name", inputs.name), field("Company", inputs.company)),
    el("div", { class: "row" }, field("Email", inputs.email), field("Phone", inputs.phone)),
    el("div", { class: "row" }, host.node, where ? field("Location", where) : null),
    el("div", { class: "row times" }, field("Expected arrival", inputs.expected_at, "Local time"), field("Expected departure", inputs.expected_until)),
    field("Purpose", inputs.purpose),
    field("Notes", inputs.notes, "For the desk; the visitor does not see them"),
    error,
    el("div", { class: "actions" }, submit,
      el("button", { type: "button", class: "quiet", text: "Cancel", onclick: () => onCancel() })));

  // The times are the chosen location's clock; the hint says whose.
  const zoneHint = form.querySelector(".hint");
  const showZone = () => {
    const l = locations.find((x) => String(x.id) === String(where?.value ?? location()));
    zoneHint.textContent = `${l ? `${l.name} time, ` : ""}${zone().replaceAll("_", " ")}`;
  };
  where?.addEventListener("change", showZone);
  // A field's error goes once it is edited.
  form.addEventListener("input", (e) => {
    const c = e.target;
    if (!c.id || !c.hasAttribute("aria-invalid")) return;
    c.removeAttribute("aria-invalid");
    const p = document.getElementById(`${c.id}-error`);
    if (p) p.textContent = "";
  });

  function reset() {
    form.reset();
    host.clear();
    showErrors(form, {});
    error.textContent = "";
    inputs.expected_at.value = nextSlot(zone());
    showZone();
  }
  reset();

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    error.textContent = "";
    busy(submit, async () => {
      const z = zone();
      const value = (n) => inputs[n].value.trim();
      const body = {
        name: value("name"), email: value("email"), phone: value("phone"), company: value("company"),
        host_id: host.value?.id ?? 0, location_id: Number(where?.value ?? location()) || 0,
        purpose: value("purpose"), notes: inputs.notes.value.trim(),
        expected_at: walkIn ? null : fromZoneTime(inputs.expected_at.value, z) || null,
        expected_until: walkIn ? null : fromZoneTime(inputs.expected_until.value, z) || null,
      };
      // What the browser can tell at once is said here; the rest the API says.
      const details = [];
      if (!body.name) details.push({ field: "name", message: "Enter the visitor's name" });
      if (!body.host_id && host.input.value.trim()) details.push({ field: "host_id", message: "Choose the host from the list" });
      if (details.length) { showErrors(form, { details }); return; }
      try {
        const d = (await call("POST", walkIn ? "/api/v1/visitors" : "/api/v1/visitors/pre-register", body)).data;
        const v = d.visitor || d;
        onDone(v, d.code || v.code || "", d.qr_png || v.qr_png || "", host.value, walkIn);
        reset();
      } catch (err) {
        if (!showErrors(form, err)) error.textContent = err.message;
      }
    });
  });
  return {
    node: form,
    focus: () => inputs.name.focus(),
    reset,
    setMode(mode) {
      walkIn = mode === "walk-in";
      heading.textContent = walkIn ? "Sign in a walk-in visitor" : "Pre-register a visitor";
      submit.textContent = walkIn ? "Check in now" : "Pre-register";
      form.querySelector(".times").hidden = walkIn;
    },
    setLocation(id) {
      if (where) where.value = String(id);
      showZone();
    },
  };
}

// visitorPass is the pre-registration's answer, shown once: the code large,
// its QR, who and when; it prints alone on its page.
export function visitorPass(v, code, qr, { hostName, locationName, zone, onClose, walkIn = false }) {
  const at = v.expected_at || v.checked_in_at;
  const day = at ? dayIn(zone, new Date(at)) : "";
  const when = at ? `${dayLabel(day, zone)}, ${timeIn(at, zone)}${v.expected_until ? ` – ${timeIn(v.expected_until, zone, day)}` : ""}` : "";
  const print = el("button", { type: "button", text: "Print", onclick: () => printOnly("pass") });
  const panel = el("section", { class: "visitor-pass", role: "region", "aria-label": `Check-in code for ${v.name}` },
    el("div", { class: "pass-body" },
      el("div", { class: "pass-text" },
        el("p", { class: "pass-label", text: walkIn ? "Visitor badge code" : "Visitor check-in code" }),
        el("p", { class: "pass-code mono", text: code || "—" }),
        el("p", { class: "pass-name", text: v.name }),
        v.company ? el("p", { text: v.company }) : null,
        el("dl", { class: "pass-facts" },
          hostName ? [el("dt", { text: "Visiting" }), el("dd", { text: hostName })] : null,
          locationName ? [el("dt", { text: "Where" }), el("dd", { text: locationName })] : null,
          when ? [el("dt", { text: "When" }), el("dd", { text: when })] : null),
        el("p", { class: "pass-how", text: walkIn
          ? "Checked in. When leaving, choose “I'm leaving” at the kiosk and type this code or show this QR code."
          : "At the kiosk, choose “I have a code” and type it or show this QR code." })),
      qr ? el("img", { class: "pass-qr", src: qr, alt: `QR code of the check-in code ${code}`, width: 180, height: 180 }) : null),
    el("p", { class: "pass-note no-print", text: "Shown once: print it or send the code to the visitor now. Portal keeps only a fingerprint of it." }),
    el("div", { class: "actions no-print" }, print,
      el("button", { type: "button", class: "quiet", text: "Done", onclick: () => { panel.remove(); onClose?.(); } })));
  queueMicrotask(() => print.focus());
  return panel;
}
