// Settings → Webhooks: the integrator's home. The list shows each endpoint's
// health; the detail page has the secret, "Send test" and the delivery log
// with every attempt's request and response, and "Redeliver".

import { el, link, field, showErrors, busy, debounce, flash } from "../lib/dom.js";
import { call, get } from "../lib/api.js";
import { when, fullTime } from "../lib/format.js";
import { secretReveal } from "./secret.js";

const webhookSecretNote = "Copy it into your receiver's settings. The shop's owner can show it again on this webhook's page; each time is logged.";

const formats = [["portal", "Portal"], ["standard", "Standard Webhooks"], ["portalio", "Portal.io"], ["porter", "Porter"]];

// health summarises the last 24 hours of deliveries.
async function health(id) {
  const r = await get(`/api/v1/webhooks/${id}/deliveries?per_page=200`);
  const since = Date.now() - 24 * 3600 * 1000;
  const recent = r.data.filter((d) => new Date(d.created_at).getTime() >= since && d.status !== "pending");
  const ok = recent.filter((d) => d.status === "delivered").length;
  return { rate: recent.length ? Math.round((ok / recent.length) * 100) : null, last: r.data[0] };
}

export async function webhookList(ctx) {
  const canWrite = ctx.can("webhooks.write");
  const body = el("tbody", { "data-list": true });
  const shown = el("div");

  async function load() {
    const hooks = (await get("/api/v1/webhooks?per_page=200")).data;
    const stats = await Promise.all(hooks.map((h) => health(h.id).catch(() => ({ rate: null }))));
    body.replaceChildren(...hooks.map((h, i) => el("tr", {},
      el("td", {}, link(`/settings/webhooks/${h.id}`, h.url, { class: "mono" }), h.description ? el("div", { class: "muted small", text: h.description }) : null),
      el("td", {}, el("span", { class: "badge", text: h.format })),
      el("td", { class: "small", text: h.events.join(", ") }),
      el("td", {}, h.enabled ? el("span", { class: "status st-ready", text: "Enabled" })
        : el("span", { class: `status ${h.disabled_reason ? "st-failed" : "st-closed"}`, text: h.disabled_reason ? "Auto-disabled" : "Disabled" })),
      el("td", { class: "num", text: stats[i].rate === null ? "—" : `${stats[i].rate}%` }),
      el("td", { class: "muted", text: stats[i].last ? `${stats[i].last.event} · ${when(stats[i].last.created_at)}` : "Never" }))));
    if (!hooks.length) body.append(el("tr", {}, el("td", { colspan: 6, class: "muted", text: "No webhooks yet. Add an endpoint below and Portal will POST signed events to it." })));
  }

  const node = el("section", { class: "page" },
    el("header", { class: "page-head" }, el("h1", { text: "Webhooks" })),
    shown,
    el("div", { class: "table-wrap" }, el("table", {},
      el("thead", {}, el("tr", {}, ["Endpoint", "Format", "Events", "State", "Success (24 h)", "Last delivery"].map((h) => el("th", { scope: "col", text: h })))), body)),
    canWrite ? createForm(async (created) => {
      shown.replaceChildren(secretReveal(`Signing secret for ${created.url}`, [["Secret", created.secret]], webhookSecretNote));
      await load();
    }) : null);
  await load();
  const reload = debounce(() => load().catch(() => {}), 300);
  return { node, title: "Webhooks", onEvent(ev) { if (ev.event === "webhook.disabled") reload(); }, onResync: reload, destroy: () => reload.cancel() };
}

function createForm(created) {
  const url = el("input", { name: "url", type: "url", placeholder: "https://example.com/hooks/portal", autocomplete: "off" });
  const description = el("input", { name: "description", autocomplete: "off" });
  const events = el("input", { name: "events", value: "*", autocomplete: "off" });
  const format = el("select", { name: "format" }, formats.map(([v, label]) => el("option", { value: v, text: label })));
  const submit = el("button", { type: "submit", text: "Add endpoint" });
  const error = el("p", { class: "error", role: "alert" });
  const form = el("form", { class: "stack form-wide card-flat", novalidate: true },
    el("h2", { text: "Add an endpoint" }),
    field("URL", url),
    el("div", { class: "row" }, field("Format", format), field("Events", events, "Comma-separated: ticket.created, ticket.*, or * for all"), field("Description", description)),
    error, submit);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    error.textContent = "";
    busy(submit, async () => {
      try {
        const r = await call("POST", "/api/v1/webhooks", { url: url.value.trim(), description: description.value, format: format.value, events: splitEvents(events.value) });
        form.reset();
        await created(r.data);
      } catch (err) {
        if (!showErrors(form, err)) error.textContent = err.message;
      }
    });
  });
  return form;
}

