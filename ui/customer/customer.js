// The customer's page (/c/): what a shop's customer sees of their own
// repairs, on their phone, once in a while. It talks only to /c/api/ with
// the HttpOnly cookie their magic link (or the sign-in form) set; it holds no
// key and no staff session, and knows nothing of the console. Plain words,
// the shop's name first, nothing internal.
//
// Screens live in the address's hash, so the back button works and a
// reload stays put: "" (home: repairs, quotes, documents), "#quote/<id>",
// "#invoice/<ticket id>". Live updates arrive over /c/api/live; each one
// reloads what the page shows and the polite live region says what changed.

import { el, reconcile, debounce } from "../lib/dom.js";
import { setShop, dateTime, money, device, shopZone } from "../lib/format.js";
import { proposalSummary, optionSummary, rateOf, toAmount } from "../pages/proposalmath.js";

const app = document.getElementById("c-app");
// A test-mode link lands on /c/?mode=test: signing in again looks in the test store.
const testMode = new URLSearchParams(location.search).get("mode") === "test";
const announcer = document.getElementById("c-live");

class CustomerError extends Error {
  constructor(status, body) {
    super(body?.error?.message || `Something went wrong (HTTP ${status}). Please try again.`);
    this.status = status;
    this.code = body?.error?.code || "";
    this.details = body?.error?.details || [];
  }
}

// api calls a /c/api/ route and answers the envelope's data; a 401 means
// the link ran out or was revoked: back to the sign-in form.
async function api(method, path, body) {
  let res;
  try {
    res = await fetch(`/c/api${path}`, {
      method, credentials: "same-origin",
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new CustomerError(0, { error: { message: "We cannot reach the shop right now. Check your connection and try again." } });
  }
  const env = await res.json().catch(() => ({}));
  if (!res.ok) {
    const err = new CustomerError(res.status, env);
    if (res.status === 401 && !path.startsWith("/login")) signedOut();
    throw err;
  }
  return env.data;
}

// ——— State ———

const state = {
  me: null, // {customer, shop, mode}
  tickets: [], // the customer's repairs, with their public timelines
  proposals: [],
  attachments: [],
  invoices: new Map(), // ticket id → invoice, loaded when shown
  open: new Set(), // ticket ids whose updates are unfolded
  unfolded: false, // the first open repair was unfolded
};

const shop = () => state.me?.shop || {};
const customerName = () => state.me?.customer?.name || state.me?.name || "";

// ——— Words ———

// stage places a repair on the progress line New → In progress → Ready →
// Collected, from its status (the shop names its own statuses).
function stage(t) {
  const s = String(t.status || "").toLowerCase();
  if (t.closed || t.closed_at || /collected|picked|closed|done|complete/.test(s)) return 3;
  if (s.startsWith("ready")) return 2;
  if (s === "new" || s === "") return 0;
  return 1;
}
const stages = ["New", "In progress", "Ready", "Collected"];

// plainStatus is the status as a sentence a customer reads.
function plainStatus(t) {
  if (t.status_text) return t.status_text;
  const s = String(t.status || "").toLowerCase();
  if (s.startsWith("waiting")) return "We are waiting for parts.";
  switch (stage(t)) {
    case 0: return "We have your device and will look at it soon.";
    case 2: return "Your device is ready to collect.";
    case 3: return "Collected. Thank you!";
    default: return "We are working on it.";
  }
}

const answerable = ["Submitted", "ViewedByClient", "Delayed"];
// canAnswer: the server says whether the quote still takes an answer.
const canAnswer = (p) => p.can_answer ?? answerable.includes(p.status);
function quoteWords(p) {
  if (canAnswer(p)) return "Waiting for your answer";
  switch (p.status) {
    case "Accepted": case "Completed": return "Accepted";
    case "Declined": return "Declined";
    case "Expired": return "Expired";
    default: return p.status;
  }
}

const shortDate = (iso) => new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeZone: shopZone() }).format(new Date(iso));
const quoteTitle = (p) => p.name || `Quote ${p.number}`;
const repairTitle = (t) => [device(t.device) || "Your device", t.number ? `#${t.number}` : ""].filter(Boolean).join(" · ");

function say(text) {
  // The same words twice in a row are still announced.
  announcer.textContent = "";
  requestAnimationFrame(() => { announcer.textContent = text; });
}

// ——— Frame: the shop first, the screen, the shop's details and Sign out ———

const main = el("main", { id: "c-main", class: "c-main", tabindex: "-1" });
const shopHead = el("header", { class: "c-shop" });
const foot = el("footer", { class: "c-foot" });

