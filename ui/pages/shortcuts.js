// The console's keyboard shortcuts: one table that both the key handler
// (lib/keys.js, for the "g" jumps) and the "?" dialog read, so the dialog
// lists every shortcut there is.

import { el } from "../lib/dom.js";

const mine = (ctx) => (ctx.me ? `/tickets?assigned_to=${ctx.me.id}` : null);

// go: the key after "g"; to: where it goes for this console (null: nowhere).
export const shortcuts = [
  { keys: "/", what: "Search the list" },
  { keys: "n", what: "New ticket" },
  { keys: "g then t", what: "Go to tickets", go: "t", to: () => "/tickets" },
  { keys: "g then m", what: "Go to my tickets", go: "m", to: mine },
  { keys: "g then c", what: "Go to customers", go: "c", to: () => "/customers" },
  { keys: "g then q", what: "Go to quotes", go: "q", to: (ctx) => (ctx.can("proposals.read") ? "/proposals" : null) },
  { keys: "g then i", what: "Go to the catalog (items and stock)", go: "i", to: (ctx) => (ctx.can("catalog.read") ? "/catalog" : null) },
  { keys: "g then o", what: "Go to purchase orders", go: "o", to: (ctx) => (ctx.can("purchase_orders.read") ? "/purchase-orders" : null) },
  { keys: "g then d", what: "Go to devices", go: "d", to: (ctx) => (ctx.can("devices.read") ? "/devices" : null) },
  { keys: "g then s", what: "Go to shop settings", go: "s", to: () => "/settings/shop" },
  { keys: "g then w", what: "Go to webhooks", go: "w", to: () => "/settings/webhooks" },
  { keys: "g then e", what: "Go to events", go: "e", to: () => "/settings/events" },
  { keys: "g then k", what: "Go to API keys", go: "k", to: () => "/settings/keys" },
  { keys: "j / k", what: "Next / previous row" },
  { keys: "Enter", what: "Open the row" },
  { keys: "p", what: "Intake receipt of the open ticket; print the open quote" },
  { keys: "Ctrl+Enter", what: "Add the note" },
  { keys: "Esc", what: "Step out: close the list, leave the field, then the page" },
  { keys: "?", what: "This list" },
];

let dialog = null;

export function shortcutsDialog() {
  if (dialog?.isConnected) return dialog;
  dialog = el("dialog", { class: "shortcuts", "aria-labelledby": "shortcuts-title" },
    el("h2", { id: "shortcuts-title", text: "Keyboard shortcuts" }),
    el("dl", {}, shortcuts.map((s) => el("div", { class: "shortcut" },
      el("dt", {}, s.keys.split(" ").map((k) => (["then", "/"].includes(k) && s.keys !== "/" ? ` ${k} ` : el("kbd", { text: k })))),
      el("dd", { text: s.what })))),
    el("form", { method: "dialog" }, el("button", { type: "submit", text: "Close" })));
  document.body.append(dialog);
  return dialog;
}
