// Settings → Appliance: the owner's "Download backup", where the automatic
// backups live and how a backup is put back, and the chain of shops (chain.js).

import { el } from "../lib/dom.js";
import { chainSection } from "./chain.js";

export async function appliancePage(ctx) {
  const chain = await chainSection(ctx);
  // A plain link: the browser sends the session cookie and saves the file as
  // it streams; the archive never passes through this page's memory.
  const download = el("a", { class: "button", href: "/api/v1/backup", download: "", text: "Download backup" });
  const node = el("section", { class: "page" },
    el("header", { class: "page-head" }, el("h1", { text: "Appliance" })),
    el("section", { class: "card-flat", "aria-labelledby": "backup-head" },
      el("h2", { id: "backup-head", text: "Backups" }),
      el("p", { text: "A backup is one .tar.gz file holding all of Portal's data — live and test — and the key that unlocks webhook and app secrets. Whoever has the file has your shop's records: keep it somewhere safe." }),
      el("p", {}, download),
      el("p", { class: "muted", text: "Portal also makes a backup by itself every day while it runs, into the backups folder inside its data folder, and keeps the newest seven." })),
    el("section", { class: "card-flat", "aria-labelledby": "restore-head" },
      el("h2", { id: "restore-head", text: "Restoring a backup" }),
      el("p", {}, "Stop Portal first, then run ", el("code", { text: "portal restore FILE" }),
        " on this machine (add ", el("code", { text: "--data DIR" }), " if the data folder is not the default). ",
        "Portal checks the whole file before changing anything, and keeps the files it replaces in a ",
        el("code", { text: "replaced-…" }), " folder beside them."),
      el("p", { class: "muted", text: "To move Portal to a new machine, restore the backup into an empty data folder there." })),
    chain.node);
  return { node, title: "Appliance", destroy: chain.destroy };
}
