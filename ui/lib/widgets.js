// Plugins' widgets in the console's places, and the postMessage bridge.
//
// Each widget is an <iframe sandbox="allow-scripts allow-forms"> of the
// plugin's page with ?token=wt_… (a fresh single-use token per render, which
// the plugin's server exchanges with POST /api/v1/widgets/verify-token).
// Without allow-same-origin the frame runs in an opaque origin: it cannot
// read the console's cookies, storage or DOM, and every message it posts
// arrives with event.origin === "null" whatever its URL. So a message is
// accepted only when event.source is that very iframe's contentWindow (no
// other frame or window can forge that) AND its origin is the pinned string
// "null" (a frame that somehow ran unsandboxed would show its real origin and
// be refused). Answers go to that contentWindow with targetOrigin "*": an
// opaque origin cannot be named, and the window reference is the binding.
//
// The protocol (all messages are plain objects with a type):
//   widget → console  {type: "portal:request", resource: "ticket"|"customer", id: "current", request_id?}
//   console → widget  {type: "portal:response", request_id, resource, data} or {…, error: {code, message}}
//                     data is the place's record as far as both the plugin's and
//                     the signed-in staff member's scopes reach (GET /widgets/data)
//   widget → console  {type: "portal:action", action: "add_note", data: {text}, request_id?}
//                     {type: "portal:action", action: "set_status", data: {status}}
//                     {type: "portal:action", action: "open_url", data: {url}}   http(s) only, after a confirm, noopener
//                     {type: "portal:resize", height}                           clamped to the place's maximum
//   console → widget  {type: "portal:action_result", request_id, action, ok, data?, error?}
// add_note and set_status run on the server as the plugin (POST /widgets/actions):
// a note reads "by <plugin name>", 10 actions a minute per plugin and staff member.

import { el } from "./dom.js";
import { call, get } from "./api.js";

// The places and their maximum heights (the manifest's settings_panel is unlimited: 800 here).
export const WIDGET_MAX = {
  ticket_sidebar: 300, ticket_toolbar: 40, customer_sidebar: 300,
  dashboard_card: 400, settings_panel: 800, queue_banner: 80,
};
const RESOURCE = { ticket_sidebar: "ticket", ticket_toolbar: "ticket", customer_sidebar: "customer" };
const LOAD_TIMEOUT = 10000;
const PINNED_ORIGIN = "null"; // a sandboxed frame without allow-same-origin

