// A proposal's money, in the browser, as the store computes it: amounts in
// whole cents, quantities in hundredths, the tax rate in thousandths of a
// percent, all integers (BigInt where a product could outgrow a double), so
// the summary shown while typing is the one the server answers on save.
//
//   line total = unit price × quantity, rounded half away from zero (mulRound)
//   tax        = the taxable lines' total × rate, rounded half away from zero (percentOf)
//   parts = part + product lines, labor = service lines, fees = fee lines

import { parseDecimal } from "../lib/format.js";

export const kinds = ["part", "product", "service", "fee"];
export const kindWords = { part: "Part", product: "Product", service: "Labour", fee: "Fee" };

const maxAmount = 999_999_999_99; // the store's MaxAmount, in cents

// fixed reads typed text (or a number from the API) as an integer count of
// 10^-places: "12.5" → 1250 with places 2. It answers null for what the
// server would refuse (not a number, more places than allowed).
export function fixed(text, places = 2) {
  const v = typeof text === "number" ? text : parseDecimal(text, places);
  if (typeof v !== "number" || !Number.isFinite(v)) return null;
  const s = String(Math.abs(v));
  if (/e/i.test(s)) return null;
  const [whole, frac = ""] = s.split(".");
  if (frac.length > places || whole.length > 15) return null;
  const n = Number(whole + frac.padEnd(places, "0"));
  return v < 0 ? -n : n;
}

// divRound divides a BigInt by a positive BigInt, rounding half away from zero.
function divRound(p, d) {
  const half = d / 2n;
  return Number(p >= 0n ? (p + half) / d : (p - half) / d);
}

// mulRound is a line's total: cents × hundredths, rounded.
export function mulRound(priceCents, qtyHundredths) {
  return divRound(BigInt(priceCents) * BigInt(qtyHundredths), 100n);
}

// percentOf applies a rate in thousandths of a percent (8.25 % = 8250).
export function percentOf(cents, rateMilli) {
  return divRound(BigInt(cents) * BigInt(rateMilli), 100000n);
}

// lineTotal answers a line's total in cents, or null while its quantity or
// price cannot be read.
export function lineTotal(line) {
  const q = fixed(line.quantity, 2);
  const p = fixed(line.unit_price, 2);
  if (q === null || p === null) return null;
  return mulRound(p, q);
}

const zero = () => ({ parts: 0, labor: 0, fees: 0, subtotal: 0, taxable: 0, tax: 0, total: 0, unreadable: 0 });

function addLine(s, line) {
  const t = lineTotal(line);
  if (t === null) { s.unreadable++; return; }
  if (line.kind === "service") s.labor += t;
  else if (line.kind === "fee") s.fees += t;
  else s.parts += t;
  s.subtotal += t;
  if (line.taxable !== false) s.taxable += t;
}

function finish(s, rateMilli) {
  s.tax = percentOf(s.taxable, rateMilli);
  s.total = s.subtotal + s.tax;
  s.tooBig = s.total > maxAmount;
  return s;
}

// optionSummary is one option's summary in cents.
export function optionSummary(option, rateMilli) {
  const s = zero();
  for (const l of option.line_items || []) addLine(s, l);
  return finish(s, rateMilli);
}

// proposalSummary is the summary over each area's chosen option: the lines
// that become the ticket's, taxed together as the ticket taxes them.
export function proposalSummary(areas, rateMilli) {
  const s = zero();
  for (const a of areas) {
    const o = a.options[a.chosen_option ?? 0] || a.options[0];
    for (const l of o?.line_items || []) addLine(s, l);
  }
  return finish(s, rateMilli);
}

// rateOf reads the proposal's tax_rate (8.25) as thousandths of a percent.
export const rateOf = (rate) => fixed(rate ?? 0, 3) ?? 0;

// cents → the decimal the API takes and money() formats: 1234 → 12.34.
export const toAmount = (cents) => cents / 100;

// centsOf reads a summary the API answered (decimals) as cents.
export function centsOf(s) {
  const c = (v) => fixed(v ?? 0, 2) ?? 0;
  return { parts: c(s.parts), labor: c(s.labor ?? s.labour), fees: c(s.fees), subtotal: c(s.subtotal), tax: c(s.tax), total: c(s.total), unreadable: 0 };
}
