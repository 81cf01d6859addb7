package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"portal/store"
)

// pluginSite is a plugin's own web site: it serves the manifest and is the
// redirect URI's host (which the test never follows: it reads the Location).
type pluginSite struct {
	*httptest.Server
	manifest map[string]any
	fetched  atomic.Int32 // manifest requests served
}

func newPluginSite(t *testing.T) *pluginSite {
	t.Helper()
	ps := &pluginSite{}
	ps.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/portal-plugin.json" {
			http.NotFound(w, r)
			return
		}
		ps.fetched.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(ps.manifest)
	}))
	t.Cleanup(ps.Close)
	ps.manifest = map[string]any{
		"manifest_version": 1, "id": "quickbooks-sync", "name": "QuickBooks Sync", "version": "1.2.0",
		"description": "Sync invoices and payments with QuickBooks Online.",
		"author":      map[string]any{"name": "RepairTech Solutions", "website": "https://repairtechsolutions.com"},
		"category":    "accounting", "pricing": map[string]any{"model": "monthly", "price": 9.99, "trial_days": 14},
		"scopes": []string{"tickets.read", "customers.read", "store.read"},
		"oauth":  map[string]any{"redirect_uris": []string{ps.URL + "/callback"}},
	}
	return ps
}

const testVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-more-than-43-chars"

func challengeOf(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// oauthFlow is one install attempt: a browser (the owner's session) and the plugin's site.
type oauthFlow struct {
	t       *testing.T
	ts      *testServer
	site    *pluginSite
	browser *client
}

func newOAuthFlow(t *testing.T) *oauthFlow {
	t.Helper()
	ts := newTestServerWith(t, serverOptions{Sandbox: true})
	owner, _ := signedIn(t, ts)
	return &oauthFlow{t: t, ts: ts, site: newPluginSite(t), browser: owner}
}

func (f *oauthFlow) params() url.Values {
	return url.Values{"client_id": {"quickbooks-sync"}, "redirect_uri": {f.site.URL + "/callback"},
		"response_type": {"code"}, "code_challenge": {challengeOf(testVerifier)}, "code_challenge_method": {"S256"},
		"state": {"xyz-123"}, "manifest_url": {f.site.URL + "/portal-plugin.json"}}
}

// raw sends a request without following redirects.
func (f *oauthFlow) raw(c *client, method, path string, form url.Values) (*http.Response, string) {
	f.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, f.ts.HTTP.URL+path, body)
	if err != nil {
		f.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if c != nil {
		if c.cookie != nil {
			req.AddCookie(c.cookie)
		}
		if c.origin != "" {
			req.Header.Set("Origin", c.origin)
		}
	}
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := hc.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

var consentRe = regexp.MustCompile(`name="consent" value="([^"]+)"`)

// authorize opens the consent page as c and returns the consent id.
func (f *oauthFlow) authorize(c *client, p url.Values) string {
	f.t.Helper()
	res, page := f.raw(c, "GET", "/oauth/authorize?"+p.Encode(), nil)
	if res.StatusCode != http.StatusOK {
		f.t.Fatalf("authorize: %d %s", res.StatusCode, page)
	}
	m := consentRe.FindStringSubmatch(page)
	if m == nil {
		f.t.Fatalf("no consent form: %s", page)
	}
	return m[1]
}

// decide posts the consent form and returns the redirect's query.
func (f *oauthFlow) decide(c *client, consent, decision string) url.Values {
	f.t.Helper()
	res, page := f.raw(c, "POST", "/oauth/authorize", url.Values{"consent": {consent}, "decision": {decision}})
	if res.StatusCode != http.StatusFound {
		f.t.Fatalf("decide: %d %s", res.StatusCode, page)
	}
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(loc.String(), f.site.URL+"/callback?") {
		f.t.Fatalf("redirected to %q", res.Header.Get("Location"))
	}
	return loc.Query()
}

// code runs the flow to a code; a plugin a step before installed is
// uninstalled first, since the flow installs a plugin only once.
func (f *oauthFlow) code() string {
	f.t.Helper()
	if err := f.ts.Live.UninstallPlugin(context.Background(), "quickbooks-sync"); err != nil && !errors.Is(err, store.ErrNotFound) {
		f.t.Fatal(err)
	}
	q := f.decide(f.browser, f.authorize(f.browser, f.params()), "approve")
	if q.Get("state") != "xyz-123" || q.Get("code") == "" {
		f.t.Fatalf("redirect query %v", q)
	}
	return q.Get("code")
}

func (f *oauthFlow) tokenForm(code string) url.Values {
	return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {f.site.URL + "/callback"},
		"code_verifier": {testVerifier}, "client_id": {"quickbooks-sync"}}
}

// token posts to /oauth/token as the plugin's server would (no cookie, no Origin).
func (f *oauthFlow) token(form url.Values) (int, map[string]string, http.Header) {
	f.t.Helper()
	res, body := f.raw(nil, "POST", "/oauth/token", form)
	var out map[string]string
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		f.t.Fatalf("token answer %d %q: %v", res.StatusCode, body, err)
	}
	return res.StatusCode, out, res.Header
}

