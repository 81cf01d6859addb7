// One ticket: who and what, its status and assignee, the timeline of notes
// and events with a composer, and the money panel. Changes made elsewhere
// show as a notice and update the page without touching what is being typed.

import { el, link, field, showErrors, busy, flash, debounce } from "../lib/dom.js";
import { call, get } from "../lib/api.js";
import { when, fullTime, money, device, statusClass, ago, toShopTime, fromShopTime } from "../lib/format.js";
import { changeList, actorName } from "../lib/describe.js";
import { moneyPanel } from "./ticketmoney.js";

export async function ticketPage(ctx, [id]) {
  const base = `/api/v1/tickets/${id}`;
  const canWrite = ctx.can("tickets.write");
  let ticket = (await get(base)).data;
  const [customer, notes, events] = await Promise.all([
    get(`/api/v1/customers/${ticket.customer_id}`).then((r) => r.data).catch(() => null),
    get(`${base}/notes?per_page=200`).then((r) => r.data),
    get(`${base}/events?per_page=200`).then((r) => r.data).catch(() => []),
  ]);
  // Our own writes must not announce themselves as changes made elsewhere.
  // What each write made is remembered, and events that arrive while a write
  // is in flight (the feed can beat the response) wait until it answers.
  const ours = new Set();
  let pending = 0;
  let held = [];
  const remember = (data) => {
    if (!data) return;
    if (data.number && data.updated_at) ours.add(data.updated_at); // the ticket
    if (data.ticket?.updated_at) ours.add(data.ticket.updated_at);
    if (data.line_item?.id) ours.add(`line_item-${data.line_item.id}`);
    if (data.payment?.id) ours.add(`payment-${data.payment.id}`);
    if (data.ticket_id && data.body !== undefined) ours.add(`note-${data.id}`);
  };
  const write = async (fn) => {
    pending++;
    try {
      const r = await fn();
      remember(r?.data);
      return r;
    } finally {
      if (--pending === 0) {
        const replay = held;
        held = [];
        replay.forEach(handle);
      }
    }
  };
  const isMine = (d) => {
    if (d.note) return ours.has(`note-${d.note.id}`);
    if (d.payment) return ours.has(`payment-${d.payment.id}`);
    if (d.line_item) return ours.has(`line_item-${d.line_item.id}`);
    return ours.has(d.ticket?.updated_at);
  };

  const notice = el("div", { class: "notice", role: "status", "aria-live": "polite", hidden: true });
  const title = el("h1", {});
  const meta = el("p", { class: "muted" });

  // Header controls change the ticket at once.
  const status = el("select", { name: "status", disabled: !canWrite },
    ctx.statuses.map((s) => el("option", { value: s.name, text: s.name })));
  const assignee = el("select", { name: "assigned_to", disabled: !canWrite },
    el("option", { value: "", text: "Unassigned" }), ctx.users.map((u) => el("option", { value: String(u.id), text: u.name })));
  const priority = el("select", { name: "priority", disabled: !canWrite },
    ["low", "normal", "high", "urgent"].map((p) => el("option", { value: p, text: p[0].toUpperCase() + p.slice(1) })));
  const due = el("input", { name: "due_at", type: "datetime-local", disabled: !canWrite });
  const headError = el("p", { class: "error", role: "alert" });
  const controls = el("form", { class: "ticket-controls", novalidate: true, onsubmit: (e) => e.preventDefault() },
    field("Status", status), field("Assigned to", assignee), field("Priority", priority), field("Due (shop time)", due));

  async function patch(body, control) {
    headError.textContent = "";
    try {
      const r = await write(() => call("PATCH", base, body));
      setTicket(r.data);
    } catch (err) {
      if (!showErrors(controls, err)) headError.textContent = err.message;
      fillControls(); // back to what the ticket really holds
      control.focus();
    }
  }
  // A closed select changes on every arrow key, and a date while its parts
  // are typed: a change is saved once the control rests, or when it is left.
  const saveWhenSettled = (control, body) => {
    const save = debounce(() => {
      const b = body();
      if (b) patch(b, control);
    }, 700);
    control.addEventListener("change", save);
    control.addEventListener("blur", () => { save.cancel(); const b = body(); if (b) patch(b, control); });
    return save;
  };
  const unchangedOr = (changed, b) => (changed ? b : null);
  const savers = [
    saveWhenSettled(status, () => unchangedOr(status.value !== ticket.status, { status: status.value })),
    saveWhenSettled(assignee, () => {
      const v = assignee.value ? Number(assignee.value) : null;
      return unchangedOr(v !== (ticket.assigned_to ?? null), { assigned_to: v });
    }),
    saveWhenSettled(priority, () => unchangedOr(priority.value !== ticket.priority, { priority: priority.value })),
    saveWhenSettled(due, () => unchangedOr(due.value !== toShopTime(ticket.due_at), { due_at: due.value ? fromShopTime(due.value) : null })),
  ];

  function fillControls() {
    // A control the user is on keeps their choice; the notice says what changed.
    const set = (c, v) => { if (document.activeElement !== c) c.value = v; };
    set(status, ticket.status);
    set(assignee, ticket.assigned_to ? String(ticket.assigned_to) : "");
    set(priority, ticket.priority);
    set(due, toShopTime(ticket.due_at));
  }

  function renderHead() {
    title.replaceChildren(el("span", { class: "num", text: `#${ticket.number}` }), " ",
      el("span", { text: device(ticket.device) || "Device not recorded" }), " ",
      el("span", { class: `status ${statusClass(ticket.status, ctx.statuses)}`, text: ticket.status }));
    meta.replaceChildren(
      customer ? link(`/customers/${customer.id}`, customer.name) : `Customer ${ticket.customer_id}`,
      customer?.phone ? ` · ${customer.phone}` : "",
      ticket.device.serial ? ` · Serial ${ticket.device.serial}` : "",
      ticket.device.imei ? ` · IMEI ${ticket.device.imei}` : "",
      ` · Opened ${when(ticket.created_at)}`);
  }

  function setTicket(t) {
    ticket = t;
    renderHead();
    fillControls();
    money.setTicket(t);
  }

  // The timeline: the issue first, then notes and events, oldest first.
  const timeline = el("ol", { class: "timeline", "aria-label": "Timeline" });
  const items = new Map(); // key → node, so a live event is not listed twice
  function addItem(key, at, node, animate) {
    if (items.has(key)) return;
    node.dataset.at = at;
    items.set(key, node);
    const after = [...timeline.children].find((n) => n.dataset.at > at);
    timeline.insertBefore(node, after || null);
    if (animate) flash(node);
  }
  function noteItem(n, animate) {
    addItem(`note-${n.id}`, n.created_at, el("li", { class: `note${n.internal ? " internal" : ""}` },
      el("div", { class: "item-head" }, el("strong", { text: n.author || "Someone" }),
        n.internal ? el("span", { class: "badge", text: "Internal" }) : null,
        el("time", { datetime: n.created_at, title: fullTime(n.created_at), text: when(n.created_at) })),
      el("p", { class: "note-body", text: n.body })), animate);
  }
  function eventItem(ev, animate) {
    const text = eventText(ev, ctx);
    if (!text) return;
    const who = actorName(ev);
    addItem(ev.event_id, ev.timestamp, el("li", { class: "event" },
      who ? el("strong", { class: "actor", text: who }) : null, who ? ": " : "",
      el("span", { text }), " ",
      el("time", { datetime: ev.timestamp, title: fullTime(ev.timestamp), text: when(ev.timestamp) })), animate);
  }
  addItem("issue", ticket.created_at, el("li", { class: "note issue" },
    el("div", { class: "item-head" }, el("strong", { text: "Issue" }),
      el("time", { datetime: ticket.created_at, title: fullTime(ticket.created_at), text: when(ticket.created_at) })),
    el("p", { class: "note-body", text: ticket.issue })));
  notes.forEach((n) => noteItem(n));
  events.forEach((ev) => eventItem(ev));

  const composer = composerForm(base, canWrite, write, (n) => noteItem(n, true));
  const money = moneyPanel(ctx, base, ticket, write, setTicket);

  setTicket(ticket);
  const node = el("section", { class: "page ticket" },
    el("header", { class: "ticket-head" },
      el("p", { class: "crumbs" }, link("/tickets", "Tickets"), " / ", el("span", { class: "num", text: `#${ticket.number}` })),
      title, meta, controls, headError),
    notice,
    el("div", { class: "columns" },
      el("section", { class: "col-main", "aria-label": "Timeline and notes" }, el("h2", { text: "Timeline" }), timeline, composer.node),
      money.node));

  function tell(text, who) {
    notice.hidden = false;
    notice.replaceChildren(el("strong", { text: who ? `Updated by ${who} ` : "Updated elsewhere " }),
      el("span", { class: "muted", text: ago(new Date().toISOString()) }), " — ", text);
    flash(notice);
  }

  return {
    node,
    title: `Ticket #${ticket.number}`,
    focus: () => document.getElementById("content").focus({ preventScroll: true }),
    onEvent: handle,
    async onResync() {
      try {
        setTicket((await get(base)).data);
        money.refresh();
      } catch { /* the next event or reload tries again */ }
    },
    onEscape: () => ctx.navigate("/tickets"),
    destroy: () => savers.forEach((s) => s.cancel()),
  };

  function handle(ev) {
    const d = ev.data || {};
    if (d.ticket_id !== ticket.id) {
      if (ev.event === "customer.updated" && d.customer?.id === customer?.id) { Object.assign(customer, d.customer); renderHead(); }
      return;
    }
    if (pending > 0) { held.push(ev); return; }
    const mine = isMine(d);
    eventItem(ev, !mine);
    if (d.note) noteItem(d.note, !mine);
    if (d.ticket && d.ticket.updated_at >= ticket.updated_at) setTicket(d.ticket);
    else if (d.totals) setTicket({ ...ticket, totals: d.totals });
    if (d.totals || d.changes?.totals || d.line_item || d.payment) money.refresh();
    if (!mine && ev.event !== "ticket.status_changed" && ev.event !== "ticket.assigned") {
      const text = eventText(ev, ctx);
      if (text) tell(text, actorName(ev));
    }
  }
}

