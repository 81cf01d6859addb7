// The intake form: find the customer or create them in the same breath, then
// the device and what is wrong with it.

import { el, link, field, showErrors, busy, debounce } from "../lib/dom.js";
import { call, get, query, ApiError } from "../lib/api.js";
import { rememberCustomer } from "../lib/customers.js";
import { fromShopTime, shopZone } from "../lib/format.js";

export async function newTicket(ctx, _params, search) {
  let chosen = null; // the customer the ticket is for, once picked or created
  const preset = Number(search.get("customer_id"));
  if (preset) chosen = (await get(`/api/v1/customers/${preset}`)).data;

  const form = el("form", { class: "stack form-wide", novalidate: true });
  const error = el("p", { class: "error", role: "alert" });

  // Customer: a combobox over the customer search, with "create" as its last option.
  const find = el("input", {
    name: "customer_search", type: "text", autocomplete: "off", role: "combobox",
    "aria-autocomplete": "list", "aria-expanded": "false", "aria-controls": "customer-options",
    placeholder: "Name, phone or email",
  });
  const options = el("ul", { id: "customer-options", role: "listbox", class: "options", hidden: true, "aria-label": "Matching customers" });
  const picked = el("div", { class: "picked", hidden: true });
  const newFields = {
    name: el("input", { name: "name", autocomplete: "off" }),
    phone: el("input", { name: "phone", type: "tel", autocomplete: "off" }),
    email: el("input", { name: "email", type: "email", autocomplete: "off" }),
  };
  const newCustomer = el("fieldset", { class: "new-customer", hidden: true },
    el("legend", { text: "New customer" }),
    el("div", { class: "row" }, field("Name", newFields.name), field("Phone", newFields.phone), field("Email", newFields.email)));
  const customerField = field("Customer", find);

  let active = -1;
  let results = [];

  // settled clears the "choose a customer" error once one is chosen or being made.
  function settled() {
    showErrors(customerField, {});
  }

  function showPicked() {
    if (chosen) settled();
    picked.hidden = !chosen;
    customerField.hidden = !!chosen;
    options.hidden = true;
    newCustomer.hidden = true;
    if (!chosen) return;
    picked.replaceChildren(
      el("span", { class: "label", text: "Customer" }),
      el("strong", { text: chosen.name }),
      el("span", { class: "muted", text: [chosen.phone, chosen.email].filter(Boolean).join(" · ") }),
      el("button", { type: "button", class: "linklike", text: "Change", onclick: () => { chosen = null; showPicked(); find.focus(); } }));
  }

  function renderOptions() {
    const typed = find.value.trim();
    const items = results.map((c) => ({ label: c.name, detail: [c.phone, c.email].filter(Boolean).join(" · "), pick: () => { chosen = c; showPicked(); form.querySelector("[name='device.brand']").focus(); } }));
    if (typed && ctx.can("customers.write")) items.push({ label: `+ New customer “${typed}”`, detail: "", pick: startNew });
    if (typed && !ctx.can("customers.write") && !results.length) items.push({ label: "No customer matches; ask the front desk to add them", detail: "", pick: () => {} });
    options.replaceChildren(...items.map((it, i) => el("li", {
      role: "option", id: `customer-opt-${i}`, "aria-selected": String(i === active),
      onmousedown: (e) => { e.preventDefault(); it.pick(); },
    }, el("span", { text: it.label }), it.detail ? el("span", { class: "muted", text: ` ${it.detail}` }) : null)));
    options.hidden = items.length === 0;
    find.setAttribute("aria-expanded", String(!options.hidden));
    if (active >= 0) find.setAttribute("aria-activedescendant", `customer-opt-${active}`);
    else find.removeAttribute("aria-activedescendant");
    options._items = items;
  }

  function startNew() {
    settled();
    const typed = find.value.trim();
    options.hidden = true;
    find.setAttribute("aria-expanded", "false");
    newCustomer.hidden = false;
    const digits = typed.replace(/[^\d+]/g, "");
    if (typed.includes("@")) newFields.email.value = typed;
    else if (digits.length >= 6 && digits.length >= typed.replace(/\s/g, "").length - 2) newFields.phone.value = typed;
    else newFields.name.value = typed;
    (newFields.name.value ? newFields.phone : newFields.name).focus();
  }

  const lookup = debounce(async () => {
    const q = find.value.trim();
    active = -1;
    if (!q) { results = []; renderOptions(); return; }
    try {
      const r = await get(`/api/v1/customers${query({ q, per_page: 8 })}`);
      if (find.value.trim() === q) { results = r.data; renderOptions(); }
    } catch { results = []; renderOptions(); }
  }, 150);
  find.addEventListener("input", () => { newCustomer.hidden = true; lookup(); });
  find.addEventListener("blur", () => { options.hidden = true; find.setAttribute("aria-expanded", "false"); });
  find.addEventListener("keydown", (e) => {
    const items = options._items || [];
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      if (!items.length) return;
      active = (active + (e.key === "ArrowDown" ? 1 : -1) + items.length) % items.length;
      renderOptions();
    } else if (e.key === "Enter" && !options.hidden && items.length) {
      e.preventDefault();
      items[Math.max(active, 0)].pick();
    } else if (e.key === "Escape" && !options.hidden) {
      e.preventDefault(); // Esc closes the list; the next one leaves the field
      options.hidden = true;
      find.setAttribute("aria-expanded", "false");
    }
  });

  const brand = el("input", { name: "device.brand", autocomplete: "off" });
  const model = el("input", { name: "device.model", autocomplete: "off" });
  const serial = el("input", { name: "device.serial", autocomplete: "off" });
  const imei = el("input", { name: "device.imei", inputmode: "numeric", autocomplete: "off" });
  const issue = el("textarea", { name: "issue", rows: 4 });
  const assignee = el("select", { name: "assigned_to" }, el("option", { value: "", text: "Unassigned" }),
    ctx.users.map((u) => el("option", { value: String(u.id), text: u.name })));
  const priority = el("select", { name: "priority" },
    ["low", "normal", "high", "urgent"].map((p) => el("option", { value: p, text: p[0].toUpperCase() + p.slice(1), selected: p === "normal" })));
  const due = el("input", { name: "due_at", type: "datetime-local" });
  const submit = el("button", { type: "submit", text: "Create ticket" });

  form.append(
    el("div", { class: "combo" }, customerField, options), picked, newCustomer,
    el("fieldset", {}, el("legend", { text: "Device" }),
      el("div", { class: "row" }, field("Brand", brand), field("Model", model), field("Serial", serial), field("IMEI", imei))),
    field("What is wrong", issue, "In the customer's words; you can add notes later."),
    el("div", { class: "row" }, field("Assign to", assignee), field("Priority", priority), field("Due", due, `Shop time (${shopZone()})`)),
    error,
    el("div", { class: "actions" }, submit, link("/tickets", "Cancel", { class: "quiet" })));

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    error.textContent = "";
    busy(submit, async () => {
      try {
        if (!chosen) {
          if (newCustomer.hidden) {
            throw new ApiError(422, { error: { message: "Choose a customer, or create one", details: [{ field: "customer_search", message: "Choose a customer from the list, or pick “New customer”" }] } });
          }
          const c = await call("POST", "/api/v1/customers", { name: newFields.name.value, phone: newFields.phone.value, email: newFields.email.value });
          chosen = c.data; // kept, so a retry after a ticket error does not create them twice
          rememberCustomer(chosen);
          showPicked();
        }
        const body = {
          customer_id: chosen.id,
          device: { brand: brand.value.trim(), model: model.value.trim(), serial: serial.value.trim(), imei: imei.value.trim() },
          issue: issue.value,
          priority: priority.value,
        };
        if (assignee.value) body.assigned_to = Number(assignee.value);
        if (due.value) body.due_at = fromShopTime(due.value);
        const t = await call("POST", "/api/v1/tickets", body);
        ctx.navigate(`/tickets/${t.data.id}`);
      } catch (err) {
        if (!showErrors(form, err)) error.textContent = err.message;
      }
    });
  });

  showPicked();
  const node = el("section", { class: "page" },
    el("header", { class: "page-head" }, el("h1", { text: "New ticket" })), form);
  return {
    node,
    title: "New ticket",
    focus: () => (chosen ? brand : find).focus(),
    onEscape: () => {
      const started = [find, brand, model, serial, imei, issue].some((i) => i.value.trim());
      if (!started || confirm("Leave this ticket unfinished? What you typed is lost.")) ctx.up("/tickets");
      return true;
    },
  };
}
