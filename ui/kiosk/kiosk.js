// The visitor kiosk (/kiosk): a touch screen in the lobby that visitors use
// themselves. One question per screen, big targets, no chrome. It talks only
// to /api/v1/kiosk/*, with the HttpOnly cookie that pairing set; it holds no
// key and no staff session. Every screen is built afresh from nothing, so a
// reset (60 s idle, or a few seconds after a finish) leaves nothing personal
// on screen: no typed text, no names, no badge.

import { el, debounce } from "../lib/dom.js";

const root = document.getElementById("kiosk");
// /kiosk?idle=30 shortens the idle reset (2 to 600 s); ?autoprint prints
// the badge at once (for Chrome started with --kiosk-printing, which prints
// without asking).
const params = new URLSearchParams(location.search);
const idleSeconds = Number(params.get("idle"));
const IDLE_MS = idleSeconds >= 2 && idleSeconds <= 600 ? idleSeconds * 1000 : 60_000; // back to the welcome screen
const FINISH_S = 10; // seconds a "checked in" or "goodbye" screen stays
const POLL_MS = 15_000; // the welcome screen asks after evacuations and revocation
const autoprint = params.has("autoprint");

class KioskError extends Error {
  constructor(status, body) {
    super(body?.error?.message || `Something went wrong (HTTP ${status})`);
    this.status = status;
    this.details = body?.error?.details || [];
  }
}

let session = null; // what the welcome screen shows: shop, location, timezone, evacuation
let screen = ""; // the screen's name, for the tests and the idle timer
let timers = []; // cleared at every screen change
let cleanups = []; // run at every screen change
let idleTimer = 0;
let camera = null; // the scanner's stream, stopped at every screen change

// api calls a kiosk route; a 401 means this screen is no longer a kiosk.
async function api(method, path, body) {
  let res;
  try {
    res = await fetch(`/api/v1/kiosk${path}`, {
      method, credentials: "same-origin",
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new KioskError(0, { error: { message: "This kiosk cannot reach Portal right now. Please ask at the desk." } });
  }
  const env = await res.json().catch(() => ({}));
  if (!res.ok) {
    const err = new KioskError(res.status, env);
    if (res.status === 401 && path !== "/pair") {
      // Paired a moment ago (revoked since), or never paired at all.
      const was = session;
      session = null;
      showPair(was ? "This screen is no longer paired as a kiosk. Ask the owner for a new pairing code." : "");
    }
    throw err;
  }
  return env.data;
}

// message says what went wrong in a visitor's words.
function message(err) {
  const msg = err.message.replace(/^Invalid \w+: /, "");
  switch (err.status) {
    case 429: return "Too many tries. Please wait a minute, or ask at the desk.";
    case 409: return msg;
    default: return msg.charAt(0).toUpperCase() + msg.slice(1);
  }
}

// show puts a screen up: timers, camera and the old screen go; focus moves
// to the new screen's heading (or its first field), as a screen reader expects.
function show(name, ...children) {
  for (const t of timers) clearTimeout(t), clearInterval(t);
  for (const fn of cleanups) fn();
  timers = [];
  cleanups = [];
  stopCamera();
  screen = name;
  root.dataset.screen = name;
  root.replaceChildren(...children);
  const first = root.querySelector("[data-autofocus]") || root.querySelector("h1");
  if (first) {
    if (first.tagName === "H1") first.tabIndex = -1;
    first.focus({ preventScroll: true });
  }
  armIdle();
}

// The idle timer runs on every screen a visitor is using.
function armIdle() {
  clearTimeout(idleTimer);
  if (["welcome", "pair", "evacuation", "loading"].includes(screen)) return;
  idleTimer = setTimeout(() => showWelcome(), IDLE_MS);
}
for (const type of ["pointerdown", "keydown", "input"]) {
  window.addEventListener(type, armIdle, { capture: true, passive: true });
}

const later = (fn, ms) => timers.push(setTimeout(fn, ms));
const every = (fn, ms) => timers.push(setInterval(fn, ms));

function heading(text, lead) {
  return [el("h1", { class: "k-title", text }), lead ? el("p", { class: "k-lead", text: lead }) : null];
}

function button(text, onclick, cls = "k-secondary", attrs = {}) {
  return el("button", { type: "button", class: cls, onclick, ...attrs, text });
}

const back = () => button("Back", () => showWelcome(), "k-secondary", { "data-action": "back" });

// ——— Pairing ———

function showPair(notice = "") {
  const input = el("input", { id: "pair-code", name: "code", class: "k-input k-code", autocomplete: "off", autocapitalize: "characters",
    spellcheck: "false", maxlength: "12", placeholder: "XXXX-XXXX", "aria-describedby": "pair-error", "data-autofocus": "" });
  const error = el("p", { id: "pair-error", class: "k-error", role: "alert", text: notice });
  const submit = el("button", { type: "submit", class: "k-primary", text: "Pair this screen" });
  const form = el("form", { class: "k-form", novalidate: "" },
    el("label", { class: "k-label", for: "pair-code", text: "Pairing code" }), input, error, el("div", { class: "k-actions" }, submit));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    submit.disabled = true;
    try {
      session = await api("POST", "/pair", { code: input.value });
      showWelcome();
    } catch (err) {
      error.textContent = message(err);
      input.setAttribute("aria-invalid", "true");
      input.select();
    } finally {
      submit.disabled = false;
    }
  });
  show("pair", el("div", { class: "k-screen k-narrow" },
    ...heading("Set up this kiosk", "Enter the pairing code the shop's owner created for this kiosk. It is used once; this screen then stays paired."),
    form));
}

