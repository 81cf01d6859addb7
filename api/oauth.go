package api

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/mux"

	"portal/store"
)

// OAuth 2.0 install: authorization code with PKCE S256 (RFC 6749, 7636).
//
// GET /oauth/authorize fetches the plugin's manifest (manifest_url, through
// the SSRF guard) and shows the signed-in owner what the plugin asks for.
// The page's form posts back to /oauth/authorize with a consent id that
// holds exactly what the owner saw (the manifest is not fetched again), so
// approving installs that manifest. Approve installs the plugin and issues a
// code (random, kept as its SHA-256 only, single use, 60 seconds, bound to
// the client, the redirect URI and the PKCE challenge); the plugin's
// pk_live_ secret waits sealed under a key derived from the code itself, so
// only the code's holder can open it, once, at POST /oauth/token.
//
// A bad client or redirect URI is an error page: nobody is ever redirected
// to a URI the manifest does not list.

const (
	oauthCodeTTL    = 60 * time.Second
	oauthConsentTTL = 10 * time.Minute
	oauthMaxPending = 1000 // consents and codes held at most; older ones go first
)

// oauthState is the server's memory of consents being shown and codes not
// yet exchanged. Both are short-lived; a restart forgets them, and the
// plugin starts the flow again.
type oauthState struct {
	mu       sync.Mutex
	consents map[string]*oauthConsent // by consent id
	codes    map[string]*oauthCode    // by hex SHA-256 of the code
	// undelivered are plugins this flow installed whose key no code has
	// delivered yet (plugin id → key id): approving the plugin again
	// replaces that install rather than leaving it keyless for good.
	undelivered map[string]uint64
}

func newOAuthState() *oauthState {
	return &oauthState{consents: map[string]*oauthConsent{}, codes: map[string]*oauthCode{}, undelivered: map[string]uint64{}}
}

// oauthRequest is what the plugin asked for in /oauth/authorize.
type oauthRequest struct {
	ClientID, RedirectURI, Challenge, State, ManifestURL string
}

type oauthConsent struct {
	req      oauthRequest
	userID   uint64
	manifest store.PluginManifest
	expires  time.Time
}

type oauthCode struct {
	clientID, redirectURI, challenge string
	scopes                           []string
	sealed                           []byte // the pk_live_ secret, sealed under the code
	expires                          time.Time
}

// listsRedirect reports whether the manifest names uri exactly as one of its
// oauth.redirect_uris.
func listsRedirect(m store.PluginManifest, uri string) bool {
	if m.OAuth == nil {
		return false
	}
	for _, u := range m.OAuth.RedirectURIs {
		if u != "" && subtle.ConstantTimeCompare([]byte(u), []byte(uri)) == 1 {
			return true
		}
	}
	return false
}

func (s *Server) bindOAuth(r *mux.Router) {
	r.HandleFunc("/oauth/authorize", s.oauthAuthorize).Methods(http.MethodGet)
	r.HandleFunc("/oauth/authorize", s.oauthDecide).Methods(http.MethodPost)
	r.HandleFunc("/oauth/token", s.oauthToken).Methods(http.MethodPost)
}

// oauthPageError is a refusal shown as a page, never as a redirect.
type oauthPageError struct {
	status int
	msg    string
	cont   string // a same-site link to continue by, when the cookie did not come along
}

func (e *oauthPageError) Error() string { return e.msg }

func pageErr(status int, format string, a ...any) error {
	return &oauthPageError{status: status, msg: fmt.Sprintf(format, a...)}
}