const splitEvents = (s) => s.split(",").map((x) => x.trim()).filter(Boolean);

export async function webhookPage(ctx, [id]) {
  const base = `/api/v1/webhooks/${id}`;
  const canWrite = ctx.can("webhooks.write");
  let hook = (await get(base)).data;
  const banner = el("div");
  const head = el("div");
  const shown = el("div");
  const log = el("tbody", { "data-list": true });
  const result = el("p", { role: "status", class: "muted" });

  function renderHead() {
    banner.replaceChildren();
    if (!hook.enabled && hook.disabled_reason) {
      banner.append(el("div", { class: "alert-danger", role: "alert" },
        el("strong", { text: "This webhook was turned off automatically. " }),
        el("span", { text: hook.disabled_reason }), " ",
        canWrite ? el("button", { type: "button", text: "Re-enable", onclick: () => setEnabled(true) }) : null));
    }
    head.replaceChildren(
      el("h1", { class: "mono wrap", text: hook.url }),
      el("p", { class: "muted" }, el("span", { class: "badge", text: hook.format }), " ",
        `Events: ${hook.events.join(", ")}`, hook.description ? ` · ${hook.description}` : ""),
      canWrite ? el("label", { class: "check" },
        el("input", { type: "checkbox", checked: hook.enabled, onchange: (e) => setEnabled(e.target.checked) }), " Enabled") : null);
  }

  async function setEnabled(on) {
    try {
      hook = (await call("PATCH", base, { enabled: on })).data;
      renderHead();
    } catch (err) {
      result.textContent = err.message;
    }
  }

  // The log is redrawn only when a delivery changed, and an open delivery
  // keeps its detail row (and the tab shown in it) until it changes.
  let logSeq = 0;
  let shownLog = "";
  const details = new Map(); // delivery id → { updated, node } of open rows
  async function loadLog() {
    const mine = ++logSeq;
    const r = await get(`${base}/deliveries?per_page=50`);
    const signature = JSON.stringify(r.data.map((d) => [d.id, d.updated_at]));
    if (mine !== logSeq || signature === shownLog) return;
    const focusedId = document.activeElement?.closest?.("tr[data-id]")?.dataset.id;
    const rows = [];
    for (const d of r.data) {
      const toggle = el("button", { type: "button", class: "linklike", "aria-expanded": "false", text: d.event });
      const row = el("tr", { "data-id": d.id },
        el("td", {}, toggle, d.test ? el("span", { class: "badge", text: "test" }) : null),
        el("td", {}, el("span", { class: `status ${deliveryClass(d.status)}`, text: d.status })),
        el("td", { class: "num", text: d.last_status_code ? String(d.last_status_code) : (d.last_error ? "error" : "—") }),
        el("td", { class: "num", text: d.test ? String(d.attempts) : `${d.queued_attempts} of ${d.max_attempts}` }),
        el("td", { class: "muted", text: d.next_attempt_at && d.status === "pending" ? when(d.next_attempt_at) : "" }),
        el("td", { class: "muted", title: fullTime(d.created_at), text: when(d.created_at) }));
      rows.push(row);
      const open = async () => {
        toggle.setAttribute("aria-expanded", "true");
        let kept = details.get(d.id);
        if (!kept || kept.updated !== d.updated_at) {
          kept = { updated: d.updated_at, node: await deliveryDetail(d.id, canWrite, redelivered) };
          details.set(d.id, kept);
        }
        row.after(kept.node);
      };
      toggle.addEventListener("click", () => {
        if (toggle.getAttribute("aria-expanded") === "true") {
          details.get(d.id)?.node.remove();
          details.delete(d.id);
          toggle.setAttribute("aria-expanded", "false");
        } else {
          open().catch((err) => { result.textContent = err.message; });
        }
      });
      if (details.has(d.id)) await open();
    }
    if (mine !== logSeq) return;
    shownLog = signature;
    const nodes = rows.flatMap((row) => [row, details.get(row.dataset.id)?.node].filter(Boolean));
    log.replaceChildren(...nodes);
    if (!r.data.length) log.append(el("tr", {}, el("td", { colspan: 6, class: "muted", text: "No deliveries yet. Use “Send test” to send a sample event now." })));
    if (focusedId) log.querySelector(`tr[data-id="${CSS.escape(focusedId)}"] button`)?.focus();
  }
  async function redelivered(text) {
    result.textContent = text;
    await loadLog();
  }

  const testEvent = el("select", { name: "event", "aria-label": "Event to send" },
    (hook.events.includes("*") || hook.events.some((e) => e.endsWith(".*")) ? ["ticket.created", "ticket.status_changed", "customer.created", "payment.received"] : hook.events)
      .map((e) => el("option", { value: e, text: e })));
  const testButton = el("button", { type: "button", text: "Send test" });
  testButton.addEventListener("click", () => busy(testButton, async () => {
    result.textContent = "Sending…";
    try {
      const d = (await call("POST", `${base}/test`, { event: testEvent.value })).data;
      const last = d.attempt_log[d.attempt_log.length - 1];
      result.textContent = last?.status_code
        ? `Your endpoint answered ${last.status_code} in ${last.latency_ms} ms.`
        : `The test did not get through: ${last?.error || d.last_error}`;
      await loadLog();
    } catch (err) {
      result.textContent = err.message;
    }
  }));
  const rotateButton = el("button", { type: "button", class: "secondary", text: "Rotate secret" });
  rotateButton.addEventListener("click", () => busy(rotateButton, async () => {
    if (!confirm("Make a new signing secret? The old one keeps working for 24 hours where the format can carry two signatures.")) return;
    try {
      const r = (await call("POST", `${base}/rotate-secret`, {})).data;
      shown.replaceChildren(secretReveal("New signing secret", [["Secret", r.secret]], webhookSecretNote));
    } catch (err) {
      result.textContent = err.message;
    }
  }));
  // Porter's docs send people here to find the secret: the owner may see it
  // again (the appliance logs that they did).
  const revealButton = ctx.isOwner ? el("button", { type: "button", class: "secondary", text: "Show secret" }) : null;
  revealButton?.addEventListener("click", () => busy(revealButton, async () => {
    try {
      const r = (await call("POST", `${base}/reveal-secret`, {})).data;
      shown.replaceChildren(secretReveal("Signing secret", [["Secret", r.secret]], webhookSecretNote));
    } catch (err) {
      result.textContent = err.message;
    }
  }));
  const deleteButton = el("button", { type: "button", class: "danger quiet", text: "Delete webhook" });
  deleteButton.addEventListener("click", async () => {
    if (!confirm(`Delete the webhook to ${hook.url}? Its queued deliveries are dropped.`)) return;
    try {
      await call("DELETE", base);
      ctx.navigate("/settings/webhooks");
    } catch (err) {
      result.textContent = err.message;
    }
  });

  renderHead();
  await loadLog();
  const refreshLog = debounce(() => loadLog().catch(() => {}), 300);
  // Deliveries are not events, so the log refreshes on a slow tick while shown.
  const tick = setInterval(() => { if (!document.hidden) refreshLog(); }, 5000);

  const node = el("section", { class: "page" },
    el("p", { class: "crumbs" }, link("/settings/webhooks", "Webhooks")),
    banner, head, shown,
    canWrite ? el("div", { class: "toolbar" }, testEvent, testButton, revealButton, rotateButton, deleteButton) : null,
    result,
    el("h2", { text: "Recent deliveries" }),
    el("div", { class: "table-wrap" }, el("table", { class: "deliveries" },
      el("thead", {}, el("tr", {}, ["Event", "Status", "Response", "Attempts", "Next retry", "Created"].map((h) => el("th", { scope: "col", text: h })))), log)));
  return {
    node,
    title: "Webhook",
    destroy() { clearInterval(tick); refreshLog.cancel(); logSeq++; },
    onResync: refreshLog,
    async onEvent(ev) {
      if (ev.event === "webhook.disabled" && ev.data?.webhook_id === hook.id) {
        hook = (await get(base)).data;
        renderHead();
        flash(banner);
      }
      refreshLog();
    },
  };
}