// ——— Welcome ———

function clockParts(tz) {
  const now = new Date();
  const opts = (o) => { try { return new Intl.DateTimeFormat(undefined, { ...o, timeZone: tz }); } catch { return new Intl.DateTimeFormat(undefined, o); } };
  return [opts({ hour: "2-digit", minute: "2-digit" }).format(now), opts({ weekday: "long", day: "numeric", month: "long" }).format(now)];
}

async function refreshSession() {
  try {
    session = await api("GET", "/session");
  } catch (err) {
    if (err.status === 401) return false;
    throw err;
  }
  return true;
}

async function showWelcome() {
  if (!session) {
    show("loading", el("p", { class: "k-lead", text: "Loading…" }));
    try {
      if (!(await refreshSession())) return;
    } catch (err) {
      show("offline", el("div", { class: "k-screen" }, ...heading("This kiosk is resting", message(err))));
      later(() => showWelcome(), POLL_MS);
      return;
    }
  }
  if (session.evacuation) return showEvacuation();
  const time = el("span", { class: "k-time num" });
  const date = el("span", { class: "k-date" });
  const tick = () => { [time.textContent, date.textContent] = clockParts(session.timezone); };
  tick();
  const choice = (title, hint, action, go) => el("button", { type: "button", class: "k-choice", "data-action": action, onclick: go },
    el("span", { class: "k-choice-title", text: title }), el("span", { class: "k-choice-hint", text: hint }));
  show("welcome", el("div", { class: "k-screen k-welcome" },
    el("header", { class: "k-head" },
      el("p", { class: "k-shop", text: session.shop }),
      el("p", { class: "k-clock", "aria-label": "Time" }, time, date)),
    el("h1", { class: "k-title", text: `Welcome to ${session.location}` }),
    el("p", { class: "k-lead", text: "Please sign in. Choose one:" }),
    el("div", { class: "k-choices" },
      choice("I have a code", "From your invitation", "code", () => showCode("in")),
      choice("I'm visiting", "Sign in without a code", "visit", () => showWalkIn()),
      choice("I'm leaving", "Sign out with your badge", "leave", () => showCode("out")))));
  every(tick, 5_000);
  every(async () => {
    if (screen !== "welcome") return;
    try {
      if ((await refreshSession()) && session.evacuation) showEvacuation();
    } catch { /* offline for a moment: the next poll tries again */ }
  }, POLL_MS);
}

