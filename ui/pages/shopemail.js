// Settings → Shop → Email: the shop's mail server for customer emails, and
// "Send a test email". The password is write-only: the form never shows it,
// an empty box keeps it. Each mode has its own settings (the test store's
// start empty), so test mode never mails through the live server.

import { el, field, showErrors, busy } from "../lib/dom.js";
import { call, get } from "../lib/api.js";

const securities = [["starttls", "STARTTLS"], ["tls", "TLS"], ["none", "None"]];

export async function emailSection(ctx, canWrite) {
  let settings = (await get("/api/v1/store/email")).data;
  const input = (name, attrs = {}) => el("input", { name, autocomplete: "off", disabled: !canWrite, ...attrs });
  const inputs = {
    host: input("host", { placeholder: "smtp.example.com" }),
    port: input("port", { inputmode: "numeric" }),
    security: el("select", { name: "security", disabled: !canWrite }, securities.map(([v, t]) => el("option", { value: v, text: t }))),
    username: input("username"),
    password: input("password", { type: "password", autocomplete: "new-password" }),
    from: input("from", { placeholder: "Fix-It Corner <shop@example.com>" }),
  };
  const fill = () => {
    for (const n of ["host", "port", "security", "username", "from"]) {
      if (document.activeElement !== inputs[n]) inputs[n].value = settings[n] ?? "";
    }
    inputs.password.value = "";
    inputs.password.placeholder = settings.password_set ? "Saved — type to replace" : "";
  };
  fill();
  // A new security mode suggests its usual port, unless the shop chose one.
  inputs.security.addEventListener("change", () => {
    const usual = { starttls: "587", tls: "465", none: "25" };
    if (Object.values(usual).includes(inputs.port.value)) inputs.port.value = usual[inputs.security.value];
  });

  const error = el("p", { class: "error", role: "alert" });
  const saved = el("span", { class: "muted", role: "status" });
  const submit = el("button", { type: "submit", text: "Save email settings" });
  const clear = el("button", { type: "button", class: "secondary", text: "Remove password", hidden: !settings.password_set || !canWrite });
  const form = el("form", { class: "stack", novalidate: true, "aria-labelledby": "email-title" },
    el("p", { class: "muted", text: "Customers get an email when their ticket reaches a status marked \u201cEmails the customer\u201d, when a quote is sent to them, and when a payment is received. Each email carries a link to their repair's page." }),
    el("div", { class: "row" }, field("Mail server", inputs.host, "Your provider's SMTP host, or a relay on your network"),
      field("Port", inputs.port), field("Security", inputs.security, "STARTTLS on 587 is usual, TLS on 465; None only for a relay on your own network")),
    el("div", { class: "row" }, field("Username", inputs.username), field("Password", inputs.password, "Kept encrypted; never shown again"),
      field("From", inputs.from, "The address customers see and reply to")),
    error,
    canWrite ? el("div", { class: "actions" }, submit, clear, saved) : el("p", { class: "muted", text: "Only the owner or a manager can change these." }));

  const save = (patch) => busy(submit, async () => {
    error.textContent = "";
    saved.textContent = "";
    try {
      settings = (await call("PATCH", "/api/v1/store/email", patch)).data;
      showErrors(form, {});
      fill();
      clear.hidden = !settings.password_set;
      saved.textContent = "Saved.";
    } catch (err) {
      if (!showErrors(form, err)) error.textContent = err.message;
    }
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const patch = {};
    for (const n of ["host", "security", "username", "from"]) if (inputs[n].value.trim() !== (settings[n] ?? "")) patch[n] = inputs[n].value.trim();
    const port = inputs.port.value.trim();
    if (port !== String(settings.port)) {
      if (!/^\d{1,5}$/.test(port)) { showErrors(form, { details: [{ field: "port", message: "Type a port number such as 587" }] }); return; }
      patch.port = Number(port);
    }
    if (inputs.password.value) patch.password = inputs.password.value;
    if (!Object.keys(patch).length) { saved.textContent = "Nothing changed."; return; }
    save(patch);
  });
  clear.addEventListener("click", () => save({ password: "" }));

  // Send a test email: the server's own reply, word for word.
  const to = el("input", { name: "to", type: "email", autocomplete: "email", value: ctx.session?.user?.email ?? "", disabled: !canWrite });
  const result = el("p", { class: "muted", role: "status" });
  const send = el("button", { type: "submit", class: "secondary", text: "Send a test email" });
  const test = el("form", { class: "email-test", novalidate: true, "aria-label": "Send a test email" },
    field("Send a test email to", to), el("div", { class: "actions" }, send));
  test.addEventListener("submit", (e) => {
    e.preventDefault();
    result.textContent = "Sending…";
    busy(send, async () => {
      try {
        const r = (await call("POST", "/api/v1/store/email/test", { to: to.value.trim() })).data;
        showErrors(test, {});
        result.textContent = r.sent ? `Sent. The server said: ${r.reply}` : `Not sent. ${r.error}`;
      } catch (err) {
        result.textContent = showErrors(test, err) ? "" : err.message;
      }
    });
  });

  return {
    node: el("section", { class: "stack form-wide card-flat", "aria-labelledby": "email-title" },
      el("h2", { id: "email-title", text: "Email" }), form, canWrite ? [test, result] : null),
    onEvent(ev) {
      if (ev.event !== "store.updated" || !ev.data?.changes?.email) return;
      get("/api/v1/store/email").then((r) => { settings = r.data; fill(); clear.hidden = !settings.password_set || !canWrite; }).catch(() => {});
    },
  };
}