function frame() {
  const s = shop();
  shopHead.replaceChildren(...[
    state.me?.mode === "test" ? el("p", { class: "c-test", text: "Test mode — this is not a real repair." }) : null,
    el("p", { class: "c-shop-name", text: s.name || "Your repair shop" }),
    customerName() ? el("p", { class: "c-hello", text: `Hello, ${firstName(customerName())}` }) : null].filter(Boolean));
  const signOut = el("button", { type: "button", class: "c-button c-quiet", "data-action": "sign-out", text: "Sign out", onclick: onSignOut });
  foot.replaceChildren(...[
    el("section", { class: "c-contact", "aria-labelledby": "c-contact-h" },
      el("h2", { id: "c-contact-h", text: "Contact the shop" }),
      el("p", { class: "c-shop-line", text: s.name || "" }),
      s.phone ? el("p", {}, el("a", { class: "c-tel", href: `tel:${s.phone.replace(/[^\d+]/g, "")}`, text: `Call ${s.phone}` })) : null,
      s.email ? el("p", {}, el("a", { href: `mailto:${s.email}`, text: s.email })) : null,
      s.address ? el("p", { class: "c-pre", text: s.address }) : null,
      s.hours ? el("div", { class: "c-hours" }, el("h3", { text: "Opening hours" }), el("p", { class: "c-pre", text: s.hours })) : null),
    signOut]);
  if (!app.contains(shopHead)) app.replaceChildren(shopHead, main, foot);
}

const firstName = (name) => String(name).trim().split(/\s+/)[0] || "";

// show puts a screen into main and moves focus to its heading (not on the
// first load of the page, which a screen reader starts at the top).
function show(nodes, focus = true) {
  reconcile(main, nodes);
  if (focus) {
    const h = main.querySelector("h1");
    if (h) { h.tabIndex = -1; h.focus({ preventScroll: false }); }
  }
}

// ——— Loading ———

async function loadAll() {
  const [me, tickets, proposals, attachments] = await Promise.all([
    api("GET", "/me"),
    api("GET", "/tickets"),
    api("GET", "/proposals").catch(() => []),
    api("GET", "/attachments").catch(() => []),
  ]);
  state.me = me;
  if (me?.shop) setShop(me.shop);
  // The list may leave the timeline out: read each repair whole.
  state.tickets = await Promise.all((tickets || []).map((t) => api("GET", `/tickets/${t.id}`).catch(() => t)));
  state.proposals = proposals || [];
  state.attachments = attachments || [];
}

// describeChanges says in a sentence what a reload changed.
function describeChanges(before, after) {
  const out = [];
  for (const t of after.tickets) {
    const old = before.tickets.find((x) => x.id === t.id);
    if (!old) out.push(`A new repair: ${repairTitle(t)}.`);
    else if (old.status !== t.status) out.push(`Your repair ${repairTitle(t)} is now ${t.status}.`);
    else if (timelineOf(old).length !== timelineOf(t).length) out.push(`New update on ${repairTitle(t)}.`);
    else if ((old.due_at || "") !== (t.due_at || "")) out.push(`New estimated ready time for ${repairTitle(t)}.`);
  }
  for (const p of after.proposals) {
    const old = before.proposals.find((x) => x.id === p.id);
    if (!old) out.push(`A new quote: ${quoteTitle(p)}.`);
    else if (quoteWords(old) !== quoteWords(p)) out.push(`${quoteTitle(p)}: ${quoteWords(p)}.`);
  }
  if (after.attachments.length > before.attachments.length) out.push("The shop shared a new file with you.");
  return out.join(" ");
}

// ——— Home: repairs, quotes, documents ———

const repairList = el("div", { class: "c-repairs" });
const quoteList = el("div", { class: "c-quotes" });
const fileList = el("div", { class: "c-files" });
const cards = new Map(); // "t<id>" / "p<id>" → {sig, node}

// keyed reuses a card whose data did not change, so a link or button under
// the pointer stays the same node through a live update.
function keyed(key, data, build) {
  const sig = JSON.stringify(data) + (key.startsWith("t") && state.open.has(data.id) ? "+" : "");
  const had = cards.get(key);
  if (had && had.sig === sig) return had.node;
  const node = build(data);
  cards.set(key, { sig, node });
  return node;
}

function timelineOf(t) {
  return t.timeline || t.events || [];
}

function progress(t) {
  const at = stage(t);
  return el("ol", { class: "c-progress", "aria-label": `Progress: ${stages[at]}, step ${at + 1} of ${stages.length}` },
    stages.map((name, i) => el("li", {
      class: i < at ? "done" : i === at ? "now" : "",
      "aria-current": i === at ? "step" : null,
    }, el("span", { class: "c-dot", "aria-hidden": "true" }), el("span", { class: "c-step", text: name }))));
}

