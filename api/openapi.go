package api

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"time"

	"portal/store"
)

// The OpenAPI document is generated from the route table and the Go types the
// handlers decode and return, so it cannot drift from what the server does.

type schemaSet struct{ defs map[string]any }

var (
	timeType    = reflect.TypeFor[time.Time]()
	rawType     = reflect.TypeFor[json.RawMessage]()
	decimalType = map[reflect.Type]string{
		reflect.TypeFor[store.Money]():    "Decimal amount with at most 2 places",
		reflect.TypeFor[store.Quantity](): "Quantity with at most 2 decimal places",
		reflect.TypeFor[store.Percent]():  "Percentage with at most 3 decimal places",
	}
)

// schema returns the schema of t, registering named structs as components.
func (ss *schemaSet) schema(t reflect.Type) map[string]any {
	if desc, ok := decimalType[t]; ok {
		return map[string]any{"type": "number", "description": desc}
	}
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == rawType:
		return map[string]any{}
	case strings.HasPrefix(t.Name(), "Nullable["):
		inner := ss.schema(t.Field(1).Type.Elem())
		return nullable(inner)
	}
	switch t.Kind() {
	case reflect.Pointer:
		return nullable(ss.schema(t.Elem()))
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int64, reflect.Int32:
		return map[string]any{"type": "integer"}
	case reflect.Uint, reflect.Uint64, reflect.Uint32:
		return map[string]any{"type": "integer", "minimum": 0}
	case reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": ss.schema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": ss.schema(t.Elem())}
	case reflect.Struct:
		name := componentName(t)
		if _, done := ss.defs[name]; !done {
			ss.defs[name] = nil // reserve, in case of recursion
			ss.defs[name] = ss.object(t)
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return map[string]any{}
}

func nullable(s map[string]any) map[string]any {
	if ref, ok := s["$ref"]; ok {
		return map[string]any{"allOf": []any{map[string]any{"$ref": ref}}, "nullable": true}
	}
	out := map[string]any{"nullable": true}
	for k, v := range s {
		out[k] = v
	}
	return out
}

func (ss *schemaSet) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	ss.fields(t, props)
	return map[string]any{"type": "object", "properties": props, "additionalProperties": false}
}

func (ss *schemaSet) fields(t reflect.Type, props map[string]any) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			ss.fields(f.Type, props)
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		props[name] = ss.schema(f.Type)
	}
}

var nonWord = regexp.MustCompile(`[^A-Za-z0-9]+`)