func (f *oauthFlow) wantTokenError(form url.Values, code string) {
	f.t.Helper()
	status, out, h := f.token(form)
	if status != http.StatusBadRequest || out["error"] != code || out["access_token"] != "" {
		f.t.Fatalf("want 400 %s, got %d %v", code, status, out)
	}
	if h.Get("Cache-Control") != "no-store" {
		f.t.Errorf("token error Cache-Control %q", h.Get("Cache-Control"))
	}
}

func TestOAuthInstallWholeFlow(t *testing.T) {
	t.Parallel()
	f := newOAuthFlow(t)
	res, page := f.raw(f.browser, "GET", "/oauth/authorize?"+f.params().Encode(), nil)
	if h := res.Header; h.Get("X-Frame-Options") != "DENY" || !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") ||
		h.Get("Cache-Control") != "no-store" || h.Get("Referrer-Policy") != "same-origin" {
		t.Errorf("consent page headers %v", h)
	}
	for _, want := range []string{"QuickBooks Sync", "RepairTech Solutions", "9.99 a month, free for the first 14 days",
		"Read your tickets and their customers", "Read your shop&#39;s details and settings", "Approve and install", "Cancel"} {
		if !strings.Contains(page, want) {
			t.Errorf("consent page lacks %q", want)
		}
	}
	code := f.code()
	status, out, h := f.token(f.tokenForm(code))
	if status != http.StatusOK || !strings.HasPrefix(out["access_token"], "pk_live_") || out["token_type"] != "bearer" ||
		out["scope"] != "tickets.read customers.read store.read" {
		t.Fatalf("token: %d %v", status, out)
	}
	if h.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q", h.Get("Cache-Control"))
	}
	k, err := f.ts.Live.Authenticate(out["access_token"])
	if err != nil || k.Type != store.KeyPlugin {
		t.Fatalf("the access token is no plugin key: %+v %v", k, err)
	}
	plugin := f.ts.anonymous()
	plugin.key = out["access_token"]
	plugin.get("/tickets").ok(http.StatusOK, nil)
	plugin.get("/webhooks").fail(http.StatusForbidden, "FORBIDDEN")

	// The code is single use: the second exchange gets nothing.
	f.wantTokenError(f.tokenForm(code), "invalid_grant")

	p, err := f.ts.Live.Plugin("quickbooks-sync")
	if err != nil || p.KeyID != k.ID || p.InstalledBy.Name != "Olive Owner" {
		t.Fatalf("installed plugin %+v %v", p, err)
	}
	// Installed already: the flow again is an error page, no second key.
	consent := f.authorize(f.browser, f.params())
	res, page = f.raw(f.browser, "POST", "/oauth/authorize", url.Values{"consent": {consent}, "decision": {"approve"}})
	if res.StatusCode != http.StatusConflict || res.Header.Get("Location") != "" || !strings.Contains(page, "already installed") {
		t.Fatalf("installing twice: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
}

func TestOAuthTokenRefusals(t *testing.T) {
	t.Parallel()
	f := newOAuthFlow(t)

	wrong := func(name, value string) url.Values {
		form := f.tokenForm(f.code())
		form.Set(name, value)
		return form
	}
	f.wantTokenError(wrong("code_verifier", strings.Repeat("a", 50)), "invalid_grant")
	f.wantTokenError(wrong("redirect_uri", f.site.URL+"/other"), "invalid_grant")
	f.wantTokenError(wrong("client_id", "another-plugin"), "invalid_grant")
	f.wantTokenError(wrong("grant_type", "client_credentials"), "unsupported_grant_type")
	f.wantTokenError(wrong("code_verifier", "short"), "invalid_request")
	f.wantTokenError(wrong("code", "nonsense"), "invalid_grant")

	// A code presented with a wrong verifier is spent: the right one then fails too.
	code := f.code()
	form := f.tokenForm(code)
	form.Set("code_verifier", strings.Repeat("b", 43))
	f.wantTokenError(form, "invalid_grant")
	f.wantTokenError(f.tokenForm(code), "invalid_grant")

	// Expired: 60 seconds on the server's clock.
	code = f.code()
	f.ts.Clock.Advance(61 * time.Second)
	f.wantTokenError(f.tokenForm(code), "invalid_grant")

	// Just in time still works.
	code = f.code()
	f.ts.Clock.Advance(59 * time.Second)
	if status, out, _ := f.token(f.tokenForm(code)); status != http.StatusOK {
		t.Fatalf("a code 59 s old: %d %v", status, out)
	}

	missing := f.tokenForm("x")
	missing.Del("code_verifier")
	f.wantTokenError(missing, "invalid_request")
	res, _ := f.raw(nil, "POST", "/oauth/token", nil)
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("no form: %d", res.StatusCode)
	}
}

