// Staff on site, on the visitor desk: who is marked present at the location
// (an evacuation's roll call counts them), who can be visited (a host) and
// the phone that reaches them. Anyone marks themself present or gone; the
// owner and managers (users.write) do it for others and set host and phone.

import { el, busy } from "../lib/dom.js";
import { call, get } from "../lib/api.js";
import { locationNames } from "./visitorsdesk.js";

export function staffPresence(ctx, { locations, location }) {
  const canWrite = ctx.can("users.write");
  const body = el("tbody", {});
  const count = el("span", { class: "num count-pill" });
  const error = el("p", { class: "error", role: "alert" });
  const locName = locationNames(locations);
  const node = el("details", { class: "staff-presence card-flat" },
    el("summary", {}, el("h2", { text: "Staff on site " }, count)),
    el("p", { class: "muted", text: "Staff marked present are on the roll call if the building is evacuated. Hosts can be chosen by visitors at the kiosk." }),
    error,
    el("div", { class: "table-wrap" }, el("table", { class: "staff-table" },
      el("caption", { class: "visually-hidden", text: "Staff presence" }),
      el("thead", {}, el("tr", {}, ["Name", "Where", "Host", "Phone", ""].map((h) => el("th", { scope: "col", text: h })))),
      body)));
  let users = [];
  let seq = 0;

  async function refresh() {
    if (!locations.length) { node.hidden = true; return; }
    const mine = ++seq;
    let list;
    try {
      list = (await get("/api/v1/users?per_page=200")).data.filter((u) => u.active);
    } catch (err) {
      error.textContent = err.message;
      return;
    }
    if (mine !== seq) return;
    users = list;
    render();
  }

  function render() {
    const here = Number(location());
    count.textContent = String(users.filter((u) => u.on_site_location_id === here).length);
    const focused = document.activeElement?.closest?.("tr[data-id]")?.dataset.id;
    const focusedAction = document.activeElement?.dataset?.action;
    body.replaceChildren(...users.map((u) => {
      const self = u.id === ctx.session.user.id || u.email?.toLowerCase() === ctx.session.user.email?.toLowerCase();
      const mayPresence = canWrite || self;
      const at = u.on_site_location_id;
      const where = at ? (at === here ? "Here" : `At ${locName(at)}`) : "Not on site";
      const present = el("button", {
        type: "button", class: at === here ? "quiet" : "secondary", "data-action": "presence",
        "aria-label": at === here ? `Mark ${u.name} as gone` : `Mark ${u.name} present here`,
        text: at === here ? "Mark gone" : "Mark present",
        onclick: (e) => busy(e.currentTarget, () => save(u, "POST", `/api/v1/users/${u.id}/presence`, { location_id: at === here ? 0 : here })),
      });
      const host = el("input", { type: "checkbox", checked: u.host, disabled: !canWrite, "aria-label": `${u.name} can be visited (host)`, "data-action": "host",
        onchange: (e) => save(u, "PATCH", `/api/v1/users/${u.id}`, { host: e.currentTarget.checked }) });
      const phone = canWrite
        ? el("input", { type: "tel", value: u.phone || "", "aria-label": `Phone of ${u.name}`, autocomplete: "off", "data-action": "phone", class: "phone-input",
          onchange: (e) => save(u, "PATCH", `/api/v1/users/${u.id}`, { phone: e.currentTarget.value.trim() }) })
        : el("span", { class: "num", text: u.phone || "—" });
      return el("tr", { "data-id": String(u.id) },
        el("td", {}, el("strong", { text: u.name }), self ? el("span", { class: "muted", text: " (you)" }) : null),
        el("td", { class: at === here ? "on-here" : "muted", text: where }),
        el("td", {}, el("label", { class: "check" }, host, el("span", { class: "card-word", "aria-hidden": "true", text: "Host (visitors can choose them)" }))),
        el("td", {}, el("span", { class: "card-word", "aria-hidden": "true", text: "Phone " }), phone),
        el("td", {}, mayPresence ? present : null));
    }));
    if (focused) body.querySelector(`tr[data-id="${focused}"] [data-action="${focusedAction}"]`)?.focus({ preventScroll: true });
  }

  async function save(u, method, path, payload) {
    error.textContent = "";
    try {
      const r = await call(method, path, payload);
      const updated = r.data?.user || r.data;
      if (updated?.id) users = users.map((x) => (x.id === updated.id ? { ...x, ...updated } : x));
      else await refresh();
    } catch (err) {
      error.textContent = `${u.name}: ${err.message}`;
      await refresh();
      return;
    }
    render();
  }

  return { node, refresh, destroy() { seq++; } };
}
