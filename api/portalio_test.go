package api_test

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"portal/hooks"
	"portal/store"
)

// The Portal.io-style subscription API (/public/webhook/…) end to end,
// authenticated by X-MSS request signing as API.md describes it.

// independentMSSSignature signs a request straight from API.md's text,
// without the hooks package: base64(HMAC-SHA256(key = the app secret's UTF-8
// bytes, message = method + base URL + Content-Type (not for GET or DELETE)
// + date header + user key)).
func independentMSSSignature(appSecret, method, baseURL, contentType, date, userKey string) string {
	msg := method + baseURL
	if method != http.MethodGet && method != http.MethodDelete {
		msg += contentType
	}
	msg += date + userKey
	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write([]byte(msg))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// The independent signer and the hooks package both reproduce the X-MSS
// vectors of ../shared/vectors/webhook-signatures.json.
func TestPortalioSignersMatchTheVectors(t *testing.T) {
	t.Parallel()
	const secret, userKey, date = "app_secret_0123456789abcdef", "uk_live_exampleuserkey", "Mon, 06 Apr 2026 00:22:19 GMT"
	for _, v := range []struct{ method, rawURL, contentType, want string }{
		{"GET", "https://shop.example/public/webhook/subscriptions?ignored=1", "", "tGHVGJLU3c1GgxhbE7pqNW7XZ//Y7nDIBpBPzWbVi4A="},
		{"POST", "https://shop.example/public/webhook/subscribe", "application/x-www-form-urlencoded", "mC4C9vqwaz1OjZYvHk8V3xeVH62pNvCz/QhfFjvMSyI="},
	} {
		u, err := url.Parse(v.rawURL)
		if err != nil {
			t.Fatal(err)
		}
		base := u.Scheme + "://" + u.Host + u.Path
		if got := independentMSSSignature(secret, v.method, base, v.contentType, date, userKey); got != v.want {
			t.Errorf("independent %s: %s, want %s", v.method, got, v.want)
		}
		if got := hooks.MSSSign(secret, hooks.MSSCanonical(v.method, hooks.MSSBaseURL(u), v.contentType, date, userKey)); got != v.want {
			t.Errorf("hooks %s: %s, want %s", v.method, got, v.want)
		}
	}
}

// mssCreds are an app credential and a user key, as an integrator holds them.
type mssCreds struct {
	appID, appSecret, userKey string
}

// newMSSCreds mints app credentials and a user key (of the owner) with scopes.
func newMSSCreds(ts *testServer, scopes ...string) mssCreds {
	ts.t.Helper()
	app, err := ts.Live.CreateKey(context.Background(), store.KeyInput{Type: store.KeyApp, Name: "ERP connector"}, ts.Sealer)
	if err != nil {
		ts.t.Fatal(err)
	}
	if !strings.HasPrefix(app.Secret, "app_") || app.AppSecret == "" {
		ts.t.Fatalf("app credentials %q / %q", app.Secret, app.AppSecret)
	}
	user := ts.client(keySpec{Type: store.KeyUser, Scopes: scopes})
	return mssCreds{appID: app.Secret, appSecret: app.AppSecret, userKey: user.key}
}

// mssOpts vary one signed request.
type mssOpts struct {
	date        string // X-MSS-CUSTOM-DATE; default the server clock's now
	secret      string // signing key; default the app secret
	signedURL   string // the base URL signed; default the one addressed
	signedType  string // the Content-Type signed; default the one sent
	independent bool   // sign with independentMSSSignature instead of hooks
	drop        string // a header left out
	appID       string // sent instead of the app id
	userKey     string // sent (and signed) instead of the user key
	signedKey   string // the user key signed; default the one sent
	signedVerb  string // the method signed; default the one used
	query       string // appended to the addressed URL, not signed
}

// pio sends a Portal.io-style request signed as API.md says.
func (ts *testServer) pio(cr mssCreds, method, path, contentType, body string, opt ...func(*mssOpts)) *response {
	ts.t.Helper()
	o := mssOpts{date: ts.Clock.Now().UTC().Format(http.TimeFormat), secret: cr.appSecret, signedType: contentType,
		appID: cr.appID, userKey: cr.userKey}
	for _, f := range opt {
		f(&o)
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, ts.HTTP.URL+path+o.query, rd)
	if err != nil {
		ts.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	base := o.signedURL
	if base == "" {
		base = hooks.MSSBaseURL(req.URL)
	}
	verb, key := cmp.Or(o.signedVerb, method), cmp.Or(o.signedKey, o.userKey)
	var sig string
	if o.independent {
		sig = independentMSSSignature(o.secret, verb, base, o.signedType, o.date, key)
	} else {
		sig = hooks.MSSSign(o.secret, hooks.MSSCanonical(verb, base, o.signedType, o.date, key))
	}
	req.Header.Set("X-MSS-API-APPID", o.appID)
	req.Header.Set("X-MSS-API-USERKEY", o.userKey)
	req.Header.Set("X-MSS-CUSTOM-DATE", o.date)
	req.Header.Set("X-MSS-SIGNATURE", sig)
	if o.drop != "" {
		req.Header.Del(o.drop)
	}
	res, err := ts.HTTP.Client().Do(req)
	if err != nil {
		ts.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		ts.t.Fatal(err)
	}
	return &response{t: ts.t, req: method + " " + path, Status: res.StatusCode, Header: res.Header, Body: raw}
}

const formType = "application/x-www-form-urlencoded"

// plain checks a status and a plain JSON answer (no envelope) and decodes it.
func (r *response) plain(status int, v any) {
	r.t.Helper()
	if r.Status != status {
		r.t.Fatalf("%s: status %d, want %d\n%s", r.req, r.Status, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		r.t.Fatalf("%s: Content-Type %q", r.req, ct)
	}
	if strings.HasPrefix(strings.TrimSpace(string(r.Body)), "{") {
		if slices.Contains(r.keys(), "success") {
			r.t.Fatalf("%s: answered in our envelope, want Portal.io's plain JSON: %s", r.req, r.Body)
		}
	}
	if err := json.Unmarshal(r.Body, v); err != nil {
		r.t.Fatalf("%s: %v\n%s", r.req, err, r.Body)
	}
}

// pioFail checks a Portal.io-style error answer and returns its message.
func (r *response) pioFail(status int) string {
	r.t.Helper()
	var e struct {
		Error  string `json:"error"`
		Status int    `json:"status"`
	}
	r.plain(status, &e)
	if e.Error == "" || e.Status != status {
		r.t.Fatalf("%s: error answer %s", r.req, r.Body)
	}
	return e.Error
}

// subscription is Portal.io's view of a webhook.
type subscription struct {
	SubscriptionID uint64   `json:"subscriptionId"`
	URL            string   `json:"url"`
	Description    string   `json:"description"`
	Enabled        bool     `json:"enabled"`
	SecretKey      string   `json:"secretKey"`
	Events         []string `json:"events"`
}

var subscriptionKeys = []string{"subscriptionId", "url", "description", "enabled", "secretKey", "events"}

func (ts *testServer) pioList(cr mssCreds) []subscription {
	ts.t.Helper()
	var list []subscription
	res := ts.pio(cr, http.MethodGet, "/public/webhook/subscriptions", "", "")
	res.plain(http.StatusOK, &list)
	if list == nil {
		ts.t.Fatalf("list is %s, want an array", res.Body)
	}
	return list
}

// subscriberScopes are what an integration's user key holds: the webhooks
// scopes and the read scopes of the records its events carry.
var subscriberScopes = []string{"webhooks.read", "webhooks.write", "customers.read", "proposals.read", "payments.read", "purchase_orders.read"}

// A subscription that could never fire is refused, naming what is missing,
// rather than answered 200 and left silent (API.md's own example key).
func TestSubscriptionsTheKeyCouldNeverReceiveAreRefused(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t, internalKey)
	cr := newMSSCreds(ts, "webhooks.read", "webhooks.write")
	msg := ts.pio(cr, http.MethodPost, "/public/webhook/subscribe", formType,
		url.Values{"Url": {publicURL}, "Events": {"PersonModification"}}.Encode()).pioFail(http.StatusForbidden)
	if !strings.Contains(msg, "customers.read") {
		t.Errorf("403 %q does not name customers.read", msg)
	}
	ok := newMSSCreds(ts, "webhooks.read", "webhooks.write", "customers.read")
	var sub subscription
	ts.pio(ok, http.MethodPost, "/public/webhook/subscribe", formType,
		url.Values{"Url": {publicURL}, "Events": {"PersonModification"}}.Encode()).plain(http.StatusOK, &sub)
	msg = ts.pio(ok, http.MethodPost, fmt.Sprintf("/public/webhook/subscription/%d", sub.SubscriptionID), formType,
		url.Values{"Events": {"PersonModification,ProposalStatusChanged"}}.Encode()).pioFail(http.StatusForbidden)
	if !strings.Contains(msg, "proposals.read") || strings.Contains(msg, "customers.read") {
		t.Errorf("403 %q should name proposals.read alone", msg)
	}

	// Our own API: a 422 naming each event and the scope it needs.
	c := ts.client(keySpec{Type: store.KeyPlugin, Scopes: []string{"webhooks.read", "webhooks.write", "tickets.read"}})
	e := c.post("/webhooks", map[string]any{"url": publicURL, "events": []string{"ticket.created", "customer.*", "payment.received"}}).
		fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "events", "events")
	if !strings.Contains(e.Details[0].Message, "customer.* needs customers.read") || !strings.Contains(e.Details[1].Message, "payments.read") {
		t.Errorf("details %+v", e.Details)
	}
	bare := ts.client(keySpec{Type: store.KeyPlugin, Scopes: []string{"webhooks.write"}}) // reads no event at all
	bare.post("/webhooks", map[string]any{"url": publicURL, "events": []string{"*"}}).
		fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "events")
	w := c.newWebhook(map[string]any{"url": publicURL, "events": []string{"*"}}) // "*": whatever it may read
	c.patch(fmt.Sprintf("/webhooks/%d", w.ID), map[string]any{"events": []string{"customer.created"}}).
		fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "events")
}

