// The ticket statuses, on Settings → Shop: add, rename, reorder (drag, or
// the arrow buttons from the keyboard), mark which close a ticket and which
// email the customer. A rename keeps the status's tickets: the save sends it
// as a rename.

import { el, showErrors, busy } from "../lib/dom.js";
import { call } from "../lib/api.js";

let uid = 0;

export function statusEditor(ctx, canWrite) {
  // orig is the name the server knows a row by ("" for a new one).
  const fromServer = (list) => list.map((s) => ({ key: ++uid, orig: s.name, name: s.name, closed: s.closed, notify: !!s.notify_customer }));
  let rows = fromServer(ctx.statuses);
  let dirty = false;
  let dragged = -1;

  const list = el("ol", { class: "status-list" });
  const error = el("p", { class: "error", role: "alert" });
  const saved = el("span", { class: "muted", role: "status" });
  const submit = el("button", { type: "submit", text: "Save statuses" });
  const add = el("button", { type: "button", class: "secondary", text: "+ Add status" });
  const form = el("form", { class: "stack form-wide card-flat", novalidate: true, "aria-labelledby": "statuses-title" },
    el("h2", { id: "statuses-title", text: "Ticket statuses" }),
    el("p", { class: "muted", text: "New tickets start in the first status. Drag a status, or use its arrows, to change the order. A status tickets are in can be renamed — they move with it — but not removed. \u201cEmails the customer\u201d sends the ticket's customer an email when a ticket reaches the status (set up the mail server under Email)." }),
    list,
    canWrite ? el("div", { class: "actions" }, add, submit, saved) : null,
    error);

  function render(focus) {
    list.replaceChildren(...rows.map((r, i) => {
      const id = `status-${r.key}`;
      const name = el("input", { id, name: `statuses[${i}].name`, value: r.name, disabled: !canWrite, autocomplete: "off",
        "aria-label": `Name of status ${i + 1}`, "aria-describedby": `${id}-error` });
      name.addEventListener("input", () => { r.name = name.value; dirty = true; });
      const closed = el("input", { type: "checkbox", id: `${id}-closed`, checked: r.closed, disabled: !canWrite });
      closed.addEventListener("change", () => { r.closed = closed.checked; dirty = true; });
      const notify = el("input", { type: "checkbox", id: `${id}-notify`, checked: r.notify, disabled: !canWrite });
      notify.addEventListener("change", () => { r.notify = notify.checked; dirty = true; });
      const button = (text, label, action, disabled, key) => el("button", {
        type: "button", class: "icon", text, "aria-label": label, disabled: !canWrite || disabled, "data-key": key,
        onclick: action,
      });
      // Only the grip drags: were the whole row draggable, selecting text
      // in its name would drag the row instead.
      const grip = el("span", { class: "grip", "aria-hidden": "true", text: "⠿" });
      const li = el("li", { class: "status-row", "data-index": String(i) }, grip,
        el("div", { class: "status-name" }, name, el("p", { class: "field-error", id: `${id}-error`, role: "alert" })),
        el("div", { class: "status-checks" },
          el("label", { class: "check", for: `${id}-closed` }, closed, " Closes the ticket"),
          el("label", { class: "check", for: `${id}-notify` }, notify, " Emails the customer")),
        button("↑", `Move ${r.name || "this status"} up`, () => move(i, i - 1, `up-${r.key}`), i === 0, `up-${r.key}`),
        button("↓", `Move ${r.name || "this status"} down`, () => move(i, i + 1, `down-${r.key}`), i === rows.length - 1, `down-${r.key}`),
        button("×", `Remove ${r.name || "this status"}`, () => remove(i), rows.length === 1, `rm-${r.key}`));
      if (canWrite) {
        grip.addEventListener("pointerdown", () => { li.draggable = true; });
        grip.addEventListener("pointerup", () => { li.draggable = false; }); // a press that never dragged
      }
      li.addEventListener("dragstart", (e) => { dragged = i; e.dataTransfer.effectAllowed = "move"; li.classList.add("dragging"); });
      li.addEventListener("dragend", () => { li.classList.remove("dragging"); li.draggable = false; });
      li.addEventListener("dragover", (e) => { if (dragged >= 0) e.preventDefault(); });
      li.addEventListener("drop", (e) => { e.preventDefault(); if (dragged >= 0) move(dragged, i); dragged = -1; });
      return li;
    }));
    if (focus) list.querySelector(focus)?.focus();
  }

  function move(from, to, focusKey) {
    if (to < 0 || to >= rows.length || from === to) return;
    const [r] = rows.splice(from, 1);
    rows.splice(to, 0, r);
    dirty = true;
    // The arrow pressed keeps focus, unless the row reached the end where
    // that arrow is disabled: then its other arrow.
    const other = focusKey?.startsWith("up-") ? `down-${r.key}` : `up-${r.key}`;
    render(focusKey && `[data-key="${focusKey}"]:not(:disabled), [data-key="${other}"]`);
  }

  function remove(i) {
    rows.splice(i, 1);
    dirty = true;
    render(`[name="statuses[${Math.min(i, rows.length - 1)}].name"]`);
  }

  add.addEventListener("click", () => {
    rows.push({ key: ++uid, orig: "", name: "", closed: false, notify: false });
    dirty = true;
    render(`[name="statuses[${rows.length - 1}].name"]`);
  });

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    error.textContent = "";
    saved.textContent = "";
    busy(submit, async () => {
      const statuses = rows.map((r) => ({ name: r.name.trim(), closed: r.closed, notify_customer: r.notify }));
      const renames = {};
      for (const r of rows) if (r.orig && r.orig !== r.name.trim()) renames[r.orig] = r.name.trim();
      try {
        const list = (await call("PUT", "/api/v1/store/statuses", { statuses, renames })).data;
        ctx.statusesChanged(list);
        rows = fromServer(list);
        dirty = false;
        render();
        saved.textContent = "Saved.";
      } catch (err) {
        if (!showErrors(form, err)) error.textContent = err.message;
      }
    });
  });

  render();
  return {
    node: form,
    // Another tab's change shows here unless this one has edits of its own.
    onEvent(ev) {
      if (ev.event !== "store.updated" || !ev.data?.changes?.statuses || dirty) return;
      rows = fromServer(ctx.statuses);
      render();
    },
  };
}
