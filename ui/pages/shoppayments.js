// Settings → Shop → Online payments: the Stripe webhook's signing secret and
// the payment link the customer's invoice offers. The secret is sealed on
// the appliance and never shown again (the API answers only whether one is
// set), so the field is always empty: typing a new one replaces it. In test
// mode this is the test store's own secret, which only Stripe's test events
// (livemode false) are checked against.

import { el, field, showErrors, busy } from "../lib/dom.js";
import { call, get, mode } from "../lib/api.js";

const PATH = "/api/v1/store/payments";

export function paymentSettings(ctx) {
  // Setting the secret lets whoever holds it sign payments: the server
  // asks for payments.write as well as store.write.
  const canWrite = ctx.can("store.write") && ctx.can("payments.write");
  const secret = el("input", { name: "stripe_webhook_secret", type: "password", autocomplete: "off", spellcheck: "false",
    disabled: !canWrite, placeholder: "whsec_…" });
  const template = el("input", { name: "payment_link_template", type: "url", inputmode: "url", autocomplete: "off",
    spellcheck: "false", disabled: !canWrite, placeholder: "https://pay.example.com/shop?ticket={ticket_id}&amount={balance}" });
  const state = el("p", { class: "muted", role: "status", text: "Loading…" });
  const saved = el("span", { class: "muted", role: "status" });
  const error = el("p", { class: "error", role: "alert" });
  const submit = el("button", { type: "submit", text: "Save online payments" });
  const remove = el("button", { type: "button", class: "secondary", text: "Remove the secret", hidden: true });
  let current = null;

  const show = (s) => {
    current = s;
    if (document.activeElement !== template) template.value = s.payment_link_template || "";
    secret.value = "";
    state.textContent = s.stripe_webhook_secret_set
      ? "A signing secret is set. Type a new one only to replace it."
      : "No signing secret yet: payments reported by Stripe are refused until one is set.";
    remove.hidden = !s.stripe_webhook_secret_set || !canWrite;
  };
  const load = () => get(PATH).then((r) => show(r.data), (err) => { state.textContent = ""; error.textContent = err.message; });
  load();

  const save = (patch, button) => busy(button, async () => {
    error.textContent = "";
    saved.textContent = "";
    showErrors(form, { details: [] });
    if (!Object.keys(patch).length) { saved.textContent = "Nothing changed."; return; }
    try {
      show((await call("PATCH", PATH, patch)).data);
      saved.textContent = "Saved.";
    } catch (err) {
      if (!showErrors(form, err)) error.textContent = err.message;
    }
  });

  const form = el("form", { class: "stack form-wide card-flat", novalidate: true, "aria-labelledby": "shop-payments" },
    el("h2", { id: "shop-payments", text: "Online payments" }),
    el("p", { class: "muted" }, "In Stripe, add a webhook endpoint for ", el("code", { text: location.origin + "/inbound/stripe" }),
      " with the events payment_intent.succeeded and checkout.session.completed. Stripe must hand back the ticket's id: as ticket_id in the payment's metadata, or, with a Stripe Payment Link, as client_reference_id={ticket_id} in the link below.",
      mode() === "test" ? " This is the test store: use the endpoint's test-mode signing secret." : ""),
    field("Webhook signing secret", secret, "Stripe shows it as whsec_… on the endpoint's page"),
    state,
    field("Payment link", template, "Customers see a Pay button on their invoice while something is due. It must hold {ticket_id} (the payment comes back with it); {ticket_number}, {balance} and {currency} as you need"),
    error,
    canWrite ? el("div", { class: "actions" }, submit, remove, saved)
      : el("p", { class: "muted", text: "Only the owner or a manager can change these." }));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const patch = {};
    if (secret.value.trim()) patch.stripe_webhook_secret = secret.value.trim();
    if (current && template.value.trim() !== (current.payment_link_template || "")) patch.payment_link_template = template.value.trim();
    save(patch, submit);
  });
  remove.addEventListener("click", () => save({ stripe_webhook_secret: "" }, remove));

  return {
    node: form,
    // Another tab's change (store.updated naming these settings) shows here.
    onEvent: (ev) => { if (ev.event === "store.updated" && ev.data?.payments) show(ev.data.payments); },
  };
}