function timelineEntry(e) {
  const at = e.at || e.created_at || e.timestamp;
  const who = e.by || e.author || e.actor_name || e.actor?.name || "";
  const text = e.text || e.body || e.message || (e.to ? `Status changed to ${e.to}` : "");
  return el("li", { class: "c-entry" },
    el("p", { class: "c-entry-text c-pre", text }),
    el("p", { class: "c-entry-meta" },
      at ? el("time", { datetime: at, text: dateTime(at) }) : null,
      who ? ` · ${who}` : null)); // the server names staff by first name only
}

function repairCard(t) {
  const entries = timelineOf(t);
  const ready = t.estimated_ready_at || t.due_at;
  const id = `c-t-${t.id}`;
  const updates = el("details", { class: "c-updates", open: state.open.has(t.id) || state.tickets.length === 1 },
    el("summary", { class: "c-summary" }, `Updates (${entries.length})`),
    entries.length
      ? el("ol", { class: "c-timeline", "aria-label": `Updates on ${repairTitle(t)}` }, [...entries].reverse().map(timelineEntry))
      : el("p", { class: "c-muted", text: "No updates yet." }));
  updates.addEventListener("toggle", () => {
    if (updates.open) state.open.add(t.id); else state.open.delete(t.id);
  });
  const invoice = t.totals?.total > 0 || t.has_invoice
    ? el("a", { class: "c-button c-secondary", href: `#invoice/${t.id}`, "data-invoice": String(t.id), text: "Invoice and payments" })
    : null;
  return el("article", { class: "c-card c-repair", "data-ticket": String(t.id), "aria-labelledby": id },
    el("h3", { id, class: "c-card-title", text: repairTitle(t) }),
    el("p", { class: "c-status" }, el("span", { class: `c-badge st-${stage(t)}`, "data-status": t.status, text: t.status }), " ", plainStatus(t)),
    progress(t),
    ready && stage(t) < 2
      ? el("p", { class: "c-ready" }, el("span", { class: "c-label", text: "Estimated ready: " }), el("time", { datetime: ready, text: dateTime(ready) }))
      : null,
    t.issue ? el("p", { class: "c-issue" }, el("span", { class: "c-label", text: "What you told us: " }), t.issue) : null,
    updates,
    invoice);
}

function quoteCard(p) {
  const total = p.summary?.total;
  const id = `c-p-${p.id}`;
  const waiting = canAnswer(p);
  return el("article", { class: `c-card c-quote-card${waiting ? " c-waiting" : ""}`, "data-proposal": String(p.id), "aria-labelledby": id },
    el("h3", { id, class: "c-card-title", text: quoteTitle(p) }),
    el("p", { class: "c-status" }, el("span", { class: `c-badge ${waiting ? "st-1" : "st-3"}`, text: quoteWords(p) }),
      total !== undefined ? el("span", { class: "c-num c-total-inline", text: ` ${money(total)}` }) : null),
    el("a", { class: `c-button ${waiting ? "c-primary" : "c-secondary"}`, href: `#quote/${p.id}`, "data-open-quote": String(p.id),
      text: waiting ? "Review and answer" : "See the quote" }));
}

