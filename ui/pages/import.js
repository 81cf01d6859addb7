// Import: how a shop moves in from other shop software. Customers or
// catalog items from a CSV file: a dry run first, which lists every bad row
// (line, column, what is wrong) and writes nothing; then the import, all or
// nothing. Below, every list the shop keeps as a CSV download.

import { el, link, busy } from "../lib/dom.js";
import { replaceURL } from "../lib/mode.js";
import { postCSV, exportButton } from "../lib/stock.js";

const kinds = [
  { name: "customers", label: "Customers", scope: "customers.write", list: "/customers",
    columns: "name, email, phone (a header row first; name is required)" },
  { name: "catalog_items", label: "Catalog items", scope: "catalog.write", list: "/catalog",
    columns: "sku, name, kind (part, service or product), price, cost, taxable, reorder_level, barcode" },
];
const exportsList = [
  ["Customers", "/api/v1/customers.csv", "customers.read", "customers.csv"],
  ["Tickets", "/api/v1/tickets.csv", "tickets.read", "tickets.csv"],
  ["Catalog items", "/api/v1/catalog/items.csv", "catalog.read", "catalog.csv"],
  ["Stock levels", "/api/v1/inventory.csv", "inventory.read", "inventory.csv"],
  ["Stock adjustments", "/api/v1/inventory/adjustments.csv", "inventory.read", "adjustments.csv"],
  ["Purchase orders", "/api/v1/purchase_orders.csv", "purchase_orders.read", "purchase-orders.csv"],
  ["Suppliers", "/api/v1/suppliers.csv", "purchase_orders.read", "suppliers.csv"],
  ["Devices", "/api/v1/devices.csv", "devices.read", "devices.csv"],
];