// widgetPlace renders the installed plugins' widgets for location (and the
// record it shows: resourceId, for ticket and customer places). It answers
// {node, destroy}; node stays hidden while there are none.
export function widgetPlace(location, resourceId = 0) {
  const node = el("div", { class: `widgets widgets-${location}`, hidden: true });
  const frames = new Set(); // {widget, iframe, name, max}: the frames this place rendered
  let gone = false;

  const onMessage = (event) => {
    // Compared when the message arrives: an iframe has its window only once it is in the page.
    const entry = [...frames].find((f) => f.iframe.contentWindow !== null && f.iframe.contentWindow === event.source);
    if (!entry || event.origin !== PINNED_ORIGIN) return; // not one of our frames: ignored
    const msg = event.data;
    if (!msg || typeof msg !== "object" || typeof msg.type !== "string") return;
    handle(entry, event.source, msg);
  };
  window.addEventListener("message", onMessage);

  load().catch(() => { /* no widgets here (or none for this person): the place stays empty */ });

  async function load() {
    const list = (await get(`/api/v1/widgets?location=${location}`)).data || [];
    if (gone || !list.length) return;
    node.hidden = false;
    node.replaceChildren(...list.map(render));
  }

  function render(w) {
    const name = w.plugin_name || w.plugin_id;
    const max = WIDGET_MAX[location] || 300;
    const height = Math.min(w.height > 0 ? w.height : max, max);
    const box = el("section", { class: "widget", "aria-label": `${name} widget` },
      el("header", { class: "widget-head muted", text: name }));
    const placeholder = () => box.replaceChildren(box.firstChild,
      el("p", { class: "widget-failed muted", text: `${name} could not load` }));
    const body = { plugin_id: w.plugin_id, location };
    if (RESOURCE[location]) body.resource_id = Number(resourceId);
    call("POST", "/api/v1/widgets/token", body).then((r) => {
      if (gone) return;
      const src = new URL(r.data.url);
      src.searchParams.set("token", r.data.token);
      const iframe = el("iframe", {
        sandbox: "allow-scripts allow-forms", src: src.href, title: `${name} widget`,
        height: String(height), class: "widget-frame", referrerpolicy: "no-referrer", loading: "lazy",
      });
      const entry = { widget: w, iframe, name, max };
      const timer = setTimeout(() => { frames.delete(entry); placeholder(); }, LOAD_TIMEOUT);
      iframe.addEventListener("load", () => clearTimeout(timer), { once: true });
      // The bridge knows a frame by its window, which stays the same when
      // the frame navigates: a second page loaded in it (a redirect, a link)
      // is not the widget that was given the token, so it loses the bridge.
      let loads = 0;
      iframe.addEventListener("load", () => { if (++loads > 1) frames.delete(entry); });
      iframe.addEventListener("error", () => { clearTimeout(timer); frames.delete(entry); placeholder(); }, { once: true });
      box.append(iframe);
      frames.add(entry);
    }).catch(placeholder);
    return box;
  }

  async function handle(entry, win, msg) {
    const reply = (m) => win.postMessage(m, "*"); // to that frame's window only (see above)
    const rid = msg.request_id;
    if (msg.type === "portal:resize") {
      const h = Math.max(0, Math.min(Number(msg.height) || 0, entry.max));
      if (h) entry.iframe.height = String(h);
      return;
    }
    if (msg.type === "portal:request") {
      const resource = RESOURCE[location];
      if (!resource || (msg.resource && msg.resource !== resource)) {
        reply({ type: "portal:response", request_id: rid, resource: msg.resource,
          error: { code: "NOT_AVAILABLE", message: `This place shows no ${msg.resource || "record"}` } });
        return;
      }
      try {
        const r = await get(`/api/v1/widgets/data?plugin_id=${encodeURIComponent(entry.widget.plugin_id)}&location=${location}&resource_id=${Number(resourceId)}`);
        reply({ type: "portal:response", request_id: rid, resource, data: r.data.data });
      } catch (err) {
        reply({ type: "portal:response", request_id: rid, resource, error: { code: err.code || "ERROR", message: err.message } });
      }
      return;
    }
    if (msg.type !== "portal:action") return;
    const result = (ok, extra) => reply({ type: "portal:action_result", request_id: rid, action: msg.action, ok, ...extra });
    const data = msg.data && typeof msg.data === "object" ? msg.data : {};
    if (msg.action === "open_url") {
      let url;
      try { url = new URL(String(data.url)); } catch { url = null; }
      if (!url || (url.protocol !== "https:" && url.protocol !== "http:")) {
        result(false, { error: { code: "VALIDATION_ERROR", message: "open_url takes an http(s) URL" } });
        return;
      }
      if (!window.confirm(`${entry.name} wants to open ${url.href}`)) { result(false, { error: { code: "CANCELLED", message: "The user said no" } }); return; }
      window.open(url.href, "_blank", "noopener,noreferrer");
      result(true);
      return;
    }
    if (msg.action !== "add_note" && msg.action !== "set_status") {
      result(false, { error: { code: "VALIDATION_ERROR", message: "Unknown action" } });
      return;
    }
    try {
      const r = await call("POST", "/api/v1/widgets/actions", { plugin_id: entry.widget.plugin_id, location,
        resource_id: Number(resourceId), action: msg.action,
        data: msg.action === "add_note" ? { text: String(data.text ?? "") } : { status: String(data.status ?? "") } });
      result(true, { data: r.data });
    } catch (err) {
      result(false, { error: { code: err.code || "ERROR", message: err.message } });
    }
  }

  return {
    node,
    destroy() {
      gone = true;
      window.removeEventListener("message", onMessage);
      frames.clear();
    },
  };
}