function showEvacuation() {
  show("evacuation", el("div", { class: "k-screen k-evacuation", role: "alert" },
    el("h1", { class: "k-title", text: "Evacuation in progress" }),
    el("p", { class: "k-lead", text: "Please leave by the nearest exit." })));
  every(async () => {
    try {
      if ((await refreshSession()) && !session.evacuation) showWelcome();
    } catch { /* keep showing it */ }
  }, POLL_MS);
}

// After a refused check-in: an evacuation may have started since the welcome.
async function afterConflict(err) {
  if (err.status !== 409) return false;
  try {
    if ((await refreshSession()) && session.evacuation) {
      showEvacuation();
      return true;
    }
  } catch { /* say what the server said */ }
  return false;
}

// ——— Codes: "I have a code" and "I'm leaving" ———

async function canScan() {
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices?.getUserMedia) return false;
  try {
    return (await window.BarcodeDetector.getSupportedFormats()).includes("qr_code");
  } catch {
    return false;
  }
}

function stopCamera() {
  if (camera) {
    for (const t of camera.getTracks()) t.stop();
    camera = null;
  }
}

function showCode(direction) {
  const arriving = direction === "in";
  const input = el("input", { id: "visit-code", name: "code", class: "k-input k-code", autocomplete: "off", autocapitalize: "characters",
    spellcheck: "false", maxlength: "8", "aria-describedby": "code-error", "data-autofocus": "" });
  const error = el("p", { id: "code-error", class: "k-error", role: "alert" });
  const submit = el("button", { type: "submit", class: "k-primary", text: arriving ? "Check in" : "Check out" });
  const scan = button(arriving ? "Scan the QR code" : "Scan your badge", () => startScan(), "k-secondary", { hidden: true, "data-action": "scan" });
  const video = el("video", { class: "k-video", muted: "", playsinline: "", "aria-hidden": "true" });
  const scanner = el("div", { class: "k-scanner", hidden: true },
    video, el("p", { class: "k-lead", text: arriving ? "Hold the QR code from your invitation up to the camera." : "Hold your badge's QR code up to the camera." }),
    button("Stop scanning", () => stopScan()));
  const form = el("form", { class: "k-form", novalidate: "" },
    el("label", { class: "k-label", for: "visit-code", text: arriving ? "Your code" : "Your badge code" }),
    input, error, el("div", { class: "k-actions" }, submit, scan, back()));

  let scanning = false;
  async function startScan() {
    try {
      camera = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "user" }, audio: false });
    } catch {
      error.textContent = "The camera is not available. Please type the code instead.";
      return;
    }
    video.srcObject = camera;
    await video.play().catch(() => {});
    scanner.hidden = false;
    form.hidden = true;
    scanning = true;
    const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    const look = async () => {
      if (!scanning || !camera) return;
      try {
        const found = await detector.detect(video);
        if (found.length && found[0].rawValue) {
          input.value = found[0].rawValue.trim().slice(0, 8);
          stopScan();
          form.requestSubmit();
          return;
        }
      } catch { /* a frame that could not be read: try the next */ }
      later(look, 250);
    };
    look();
  }
  function stopScan() {
    scanning = false;
    stopCamera();
    scanner.hidden = true;
    form.hidden = false;
    input.focus();
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    submit.disabled = true;
    try {
      const visit = await api("POST", arriving ? "/check-in" : "/check-out", { code: input.value });
      if (arriving) showBadge(visit);
      else showGoodbye(visit);
    } catch (err) {
      if (err.status === 401 || (await afterConflict(err))) return;
      error.textContent = message(err);
      input.setAttribute("aria-invalid", "true");
      input.focus();
      input.select();
    } finally {
      submit.disabled = false;
    }
  });
  show(arriving ? "code" : "leave", el("div", { class: "k-screen k-narrow" },
    ...heading(arriving ? "Enter your code" : "Leaving? Sign out here",
      arriving ? "It has 6 letters and numbers, on your invitation." : "Type the 6-character code on your badge, or scan its QR code."),
    form, scanner));
  canScan().then((yes) => { scan.hidden = !yes; });
}

// ——— "I'm visiting": one question per screen ———

