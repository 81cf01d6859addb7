package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"portal/api"
	"portal/chain"
	"portal/hooks"
	"portal/internal/blobs"
	"portal/store"
)

// start is the injected clock's first reading: half way through a minute, so
// a rate-limit window has 30 seconds left.
var start = time.Date(2026, 3, 15, 14, 22, 30, 0, time.UTC)

// fakeClock is the time every part of a test server reads; tests move it.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// testServer is a real API over real live and test stores in a temp dir.
type testServer struct {
	t      *testing.T
	Live   *store.Store
	Test   *store.Store
	Sealer *store.Sealer
	API    *api.Server
	HTTP   *httptest.Server
	Clock  *fakeClock
	Hooks  *hooks.Engine    // nil unless built with serverOptions.Hooks
	Chain  *chain.Publisher // nil unless built with serverOptions.Chain
}

// keySpec describes the key a client authenticates with.
type keySpec struct {
	Type   store.KeyType
	Scopes []string
	Tier   string // "" takes the type's default
	Name   string
	UserID uint64 // a user key's staff member; 0: the owner
}

// pluginScopes drops what no plugin may be granted (backup.read).
func pluginScopes(scopes []string) []string {
	return without(scopes, "backup.read")
}

// internalKey sees the live store with every scope and no rate limit.
var internalKey = keySpec{Type: store.KeyInternal}

// developerKey sees the test store with every scope.
var developerKey = keySpec{Type: store.KeyDeveloper, Scopes: store.AllScopes()}

// newServer builds a ready server and a client holding a key of spec.
func newServer(t *testing.T, spec keySpec) (*testServer, *client) {
	t.Helper()
	ts := newTestServer(t)
	return ts, ts.client(spec)
}

// serverOptions vary how newTestServerWith builds a server.
type serverOptions struct {
	LiveWriteWait time.Duration // 0: the default
	// Sandbox runs the API as serve --sandbox does (loopback webhook URLs allowed).
	Sandbox bool
	// Hooks runs a real webhook engine (sandboxed, so it may dial the tests'
	// loopback receivers, on the injected clock) over both stores, as serve does.
	Hooks bool
	// Metrics gives the API, and the engine if any, a registry, as serve does.
	Metrics bool
	// LiveFiles replaces the live store's attachment folder (a disk that fills up).
	LiveFiles func(dir string) *blobs.Dir
	// Chain gives the API a chain publisher over both stores (not run:
	// Configure and Status only); ChainFlags sets the chain as serve's flags do.
	Chain      bool
	ChainFlags *chain.Config
}

// newTestServer opens both stores in t.TempDir and serves the API over HTTP.
func newTestServer(t *testing.T) *testServer {
	t.Helper()
	return newTestServerWith(t, serverOptions{})
}

// newHookServer is a sandboxed server with the webhook engine running, and a
// client holding a key of spec.
func newHookServer(t *testing.T, spec keySpec) (*testServer, *client) {
	t.Helper()
	ts := newTestServerWith(t, serverOptions{Sandbox: true, Hooks: true})
	return ts, ts.client(spec)
}

// newTestServerWith is newTestServer with options.
func newTestServerWith(t *testing.T, opts serverOptions) *testServer {
	t.Helper()
	dir := t.TempDir()
	clock := &fakeClock{now: start}
	liveOpts := store.Options{Mode: store.Live, Now: clock.Now}
	if opts.LiveFiles != nil {
		liveOpts.Files = opts.LiveFiles(filepath.Join(dir, "files", "live"))
	}
	live, err := store.Open(filepath.Join(dir, "live.db"), liveOpts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { live.Close() })
	test, err := store.Open(filepath.Join(dir, "test.db"), store.Options{Mode: store.Test, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { test.Close() })
	sealer, err := store.LoadSealer(filepath.Join(dir, "seal.key"))
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	var reg *prometheus.Registry
	var hookMetrics hooks.Metrics
	if opts.Metrics {
		reg = prometheus.NewRegistry()
		hookMetrics = hooks.NewMetrics(reg)
	}
	var engine *hooks.Engine
	if opts.Hooks {
		engine = hooks.New(hooks.Config{Sealer: sealer, Sandbox: true, Now: clock.Now, Log: quiet, Metrics: hookMetrics, OwnerScopes: live.ScopesOf})
	}
	backup := func(ctx context.Context, w io.Writer) error {
		_, err := store.WriteArchive(ctx, w, store.ArchiveSource{Live: live, Test: test,
			KeyFile: filepath.Join(dir, "seal.key"), Version: "test", Now: clock.Now})
		return err
	}
	var pub *chain.Publisher
	if opts.Chain {
		pub = chain.New(chain.Options{Live: live, Test: test, Log: quiet, Now: clock.Now})
	}
	srv := api.New(api.Config{Live: live, Test: test, Sealer: sealer, Now: clock.Now, Sandbox: opts.Sandbox,
		Hooks: engine, Log: quiet, LiveWriteWait: opts.LiveWriteWait, Backup: backup, Metrics: reg,
		Chain: pub, ChainFlags: opts.ChainFlags})
	srv.SetReady(true)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close) // runs before the stores close
	if engine != nil {
		runEngine(t, engine, live, test) // its cleanup runs first: stopped before the server and the stores
	}
	return &testServer{t: t, Live: live, Test: test, Sealer: sealer, API: srv, HTTP: hs, Clock: clock, Hooks: engine, Chain: pub}
}