func componentName(t reflect.Type) string {
	name := t.Name()
	if t.PkgPath() == reflect.TypeFor[route]().PkgPath() {
		name = strings.ToUpper(name[:1]) + name[1:]
	}
	return nonWord.ReplaceAllString(name, "")
}

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// OpenAPI builds the document (OpenAPI 3.0) for every /api/v1 route.
func (s *Server) OpenAPI() map[string]any {
	ss := &schemaSet{defs: map[string]any{}}
	errRef := map[string]any{"$ref": "#/components/responses/Error"}
	paths := map[string]map[string]any{}
	for _, rt := range s.routes() {
		op := map[string]any{
			"operationId": strings.ToLower(rt.method) + nonWord.ReplaceAllString(titleWords(rt.path), ""),
			"summary":     rt.summary,
			"tags":        []string{tagOf(rt.path)},
			"x-scope":     rt.scope,
		}
		if rt.kiosk { // kiosk.go: the kiosk cookie, never a key; pairing takes a code in its body
			op["security"] = []any{map[string]any{"kioskCookie": []string{}}}
			if rt.path == "/kiosk/pair" {
				op["security"] = []any{}
			}
		}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(rt.path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true,
				"schema": map[string]any{"type": "string"}})
		}
		if rt.list != nil {
			params = append(params, listParameters(rt)...)
		}
		if rt.export != nil { // the list's parameters, less paging: an export holds every record
			for _, param := range listParameters(route{path: rt.path, list: rt.export}) {
				if n := param.(map[string]any)["name"]; n != "page" && n != "per_page" {
					params = append(params, param)
				}
			}
		}
		if rt.path == "/live" {
			op["description"] = "A websocket (send Upgrade: websocket); each message is one event object."
			params = append(params,
				map[string]any{"name": "events", "in": "query", "required": false, "schema": map[string]any{"type": "string"},
					"description": "Comma-separated event names, area.* or *"},
				map[string]any{"name": "since", "in": "query", "required": false, "schema": map[string]any{"type": "string"},
					"description": "Resume after this event id"})
		}
		for _, name := range rt.query {
			params = append(params, map[string]any{"name": name, "in": "query", "required": false,
				"schema": map[string]any{"type": "boolean"}})
		}
		if params != nil {
			op["parameters"] = params
		}
		if rt.upload != "" {
			schema := map[string]any{"type": "string"}
			if rt.upload == "multipart/form-data" { // an attachment: the file and its flag
				schema = map[string]any{"type": "object", "required": []string{"file"}, "properties": map[string]any{
					"file":             map[string]any{"type": "string", "format": "binary"},
					"customer_visible": map[string]any{"type": "boolean"}}}
			}
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{rt.upload: map[string]any{"schema": schema}}}
		}
		if rt.in != nil {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": ss.schema(reflect.TypeOf(rt.in))}}}
		}
		status := rt.status
		if status == 0 {
			status = http.StatusOK
		}
		var success map[string]any
		switch {
		case status == http.StatusNoContent:
			success = map[string]any{"description": "Done; no body"}
		case rt.file != "":
			success = map[string]any{"description": "The file, streamed", "content": map[string]any{rt.file: map[string]any{
				"schema": map[string]any{"type": "string", "format": "binary"}}}}
		default:
			data := ss.schema(reflect.TypeOf(rt.out))
			props := map[string]any{"success": map[string]any{"type": "boolean"}, "data": data}
			if rt.list != nil {
				props["meta"] = map[string]any{"$ref": "#/components/schemas/ListMeta"}
			}
			success = map[string]any{"description": "Success", "content": map[string]any{"application/json": map[string]any{
				"schema": map[string]any{"type": "object", "required": []string{"success", "data"}, "properties": props}}}}
		}
		responses := map[string]any{
			"401": errRef, "403": errRef, "404": errRef, "405": errRef, "409": errRef, "413": errRef, "422": errRef, "429": errRef,
			"500": errRef, "503": errRef,
		}
		if rt.method == http.MethodGet && rt.file == "" && rt.scope != "live" {
			responses["304"] = map[string]any{"description": "Not modified: If-None-Match named the answer's ETag"}
		}
		if rt.path == "/events" || rt.path == "/live" {
			responses["410"] = errRef // since= older than the log keeps
		}
		responses[itoa(status)] = success
		op["responses"] = responses
		p := pathParam.ReplaceAllString(rt.path, "{$1}")
		if paths[p] == nil {
			paths[p] = map[string]any{}
		}
		paths[p][strings.ToLower(rt.method)] = op
	}
	paths["/openapi.json"] = map[string]any{"get": map[string]any{
		"operationId": "getOpenapi", "summary": "This document", "tags": []string{"meta"}, "security": []any{},
		"responses": map[string]any{"200": map[string]any{"description": "The OpenAPI document"}},
	}}
	paths["/plugin-manifest.schema.json"] = map[string]any{"get": map[string]any{
		"operationId": "getPluginManifestSchema", "summary": "The JSON Schema of a plugin's portal-plugin.json manifest (no key)", "tags": []string{"meta"}, "security": []any{},
		"responses": map[string]any{"200": map[string]any{"description": "A JSON Schema (draft 2020-12)"}},
	}}
	ss.schema(reflect.TypeFor[listMeta]())
	ss.schema(reflect.TypeFor[apiError]())
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{"title": "Portal API", "version": "1",
			"description": "Repair shop and visitor desk API. Keys: Authorization: Bearer <key> or X-API-Key. Envelope: {success, data, meta} or {success:false, error}."},
		"servers":  []any{map[string]any{"url": APIPrefix}},
		"security": []any{map[string]any{"bearer": []string{}}, map[string]any{"apiKey": []string{}}},
		"paths":    paths,
		"components": map[string]any{
			"schemas": ss.defs,
			"securitySchemes": map[string]any{
				"bearer": map[string]any{"type": "http", "scheme": "bearer"},
				"apiKey": map[string]any{"type": "apiKey", "in": "header", "name": "X-API-Key"},
				"kioskCookie": map[string]any{"type": "apiKey", "in": "cookie", "name": kioskCookie,
					"description": "A paired visitor kiosk's cookie, set by POST /kiosk/pair"},
			},
			"responses": map[string]any{"Error": map[string]any{"description": "Error envelope", "content": map[string]any{
				"application/json": map[string]any{"schema": map[string]any{"type": "object", "properties": map[string]any{
					"success": map[string]any{"type": "boolean"},
					"error":   map[string]any{"$ref": "#/components/schemas/ApiError"},
				}}}}}},
		},
	}
}

func listParameters(rt route) []any {
	q := func(name, typ, desc string) any {
		return map[string]any{"name": name, "in": "query", "required": false, "description": desc,
			"schema": map[string]any{"type": typ}}
	}
	out := []any{
		q("page", "integer", "Page number, from 1"),
		q("per_page", "integer", "Items per page (default 50, max 200)"),
	}
	if rt.path == "/events" {
		return append(out, q("since", "string", "List events after this event id, oldest first"),
			q("event", "string", "An event name, or area.* for a family"))
	}
	if len(rt.list.sorts) > 0 {
		sortParam := q("sort", "string", "One of: "+strings.Join(rt.list.sortNames(), ", "))
		sortParam.(map[string]any)["schema"].(map[string]any)["enum"] = rt.list.sortNames()
		// x-sorts: each sort's label and natural order, from the store's
		// declaration, so clients (the console) offer them without a copy.
		var labelled []store.SortSpec
		for _, s := range rt.list.sorts {
			if s.Label != "" {
				labelled = append(labelled, s)
			}
		}
		sortParam.(map[string]any)["x-sorts"] = labelled
		out = append(out,
			q("since_id", "integer", "Records with id greater than this, ascending"),
			q("updated_after", "string", "Records updated at or after this ISO 8601 time, oldest change first"),
			sortParam,
			q("order", "string", "asc or desc"))
	}
	if rt.list.search {
		out = append(out, q("q", "string", "Search words"))
	}
	for _, f := range rt.list.filters {
		param := q(f.Name, "string", f.Doc)
		if len(f.Values) > 0 {
			param.(map[string]any)["schema"].(map[string]any)["enum"] = f.Values
		}
		out = append(out, param)
	}
	return out
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func (s *Server) serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	body, err := json.Marshal(s.OpenAPI())
	if err != nil {
		fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(body)
}

// titleWords turns /tickets/{id}/line_items into TicketsIdLineItems for operation ids.
func titleWords(path string) string {
	words := strings.FieldsFunc(path, func(r rune) bool { return r == '/' || r == '_' || r == '{' || r == '}' })
	for i, w := range words {
		words[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return strings.Join(words, "")
}
