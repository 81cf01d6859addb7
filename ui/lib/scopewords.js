// Scopes in plain words: one sentence each, as an owner reads them before
// granting a plugin its scopes.

const nouns = {
  tickets: ["your tickets and their notes", "tickets: add notes, change status and details"],
  customers: ["your customers' names and contact details", "customers' records"],
  payments: ["payments taken on tickets", "payments: record and refund them"],
  files: ["files attached to tickets", "files: attach and remove them"],
  catalog: ["your catalog of parts and services", "the catalog's items and prices"],
  inventory: ["stock levels", "stock levels: receive and adjust them"],
  devices: ["devices in the buy and sell pipeline", "devices' records"],
  purchase_orders: ["purchase orders", "purchase orders: create and receive them"],
  proposals: ["quotes sent to customers", "quotes: write and send them"],
  store: ["your shop's name, hours and settings", "your shop's settings"],
  users: ["your staff's names and roles", "staff accounts"],
  visitors: ["the visitor log", "the visitor log: sign people in and out"],
  locations: ["your shop's locations", "locations"],
  contractors: ["contractors and their visits", "contractors' records"],
  evacuation: ["the evacuation roll call", "the evacuation roll call: start and close it"],
  webhooks: ["webhooks and their deliveries", "webhooks: add, change and remove them"],
  events: ["the log of what happened in the shop", "events"],
  plugins: ["installed plugins", "plugins: install and remove them"],
  keys: ["API keys (never their secrets)", "API keys: create and revoke them"],
};

// scopeSentence is one sentence saying what scope lets a plugin do.
export function scopeSentence(scope) {
  if (scope === "live") return "Follow changes in the shop as they happen.";
  if (scope === "backup.read") return "Download a full backup of the shop, with every record.";
  const [res, act] = scope.split(".");
  const words = nouns[res];
  if (!words) return `Use “${scope}”.`;
  return act === "write" ? `Change ${words[1]}.` : `Read ${words[0]}.`;
}
