// Settings → Plugins: the installed plugins (what each may do, in plain
// words; its version; its webhooks' last deliveries and errors; a pending
// upgrade to approve; uninstall), installing one from a manifest (pasted,
// a file, or a URL), and the catalog of known plugins, one click each.

import { el, field, showErrors, busy, reconcile } from "../lib/dom.js";
import { call } from "../lib/api.js";
import { when } from "../lib/format.js";
import { scopeSentences } from "../lib/scopewords.js";
import { secretReveal } from "./secret.js";
import { widgetPlace } from "../lib/widgets.js";

// Plugins belong to the live shop: this page always speaks to the live side.
const live = { mode: "live" };

function scopeList(scopes, label) {
  if (!scopes || !scopes.length) return el("p", { class: "muted small", text: "Asks for no access to your data." });
  return el("ul", { class: "scope-words", "aria-label": label },
    scopeSentences(scopes).map(([s, words]) => el("li", { "data-scope": s, text: `${words}.` })));
}

function pricing(p) {
  if (!p || !p.model || p.model === "free") return "Free";
  const price = typeof p.price === "number" ? `$${p.price.toFixed(2)}` : "";
  const per = { monthly: " a month", yearly: " a year", annual: " a year", one_time: " once" }[p.model] ?? ` (${p.model})`;
  return `${price}${per}`.trim();
}

