// The visitor desk's shared pieces, for the visitors, contractors and
// evacuation screens: the locations and their clocks (a location's day is
// its own time zone's, not the shop's), the list filters the API declares,
// and the words for the desk's statuses.

import { el } from "../lib/dom.js";
import { get, query } from "../lib/api.js";

// locations lists the shop's sites by name; an empty list when the role may
// not read them.
export async function loadLocations() {
  try {
    return (await get(`/api/v1/locations${query({ per_page: 200, sort: "name" })}`)).data;
  } catch (err) {
    if (err.status === 403) return [];
    throw err;
  }
}

// validZone is zone when the browser knows it, else the browser's own.
export function validZone(zone) {
  try {
    new Intl.DateTimeFormat(undefined, { timeZone: zone });
    return zone;
  } catch {
    return Intl.DateTimeFormat().resolvedOptions().timeZone;
  }
}

const fmt = (zone, opts) => new Intl.DateTimeFormat(undefined, { timeZone: validZone(zone), ...opts });

// dayIn is the date (YYYY-MM-DD) that instant d is in zone.
export function dayIn(zone, d = new Date()) {
  return new Intl.DateTimeFormat("en-CA", { timeZone: validZone(zone), year: "numeric", month: "2-digit", day: "2-digit" }).format(d);
}

// timeIn is a short time as the location's clock shows it ("3:04 PM"), with
// the day when it is not the day shown.
export function timeIn(iso, zone, day) {
  if (!iso) return "";
  const d = new Date(iso);
  if (day && dayIn(zone, d) !== day) return fmt(zone, { month: "short", day: "numeric", hour: "numeric", minute: "2-digit" }).format(d);
  return fmt(zone, { hour: "numeric", minute: "2-digit" }).format(d);
}

// dayLabel says a YYYY-MM-DD for people: "Today", else "Mon, Nov 30".
export function dayLabel(day, zone) {
  if (day === dayIn(zone)) return "Today";
  const [y, m, d] = day.split("-").map(Number);
  return new Intl.DateTimeFormat(undefined, { timeZone: "UTC", weekday: "short", month: "short", day: "numeric" }).format(Date.UTC(y, m - 1, d));
}

// wall reads instant ms as zone's clock shows it, in UTC fields.
function wall(ms, zone) {
  const parts = fmt(zone, { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" })
    .formatToParts(new Date(ms));
  const part = (type) => Number(parts.find((p) => p.type === type).value);
  return Date.UTC(part("year"), part("month") - 1, part("day"), part("hour"), part("minute"), part("second"));
}

// fromZoneTime turns a datetime-local value, meant as zone's wall clock,
// into an ISO time; "" stays "".
export function fromZoneTime(local, zone) {
  if (!local) return "";
  const [y, m, d, h, min] = local.split(/[-T:]/).map(Number);
  const guess = Date.UTC(y, m - 1, d, h, min);
  let ms = guess - (wall(guess, zone) - guess);
  ms = guess - (wall(ms, zone) - ms); // a second pass settles DST edges
  return new Date(ms).toISOString();
}

// toZoneTime is fromZoneTime's inverse, for filling a datetime-local input.
export function toZoneTime(iso, zone) {
  if (!iso) return "";
  return new Date(wall(new Date(iso).getTime(), zone)).toISOString().slice(0, 16);
}

// listFilters is what a list can be filtered by, as the API declares it
// (OpenAPI parameters beyond paging, sorting and search):
// [{name, doc, values}] — values when the filter takes a fixed few.
const general = new Set(["page", "per_page", "since_id", "updated_after", "sort", "order", "q"]);
let described;
export async function listFilters(path) {
  described ??= fetch("/api/v1/openapi.json").then((r) => r.json());
  const params = (await described).paths?.[path]?.get?.parameters || [];
  return params.filter((p) => p.in === "query" && !general.has(p.name))
    .map((p) => ({ name: p.name, doc: p.description || "", values: p.schema?.enum || null }));
}

// Words for the desk's statuses; an unknown one reads as itself.
const words = {
  expected: "Expected", checked_in: "On site", checked_out: "Left", cancelled: "Cancelled",
  pending: "Pending", approved: "Approved", rejected: "Rejected",
};
export function statusWord(s) {
  return words[s] || String(s).replaceAll("_", " ").replace(/^./, (c) => c.toUpperCase());
}
const classes = { expected: "st-new", checked_in: "st-ready", checked_out: "st-closed", cancelled: "st-closed",
  pending: "st-waiting", approved: "st-ready", rejected: "st-failed" };
export function statusTag(s) {
  return el("span", { class: `status ${classes[s] || "st-progress"}`, text: statusWord(s) });
}

// locationSelect picks one of several locations; it is not shown for one.
export function locationSelect(locations, selected, { all = "", label = "Location", name = "location_id" } = {}) {
  return el("select", { name, "aria-label": label },
    all ? el("option", { value: "", text: all }) : null,
    locations.map((l) => el("option", { value: String(l.id), text: l.name, selected: String(l.id) === String(selected) })));
}

// locationName answers "Main office" for an id, "" for 0.
export function locationNames(locations) {
  return (id) => locations.find((l) => l.id === id)?.name || (id ? `Location ${id}` : "");
}

// printOnly prints one part of the page (a visitor's pass, the roll call):
// the body says which while the print dialog is open.
export function printOnly(kind) {
  document.body.dataset.print = kind;
  const done = () => { delete document.body.dataset.print; window.removeEventListener("afterprint", done); };
  window.addEventListener("afterprint", done);
  window.print();
  setTimeout(done, 0); // print() blocks until the dialog closes where afterprint is late
}