function showWalkIn() {
  const visit = { name: "", company: "", host: null };
  const steps = ["name", "company", "host"];

  function step(i, notice = "") {
    const which = steps[i];
    const error = el("p", { id: "walk-error", class: "k-error", role: "alert", text: notice });
    const next = el("button", { type: "submit", class: "k-primary", text: i === steps.length - 1 ? "Check in" : "Next" });
    const prev = button("Back", () => (i === 0 ? showWelcome() : step(i - 1)), "k-secondary", { "data-action": "back" });
    let body;
    let valid = () => true;
    if (which === "host") {
      body = hostPicker(visit, error, next);
      valid = () => {
        if (visit.host) return true;
        error.textContent = "Choose who you are visiting from the list (type at least 2 letters of their name).";
        return false;
      };
    } else {
      const input = el("input", { id: `walk-${which}`, name: which, class: "k-input", autocomplete: "off", spellcheck: "false",
        autocapitalize: "words", maxlength: "120", value: visit[which], "aria-describedby": "walk-error", "data-autofocus": "" });
      input.value = visit[which];
      input.addEventListener("input", () => { visit[which] = input.value; });
      body = [el("label", { class: "k-label", for: input.id, text: which === "name" ? "Your full name" : "Your company" }), input];
      valid = () => {
        if (input.value.trim()) return true;
        error.textContent = which === "name" ? "Please type your name." : "Please type your company (or “Private”).";
        input.setAttribute("aria-invalid", "true");
        input.focus();
        return false;
      };
    }
    const form = el("form", { class: "k-form", novalidate: "" }, body, error, el("div", { class: "k-actions" }, next, prev));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      if (!valid()) return;
      if (i < steps.length - 1) return step(i + 1);
      next.disabled = true;
      try {
        showBadge(await api("POST", "/walk-in", { name: visit.name.trim(), company: visit.company.trim(), host_id: visit.host.id }));
      } catch (err) {
        if (err.status === 401 || (await afterConflict(err))) return;
        const field = err.details[0]?.field;
        const at = { name: 0, company: 1, host_id: 2 }[field];
        if (at !== undefined && at !== i) return step(at, message(err));
        error.textContent = message(err);
      } finally {
        next.disabled = false;
      }
    });
    const titles = { name: "What's your name?", company: "Which company are you with?", host: "Who are you visiting?" };
    const leads = { name: "As it should appear on your badge.", company: "Visiting on your own account? Type “Private”.",
      host: "Type the first letters of their name, then choose them." };
    show("visit", el("div", { class: "k-screen k-narrow", "data-step": which },
      el("p", { class: "k-step", text: `Step ${i + 1} of ${steps.length}` }),
      ...heading(titles[which], leads[which]), form));
  }
  step(0);
}

// hostPicker: typing suggests matching hosts (never the whole staff).
function hostPicker(visit, error, next) {
  const input = el("input", { id: "walk-host", name: "host_id", class: "k-input", autocomplete: "off", spellcheck: "false",
    role: "combobox", "aria-autocomplete": "list", "aria-controls": "host-list", "aria-expanded": "false",
    "aria-describedby": "walk-error", "data-autofocus": "", value: visit.host?.name || "" });
  const list = el("ul", { id: "host-list", class: "k-hosts", role: "listbox", "aria-label": "People you can visit" });
  const status = el("p", { class: "k-hint", role: "status" });
  const chosen = el("p", { class: "k-chosen", "aria-live": "polite" });
  const render = (hosts) => {
    list.replaceChildren(...hosts.map((h) => el("li", { role: "none" },
      el("button", { type: "button", class: "k-host", role: "option", "aria-selected": String(visit.host?.id === h.id), "data-host": String(h.id),
        onclick: () => choose(h), text: h.name }))));
    input.setAttribute("aria-expanded", String(hosts.length > 0));
  };
  const choose = (h) => {
    visit.host = h;
    input.value = h.name;
    error.textContent = "";
    chosen.textContent = `Visiting ${h.name}`;
    render([h]);
    status.textContent = "";
    next.focus();
  };
  let asked = 0;
  const lookup = debounce(async () => {
    const q = input.value.trim();
    const n = ++asked;
    if (q.length < 2) {
      render([]);
      status.textContent = q ? "Keep typing…" : "";
      return;
    }
    try {
      const hosts = await api("GET", `/hosts?q=${encodeURIComponent(q)}`);
      if (n !== asked) return; // a later keystroke asked again
      render(hosts);
      status.textContent = hosts.length ? `${hosts.length} ${hosts.length === 1 ? "person" : "people"} found — choose one.`
        : "Nobody by that name. Check the spelling, or ask at the desk.";
    } catch (err) {
      if (err.status !== 401) status.textContent = message(err);
    }
  }, 200);
  input.addEventListener("input", () => {
    visit.host = null;
    chosen.textContent = "";
    lookup();
  });
  if (visit.host) {
    chosen.textContent = `Visiting ${visit.host.name}`;
    render([visit.host]);
  }
  return [el("label", { class: "k-label", for: "walk-host", text: "Their name" }), input, status, list, chosen];
}

