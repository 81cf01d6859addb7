package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gorilla/mux"

	"portal/api"
)

// unkeyedOperations need no key, so carry no x-scope.
var unkeyedOperations = map[string]bool{"GET /api/v1/openapi.json": true, "GET /api/v1/plugin-manifest.schema.json": true}

// loadOpenAPI fetches the document without a key and validates it.
func loadOpenAPI(t *testing.T, ts *testServer) *openapi3.T {
	t.Helper()
	res := ts.anonymous().get("/openapi.json")
	if res.Status != http.StatusOK || res.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /openapi.json: %d %s", res.Status, res.Header.Get("Content-Type"))
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(res.Body)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("the document is not valid OpenAPI: %v", err)
	}
	return doc
}

// documentedOperations maps "METHOD /api/v1/path" to each operation.
func documentedOperations(t *testing.T, doc *openapi3.T) map[string]*openapi3.Operation {
	t.Helper()
	if len(doc.Servers) != 1 {
		t.Fatalf("servers %v, want one", doc.Servers)
	}
	base := doc.Servers[0].URL
	out := map[string]*openapi3.Operation{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			out[strings.ToUpper(method)+" "+base+path] = op
		}
	}
	return out
}

// routerOperations walks the mux router for every method and path template under /api/v1.
func routerOperations(t *testing.T, ts *testServer) map[string]bool {
	t.Helper()
	router, ok := ts.API.Handler().(*mux.Router)
	if !ok {
		t.Fatalf("Handler() is a %T, not a *mux.Router", ts.API.Handler())
	}
	out := map[string]bool{}
	err := router.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		tpl, err := route.GetPathTemplate()
		if err != nil || !strings.HasPrefix(tpl, api.APIPrefix+"/") {
			return nil
		}
		methods, err := route.GetMethods()
		if err != nil {
			return nil // the subrouter itself
		}
		for _, m := range methods {
			out[m+" "+tpl] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestOpenAPIDocumentIsValidAndMatchesTheRouter(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	doc := loadOpenAPI(t, ts)
	documented := documentedOperations(t, doc)
	routed := routerOperations(t, ts)

	for op := range routed {
		if documented[op] == nil {
			t.Errorf("%s is routed but not documented", op)
		}
	}
	var docOps []string
	for op := range documented {
		docOps = append(docOps, op)
		if !routed[op] {
			t.Errorf("%s is documented but not routed", op)
		}
	}
	if len(documented) != len(routed) {
		t.Errorf("%d documented operations, %d routed", len(documented), len(routed))
	}

	table := map[string]string{}
	for _, rt := range ts.API.Routes() {
		table[routeName(rt)] = rt.Scope
	}
	sort.Strings(docOps)
	for _, name := range docOps {
		op := documented[name]
		raw, has := op.Extensions["x-scope"]
		if unkeyedOperations[name] {
			if has || op.Security == nil || len(*op.Security) != 0 {
				t.Errorf("%s needs no key: want no x-scope and security: []", name)
			}
			continue
		}
		scope, want := fmt.Sprint(raw), table[name]
		if !has {
			t.Errorf("%s has no x-scope", name)
		} else if _, inTable := table[name]; !inTable {
			t.Errorf("%s is not in the route table", name)
		} else if scope != want {
			t.Errorf("%s: x-scope %q, route table %q", name, scope, want)
		}
	}
	for name := range table {
		if documented[name] == nil {
			t.Errorf("route table's %s is not documented", name)
		}
	}
}

// TestEveryDocumentedQueryParameterIsAccepted sends each documented query
// parameter alone, with a sample value, and expects the list to answer.
func TestEveryDocumentedQueryParameterIsAccepted(t *testing.T) {
	t.Parallel()
	ts, c := newServer(t, internalKey)
	ts.owner()
	ann := c.newCustomer("Ann")
	tk := c.newTicket(ann.ID, nil)
	c.post(fmt.Sprintf("/tickets/%d/notes", tk.ID), map[string]any{"body": "hello"}).ok(http.StatusCreated, nil)
	var shop struct{ ID uint64 }
	c.post("/locations", map[string]any{"name": "Shop"}).ok(http.StatusCreated, &shop)
	c.post("/devices", map[string]any{"brand": "Apple", "model": "iPhone", "serial": "S1", "purchase_price": 1,
		"seller_customer_id": ann.ID, "location_id": shop.ID}).ok(http.StatusCreated, nil) // device 1: its attachments
	option := map[string]any{"name": "Original", "line_items": []map[string]any{{"description": "Glass", "unit_price": 1}}}
	c.post("/proposals", map[string]any{"name": "Quote", "customer_id": ann.ID,
		"areas": []map[string]any{{"name": "Screen", "options": []any{option}}}}).ok(http.StatusCreated, nil) // proposal 1: its attachments
	c.post("/webhooks", map[string]any{"url": "https://203.0.113.10/hook", "events": []string{"*"}}).ok(http.StatusCreated, nil)
	var events []wireEvent
	c.get("/events").ok(http.StatusOK, &events)

	samples := map[string]string{
		"page": "1", "per_page": "10", "since_id": "1", "updated_after": "2026-01-01T00:00:00Z",
		"sort": "id", "order": "asc", "q": "ann", "status": "New", "assigned_to": "1",
		"customer_id": fmt.Sprint(ann.ID), "since": events[len(events)-1].EventID, "event": "ticket.*",
		"events": "ticket.*", "location_id": "1", "host": "1", "date": "2026-03-15", "seller_customer_id": "1",
		"kind": "part", "supplier_id": "1", "item_id": "1", "low_stock": "true",
		"ticket_id": fmt.Sprint(tk.ID),
	}
	// Where a list takes another value for a shared name (statuses differ).
	pathSamples := map[string]map[string]string{
		"/contractors":     {"status": "pending"},
		"/visitors":        {"status": "expected"},
		"/purchase_orders": {"status": "ordered"},
		"/devices":         {"status": "listed"},
		"/proposals":       {"status": "Submitted"},
	}
	doc := loadOpenAPI(t, ts)
	documented := documentedOperations(t, doc)
	var names []string
	for name := range documented {
		names = append(names, name)
	}
	slices.Sort(names)
	staff := map[string]bool{} // a person's routes (widgets): widgets_test walks their parameters
	for _, rt := range ts.API.Routes() {
		staff[routeName(rt)] = rt.Staff
	}
	checked := 0
	for _, name := range names {
		method, path, _ := strings.Cut(name, " ")
		if method != http.MethodGet || staff[name] {
			continue
		}
		path = strings.TrimPrefix(pathParam.ReplaceAllString(path, "1"), api.APIPrefix)
		for _, p := range documented[name].Parameters {
			if p.Value.In != "query" {
				continue
			}
			v, ok := samples[p.Value.Name]
			if pv, has := pathSamples[strings.TrimSuffix(path, ".csv")][p.Value.Name]; has { // an export takes its list's
				v, ok = pv, true
			}
			if !ok {
				t.Errorf("%s documents %q, which this test has no sample for", name, p.Value.Name)
				continue
			}
			res := c.get(path + "?" + url.Values{p.Value.Name: {v}}.Encode())
			checked++
			if path == "/live" { // a websocket: the parameter passes, only the upgrade is missing
				res.fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "Upgrade")
				continue
			}
			if res.Status != http.StatusOK {
				t.Errorf("%s?%s=%s: %d %s", name, p.Value.Name, v, res.Status, res.Body)
			}
		}
	}
	if checked == 0 {
		t.Error("no documented query parameters")
	}
}

// TestOpenAPIListResponsesDeclareMeta checks the document's list
// operations against what lists answer.
func TestOpenAPIListResponsesDeclareMeta(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	doc := loadOpenAPI(t, ts)
	for name, op := range documentedOperations(t, doc) {
		if unkeyedOperations[name] {
			continue
		}
		var lists bool
		for _, p := range op.Parameters {
			lists = lists || p.Value.Name == "per_page"
		}
		for code, resp := range op.Responses.Map() {
			if !strings.HasPrefix(code, "2") || code == "204" { // 204: no body at all (DELETE /attachments/{id})
				continue
			}
			media := resp.Value.Content.Get("application/json")
			if media == nil { // a download (GET /backup): the file itself, never an envelope
				if len(resp.Value.Content) != 1 || lists {
					t.Errorf("%s: a download declares one content type and no list", name)
				}
				continue
			}
			schema := media.Schema.Value
			_, hasMeta := schema.Properties["meta"]
			if hasMeta != lists {
				t.Errorf("%s: response declares meta=%v but the operation lists=%v", name, hasMeta, lists)
			}
			if !slices.Contains(schema.Required, "success") || !slices.Contains(schema.Required, "data") {
				t.Errorf("%s: success response does not require success and data", name)
			}
		}
	}
	if _, err := json.Marshal(doc); err != nil {
		t.Fatal(err)
	}
}
