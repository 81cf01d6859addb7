// The live feed: one websocket per tab to /api/v1/live. It resumes from the
// last event it saw after a drop (server restart, sleep, network), backing
// off between tries, so no event is missed and none is shown twice.

import { get, mode } from "./api.js";

const minDelay = 500;
const maxDelay = 15000;

export class LiveFeed {
  constructor() {
    this.listeners = new Set();
    this.statusListeners = new Set();
    this.lastId = "";
    this.delay = minDelay;
    this.failedResumes = 0;
    this.stopped = true;
    this.status = "connecting";
  }

  // start connects from the newest event in the log, so a reconnect before
  // any event arrived still resumes instead of making pages reload.
  async start() {
    if (!this.stopped) return;
    this.stopped = false;
    if (!this.lastId) {
      try {
        const r = await get("/api/v1/events?per_page=1");
        if (!this.lastId) this.lastId = r.data[0]?.event_id || "";
      } catch { /* no events.read, or offline: start from now */ }
    }
    if (!this.stopped) this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.ws?.close();
    this.ws = null;
  }

  // restart begins again from now, for a change of mode.
  restart() {
    this.stop();
    this.lastId = "";
    this.everOpened = false;
    this.start();
  }

  on(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  onStatus(fn) {
    this.statusListeners.add(fn);
    fn(this.status);
    return () => this.statusListeners.delete(fn);
  }

  setStatus(s) {
    this.status = s;
    for (const fn of this.statusListeners) fn(s);
  }

  connect() {
    const params = new URLSearchParams();
    if (mode() === "test") params.set("mode", "test");
    const resuming = this.lastId !== "";
    if (resuming) params.set("since", this.lastId);
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${scheme}//${location.host}/api/v1/live?${params}`);
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.delay = minDelay;
      this.failedResumes = 0;
      this.setStatus("live");
      // After a gap the page may have missed changes the log no longer
      // explains (a resume that had to start afresh): let pages reload.
      if (!resuming && this.everOpened) this.emit({ event: "portal.resync" });
      this.everOpened = true;
    };
    ws.onmessage = (m) => {
      let ev;
      try { ev = JSON.parse(m.data); } catch { return; }
      if (ev.event_id) this.lastId = ev.event_id;
      this.emit(ev);
    };
    ws.onclose = () => {
      if (this.ws !== ws || this.stopped) return;
      this.ws = null;
      this.setStatus("reconnecting");
      if (!opened && resuming && ++this.failedResumes >= 3) {
        // The server keeps refusing our resume point (a restored or reset
        // store): start from now and have the pages reload.
        this.lastId = "";
        this.failedResumes = 0;
      }
      const wait = this.delay * (0.75 + Math.random() / 2);
      this.delay = Math.min(this.delay * 2, maxDelay);
      this.timer = setTimeout(() => this.connect(), wait);
    };
  }

  emit(ev) {
    for (const fn of this.listeners) {
      try { fn(ev); } catch (e) { console.error(e); }
    }
  }
}

export const live = new LiveFeed();