function deliveryClass(s) {
  return { delivered: "st-ready", failed: "st-failed", pending: "st-waiting" }[s] || "st-progress";
}

// deliveryDetail is the expanded row: each attempt's request and response.
async function deliveryDetail(id, canWrite, changed) {
  const d = (await get(`/api/v1/deliveries/${id}`)).data;
  const cell = el("td", { colspan: 6 });
  const headers = (h) => Object.entries(h || {}).map(([k, v]) => `${k}: ${v}`).join("\n");
  const pretty = (body) => {
    if (body === null || body === undefined) return "";
    if (typeof body !== "string") return JSON.stringify(body, null, 2);
    try { return JSON.stringify(JSON.parse(body), null, 2); } catch { return body; }
  };
  for (const a of [...d.attempt_log].reverse()) {
    const tabs = tabbed([
      ["Request", `POST\n${headers(a.request_headers)}\n\n${pretty(a.request_body)}`],
      ["Response", a.error ? `No response: ${a.error}` : `${a.status_code}\n${headers(a.response_headers)}\n\n${pretty(a.response_body)}`],
    ]);
    cell.append(el("div", { class: "attempt" },
      el("div", { class: "item-head" },
        el("strong", { text: `Attempt ${a.n}${a.manual ? " (manual)" : ""}` }),
        el("span", { class: `status ${a.status_code >= 200 && a.status_code < 300 ? "st-ready" : "st-failed"}`, text: a.status_code ? String(a.status_code) : "no response" }),
        el("span", { class: "muted", text: `${a.latency_ms} ms · ${when(a.at)}` })),
      tabs));
  }
  if (!d.attempt_log.length) cell.append(el("p", { class: "muted", text: "Not attempted yet." }));
  if (canWrite) {
    const again = el("button", { type: "button", text: "Redeliver" });
    again.addEventListener("click", () => busy(again, async () => {
      try {
        const r = (await call("POST", `/api/v1/deliveries/${id}/redeliver`)).data;
        await changed(`Sent ${r.event} again: ${r.last_status_code ? `your endpoint answered ${r.last_status_code}` : r.last_error}.`);
      } catch (err) {
        await changed(err.message);
      }
    }));
    cell.append(el("div", { class: "actions" }, again));
  }
  return el("tr", { class: "detail", "data-id": id }, cell);
}