func TestPortalioSubscriptionLifecycle(t *testing.T) {
	t.Parallel()
	ts, admin := newServer(t, internalKey)
	cr := newMSSCreds(ts, subscriberScopes...)

	// No subscriptions: an empty array.
	empty := ts.pio(cr, http.MethodGet, "/public/webhook/subscriptions", "", "")
	var none []subscription
	empty.plain(http.StatusOK, &none)
	if strings.TrimSpace(string(empty.Body)) != "[]" {
		t.Fatalf("no subscriptions: %s, want []", empty.Body)
	}

	// Subscribe, form-encoded as Portal.io's own clients do.
	form := url.Values{"Url": {publicURL + "/prod"}, "Events": {"PersonModification, ProposalStatusChanged"},
		"Description": {"Production webhook"}}
	res := ts.pio(cr, http.MethodPost, "/public/webhook/subscribe", formType, form.Encode())
	var prod subscription
	res.plain(http.StatusOK, &prod)
	if !slices.Equal(res.keys(), subscriptionKeys) {
		t.Fatalf("keys %v, want %v", res.keys(), subscriptionKeys)
	}
	if prod.SubscriptionID == 0 || prod.URL != publicURL+"/prod" || prod.Description != "Production webhook" || !prod.Enabled ||
		!strings.HasPrefix(prod.SecretKey, "whsec_") || !slices.Equal(prod.Events, []string{"PersonModification", "ProposalStatusChanged"}) {
		t.Fatalf("subscribed %+v", prod)
	}

	// And as JSON, signed by the independent signer.
	body := `{"url":"` + publicURL + `/staging","events":["ProposalOutlineStatusChanged","customer.created"],"description":"Staging webhook","enabled":false}`
	var staging subscription
	ts.pio(cr, http.MethodPost, "/public/webhook/subscribe", "application/json", body,
		func(o *mssOpts) { o.independent = true }).plain(http.StatusOK, &staging)
	if staging.SubscriptionID == prod.SubscriptionID || staging.Enabled || staging.Description != "Staging webhook" ||
		!slices.Equal(staging.Events, []string{"ProposalOutlineStatusChanged", "customer.created"}) ||
		!strings.HasPrefix(staging.SecretKey, "whsec_") || staging.SecretKey == prod.SecretKey {
		t.Fatalf("subscribed %+v", staging)
	}

	// A webhook of another format is not a subscription.
	other := admin.newWebhook(map[string]any{"url": publicURL, "events": []string{"*"}})

	// The list shows both, with their secrets (as seed 003 does).
	list := ts.pioList(cr)
	if !reflect.DeepEqual(list, []subscription{prod, staging}) {
		t.Fatalf("list %+v, want %+v", list, []subscription{prod, staging})
	}
	// The same subscriptions are webhooks of format portalio.
	var hooksList []webhook
	apiRes := admin.get("/webhooks")
	apiRes.ok(http.StatusOK, &hooksList)
	if len(hooksList) != 3 {
		t.Fatalf("GET /webhooks: %+v", hooksList)
	}
	for i, s := range []subscription{prod, staging} {
		w := hooksList[i]
		if w.ID != s.SubscriptionID || w.Format != "portalio" || w.URL != s.URL || w.Enabled != s.Enabled ||
			w.Description != s.Description || !slices.Equal(w.Events, s.Events) {
			t.Errorf("webhook %+v for subscription %+v", w, s)
		}
		if strings.Contains(string(apiRes.Body), s.SecretKey) {
			t.Errorf("GET /webhooks shows subscription %d's secret", s.SubscriptionID)
		}
	}

	// Update, form-encoded: description, events, enabled; the secret stays.
	form = url.Values{"Description": {"Renamed"}, "Enabled": {"false"}, "Events": {"ProposalBuildStatusChanged"}}
	var upd subscription
	ts.pio(cr, http.MethodPost, fmt.Sprintf("/public/webhook/subscription/%d", prod.SubscriptionID), formType, form.Encode()).
		plain(http.StatusOK, &upd)
	want := prod
	want.Description, want.Enabled, want.Events = "Renamed", false, []string{"ProposalBuildStatusChanged"}
	if !reflect.DeepEqual(upd, want) {
		t.Fatalf("updated %+v, want %+v", upd, want)
	}
	// And as JSON: a new url, enabled again.
	ts.pio(cr, http.MethodPost, fmt.Sprintf("/public/webhook/subscription/%d", staging.SubscriptionID), "application/json",
		`{"url":"`+publicURL+`/v2","enabled":true}`).plain(http.StatusOK, &upd)
	if upd.URL != publicURL+"/v2" || !upd.Enabled || upd.SecretKey != staging.SecretKey || upd.Description != "Staging webhook" {
		t.Fatalf("updated %+v", upd)
	}
	var w webhook
	admin.get(fmt.Sprintf("/webhooks/%d", prod.SubscriptionID)).ok(http.StatusOK, &w)
	if w.Enabled || w.Description != "Renamed" || !slices.Equal(w.Events, []string{"ProposalBuildStatusChanged"}) {
		t.Fatalf("GET /webhooks/{id} after the update: %+v", w)
	}

	// Unknown ids, and a webhook that is not a portalio subscription, are 404.
	for _, id := range []string{"9999", "abc", fmt.Sprint(other.ID)} {
		ts.pio(cr, http.MethodPost, "/public/webhook/subscription/"+id, formType, "Description=x").pioFail(http.StatusNotFound)
		ts.pio(cr, http.MethodDelete, "/public/webhook/unsubscribe/"+id, "", "").pioFail(http.StatusNotFound)
	}
	admin.get(fmt.Sprintf("/webhooks/%d", other.ID)).ok(http.StatusOK, nil)

	// Unsubscribe.
	var del struct {
		SubscriptionID uint64 `json:"subscriptionId"`
		Deleted        bool   `json:"deleted"`
	}
	ts.pio(cr, http.MethodDelete, fmt.Sprintf("/public/webhook/unsubscribe/%d", prod.SubscriptionID), "", "").plain(http.StatusOK, &del)
	if del.SubscriptionID != prod.SubscriptionID || !del.Deleted {
		t.Fatalf("unsubscribe answered %+v", del)
	}
	if list := ts.pioList(cr); len(list) != 1 || list[0].SubscriptionID != staging.SubscriptionID {
		t.Fatalf("after unsubscribe: %+v", list)
	}
	admin.get(fmt.Sprintf("/webhooks/%d", prod.SubscriptionID)).fail(http.StatusNotFound, "NOT_FOUND")
	ts.pio(cr, http.MethodDelete, fmt.Sprintf("/public/webhook/unsubscribe/%d", prod.SubscriptionID), "", "").pioFail(http.StatusNotFound)
	ts.pio(cr, http.MethodPost, fmt.Sprintf("/public/webhook/subscription/%d", prod.SubscriptionID), formType, "Enabled=true").
		pioFail(http.StatusNotFound)
}