function fileCards() {
  const photos = state.attachments.filter(isPhoto);
  const docs = state.attachments.filter((a) => !isPhoto(a));
  return [
    photos.length ? el("ul", { class: "c-photos", "aria-label": "Photos" }, photos.map((a) => el("li", {},
      el("a", { href: a.url, target: "_blank", rel: "noopener" },
        el("img", { src: a.thumbnail_url || a.thumb_url || a.url, alt: a.description || a.filename || "Photo", loading: "lazy", width: 160, height: 160 }))))) : null,
    docs.length ? el("ul", { class: "c-docs", "aria-label": "Documents" }, docs.map((a) => el("li", {},
      el("a", { class: "c-doc", href: a.url, download: a.filename || "", text: a.filename || "Document" }),
      a.size ? el("span", { class: "c-muted", text: ` ${size(a.size)}` }) : null))) : null,
  ].filter(Boolean);
}
const isPhoto = (a) => String(a.content_type || "").startsWith("image/");
const size = (n) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MB` : `${Math.max(1, Math.round(n / 1024))} KB`);

const homeHead = el("h1", { class: "c-title" });
// waitingNote points to the quotes when one waits for an answer (they sit
// below the repairs, perhaps out of sight on a phone).
const waitingText = el("span");
const waitingNote = el("p", { class: "c-notice c-waiting-note" }, waitingText, " ", el("a", { href: "#c-quotes-h", onclick: (e) => {
  e.preventDefault(); // the hash names screens
  document.getElementById("c-quotes-h")?.scrollIntoView({ block: "start" });
  quoteList.querySelector("a")?.focus({ preventScroll: true });
}, text: "See the quotes" }));
const quotesSection = el("section", { class: "c-section", "aria-labelledby": "c-quotes-h" }, el("h2", { id: "c-quotes-h", text: "Quotes" }), quoteList);
const filesSection = el("section", { class: "c-section", "aria-labelledby": "c-files-h" }, el("h2", { id: "c-files-h", text: "Photos and documents" }), fileList);
const repairsSection = el("section", { class: "c-section", "aria-labelledby": "c-title" }, repairList);

function renderHome(focus) {
  homeHead.id = "c-title";
  homeHead.textContent = state.tickets.length > 1 ? "Your repairs" : "Your repair";
  const open = state.tickets.filter((t) => stage(t) < 3);
  // The first open repair shows its updates unfolded, once.
  if (!state.unfolded && open.length) { state.open.add(open[0].id); state.unfolded = true; }
  const sorted = [...open, ...state.tickets.filter((t) => stage(t) === 3)];
  reconcile(repairList, sorted.length
    ? sorted.map((t) => keyed(`t${t.id}`, t, repairCard))
    : [el("p", { class: "c-muted", text: "No repairs to show. If you left a device with us, call the shop." })]);
  const proposals = [...state.proposals].sort((a, b) => Number(canAnswer(b)) - Number(canAnswer(a)));
  reconcile(quoteList, proposals.map((p) => keyed(`p${p.id}`, p, quoteCard)));
  quotesSection.hidden = !proposals.length;
  reconcile(fileList, fileCards());
  filesSection.hidden = !state.attachments.length;
  const waiting = proposals.filter(canAnswer).length;
  waitingText.textContent = waiting === 1 ? "The shop sent you a quote to answer." : `The shop sent you ${waiting} quotes to answer.`;
  show([homeHead, waiting ? waitingNote : null, repairsSection, quotesSection, filesSection].filter(Boolean), focus);
}

// ——— A quote ———

let quoteView = null; // {id, node, update(p)} while a quote is on screen

function renderQuote(id, focus) {
  const p = state.proposals.find((x) => String(x.id) === String(id));
  if (quoteView?.id === p?.id && p) {
    quoteView.update(p);
    show([quoteView.node], false);
    return;
  }
  quoteView = null;
  if (!p) {
    show([back(), el("h1", { class: "c-title", text: "Quote not found" }), el("p", { text: "This quote is not available. It may have been withdrawn; call the shop if you expected one." })], focus);
    return;
  }
  quoteView = quoteScreen(p);
  show([quoteView.node], focus);
}

function back() {
  return el("a", { class: "c-back", href: "#", text: "← Back to your repair" });
}

function quoteScreen(initial) {
  let p = initial;
  // chosen[i] is the option picked in area i: the shop's suggestion first.
  const chosen = p.areas.map((a) => Math.min(a.chosen_option || 0, a.options.length - 1));
  const rate = rateOf(p.tax_rate);
  const heading = el("h1", { class: "c-title", text: quoteTitle(p) });
  const status = el("p", { class: "c-status" });
  const totalValue = el("span", { class: "c-num", "data-total": "" });
  const totalLine = el("p", { class: "c-chosen-total", "aria-live": "polite" }, el("span", { text: "Your total: " }), totalValue);
  const taxLine = el("p", { class: "c-muted c-tax" });
  const actions = el("div", { class: "c-actions" });
  const result = el("div", { class: "c-result" });
  const error = el("p", { class: "c-error", role: "alert" });
  const radios = [];
  const lead = el("p", { class: "c-lead" });
  const choosing = p.areas.some((a) => a.options.length > 1);

  const areas = p.areas.map((area, i) => {
    const single = area.options.length === 1;
    const group = el("fieldset", { class: "c-area", "data-area": String(i) },
      el("legend", { class: "c-area-name", text: area.name || `Part ${i + 1}` }),
      el("div", { class: "c-options" }, area.options.map((o, j) => {
        const sum = optionSummary(o, rate);
        const radio = el("input", { type: "radio", name: `area-${i}`, value: String(j), checked: chosen[i] === j, class: "c-radio" });
        radio.addEventListener("change", () => { if (radio.checked) { chosen[i] = j; totals(); } });
        radios.push(radio);
        return el("label", { class: "c-option", "data-option": String(j) },
          el("span", { class: "c-option-head" }, single ? null : radio,
            el("span", { class: "c-option-name", text: o.name || `Option ${j + 1}` }),
            el("span", { class: "c-num c-option-total", text: money(toAmount(sum.total)) })),
          o.client_description ? el("span", { class: "c-option-desc c-pre", text: o.client_description }) : null,
          el("span", { class: "c-lines" }, (o.line_items || []).map((l) => el("span", { class: "c-line" },
            el("span", { class: "c-line-desc", text: `${l.description}${Number(l.quantity) !== 1 ? ` × ${l.quantity}` : ""}` }),
            el("span", { class: "c-num", text: money(l.total ?? Number(l.unit_price) * Number(l.quantity)) })))));
      })));
    return group;
  });

  function totals() {
    const s = proposalSummary(p.areas.map((a, i) => ({ ...a, chosen_option: chosen[i] })), rate);
    totalValue.textContent = money(toAmount(s.total));
    taxLine.textContent = s.tax ? `Includes ${money(toAmount(s.tax))} tax.` : "";
    return s;
  }

  function update(next) {
    p = next;
    heading.textContent = quoteTitle(p);
    const waiting = canAnswer(p);
    status.replaceChildren(el("span", { class: `c-badge ${waiting ? "st-1" : "st-3"}`, "data-quote-status": p.status, text: quoteWords(p) }),
      p.expires_at && waiting ? ` Please answer by ${dateTime(p.expires_at)}.` : "");
    for (const r of radios) r.disabled = !waiting;
    lead.textContent = !waiting ? (p.status === "Accepted" || p.status === "Completed" ? "What you chose:" : "What we proposed:")
      : choosing ? "Choose one option for each part of the job. Your total updates as you choose." : "Here is what we propose.";
    if (!waiting) {
      // The answer given: the options as chosen.
      p.areas.forEach((a, i) => { chosen[i] = a.chosen_option || 0; });
      for (const r of radios) r.checked = chosen[Number(r.name.slice(5))] === Number(r.value);
    }
    totals();
    const acc = p.acceptance;
    result.replaceChildren(...[
      acc ? el("p", { class: "c-done" }, `Accepted and signed by ${acc.name}`, acc.at ? ` on ${dateTime(acc.at)}` : "", ". Thank you — we will get to work.") : null,
      p.status === "Declined" ? el("p", { class: "c-done", text: "You declined this quote. If you change your mind, call the shop." }) : null,
      p.status === "Expired" ? el("p", { class: "c-done", text: "This quote has expired. Call the shop for a new one." }) : null].filter(Boolean));
    reconcile(actions, waiting ? [acceptButton, declineButton] : []);
  }

  const acceptButton = el("button", { type: "button", class: "c-button c-primary", "data-action": "accept", text: "Accept", onclick: () => acceptDialog() });
  const declineButton = el("button", { type: "button", class: "c-button c-secondary", "data-action": "decline", text: "Decline", onclick: () => declineDialog() });

  function acceptDialog() {
    error.textContent = "";
    const s = totals();
    const input = el("input", { id: "c-sign", name: "signature_name", class: "c-input", autocomplete: "name", required: true, value: "" });
    const fieldError = el("p", { id: "c-sign-error", class: "c-error", role: "alert" });
    input.setAttribute("aria-describedby", "c-sign-error");
    const picked = p.areas.map((a, i) => `${a.name || `Part ${i + 1}`}: ${a.options[chosen[i]]?.name || `Option ${chosen[i] + 1}`}`);
    const submit = el("button", { type: "submit", class: "c-button c-primary", "data-action": "confirm-accept", text: `Accept ${money(toAmount(s.total))}` });
    const form = el("form", { class: "c-form", method: "dialog", novalidate: true },
      el("h2", { id: "c-accept-h", text: "Accept this quote" }),
      el("ul", { class: "c-picked" }, picked.map((x) => el("li", { text: x }))),
      el("p", { class: "c-chosen-total" }, "Total: ", el("span", { class: "c-num", text: money(toAmount(s.total)) })),
      el("label", { for: "c-sign", class: "c-label-block", text: "Type your full name to sign" }), input, fieldError,
      el("p", { class: "c-muted", text: "By signing you ask the shop to do this work at this price." }),
      el("div", { class: "c-actions" }, submit, el("button", { type: "button", class: "c-button c-secondary", text: "Cancel", onclick: () => dialog.close() })));
    const dialog = modal(form, "c-accept-h");
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const name = input.value.trim();
      if (!name) {
        fieldError.textContent = "Type your name to sign.";
        input.setAttribute("aria-invalid", "true");
        input.focus();
        return;
      }
      submit.disabled = true;
      try {
        const next = await api("POST", `/proposals/${p.id}/accept`, { chosen_options: [...chosen], signature_name: name });
        dialog.close();
        replaceProposal(next);
        update(next);
        say(`Thank you. You accepted ${quoteTitle(next)}.`);
        result.querySelector("p")?.setAttribute("tabindex", "-1");
        result.querySelector("p")?.focus();
      } catch (err) {
        const d = err.details.find((x) => x.field === "signature_name");
        fieldError.textContent = d ? d.message : err.message;
        if (d) input.setAttribute("aria-invalid", "true");
      } finally {
        submit.disabled = false;
      }
    });
    input.focus();
  }

  function declineDialog() {
    error.textContent = "";
    const reason = el("textarea", { id: "c-reason", name: "reason", class: "c-input", rows: 3, maxlength: 1000 });
    const fieldError = el("p", { id: "c-reason-error", class: "c-error", role: "alert" });
    reason.setAttribute("aria-describedby", "c-reason-error");
    const submit = el("button", { type: "submit", class: "c-button c-danger", "data-action": "confirm-decline", text: "Decline the quote" });
    const form = el("form", { class: "c-form", method: "dialog", novalidate: true },
      el("h2", { id: "c-decline-h", text: "Decline this quote" }),
      el("label", { for: "c-reason", class: "c-label-block", text: "Would you tell us why? (optional)" }), reason, fieldError,
      el("div", { class: "c-actions" }, submit, el("button", { type: "button", class: "c-button c-secondary", text: "Cancel", onclick: () => dialog.close() })));
    const dialog = modal(form, "c-decline-h");
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      submit.disabled = true;
      try {
        const next = await api("POST", `/proposals/${p.id}/decline`, { reason: reason.value.trim() });
        dialog.close();
        replaceProposal(next);
        update(next);
        say(`You declined ${quoteTitle(next)}.`);
      } catch (err) {
        fieldError.textContent = err.message;
      } finally {
        submit.disabled = false;
      }
    });
    reason.focus();
  }

  const node = el("div", { class: "c-screen c-quote", "data-quote": String(p.id) },
    back(), heading, status, result,
    lead,
    el("form", { class: "c-quote-form", novalidate: true, "aria-label": "Your choices", onsubmit: (e) => e.preventDefault() }, areas),
    el("div", { class: "c-sticky" }, totalLine, taxLine, actions, error));
  update(p);
  return { id: p.id, node, update };
}

// modal shows a form in a native dialog (focus trapped, Esc closes) and
// removes it when closed.
function modal(form, labelledBy) {
  const dialog = el("dialog", { class: "c-dialog", "aria-labelledby": labelledBy }, form);
  document.body.append(dialog);
  dialog.addEventListener("close", () => dialog.remove());
  dialog.showModal();
  return dialog;
}

function replaceProposal(next) {
  const i = state.proposals.findIndex((x) => x.id === next.id);
  if (i >= 0) state.proposals[i] = next; else state.proposals.push(next);
}

// openQuote reads the quote whole (which tells the shop it was seen).
async function openQuote(id, focus) {
  try {
    const p = await api("GET", `/proposals/${id}`);
    replaceProposal(p);
  } catch (err) {
    if (err.status !== 404) throw err;
    state.proposals = state.proposals.filter((x) => String(x.id) !== String(id));
  }
  if (route().name === "quote" && route().id === String(id)) renderQuote(id, focus);
}

// ——— The invoice ———

async function openInvoice(ticketID, focus) {
  let inv;
  try {
    inv = await api("GET", `/tickets/${ticketID}/invoice`);
  } catch (err) {
    if (err.status === 401) return;
    show([back(), el("h1", { class: "c-title", text: "Invoice" }), el("p", { class: "c-error", text: err.message })], focus);
    return;
  }
  const before = state.invoices.get(String(ticketID));
  state.invoices.set(String(ticketID), inv);
  if (route().name !== "invoice" || route().id !== String(ticketID)) return;
  // Unchanged (a live event about something else): the buttons stay put.
  const same = (a, b) => JSON.stringify({ ...a, issued_at: 0 }) === JSON.stringify({ ...b, issued_at: 0 });
  if (before && same(before, inv) && main.querySelector(".c-invoice-screen")) return;
  show([invoiceScreen(ticketID, inv)], focus);
}

function invoiceScreen(ticketID, inv) {
  const t = state.tickets.find((x) => String(x.id) === String(ticketID)) || inv.ticket || {};
  const s = inv.shop || shop();
  const lines = inv.lines || inv.line_items || [];
  const payments = (inv.payments || []).filter((pay) => pay.status !== "voided" && Number(pay.amount) - Number(pay.refunded || 0) > 0);
  const tot = inv.totals || inv;
  const row = (label, value, cls = "") => el("tr", { class: cls }, el("th", { scope: "row", text: label }), el("td", { class: "c-num", text: money(value) }));
  const pdf = `/c/api/tickets/${ticketID}/invoice.pdf`;
  return el("div", { class: "c-screen c-invoice-screen" },
    el("nav", { class: "c-no-print" }, back()),
    el("article", { class: "c-invoice", "aria-labelledby": "c-inv-h" },
      el("header", { class: "c-inv-head" },
        el("div", {},
          el("p", { class: "c-inv-shop", text: s.name || "" }),
          s.address ? el("p", { class: "c-pre c-small", text: s.address }) : null,
          s.phone ? el("p", { class: "c-small", text: s.phone }) : null),
        el("div", { class: "c-inv-meta" },
          el("h1", { id: "c-inv-h", class: "c-title", text: inv.number ? `Invoice ${inv.number}` : `Invoice for repair #${t.number || ticketID}` }),
          el("p", { class: "c-small", text: [inv.customer?.name || customerName(), inv.device || device(t.device), `Repair #${inv.ticket_number || t.number}`].filter(Boolean).join(" · ") }),
          inv.issued_at ? el("p", { class: "c-small", text: `Date: ${shortDate(inv.issued_at)}` }) : null)),
      el("table", { class: "c-inv-lines" },
        el("caption", { class: "c-hidden", text: "Charges" }),
        el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "Item" }), el("th", { scope: "col", class: "c-num", text: "Qty" }),
          el("th", { scope: "col", class: "c-num c-wide-only", text: "Price" }), el("th", { scope: "col", class: "c-num", text: "Amount" }))),
        el("tbody", {}, lines.length ? lines.map((l) => el("tr", {},
          el("td", { text: l.description }), el("td", { class: "c-num", text: String(l.quantity ?? 1) }),
          el("td", { class: "c-num c-wide-only", text: money(l.unit_price) }), el("td", { class: "c-num", text: money(l.total ?? l.amount) })))
          : el("tr", {}, el("td", { colspan: 4, class: "c-muted", text: "Nothing charged yet." })))),
      el("table", { class: "c-inv-totals" },
        el("caption", { class: "c-hidden", text: "Totals" }),
        el("tbody", {},
          row("Subtotal", tot.subtotal),
          row(tot.tax_rate ? `Tax (${tot.tax_rate}%)` : "Tax", tot.tax),
          row("Total", tot.total, "c-strong"),
          payments.map((pay) => row(`Paid${pay.method ? ` (${pay.method})` : ""}${pay.date ? `, ${shortDate(pay.date)}` : ""}`, -(Number(pay.amount) - Number(pay.refunded || 0)))),
          row("Balance due", tot.balance ?? inv.balance, "c-strong c-balance"))),
      s.receipt_terms ? el("p", { class: "c-small c-pre c-terms", text: s.receipt_terms }) : null),
    el("div", { class: "c-actions c-no-print" },
      inv.pay_url && Number(tot.balance ?? inv.balance) > 0 ? el("a", { class: "c-button c-primary", href: inv.pay_url, rel: "noopener", "data-action": "pay", text: `Pay ${money(tot.balance ?? inv.balance)}` }) : null,
      el("a", { class: "c-button c-secondary", href: pdf, "data-action": "pdf", download: "", text: "Download PDF" }),
      el("button", { type: "button", class: "c-button c-secondary", "data-action": "print", text: "Print", onclick: () => window.print() })));
}

