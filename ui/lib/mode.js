// Live or test: the mode is the URL's, as Stripe does it. /test/tickets/1001
// is test ticket 1001, so a new tab, a bookmark or a shared link keeps the
// mode, and a tab never writes to the store another tab switched to.

const prefix = "/test";

// mode is the mode of the page the tab shows.
export function mode() {
  const p = location.pathname;
  return p === prefix || p.startsWith(`${prefix}/`) ? "test" : "live";
}

export const otherMode = (m = mode()) => (m === "test" ? "live" : "test");

// routePath is the console's path without the mode: "/tickets/7".
export function routePath() {
  const p = location.pathname;
  const inner = mode() === "test" ? p.slice(prefix.length) : p;
  return inner.replace(/\/+$/, "") || "/";
}

// appHref turns a console path ("/tickets?q=ada") into the address of that
// page in mode m (the tab's by default). Paths already in test form are kept.
export function appHref(path, m = mode()) {
  if (!path.startsWith("/") || path.startsWith("/api/")) return path;
  const bare = path === prefix || path.startsWith(`${prefix}/`) || path.startsWith(`${prefix}?`)
    ? path.slice(prefix.length) || "/"
    : path;
  if (m !== "test") return bare;
  return bare === "/" ? `${prefix}/` : `${prefix}${bare}`;
}

// replaceURL records a page's state (filters, search, page) in the address
// bar without a new history entry, keeping the entry's history state.
export function replaceURL(path) {
  history.replaceState(history.state, "", appHref(path));
}
