// The keyboard: shortcuts when no text control has focus (so no typed text
// is lost), and Esc, which steps out one level at a time: a list or the
// menu closes, then the field is left, then the page.

import { typing } from "./dom.js";
import { shortcuts, shortcutsDialog } from "../pages/shortcuts.js";

export function installKeys(app) {
  let pendingG = false;
  let gTimer = 0;

  function onKey(e) {
    if (!app.active()) return;
    if (e.key === "Escape") { onEscape(e); return; }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (typing(e.target) || document.querySelector("dialog[open]")) return;
    if (app.page()?.onKey?.(e)) { e.preventDefault(); return; }
    if (pendingG) {
      pendingG = false;
      const to = shortcuts.find((s) => s.go === e.key)?.to(app.ctx());
      if (to) { e.preventDefault(); app.navigate(to); }
      return;
    }
    const content = app.shell().content;
    switch (e.key) {
      case "g":
        pendingG = true;
        clearTimeout(gTimer);
        gTimer = setTimeout(() => { pendingG = false; }, 1200);
        return;
      case "/": {
        const s = content.querySelector("[data-search]");
        if (s) { e.preventDefault(); s.focus(); s.select(); }
        return;
      }
      case "n": if (app.ctx().can("tickets.write")) { e.preventDefault(); app.navigate("/tickets/new"); } return;
      case "?": e.preventDefault(); shortcutsDialog().showModal(); return;
      case "j": case "k": if (moveInList(content, e.key === "j" ? 1 : -1)) e.preventDefault(); return;
    }
  }

  function onEscape(e) {
    // A list that closed itself, and a dialog (which closes itself), are
    // this Esc's whole work.
    if (e.defaultPrevented || document.querySelector("dialog[open]")) return;
    const shell = app.shell();
    if (shell?.drawerOpen()) { e.preventDefault(); shell.closeDrawer(); return; }
    if (typing(e.target)) {
      // Leave the field, keeping what it holds: j, k and g work again.
      e.preventDefault();
      e.target.blur();
      shell.content.focus({ preventScroll: true });
      return;
    }
    app.escape(e);
  }

  document.addEventListener("keydown", onKey);
}

// moveInList moves focus between the rows of the page's main list.
function moveInList(content, step) {
  const rows = [...content.querySelectorAll("[data-list] > tr, [data-list] > li")];
  if (!rows.length) return false;
  const at = rows.findIndex((r) => r.contains(document.activeElement));
  const next = rows[Math.max(0, Math.min(rows.length - 1, at < 0 ? 0 : at + step))];
  // A row's link opens it; a row without one takes focus itself, so Enter
  // never lands on a button such as "Remove access".
  const target = next.querySelector("a");
  if (target) target.focus();
  else { next.tabIndex = -1; next.focus(); }
  next.scrollIntoView({ block: "nearest" });
  return true;
}