func TestPortalioValidationIs400(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t, internalKey)
	cr := newMSSCreds(ts, subscriberScopes...)
	for _, tc := range []struct{ name, contentType, body string }{
		{"no Url", formType, "Events=PersonModification"},
		{"bad Url", formType, url.Values{"Url": {"ftp://203.0.113.10/x"}, "Events": {"PersonModification"}}.Encode()},
		{"private Url", formType, url.Values{"Url": {"http://10.0.0.1/x"}, "Events": {"PersonModification"}}.Encode()},
		{"metadata Url", formType, url.Values{"Url": {"http://169.254.169.254/latest"}, "Events": {"*"}}.Encode()},
		{"loopback Url outside the sandbox", formType, url.Values{"Url": {"http://127.0.0.1:9/x"}, "Events": {"*"}}.Encode()},
		{"no Events", formType, url.Values{"Url": {publicURL}}.Encode()},
		{"unknown event", formType, url.Values{"Url": {publicURL}, "Events": {"PersonModification,PersonExplosion"}}.Encode()},
		{"bad Enabled", formType, url.Values{"Url": {publicURL}, "Events": {"*"}, "Enabled": {"maybe"}}.Encode()},
		{"bad JSON", "application/json", `{"url":`},
		{"unknown JSON field", "application/json", `{"url":"` + publicURL + `","events":["*"],"secretKey":"mine"}`},
		{"events not an array", "application/json", `{"url":"` + publicURL + `","events":"PersonModification"}`},
	} {
		res := ts.pio(cr, http.MethodPost, "/public/webhook/subscribe", tc.contentType, tc.body)
		if res.Status != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400\n%s", tc.name, res.Status, res.Body)
			continue
		}
		res.pioFail(http.StatusBadRequest)
	}
	if list := ts.pioList(cr); len(list) != 0 {
		t.Fatalf("refused subscriptions were stored: %+v", list)
	}
	var s subscription
	ts.pio(cr, http.MethodPost, "/public/webhook/subscribe", formType,
		url.Values{"Url": {publicURL}, "Events": {"*"}}.Encode()).plain(http.StatusOK, &s)
	path := fmt.Sprintf("/public/webhook/subscription/%d", s.SubscriptionID)
	ts.pio(cr, http.MethodPost, path, formType, "Events=Nope").pioFail(http.StatusBadRequest)
	ts.pio(cr, http.MethodPost, path, formType, url.Values{"Url": {"http://192.168.0.1/"}}.Encode()).pioFail(http.StatusBadRequest)
	if list := ts.pioList(cr); len(list) != 1 || list[0].URL != publicURL || !slices.Equal(list[0].Events, []string{"*"}) {
		t.Fatalf("after refused updates: %+v", list)
	}
}