// runEngine runs the webhook engine over each store until the test ends.
func runEngine(t *testing.T, engine *hooks.Engine, stores ...*store.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	errs := make(chan error, len(stores))
	var wg sync.WaitGroup
	for _, s := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- engine.Run(ctx, s)
		}()
	}
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("webhook engine: %v", err)
			}
		}
	})
}

// client mints a key of spec with store.CreateKey and returns a client using it.
func (ts *testServer) client(spec keySpec) *client {
	ts.t.Helper()
	if spec.Name == "" {
		spec.Name = "test " + string(spec.Type) + " key"
	}
	if spec.Type == store.KeyUser {
		ts.owner() // a user key belongs to a staff member
	}
	k, err := ts.Live.CreateKey(context.Background(),
		store.KeyInput{Type: spec.Type, Name: spec.Name, Scopes: spec.Scopes, Tier: spec.Tier, UserID: spec.UserID}, ts.Sealer)
	if err != nil {
		ts.t.Fatalf("create %s key: %v", spec.Type, err)
	}
	c := ts.anonymous()
	c.key, c.keyID = k.Secret, k.ID
	return c
}

// anonymous is a client with no key and no cookie.
func (ts *testServer) anonymous() *client {
	return &client{t: ts.t, base: ts.HTTP.URL, hc: ts.HTTP.Client()}
}

// owner makes sure the owner account exists and returns its setup token
// ("" once setup is done).
func (ts *testServer) owner() string {
	ts.t.Helper()
	token, err := ts.Live.StartSetup(context.Background())
	if err != nil {
		ts.t.Fatal(err)
	}
	return token
}

// origin is what this server's own pages send as Origin.
func (ts *testServer) origin() string { return ts.HTTP.URL }

// client makes requests as one principal: a key, or a session cookie.
type client struct {
	t      *testing.T
	base   string
	hc     *http.Client
	key    string
	keyID  uint64
	header string // "X-API-Key" to send the key there; Authorization: Bearer otherwise
	cookie *http.Cookie
	origin string // sent as Origin when set
}

// withHeader returns a copy that presents its key in the named header.
func (c *client) withHeader(name string) *client {
	cp := *c
	cp.header = name
	return &cp
}

// api calls a path under /api/v1.
func (c *client) api(method, path string, body any, headers ...string) *response {
	c.t.Helper()
	return c.call(method, api.APIPrefix+path, body, headers...)
}

func (c *client) get(path string) *response {
	c.t.Helper()
	return c.api(http.MethodGet, path, nil)
}

func (c *client) post(path string, body any) *response {
	c.t.Helper()
	return c.api(http.MethodPost, path, body)
}

func (c *client) patch(path string, body any) *response {
	c.t.Helper()
	return c.api(http.MethodPatch, path, body)
}