// ——— Sign in and out ———

function signInScreen(notice = "", asNotice = false) {
  quoteView = null;
  cards.clear();
  state.me = null;
  const number = el("input", { id: "c-ticket", name: "ticket_number", class: "c-input", inputmode: "numeric", autocomplete: "off", required: true });
  const contact = el("input", { id: "c-contact", name: "contact", class: "c-input", autocomplete: "email", required: true });
  const error = el("p", { id: "c-login-error", class: "c-error", role: "alert", text: asNotice ? "" : notice });
  const told = asNotice && notice ? el("p", { class: "c-notice", role: "status", text: notice }) : null;
  number.setAttribute("aria-describedby", "c-login-error");
  contact.setAttribute("aria-describedby", "c-contact-hint c-login-error");
  const submit = el("button", { type: "submit", class: "c-button c-primary", "data-action": "sign-in", text: "Show my repair" });
  const form = el("form", { class: "c-form c-signin", novalidate: true, "aria-labelledby": "c-signin-h" },
    el("label", { for: "c-ticket", class: "c-label-block", text: "Ticket number" }), number,
    el("p", { class: "c-muted c-small", text: "It is on the receipt you got when you left your device." }),
    el("label", { for: "c-contact", class: "c-label-block", text: "Your phone number or email" }), contact,
    el("p", { id: "c-contact-hint", class: "c-muted c-small", text: "The one the shop has for you." }),
    error, submit);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.textContent = "";
    for (const i of [number, contact]) i.removeAttribute("aria-invalid");
    const n = number.value.trim().replace(/^#/, "");
    if (!n || !contact.value.trim()) {
      error.textContent = !n ? "Type your ticket number." : "Type your phone number or email.";
      (n ? contact : number).setAttribute("aria-invalid", "true");
      (n ? contact : number).focus();
      return;
    }
    submit.disabled = true;
    try {
      await api("POST", `/login${testMode ? "?mode=test" : ""}`, { ticket_number: n, contact: contact.value.trim() });
      await start(true);
    } catch (err) {
      error.textContent = err.message;
      const d = err.details?.[0]?.field;
      const bad = d === "contact" || d === "phone" || d === "email" ? contact : d ? number : null;
      if (bad) bad.setAttribute("aria-invalid", "true");
    } finally {
      submit.disabled = false;
    }
  });
  app.replaceChildren(main);
  reconcile(main, [el("div", { class: "c-screen c-narrow" },
    el("h1", { id: "c-signin-h", class: "c-title", text: "Follow your repair" }),
    told,
    el("p", { class: "c-lead", text: "Open the link the shop sent you, or type your ticket number and the phone number or email you gave us." }),
    form)]);
}

