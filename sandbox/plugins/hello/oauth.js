// The OAuth client of the sample plugin: makes a PKCE verifier and its S256
// challenge, keeps the verifier and a state in sessionStorage, and links to
// Portal's /oauth/authorize. callback.html finishes the flow.

const here = new URL(".", location.href);
export const redirectURI = new URL("callback.html", here).href;
export const manifestURL = new URL("portal-plugin.json", here).href;
export const clientID = "hello";

function base64url(bytes) {
  let s = "";
  for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function random(n) {
  return base64url(crypto.getRandomValues(new Uint8Array(n)));
}

async function challengeOf(verifier) {
  return base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
}

async function start() {
  const link = document.getElementById("install");
  if (!link) return;
  const verifier = random(48); // 64 characters, within RFC 7636's 43–128
  const state = random(16);
  sessionStorage.setItem("hello.verifier", verifier);
  sessionStorage.setItem("hello.state", state);
  const url = new URL("/oauth/authorize", location.origin);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: clientID,
    redirect_uri: redirectURI,
    code_challenge: await challengeOf(verifier),
    code_challenge_method: "S256",
    state,
    manifest_url: manifestURL,
  }).toString();
  link.href = url.href;
  link.removeAttribute("aria-disabled");
  link.dataset.ready = "true";
}

start();
