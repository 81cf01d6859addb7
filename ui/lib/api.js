// Talking to the appliance. The console uses the same /api/v1 as
// integrations, authenticated by its session cookie; Portal-Mode picks the
// store of the mode in the page's URL (see mode.js).

import { mode } from "./mode.js";

export { mode };

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message || `The request failed (HTTP ${status})`);
    this.status = status;
    this.code = body?.error?.code || "";
    this.details = body?.error?.details || [];
  }
}

// opts.mode overrides the tab's mode: for system records that have no test
// counterpart (API keys; the server refuses them in test mode), and to ask
// the other mode whether it holds a record this one does not.
export async function call(method, path, body, opts = {}) {
  const headers = { "Portal-Mode": opts.mode || mode() };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let res;
  try {
    res = await fetch(path, {
      method, headers, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, { error: { message: "Portal cannot be reached. Check that it is running, then try again." } });
  }
  const env = await res.json().catch(() => ({}));
  if (!res.ok) {
    const err = new ApiError(res.status, env);
    if (res.status === 401 && !path.startsWith("/auth/")) window.dispatchEvent(new CustomEvent("portal:signed-out"));
    throw err;
  }
  return env;
}

export const get = (path) => call("GET", path);

// dataURL fetches a file (an image) in the tab's mode and returns it as a
// data: URL, which the console's CSP allows for images: an <img src> cannot
// send the Portal-Mode header.
export async function dataURL(path) {
  const res = await fetch(path, { headers: { "Portal-Mode": mode() }, credentials: "same-origin" });
  if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => ({})));
  const blob = await res.blob();
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(r.result);
    r.onerror = () => reject(r.error);
    r.readAsDataURL(blob);
  });
}

// query builds "?a=1&b=2" from the set values of params.
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== "" && v !== null && v !== undefined) q.set(k, v);
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

// listSorts is what a list can be sorted by ([{name, label, desc}]), as the
// API describes it (the store declares each resource's sorts once; the
// console keeps no copy). The document is read once per page load.
let described;
export async function listSorts(path) {
  described ??= fetch("/api/v1/openapi.json").then((r) => r.json());
  const params = (await described).paths?.[path]?.get?.parameters || [];
  return params.find((p) => p.name === "sort")?.["x-sorts"] || [];
}
