// Building the page from data. Everything user-provided reaches the page as
// text nodes or attribute values, never as HTML, so a customer named
// "<img src=x onerror=…>" is just a name.

import { appHref } from "./mode.js";

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  // Children nest as deep as the page builds them (lists of pairs of nodes).
  for (const c of children.flat(Infinity)) {
    if (c !== null && c !== undefined && c !== false) node.append(c);
  }
  return node;
}

// link is an in-app anchor: a real href in the tab's mode (open in a new tab
// keeps it) that the router takes over on a plain click.
export function link(href, text, attrs = {}) {
  return el("a", { href: appHref(href), "data-nav": "", ...attrs, text });
}

// field is a label with its control and the place its error goes, so an
// error is shown next to the field that caused it.
export function field(label, control, hint) {
  const id = control.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  control.id = id;
  const error = el("p", { class: "field-error", id: `${id}-error`, role: "alert" });
  control.setAttribute("aria-describedby", `${id}-error`);
  return el("div", { class: "field" },
    el("label", { for: id, text: label }),
    control,
    hint ? el("p", { class: "hint", text: hint }) : null,
    error);
}

// showErrors puts a validation error's details next to the named fields of
// form and returns whether any field took one.
export function showErrors(form, err) {
  for (const p of form.querySelectorAll(".field-error")) p.textContent = "";
  for (const c of form.querySelectorAll("[aria-invalid]")) c.removeAttribute("aria-invalid");
  let placed = false;
  for (const d of err.details || []) {
    const control = form.querySelector(`[name="${CSS.escape(d.field)}"]`);
    if (!control) continue;
    control.setAttribute("aria-invalid", "true");
    const p = document.getElementById(`${control.id}-error`);
    if (p) p.textContent = d.message;
    if (!placed) control.focus();
    placed = true;
  }
  return placed;
}

// busy disables a form's submit button while work runs.
export async function busy(button, work) {
  button.disabled = true;
  try {
    return await work();
  } finally {
    button.disabled = false;
  }
}

// typing reports whether keys go to a text control, where shortcuts must not fire.
export function typing(target) {
  return target instanceof HTMLElement &&
    (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
}

// debounce coalesces a burst of calls into one, wait ms after the last;
// cancel() drops a pending call (a page being left must not act later).
export function debounce(fn, wait) {
  let timer;
  const call = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), wait);
  };
  call.cancel = () => clearTimeout(timer);
  return call;
}

// flash marks a changed element for a moment (the CSS animation respects
// prefers-reduced-motion).
export function flash(node) {
  node.classList.remove("flash");
  void node.offsetWidth; // restart the animation
  node.classList.add("flash");
}

// keepFocus rebuilds part of a page and puts focus back on the control with
// the same data-key, so a click on a filter or a page does not drop keyboard
// users back at the top.
export function keepFocus(container, build) {
  const key = container.contains(document.activeElement) ? document.activeElement.dataset.key : undefined;
  build();
  if (key !== undefined) container.querySelector(`[data-key="${CSS.escape(key)}"]`)?.focus();
}

// reconcile makes container's children exactly nodes, moving only what
// moved: a node that stays where it was is never detached, so a pointer or a
// focus on it survives a re-render.
export function reconcile(container, nodes) {
  nodes.forEach((n, i) => {
    if (container.children[i] !== n) container.insertBefore(n, container.children[i] || null);
  });
  while (container.children.length > nodes.length) container.lastElementChild.remove();
}

// renderPager fills a list's pager: what is shown, previous and next.
export function renderPager(nav, { page, perPage, total, summary }, go) {
  const pages = Math.max(1, Math.ceil(total / perPage));
  keepFocus(nav, () => nav.replaceChildren(
    el("span", { class: "muted", text: summary }),
    el("button", { type: "button", class: "quiet", text: "‹ Previous", "data-key": "prev", disabled: page <= 1, onclick: () => go(page - 1) }),
    el("span", { class: "num", text: `Page ${page} of ${pages}` }),
    el("button", { type: "button", class: "quiet", text: "Next ›", "data-key": "next", disabled: page >= pages, onclick: () => go(page + 1) })));
}
