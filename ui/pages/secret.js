// A secret shown once: readable, selectable, copyable, with the warning.

import { el } from "../lib/dom.js";

export function secretReveal(title, pairs, note = "Copy it now and keep it somewhere safe: Portal will not show it again.") {
  const panel = el("div", { class: "secret-panel", role: "region", "aria-label": title },
    el("h2", { text: title }),
    el("p", { text: note }));
  for (const [label, value] of pairs) {
    const input = el("input", { type: "text", readonly: true, value, class: "mono", "aria-label": label, onfocus: (e) => e.target.select() });
    const status = el("span", { class: "muted", role: "status" });
    panel.append(el("div", { class: "secret-row" },
      el("span", { class: "label", text: label }), input,
      el("button", { type: "button", text: "Copy", onclick: async () => {
        try {
          await navigator.clipboard.writeText(value);
          status.textContent = "Copied";
        } catch {
          input.select();
          status.textContent = "Press Ctrl+C to copy";
        }
      } }), status));
  }
  panel.append(el("button", { type: "button", class: "quiet", text: "Done, I saved it", onclick: () => panel.remove() }));
  queueMicrotask(() => panel.querySelector("input")?.focus());
  return panel;
}
