// The console: sign-in screens, then the shell (navigation, test-mode banner,
// live status) around one page at a time, chosen by the URL. The URL also
// holds the mode (/test/… is the test store; see lib/mode.js).

import { el, link } from "./lib/dom.js";
import { call, get } from "./lib/api.js";
import { mode, otherMode, routePath, appHref } from "./lib/mode.js";
import { live } from "./lib/live.js";
import { setShop } from "./lib/format.js";
import { buildShell } from "./lib/shell.js";
import { installKeys } from "./lib/keys.js";
import { showSetup, showInvite, showSignIn } from "./pages/auth.js";
import { showShopStep } from "./pages/welcome.js";
import { ticketQueue } from "./pages/tickets.js";
import { newTicket } from "./pages/newticket.js";
import { ticketPage } from "./pages/ticket.js";
import { receiptPage } from "./pages/receipt.js";
import { customerList, customerPage } from "./pages/customers.js";
import { shopPage } from "./pages/shop.js";
import { keysPage } from "./pages/keys.js";
import { pluginsPage } from "./pages/plugins.js";
import { webhookList, webhookPage } from "./pages/webhooks.js";
import { eventStream } from "./pages/events.js";
import { staffPage } from "./pages/staff.js";
import { appliancePage } from "./pages/appliance.js";
import { kiosksPage } from "./pages/kiosks.js";
import { visitorsPage } from "./pages/visitors.js";
import { contractorsPage } from "./pages/contractors.js";
import { evacuationPage } from "./pages/evacuation.js";
import { catalogPage } from "./pages/catalog.js";
import { purchaseOrdersPage, purchaseOrderPage } from "./pages/purchaseorders.js";
import { devicesPage } from "./pages/devices.js";
import { importPage } from "./pages/import.js";
import { proposalsPage } from "./pages/proposals.js";
import { proposalPage } from "./pages/proposal.js";
import { emailLog } from "./pages/emails.js";

const root = document.getElementById("app");

const ticketRecord = ([id]) => ({ api: `/api/v1/tickets/${id}`, name: (t) => `Ticket #${t.number}` });

