// Settings → Kiosks (the owner's): make a visitor kiosk for a location and
// get its pairing code (shown once, valid a day), list the kiosks, revoke
// one (its screen goes back to pairing at its next request).

import { el, field, showErrors, busy } from "../lib/dom.js";
import { call } from "../lib/api.js";
import { when } from "../lib/format.js";
import { secretReveal } from "./secret.js";

// A kiosk is a device of the live appliance, like an API key: this page
// always speaks to the live side, and so do the locations it offers.
const live = { mode: "live" };

const states = { waiting: "Waiting to be paired", expired: "Code expired unused", paired: "Paired", revoked: "Revoked" };

export async function kiosksPage() {
  const list = el("tbody", { "data-list": true });
  const shown = el("div"); // the new pairing code, once
  const locations = (await call("GET", "/api/v1/locations?per_page=200&sort=name", undefined, live)).data;
  const placeName = (id) => locations.find((l) => l.id === id)?.name || `Location ${id}`;

  async function load() {
    const kiosks = (await call("GET", "/api/v1/kiosks?per_page=200", undefined, live)).data;
    list.replaceChildren(...kiosks.map((k) => el("tr", { class: k.status === "revoked" ? "revoked" : "" },
      el("td", {}, el("strong", { text: k.name })),
      el("td", { text: placeName(k.location_id) }),
      el("td", { text: states[k.status] || k.status }),
      el("td", { class: "muted", text: k.paired_at ? when(k.paired_at) : `Created ${when(k.created_at)}` }),
      el("td", {}, k.status === "revoked"
        ? el("span", { class: "muted", text: `Revoked ${when(k.revoked_at)}` })
        : el("button", { type: "button", class: "danger quiet", text: "Revoke", "aria-label": `Revoke ${k.name}`, onclick: () => revoke(k) })))));
    if (!kiosks.length) list.append(el("tr", {}, el("td", { colspan: 5, class: "muted", text: "No kiosks yet. Create one below, then open /kiosk on the lobby screen." })));
  }

  async function revoke(k) {
    if (!confirm(`Revoke “${k.name}”? Its screen stops at its next request and asks for a new pairing code.`)) return;
    try {
      await call("DELETE", `/api/v1/kiosks/${k.id}`, undefined, live);
      await load();
    } catch (err) {
      alert(err.message);
    }
  }

  const name = el("input", { name: "name", autocomplete: "off" });
  const where = el("select", { name: "location_id" }, locations.map((l) => el("option", { value: String(l.id), text: l.name })));
  const submit = el("button", { type: "submit", text: "Create kiosk" });
  const error = el("p", { class: "error", role: "alert" });
  const form = el("form", { class: "stack form-wide card-flat", novalidate: true },
    el("h2", { text: "Add a kiosk" }),
    el("div", { class: "row" }, field("Name", name, "Where it stands, e.g. “Lobby”"), field("Location", where)),
    error, submit);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    error.textContent = "";
    busy(submit, async () => {
      try {
        const r = (await call("POST", "/api/v1/kiosks", { name: name.value, location_id: Number(where.value) }, live)).data;
        form.reset();
        shown.replaceChildren(secretReveal(`Kiosk “${r.kiosk.name}” created`,
          [["Pairing code", r.pairing_code], ["Kiosk page", `${location.origin}/kiosk`]],
          "On the kiosk's screen, open the kiosk page and type this code within 24 hours. It pairs one screen, once: Portal will not show it again."));
        await load();
      } catch (err) {
        if (!showErrors(form, err)) error.textContent = err.message;
      }
    });
  });

  const node = el("section", { class: "page" },
    el("header", { class: "page-head" }, el("h1", { text: "Kiosks" })),
    el("p", { class: "muted", text: "A kiosk is a screen in a location's lobby where visitors check themselves in and out. It needs no staff sign-in: it is paired once with a code, and works on live data only." }),
    shown,
    el("div", { class: "table-wrap" }, el("table", {},
      el("thead", {}, el("tr", {}, ["Name", "Location", "State", "Since", ""].map((h) => el("th", { scope: "col", text: h })))), list)),
    locations.length ? form : el("p", { class: "empty", text: "A kiosk signs visitors in at one location, and the shop has none yet: add one on the Visitors page first." }));
  await load();
  return { node, title: "Kiosks" };
}