// oauthUser is the signed-in staff member, or a page error saying what is missing.
func (s *Server) oauthUser(r *http.Request) (store.User, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return store.User{}, pageErr(http.StatusUnauthorized, "Sign in to the console as the shop's owner, then continue.")
	}
	u, err := s.cfg.Live.SessionUser(c.Value)
	if err != nil {
		return store.User{}, pageErr(http.StatusUnauthorized, "Your session has ended: sign in to the console again, then open this link again.")
	}
	p := &Principal{Type: "session", Session: true, Scopes: store.RoleScopes(u.Role)}
	if !p.hasOwnerPower() {
		return store.User{}, pageErr(http.StatusForbidden, "Only the owner can install plugins.")
	}
	return u, nil
}

// readAuthorize checks the request's parameters, fetches the manifest and
// checks the client and redirect URI against it.
func (s *Server) readAuthorize(r *http.Request, q url.Values) (oauthRequest, store.PluginManifest, error) {
	req := oauthRequest{ClientID: q.Get("client_id"), RedirectURI: q.Get("redirect_uri"),
		Challenge: q.Get("code_challenge"), State: q.Get("state"), ManifestURL: q.Get("manifest_url")}
	var m store.PluginManifest
	switch {
	case req.ClientID == "":
		return req, m, pageErr(http.StatusBadRequest, "The plugin's link names no client_id.")
	case req.RedirectURI == "":
		return req, m, pageErr(http.StatusBadRequest, "The plugin's link names no redirect_uri.")
	case len(req.State) > 512 || len(req.ClientID) > 200 || len(req.RedirectURI) > 2000:
		return req, m, pageErr(http.StatusBadRequest, "The plugin's link is too long (state at most 512 characters).")
	case req.ManifestURL == "":
		return req, m, pageErr(http.StatusBadRequest, "The plugin's link names no manifest_url: Portal cannot tell what it is.")
	}
	if err := s.checkRedirectURI(req.RedirectURI); err != nil {
		return req, m, err
	}
	mu, err := url.Parse(req.ManifestURL)
	if err != nil || (mu.Scheme != "https" && !(s.cfg.Sandbox && mu.Scheme == "http")) || mu.Host == "" {
		return req, m, pageErr(http.StatusBadRequest, "The manifest_url must be an https:// address.")
	}
	// The same fetch, decoding and address checks as POST /plugins.
	m, err = s.fetchManifest(r, req.ManifestURL)
	if err != nil {
		return req, m, pageErr(http.StatusBadRequest, "Portal could not read the plugin's manifest at %s: %v", mu.Host, err)
	}
	if m.ID == "" || subtle.ConstantTimeCompare([]byte(m.ID), []byte(req.ClientID)) != 1 {
		return req, m, pageErr(http.StatusBadRequest, "The client_id %q is not the id of the manifest at %s.", req.ClientID, mu.Host)
	}
	if err := m.Validate(); err != nil {
		return req, m, pageErr(http.StatusBadRequest, "The plugin's manifest at %s is not valid: %v", mu.Host, err)
	}
	if err := s.checkManifestURLs(r, &m); err != nil {
		return req, m, pageErr(http.StatusBadRequest, "The plugin's manifest at %s is not valid: %v", mu.Host, err)
	}
	if !listsRedirect(m, req.RedirectURI) {
		return req, m, pageErr(http.StatusBadRequest, "The redirect_uri is not one the plugin's manifest lists (oauth.redirect_uris).")
	}
	// From here on errors can go back to the plugin: its redirect URI is known good.
	return req, m, nil
}

// checkRedirectURI: absolute, https (http too in the sandbox), no fragment.
func (s *Server) checkRedirectURI(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Fragment != "" || u.User != nil ||
		(u.Scheme != "https" && !(s.cfg.Sandbox && u.Scheme == "http")) {
		return pageErr(http.StatusBadRequest, "The redirect_uri must be an absolute https:// address without a fragment.")
	}
	return nil
}

// redirectBack sends the browser to the plugin's (already checked) redirect URI.
func redirectBack(w http.ResponseWriter, r *http.Request, redirectURI string, params url.Values) {
	u, _ := url.Parse(redirectURI)
	q := u.Query()
	for k, v := range params {
		if len(v) > 0 && v[0] != "" {
			q.Set(k, v[0])
		}
	}
	u.RawQuery = q.Encode()
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u.String(), http.StatusFound)
}

