// Settings → Appliance → Chain of shops: where this appliance mirrors its
// event log (a NATS JetStream server), and how far the mirror has come. The
// settings belong to the appliance, not to a mode, so this section always
// speaks to the live side. Only the owner, in person, changes them: whoever
// receives the events reads every record of the shop. The address's
// password or token shows as ***, the creds file only as "set"; both are
// write-only. When serve's --nats-url flags set the chain, the form is
// read-only. The status refreshes every 2 s while the page is visible.

import { el, field, showErrors, busy, reconcile } from "../lib/dom.js";
import { call } from "../lib/api.js";
import { ago, fullTime } from "../lib/format.js";

const live = { mode: "live" };
const PATH = "/api/v1/appliance/chain";
const EVERY = 2000;

const states = {
  off: ["Off", "Nothing leaves the appliance."],
  connecting: ["Connecting", "Reaching the NATS server…"],
  connected: ["Connected", "Events are sent as they happen."],
  disconnected: ["Disconnected", "The shop works as usual; events wait here and are sent in order when the server is back."],
};

// seconds in words: "0 s", "42 s", "3 min 5 s", "2 h 10 min".
export function duration(s) {
  s = Math.round(s || 0);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ""}`;
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
  if (h < 48) return `${h} h${m ? ` ${m} min` : ""}`;
  return `${Math.floor(h / 24)} days ${h % 24} h`;
}

const count = (n, one, many) => `${n.toLocaleString()} ${n === 1 ? one : many}`;

export async function chainSection(ctx) {
  let view = (await call("GET", PATH, undefined, live)).data;
  const input = (name, attrs = {}) => el("input", { name, autocomplete: "off", spellcheck: "false", ...attrs });
  const inputs = {
    nats_url: input("nats_url", { inputmode: "url", placeholder: "nats://leaf.local:4222" }),
    stream: input("stream", { placeholder: "PORTAL" }),
    shop: input("shop"),
    include_test: el("input", { name: "include_test", type: "checkbox" }),
    creds: el("textarea", { name: "creds", rows: 4, autocomplete: "off", spellcheck: "false", class: "mono",
      placeholder: "-----BEGIN NATS USER JWT-----\n…\n-----BEGIN USER NKEY SEED-----\n…" }),
  };
  const credsFile = el("input", { type: "file", accept: ".creds,text/plain", class: "chain-file" });
  const credsLoad = el("label", { class: "chain-load" }, el("span", { text: "Or load the file: " }), credsFile);
  const credsState = el("p", { class: "muted chain-creds-state" });
  const removeCreds = el("button", { type: "button", class: "secondary", text: "Remove credentials" });
  const submit = el("button", { type: "submit", text: "Save chain settings" });
  const turnOff = el("button", { type: "button", class: "secondary danger", text: "Turn off" });
  const saved = el("span", { class: "muted", role: "status" });
  const error = el("p", { class: "error", role: "alert" });
  const flagsNote = el("p", { class: "notice chain-flags" });
  const ownerNote = el("p", { class: "muted" });
  const shopField = field("Shop id", inputs.shop, " ");
  const shopHint = shopField.querySelector(".hint");
  let dirty = false; // typed into since the last fill: the tick must not overwrite it

  const form = el("form", { class: "stack form-wide", novalidate: true, "aria-label": "Chain of shops settings" },
    flagsNote,
    el("div", { class: "row" },
      field("NATS server", inputs.nats_url, "nats://, tls://, ws:// or wss://; several separated by commas. A password or token in it is kept encrypted and shown as ***"),
      field("Stream", inputs.stream, "Made if missing: subjects portal.>, file storage, a 2-minute duplicate window")),
    el("div", { class: "row" },
      shopField,
      el("div", { class: "field chain-check" },
        el("label", {}, inputs.include_test, " Send test-mode events too"),
        el("p", { class: "hint", text: "To portal.<shop id>.test.…; off, test data never leaves the appliance" }))),
    el("div", { class: "field" },
      el("label", { for: "chain-creds", text: "Credentials (.creds file)" }),
      credsState,
      Object.assign(inputs.creds, { id: "chain-creds" }),
      el("p", { class: "field-error", id: "chain-creds-error", role: "alert" }),
      el("div", { class: "actions" }, credsLoad, removeCreds)),
    error,
    el("div", { class: "actions" }, submit, turnOff, saved),
    ownerNote);
  inputs.creds.setAttribute("aria-describedby", "chain-creds-error");
  form.addEventListener("input", () => { dirty = true; });

  const canWrite = () => ctx.isOwner && view.source === "console";
  const fill = () => {
    const s = view.settings;
    for (const n of ["nats_url", "stream", "shop"]) inputs[n].value = n === "shop" && s.shop_default ? "" : s[n] ?? "";
    inputs.include_test.checked = !!s.include_test;
    inputs.creds.value = "";
    inputs.shop.placeholder = s.shop_default ? s.shop : "";
    shopHint.textContent = `The subject token naming this shop: portal.${s.shop}.ticket.created. Empty: this appliance's own id, which a restored backup keeps`;
    const ro = !canWrite();
    for (const c of [...Object.values(inputs), credsFile]) c.disabled = ro;
    submit.hidden = credsLoad.hidden = inputs.creds.hidden = ro;
    turnOff.hidden = ro || !s.nats_url;
    removeCreds.hidden = ro || !s.creds_set;
    credsState.textContent = s.creds_set
      ? (view.source === "flags" ? "Read from the file --nats-creds names." : "Set, and kept encrypted. Paste or load a new file only to replace them.")
      : "None: for a server that asks for no credentials, such as a leaf node on this network.";
    flagsNote.hidden = view.source !== "flags";
    flagsNote.textContent = "Set by the command that starts Portal (--nats-url and the flags beside it): change it there. Saved settings here are ignored while it is.";
    ownerNote.textContent = view.source === "flags" ? ""
      : ctx.isOwner ? "Only you, the owner, can change where the events go: whoever receives them reads every record of the shop. Another server without new credentials drops the saved ones."
        : "Only the owner can change these.";
    dirty = false;
  };

  // The status: the connection, then one block per store.
  const stateWord = el("strong", { class: "chain-state" });
  const stateText = el("span", { class: "muted" });
  const target = el("p", { class: "muted small wrap" });
  const lastError = el("p", { class: "chain-error" });
  // The publisher retries by itself, waiting longer each time (up to 15 s):
  // whoever just brought the hub back need not wait for it.
  const retry = el("button", { type: "button", class: "secondary", text: "Try now" });
  const stores = el("div", { class: "chain-stores" });
  const blocks = new Map(); // store name → { node, dd: {…} }
  const block = (name) => {
    let b = blocks.get(name);
    if (b) return b;
    const dd = { waiting: el("dd", { class: "num" }), oldest: el("dd", { class: "num" }), through: el("dd", { class: "num" }), last: el("dd") };
    const node = el("section", { class: "chain-store", "aria-label": name === "test" ? "Test-mode events" : "Live events" },
      el("h3", { text: name === "test" ? "Test-mode events" : "Live events" }),
      el("dl", {},
        el("div", {}, el("dt", { text: "Waiting to send" }), dd.waiting),
        el("div", {}, el("dt", { text: "Oldest waiting" }), dd.oldest),
        el("div", {}, el("dt", { text: "Sent through" }), dd.through),
        el("div", {}, el("dt", { text: "Last sent" }), dd.last)));
    b = { node, dd };
    blocks.set(name, b);
    return b;
  };
  // set changes a text only when it differs: the state line is a live
  // region, announced when the connection changes, not every 2 s.
  const set = (node, text) => { if (node.textContent !== text) node.textContent = text; };
  const showStatus = () => {
    const st = view.status;
    const [word, text] = states[st.state] || [st.state, ""];
    set(stateWord, word);
    stateWord.dataset.state = st.state;
    set(stateText, ` ${text}`);
    set(target, st.state === "off" ? "" : `To ${st.url}, stream ${st.stream}, subjects portal.${st.shop}.…`);
    set(lastError, st.error ? `Last error${st.error_at ? ` (${ago(st.error_at)})` : ""}: ${st.error}` : "");
    retry.hidden = st.state !== "disconnected" || !canWrite();
    lastError.title = st.error_at ? fullTime(st.error_at) : "";
    const nodes = (st.stores || []).map((s) => {
      const b = block(s.store);
      set(b.dd.waiting, count(s.lag_events, "event", "events"));
      set(b.dd.oldest, s.lag_events ? duration(s.lag_seconds) : "—");
      set(b.dd.through, s.last_event ? `#${s.published_through.toLocaleString()} of ${s.last_event.toLocaleString()}` : "No events yet");
      set(b.dd.last, s.last_published_at ? ago(s.last_published_at) : "Nothing yet");
      b.dd.last.title = s.last_published_at ? fullTime(s.last_published_at) : "";
      return b.node;
    });
    reconcile(stores, nodes);
  };
  const status = el("div", { class: "chain-status", "aria-label": "Chain status" },
    el("p", { class: "chain-head", role: "status" }, stateWord, stateText), target, lastError, el("p", {}, retry), stores);

  const show = (v, refill) => {
    view = v;
    showStatus();
    if (refill) fill();
  };
  show(view, true);

  // Every 2 s while visible: the status, and the settings unless being typed into.
  let seq = 0;
  const refresh = async () => {
    const mine = ++seq;
    try {
      const v = (await call("GET", PATH, undefined, live)).data;
      if (mine === seq) show(v, !dirty && !form.contains(document.activeElement));
    } catch { /* the console's own banner says when Portal is out of reach */ }
  };
  const tick = setInterval(() => { if (!document.hidden) refresh(); }, EVERY);
  const onVisible = () => { if (!document.hidden) refresh(); };
  document.addEventListener("visibilitychange", onVisible);

  const save = (patch, button) => busy(button, async () => {
    error.textContent = "";
    saved.textContent = "";
    showErrors(form, {});
    if (!Object.keys(patch).length) { saved.textContent = "Nothing changed."; return; }
    try {
      seq++; // a tick in flight must not show the old settings
      show((await call("PATCH", PATH, patch, live)).data, true);
      saved.textContent = "Saved.";
    } catch (err) {
      if (!showErrors(form, err)) error.textContent = err.message;
    }
  });
  retry.addEventListener("click", () => busy(retry, async () => {
    try {
      seq++;
      show((await call("PATCH", PATH, {}, live)).data, false); // the same settings again: connect now
    } catch (err) {
      error.textContent = err.message;
    }
  }));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const s = view.settings, patch = {};
    const url = inputs.nats_url.value.trim();
    if (url !== (s.nats_url || "")) patch.nats_url = url;
    const stream = inputs.stream.value.trim();
    if ((stream || "PORTAL") !== s.stream) patch.stream = stream;
    const shop = inputs.shop.value.trim();
    if (shop !== (s.shop_default ? "" : s.shop)) patch.shop = shop;
    if (inputs.include_test.checked !== !!s.include_test) patch.include_test = inputs.include_test.checked;
    if (inputs.creds.value.trim()) patch.creds = inputs.creds.value;
    save(patch, submit);
  });
  turnOff.addEventListener("click", () => {
    // Off, the log no longer waits for the hub: what the shop's event
    // retention drops meanwhile never reaches head office.
    if (!confirm("Stop sending this shop's events to the chain? Events from now until you turn it on again are sent then, unless they are older than the shop keeps its event log.")) return;
    save({ nats_url: "" }, turnOff);
  });
  removeCreds.addEventListener("click", () => save({ creds: "" }, removeCreds));
  credsFile.addEventListener("change", async () => {
    const f = credsFile.files[0];
    if (!f) return;
    if (f.size > 16384) { showErrors(form, { details: [{ field: "creds", message: "A .creds file is a few kilobytes; this one is too large" }] }); return; }
    inputs.creds.value = await f.text();
    credsFile.value = "";
    dirty = true;
  });

  return {
    node: el("section", { class: "card-flat chain", "aria-labelledby": "chain-head" },
      el("h2", { id: "chain-head", text: "Chain of shops" }),
      el("p", {}, "Mirror this shop's event log — every ticket, customer, payment and change — into a NATS JetStream server, where head office or any program reads every branch's events in order, each once. ",
        "The usual setup is a leaf node on this network, which keeps the events while the internet is down and forwards them to the hub."),
      status, form),
    destroy() { clearInterval(tick); seq++; document.removeEventListener("visibilitychange", onVisible); },
  };
}
