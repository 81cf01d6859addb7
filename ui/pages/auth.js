// Owner setup, accepting an invitation, and signing in.

import { el, field, showErrors, busy } from "../lib/dom.js";
import { call } from "../lib/api.js";

function authForm(root, { step, title, intro, before, fields, submit, send, done }) {
  const error = el("p", { class: "error", role: "alert" });
  const button = el("button", { type: "submit", text: submit });
  const controls = fields.map(([name, label, type, autocomplete]) =>
    el("input", { name, type, autocomplete, required: true }));
  const form = el("form", { class: "card", novalidate: true },
    step ? el("p", { class: "muted", text: step }) : null,
    el("h1", { text: title }),
    intro ? el("p", { class: "muted", text: intro }) : null,
    before,
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
    step: "Step 1 of 2",
    title: "Set up your shop",
    intro: "You are the shop's owner. Choose how you will sign in.",
    fields: [["name", "Your name", "text", "name"], ["email", "Email", "email", "email"],
      ["password", "Password (at least 10 characters)", "password", "new-password"]],
    submit: "Create owner account",
    send: (v) => call("POST", "/auth/setup", { token, ...v }),
    done,
  });
}

// showInvite greets the invited member by name and email, in the shop's
// name, before they choose a password (the email is also there for the
// browser's password manager to save with it).
export async function showInvite(root, token, done) {
  let who;
  try {
    who = (await call("POST", "/auth/invitation", { token })).data;
  } catch (err) {
    root.replaceChildren(el("main", { class: "auth" }, el("div", { class: "card" },
      el("h1", { text: "This invitation cannot be used" }),
      el("p", { class: "error", role: "alert", text: err.message }),
      el("p", { class: "muted", text: "Ask the shop's owner to invite you again from Settings → Staff." }))));
    return;
  }
  authForm(root, {
    title: `Join ${who.shop}`,
    intro: `Welcome, ${who.name}. You sign in to ${who.shop}'s Portal with your email and the password you choose now.`,
    before: el("div", { class: "field" }, el("label", { for: "invite-email", text: "Your email" }),
      el("input", { id: "invite-email", type: "email", name: "username", value: who.email, readonly: true, autocomplete: "username" })),
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