func (s *Server) oauthAuthorize(w http.ResponseWriter, r *http.Request) {
	// Only the owner's session gets as far as fetching a manifest: nobody
	// else can make the appliance fetch anything.
	u, err := s.oauthUser(r)
	if err != nil {
		var pe *oauthPageError
		if errors.As(err, &pe) && pe.status == http.StatusUnauthorized {
			// The session cookie is SameSite=Strict: a link from the
			// plugin's site arrives without it. Following this page's own
			// link to the same address is a same-site navigation, which
			// carries it.
			pe.cont = "/oauth/authorize?" + r.URL.RawQuery
		}
		s.oauthPage(w, err, nil)
		return
	}
	q := r.URL.Query()
	req, m, err := s.readAuthorize(r, q)
	if err != nil {
		s.oauthPage(w, err, nil)
		return
	}
	// The redirect URI is listed: protocol errors go back to the plugin.
	if q.Get("response_type") != "" && q.Get("response_type") != "code" {
		redirectBack(w, r, req.RedirectURI, url.Values{"error": {"unsupported_response_type"}, "state": {req.State}})
		return
	}
	if q.Get("code_challenge_method") != "S256" || !validPKCE(req.Challenge, 43, 43) {
		redirectBack(w, r, req.RedirectURI, url.Values{"error": {"invalid_request"},
			"error_description": {"code_challenge (43 characters, base64url SHA-256) and code_challenge_method=S256 are required"},
			"state":             {req.State}})
		return
	}
	id := randomToken(16)
	s.oauth.mu.Lock()
	s.oauth.sweep(s.cfg.Now())
	s.oauth.consents[id] = &oauthConsent{req: req, userID: u.ID, manifest: m, expires: s.cfg.Now().Add(oauthConsentTTL)}
	s.oauth.mu.Unlock()
	s.oauthPage(w, nil, &consentView{ID: id, M: m, Host: hostOf(req.ManifestURL), Redirect: hostOf(req.RedirectURI),
		Scopes: scopeSentences(m.Scopes), Pricing: pricingSentence(m)})
}

// oauthDecide is the consent form's POST: approve or cancel.
func (s *Server) oauthDecide(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		s.oauthPage(w, pageErr(http.StatusForbidden, "Cross-origin request refused."), nil)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	if err := r.ParseForm(); err != nil {
		s.oauthPage(w, pageErr(http.StatusBadRequest, "Unreadable form."), nil)
		return
	}
	u, err := s.oauthUser(r)
	if err != nil {
		s.oauthPage(w, err, nil)
		return
	}
	now := s.cfg.Now()
	s.oauth.mu.Lock()
	c := s.oauth.consents[r.PostForm.Get("consent")]
	delete(s.oauth.consents, r.PostForm.Get("consent"))
	s.oauth.mu.Unlock()
	if c == nil || c.userID != u.ID || now.After(c.expires) {
		s.oauthPage(w, pageErr(http.StatusBadRequest, "This approval page has expired: open the plugin's install link again."), nil)
		return
	}
	if r.PostForm.Get("decision") != "approve" {
		redirectBack(w, r, c.req.RedirectURI, url.Values{"error": {"access_denied"}, "state": {c.req.State}})
		return
	}
	scopes, secret, err := s.installForOAuth(r.Context(), c.manifest, store.Actor{Type: store.ActorUser, ID: u.ID, Name: u.Name})
	if err != nil {
		s.oauthPage(w, pageErr(http.StatusConflict, "The plugin could not be installed: %v", err), nil)
		return
	}
	code := randomToken(32)
	sealed, err := sealWithCode(code, secret)
	if err != nil {
		s.oauthPage(w, pageErr(http.StatusInternalServerError, "The plugin was installed but no code could be issued; uninstall it and try again."), nil)
		return
	}
	s.oauth.mu.Lock()
	s.oauth.sweep(now)
	for k, old := range s.oauth.codes { // an earlier code for this plugin opens a replaced key: gone
		if old.clientID == c.req.ClientID {
			clear(old.sealed)
			delete(s.oauth.codes, k)
		}
	}
	s.oauth.codes[codeHash(code)] = &oauthCode{clientID: c.req.ClientID, redirectURI: c.req.RedirectURI,
		challenge: c.req.Challenge, scopes: scopes, sealed: sealed, expires: now.Add(oauthCodeTTL)}
	s.oauth.mu.Unlock()
	redirectBack(w, r, c.req.RedirectURI, url.Values{"code": {code}, "state": {c.req.State}})
}

