// Scopes in plain words, one sentence each, as an owner reads them before
// granting a plugin its scopes: the same sentences as the OAuth approval
// page (scopeWords in api/oauth.go).

const words = {
  tickets: ["Read your tickets and their notes", "Create and change tickets and add notes"],
  customers: ["Read your customers and their contact details", "Create and change customers"],
  payments: ["Read payments", "Record and refund payments"],
  files: ["Read files attached to tickets", "Attach files to tickets"],
  catalog: ["Read your parts and services catalog", "Change your catalog"],
  inventory: ["Read your stock levels", "Adjust your stock"],
  devices: ["Read your devices for sale", "Change your devices for sale"],
  purchase_orders: ["Read your purchase orders", "Create and change purchase orders"],
  proposals: ["Read your quotes", "Create and change quotes"],
  store: ["Read your shop's details and settings", "Change your shop's details and settings"],
  users: ["Read your staff list", "Invite and change staff"],
  visitors: ["Read your visitor log", "Sign visitors in and out"],
  locations: ["Read your locations", "Change your locations"],
  contractors: ["Read your contractors", "Approve and change contractors"],
  evacuation: ["Read the evacuation roll call", "Start and end an evacuation"],
  webhooks: ["Read your webhooks", "Create and change webhooks"],
  events: ["Read the log of what happens in your shop", "Write to the event log"],
  plugins: ["See which plugins are installed", "Install and remove plugins"],
  keys: ["See your API keys", "Create and revoke API keys"],
};

// scopeSentences is one sentence per scope, [scope, sentence] pairs;
// tickets.read with customers.read reads "Read your tickets and their customers".
export function scopeSentences(scopes) {
  const has = new Set(scopes);
  const out = [];
  for (const sc of scopes) {
    if (sc === "tickets.read" && has.has("customers.read")) { out.push([sc, "Read your tickets and their customers"]); continue; }
    if (sc === "customers.read" && has.has("tickets.read")) continue; // said with the tickets
    if (sc === "live") { out.push([sc, "Follow what happens in your shop as it happens"]); continue; }
    if (sc === "backup.read") { out.push([sc, "Download a full backup of your shop"]); continue; }
    const [res, kind] = sc.split(".");
    const w = words[res];
    out.push([sc, w && kind === "read" ? w[0] : w && kind === "write" ? w[1] : `Use the permission ${sc}`]);
  }
  return out;
}
