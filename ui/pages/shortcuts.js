// The "?" dialog listing the console's keyboard shortcuts.

import { el } from "../lib/dom.js";

const shortcuts = [
  ["/", "Search"], ["n", "New ticket"], ["g then t", "Go to tickets"], ["g then c", "Go to customers"],
  ["g then w", "Go to webhooks"], ["g then e", "Go to events"], ["g then k", "Go to API keys"],
  ["j / k", "Next / previous row"], ["Enter", "Open the row"], ["Ctrl+Enter", "Add the note"],
  ["Esc", "Close, or back to the queue"], ["?", "This list"],
];

let dialog = null;

export function shortcutsDialog() {
  if (dialog?.isConnected) return dialog;
  dialog = el("dialog", { class: "shortcuts", "aria-labelledby": "shortcuts-title" },
    el("h2", { id: "shortcuts-title", text: "Keyboard shortcuts" }),
    el("dl", {}, shortcuts.map(([k, what]) => [el("dt", {}, el("kbd", { text: k })), el("dd", { text: what })])),
    el("form", { method: "dialog" }, el("button", { type: "submit", text: "Close" })));
  document.body.append(dialog);
  return dialog;
}