// oauthError is an RFC 6749 §5.2 error.
func oauthError(w http.ResponseWriter, code, desc string) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusBadRequest, map[string]string{"error": code, "error_description": desc})
}

func (s *Server) oauthToken(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8192)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		oauthError(w, "invalid_request", "the body must be application/x-www-form-urlencoded")
		return
	}
	if err := r.ParseForm(); err != nil {
		oauthError(w, "invalid_request", "unreadable form")
		return
	}
	f := r.PostForm
	if f.Get("grant_type") != "authorization_code" {
		if f.Get("grant_type") == "" {
			oauthError(w, "invalid_request", "grant_type is required")
			return
		}
		oauthError(w, "unsupported_grant_type", "only authorization_code is supported")
		return
	}
	for _, name := range []string{"code", "redirect_uri", "code_verifier", "client_id"} {
		if f.Get(name) == "" {
			oauthError(w, "invalid_request", name+" is required")
			return
		}
		if len(f[name]) > 1 {
			oauthError(w, "invalid_request", name+" is given more than once")
			return
		}
	}
	if !validPKCE(f.Get("code_verifier"), 43, 128) {
		oauthError(w, "invalid_request", "code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~")
		return
	}
	now := s.cfg.Now()
	code := f.Get("code")
	s.oauth.mu.Lock()
	g := s.oauth.codes[codeHash(code)]
	delete(s.oauth.codes, codeHash(code)) // single use: presented once, gone, right or wrong
	s.oauth.mu.Unlock()
	if g == nil {
		oauthError(w, "invalid_grant", "the code is unknown, used or expired")
		return
	}
	defer clear(g.sealed)
	switch {
	case now.After(g.expires):
		oauthError(w, "invalid_grant", "the code is unknown, used or expired")
		return
	case subtle.ConstantTimeCompare([]byte(g.clientID), []byte(f.Get("client_id"))) != 1:
		oauthError(w, "invalid_grant", "the code was issued to another client")
		return
	case subtle.ConstantTimeCompare([]byte(g.redirectURI), []byte(f.Get("redirect_uri"))) != 1:
		oauthError(w, "invalid_grant", "redirect_uri is not the one the code was issued for")
		return
	}
	sum := sha256.Sum256([]byte(f.Get("code_verifier")))
	if subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(g.challenge)) != 1 {
		oauthError(w, "invalid_grant", "code_verifier does not match the code_challenge")
		return
	}
	secret, err := openWithCode(code, g.sealed)
	if err != nil {
		oauthError(w, "invalid_grant", "the code is unknown, used or expired")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	s.oauth.mu.Lock()
	delete(s.oauth.undelivered, g.clientID)
	s.oauth.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{"access_token": secret, "token_type": "bearer",
		"scope": strings.Join(g.scopes, " ")})
}