export async function importPage(ctx, _params, search) {
  const allowed = kinds.filter((k) => ctx.can(k.scope));
  let kind = allowed.find((k) => k.name === search.get("kind")) || allowed[0];

  const radios = el("fieldset", { class: "import-kind" }, el("legend", { text: "What to import" }),
    allowed.map((k) => el("label", { class: "check", for: `imp-${k.name}` },
      el("input", { type: "radio", name: "kind", id: `imp-${k.name}`, value: k.name, checked: k === kind }), ` ${k.label}`)));
  const file = el("input", { type: "file", name: "file", id: "import-file", accept: ".csv,text/csv", "aria-describedby": "import-file-hint" });
  const columns = el("p", { class: "hint", id: "import-file-hint" });
  const check = el("button", { type: "submit", text: "Check the file" });
  const run = el("button", { type: "button", text: "Import", hidden: true });
  const status = el("div", { class: "import-status", role: "status", "aria-live": "polite" });
  const report = el("div", { class: "import-report" });
  const error = el("p", { class: "error", role: "alert" });
  const form = el("form", { class: "stack card-flat import-form", novalidate: true, "aria-labelledby": "import-form-title" },
    el("h2", { id: "import-form-title", text: "Import from a CSV file" }),
    radios,
    el("div", { class: "field" }, el("label", { for: "import-file", text: "CSV file" }), file, columns),
    el("div", { class: "actions" }, check, run),
    status, error, report);

  const exports = exportsList.filter(([, , scope]) => ctx.can(scope));
  const exportError = el("p", { class: "error", role: "alert" });
  const node = el("section", { class: "page import-page", "aria-labelledby": "import-title" },
    el("header", { class: "page-head" }, el("h1", { id: "import-title", text: "Import and export" })),
    allowed.length ? form : el("p", { class: "muted", text: "Your role cannot import records." }),
    exports.length ? el("section", { class: "card-flat exports", "aria-labelledby": "export-title" },
      el("h2", { id: "export-title", text: "Export as CSV" }),
      el("p", { class: "muted", text: "Each list as a spreadsheet, for the accountant or another system. A list's own Export button keeps its filters." }),
      el("div", { class: "actions" }, exports.map(([label, path, , name]) => exportButton(label, path, () => ({}), name, (err) => { exportError.textContent = err.message; }))),
      exportError) : null);

  let text = "";
  let checked = false; // the dry run passed for this very file and kind

  function setKind(k) {
    kind = k;
    columns.textContent = `Columns: ${k.columns}.`;
    replaceURL(`/import?kind=${k.name}`);
    reset();
  }
  function reset() {
    checked = false;
    run.hidden = true;
    status.replaceChildren();
    report.replaceChildren();
    error.textContent = "";
  }

  const rowsOf = (t) => Math.max(0, t.split(/\r\n|\n|\r/).filter((l) => l.trim()).length - 1);

  function showRows(rows, what) {
    report.replaceChildren(
      el("h3", { id: "import-errors-title", text: `${rows.length} ${rows.length === 1 ? "problem" : "problems"} ${what}` }),
      el("div", { class: "table-wrap" }, el("table", { class: "import-errors", "aria-labelledby": "import-errors-title" },
        el("thead", {}, el("tr", {}, ["Line", "Column", "What is wrong"].map((h, i) => el("th", { scope: "col", class: i === 0 ? "num" : "", text: h })))),
        el("tbody", {}, rows.map((r) => el("tr", {},
          el("td", { class: "num", text: String(r.line) }),
          el("td", { text: r.column || "—" }),
          el("td", { text: r.message })))))));
  }

  async function readFile() {
    const f = file.files?.[0];
    if (!f) return null;
    return f.text();
  }

  form.addEventListener("change", (e) => {
    if (e.target.name === "kind") setKind(allowed.find((k) => k.name === e.target.value));
    if (e.target === file) reset();
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    reset();
    busy(check, async () => {
      text = (await readFile()) ?? "";
      if (!file.files?.length) { error.textContent = "Choose a CSV file first."; file.focus(); return; }
      const n = rowsOf(text);
      try {
        const r = await postCSV(`/api/v1/import/${kind.name}?dry_run=true`, text);
        const rows = r.data?.errors || [];
        if (rows.length) {
          status.replaceChildren(el("p", { class: "import-bad", text: `${rows.length === 1 ? "One row needs" : `${rows.length} problems need`} fixing. Nothing was imported — fix the file and check it again.` }));
          showRows(rows.map((x) => ({ line: x.line, column: x.column, message: x.message })), "in the file");
          return;
        }
        const valid = typeof r.data?.rows === "number" ? r.data.rows : n;
        checked = true;
        status.replaceChildren(el("p", { class: "import-ok", text: `All ${valid} row${valid === 1 ? "" : "s"} are ready to import. Nothing has been written yet.` }));
        run.textContent = `Import ${valid} ${kind.label.toLowerCase()}`;
        run.hidden = false;
        run.focus();
      } catch (err) {
        if (err.rows?.length) {
          status.replaceChildren(el("p", { class: "import-bad", text: `${err.rows.length === 1 ? "One problem needs" : `${err.rows.length} problems need`} fixing. Nothing was imported — fix the file and check it again.` }));
          showRows(err.rows, "in the file");
        } else error.textContent = err.message;
      }
    });
  });
  run.addEventListener("click", () => {
    if (!checked) return;
    busy(run, async () => {
      error.textContent = "";
      try {
        const r = await postCSV(`/api/v1/import/${kind.name}`, text);
        const n = r.data?.imported ?? r.data?.ids?.length ?? rowsOf(text);
        run.hidden = true;
        checked = false;
        report.replaceChildren();
        status.replaceChildren(el("p", { class: "import-ok" }, `Imported ${n} ${kind.label.toLowerCase()}. `, link(kind.list, `Open ${kind.label.toLowerCase()}`)));
        status.querySelector("a")?.focus();
      } catch (err) {
        run.hidden = true;
        checked = false;
        if (err.rows?.length) {
          status.replaceChildren(el("p", { class: "import-bad", text: "The import was refused and nothing was written:" }));
          showRows(err.rows, "in the file");
        } else error.textContent = err.message;
      }
    });
  });

  if (kind) setKind(kind);
  return { node, title: "Import and export", focus: () => (allowed.length ? file : node).focus() };
}
