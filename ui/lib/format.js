// Times in the shop's timezone, money in its currency.

let zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
let currency = "USD";

export function setShop(shop) {
  if (shop.timezone) {
    try {
      new Intl.DateTimeFormat(undefined, { timeZone: shop.timezone });
      zone = shop.timezone;
    } catch { /* an unknown zone keeps the browser's */ }
  }
  if (shop.currency) currency = shop.currency;
}

export function shopZone() { return zone; }

function fmt(opts) { return new Intl.DateTimeFormat(undefined, { timeZone: zone, ...opts }); }

// when is a short time: today's as "3:04 PM", this year's as "Mar 5, 3:04 PM".
export function when(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  const day = (x) => fmt({ year: "numeric", month: "numeric", day: "numeric" }).format(x);
  if (day(d) === day(new Date())) return fmt({ hour: "numeric", minute: "2-digit" }).format(d);
  const sameYear = fmt({ year: "numeric" }).format(d) === fmt({ year: "numeric" }).format(new Date());
  return fmt({ month: "short", day: "numeric", year: sameYear ? undefined : "numeric", hour: "numeric", minute: "2-digit" }).format(d);
}

// wallClock reads an instant as the shop's clock shows it, in UTC fields.
function wallClock(ms) {
  const parts = fmt({ year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" })
    .formatToParts(new Date(ms));
  const part = (type) => Number(parts.find((p) => p.type === type).value);
  return Date.UTC(part("year"), part("month") - 1, part("day"), part("hour"), part("minute"), part("second"));
}

// fromShopTime turns a datetime-local value ("2026-03-15T15:00"), meant as
// the shop's wall clock, into an ISO UTC time.
export function fromShopTime(local) {
  const [y, m, d, h, min] = local.split(/[-T:]/).map(Number);
  const guess = Date.UTC(y, m - 1, d, h, min);
  let ms = guess - (wallClock(guess) - guess);
  ms = guess - (wallClock(ms) - ms); // a second pass settles DST edges
  return new Date(ms).toISOString();
}

// toShopTime is fromShopTime's inverse, for filling a datetime-local input.
export function toShopTime(iso) {
  if (!iso) return "";
  return new Date(wallClock(new Date(iso).getTime())).toISOString().slice(0, 16);
}

// dateTime is a date and time for paper: "Nov 30, 2026, 3:04 PM".
export function dateTime(iso) {
  return iso ? fmt({ dateStyle: "medium", timeStyle: "short" }).format(new Date(iso)) : "";
}

export function fullTime(iso) {
  return iso ? fmt({ dateStyle: "medium", timeStyle: "long" }).format(new Date(iso)) : "";
}

// ago is "just now", "5 min ago", then the time itself.
export function ago(iso) {
  const s = (Date.now() - new Date(iso).getTime()) / 1000;
  if (s < 45) return "just now";
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  return when(iso);
}

export function money(n) {
  const v = Number(n ?? 0);
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(v);
  } catch {
    return v.toFixed(2);
  }
}

export function device(d) {
  return [d?.brand, d?.model].filter(Boolean).join(" ");
}

// statusClass gives a status a colour slot; the word is always shown too.
export function statusClass(name, statuses) {
  const s = statuses?.find((x) => x.name === name);
  if (s?.closed) return "st-closed";
  const n = name.toLowerCase();
  if (n === "new") return "st-new";
  if (n.startsWith("waiting")) return "st-waiting";
  if (n.startsWith("ready")) return "st-ready";
  return "st-progress";
}

// parseDecimal reads a number as people type it in a shop: "12.50",
// "12,50" (a decimal comma), "1,234.50", "1.234,50", "$ 12.50". A lone
// comma is the decimal point when at most places digits follow it; commas
// group thousands only when there are several ("1,234,567") or a point
// follows: "12,505" could be either, and a price a thousand times too high
// must not be guessed. What it cannot read it returns as typed (trimmed),
// for the form to explain.
export function parseDecimal(text, places = 2) {
  const typed = String(text ?? "").trim();
  let s = typed.replace(/[\s\u00a0\u202f']/g, "").replace(/^[^\d.,+-]+|[^\d.,]+$/g, "");
  if (s === "") return typed;
  const hasDot = s.includes("."), hasComma = s.includes(",");
  if (hasDot && hasComma) {
    const dec = s.lastIndexOf(".") > s.lastIndexOf(",") ? "." : ",";
    s = s.split(dec === "." ? "," : ".").join("").replace(dec, ".");
  } else if (hasComma) {
    const groups = s.split(",");
    if (groups.length === 2 && groups[1].length <= places) s = groups.join(".");
    else if (groups.length > 2 && groups.slice(1).every((g) => g.length === 3)) s = groups.join("");
    else return typed;
  }
  return /^[+-]?(\d+\.?\d*|\.\d+)$/.test(s) ? Number(s) : typed;
}
