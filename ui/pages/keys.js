// Settings → API keys: create a key with its scopes and tier (shown once),
// list them without their secrets, revoke.

import { el, field, showErrors, busy } from "../lib/dom.js";
import { call } from "../lib/api.js";
import { when } from "../lib/format.js";
import { secretReveal } from "./secret.js";

const types = [
  ["plugin", "Plugin — live data, the scopes you grant"],
  ["developer", "Developer — test data only"],
  ["internal", "Internal — live data, every scope"],
  ["user", "User — acts as a staff member"],
  ["app", "App credentials — signs Portal.io-style requests"],
];

// Keys belong to the appliance, not to a mode: this page always speaks to
// the live side (a developer key is still made for the test store).
const live = { mode: "live" };

export async function keysPage(ctx) {
  const list = el("tbody", { "data-list": true });
  const canWrite = ctx.can("keys.write");
  const shown = el("div"); // the new key, once

  async function load() {
    const keys = (await call("GET", "/api/v1/keys?per_page=200", undefined, live)).data;
    list.replaceChildren(...keys.map((k) => el("tr", { class: k.revoked_at ? "revoked" : "" },
      el("td", {}, el("strong", { text: k.name }), el("div", { class: "muted small mono", text: `${k.prefix}…${k.last4}` })),
      el("td", { text: k.type }),
      el("td", {}, el("span", { class: `badge mode-${k.mode}`, text: k.mode })),
      el("td", { class: "small", text: k.type === "internal" ? "all" : (k.scopes || []).join(", ") || "—" }),
      el("td", { text: k.tier }),
      el("td", { class: "muted", text: when(k.created_at) }),
      el("td", {}, k.revoked_at
        ? el("span", { class: "muted", text: `Revoked ${when(k.revoked_at)}` })
        : canWrite ? el("button", { type: "button", class: "danger quiet", text: "Revoke", "aria-label": `Revoke ${k.name}`, onclick: () => revoke(k) }) : null))));
    if (!keys.length) list.append(el("tr", {}, el("td", { colspan: 7, class: "muted", text: "No API keys yet. Create one below for an integration, a plugin or a script." })));
  }

  async function revoke(k) {
    if (!confirm(`Revoke “${k.name}”? Requests with it are refused from now on.`)) return;
    try {
      await call("DELETE", `/api/v1/keys/${k.id}`, undefined, live);
      await load();
    } catch (err) {
      alert(err.message);
    }
  }

  const node = el("section", { class: "page" },
    el("header", { class: "page-head" }, el("h1", { text: "API keys" })),
    el("p", { class: "muted", text: "Keys let integrations use the API. A key is shown once, when it is created: Portal cannot show it again. Keys are the same in live and test mode: a developer key sees only test data." }),
    shown,
    el("div", { class: "table-wrap" }, el("table", {},
      el("thead", {}, el("tr", {}, ["Name", "Type", "Mode", "Scopes", "Tier", "Created", ""].map((h) => el("th", { scope: "col", text: h })))), list)),
    canWrite ? createForm(ctx, async (created) => {
      shown.replaceChildren(secretReveal(`Key “${created.name}” created`, created.app_secret
        ? [["App id", created.key], ["App secret", created.app_secret]]
        : [["Key", created.key]]));
      await load();
    }) : null);
  await load();
  return { node, title: "API keys" };
}

function createForm(ctx, created) {
  const name = el("input", { name: "name", autocomplete: "off" });
  const type = el("select", { name: "type" }, types.map(([v, label]) => el("option", { value: v, text: label })));
  const tier = el("select", { name: "tier" }, el("option", { value: "", text: "Default for the type" }),
    ["free", "paid", "partner", "unlimited"].map((t) => el("option", { value: t, text: t })));
  const user = el("select", { name: "user_id" }, ctx.users.map((u) => el("option", { value: String(u.id), text: u.name, selected: u.id === ctx.session.user.id })));
  const userField = field("Staff member", user);
  const scopeBoxes = scopePicker(ctx.session.scopes);
  const submit = el("button", { type: "submit", text: "Create key" });
  const error = el("p", { class: "error", role: "alert" });
  const form = el("form", { class: "stack form-wide card-flat", novalidate: true },
    el("h2", { text: "Create a key" }),
    el("div", { class: "row" }, field("Name", name, "What uses it, e.g. “Accounting sync”"), field("Type", type), field("Rate-limit tier", tier)),
    userField, scopeBoxes.node, error, submit);
  const sync = () => {
    userField.hidden = type.value !== "user";
    scopeBoxes.node.hidden = type.value === "internal";
  };
  type.addEventListener("change", sync);
  sync();
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    error.textContent = "";
    busy(submit, async () => {
      const body = { name: name.value, type: type.value, scopes: scopeBoxes.value(), tier: tier.value };
      if (type.value === "user") body.user_id = Number(user.value);
      try {
        const r = await call("POST", "/api/v1/keys", body, live);
        form.reset();
        sync();
        await created(r.data);
      } catch (err) {
        if (!showErrors(form, err)) error.textContent = err.message;
      }
    });
  });
  return form;
}

// scopePicker lays scopes out as a grid of resource × read/write.
function scopePicker(scopes) {
  const resources = [...new Set(scopes.filter((s) => s.includes(".")).map((s) => s.split(".")[0]))];
  const others = scopes.filter((s) => !s.includes("."));
  const boxes = [];
  const box = (scope) => {
    const b = el("input", { type: "checkbox", value: scope, "aria-label": scope });
    boxes.push(b);
    return b;
  };
  const grid = el("table", { class: "scopes" },
    el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "Resource" }), el("th", { scope: "col", text: "Read" }), el("th", { scope: "col", text: "Write" }))),
    el("tbody", {}, resources.map((r) => el("tr", {}, el("th", { scope: "row", text: r }),
      el("td", {}, scopes.includes(`${r}.read`) ? box(`${r}.read`) : null),
      el("td", {}, scopes.includes(`${r}.write`) ? box(`${r}.write`) : null)))));
  const node = el("fieldset", { class: "scope-picker" }, el("legend", { text: "Scopes" }),
    el("p", { class: "field-error", id: "scopes-error", role: "alert" }),
    el("input", { type: "hidden", name: "scopes", id: "scopes" }),
    grid,
    others.map((s) => el("label", { class: "check" }, box(s), ` ${s}`)));
  return { node, value: () => boxes.filter((b) => b.checked).map((b) => b.value) };
}