// sweep drops expired consents and codes, and the oldest past the cap.
func (o *oauthState) sweep(now time.Time) {
	for k, c := range o.consents {
		if now.After(c.expires) {
			delete(o.consents, k)
		}
	}
	for k, c := range o.codes {
		if now.After(c.expires) {
			clear(c.sealed)
			delete(o.codes, k)
		}
	}
	for len(o.consents) >= oauthMaxPending {
		for k := range o.consents {
			delete(o.consents, k)
			break
		}
	}
	for len(o.codes) >= oauthMaxPending {
		for k := range o.codes {
			delete(o.codes, k)
			break
		}
	}
}

func codeHash(code string) string {
	sum := sha256.Sum256([]byte("portal oauth code\x00" + code))
	return hex.EncodeToString(sum[:])
}

// codeAEAD keys AES-GCM from the code itself (a different derivation from
// its stored hash): the server's memory alone cannot open the secret.
func codeAEAD(code string) (cipher.AEAD, error) {
	m := hmac.New(sha256.New, []byte("portal oauth seal"))
	m.Write([]byte(code))
	block, err := aes.NewCipher(m.Sum(nil))
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func sealWithCode(code, secret string) ([]byte, error) {
	aead, err := codeAEAD(code)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return aead.Seal(nonce, nonce, []byte(secret), nil), nil
}

func openWithCode(code string, sealed []byte) (string, error) {
	aead, err := codeAEAD(code)
	if err != nil {
		return "", err
	}
	n := aead.NonceSize()
	if len(sealed) < n {
		return "", errors.New("sealed value too short")
	}
	out, err := aead.Open(nil, sealed[:n], sealed[n:], nil)
	if err != nil {
		return "", err
	}
	defer clear(out)
	return string(out), nil
}

func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// validPKCE: RFC 7636's unreserved characters, min to max of them.
func validPKCE(v string, min, max int) bool {
	if len(v) < min || len(v) > max {
		return false
	}
	for _, c := range v {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.ContainsRune("-._~", c)) {
			return false
		}
	}
	return true
}

func hostOf(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Host
	}
	return raw
}

// scopeWords says in plain words what each resource's scopes let a plugin do.
var scopeWords = map[string][2]string{
	"tickets":         {"Read your tickets and their notes", "Create and change tickets and add notes"},
	"customers":       {"Read your customers and their contact details", "Create and change customers"},
	"payments":        {"Read payments", "Record and refund payments"},
	"files":           {"Read files attached to tickets", "Attach files to tickets"},
	"catalog":         {"Read your parts and services catalog", "Change your catalog"},
	"inventory":       {"Read your stock levels", "Adjust your stock"},
	"devices":         {"Read your devices for sale", "Change your devices for sale"},
	"purchase_orders": {"Read your purchase orders", "Create and change purchase orders"},
	"proposals":       {"Read your quotes", "Create and change quotes"},
	"store":           {"Read your shop's details and settings", "Change your shop's details and settings"},
	"users":           {"Read your staff list", "Invite and change staff"},
	"visitors":        {"Read your visitor log", "Sign visitors in and out"},
	"locations":       {"Read your locations", "Change your locations"},
	"contractors":     {"Read your contractors", "Approve and change contractors"},
	"evacuation":      {"Read the evacuation roll call", "Start and end an evacuation"},
	"webhooks":        {"Read your webhooks", "Create and change webhooks"},
	"events":          {"Read the log of what happens in your shop", "Write to the event log"},
	"plugins":         {"See which plugins are installed", "Install and remove plugins"},
	"keys":            {"See your API keys", "Create and revoke API keys"},
}

// scopeSentences is one plain sentence per scope asked; tickets.read with
// customers.read reads "Read your tickets and their customers".
func scopeSentences(scopes []string) []string {
	has := map[string]bool{}
	for _, sc := range scopes {
		has[sc] = true
	}
	var out []string
	for _, sc := range scopes {
		res, kind, _ := strings.Cut(sc, ".")
		switch {
		case sc == "tickets.read" && has["customers.read"]:
			out = append(out, "Read your tickets and their customers")
			continue
		case sc == "customers.read" && has["tickets.read"]:
			continue // said with the tickets
		case sc == "live":
			out = append(out, "Follow what happens in your shop as it happens")
			continue
		case sc == store.BackupScope:
			out = append(out, "Download a full backup of your shop")
			continue
		}
		words, ok := scopeWords[res]
		switch {
		case ok && kind == "read":
			out = append(out, words[0])
		case ok && kind == "write":
			out = append(out, words[1])
		default:
			out = append(out, "Use the permission "+sc)
		}
	}
	return out
}