let signedOutShown = false;
function signedOut() {
  if (signedOutShown) return;
  signedOutShown = true;
  const was = state.me;
  stopLive();
  signInScreen(was ? "You are signed out. Your link may have run out: sign in below, or ask the shop for a new link." : "", true);
}

async function onSignOut() {
  try { await api("POST", "/logout"); } catch { /* signed out either way */ }
  stopLive();
  signedOutShown = true;
  signInScreen("");
  say("You are signed out.");
}

// ——— Live updates ———

let ws = null;
let liveTimer = 0;
let delay = 500;
let liveStopped = true;

function startLive() {
  liveStopped = false;
  connect();
}

function stopLive() {
  liveStopped = true;
  clearTimeout(liveTimer);
  const w = ws;
  ws = null;
  w?.close();
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const sock = new WebSocket(`${scheme}//${location.host}/c/api/live`);
  ws = sock;
  let opened = false;
  sock.onopen = () => {
    if (opened) return;
    opened = true;
    document.body.dataset.live = "on";
    // A reconnect may have missed changes: read everything again.
    if (delay > 500) refresh();
    delay = 500;
  };
  sock.onmessage = () => refresh();
  sock.onclose = () => {
    if (ws !== sock || liveStopped) return;
    ws = null;
    document.body.dataset.live = "off";
    const wait = delay * (0.75 + Math.random() / 2);
    delay = Math.min(delay * 2, 15000);
    liveTimer = setTimeout(connect, wait);
  };
}

