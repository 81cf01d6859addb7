// Owner setup, accepting an invitation, and signing in.

import { el, field, showErrors, busy } from "../lib/dom.js";
import { call } from "../lib/api.js";

function authForm(root, { title, intro, fields, submit, send, done }) {
  const error = el("p", { class: "error", role: "alert" });
  const button = el("button", { type: "submit", text: submit });
  const controls = fields.map(([name, label, type, autocomplete]) =>
    el("input", { name, type, autocomplete, required: true }));
  const form = el("form", { class: "card", novalidate: true },
    el("h1", { text: title }),
    intro ? el("p", { class: "muted", text: intro }) : null,
    fields.map((f, i) => field(f[1], controls[i])),
    error, button);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    error.textContent = "";
    busy(button, async () => {
      const values = Object.fromEntries(controls.map((c) => [c.name, c.value]));
      try {
        await send(values);
        done();
      } catch (err) {
        if (!showErrors(form, err)) error.textContent = err.message;
      }
    });
  });
  root.replaceChildren(el("main", { class: "auth" }, form));
  controls[0].focus();
}

export function showSetup(root, token, done) {
  authForm(root, {
    title: "Set up your shop",
    intro: "You are the shop's owner. Choose how you will sign in.",
    fields: [["name", "Your name", "text", "name"], ["email", "Email", "email", "email"],
      ["password", "Password (at least 10 characters)", "password", "new-password"]],
    submit: "Create owner account",
    send: (v) => call("POST", "/auth/setup", { token, ...v }),
    done: () => { history.replaceState(null, "", "/"); done(); },
  });
}

export function showInvite(root, token, done) {
  authForm(root, {
    title: "Join the shop",
    intro: "You were invited to the shop's Portal. Choose the password you will sign in with.",
    fields: [["password", "Choose a password (at least 10 characters)", "password", "new-password"]],
    submit: "Set password and sign in",
    send: (v) => call("POST", "/auth/accept-invite", { token, ...v }),
    done: () => { history.replaceState(null, "", "/"); done(); },
  });
}

export function showSignIn(root, done) {
  authForm(root, {
    title: "Sign in to Portal",
    fields: [["email", "Email", "email", "username"], ["password", "Password", "password", "current-password"]],
    submit: "Sign in",
    send: (v) => call("POST", "/auth/signin", v),
    done,
  });
}