func TestPortalioAuthentication(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t, internalKey)
	cr := newMSSCreds(ts, subscriberScopes...)
	other := newMSSCreds(ts, subscriberScopes...)
	internal := ts.client(internalKey)
	const list = "/public/webhook/subscriptions"
	now := ts.Clock.Now().UTC()

	// What a well-behaved client may do.
	accepted := []struct {
		name string
		opt  func(*mssOpts)
	}{
		{"signed by hooks", func(*mssOpts) {}},
		{"signed independently", func(o *mssOpts) { o.independent = true }},
		{"date 4 minutes behind", func(o *mssOpts) { o.date = now.Add(-4 * time.Minute).Format(http.TimeFormat) }},
		{"date 4 minutes ahead", func(o *mssOpts) { o.date = now.Add(4 * time.Minute).Format(http.TimeFormat) }},
		{"query string not signed", func(o *mssOpts) { o.query = "?page=1" }},
		{"https as addressed through a TLS proxy", func(o *mssOpts) {
			o.signedURL = "https://" + strings.TrimPrefix(ts.HTTP.URL, "http://") + list
		}},
	}
	for _, tc := range accepted {
		var out []subscription
		res := ts.pio(cr, http.MethodGet, list, "", "", tc.opt)
		if res.Status != http.StatusOK {
			t.Errorf("%s: status %d, want 200\n%s", tc.name, res.Status, res.Body)
			continue
		}
		res.plain(http.StatusOK, &out)
	}
	// A Content-Type sent with a GET is not part of what it signs.
	res := ts.pio(cr, http.MethodGet, list, "application/json", "", func(o *mssOpts) { o.signedType = "" })
	if res.Status != http.StatusOK {
		t.Errorf("GET with a Content-Type: status %d\n%s", res.Status, res.Body)
	}

	refused := []struct {
		name string
		opt  func(*mssOpts)
	}{
		{"wrong app secret", func(o *mssOpts) { o.secret = "not the secret" }},
		{"another app's secret", func(o *mssOpts) { o.secret = other.appSecret }},
		{"signed for another path", func(o *mssOpts) { o.signedURL = ts.HTTP.URL + "/public/webhook/subscribe" }},
		{"signed for another host", func(o *mssOpts) { o.signedURL = "http://portal.example" + list }},
		{"date 6 minutes behind", func(o *mssOpts) { o.date = now.Add(-6 * time.Minute).Format(http.TimeFormat) }},
		{"date 6 minutes ahead", func(o *mssOpts) { o.date = now.Add(6 * time.Minute).Format(http.TimeFormat) }},
		{"date a day old", func(o *mssOpts) { o.date = now.Add(-24 * time.Hour).Format(http.TimeFormat) }},
		{"date not RFC 7231", func(o *mssOpts) { o.date = now.Format(time.RFC3339) }},
		{"unknown app id", func(o *mssOpts) { o.appID = "app_000000000000000000" }},
		{"a user key as app id", func(o *mssOpts) { o.appID = cr.userKey }},
		{"another app's id", func(o *mssOpts) { o.appID = other.appID }},
		{"an internal key as user key", func(o *mssOpts) { o.userKey = internal.key }},
		{"an unknown user key", func(o *mssOpts) { o.userKey = "uk_live_nosuchkey" }},
		{"an app id as user key", func(o *mssOpts) { o.userKey = cr.appID }},
		{"no X-MSS-API-APPID", func(o *mssOpts) { o.drop = "X-MSS-API-APPID" }},
		{"no X-MSS-API-USERKEY", func(o *mssOpts) { o.drop = "X-MSS-API-USERKEY" }},
		{"no X-MSS-CUSTOM-DATE", func(o *mssOpts) { o.drop = "X-MSS-CUSTOM-DATE" }},
		{"no X-MSS-SIGNATURE", func(o *mssOpts) { o.drop = "X-MSS-SIGNATURE" }},
	}
	for _, tc := range refused {
		res := ts.pio(cr, http.MethodGet, list, "", "", tc.opt)
		if res.Status != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401\n%s", tc.name, res.Status, res.Body)
			continue
		}
		res.pioFail(http.StatusUnauthorized)
	}
	// The signature covers the user key: signed over one, sent with another
	// (valid) one, it fails.
	ts.pio(cr, http.MethodGet, list, "", "", func(o *mssOpts) { o.signedKey = other.userKey }).pioFail(http.StatusUnauthorized)
	// The Content-Type of a POST is signed exactly as sent.
	sub := url.Values{"Url": {publicURL}, "Events": {"*"}}.Encode()
	for _, signed := range []string{"application/json", "", "application/x-www-form-urlencoded; charset=utf-8"} {
		ts.pio(cr, http.MethodPost, "/public/webhook/subscribe", formType, sub,
			func(o *mssOpts) { o.signedType = signed }).pioFail(http.StatusUnauthorized)
	}
	// The method is signed: a POST signed as a GET of the same URL fails.
	ts.pio(cr, http.MethodPost, "/public/webhook/subscribe", formType, sub,
		func(o *mssOpts) { o.signedVerb = http.MethodGet }).pioFail(http.StatusUnauthorized)
	// A DELETE signed by the independent signer reaches the handler.
	ts.pio(cr, http.MethodDelete, "/public/webhook/unsubscribe/1", "", "",
		func(o *mssOpts) { o.independent = true }).pioFail(http.StatusNotFound)
	if l := ts.pioList(cr); len(l) != 0 {
		t.Fatalf("refused requests stored subscriptions: %+v", l)
	}

	// Revoking the user key or the app credentials takes effect at once.
	ok := ts.pio(cr, http.MethodPost, "/public/webhook/subscribe", formType, sub)
	var s subscription
	ok.plain(http.StatusOK, &s)
	userKey, err := ts.Live.Authenticate(other.userKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Live.RevokeKey(context.Background(), userKey.ID); err != nil {
		t.Fatal(err)
	}
	ts.pio(other, http.MethodGet, list, "", "").pioFail(http.StatusUnauthorized)
	keys, err := ts.Live.Keys()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if k.Type == store.KeyApp && k.AppID == cr.appID {
			if _, err := ts.Live.RevokeKey(context.Background(), k.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	ts.pio(cr, http.MethodGet, list, "", "").pioFail(http.StatusUnauthorized)
}

func TestPortalioPermissions(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t, internalKey)
	writer := newMSSCreds(ts, subscriberScopes...)
	reader := newMSSCreds(ts, "webhooks.read", "customers.read")
	nobody := newMSSCreds(ts, "tickets.read")

	var s subscription
	ts.pio(writer, http.MethodPost, "/public/webhook/subscribe", formType,
		url.Values{"Url": {publicURL}, "Events": {"PersonModification"}}.Encode()).plain(http.StatusOK, &s)

	if list := ts.pioList(reader); len(list) != 1 || list[0].SubscriptionID != s.SubscriptionID {
		t.Fatalf("reader's list %+v", list)
	}
	for _, msg := range []string{
		ts.pio(reader, http.MethodPost, "/public/webhook/subscribe", formType,
			url.Values{"Url": {publicURL}, "Events": {"*"}}.Encode()).pioFail(http.StatusForbidden),
		ts.pio(reader, http.MethodPost, fmt.Sprintf("/public/webhook/subscription/%d", s.SubscriptionID), formType,
			"Enabled=false").pioFail(http.StatusForbidden),
		ts.pio(reader, http.MethodDelete, fmt.Sprintf("/public/webhook/unsubscribe/%d", s.SubscriptionID), "", "").
			pioFail(http.StatusForbidden),
	} {
		if !strings.Contains(msg, "webhooks.write") {
			t.Errorf("403 message %q does not name webhooks.write", msg)
		}
	}
	if msg := ts.pio(nobody, http.MethodGet, "/public/webhook/subscriptions", "", "").pioFail(http.StatusForbidden); !strings.Contains(msg, "webhooks.read") {
		t.Errorf("403 message %q does not name webhooks.read", msg)
	}
	if list := ts.pioList(writer); len(list) != 1 || !list[0].Enabled {
		t.Fatalf("after refused writes: %+v", list)
	}
}

// A subscription made through the Portal.io API receives PersonModification
// in the portalio format when a customer is created or changed.
func TestPortalioSubscriptionReceivesPersonModification(t *testing.T) {
	t.Parallel()
	ts, c := newHookServer(t, internalKey)
	rcv := newReceiver(t, http.StatusOK, `{"received":true}`)
	// customers.read too: a subscription carries only records its maker may read.
	cr := newMSSCreds(ts, "webhooks.read", "webhooks.write", "customers.read")
	var s subscription
	ts.pio(cr, http.MethodPost, "/public/webhook/subscribe", "application/json",
		`{"url":"`+rcv.URL+`","events":["PersonModification"],"description":"CRM"}`).plain(http.StatusOK, &s)

	created := c.post("/customers", map[string]any{"name": "Katherine Johnson", "email": "kj@example.com"})
	var cust customer
	created.ok(http.StatusCreated, &cust)
	h := rcv.next(t)
	checkPortalio(t, ts, s.SecretKey, h, created.envelope().Data)

	// A ticket is not a PersonModification; a change to the customer is.
	c.newTicket(cust.ID, nil)
	updated := c.patch(fmt.Sprintf("/customers/%d", cust.ID), map[string]any{"phone": "+1 757 555 0100"})
	updated.ok(http.StatusOK, nil)
	h2 := rcv.next(t)
	checkPortalio(t, ts, s.SecretKey, h2, updated.envelope().Data)
	if pioID(t, h2.Body) == pioID(t, h.Body) {
		t.Fatal("two events with one id")
	}

	// Both deliveries are logged under the webhook; the ticket's event was
	// fanned out before the update's, so it is not on its way.
	var list []delivery
	waitFor(t, ts.Live, "both deliveries to be recorded", func() bool {
		c.get(fmt.Sprintf("/webhooks/%d/deliveries", s.SubscriptionID)).ok(http.StatusOK, &list)
		return len(list) == 2 && list[0].Status == store.DeliveryDelivered && list[1].Status == store.DeliveryDelivered
	})
	if list[0].Event != "customer.updated" || list[1].Event != "customer.created" {
		t.Fatalf("deliveries %+v", list)
	}
	rcv.idle(t)
}

func pioID(t *testing.T, body []byte) string {
	t.Helper()
	var b struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		t.Fatal(err)
	}
	return b.ID
}

