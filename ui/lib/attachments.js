// Photos and documents of a record (a ticket, a proposal, a device, a
// customer): a gallery of thumbnails, a list of documents, uploads with
// their progress (the tablet's camera for intake photos, several files at
// once, dropped on the desk), "Customer can see", delete, a larger view of a
// photo, and live: a photo added in another tab appears here.
//
// Files are read through signed URLs (GET /attachments/{id}/url, valid 15
// minutes, no key needed): asked for when an item comes into view, renewed
// before they run out, and asked again when one failed anyway.
//
//   const files = attachments(ctx, { type: "ticket", id: 12 });
//   page.append(files.node);        // null without files.read: no section at all
//   onEvent(ev) { files.onEvent(ev); }
//   destroy() { files.destroy(); }
//
// opts.write wraps an upload as the page wraps its own writes (the ticket
// page holds live events while one is in flight, so it knows its own);
// opts.title names the section; opts.headingLevel is 2 (default) or 3.

import { el, reconcile, flash } from "./dom.js";
import { ApiError, call, get, mode } from "./api.js";
import { when, fullTime } from "./format.js";

export const maxBytes = 20 * 1024 * 1024; // the API's limit: 20 MiB
const renewBefore = 90 * 1000; // a URL is renewed this long before it runs out
const parallel = 3; // uploads at once

const plural = { ticket: "tickets", proposal: "proposals", device: "devices", customer: "customers" };
// What the camera is for, per owner, for the empty state.
const photoOf = { ticket: "the device as it came in", proposal: "the job to quote", device: "the device", customer: "an ID or a signed form" };
let seq = 0;

