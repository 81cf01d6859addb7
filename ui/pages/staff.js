// Settings → Staff: who works here, their roles; the owner invites people and
// changes roles or access.

import { el, field, showErrors, busy } from "../lib/dom.js";
import { call, get } from "../lib/api.js";
import { when } from "../lib/format.js";
import { secretReveal } from "./secret.js";

const roles = [["owner", "Owner"], ["manager", "Manager"], ["technician", "Technician"], ["front_desk", "Front desk"]];

export async function staffPage(ctx) {
  const canWrite = ctx.can("users.write");
  const body = el("tbody", { "data-list": true });
  const shown = el("div");
  const error = el("p", { class: "error", role: "alert" });

  async function load() {
    const users = (await get("/api/v1/users?per_page=200")).data;
    body.replaceChildren(...users.map((u) => {
      const role = el("select", { "aria-label": `Role of ${u.name}`, disabled: !canWrite },
        roles.map(([v, label]) => el("option", { value: v, text: label, selected: u.role === v })));
      role.addEventListener("change", () => {
        const label = roles.find(([v]) => v === role.value)[1];
        if (confirm(`Make ${u.name} ${/^[aeiou]/i.test(label) ? "an" : "a"} ${label}? Their access changes at once.`)) change(u, { role: role.value });
        else role.value = u.role;
      });
      return el("tr", {},
        el("td", {}, el("strong", { text: u.name }), u.id === ctx.session.user.id ? el("span", { class: "muted", text: " (you)" }) : null),
        el("td", { text: u.email }),
        el("td", {}, role),
        el("td", { text: u.active ? "Active" : "No access" }),
        el("td", { class: "muted", text: when(u.created_at) }),
        el("td", {}, canWrite && u.id !== ctx.session.user.id
          ? el("button", { type: "button", class: u.active ? "danger quiet" : "quiet", text: u.active ? "Remove access" : "Restore access",
            onclick: () => { if (!u.active || confirm(`Remove ${u.name}'s access? They are signed out at once.`)) change(u, { active: !u.active }); } })
          : null));
    }));
  }

  async function change(u, patch) {
    error.textContent = "";
    try {
      await call("PATCH", `/api/v1/users/${u.id}`, patch);
    } catch (err) {
      error.textContent = err.message;
    }
    await load();
  }

  let invite = null;
  if (canWrite) {
    const name = el("input", { name: "name", autocomplete: "off" });
    const email = el("input", { name: "email", type: "email", autocomplete: "off" });
    const role = el("select", { name: "role" }, roles.map(([v, label]) => el("option", { value: v, text: label, selected: v === "technician" })));
    const submit = el("button", { type: "submit", text: "Invite" });
    const formError = el("p", { class: "error", role: "alert" });
    invite = el("form", { class: "stack form-wide card-flat", novalidate: true },
      el("h2", { text: "Invite someone" }),
      el("div", { class: "row" }, field("Name", name), field("Email", email), field("Role", role)), formError, submit);
    invite.addEventListener("submit", (e) => {
      e.preventDefault();
      formError.textContent = "";
      busy(submit, async () => {
        try {
          const r = (await call("POST", "/api/v1/users", { name: name.value, email: email.value, role: role.value })).data;
          invite.reset();
          shown.replaceChildren(secretReveal(`Invitation for ${r.user.name}: send them this link`, [["Link (valid 7 days)", new URL(r.invite_path, location.origin).href]]));
          await load();
        } catch (err) {
          if (!showErrors(invite, err)) formError.textContent = err.message;
        }
      });
    });
  }

  await load();
  return {
    node: el("section", { class: "page" },
      el("header", { class: "page-head" }, el("h1", { text: "Staff" })), shown, error,
      el("div", { class: "table-wrap" }, el("table", {},
        el("thead", {}, el("tr", {}, ["Name", "Email", "Role", "Access", "Since", ""].map((h) => el("th", { scope: "col", text: h })))), body)),
      invite),
    title: "Staff",
  };
}
