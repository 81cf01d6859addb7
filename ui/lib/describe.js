// Plain words for an event: the hint a page shows when something changed
// under it, and the line the event stream lists.

import { money, when } from "./format.js";

function show(v) {
  if (v === null || v === undefined || v === "") return "none";
  if (typeof v === "object") return [v.brand, v.model].filter(Boolean).join(" ") || "changed";
  return String(v);
}

const fieldNames = { assigned_to: "assignee", due_at: "due date", customer_id: "customer", totals: "totals" };

// changeList says what changed: "status New → In Progress, assignee none → Sam".
export function changeList(changes, userName = (id) => id) {
  return Object.entries(changes || {}).map(([k, c]) => {
    if (k === "totals") return `total ${money(c.from?.total)} → ${money(c.to?.total)}`;
    const fmt = k === "assigned_to" ? (v) => (v ? userName(v) : "nobody")
      : k.endsWith("_at") ? (v) => (v ? when(v) : "none")
      : show;
    return `${fieldNames[k] || k.replaceAll("_", " ")} ${fmt(c.from)} → ${fmt(c.to)}`;
  }).join(", ");
}

// ticketHint describes a ticket event for people watching that ticket, or
// returns "" for events another one already describes (a status change
// arrives as ticket.updated and ticket.status_changed).
export function ticketHint(ev, userName) {
  const d = ev.data || {};
  const num = d.ticket?.number ? `#${d.ticket.number}` : "";
  switch (ev.event) {
    case "ticket.created": return `New ticket ${num}`;
    case "ticket.updated": return `Ticket ${num} changed: ${changeList(d.changes, userName)}`.replace("  ", " ");
    case "ticket.note_added": return `${d.note?.author || "Someone"} added a note${d.note?.internal ? " (internal)" : ""}`;
    case "ticket.line_item_added": return `Line item added: ${d.line_item?.description || ""}`;
    case "payment.received": return `Payment of ${money(d.payment?.amount)} received`;
    default: return "";
  }
}

// actorName is who did what an event describes: a staff member's or a key's
// name ("Sam", "Label printer"), "Portal" for the appliance itself, "" for
// events logged before events named their actor.
export function actorName(ev) {
  const a = ev.actor;
  if (!a) return "";
  if (a.type === "system") return "Portal";
  return a.name || a.type;
}

// summary is one line for any event, for the stream viewer.
export function summary(ev) {
  const d = ev.data || {};
  const id = Object.entries(d).find(([k]) => k.endsWith("_id"));
  const parts = [id ? `${id[0].replace("_id", "")} ${id[1]}` : ""];
  if (d.changes) parts.push(changeList(d.changes));
  return parts.filter(Boolean).join(" · ");
}