// refresh reloads what the page shows after a live event (several events in
// a burst make one reload) and says what changed.
const refresh = debounce(async () => {
  const before = { tickets: state.tickets, proposals: state.proposals, attachments: state.attachments };
  try {
    await loadAll();
  } catch {
    return; // offline, or signed out (the form is up)
  }
  const r = route();
  if (r.name === "quote") {
    try { replaceProposal(await api("GET", `/proposals/${r.id}`)); } catch { /* gone: renderQuote says so */ }
  }
  const words = describeChanges(before, state);
  frame();
  render(false);
  if (r.name === "invoice") openInvoice(r.id, false);
  if (words) say(words);
}, 150);

// ——— Routing ———

function route() {
  const m = location.hash.match(/^#(quote|invoice)\/(\d+)$/);
  return m ? { name: m[1], id: m[2] } : { name: "home" };
}

function render(focus) {
  if (!state.me) return;
  const r = route();
  document.body.dataset.screen = r.name;
  if (r.name === "quote") renderQuote(r.id, focus);
  else if (r.name === "invoice") {
    const inv = state.invoices.get(r.id);
    if (inv) show([invoiceScreen(r.id, inv)], focus);
    openInvoice(r.id, focus && !inv);
  } else {
    quoteView = null;
    renderHome(focus);
  }
  document.title = `${r.name === "quote" ? "Quote" : r.name === "invoice" ? "Invoice" : state.tickets.length > 1 ? "Your repairs" : "Your repair"} — ${shop().name || "Repair shop"}`;
}

window.addEventListener("hashchange", () => {
  if (!state.me) return;
  const r = route();
  if (r.name === "quote") {
    quoteView = null;
    openQuote(r.id, true).catch(() => {});
  }
  render(true);
  if (r.name === "home") scrollTo(0, 0);
});

// start reads the customer's records; without a session, the sign-in form.
async function start(focus) {
  try {
    await loadAll();
  } catch (err) {
    if (err.status === 401) return; // api() put the form up
    app.replaceChildren(main);
    reconcile(main, [el("div", { class: "c-screen c-narrow" }, el("h1", { class: "c-title", text: "We cannot show your repair right now" }),
      el("p", { text: err.message }), el("button", { type: "button", class: "c-button c-primary", text: "Try again", onclick: () => start(true) }))]);
    return;
  }
  signedOutShown = false;
  frame();
  const r = route();
  if (r.name === "quote") await openQuote(r.id, focus).catch(() => {});
  render(focus);
  document.body.dataset.ready = "true";
  if (liveStopped) startLive();
}

// The link's landing (/c/<token>) redirects here; a ?signed-out or ?expired
// from the server is said on the form.
start(false);
