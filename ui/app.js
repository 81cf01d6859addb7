// The console: sign-in screens, then the shell (navigation, test-mode banner,
// live status) around one page at a time, chosen by the URL.

import { el, link, typing } from "./lib/dom.js";
import { call, get, mode, setMode } from "./lib/api.js";
import { live } from "./lib/live.js";
import { setShop } from "./lib/format.js";
import { showSetup, showInvite, showSignIn } from "./pages/auth.js";
import { ticketQueue } from "./pages/tickets.js";
import { newTicket } from "./pages/newticket.js";
import { ticketPage } from "./pages/ticket.js";
import { customerList, customerPage } from "./pages/customers.js";
import { keysPage } from "./pages/keys.js";
import { webhookList, webhookPage } from "./pages/webhooks.js";
import { eventStream } from "./pages/events.js";
import { staffPage } from "./pages/staff.js";
import { appliancePage } from "./pages/appliance.js";
import { shortcutsDialog } from "./pages/shortcuts.js";

const root = document.getElementById("app");

// Screens of the console: path pattern, page, the scope it needs, nav entry.
const screens = [
  { path: /^\/(tickets)?$/, page: ticketQueue, scope: "tickets.read" },
  { path: /^\/tickets\/new$/, page: newTicket, scope: "tickets.write" },
  { path: /^\/tickets\/(\d+)$/, page: ticketPage, scope: "tickets.read" },
  { path: /^\/customers$/, page: customerList, scope: "customers.read" },
  { path: /^\/customers\/(\d+)$/, page: customerPage, scope: "customers.read" },
  { path: /^\/settings\/keys$/, page: keysPage, scope: "keys.read" },
  { path: /^\/settings\/webhooks$/, page: webhookList, scope: "webhooks.read" },
  { path: /^\/settings\/webhooks\/(\d+)$/, page: webhookPage, scope: "webhooks.read" },
  { path: /^\/settings\/events$/, page: eventStream, scope: "events.read" },
  { path: /^\/settings\/staff$/, page: staffPage, scope: "users.read" },
  { path: /^\/settings\/appliance$/, page: appliancePage, scope: "backup.read" },
];

// The navigation: the shop's work, then settings, each entry shown to the
// roles that hold its scope.
const nav = [
  ["Shop", [
    ["Tickets", "/tickets", "tickets.read"],
    ["Customers", "/customers", "customers.read"],
  ]],
  ["Settings", [
    ["Staff", "/settings/staff", "users.write"],
    ["API keys", "/settings/keys", "keys.read"],
    ["Webhooks", "/settings/webhooks", "webhooks.read"],
    ["Events", "/settings/events", "events.read"],
    ["Appliance", "/settings/appliance", "backup.read"],
  ]],
];

let ctx = null; // the signed-in console: session, shop, statuses, staff
let current = null; // the page on screen: { node, onEvent, onResync, onEscape, destroy, focus }
let pendingEvents = null; // events that arrive while a page loads
let shell = null;
let stopStatus = () => {};

export function navigate(href, { replace = false } = {}) {
  if (replace) history.replaceState(null, "", href);
  else history.pushState(null, "", href);
  render();
}

async function loadContext() {
  const session = (await call("GET", "/auth/session")).data;
  const [shop, statuses, users] = await Promise.all([
    get("/api/v1/store"), get("/api/v1/store/statuses"), get("/api/v1/users/active?per_page=200"),
  ]);
  setShop(shop.data);
  const can = (scope) => session.scopes.includes(scope);
  return {
    session, can, navigate,
    isOwner: session.user.role === "owner",
    shop: shop.data, statuses: statuses.data, users: users.data,
    userName: (id) => users.data.find((u) => u.id === id)?.name ?? (id ? `#${id}` : ""),
  };
}