// tabbed shows one of several preformatted texts, ARIA tabs with arrow keys.
function tabbed(panes) {
  const uid = Math.random().toString(36).slice(2, 8);
  const list = el("div", { role: "tablist", class: "tabs" });
  const bodies = panes.map(([, text], i) => el("pre", { role: "tabpanel", id: `p-${uid}-${i}`, tabindex: "0", hidden: i !== 0, text }));
  const tabs = panes.map(([label], i) => el("button", {
    type: "button", role: "tab", id: `t-${uid}-${i}`, "aria-controls": `p-${uid}-${i}`, "aria-selected": String(i === 0), tabindex: i === 0 ? "0" : "-1", text: label,
  }));
  const select = (i) => tabs.forEach((t, j) => {
    t.setAttribute("aria-selected", String(i === j));
    t.tabIndex = i === j ? 0 : -1;
    bodies[j].hidden = i !== j;
    if (i === j) t.focus();
  });
  tabs.forEach((t, i) => {
    t.addEventListener("click", () => select(i));
    t.addEventListener("keydown", (e) => {
      if (e.key === "ArrowRight" || e.key === "ArrowLeft") select((i + (e.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length);
    });
    bodies[i].setAttribute("aria-labelledby", t.id);
  });
  list.append(...tabs);
  return el("div", {}, list, bodies);
}