func TestOAuthCancelRedirectsWithAccessDenied(t *testing.T) {
	t.Parallel()
	f := newOAuthFlow(t)
	q := f.decide(f.browser, f.authorize(f.browser, f.params()), "cancel")
	if q.Get("error") != "access_denied" || q.Get("state") != "xyz-123" || q.Get("code") != "" {
		t.Fatalf("cancel redirect query %v", q)
	}
	keys, err := f.ts.Live.Keys()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if k.Type == store.KeyPlugin {
			t.Fatalf("cancel installed a key: %+v", k)
		}
	}
}

// A bad client or redirect URI is an error page, never a redirect.
func TestOAuthBadClientOrRedirectIsAPage(t *testing.T) {
	t.Parallel()
	f := newOAuthFlow(t)
	cases := map[string]func(url.Values){
		"unlisted redirect":     func(p url.Values) { p.Set("redirect_uri", "https://evil.example/callback") },
		"listed prefix only":    func(p url.Values) { p.Set("redirect_uri", f.site.URL+"/callback/extra") },
		"other client":          func(p url.Values) { p.Set("client_id", "another-plugin") },
		"no manifest":           func(p url.Values) { p.Del("manifest_url") },
		"manifest not found":    func(p url.Values) { p.Set("manifest_url", f.site.URL+"/missing.json") },
		"javascript redirect":   func(p url.Values) { p.Set("redirect_uri", "javascript:alert(1)") },
		"redirect with a frag":  func(p url.Values) { p.Set("redirect_uri", f.site.URL+"/callback#x") },
		"no client":             func(p url.Values) { p.Del("client_id") },
		"state too long":        func(p url.Values) { p.Set("state", strings.Repeat("s", 600)) },
		"manifest not https":    func(p url.Values) { p.Set("manifest_url", "ftp://example.com/x.json") },
		"manifest from private": func(p url.Values) { p.Set("manifest_url", "http://10.0.0.1/portal-plugin.json") },
	}
	for name, mod := range cases {
		p := f.params()
		mod(p)
		res, page := f.raw(f.browser, "GET", "/oauth/authorize?"+p.Encode(), nil)
		if res.StatusCode < 400 || res.Header.Get("Location") != "" || !strings.Contains(res.Header.Get("Content-Type"), "text/html") {
			t.Errorf("%s: %d %q", name, res.StatusCode, res.Header.Get("Location"))
		}
		if strings.Contains(page, `name="consent"`) {
			t.Errorf("%s: shows a consent form", name)
		}
	}

	// A manifest the plugin store would refuse is never shown for approval.
	f.site.manifest["scopes"] = []string{"everything"}
	res, page := f.raw(f.browser, "GET", "/oauth/authorize?"+f.params().Encode(), nil)
	if res.StatusCode != http.StatusBadRequest || strings.Contains(page, `name="consent"`) || !strings.Contains(page, "scopes") {
		t.Errorf("invalid manifest: %d %s", res.StatusCode, page)
	}
	f.site.manifest["scopes"] = []string{"tickets.read"}

	// A listed redirect URI gets protocol errors back by redirect.
	p := f.params()
	p.Set("code_challenge_method", "plain")
	res, _ = f.raw(f.browser, "GET", "/oauth/authorize?"+p.Encode(), nil)
	loc, _ := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusFound || loc.Query().Get("error") != "invalid_request" || loc.Query().Get("state") != "xyz-123" {
		t.Errorf("plain PKCE: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
}

func TestOAuthPrivateManifestRefusedOutsideSandbox(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t) // not the sandbox: loopback is private
	owner, _ := signedIn(t, ts)
	f := &oauthFlow{t: t, ts: ts, site: newPluginSite(t), browser: owner}
	res, page := f.raw(owner, "GET", "/oauth/authorize?"+f.params().Encode(), nil)
	if res.StatusCode < 400 || res.Header.Get("Location") != "" || strings.Contains(page, `name="consent"`) {
		t.Fatalf("a loopback manifest outside the sandbox: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
}

func TestOAuthOnlyTheOwnerApproves(t *testing.T) {
	t.Parallel()
	f := newOAuthFlow(t)
	ctx := context.Background()
	_, invite, err := f.ts.Live.InviteUser(ctx, store.InviteInput{Name: "Morgan", Email: "morgan@example.com", Role: "manager"})
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := f.ts.Live.AcceptInvite(ctx, invite, "manager password 123")
	if err != nil {
		t.Fatal(err)
	}
	manager := f.ts.anonymous()
	manager.origin = f.ts.origin()
	manager.cookie = &http.Cookie{Name: "portal_session", Value: token}

	res, page := f.raw(manager, "GET", "/oauth/authorize?"+f.params().Encode(), nil)
	if res.StatusCode != http.StatusForbidden || !strings.Contains(page, "Only the owner can install plugins") {
		t.Fatalf("manager sees %d %s", res.StatusCode, page)
	}
	if n := f.site.fetched.Load(); n != 0 {
		t.Fatalf("a manager's visit fetched the manifest %d times", n)
	}
	// Nor can a manager post the owner's consent.
	consent := f.authorize(f.browser, f.params())
	res, _ = f.raw(manager, "POST", "/oauth/authorize", url.Values{"consent": {consent}, "decision": {"approve"}})
	if res.StatusCode != http.StatusForbidden || res.Header.Get("Location") != "" {
		t.Fatalf("manager approving: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	// Nobody signed in: a page asking to sign in.
	before := f.site.fetched.Load()
	res, page = f.raw(f.ts.anonymous(), "GET", "/oauth/authorize?"+f.params().Encode(), nil)
	if res.StatusCode != http.StatusUnauthorized || f.site.fetched.Load() != before {
		t.Fatalf("anonymous: %d, fetched the manifest: %v", res.StatusCode, f.site.fetched.Load() != before)
	}
	// A cross-site link arrives without the Strict cookie: the page links
	// to the same request, a same-site navigation that carries it.
	cont := regexp.MustCompile(`href="(/oauth/authorize\?[^"]+)"`).FindStringSubmatch(page)
	if cont == nil {
		t.Fatalf("no continue link: %s", page)
	}
	res, _ = f.raw(f.browser, "GET", html.UnescapeString(cont[1]), nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("continuing: %d", res.StatusCode)
	}
	// A cross-site POST (no same Origin) is refused even with the owner's cookie.
	cross := *f.browser
	cross.origin = "https://evil.example"
	res, _ = f.raw(&cross, "POST", "/oauth/authorize", url.Values{"consent": {consent}, "decision": {"approve"}})
	if res.StatusCode != http.StatusForbidden || res.Header.Get("Location") != "" {
		t.Fatalf("cross-origin approve: %d", res.StatusCode)
	}
	// The consent is still good for the owner, once.
	f.decide(f.browser, consent, "approve")
	res, _ = f.raw(f.browser, "POST", "/oauth/authorize", url.Values{"consent": {consent}, "decision": {"approve"}})
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("a consent used twice: %d", res.StatusCode)
	}
}

// A key no code delivered (the code expired) does not block the plugin for
// good: approving it again installs it afresh, and the first key is dead.
func TestOAuthUndeliveredInstallIsReplaced(t *testing.T) {
	t.Parallel()
	f := newOAuthFlow(t)
	first := f.code()
	p1, err := f.ts.Live.Plugin("quickbooks-sync")
	if err != nil {
		t.Fatal(err)
	}
	f.ts.Clock.Advance(2 * time.Minute)
	f.wantTokenError(f.tokenForm(first), "invalid_grant")

	// Approve again without uninstalling (not through f.code, which uninstalls).
	q := f.decide(f.browser, f.authorize(f.browser, f.params()), "approve")
	status, out, _ := f.token(f.tokenForm(q.Get("code")))
	if status != http.StatusOK {
		t.Fatalf("second install: %d %v", status, out)
	}
	p2, err := f.ts.Live.Plugin("quickbooks-sync")
	if err != nil || p2.KeyID == p1.KeyID {
		t.Fatalf("the plugin keeps its undelivered key: %+v %v", p2, err)
	}
	if k, err := f.ts.Live.Authenticate(out["access_token"]); err != nil || k.ID != p2.KeyID {
		t.Fatalf("delivered key %+v %v", k, err)
	}
}