// Screens of the console: path pattern, page, the scope it needs; up is
// where Esc leaves to, record how to ask the other mode for what a 404 missed.
const screens = [
  { path: /^\/(tickets)?$/, page: ticketQueue, scope: "tickets.read" },
  { path: /^\/tickets\/new$/, page: newTicket, scope: "tickets.write" },
  { path: /^\/tickets\/(\d+)$/, page: ticketPage, scope: "tickets.read", up: () => "/tickets", record: ticketRecord },
  { path: /^\/tickets\/(\d+)\/receipt$/, page: receiptPage, scope: "tickets.read", up: ([id]) => `/tickets/${id}`, record: ticketRecord },
  { path: /^\/customers$/, page: customerList, scope: "customers.read" },
  { path: /^\/customers\/(\d+)$/, page: customerPage, scope: "customers.read", up: () => "/customers",
    record: ([id]) => ({ api: `/api/v1/customers/${id}`, name: (c) => c.name }) },
  { path: /^\/catalog$/, page: catalogPage, scope: "catalog.read" },
  { path: /^\/purchase-orders$/, page: purchaseOrdersPage, scope: "purchase_orders.read" },
  { path: /^\/purchase-orders\/(\d+)$/, page: purchaseOrderPage, scope: "purchase_orders.read", up: () => "/purchase-orders",
    record: ([id]) => ({ api: `/api/v1/purchase_orders/${id}`, name: (p) => `Purchase order ${p.number || `#${p.id}`}` }) },
  { path: /^\/devices$/, page: devicesPage, scope: "devices.read" },
  { path: /^\/proposals$/, page: proposalsPage, scope: "proposals.read" },
  { path: /^\/proposals\/new$/, page: (ctx, _p, search) => proposalPage(ctx, [], search), scope: "proposals.write", up: () => "/proposals" },
  { path: /^\/proposals\/(\d+)$/, page: proposalPage, scope: "proposals.read", up: () => "/proposals",
    record: ([id]) => ({ api: `/api/v1/proposals/${id}`, name: (p) => `Quote ${p.number || `#${p.id}`}` }) },
  { path: /^\/import$/, page: importPage, scope: "customers.write" },
  { path: /^\/visitors$/, page: visitorsPage, scope: "visitors.read" },
  { path: /^\/contractors$/, page: contractorsPage, scope: "contractors.read" },
  { path: /^\/evacuation$/, page: evacuationPage, scope: "evacuation.read" },
  { path: /^\/settings\/shop$/, page: shopPage, scope: "store.read" },
  { path: /^\/settings\/keys$/, page: keysPage, scope: "keys.read" },
  { path: /^\/(settings\/)?plugins$/, page: pluginsPage, scope: "plugins.read" },
  { path: /^\/settings\/webhooks$/, page: webhookList, scope: "webhooks.read" },
  { path: /^\/settings\/webhooks\/(\d+)$/, page: webhookPage, scope: "webhooks.read", up: () => "/settings/webhooks",
    record: ([id]) => ({ api: `/api/v1/webhooks/${id}`, name: (w) => `The webhook to ${w.url}` }) },
  { path: /^\/settings\/events$/, page: eventStream, scope: "events.read" },
  { path: /^\/emails$/, page: emailLog, scope: "store.read" },
  { path: /^\/settings\/staff$/, page: staffPage, scope: "users.read" },
  { path: /^\/settings\/appliance$/, page: appliancePage, scope: "backup.read" },
  // Kiosks are the owner's (their routes are owner-only); keys.write is the scope only the owner's role holds.
  { path: /^\/settings\/kiosks$/, page: kiosksPage, scope: "keys.write" },
];

let ctx = null; // the signed-in console: session, shop, statuses, staff
let current = null; // the page on screen: { node, onEvent, onResync, onEscape, onKey, destroy, focus }
let currentScreen = null; // its screen and params, for Esc
let pendingEvents = null; // events that arrive while a page loads
let shell = null;
let shownPath = ""; // the console path (with its query) on screen, without the mode
let failedOffline = false; // the page on screen could not load: Portal was out of reach

const here = () => routePath() + location.search;

// navigate shows a console path ("/tickets/7") in the tab's mode. The entry
// remembers where it came from, so Esc can step back to that very list.
export function navigate(path, { replace = false } = {}) {
  const href = appHref(path);
  if (replace) history.replaceState(history.state, "", href);
  else history.pushState({ from: here() }, "", href);
  render();
}

// goUp leaves the page for its parent: back through history when that is
// where the user came from (the list as it was: search, filters, page),
// else to the parent itself.
function goUp(parent) {
  const from = history.state?.from;
  if (from && from.split("?")[0] === parent) history.back();
  else navigate(parent);
}

async function loadContext() {
  const session = (await call("GET", "/auth/session")).data;
  const [shop, statuses, users] = await Promise.all([
    get("/api/v1/store"), get("/api/v1/store/statuses"), get("/api/v1/users?per_page=200"),
  ]);
  setShop(shop.data);
  const can = (scope) => session.scopes.includes(scope);
  const email = session.user.email.toLowerCase();
  return {
    session, can, navigate,
    isOwner: session.user.role === "owner",
    shop: shop.data, statuses: statuses.data,
    users: users.data.filter((u) => u.active), // who can be assigned
    // me is the signed-in member as this mode's store knows them (the test
    // store has staff of its own), for "Mine".
    me: users.data.find((u) => u.active && u.email.toLowerCase() === email) || null,
    userName: (id) => users.data.find((u) => u.id === id)?.name ?? (id ? "a former staff member" : ""),
  };
}

// leave ends the page on screen: its timers and pending reloads stop.
function leave() {
  current?.destroy?.();
  current = null;
  currentScreen = null;
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

// switchMode opens the same section in the other mode. A record's page goes
// to its list: test ticket 3 is not live ticket 3.
function switchMode() {
  const section = routePath().replace(/^(\/tickets|\/customers|\/purchase-orders|\/proposals|\/settings\/webhooks)\/.+$/, "$1");
  location.assign(appHref(section, otherMode()));
}

async function render() {
  leave();
  failedOffline = false;
  const cameFrom = shownPath;
  shownPath = here();
  const path = routePath();
  shell.markNav(path);
  shell.closeDrawer();
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
    currentScreen = { screen, params };
    content.replaceChildren(page.node);
    document.title = `${page.title || "Portal"} · ${ctx.shop.name || "Portal"}${mode() === "test" ? " (test)" : ""}`;
    focusPage(page, cameFrom);
    const missed = pendingEvents || [];
    pendingEvents = null;
    for (const ev of missed) page.onEvent?.(ev);
  } catch (err) {
    if (current !== token) return;
    if (err.status === 404 && screen.record && await showElsewhere(screen.record(params), token)) {
      if (current === token) current = null;
      return;
    }
    if (current !== token) return;
    current = null;
    failedOffline = err.status === 0; // loaded again once the live feed is back
    content.replaceChildren(el("h1", { text: err.status === 404 ? "Not found" : "Something went wrong" }),
      el("p", { class: "error", role: "alert", text: err.message }),
      el("p", {}, link("/tickets", "Back to the ticket queue")));
  }
}

// focusPage puts focus where the user left off: back on a list, the row of
// the record they came from; else where the page wants it.
function focusPage(page, cameFrom) {
  const back = cameFrom && shell.content.querySelector(`[data-list] a[href="${CSS.escape(appHref(cameFrom.split("?")[0]))}"]`);
  if (back) {
    back.focus({ preventScroll: true });
    back.scrollIntoView({ block: "nearest" });
  } else if (page.focus) page.focus();
  else shell.content.focus({ preventScroll: true });
}

// showElsewhere answers a record this mode lacks: when the other mode holds
// it, it says so and links there (a plain link: the other mode is a new page).
async function showElsewhere(record, token) {
  const other = otherMode();
  let found;
  try {
    found = (await call("GET", record.api, undefined, { mode: other })).data;
  } catch {
    return false;
  }
  if (current !== token) return true; // the user moved on meanwhile
  shell.content.replaceChildren(el("h1", { text: `Not in ${mode()} mode` }),
    el("p", { text: `${record.name(found)} is in ${other} mode, not here in ${mode()} mode.` }),
    el("p", {}, el("a", { class: "button", href: appHref(here(), other), text: `Open it in ${other} mode` })),
    el("p", {}, link("/tickets", `Back to the ${mode()} ticket queue`)));
  shell.content.focus({ preventScroll: true });
  return true;
}

// escape steps out of the page: its own Esc first (a draft to keep), then up.
function escape(e) {
  if (current?.onEscape?.(e)) return;
  const up = currentScreen?.screen.up;
  if (up) goUp(up(currentScreen.params));
}

function onLive(ev) {
  if (ev.event === "store.updated") updateShop(ev.data || {});
  if (pendingEvents) { pendingEvents.push(ev); return; }
  // After a gap the log could not fill, pages reload their data in place;
  // forms and drafts stay as they are.
  if (ev.event === "portal.resync") { current?.onResync?.(); return; }
  current?.onEvent?.(ev);
}

// updateShop follows a change to the shop made in any tab: its name,
// currency and zone, and the ticket statuses.
function updateShop(d) {
  if (!ctx) return;
  if (d.store) {
    ctx.shop = d.store;
    setShop(d.store);
    shell.setShopName(d.store.name);
  }
  if (d.changes?.statuses?.to) ctx.statuses = d.changes.statuses.to;
}

async function start() {
  const token = new URLSearchParams(location.hash.slice(1)).get("token");
  if (location.pathname === "/setup" && token) {
    return showSetup(root, token, () => {
      history.replaceState(null, "", "/"); // a reload lands on the queue, which offers to finish
      showShopStep(root, start);
    });
  }
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
  ctx.up = goUp;
  ctx.shopChanged = (shop) => updateShop({ store: shop });
  ctx.statusesChanged = (list) => { ctx.statuses = list; };
  shell = buildShell(root, ctx, { signOut, switchMode });
  live.start();
  await render();
}

// A plain click on an in-app link is the router's; a click with a modifier
// (a new tab) is the browser's, and the href already holds the mode.
function onClick(e) {
  const a = e.target.closest?.("a[data-nav]");
  if (!a || e.defaultPrevented || e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  navigate(a.getAttribute("href"));
}

live.on(onLive);
// A page that failed because Portal was out of reach (a restart) loads
// again by itself once the connection is back.
live.onStatus((s) => { if (s === "live" && failedOffline && ctx) render(); });
document.addEventListener("click", onClick);
window.addEventListener("popstate", () => {
  // A hash change (the skip link) is not a new page.
  if (!ctx || here() === shownPath) return;
  render();
});
window.addEventListener("portal:signed-out", () => {
  if (!ctx) return;
  live.stop();
  leave();
  ctx = null;
  showSignIn(root, start);
});
installKeys({
  active: () => !!ctx,
  ctx: () => ctx,
  page: () => current,
  shell: () => shell,
  navigate,
  escape,
});
start();