// ——— Finishes ———

function badgeDate(badge) {
  try {
    return new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "short", year: "numeric", timeZone: badge.timezone })
      .format(new Date(badge.checked_in_at));
  } catch {
    return badge.date;
  }
}

// countdown is the line that counts a finish down; start it once the screen
// is up (show clears the timers of the screen before).
function countdown(label) {
  const left = el("span", { class: "num", text: String(FINISH_S) });
  const line = el("p", { class: "k-hint k-countdown" }, `${label} `, left, " s");
  line.start = () => {
    let n = FINISH_S;
    const restart = () => { n = FINISH_S; left.textContent = String(n); };
    window.addEventListener("pointerdown", restart);
    window.addEventListener("keydown", restart);
    cleanups.push(() => {
      window.removeEventListener("pointerdown", restart);
      window.removeEventListener("keydown", restart);
    });
    every(() => {
      n -= 1;
      left.textContent = String(Math.max(n, 0));
      if (n <= 0) showWelcome();
    }, 1000);
  };
  return line;
}

function showBadge(visit) {
  const b = visit.badge;
  const count = countdown("Back to the start in");
  const badge = el("article", { class: "badge", "aria-label": "Your visitor badge" },
    el("p", { class: "badge-kind", text: "Visitor" }),
    el("p", { class: "badge-name", text: b.name }),
    b.company ? el("p", { class: "badge-company", text: b.company }) : null,
    el("dl", { class: "badge-facts" },
      el("dt", { text: "Visiting" }), el("dd", { text: b.host || "—" }),
      el("dt", { text: "Date" }), el("dd", { text: badgeDate(b) }),
      el("dt", { text: "Where" }), el("dd", { text: b.location })),
    el("figure", { class: "badge-qr" },
      el("img", { src: b.qr_png, alt: `QR code of badge code ${b.code}`, width: "112", height: "112" }),
      el("figcaption", {}, "Scan at the kiosk to leave · ", el("span", { class: "mono", text: b.code }))));
  const print = button("Print my badge", () => window.print(), "k-primary", { "data-action": "print" });
  show("checked-in", el("div", { class: "k-screen k-done" },
    el("h1", { class: "k-title", text: `You're checked in, ${visit.first_name}` }),
    el("p", { class: "k-lead", text: b.host ? `${b.host} is your host. Please take your badge and wear it while you are here.` : "Please take your badge and wear it while you are here." }),
    badge,
    el("div", { class: "k-actions no-print" }, print, button("Done", () => showWelcome(), "k-secondary", { "data-action": "done" })),
    count));
  count.start();
  if (autoprint) later(() => window.print(), 300);
}

function showGoodbye(visit) {
  const count = countdown("Back to the start in");
  show("goodbye", el("div", { class: "k-screen k-done" },
    el("h1", { class: "k-title", text: `Goodbye, ${visit.first_name}` }),
    el("p", { class: "k-lead", text: "You're checked out. Thank you for visiting — please leave your badge at the desk." }),
    el("div", { class: "k-actions" }, button("Done", () => showWelcome(), "k-primary", { "data-action": "done" })),
    count));
  count.start();
}

// The test drives the page by its screens' names.
Object.defineProperty(window, "kioskScreen", { get: () => screen });

showWelcome();
