// The console's first screens: owner setup, sign-in, and the shop at a glance.
// Everything user-provided reaches the page through textContent, never HTML.

const app = document.getElementById("app");

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

async function call(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: body ? { "Content-Type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
    credentials: "same-origin",
  });
  const env = await res.json().catch(() => ({}));
  if (!res.ok) {
    const err = new Error(env.error?.message || `Request failed (${res.status})`);
    err.details = env.error?.details || [];
    throw err;
  }
  return env;
}

function form(title, fields, submitLabel, onSubmit, intro) {
  const error = el("p", { class: "error", role: "alert" });
  const inputs = {};
  const f = el("form", { class: "card", novalidate: "" }, el("h1", { text: title }));
  if (intro) f.append(el("p", { class: "muted", text: intro }));
  for (const [name, label, type, autocomplete] of fields) {
    const id = `f-${name}`;
    inputs[name] = el("input", { id, name, type, autocomplete, required: "" });
    f.append(el("label", { for: id, text: label }), inputs[name]);
  }
  const button = el("button", { type: "submit", text: submitLabel });
  f.append(error, button);
  f.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.textContent = "";
    button.disabled = true;
    const values = Object.fromEntries(Object.entries(inputs).map(([k, i]) => [k, i.value]));
    try {
      await onSubmit(values);
    } catch (err) {
      const fieldErr = err.details?.[0];
      error.textContent = fieldErr ? `${fieldErr.field}: ${fieldErr.message}` : err.message;
      if (fieldErr && inputs[fieldErr.field]) inputs[fieldErr.field].focus();
    } finally {
      button.disabled = false;
    }
  });
  app.replaceChildren(f);
  Object.values(inputs)[0]?.focus();
}

function showSetup(token) {
  form("Set up your shop", [
    ["name", "Your name", "text", "name"],
    ["email", "Email", "email", "email"],
    ["password", "Password (at least 10 characters)", "password", "new-password"],
  ], "Create owner account", async (v) => {
    await call("POST", "/auth/setup", { token, ...v });
    history.replaceState(null, "", "/");
    await route();
  }, "You are the shop's owner. Choose how you will sign in.");
}

function showInvite(token) {
  form("Join the shop", [
    ["password", "Choose a password (at least 10 characters)", "password", "new-password"],
  ], "Set password and sign in", async (v) => {
    await call("POST", "/auth/accept-invite", { token, ...v });
    history.replaceState(null, "", "/");
    await route();
  }, "You were invited to the shop's Portal. Choose the password you will sign in with.");
}

function showSignIn() {
  form("Sign in to Portal", [
    ["email", "Email", "email", "username"],
    ["password", "Password", "password", "current-password"],
  ], "Sign in", async (v) => {
    await call("POST", "/auth/signin", v);
    await route();
  });
}

async function showShop(session) {
  const [shop, statuses, recent] = await Promise.all([
    call("GET", "/api/v1/store"),
    call("GET", "/api/v1/store/statuses"),
    call("GET", "/api/v1/tickets?per_page=20&sort=updated_at"),
  ]);
  const counts = await Promise.all(statuses.data.map((s) =>
    call("GET", `/api/v1/tickets?per_page=1&status=${encodeURIComponent(s.name)}`).then((r) => [s.name, r.meta.total])));

  const signOut = el("button", { class: "quiet", type: "button", text: "Sign out", onclick: async () => {
    await call("POST", "/auth/signout");
    await route();
  } });
  const list = el("ul", { class: "counts", "aria-label": "Tickets by status" },
    ...counts.map(([name, n]) => el("li", {}, `${name} `, el("strong", { class: "num", text: String(n) }))));
  const body = el("tbody");
  for (const t of recent.data) {
    body.append(el("tr", {},
      el("td", { class: "num", text: String(t.number) }),
      el("td", { text: [t.device?.brand, t.device?.model].filter(Boolean).join(" ") }),
      el("td", { text: t.issue }),
      el("td", { text: t.status }),
      el("td", { class: "num", text: t.totals?.balance ?? "" })));
  }
  const table = recent.data.length
    ? el("table", {}, el("thead", {}, el("tr", {}, ...["#", "Device", "Issue", "Status", "Balance"].map((h) => el("th", { scope: "col", text: h })))), body)
    : el("p", { class: "muted", text: "No tickets yet — create one through the API: POST /api/v1/tickets." });

  app.replaceChildren(
    el("header", {}, el("h1", { text: shop.data.name }), el("span", { class: "muted" }, `${session.user.name} · `, signOut)),
    el("h2", { text: "Tickets by status" }), list,
    el("h2", { text: "Recently updated" }), table);
}

async function route() {
  const token = new URLSearchParams(location.hash.slice(1)).get("token");
  if (location.pathname === "/setup" && token) return showSetup(token);
  if (location.pathname === "/invite" && token) return showInvite(token);
  try {
    const session = await call("GET", "/auth/session");
    return showShop(session.data);
  } catch {
    return showSignIn();
  }
}

route();