// size is a file's size as people read it: "482 KB", "4.6 MB".
export function size(bytes) {
  const n = Number(bytes) || 0;
  if (n < 1024) return `${n} byte${n === 1 ? "" : "s"}`;
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KB`;
  return `${(n / 1024 / 1024).toFixed(n < 10 * 1024 * 1024 ? 1 : 0)} MB`;
}

const kinds = {
  "application/pdf": "PDF", "text/plain": "Text", "text/csv": "CSV", "application/zip": "ZIP archive",
  "application/msword": "Word document", "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word document",
  "application/vnd.ms-excel": "Excel sheet", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel sheet",
  "image/jpeg": "JPEG image", "image/png": "PNG image", "image/gif": "GIF image", "image/webp": "WebP image",
  "image/heic": "HEIC photo", "application/octet-stream": "File",
};

// kind is a content type in words: "PDF", "JPEG image".
export function kind(contentType, filename = "") {
  const t = String(contentType || "").split(";")[0].trim().toLowerCase();
  if (kinds[t] && t !== "application/octet-stream") return kinds[t];
  const ext = filename.includes(".") ? filename.split(".").pop().toUpperCase() : "";
  if (ext && ext.length <= 5) return `${ext} file`;
  return kinds[t] || t || "File";
}

// A photo is an image the browser can show: one with a thumbnail, or a
// format every browser reads. Anything else (HEIC, TIFF) is a document.
const shown = new Set(["image/jpeg", "image/png", "image/gif", "image/webp"]);
const isPhoto = (a) => String(a.content_type || "").startsWith("image/") && (a.thumbnail || shown.has(a.content_type));

export function attachments(ctx, owner, opts = {}) {
  if (!ctx.can("files.read")) return { node: null, onEvent() {}, refresh: async () => {}, destroy() {}, count: () => 0 };
  const canWrite = ctx.can("files.write");
  const base = `/api/v1/${plural[owner.type]}/${owner.id}/attachments`;
  const uid = `att-${owner.type}-${owner.id}-${++seq}`;
  const write = opts.write || ((fn) => fn());
  const level = opts.headingLevel === 3 ? "h3" : "h2";
  const subLevel = level === "h2" ? "h3" : "h4";

  let list = []; // newest first, as the API answers
  const items = new Map(); // id → { rec, node, update(rec) }
  const urls = new Map(); // id → { url, thumbnail_url, expires: ms } | Promise
  let destroyed = false;
  let loadSeq = 0;
  let renewTimer = 0;

  // Controls: the camera (tablets and phones), files (several), both hidden
  // inputs behind real buttons.
  const camera = el("input", { type: "file", accept: "image/*", capture: "environment", id: `${uid}-camera`, hidden: true, "aria-label": "Take photo" });
  const picker = el("input", { type: "file", multiple: true, id: `${uid}-files`, hidden: true, "aria-label": "Add files" });
  const takePhoto = el("button", { type: "button", class: "secondary att-camera", onclick: () => camera.click() }, el("span", { "aria-hidden": "true", class: "att-icon" }), "Take photo");
  const addFiles = el("button", { type: "button", class: "secondary att-add", onclick: () => picker.click() }, "Add files");
  for (const input of [camera, picker]) {
    input.addEventListener("change", () => {
      const files = [...input.files];
      input.value = ""; // the same photo can be chosen again
      upload(files);
    });
  }

  const titleId = `${uid}-title`;
  // On paper only photos print: the heading drops "and documents" there.
  const heading = opts.title ? el(level, { id: titleId, text: opts.title })
    : el(level, { id: titleId }, "Photos", el("span", { class: "att-and-docs", text: " and documents" }));
  const summary = el("span", { class: "muted att-count num" });
  const error = el("p", { class: "error att-error", role: "alert" });
  const uploads = el("ul", { class: "att-uploads", "aria-label": "Uploads" });
  const dropHint = canWrite ? el("p", { class: "att-drop-hint muted" }, "Drop photos and documents here, or ", el("button", { type: "button", class: "linklike", text: "choose files", onclick: () => picker.click() }), ` (up to 20 MB each).`) : null;
  const gallery = el("ul", { class: "att-gallery", "aria-label": "Photos" });
  const docs = el("ul", { class: "att-docs", "aria-label": "Documents" });
  const photosHead = el(subLevel, { class: "att-sub", text: "Photos" });
  const docsHead = el(subLevel, { class: "att-sub", text: "Documents" });
  const empty = el("p", { class: "att-empty muted" });
  const live = el("p", { class: "visually-hidden", role: "status", "aria-live": "polite" });

  const node = el("section", { class: "attachments", "aria-labelledby": titleId, "data-owner": `${owner.type}-${owner.id}` },
    el("div", { class: "att-head" }, heading, summary,
      canWrite ? el("div", { class: "att-actions" }, takePhoto, addFiles, camera, picker) : null),
    dropHint, error, uploads, empty,
    photosHead, gallery, docsHead, docs, live);

  // Dropped on the section (a desk with a mouse): the files are uploaded.
  if (canWrite) {
    let depth = 0;
    const hasFiles = (e) => [...(e.dataTransfer?.types || [])].includes("Files");
    node.addEventListener("dragenter", (e) => { if (!hasFiles(e)) return; e.preventDefault(); depth++; node.classList.add("dragging"); });
    node.addEventListener("dragover", (e) => { if (!hasFiles(e)) return; e.preventDefault(); e.dataTransfer.dropEffect = "copy"; });
    node.addEventListener("dragleave", () => { if (--depth <= 0) { depth = 0; node.classList.remove("dragging"); } });
    node.addEventListener("drop", (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth = 0;
      node.classList.remove("dragging");
      upload([...e.dataTransfer.files]);
    });
  }
  // A file dropped just beside the section must not replace the console
  // with the file (the browser's default): elsewhere on the page it is refused.
  const dropGuard = (e) => {
    if (!canWrite || node.contains(e.target) || ![...(e.dataTransfer?.types || [])].includes("Files")) return;
    e.preventDefault();
    if (e.type === "dragover") e.dataTransfer.dropEffect = "none";
  };
  window.addEventListener("dragover", dropGuard);
  window.addEventListener("drop", dropGuard);

  // --- signed URLs ---------------------------------------------------------

  // signed answers the item's URLs, asking the API when none is held or the
  // one held runs out soon (fresh: always ask).
  async function signed(id, fresh = false) {
    const held = urls.get(id);
    if (held instanceof Promise) return held;
    if (!fresh && held && held.expires - Date.now() > renewBefore) return held;
    const p = get(`/api/v1/attachments/${id}/url`).then((r) => {
      const u = { ...r.data, expires: Date.parse(r.data.expires_at) || Date.now() + 15 * 60 * 1000 };
      urls.set(id, u);
      scheduleRenew();
      return u;
    }, (err) => { urls.delete(id); throw err; });
    urls.set(id, p);
    return p;
  }

  // Before URLs in use run out, they are renewed: a document's link and the
  // open photo's download keep working however long the page stays open
  // (a thumbnail already shown needs its URL no more).
  function scheduleRenew() {
    clearTimeout(renewTimer);
    if (destroyed) return;
    let next = Infinity;
    for (const [id, u] of urls) {
      if (u instanceof Promise || !inUse(id)) continue;
      next = Math.min(next, u.expires - renewBefore);
    }
    if (next === Infinity) return;
    renewTimer = setTimeout(renew, Math.max(1000, next - Date.now()));
  }
  async function renew() {
    const due = [...urls].filter(([id, u]) => !(u instanceof Promise) && inUse(id) && u.expires - Date.now() <= renewBefore + 5000);
    await Promise.all(due.map(([id]) => signed(id, true).then((u) => items.get(id)?.applyURL(u)).catch(() => {})));
    scheduleRenew();
  }
  const inUse = (id) => {
    const it = items.get(id);
    return !!it && it.node.isConnected && (!it.photo || viewer.showing() === id);
  };

  // Items load their URLs when they come near the window.
  const seen = "IntersectionObserver" in window ? new IntersectionObserver((entries) => {
    for (const e of entries) {
      if (!e.isIntersecting) continue;
      seen.unobserve(e.target);
      items.get(Number(e.target.dataset.id))?.load();
    }
  }, { rootMargin: "400px" }) : null;
  const watch = (item) => (seen ? seen.observe(item.node) : item.load());
  // Printing shows every customer-visible photo, in view or not.
  const beforePrint = () => { for (const it of items.values()) if (it.rec.customer_visible) it.load(); };
  window.addEventListener("beforeprint", beforePrint);

  // --- items ---------------------------------------------------------------

  // visibleToggle is "Customer can see" for one item: a checkbox that saves
  // at once (read-only roles see a badge). It is updated in place, so the
  // focus stays on it through its own save and through live updates.
  function visibleToggle(first) {
    let rec = first;
    if (!canWrite) {
      const badge = el("span", { class: "att-visible-badge", text: "Customer can see" });
      return { node: badge, set(r) { rec = r; badge.hidden = !r.customer_visible; } };
    }
    const box = el("input", { type: "checkbox" });
    let saving = false;
    box.addEventListener("change", async () => {
      if (saving) { box.checked = !box.checked; return; }
      const want = box.checked;
      saving = true;
      box.setAttribute("aria-busy", "true");
      error.textContent = "";
      try {
        const r = await call("PATCH", `/api/v1/attachments/${rec.id}`, { customer_visible: want });
        upsert(r.data);
        say(want ? `${rec.filename} is now visible to the customer.` : `${rec.filename} is now staff only.`);
      } catch (err) {
        box.checked = !want;
        error.textContent = `Could not change who can see ${rec.filename}: ${err.message}`;
      } finally {
        saving = false;
        box.removeAttribute("aria-busy");
      }
    });
    return {
      node: el("label", { class: "check att-visible" }, box, " Customer can see"),
      set(r) {
        rec = r;
        if (!saving) box.checked = !!r.customer_visible;
        box.setAttribute("aria-label", `Customer can see ${r.filename}`);
      },
    };
  }

  function deleteButton(rec) {
    if (!canWrite) return null;
    return el("button", { type: "button", class: "quiet danger att-delete", "aria-label": `Delete ${rec.filename}`, text: "Delete",
      onclick: (e) => remove(rec, e.currentTarget) });
  }

  function photoItem(rec) {
    const img = el("img", { alt: rec.filename, width: 160, height: 160, decoding: "async" });
    const open = el("button", { type: "button", class: "att-open", "aria-label": `View ${rec.filename} larger`, onclick: () => viewer.show(rec.id) }, img);
    const name = el("span", { class: "att-name", title: rec.filename, text: rec.filename });
    const toggle = visibleToggle(rec);
    const vis = el("span", { class: "att-vis-slot" }, toggle.node);
    const li = el("li", { class: "att-photo", "data-id": String(rec.id) }, open,
      el("div", { class: "att-caption" }, name, vis, deleteButton(rec)));
    let retried = false;
    img.addEventListener("load", () => li.classList.add("loaded"));
    img.addEventListener("error", () => {
      // An URL that ran out before the picture was read: once more, fresh.
      if (retried || !img.getAttribute("src")) return;
      retried = true;
      signed(rec.id, true).then((u) => { img.src = u.thumbnail_url || u.url; }).catch(() => li.classList.add("failed"));
    });
    const item = {
      rec, node: li, loading: false,
      load() {
        if (item.loading || img.getAttribute("src")) return;
        item.loading = true;
        signed(rec.id).then((u) => { img.src = u.thumbnail_url || u.url; }, () => li.classList.add("failed")).finally(() => { item.loading = false; });
      },
      applyURL(u) { viewer.renewed(rec.id, u); }, // a loaded thumbnail stays as it is
      update(r) {
        item.rec = r;
        name.textContent = r.filename;
        name.title = r.filename;
        img.alt = r.filename;
        open.setAttribute("aria-label", `View ${r.filename} larger`);
        li.classList.toggle("visible", !!r.customer_visible);
        toggle.set(r);
      },
    };
    item.update(rec);
    return item;
  }

  function docItem(rec) {
    const link = el("a", { class: "att-doc-link", href: "#", download: rec.filename });
    const meta = el("span", { class: "att-meta muted" });
    const toggle = visibleToggle(rec);
    const vis = el("span", { class: "att-vis-slot" }, toggle.node);
    const li = el("li", { class: "att-doc", "data-id": String(rec.id) },
      el("span", { class: "att-doc-icon", "aria-hidden": "true" }),
      el("div", { class: "att-doc-main" }, link, meta),
      el("div", { class: "att-doc-actions" }, vis, deleteButton(rec)));
    // A click on a link whose URL ran out (a laptop that slept) asks for a
    // fresh one first.
    link.addEventListener("click", (e) => {
      const u = urls.get(rec.id);
      if (u && !(u instanceof Promise) && u.expires - Date.now() > 5000) return;
      e.preventDefault();
      signed(rec.id, true).then((fresh) => { item.applyURL(fresh); location.assign(fresh.url); },
        (err) => { error.textContent = `Could not download ${rec.filename}: ${err.message}`; });
    });
    const item = {
      rec, node: li,
      load() { signed(rec.id).then((u) => item.applyURL(u)).catch(() => {}); },
      applyURL(u) { link.href = u.url; },
      update(r) {
        item.rec = r;
        link.textContent = r.filename;
        link.download = r.filename;
        link.setAttribute("aria-label", `Download ${r.filename}`);
        meta.replaceChildren(`${kind(r.content_type, r.filename)} · ${size(r.size)} · `,
          el("time", { datetime: r.created_at, title: fullTime(r.created_at), text: when(r.created_at) }),
          r.uploaded_by ? ` · ${r.uploaded_by}` : "");
        li.classList.toggle("visible", !!r.customer_visible);
        toggle.set(r);
      },
    };
    item.update(rec);
    return item;
  }

  // render shows list: nodes of items that stay are kept where they are
  // (a pointer or the focus on one survives a live update).
  function render() {
    const photos = [], documents = [];
    const ids = new Set(list.map((a) => a.id));
    for (const [id, it] of items) {
      if (!ids.has(id)) { seen?.unobserve(it.node); items.delete(id); urls.delete(id); }
    }
    for (const rec of list) {
      let it = items.get(rec.id);
      const photo = isPhoto(rec);
      if (it && it.photo !== photo) { items.delete(rec.id); it = null; }
      if (!it) {
        it = photo ? photoItem(rec) : docItem(rec);
        it.photo = photo;
        items.set(rec.id, it);
        watch(it);
      } else if (JSON.stringify(it.rec) !== JSON.stringify(rec)) it.update(rec);
      (photo ? photos : documents).push(it.node);
    }
    reconcile(gallery, photos);
    reconcile(docs, documents);
    photosHead.hidden = gallery.hidden = !photos.length;
    docsHead.hidden = docs.hidden = !documents.length;
    const n = list.length;
    summary.textContent = n ? `${photos.length} photo${photos.length === 1 ? "" : "s"} · ${documents.length} document${documents.length === 1 ? "" : "s"}` : "";
    empty.hidden = n > 0;
    // What to do next depends on the screen: a tablet's camera, a desk's
    // mouse (CSS shows the one that fits, also after a rotation or resize).
    if (!empty.childNodes.length) {
      empty.append(...(canWrite
        ? [el("span", { class: "att-on-touch", text: `No photos or documents yet — press Take photo to photograph ${photoOf[owner.type]}, or Add files.` }),
          el("span", { class: "att-on-desk", text: "No photos or documents yet — drop files here or press Add files." })]
        : ["No photos or documents yet."]));
    }
    node.classList.toggle("has-visible-photos", list.some((a) => a.customer_visible && isPhoto(a)));
    viewer.refresh();
  }

  function upsert(rec) {
    if (!rec?.id) return;
    const at = list.findIndex((a) => a.id === rec.id);
    if (at >= 0) list[at] = rec;
    else list = [rec, ...list].sort(newestFirst);
    render();
  }
  const newestFirst = (a, b) => (Date.parse(b.created_at) || 0) - (Date.parse(a.created_at) || 0) || b.id - a.id;

  async function load() {
    const mine = ++loadSeq;
    const r = await get(`${base}?per_page=200`);
    if (mine !== loadSeq || destroyed) return;
    list = r.data.slice().sort(newestFirst);
    render();
  }
  const reloadSoon = (() => {
    let t = 0;
    return () => { clearTimeout(t); t = setTimeout(() => load().catch(() => {}), 120); };
  })();

  const say = (text) => { live.textContent = text; };

  // --- uploads -------------------------------------------------------------

  const queue = [];
  let running = 0;

  function upload(files) {
    if (!files.length) return;
    error.textContent = "";
    for (const f of files) {
      const bar = el("progress", { max: 100, value: 0, "aria-label": `Uploading ${f.name}` });
      const state = el("span", { class: "att-up-state muted", text: "Waiting…" });
      const li = el("li", { class: "att-up", "data-name": f.name }, el("span", { class: "att-up-name", text: f.name }), bar, state);
      uploads.append(li);
      if (f.size > maxBytes) {
        fail(li, bar, state, tooBig(f));
        continue;
      }
      if (f.size === 0) {
        fail(li, bar, state, "The file is empty: nothing was uploaded.");
        continue;
      }
      queue.push({ f, li, bar, state });
    }
    pump();
  }

  function pump() {
    while (running < parallel && queue.length) {
      const job = queue.shift();
      running++;
      send(job).finally(() => { running--; pump(); });
    }
  }

  async function send({ f, li, bar, state }) {
    state.textContent = "0%";
    try {
      const rec = (await write(() => xhrUpload(f, (pct) => {
        bar.value = pct;
        state.textContent = `${pct}%`;
      }))).data;
      li.remove();
      upsert(rec);
      const it = items.get(rec.id);
      if (it) flash(it.node);
      say(`${f.name} uploaded.`);
    } catch (err) {
      fail(li, bar, state, uploadError(f, err));
    }
  }

  // fail turns an upload's line into what went wrong, read out at once
  // (the file's name, then the reason).
  function fail(li, bar, state, message) {
    li.classList.add("failed");
    bar.remove();
    state.className = "att-up-state error";
    state.setAttribute("role", "alert");
    state.replaceChildren(el("span", { class: "visually-hidden", text: `${li.dataset.name}: ` }), message);
    li.append(el("button", { type: "button", class: "quiet", text: "Dismiss", "aria-label": "Dismiss this message", onclick: () => li.remove() }));
  }

  const tooBig = (f) => `Too big (${size(f.size)}): a file can be at most 20 MB. Nothing was uploaded.`;
  function uploadError(f, err) {
    if (err.status === 413) return tooBig(f);
    if (err.status === 0) return "Not uploaded: Portal cannot be reached. Check that it is running, then try again.";
    return `Not uploaded: ${err.message}`;
  }

  // xhrUpload sends one file as multipart, reporting progress (fetch cannot
  // report an upload's progress), in the tab's mode.
  function xhrUpload(file, progress) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", base);
      xhr.setRequestHeader("Portal-Mode", mode());
      xhr.responseType = "json";
      xhr.upload.addEventListener("progress", (e) => {
        if (e.lengthComputable) progress(Math.min(99, Math.round((e.loaded / e.total) * 100)));
      });
      xhr.addEventListener("load", () => {
        const body = xhr.response || {};
        if (xhr.status >= 200 && xhr.status < 300) { progress(100); resolve(body); return; }
        if (xhr.status === 401) window.dispatchEvent(new CustomEvent("portal:signed-out"));
        reject(new ApiError(xhr.status, body));
      });
      xhr.addEventListener("error", () => reject(new ApiError(0, {})));
      xhr.addEventListener("abort", () => reject(new ApiError(0, { error: { message: "The upload was stopped." } })));
      const form = new FormData();
      form.append("file", file, file.name);
      xhr.send(form);
    });
  }

  // --- delete --------------------------------------------------------------

  async function remove(rec, button) {
    if (!confirm(`Delete ${rec.filename}? It is gone for everyone, the customer too.`)) return;
    button.disabled = true;
    error.textContent = "";
    const next = neighbour(rec.id);
    try {
      await call("DELETE", `/api/v1/attachments/${rec.id}`);
      list = list.filter((a) => a.id !== rec.id);
      render();
      say(`${rec.filename} deleted.`);
      // Focus goes to the next item, else the section's first control.
      (next?.querySelector("button, a") || addFiles).focus({ preventScroll: true });
    } catch (err) {
      button.disabled = false;
      if (err.status === 404) { list = list.filter((a) => a.id !== rec.id); render(); return; }
      error.textContent = `Could not delete ${rec.filename}: ${err.message}`;
    }
  }
  function neighbour(id) {
    const li = items.get(id)?.node;
    return li?.nextElementSibling || li?.previousElementSibling || null;
  }

  // --- the larger view -----------------------------------------------------

  const viewer = photoViewer({
    photos: () => list.filter(isPhoto),
    signed: (id, fresh) => signed(id, fresh).then((u) => { scheduleRenew(); return u; }),
    returnTo: (id) => items.get(id)?.node.querySelector(".att-open"),
  });
  node.append(viewer.node);

  // --- live ----------------------------------------------------------------

  // onEvent takes the page's live events: an attachment of this owner
  // added, changed or deleted anywhere shows here.
  function onEvent(ev) {
    const d = ev.data || {};
    const a = d.attachment;
    const ours = a ? a.owner_type === owner.type && Number(a.owner_id) === Number(owner.id)
      : ev.event === `${owner.type}.attachment_added` && (d[`${owner.type}_id`] === owner.id || d[owner.type]?.id === owner.id);
    const gone = /attachment.*(deleted|removed)$/.test(ev.event);
    if (!ours) {
      // A change or a deletion names only the id (the owner stays out of
      // the event): one of ours is read again or taken away.
      const id = Number(d.attachment_id);
      if (ev.event === "attachment.updated" && items.has(id)) { reloadSoon(); return; }
      if (gone && items.has(id)) {
        const rec = items.get(id).rec;
        list = list.filter((x) => x.id !== id);
        render();
        say(`${rec.filename} was deleted.`);
      }
      return;
    }
    if (a && gone) {
      if (items.has(a.id)) { list = list.filter((x) => x.id !== a.id); render(); }
      return;
    }
    if (a && a.id && a.filename) {
      const known = items.has(a.id);
      upsert(a);
      if (!known) { flash(items.get(a.id).node); say(`${a.filename} added.`); }
    }
    reloadSoon(); // the list as the API has it, in case a field was left out
  }

  const ready = load().catch((err) => { error.textContent = `The photos and documents could not be loaded: ${err.message}`; });

  return {
    node,
    ready,
    onEvent,
    refresh: () => load().catch(() => {}),
    count: () => list.length,
    destroy() {
      destroyed = true;
      loadSeq++;
      clearTimeout(renewTimer);
      seen?.disconnect();
      window.removeEventListener("beforeprint", beforePrint);
      window.removeEventListener("dragover", dropGuard);
      window.removeEventListener("drop", dropGuard);
      if (viewer.node.open) viewer.node.close();
    },
  };
}

// photoViewer is the larger view of a photo: a modal dialog with the photo,
// its name, previous and next (buttons and the arrow keys), download, Esc
// or Close back to the thumbnail it came from.
function photoViewer({ photos, signed, returnTo }) {
  const title = el("h2", { class: "att-view-title", id: `att-view-${++seq}` });
  const counter = el("span", { class: "muted num att-view-count" });
  const img = el("img", { class: "att-view-img", alt: "" });
  const status = el("p", { class: "muted att-view-status", role: "status" });
  const download = el("a", { class: "button secondary att-view-download", href: "#", text: "Download" });
  // A download whose URL ran out (the tablet slept) asks for a fresh one.
  download.addEventListener("click", (e) => {
    if (current === null || Date.now() < expires - 5000) return;
    e.preventDefault();
    const id = current;
    signed(id, true).then((u) => { if (current === id) { download.href = u.url; expires = u.expires; } location.assign(u.url); },
      (err) => { status.textContent = `The photo could not be downloaded: ${err.message}`; });
  });
  const prev = el("button", { type: "button", class: "secondary", "aria-label": "Previous photo", onclick: () => step(-1) }, "‹ Previous");
  const next = el("button", { type: "button", class: "secondary", "aria-label": "Next photo", onclick: () => step(1) }, "Next ›");
  const close = el("button", { type: "button", class: "quiet att-view-close", text: "Close", onclick: () => node.close() });
  const node = el("dialog", { class: "att-viewer", "aria-labelledby": title.id },
    el("div", { class: "att-view-head" }, title, counter, close),
    el("div", { class: "att-view-body" }, status),
    el("div", { class: "att-view-foot actions" }, prev, next, download,
      el("span", { class: "muted small att-view-keys", text: "← → to move, Esc to close" })));
  let current = null;
  let expires = 0; // when the download link's URL runs out
  let token = 0;

  node.addEventListener("keydown", (e) => {
    if (e.key === "ArrowLeft") { e.preventDefault(); step(-1); }
    else if (e.key === "ArrowRight") { e.preventDefault(); step(1); }
  });
  // A swipe across the photo moves to the next or the previous one.
  let swipeX = null;
  node.addEventListener("pointerdown", (e) => { swipeX = e.pointerType === "mouse" ? null : e.clientX; });
  node.addEventListener("pointerup", (e) => {
    if (swipeX === null) return;
    const dx = e.clientX - swipeX;
    swipeX = null;
    if (Math.abs(dx) > 60) step(dx < 0 ? 1 : -1);
  });
  // A click on the backdrop (outside the dialog's box) closes it.
  node.addEventListener("click", (e) => {
    if (e.target !== node) return;
    const r = node.getBoundingClientRect();
    if (e.clientX < r.left || e.clientX > r.right || e.clientY < r.top || e.clientY > r.bottom) node.close();
  });
  node.addEventListener("close", () => {
    const back = current !== null && returnTo(current);
    current = null;
    img.removeAttribute("src");
    img.remove(); // no picture in the page while the view is closed
    back?.focus({ preventScroll: true });
  });

  function step(by) {
    const all = photos();
    if (!all.length) return;
    const at = all.findIndex((a) => a.id === current);
    show(all[(at + by + all.length) % all.length].id);
  }

  function show(id) {
    const all = photos();
    const at = all.findIndex((a) => a.id === id);
    if (at < 0) { if (node.open) node.close(); return; }
    const rec = all[at];
    current = id;
    const mine = ++token;
    title.textContent = rec.filename;
    counter.textContent = `${at + 1} of ${all.length}`;
    prev.disabled = next.disabled = all.length < 2;
    img.alt = rec.filename;
    if (rec.width && rec.height) { img.width = rec.width; img.height = rec.height; } else { img.removeAttribute("width"); img.removeAttribute("height"); }
    img.removeAttribute("src");
    if (!img.isConnected) status.before(img);
    status.textContent = "Loading…";
    download.download = rec.filename;
    download.setAttribute("aria-label", `Download ${rec.filename}`);
    if (!node.open) node.showModal();
    // The photo itself, through a URL asked for now.
    signed(id).then((u) => {
      if (mine !== token) return;
      img.src = u.url;
      download.href = u.url;
      expires = u.expires;
    }, (err) => { if (mine === token) status.textContent = `The photo could not be loaded: ${err.message}`; });
  }
  img.addEventListener("load", () => { status.textContent = ""; });
  img.addEventListener("error", () => { if (img.getAttribute("src")) status.textContent = "The photo could not be loaded. Close and open it again."; });

  return {
    node,
    show,
    showing: () => (node.open ? current : null),
    renewed(id, u) { if (node.open && current === id) { download.href = u.url; expires = u.expires; } },
    // refresh follows the list: the photo shown was deleted → the next one, or closed.
    refresh() {
      if (!node.open || current === null) return;
      const all = photos();
      if (all.some((a) => a.id === current)) counter.textContent = `${all.findIndex((a) => a.id === current) + 1} of ${all.length}`;
      else if (all.length) show(all[0].id);
      else node.close();
    },
  };
}
