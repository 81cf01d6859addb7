// The second setup step, right after the owner's password: the shop's
// essentials (name, phone, time zone, tax rate), so the first receipt and
// the first total are right. It can be skipped; the empty queue then offers
// to finish it.

import { el, showErrors, busy } from "../lib/dom.js";
import { call, get } from "../lib/api.js";
import { shopFields } from "./shop.js";

export async function showShopStep(root, done) {
  let shop;
  try {
    shop = (await get("/api/v1/store")).data;
  } catch {
    done(); // the queue offers the same step
    return;
  }
  const f = shopFields({ ...shop, name: shop.name === "My Repair Shop" ? "" : shop.name }, ["name", "phone", "timezone", "tax_rate"]);
  f.inputs.tax_rate.value = Number(shop.tax_rate) ? String(shop.tax_rate) : "";
  const error = el("p", { class: "error", role: "alert" });
  const save = el("button", { type: "submit", text: "Save and open the queue" });
  const skip = el("button", { type: "button", class: "quiet", text: "Skip for now", onclick: done });
  const form = el("form", { class: "card", novalidate: true },
    el("p", { class: "muted", text: "Step 2 of 2" }),
    el("h1", { text: "About your shop" }),
    el("p", { class: "muted", text: "Receipts show the name and phone; tickets use the time zone and the tax rate. You can change them later in Settings → Shop." }),
    f.nodes.name, f.nodes.phone, f.nodes.timezone, f.nodes.tax_rate,
    error, el("div", { class: "actions" }, save, skip));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    error.textContent = "";
    busy(save, async () => {
      const { patch, details } = f.changes();
      if (!f.inputs.name.value.trim()) details.push({ field: "name", message: "Type the shop's name, as customers know it" });
      showErrors(form, { details });
      if (details.length) return;
      try {
        await call("PATCH", "/api/v1/store", { ...patch, setup_complete: true });
        done();
      } catch (err) {
        if (!showErrors(form, err)) error.textContent = err.message;
      }
    });
  });
  root.replaceChildren(el("main", { class: "auth" }, form));
  f.inputs.name.focus();
}