// call sends a request to a full path. body is sent as is when it is a
// string, []byte or io.Reader, else as JSON; headers are name, value pairs.
func (c *client) call(method, path string, body any, headers ...string) *response {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	case io.Reader:
		rd = b
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	switch {
	case c.key == "":
	case c.header == "X-API-Key":
		req.Header.Set("X-API-Key", c.key)
	default:
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	if c.cookie != nil {
		req.AddCookie(c.cookie)
	}
	if c.origin != "" {
		req.Header.Set("Origin", c.origin)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return &response{t: c.t, req: method + " " + path, Status: res.StatusCode, Header: res.Header, Body: raw, Cookies: res.Cookies()}
}

// response is a finished HTTP exchange.
type response struct {
	t       *testing.T
	req     string
	Status  int
	Header  http.Header
	Body    []byte
	Cookies []*http.Cookie
}

// envelope is the contract's success or error envelope, decoded loosely so
// tests can check which keys are present.
type envelope struct {
	Success *bool           `json:"success"`
	Data    json.RawMessage `json:"data"`
	Meta    *listMeta       `json:"meta"`
	Error   *apiError       `json:"error"`
}

type listMeta struct {
	Page    *int `json:"page"`
	PerPage int  `json:"per_page"`
	Total   int  `json:"total"`
	HasMore bool `json:"has_more"`
}

type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Status  int    `json:"status"`
	Details []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"details"`
}

// fields names the details' fields.
func (e *apiError) fields() []string {
	var out []string
	for _, d := range e.Details {
		out = append(out, d.Field)
	}
	return out
}

func (r *response) envelope() envelope {
	r.t.Helper()
	var env envelope
	if err := json.Unmarshal(r.Body, &env); err != nil {
		r.t.Fatalf("%s: body is not an envelope: %v\n%s", r.req, err, r.Body)
	}
	return env
}

// keys lists the top-level keys of the JSON object in the body, in order.
func (r *response) keys() []string {
	r.t.Helper()
	return objectKeys(r.t, r.Body)
}

// ok checks a success status and envelope and decodes data into v (if not nil).
func (r *response) ok(status int, v any) envelope {
	r.t.Helper()
	if r.Status != status {
		r.t.Fatalf("%s: status %d, want %d\n%s", r.req, r.Status, status, r.Body)
	}
	env := r.envelope()
	if env.Success == nil || !*env.Success || env.Error != nil {
		r.t.Fatalf("%s: not a success envelope: %s", r.req, r.Body)
	}
	if v != nil {
		if err := json.Unmarshal(env.Data, v); err != nil {
			r.t.Fatalf("%s: decode data: %v\n%s", r.req, err, env.Data)
		}
	}
	return env
}

// fail checks an error envelope with status and code and, when fields are
// given, that its details name exactly those fields.
func (r *response) fail(status int, code string, fields ...string) *apiError {
	r.t.Helper()
	if r.Status != status {
		r.t.Fatalf("%s: status %d, want %d\n%s", r.req, r.Status, status, r.Body)
	}
	env := r.envelope()
	if env.Success == nil || *env.Success || env.Error == nil {
		r.t.Fatalf("%s: not an error envelope: %s", r.req, r.Body)
	}
	e := env.Error
	if e.Code != code || e.Status != status || e.Message == "" {
		r.t.Fatalf("%s: error %+v, want code %s status %d and a message", r.req, e, code, status)
	}
	if len(fields) > 0 && !slices.Equal(e.fields(), fields) {
		r.t.Fatalf("%s: details name %v, want %v\n%s", r.req, e.fields(), fields, r.Body)
	}
	return e
}

// objectKeys lists a JSON object's keys in document order.
func objectKeys(t *testing.T, raw []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not a JSON object: %s", raw)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

// Records as the tests read them back.

type customer struct {
	ID    uint64 `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
	Phone string `json:"phone"`
}

type totals struct {
	Subtotal json.Number `json:"subtotal"`
	Tax      json.Number `json:"tax"`
	Total    json.Number `json:"total"`
	Paid     json.Number `json:"paid"`
	Balance  json.Number `json:"balance"`
}

type ticket struct {
	ID         uint64     `json:"id"`
	Number     uint64     `json:"number"`
	CustomerID uint64     `json:"customer_id"`
	Status     string     `json:"status"`
	AssignedTo *uint64    `json:"assigned_to"`
	Priority   string     `json:"priority"`
	Totals     totals     `json:"totals"`
	UpdatedAt  time.Time  `json:"updated_at"`
	ClosedAt   *time.Time `json:"closed_at"`
}

// ids lists the ids of a list response's records, in order.
func ids(t *testing.T, data json.RawMessage) []uint64 {
	t.Helper()
	var items []struct {
		ID uint64 `json:"id"`
	}
	if err := json.Unmarshal(data, &items); err != nil {
		t.Fatalf("not a list: %v\n%s", err, data)
	}
	out := []uint64{}
	for _, it := range items {
		out = append(out, it.ID)
	}
	return out
}

// newCustomer creates a customer through the API.
func (c *client) newCustomer(name string) customer {
	c.t.Helper()
	var out customer
	c.post("/customers", map[string]any{"name": name}).ok(http.StatusCreated, &out)
	return out
}

// newTicket opens a ticket through the API; fields add to or override the defaults.
func (c *client) newTicket(customerID uint64, fields map[string]any) ticket {
	c.t.Helper()
	body := map[string]any{"customer_id": customerID, "issue": "Cracked screen",
		"device": map[string]any{"brand": "Apple", "model": "iPhone 15"}}
	for k, v := range fields {
		body[k] = v
	}
	var out ticket
	c.post("/tickets", body).ok(http.StatusCreated, &out)
	return out
}

// without returns list minus drop.
func without(list []string, drop string) []string {
	var out []string
	for _, s := range list {
		if s != drop {
			out = append(out, s)
		}
	}
	return out
}

// mustField returns one member of a JSON object.
func mustField(t *testing.T, raw []byte, key string) json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("not a JSON object: %v\n%s", err, raw)
	}
	v, ok := m[key]
	if !ok {
		t.Fatalf("no %q in %s", key, raw)
	}
	return v
}