function buildShell() {
  const content = el("main", { id: "content", tabindex: "-1" });
  const status = el("span", { class: "live-status", role: "status" });
  stopStatus();
  stopStatus = live.onStatus((s) => {
    status.dataset.state = s;
    status.textContent = s === "live" ? "Live" : "Reconnecting…";
    status.title = s === "live" ? "Changes appear as they happen" : "The connection dropped; trying again";
  });
  const testSwitch = el("button", {
    type: "button", role: "switch", class: "switch", "aria-checked": String(mode() === "test"),
    onclick: () => {
      setMode(mode() === "test" ? "live" : "test");
      live.restart();
      start();
    },
  }, el("span", { class: "knob", "aria-hidden": "true" }), "Test mode");
  const groups = nav.map(([label, entries]) => {
    const items = entries.filter((n) => ctx.can(n[2])).map((n) => el("li", {}, link(n[1], n[0])));
    return items.length ? el("ul", { "aria-label": label }, items) : null;
  });
  const side = el("nav", { class: "side", "aria-label": "Main" },
    el("div", { class: "shop-name", text: ctx.shop.name || "Portal" }),
    groups,
    el("div", { class: "side-foot" },
      testSwitch, status,
      el("div", { class: "who" }, el("span", { text: ctx.session.user.name }), " · ",
        el("button", { type: "button", class: "linklike", text: "Sign out", onclick: signOut })),
      el("button", { type: "button", class: "linklike", text: "Keyboard shortcuts (?)", onclick: () => shortcutsDialog().showModal() }),
      tlsLine(ctx.session.tls_fingerprint)));
  const banner = mode() === "test"
    ? el("div", { class: "test-banner", role: "note", text: "TEST MODE — test data, test webhooks" })
    : null;
  const frame = el("div", { class: "frame" }, el("a", { href: "#content", class: "skip", text: "Skip to content" }), banner,
    el("div", { class: "layout" }, side, content));
  root.replaceChildren(frame);
  return { content, side };
}

// tlsLine shows the certificate's fingerprint, so staff can compare it with
// the one the browser shows (or `portal serve` printed) before trusting it.
function tlsLine(fingerprint) {
  if (!fingerprint) return null;
  return el("div", { class: "tls-fp", title: `TLS certificate SHA-256 fingerprint: ${fingerprint}` },
    "TLS fingerprint ", el("span", { class: "fp", text: fingerprint }));
}

// leave ends the page on screen: its timers and pending reloads stop.
function leave() {
  current?.destroy?.();
  current = null;
  pendingEvents = null;
}

async function signOut() {
  await call("POST", "/auth/signout").catch(() => {});
  live.stop();
  leave();
  ctx = null;
  history.replaceState(null, "", "/");
  start();
}

