// The intake receipt: what the customer takes home when they leave a
// device. One printed page: the shop and its phone, the ticket number large,
// customer, device, issue, date, a QR code of the ticket, the shop's terms
// and a signature line. Nothing internal: no notes, no staff, no prices.

import { el, link } from "../lib/dom.js";
import { get, dataURL, mode } from "../lib/api.js";
import { device, dateTime } from "../lib/format.js";
import { mintPortalLink, canMint } from "./portallink.js";

export async function receiptPage(ctx, [id]) {
  const ticket = (await get(`/api/v1/tickets/${id}`)).data;
  // The customer's own link when the member may mint one (customers.write
  // and tickets.read);
  // otherwise, or when minting fails, the ticket's QR for staff as before.
  const [customer, portal] = await Promise.all([
    get(`/api/v1/customers/${ticket.customer_id}`).then((r) => r.data).catch(() => null),
    canMint(ctx) ? mintPortalLink(ticket.customer_id).catch(() => null) : null,
  ]);
  const qr = portal?.qr_png ? "" : await dataURL(`/api/v1/tickets/${id}/qr.png`).catch(() => "");
  const shop = ctx.shop;
  const line = (label, value) => (value ? [el("dt", { text: label }), el("dd", { text: value })] : null);

  const print = el("button", { type: "button", text: "Print", onclick: () => window.print() });
  const sheet = el("article", { class: "receipt", "aria-label": `Intake receipt for ticket ${ticket.number}` },
    mode() === "test" ? el("p", { class: "receipt-test", text: "TEST MODE — not a real repair ticket" }) : null,
    el("header", { class: "receipt-shop" },
      el("h1", { text: shop.name || "Repair shop" }),
      el("p", { text: [shop.phone, shop.email].filter(Boolean).join(" · ") }),
      shop.address ? el("p", { class: "pre", text: shop.address }) : null,
      shop.hours ? el("p", { class: "pre", text: shop.hours }) : null),
    el("div", { class: "receipt-main" },
      el("div", {},
        el("p", { class: "receipt-label", text: "Repair ticket" }),
        el("p", { class: "receipt-number num", text: `#${ticket.number}` }),
        el("dl", { class: "receipt-facts" },
          line("Received", dateTime(ticket.created_at)),
          line("Customer", customer?.name || ""),
          line("Phone", customer?.phone || ""),
          line("Device", device(ticket.device) || "Not recorded"),
          line("Serial", ticket.device.serial),
          line("IMEI", ticket.device.imei))),
      portal?.qr_png ? el("figure", { class: "receipt-qr receipt-portal" },
        el("img", { src: portal.qr_png, alt: "QR code of your repair's page", width: 140, height: 140 }),
        el("figcaption", { class: "receipt-follow" }, "Follow your repair: scan or visit ",
          el("span", { class: "receipt-url", text: portal.url }))) : null,
      !portal?.qr_png && qr ? el("figure", { class: "receipt-qr" },
        el("img", { src: qr, alt: `QR code of ticket ${ticket.number}`, width: 140, height: 140 }),
        el("figcaption", { text: "Scan to open this ticket" })) : null),
    el("section", { class: "receipt-issue" }, el("h2", { text: "What is wrong" }), el("p", { class: "pre", text: ticket.issue })),
    shop.receipt_terms ? el("section", { class: "receipt-terms" }, el("h2", { text: "Terms" }), el("p", { class: "pre", text: shop.receipt_terms })) : null,
    el("div", { class: "receipt-sign" },
      el("div", {}, el("span", { class: "sign-line" }), el("span", { text: "Customer signature" })),
      el("div", {}, el("span", { class: "sign-line" }), el("span", { text: "Date" }))));

  const node = el("section", { class: "page receipt-page" },
    el("header", { class: "page-head no-print" },
      el("p", { class: "crumbs" }, link("/tickets", "Tickets"), " / ", link(`/tickets/${ticket.id}`, `#${ticket.number}`), " / Receipt"),
      print),
    !shop.receipt_terms && ctx.can("store.write")
      ? el("p", { class: "hint no-print" }, "No terms print yet. ", link("/settings/shop", "Add the shop's terms"), ".")
      : null,
    sheet);
  return {
    node,
    title: `Receipt #${ticket.number}`,
    focus: () => print.focus(),
    onKey(e) {
      if (e.key !== "p") return false;
      window.print();
      return true;
    },
  };
}