func pricingSentence(m store.PluginManifest) string {
	p := m.Pricing
	if p == nil || p.Model == "" || p.Model == "free" || p.Price == 0 {
		return "Free"
	}
	s := fmt.Sprintf("%.2f", p.Price)
	switch p.Model {
	case "monthly":
		s += " a month"
	case "yearly", "annual":
		s += " a year"
	case "one_time":
		s += " once"
	}
	if p.TrialDays > 0 {
		s += fmt.Sprintf(", free for the first %d days", p.TrialDays)
	}
	return s
}

type consentView struct {
	ID       string
	M        store.PluginManifest
	Host     string
	Redirect string
	Scopes   []string
	Pricing  string
}

var oauthTmpl = template.Must(template.New("oauth").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{if .C}}Install {{.C.M.Name}}{{else}}Plugin install{{end}} · Portal</title>
<link rel="stylesheet" href="/style.css">
<style>main{max-width:34rem;margin:2rem auto;padding:0 1rem;font-family:system-ui,sans-serif;line-height:1.5}
.actions{display:flex;gap:.75rem;flex-wrap:wrap;margin-top:1.5rem}
.muted{color:var(--muted)}ul{padding-left:1.25rem}</style></head>
<body><main>
{{if .Err}}<h1>Plugin install</h1><p role="alert">{{.Err}}</p>
{{if .Continue}}<p>Signed in already? <a href="{{.Continue}}">Continue to the plugin's request</a></p>{{end}}
<p><a href="/">Back to the console</a></p>
{{else}}{{with .C}}<h1>Install {{.M.Name}}?</h1>
<p>{{if .M.Author.Name}}By {{.M.Author.Name}}{{end}}{{if .M.Version}} · version {{.M.Version}}{{end}} · manifest from <strong>{{.Host}}</strong></p>
{{if .M.Description}}<p>{{.M.Description}}</p>{{end}}
<p>Pricing: {{.Pricing}}</p>
<h2>It will be able to</h2>
<ul>{{range .Scopes}}<li>{{.}}</li>{{else}}<li>Nothing beyond knowing it is installed</li>{{end}}</ul>
<p class="muted">After you approve, you return to {{.Redirect}}.</p>
<form method="post" action="/oauth/authorize">
<input type="hidden" name="consent" value="{{.ID}}">
<div class="actions"><button type="submit" name="decision" value="approve">Approve and install</button>
<button type="submit" class="secondary" name="decision" value="cancel">Cancel</button></div>
</form>{{end}}{{end}}
</main></body></html>`))

// oauthPage renders the consent page, or err as an error page.
func (s *Server) oauthPage(w http.ResponseWriter, err error, c *consentView) {
	status := http.StatusOK
	data := struct {
		Err      string
		Continue string
		C        *consentView
	}{C: c}
	if err != nil {
		var pe *oauthPageError
		if !errors.As(err, &pe) {
			pe = &oauthPageError{status: http.StatusInternalServerError, msg: "Something went wrong."}
		}
		status, data.Err, data.Continue = pe.status, pe.msg, pe.cont
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY") // no clickjacking of the Approve button
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
	// same-origin, not no-referrer: under no-referrer a browser sends
	// "Origin: null" with the form's POST, which sameOrigin refuses.
	h.Set("Referrer-Policy", "same-origin")
	w.WriteHeader(status)
	_ = oauthTmpl.Execute(w, data)
}