// eventText is a timeline line; events a note or the header already shows
// say nothing here.
function eventText(ev, ctx) {
  const d = ev.data || {};
  switch (ev.event) {
    case "ticket.created": return ""; // the issue opens the timeline
    case "ticket.updated": {
      const changes = { ...(d.changes || {}) };
      delete changes.totals; // the money panel shows totals
      const text = changeList(changes, ctx.userName);
      return text ? `Changed ${text}` : "";
    }
    case "ticket.closed": return "Ticket closed";
    case "ticket.reopened": return "Ticket reopened";
    case "ticket.line_item_added": return `Added ${d.line_item?.description} (${money(d.line_item?.total)})`;
    case "payment.received": return `Payment of ${money(d.payment?.amount)} by ${d.payment?.method}`;
    default: return "";
  }
}

function composerForm(base, canWrite, write, added) {
  if (!canWrite) return { node: el("p", { class: "muted", text: "Your role can read this ticket but not add notes." }) };
  const body = el("textarea", { name: "body", rows: 3, placeholder: "Write a note… (Ctrl+Enter to add)" });
  const internal = el("input", { type: "checkbox", name: "internal", id: "note-internal" });
  const submit = el("button", { type: "submit", text: "Add note" });
  const error = el("p", { class: "error", role: "alert" });
  const form = el("form", { class: "composer", novalidate: true },
    field("Add a note", body),
    el("div", { class: "actions" }, el("label", { class: "check", for: "note-internal" }, internal, " Internal (staff only)"), submit),
    error);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    error.textContent = "";
    busy(submit, async () => {
      try {
        const r = await write(() => call("POST", `${base}/notes`, { body: body.value, internal: internal.checked }));
        body.value = "";
        added(r.data);
      } catch (err) {
        if (!showErrors(form, err)) error.textContent = err.message;
      }
    });
  });
  body.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); form.requestSubmit(); }
  });
  return { node: form };
}
