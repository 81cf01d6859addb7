// Settings → Events: the log, newest first, and events arriving live on top;
// filterable by name, each expandable to its JSON.

import { el, debounce, flash } from "../lib/dom.js";
import { get, query } from "../lib/api.js";
import { when, fullTime } from "../lib/format.js";
import { eventSummary } from "../lib/describe.js";
import { ticketLabels } from "../lib/lookup.js";
import { customerNames } from "../lib/customers.js";

const maxShown = 500;

export async function eventStream(ctx) {
  const filter = el("input", { type: "search", name: "event", "data-search": true, "aria-label": "Filter by event name",
    placeholder: "ticket.*, customer.created …   /", autocomplete: "off" });
  const list = el("ol", { class: "event-list", "data-list": true, "aria-label": "Events, newest first" });
  const paused = el("input", { type: "checkbox", id: "ev-pause" });
  const status = el("p", { class: "muted", role: "status" });
  let held = [];
  const hooks = new Map(); // webhook id → url, fetched once the stream names a webhook
  const webhook = (id, w) => {
    const url = w?.url || hooks.get(id);
    return url ? `the webhook to ${url}` : "a webhook";
  };
  let names = { ticket: () => "a ticket", customer: () => "a customer", user: ctx.userName, webhook };

  // learn fetches the ticket numbers and customer names events lack, so
  // their lines say "#1042" and "Ada Lovelace", never an id.
  async function learn(evs) {
    const ticketIds = evs.filter((ev) => ev.data?.ticket_id && !ev.data.ticket).map((ev) => ev.data.ticket_id);
    const customerIds = evs.filter((ev) => ev.data?.customer_id && !ev.data.customer).map((ev) => ev.data.customer_id);
    const needHooks = ctx.can("webhooks.read") && evs.some((ev) => ev.data?.webhook_id && !ev.data.webhook && !hooks.has(ev.data.webhook_id));
    const [ticket, customer] = await Promise.all([ticketLabels(ticketIds),
      ctx.can("customers.read") ? customerNames(customerIds) : () => "",
      needHooks ? get("/api/v1/webhooks?per_page=200").then((r) => r.data.forEach((w) => hooks.set(w.id, w.url))).catch(() => {}) : null]);
    names = { ticket, customer: (id) => customer(id) || "a customer", user: ctx.userName, webhook };
  }

  const matches = (name) => {
    const f = filter.value.trim();
    if (!f || f === "*") return true;
    return f.split(",").map((x) => x.trim()).filter(Boolean).some((p) => p.endsWith(".*") ? name.startsWith(p.slice(0, -1)) : name === p);
  };

  function item(ev) {
    const toggle = el("button", { type: "button", class: "linklike mono", "aria-expanded": "false", text: ev.event });
    const json = el("pre", { hidden: true, text: JSON.stringify(ev, null, 2) });
    toggle.addEventListener("click", () => {
      json.hidden = !json.hidden;
      toggle.setAttribute("aria-expanded", String(!json.hidden));
    });
    return el("li", {},
      el("div", { class: "item-head" }, toggle,
        el("span", { class: "small", text: eventSummary(ev, names) }),
        el("time", { datetime: ev.timestamp, title: fullTime(ev.timestamp), class: "muted", text: when(ev.timestamp) }),
        el("span", { class: "muted small mono", text: ev.event_id })),
      json);
  }

  async function load() {
    const f = filter.value.trim();
    try {
      const r = await get(`/api/v1/events${query({ event: f.includes(",") ? "" : f, per_page: 100 })}`);
      const shown = r.data.filter((ev) => matches(ev.event));
      await learn(shown);
      list.replaceChildren(...shown.map(item));
      status.textContent = r.meta.total ? `${r.meta.total} events in the log` : "";
      if (!shown.length) {
        list.append(el("li", { class: "muted", text: f
          ? `No events match “${f}”. Try an area such as ticket.* or clear the filter.`
          : "No events yet. They appear here as tickets, customers and payments change — or fire one in the test store with `portal trigger ticket.created`." }));
      }
    } catch (err) {
      status.textContent = err.message;
    }
  }
  const onFilter = debounce(load, 250);
  filter.addEventListener("input", onFilter);
  paused.addEventListener("change", () => {
    if (paused.checked) return;
    for (const ev of held) add(ev);
    held = [];
  });

  // Events are added in the order they came, each once its names are known.
  let adding = Promise.resolve();
  function add(ev) {
    if (!matches(ev.event)) return;
    adding = adding.then(() => learn([ev]).catch(() => {})).then(() => addNow(ev));
  }

  function addNow(ev) {
    list.querySelector("li.muted:only-child")?.remove();
    const node = item(ev);
    list.prepend(node);
    flash(node);
    while (list.children.length > maxShown) list.lastElementChild.remove();
  }

  await load();
  return {
    node: el("section", { class: "page" },
      el("header", { class: "page-head" }, el("h1", { text: "Events" }), filter),
      el("div", { class: "toolbar" }, el("label", { class: "check", for: "ev-pause" }, paused, " Pause the live stream"), status),
      list),
    title: "Events",
    onEvent(ev) {
      if (!ev.event_id) return;
      if (!paused.checked) add(ev);
      else if (held.push(ev) > maxShown) held.shift();
    },
    onResync: load,
    destroy: () => onFilter.cancel(),
  };
}
