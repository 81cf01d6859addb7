// Plain words for an event: who did what, as the timeline, the "updated"
// bar, the queue's hint and the event stream say it. Every sentence names
// people and tickets as the shop knows them (Sam, #1042), never by id.

import { money, when } from "./format.js";

function show(v) {
  if (v === null || v === undefined || v === "") return "none";
  if (typeof v === "object") return [v.brand, v.model].filter(Boolean).join(" ") || "changed";
  return String(v);
}

const fieldNames = { assigned_to: "assignee", due_at: "due date", customer_id: "customer", tax_rate: "tax rate" };

// changeList says what changed: "status New → In Progress, assignee nobody → Sam".
// Totals and line items have sentences of their own (lineChange).
export function changeList(changes, userName) {
  return Object.entries(changes || {}).filter(([k]) => k !== "totals" && k !== "line_item" && k !== "statuses" && k !== "email" && k !== "chain").map(([k, c]) => {
    if (k === "setup_complete") return c.to ? "finished the setup" : "setup to be finished again";
    const fmt = k === "assigned_to" ? (v) => (v ? userName(v) : "nobody")
      : k.endsWith("_at") ? (v) => (v ? when(v) : "none")
      : show;
    return `${fieldNames[k] || k.replaceAll("_", " ")} ${fmt(c.from)} → ${fmt(c.to)}`;
  }).join(", ");
}

// lineChange is what happened to a line item: added, removed or changed.
function lineChange(c) {
  const item = (li) => `${li.description} (${money(li.total)})`;
  if (!c.from) return `added ${item(c.to)}`;
  if (!c.to) return `removed ${item(c.from)}`;
  const parts = [];
  if (c.from.description !== c.to.description) parts.push(`description “${c.from.description}” → “${c.to.description}”`);
  if (c.from.quantity !== c.to.quantity) parts.push(`quantity ${c.from.quantity} → ${c.to.quantity}`);
  if (c.from.unit_price !== c.to.unit_price) parts.push(`price ${money(c.from.unit_price)} → ${money(c.to.unit_price)}`);
  if (c.from.taxable !== c.to.taxable) parts.push(c.to.taxable ? "now taxed" : "no longer taxed");
  return `changed ${c.to.description}${parts.length ? `: ${parts.join(", ")}` : ""}`;
}

// actorName is who did what an event describes: a staff member's or a key's
// name ("Sam", "Label printer"), "Portal" for the appliance itself,
// "Someone" for events logged before events named their actor.
export function actorName(ev) {
  const a = ev.actor;
  if (!a) return "Someone";
  if (a.type === "system") return "Portal";
  return a.name || "Someone";
}

// derived events restate a ticket.updated for integrations that want one
// kind of change: where both arrive (the timeline, the queue's hint), the
// ticket.updated alone is told.
export const derived = new Set(["ticket.status_changed", "ticket.assigned", "ticket.closed", "ticket.reopened"]);

// ticketAction is what an event did to a ticket, as a verb phrase without
// the subject ("changed status New → In Progress").
export function ticketAction(ev, userName) {
  const d = ev.data || {};
  const to = (k) => d.changes?.[k]?.to;
  switch (ev.event) {
    case "ticket.created": return "opened the ticket";
    case "ticket.status_changed": return `moved the ticket to ${to("status") ?? d.ticket?.status ?? "another status"}`;
    case "ticket.assigned": return to("assigned_to") ? `assigned the ticket to ${userName(to("assigned_to"))}` : "unassigned the ticket";
    case "ticket.closed": return "closed the ticket";
    case "ticket.reopened": return "reopened the ticket";
    case "ticket.updated": {
      const parts = [];
      if (d.changes?.line_item) parts.push(lineChange(d.changes.line_item));
      const rest = changeList(d.changes, userName);
      if (rest) parts.push(`changed ${rest}`);
      return parts.join("; ");
    }
    case "ticket.note_added": return d.note?.internal ? "added an internal note" : "added a note";
    case "ticket.line_item_added": return lineChange({ from: null, to: d.line_item || {} });
    case "ticket.attachment_added":
    case "customer.attachment_added":
    case "device.attachment_added":
    case "proposal.attachment_added": {
      const a = d.attachment || {};
      return `attached ${String(a.content_type || "").startsWith("image/") ? "a photo" : "a file"}${a.filename ? ` (${a.filename})` : ""}`;
    }
    case "payment.received": return `recorded a payment of ${money(d.payment?.amount)}${d.payment?.method ? ` by ${d.payment.method}` : ""}`;
    case "payment.refunded": return `refunded ${money(d.refund?.amount ?? d.payment?.amount)}`;
    default: return "";
  }
}

// ticketSentence is "Sam changed status New → In Progress", or "" for the
// derived events.
export function ticketSentence(ev, userName) {
  const action = derived.has(ev.event) ? "" : ticketAction(ev, userName);
  return action ? `${actorName(ev)} ${action}` : "";
}

const verbs = { created: "added", updated: "changed", deleted: "deleted" };

// eventSummary is one line for any event of the stream. names turns ids into
// what people know: names.ticket(id, ticket) → "#1042", names.customer(id),
// names.user(id), names.webhook(id, webhook) → "the webhook to https://…".
export function eventSummary(ev, names) {
  const d = ev.data || {};
  const who = actorName(ev);
  const [area, what = ""] = ev.event.split(".");
  const plain = what.replaceAll("_", " ");
  if (area === "ticket" || area === "payment") {
    const action = ticketAction(ev, names.user) || plain;
    return `${who} ${action}${d.ticket_id ? ` on ${names.ticket(d.ticket_id, d.ticket)}` : ""}`;
  }
  if (area === "customer") {
    const changes = changeList(d.changes, names.user);
    const name = d.customer?.name || names.customer(d.customer_id);
    return `${who} ${verbs[what] || plain} customer ${name}${changes ? `: ${changes}` : ""}`;
  }
  if (ev.event === "store.updated") {
    const parts = [];
    const changes = changeList(d.changes, names.user);
    if (changes) parts.push(changes);
    if (d.changes?.statuses) parts.push("the ticket statuses");
    if (d.changes?.email) parts.push("the email settings");
    if (d.changes?.chain) parts.push(d.changes.chain.nats_url && !d.changes.chain.nats_url.to ? "turned the chain of shops off" : "the chain of shops settings");
    for (const [from, to] of Object.entries(d.renamed || {})) parts.push(`renamed “${from}” to “${to}”`);
    return `${who} changed the shop${parts.length ? `: ${parts.join(", ")}` : ""}`;
  }
  if (area === "webhook") {
    const hook = names.webhook(d.webhook_id, d.webhook);
    if (what === "secret_revealed") return `${who} showed the signing secret of ${hook}`;
    if (what === "disabled") return `Portal disabled ${hook}${d.reason ? `: ${d.reason}` : ""}`;
    return `${who}: ${hook} ${plain}`;
  }
  return `${who}: ${plain || ev.event}`;
}
