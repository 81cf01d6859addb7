// One ticket: who and what, its status and assignee, the timeline of notes
// and events with a composer, and the money panel. Changes made elsewhere
// show as a notice and update the page without touching what is being typed.

import { el, link, field, showErrors, busy, flash, debounce } from "../lib/dom.js";
import { call, get } from "../lib/api.js";
import { when, fullTime, money, device, statusClass, ago, toShopTime, fromShopTime } from "../lib/format.js";
import { ticketAction, actorName, derived } from "../lib/describe.js";
import { moneyPanel } from "./ticketmoney.js";
import { attachments } from "../lib/attachments.js";
import { widgetPlace } from "../lib/widgets.js";

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
    if (data.owner_type && data.sha256) ours.add(`attachment-${data.id}`);
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
    if (d.attachment) return ours.has(`attachment-${d.attachment.id}`);
    if (d.note) return ours.has(`note-${d.note.id}`);
    if (d.payment) return ours.has(`payment-${d.payment.id}`);
    if (d.line_item) return ours.has(`line_item-${d.line_item.id}`);
    return ours.has(d.ticket?.updated_at);
  };

  const notices = el("ul", { class: "notice-lines" });
  const notice = el("div", { class: "notice", role: "status", "aria-live": "polite", hidden: true },
    notices, el("button", { type: "button", class: "quiet", text: "Dismiss", onclick: () => { notice.hidden = true; notices.replaceChildren(); } }));
  const title = el("h1", {});
  const meta = el("p", { class: "muted" });
  const balance = el("p", { class: "balance" });

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
      customer ? link(`/customers/${customer.id}`, customer.name) : "Customer not on record",
      customer?.phone ? ` · ${customer.phone}` : "",
      ticket.device.serial ? ` · Serial ${ticket.device.serial}` : "",
      ticket.device.imei ? ` · IMEI ${ticket.device.imei}` : "",
      ` · Opened ${when(ticket.created_at)}`);
    // The balance sits in the header, in view on a tablet before the
    // money panel is scrolled to.
    const owed = Number(ticket.totals.balance);
    balance.replaceChildren(el("span", { class: "muted", text: "Balance " }), el("strong", { class: "num", text: money(owed) }));
    if (Number(ticket.totals.total) > 0 && owed === 0) balance.append(el("span", { class: "muted", text: " · paid in full" }));
  }

  function setTicket(t) {
    ticket = t;
    renderHead();
    fillControls();
    panel.setTicket(t);
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
    if (!text || ev.event === "ticket.note_added") return; // the note itself is in the timeline
    addItem(ev.event_id, ev.timestamp, el("li", { class: "event" },
      el("strong", { class: "actor", text: actorName(ev) }), " ", el("span", { text }), " ",
      el("time", { datetime: ev.timestamp, title: fullTime(ev.timestamp), text: when(ev.timestamp) })), animate);
  }
  addItem("issue", ticket.created_at, el("li", { class: "note issue" },
    el("div", { class: "item-head" }, el("strong", { text: "Issue" }),
      el("time", { datetime: ticket.created_at, title: fullTime(ticket.created_at), text: when(ticket.created_at) })),
    el("p", { class: "note-body", text: ticket.issue })));
  notes.forEach((n) => noteItem(n));
  events.forEach((ev) => eventItem(ev));

  const composer = composerForm(base, canWrite, write, (n) => noteItem(n, true));
  const panel = moneyPanel(ctx, base, ticket, write, setTicket);
  // Photos and documents: intake photos from the tablet's camera, forms.
  const files = attachments(ctx, { type: "ticket", id: ticket.id }, { write });

  setTicket(ticket);
  const receipt = link(`/tickets/${ticket.id}/receipt`, "", { class: "button secondary", title: "Print the intake receipt (P)" });
  receipt.append("Receipt ", el("kbd", { text: "P" }));
  const quote = ctx.can("proposals.write") ? link(`/proposals/new?customer_id=${ticket.customer_id}&ticket_id=${ticket.id}`, "Quote", { class: "button secondary" }) : null;
  const sideWidgets = widgetPlace("ticket_sidebar", ticket.id); // plugins' widgets (ui/lib/widgets.js)
  const toolWidgets = widgetPlace("ticket_toolbar", ticket.id);
  panel.node.append(sideWidgets.node);
  const node = el("section", { class: "page ticket" },
    el("header", { class: "ticket-head" },
      el("div", { class: "head-row" },
        el("p", { class: "crumbs" }, link("/tickets", "Tickets"), " / ", el("span", { class: "num", text: `#${ticket.number}` })),
        el("div", { class: "actions" }, toolWidgets.node, quote, receipt)),
      title, meta, balance, controls, headError),
    notice,
    el("div", { class: "columns" },
      el("section", { class: "col-main", "aria-label": "Timeline and notes" }, files.node, el("h2", { text: "Timeline" }), timeline, composer.node),
      panel.node));

  // tell adds "Sam changed status New → In Progress · just now" to the bar;
  // changes made together stack, newest first, until dismissed.
  function tell(who, text) {
    notice.hidden = false;
    notices.prepend(el("li", {}, el("strong", { text: who }), ` ${text} `,
      el("span", { class: "muted", text: ago(new Date().toISOString()) })));
    while (notices.children.length > 5) notices.lastElementChild.remove();
    flash(notice);
  }

  return {
    node,
    title: `Ticket #${ticket.number}`,
    focus: () => document.getElementById("content").focus({ preventScroll: true }),
    onEvent: (ev) => { files.onEvent(ev); handle(ev); },
    async onResync() {
      files.refresh();
      try {
        setTicket((await get(base)).data);
        panel.refresh();
      } catch { /* the next event or reload tries again */ }
    },
    onKey(e) {
      if (e.key !== "p") return false;
      ctx.navigate(`/tickets/${ticket.id}/receipt`);
      return true;
    },
    destroy: () => { savers.forEach((s) => s.cancel()); files.destroy(); sideWidgets.destroy(); toolWidgets.destroy(); },
  };

  function handle(ev) {
    const d = ev.data || {};
    if (ev.event === "store.updated" && d.changes?.statuses) {
      // The workflow changed (the app has the new list): a rename carries
      // this ticket along without an event of its own.
      status.replaceChildren(...ctx.statuses.map((s) => el("option", { value: s.name, text: s.name })));
      const renamed = d.renamed?.[ticket.status];
      setTicket(renamed ? { ...ticket, status: renamed } : ticket);
      return;
    }
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
    if (d.totals || d.changes?.totals || d.line_item || d.payment) panel.refresh();
    if (!mine) {
      const text = eventText(ev, ctx);
      if (text) tell(actorName(ev), text);
    }
  }
}

// eventText is what an event did, for the timeline and the bar; events the
// issue or the header already show say nothing here.
function eventText(ev, ctx) {
  if (ev.event === "ticket.created" || derived.has(ev.event)) return ""; // the issue opens the timeline; the update tells the rest
  return ticketAction(ev, ctx.userName);
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
