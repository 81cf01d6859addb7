// The OAuth callback of the sample plugin: checks the state, exchanges the
// code with the PKCE verifier at /oauth/token, and says "Installed". A real
// plugin would do the exchange on its server and keep the key there; the
// sample shows only the key's last characters.
import { clientID, redirectURI } from "./oauth.js";

const status = document.getElementById("status");
const detail = document.getElementById("detail");

function failed(text) {
  status.textContent = "Not installed";
  detail.textContent = text;
  detail.className = "error";
}

async function finish() {
  const q = new URLSearchParams(location.search);
  if (q.get("error")) return failed(q.get("error") === "access_denied" ? "You cancelled the install." : `Portal said: ${q.get("error")}`);
  const code = q.get("code");
  const state = q.get("state");
  const verifier = sessionStorage.getItem("hello.verifier");
  if (!code || !verifier || state !== sessionStorage.getItem("hello.state")) return failed("This callback does not belong to an install started here. Start again.");
  sessionStorage.removeItem("hello.verifier");
  sessionStorage.removeItem("hello.state");
  const res = await fetch("/oauth/token", {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: redirectURI, code_verifier: verifier, client_id: clientID }),
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok || !body.access_token) return failed(`Portal refused the code: ${body.error_description || body.error || res.status}`);
  status.textContent = "Installed";
  detail.textContent = `Hello may now: ${body.scope}. Its key ends in …${body.access_token.slice(-4)}.`;
  detail.className = "muted";
}

finish().catch((err) => failed(err.message));
