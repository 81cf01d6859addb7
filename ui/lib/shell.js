// The frame around every page: the test-mode banner, the navigation (a
// sidebar on desks, a drawer behind a compact top bar below 800 px), the
// live status, who is signed in.

import { el, link } from "./dom.js";
import { mode } from "./mode.js";
import { live } from "./live.js";
import { shortcutsDialog } from "../pages/shortcuts.js";

// The navigation: the shop's work, then settings, each entry shown to the
// roles that hold its scope (or every scope of a list).
const nav = [
  ["Shop", [
    ["Tickets", "/tickets", "tickets.read"],
    ["Customers", "/customers", "customers.read"],
    ["Quotes", "/proposals", "proposals.read"],
    ["Catalog", "/catalog", "catalog.read"],
    ["Purchase orders", "/purchase-orders", "purchase_orders.read"],
    ["Devices", "/devices", "devices.read"],
    ["Import", "/import", "customers.write"],
  ]],
  ["Desk", [
    ["Visitors", "/visitors", "visitors.read"],
    ["Contractors", "/contractors", "contractors.read"],
    ["Evacuation", "/evacuation", "evacuation.read"],
  ]],
  ["Settings", [
    ["Shop", "/settings/shop", "store.write"],
    ["Staff", "/settings/staff", "users.write"],
    ["API keys", "/settings/keys", "keys.read"],
    ["Kiosks", "/settings/kiosks", "keys.write"],
    ["Plugins", "/settings/plugins", "plugins.read"],
    ["Webhooks", "/settings/webhooks", "webhooks.read"],
    ["Events", "/settings/events", "events.read"],
    ["Emails", "/emails", ["store.read", "customers.read"]], // the log names customers' addresses
    ["Appliance", "/settings/appliance", "backup.read"],
  ]],
];

let stopStatus = () => {};

export function buildShell(root, ctx, { signOut, switchMode }) {
  const test = mode() === "test";
  const content = el("main", { id: "content", tabindex: "-1" });
  const status = el("span", { class: "live-status", role: "status" });
  stopStatus();
  stopStatus = live.onStatus((s) => {
    status.dataset.state = s;
    // "Live" would read as live mode: in test mode the dot says what it is.
    status.textContent = s === "live" ? (test ? "Connected (test data)" : "Live") : "Reconnecting…";
    status.title = s === "live" ? "Changes appear as they happen" : "The connection dropped; trying again";
  });
  const testSwitch = el("button", {
    type: "button", role: "switch", class: "switch", "aria-checked": String(test), onclick: switchMode,
  }, el("span", { class: "knob", "aria-hidden": "true" }), "Test mode");
  const groups = nav.map(([label, entries]) => {
    const items = entries.filter((n) => [n[2]].flat().every(ctx.can)).map((n) => el("li", {}, link(n[1], n[0])));
    return items.length ? el("ul", { "aria-label": label }, items) : null;
  });
  const shopName = el("div", { class: "shop-name", text: ctx.shop.name || "Portal" });
  const topName = el("span", { class: "top-name", text: ctx.shop.name || "Portal" });
  const menu = el("button", { type: "button", class: "menu-button", "aria-expanded": "false", "aria-controls": "side-nav" },
    el("span", { class: "burger", "aria-hidden": "true" }), "Menu");
  const closeMenu = el("button", { type: "button", class: "quiet drawer-close", text: "Close menu" });
  const side = el("nav", { class: "side", id: "side-nav", "aria-label": "Main" },
    el("div", { class: "side-head" }, shopName, closeMenu),
    groups,
    el("div", { class: "side-foot" },
      testSwitch, status,
      el("div", { class: "who" }, el("span", { text: ctx.session.user.name }), " · ",
        el("button", { type: "button", class: "linklike", text: "Sign out", onclick: signOut })),
      el("button", { type: "button", class: "linklike", text: "Keyboard shortcuts (?)", onclick: () => shortcutsDialog().showModal() }),
      tlsLine(ctx.session.tls_fingerprint)));
  const scrim = el("div", { class: "scrim", "aria-hidden": "true" });
  const banner = test ? el("div", { class: "test-banner", role: "note", text: "TEST MODE — test data, test webhooks" }) : null;
  const frame = el("div", { class: "frame", "data-drawer": "closed" },
    el("a", { href: "#content", class: "skip", text: "Skip to content" }),
    el("div", { class: "top" }, banner, el("div", { class: "topbar" }, menu, topName)),
    el("div", { class: "layout" }, side, scrim, content));
  root.replaceChildren(frame);

  const drawerOpen = () => frame.dataset.drawer === "open";
  function setDrawer(open) {
    const wasInside = side.contains(document.activeElement);
    frame.dataset.drawer = open ? "open" : "closed";
    menu.setAttribute("aria-expanded", String(open));
    if (open) side.querySelector("a")?.focus();
    else if (wasInside && getComputedStyle(menu).display !== "none") menu.focus();
  }
  menu.addEventListener("click", () => setDrawer(!drawerOpen()));
  closeMenu.addEventListener("click", () => setDrawer(false));
  scrim.addEventListener("click", () => setDrawer(false));

  return {
    content,
    drawerOpen,
    closeDrawer: () => { if (drawerOpen()) setDrawer(false); },
    setShopName(name) {
      shopName.textContent = name || "Portal";
      topName.textContent = name || "Portal";
    },
    // markNav marks the entry of the section on screen.
    markNav(path) {
      for (const a of side.querySelectorAll("a[data-nav]")) {
        const href = a.getAttribute("href").replace(/^\/test(?=\/)/, "");
        const on = path === href || path.startsWith(href + "/") || (path === "/" && href === "/tickets");
        if (on) a.setAttribute("aria-current", "page");
        else a.removeAttribute("aria-current");
      }
    },
  };
}

// tlsLine shows the certificate's fingerprint, so staff can compare it with
// the one the browser shows (or `portal serve` printed) before trusting it.
function tlsLine(fingerprint) {
  if (!fingerprint) return null;
  return el("div", { class: "tls-fp", title: `TLS certificate SHA-256 fingerprint: ${fingerprint}` },
    "TLS fingerprint ", el("span", { class: "fp", text: fingerprint }));
}