export async function pluginsPage(ctx) {
  const canWrite = ctx.can("plugins.write");
  const installed = el("div", { class: "plugin-list", "data-list": "installed" });
  const catalog = el("div", { class: "plugin-list", "data-list": "catalog" });
  const catalogNote = el("p", { class: "muted" });
  const shown = el("div"); // what an install answered, its key once
  const rows = new Map(); // plugin id → its card, kept across reloads
  let plugins = [];

  async function deliveriesOf(p) {
    // The plugin's own webhooks (it owns them); their newest deliveries.
    if (!ctx.can("webhooks.read")) return null;
    const out = [];
    for (const id of p.webhook_ids || []) {
      try {
        const ds = (await call("GET", `/api/v1/webhooks/${id}/deliveries?per_page=5`, undefined, live)).data;
        out.push(...ds);
      } catch {
        // a webhook removed meanwhile: nothing to show for it
      }
    }
    return out.sort((a, b) => (a.created_at < b.created_at ? 1 : -1)).slice(0, 5);
  }

  function deliveryTable(ds) {
    if (ds === null) return null;
    if (!ds.length) return el("p", { class: "muted small", text: "No webhook deliveries yet." });
    return el("div", { class: "table-wrap" }, el("table", { class: "small" },
      el("caption", { class: "visually-hidden", text: "Last webhook deliveries" }),
      el("thead", {}, el("tr", {}, ["Event", "Status", "When", "Error"].map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, ds.map((d) => el("tr", {},
        el("td", { class: "mono", text: d.event }),
        el("td", {}, el("span", { class: `badge delivery-${d.status}`, text: d.status })),
        el("td", { class: "muted", text: when(d.created_at) }),
        el("td", { class: d.last_error ? "error" : "muted", text: d.last_error || (d.last_status_code ? `HTTP ${d.last_status_code}` : "—") }))))));
  }

  async function card(p) {
    const m = p.manifest || {};
    const node = rows.get(p.id) || el("article", { class: "card plugin", "data-plugin": p.id });
    rows.set(p.id, node);
    const actions = [];
    if (canWrite && p.pending_scopes && p.pending_scopes.length) {
      actions.push(el("div", { class: "plugin-upgrade", role: "region", "aria-label": `Upgrade of ${p.name}` },
        el("h4", { text: `Version ${p.pending_manifest?.version || "new"} asks for more` }),
        scopeList(p.pending_scopes, `What the upgrade of ${p.name} asks for`),
        el("button", { type: "button", text: "Approve the upgrade", onclick: (e) => busy(e.target, () => approve(p)) })));
    }
    if (canWrite) actions.push(el("button", { type: "button", class: "danger quiet", text: "Uninstall", "aria-label": `Uninstall ${p.name}`, onclick: (e) => busy(e.target, () => uninstall(p)) }));
    node.replaceChildren(
      el("header", { class: "plugin-head" },
        el("h3", { text: p.name }),
        el("span", { class: "muted small", text: `Version ${p.version}` }),
        m.category ? el("span", { class: "badge", text: m.category }) : null),
      m.description ? el("p", { text: m.description }) : null,
      el("h4", { text: "It may" }),
      scopeList(p.scopes, `What ${p.name} may do`),
      el("p", { class: "muted small", text: `Installed ${when(p.created_at)}${p.installed_by?.name ? ` by ${p.installed_by.name}` : ""}.` }),
      el("h4", { text: "Last webhook deliveries" }),
      deliveryTable(await deliveriesOf(p)),
      ...actions);
    return node;
  }

  async function load() {
    plugins = (await call("GET", "/api/v1/plugins?per_page=200", undefined, live)).data || [];
    const nodes = [];
    for (const p of plugins) nodes.push(await card(p));
    for (const id of [...rows.keys()]) if (!plugins.some((p) => p.id === id)) rows.delete(id);
    if (!nodes.length) nodes.push(el("p", { class: "muted", "data-empty": true, text: "No plugins installed. Install one from the catalog or from its manifest below." }));
    reconcile(installed, nodes);
    await loadCatalog();
  }

  async function loadCatalog() {
    let entries = [];
    try {
      entries = (await call("GET", "/api/v1/plugins/catalog", undefined, live)).data || [];
      catalogNote.textContent = entries.length ? "" : "The catalog is empty. The owner can point Portal at a catalog on the Shop page (plugin catalog URL).";
    } catch (err) {
      catalogNote.textContent = `The catalog could not be read: ${err.message}`;
    }
    reconcile(catalog, entries.map((c) => {
      const have = plugins.some((p) => p.id === c.id);
      const trial = c.pricing?.trial_days ? `${c.pricing.trial_days}-day free trial` : null;
      return el("article", { class: "card plugin", "data-catalog": c.id },
        el("header", { class: "plugin-head" },
          el("h3", { text: c.name || c.id }),
          c.category ? el("span", { class: "badge", text: c.category }) : null),
        c.description ? el("p", { text: c.description }) : null,
        el("p", { class: "small" }, el("strong", { text: pricing(c.pricing) }), trial ? ` · ${trial}` : ""),
        c.scopes ? scopeList(c.scopes, `What ${c.name || c.id} asks for`) : null,
        have ? el("p", { class: "muted small", text: "Installed." })
          : canWrite ? el("button", { type: "button", text: `Install ${c.name || c.id}`, onclick: (e) => busy(e.target, () => install({ ...(c.manifest ? { manifest: c.manifest } : { manifest_url: c.manifest_url }), expect: { id: c.id, scopes: c.scopes || [] } }, catalogNote)) }) : null);
    }));
  }

  async function approve(p) {
    try {
      await call("POST", `/api/v1/plugins/${encodeURIComponent(p.id)}/approve`, {}, live);
      await load();
    } catch (err) {
      alert(err.message);
    }
  }

  async function uninstall(p) {
    if (!confirm(`Uninstall “${p.name}”? Its key stops working, its webhooks and widgets are removed.`)) return;
    try {
      await call("DELETE", `/api/v1/plugins/${encodeURIComponent(p.id)}`, undefined, live);
      await load();
    } catch (err) {
      alert(err.message);
    }
  }

  async function install(body, errorNode, form) {
    try {
      const p = (await call("POST", "/api/v1/plugins", body, live)).data || {};
      errorNode.textContent = "";
      shown.replaceChildren(p.key
        ? secretReveal(`${p.name} ${p.pending ? "has a newer version waiting for your approval" : p.upgraded ? "upgraded" : "installed"}`, [["Its key (give it to the plugin's server)", p.key]])
        : el("p", { role: "status", text: `${p.name} ${p.pending ? "has a newer version waiting for your approval" : "installed"}.` }));
      await load();
      return true;
    } catch (err) {
      if (form) showErrors(form, err);
      errorNode.textContent = err.message;
      return false;
    }
  }

  const settings = widgetPlace("settings_panel"); // each plugin's own settings panel (ui/lib/widgets.js)
  const node = el("section", { class: "page" },
    el("header", { class: "page-head" }, el("h1", { text: "Plugins" })),
    el("p", { class: "muted", text: "Plugins add to Portal: widgets in its pages and webhooks for what happens in the shop. Each may do only what you granted it when you installed it." }),
    shown,
    el("h2", { text: "Installed" }),
    installed,
    settings.node,
    canWrite ? installForm(install) : null,
    el("h2", { text: "Catalog" }),
    catalogNote,
    catalog);
  await load();
  return { node, title: "Plugins", destroy: () => settings.destroy() };
}

function installForm(install) {
  const text = el("textarea", { name: "manifest", rows: 6, spellcheck: "false", class: "mono" });
  const file = el("input", { type: "file", name: "manifest_file", accept: "application/json,.json" });
  const url = el("input", { type: "url", name: "manifest_url", autocomplete: "off", placeholder: "https://example.com/portal-plugin.json" });
  const note = el("p", { class: "error", role: "alert" });
  file.addEventListener("change", async () => {
    if (file.files[0]) text.value = await file.files[0].text();
  });
  const submit = el("button", { type: "submit", text: "Install" });
  const form = el("form", { class: "stack form-wide card-flat", novalidate: true },
    el("h2", { text: "Install a plugin" }),
    el("p", { class: "muted small", text: "Paste its manifest (portal-plugin.json), choose the file, or give its address. Installing grants the scopes the manifest asks for." }),
    field("Manifest", text), field("Or a manifest file", file), field("Or the manifest's address", url), note, submit);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    note.textContent = "";
    busy(submit, async () => {
      let body;
      if (url.value.trim()) body = { manifest_url: url.value.trim() };
      else {
        try {
          body = { manifest: JSON.parse(text.value) };
        } catch {
          note.textContent = "The manifest is not JSON: paste the whole portal-plugin.json.";
          return;
        }
      }
      if (await install(body, note, form)) {
        note.textContent = "";
        form.reset();
      }
    });
  });
  return form;
}
