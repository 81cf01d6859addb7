// Settings → Emails: every email to a customer, newest first — to whom, what,
// from which event, and each attempt with the mail server's reply. Skipped
// ones say why (no address on file, no mail server set up).

import { el, reconcile, renderPager } from "../lib/dom.js";
import { get, query } from "../lib/api.js";
import { when, fullTime } from "../lib/format.js";

const perPage = 50;
const statusWords = { queued: "Queued", sent: "Sent", failed: "Failed", skipped: "Skipped" };

export async function emailLog() {
  const list = el("ol", { class: "event-list email-log", "data-list": true, "aria-label": "Emails, newest first" });
  const pager = el("nav", { class: "pager", "aria-label": "Pages of the email log" });
  const status = el("p", { class: "muted", role: "status" });
  const refresh = el("button", { type: "button", class: "secondary", text: "Refresh" });
  const nodes = new Map(); // email id → its row, kept across reloads so an open one stays open
  let page = 1;

  function attempts(e) {
    if (!e.attempts.length) return el("p", { class: "muted small", text: e.reason || "No attempt yet." });
    return el("ol", { class: "email-attempts" }, e.attempts.map((a) => el("li", {},
      el("time", { datetime: a.at, title: fullTime(a.at), text: `Attempt ${a.n}, ${when(a.at)}: ` }),
      el("span", { class: "mono small", text: a.reply || a.error || "no reply" }))));
  }

  function row(e) {
    let li = nodes.get(e.id);
    const body = el("div", { class: "email-detail" }, attempts(e),
      e.next_attempt_at ? el("p", { class: "muted small", text: `Next attempt ${when(e.next_attempt_at)}` }) : null);
    const head = [
      el("span", { class: `email-status email-${e.status}`, text: statusWords[e.status] || e.status }),
      el("span", { class: "email-subject", text: e.subject }),
      el("span", { class: "muted small", text: `to ${e.to || "(no address)"} · ${e.event}` }),
      el("time", { datetime: e.created_at, title: fullTime(e.created_at), class: "muted small", text: when(e.created_at) }),
    ];
    if (!li) {
      const toggle = el("button", { type: "button", class: "linklike", "aria-expanded": "false", text: "Attempts" });
      li = el("li", { "data-id": e.id }, el("div", { class: "item-head" }), toggle, el("div", { hidden: true }));
      toggle.addEventListener("click", () => {
        const panel = li.lastElementChild;
        panel.hidden = !panel.hidden;
        toggle.setAttribute("aria-expanded", String(!panel.hidden));
      });
      nodes.set(e.id, li);
    }
    li.firstElementChild.replaceChildren(...head);
    li.lastElementChild.replaceChildren(body);
    return li;
  }

  async function load(to = page) {
    try {
      const r = await get(`/api/v1/emails${query({ page: to, per_page: perPage })}`);
      page = to;
      const rows = r.data.map(row);
      if (!rows.length) {
        rows.push(el("li", { class: "muted", text: "No emails yet. Customers get one when a ticket reaches a status marked \u201cEmails the customer\u201d (Settings → Shop), when a quote is sent, and when a payment is received." }));
      }
      reconcile(list, rows);
      const total = r.meta.total;
      renderPager(pager, { page, perPage, total, summary: `${total} email${total === 1 ? "" : "s"}` }, load);
      status.textContent = "";
    } catch (err) {
      status.textContent = err.message;
    }
  }
  refresh.addEventListener("click", () => load());
  await load(1);
  return {
    node: el("section", { class: "page" },
      el("header", { class: "page-head" }, el("h1", { text: "Emails" }), refresh),
      status, list, pager),
    title: "Emails",
    // A payment or a status change may have queued one: look again shortly after.
    onEvent(ev) {
      if (/^(ticket\.status_changed|proposal\.status_changed|payment\.received)$/.test(ev.event)) setTimeout(() => load(), 1500);
    },
  };
}
