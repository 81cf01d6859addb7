// The Hello widget: asks Portal for the ticket it sits on, shows its number
// and status, and adds a note through the bridge (portal:action add_note).
// Portal appends ?token=wt_… to the URL; a plugin's server would exchange it
// at POST /api/v1/widgets/verify-token. This sample needs only the bridge.
(function () {
  "use strict";
  var token = new URLSearchParams(location.search).get("token") || "";
  var ticketLine = document.getElementById("ticket");
  var button = document.getElementById("note");
  var said = document.getElementById("said");
  var ticket = null;

  function post(message) {
    // The frame is sandboxed (opaque origin), so the parent's origin cannot be
    // named here; Portal checks the sender (this frame) on its side.
    window.parent.postMessage(message, "*");
  }

  window.addEventListener("message", function (event) {
    if (event.source !== window.parent) return; // only Portal, the frame's parent
    var msg = event.data || {};
    if (msg.type === "portal:action_result") { // {action, ok, error?}
      said.textContent = msg.ok ? "Note added." : "The note was not added: " + ((msg.error && msg.error.message) || "refused");
      return;
    }
    if (msg.type !== "portal:response") return; // {resource, data} or {error}
    if (msg.error) {
      ticketLine.textContent = "Portal said: " + (msg.error.message || msg.error);
      ticketLine.className = "error";
      return;
    }
    if (msg.resource === "ticket" || (msg.data && msg.data.number !== undefined)) {
      ticket = msg.data || {};
      ticketLine.textContent = "Hello, ticket #" + ticket.number + " (" + ticket.status + ")";
      ticketLine.className = "";
      button.disabled = false;
    }
  });

  button.addEventListener("click", function () {
    if (!ticket) return;
    post({ type: "portal:action", action: "add_note", data: { text: "Hello from the Hello plugin." } });
    said.textContent = "Adding the note…";
  });

  if (!token) ticketLine.textContent = "Open this page from a ticket in Portal.";
  post({ type: "portal:request", resource: "ticket", id: "current" });
})();
