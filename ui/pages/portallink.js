// "Customer portal link" on a customer's page (customers.write and
// tickets.read, as the API asks: the link opens their tickets): create a
// magic link to the customer's own page (/c/…) — the address to copy and its
// QR code to show on a phone — and revoke every link the customer has.
// Links are not stored: each "Create link" mints a fresh one, and revoking
// ends them all at once (the customer's link epoch moves on).

import { el, busy } from "../lib/dom.js";
import { call } from "../lib/api.js";
import { dateTime } from "../lib/format.js";

// mintPortalLink answers {url, expires_at, qr_png} for a customer: qr_png is a
// data: URL of a PNG, which the console's CSP allows.
export async function mintPortalLink(customerID) {
  return (await call("POST", `/api/v1/customers/${customerID}/portal-link/qr`)).data;
}

// canMint says whether the signed-in member may make a customer's link.
export const canMint = (ctx) => ctx.can("customers.write") && ctx.can("tickets.read");

export function portalLinkPanel(ctx, customer) {
  if (!canMint(ctx)) return { node: null };
  const shown = el("div", { class: "portal-link-shown" });
  const status = el("p", { class: "muted", role: "status" });
  const error = el("p", { class: "error", role: "alert" });
  const create = el("button", { type: "button", "data-action": "create-portal-link", text: "Create link" });
  const revoke = el("button", { type: "button", class: "danger quiet", "data-action": "revoke-portal-links", text: "Revoke every link" });

  create.addEventListener("click", () => busy(create, async () => {
    error.textContent = "";
    status.textContent = "";
    try {
      const link = await mintPortalLink(customer.id);
      const url = el("input", { type: "text", readonly: true, value: link.url, class: "mono", name: "portal-url", "aria-label": "Customer portal link", onfocus: (e) => e.target.select() });
      const copied = el("span", { class: "muted", role: "status" });
      const copy = el("button", { type: "button", class: "secondary", "data-action": "copy-portal-link", text: "Copy", onclick: async () => {
        try {
          await navigator.clipboard.writeText(link.url);
          copied.textContent = "Copied";
        } catch {
          url.select();
          copied.textContent = "Press Ctrl+C to copy";
        }
      } });
      shown.replaceChildren(
        el("div", { class: "portal-link-row" }, url, copy, copied),
        el("p", { class: "muted", text: `Works until ${dateTime(link.expires_at)}. Anyone with it sees ${customer.name}'s repairs, quotes and invoices.` }),
        link.qr_png ? el("figure", { class: "portal-link-qr" },
          el("img", { src: link.qr_png, alt: `QR code of ${customer.name}'s portal link`, width: 160, height: 160 }),
          el("figcaption", { class: "muted", text: "Let the customer scan it with their phone." })) : null);
      create.textContent = "Create another link";
      url.focus();
    } catch (err) {
      error.textContent = err.message;
    }
  }));

  revoke.addEventListener("click", () => {
    if (!confirm(`Revoke every portal link of ${customer.name}? Links already sent stop working; you can create a new one.`)) return;
    busy(revoke, async () => {
      error.textContent = "";
      try {
        await call("DELETE", `/api/v1/customers/${customer.id}/portal-link`);
        shown.replaceChildren();
        create.textContent = "Create link";
        status.textContent = "Every link is revoked. The customer needs a new link to open their page.";
      } catch (err) {
        error.textContent = err.message;
      }
    });
  });

  const node = el("section", { class: "portal-link", "aria-labelledby": "portal-link-h" },
    el("h2", { id: "portal-link-h", text: "Customer portal link" }),
    el("p", { class: "muted", text: "A link to the customer's own page: their repairs, quotes, invoices and shared files. No password needed." }),
    el("div", { class: "actions" }, create, revoke),
    status, error, shown);
  return { node };
}