// checkPortalio verifies a portalio request with hooks.VerifyPortalio and by
// hand, and checks its body: Portal.io's envelope around the record.
func checkPortalio(t *testing.T, ts *testServer, secret string, h hit, record json.RawMessage) {
	t.Helper()
	if err := hooks.VerifyPortalio(secret, h.Header, h.Body, 0, ts.Clock.Now()); err != nil {
		t.Fatalf("VerifyPortalio: %v\n%v\n%s", err, h.Header, h.Body)
	}
	// t=<ts>,v1=<hex HMAC-SHA256(secretKey, "<ts>.<body>")>, one v1 (no rotation).
	parts := strings.Split(h.Header.Get("X-Webhook-Signature"), ",")
	if len(parts) != 2 || !strings.HasPrefix(parts[0], "t=") || !strings.HasPrefix(parts[1], "v1=") {
		t.Fatalf("X-Webhook-Signature %q", h.Header.Get("X-Webhook-Signature"))
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strings.TrimPrefix(parts[0], "t=") + "."))
	mac.Write(h.Body)
	if want := hex.EncodeToString(mac.Sum(nil)); strings.TrimPrefix(parts[1], "v1=") != want {
		t.Fatalf("v1 %s, want %s", parts[1], want)
	}
	if got := objectKeys(t, h.Body); !slices.Equal(got, []string{"id", "type", "created", "data"}) {
		t.Fatalf("body keys %v, want id, type, created, data", got)
	}
	var body struct {
		ID      string         `json:"id"`
		Type    string         `json:"type"`
		Created string         `json:"created"`
		Data    map[string]any `json:"data"`
	}
	if err := json.Unmarshal(h.Body, &body); err != nil {
		t.Fatal(err)
	}
	if _, err := time.Parse(time.RFC3339, body.Created); err != nil || !strings.HasPrefix(body.ID, "evt_") ||
		body.Type != "PersonModification" {
		t.Fatalf("body %s", h.Body)
	}
	var want map[string]any
	if err := json.Unmarshal(record, &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(body.Data, want) {
		t.Fatalf("data %v, want the customer record %v", body.Data, want)
	}
}