async function render() {
  leave();
  shownPath = location.pathname + location.search;
  const path = location.pathname.replace(/\/+$/, "") || "/";
  for (const a of shell.side.querySelectorAll("a[data-nav]")) {
    const here = path === a.getAttribute("href") || path.startsWith(a.getAttribute("href") + "/") ||
      (path === "/" && a.getAttribute("href") === "/tickets");
    if (here) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  const screen = screens.find((s) => s.path.test(path));
  const content = shell.content;
  if (!screen) {
    content.replaceChildren(el("h1", { text: "Page not found" }), el("p", {}, "Nothing lives here. ", link("/tickets", "Go to the ticket queue")));
    return;
  }
  if (!ctx.can(screen.scope)) {
    content.replaceChildren(el("h1", { text: "Not available to your role" }),
      el("p", { class: "muted", text: "Ask the shop's owner if you need this page." }));
    return;
  }
  const params = path.match(screen.path).slice(1);
  const token = {};
  current = token;
  pendingEvents = []; // what happens while the page loads is replayed to it
  try {
    const page = await screen.page(ctx, params, new URLSearchParams(location.search));
    if (current !== token) { page.destroy?.(); return; } // the user moved on meanwhile
    current = page;
    content.replaceChildren(page.node);
    document.title = `${page.title || "Portal"} · ${ctx.shop.name || "Portal"}${mode() === "test" ? " (test)" : ""}`;
    if (page.focus) page.focus();
    else content.focus({ preventScroll: true });
    const missed = pendingEvents || [];
    pendingEvents = null;
    for (const ev of missed) page.onEvent?.(ev);
  } catch (err) {
    if (current !== token) return;
    current = null;
    content.replaceChildren(el("h1", { text: err.status === 404 ? "Not found" : "Something went wrong" }),
      el("p", { class: "error", role: "alert", text: err.message }),
      el("p", {}, link("/tickets", "Back to the ticket queue")));
  }
}

// Shortcuts: "/" search, "n" new ticket, "g t"/"g c" go, "j"/"k" move in
// lists, "?" help. Never while typing, so no text is lost.
let pendingG = false;
function onKey(e) {
  if (!ctx || e.ctrlKey || e.metaKey || e.altKey) return;
  if (typing(e.target) || document.querySelector("dialog[open]")) return;
  if (e.key === "Escape") { current?.onEscape?.(e); return; }
  if (current?.onKey?.(e)) { e.preventDefault(); return; }
  if (pendingG) {
    pendingG = false;
    const to = { t: "/tickets", c: "/customers", w: "/settings/webhooks", e: "/settings/events", k: "/settings/keys" }[e.key];
    if (to) { e.preventDefault(); navigate(to); }
    return;
  }
  switch (e.key) {
    case "g": pendingG = true; setTimeout(() => { pendingG = false; }, 1200); return;
    case "/": {
      const s = shell.content.querySelector("[data-search]");
      if (s) { e.preventDefault(); s.focus(); s.select(); }
      return;
    }
    case "n": if (ctx.can("tickets.write")) { e.preventDefault(); navigate("/tickets/new"); } return;
    case "?": e.preventDefault(); shortcutsDialog().showModal(); return;
    case "j": case "k": moveInList(e.key === "j" ? 1 : -1) && e.preventDefault(); return;
  }
}

// moveInList moves focus between the rows of the page's main list.
function moveInList(step) {
  const rows = [...shell.content.querySelectorAll("[data-list] > tr, [data-list] > li")];
  if (!rows.length) return false;
  const at = rows.findIndex((r) => r.contains(document.activeElement));
  const next = rows[Math.max(0, Math.min(rows.length - 1, at < 0 ? 0 : at + step))];
  // A row's link opens it; a row without one takes focus itself, so Enter
  // never lands on a button such as "Remove access".
  const target = next.querySelector("a");
  if (target) target.focus();
  else { next.tabIndex = -1; next.focus(); }
  return true;
}

function onClick(e) {
  const a = e.target.closest?.("a[data-nav]");
  if (!a || e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  navigate(a.getAttribute("href"));
}

function onLive(ev) {
  if (pendingEvents) { pendingEvents.push(ev); return; }
  // After a gap the log could not fill, pages reload their data in place;
  // forms and drafts stay as they are.
  if (ev.event === "portal.resync") { current?.onResync?.(); return; }
  current?.onEvent?.(ev);
}

async function start() {
  const token = new URLSearchParams(location.hash.slice(1)).get("token");
  if (location.pathname === "/setup" && token) return showSetup(root, token, start);
  if (location.pathname === "/invite" && token) return showInvite(root, token, start);
  try {
    ctx = await loadContext();
  } catch (err) {
    if (err.status === 401) return showSignIn(root, start);
    root.replaceChildren(el("div", { class: "card" }, el("h1", { text: "Portal cannot load" }),
      el("p", { class: "error", role: "alert", text: err.message }),
      el("button", { type: "button", text: "Try again", onclick: start })));
    return;
  }
  shell = buildShell();
  live.start();
  await render();
}

live.on(onLive);
let shownPath = location.pathname + location.search;
window.addEventListener("popstate", () => {
  // A hash change (the skip link) is not a new page.
  const now = location.pathname + location.search;
  if (!ctx || now === shownPath) return;
  render();
});
window.addEventListener("portal:signed-out", () => {
  if (!ctx) return;
  live.stop();
  leave();
  ctx = null;
  showSignIn(root, start);
});
document.addEventListener("keydown", onKey);
document.addEventListener("click", onClick);
start();
