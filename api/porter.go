package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// Porter's wire shape (seed 002, API.md "Visitor desk"): a request to a
// visitor-desk route authenticated with the X-API-Key header, as Porter's
// integrations send it, is answered as Porter answers — a list as
// {"visitors": […], "page", "per_page", "total"}, one record as
// {"visitor": {…}}, an error as {"error": "message"}, with the same status
// codes and headers (a 429 keeps Retry-After). The handlers write our
// envelope as always; porterWriter turns it into Porter's shape on the way
// out, so no handler knows about it. Authorization: Bearer keeps our
// envelope on the same routes.

// porterPerPage is the page size of Porter's lists when the caller names none.
const porterPerPage = 25

// porterTags are the first path segments of the visitor-desk routes.
var porterTags = map[string]string{ // plural (lists) -> singular (one record)
	"visitors": "visitor", "locations": "location", "contractors": "contractor",
	"evacuation": "evacuation", "hosts": "host",
}

// porterRecordKeys name the answers that are not their resource's record.
var porterRecordKeys = map[string]string{
	"/evacuation/roll-call/{entry_id}/safe": "entry", // one roll-call entry
}

// porterKey is the key a route's answer takes in Porter's shape: the route's
// own porter field, else, for the desk's routes, the resource's name (plural
// for lists); "" for routes that keep our envelope whatever the header.
func porterKey(rt route) string {
	if rt.porter != "" {
		return rt.porter
	}
	if key, ok := porterRecordKeys[rt.path]; ok {
		return key
	}
	singular, ok := porterTags[tagOf(rt.path)]
	if !ok {
		return ""
	}
	if rt.list != nil {
		return tagOf(rt.path)
	}
	return singular
}

// porterAsked: the key came in X-API-Key, not as a Bearer token (which
// presentedKey would read first).
func porterAsked(r *http.Request) bool {
	if r.Header.Get("X-API-Key") == "" {
		return false
	}
	scheme, _, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	return !ok || !strings.EqualFold(scheme, "Bearer")
}

// porterPath reports whether an /api/v1 path belongs to a visitor-desk route
// (for answers written before routing, such as TLS_REQUIRED).
func porterPath(path string) bool {
	rest, ok := strings.CutPrefix(path, APIPrefix)
	if !ok {
		return false
	}
	_, desk := porterTags[tagOf(rest)]
	return desk
}

// porterWriter holds an answer in our envelope back and sends it in
// Porter's shape when flushed.
type porterWriter struct {
	http.ResponseWriter
	key    string
	status int
	body   bytes.Buffer
}

func newPorterWriter(w http.ResponseWriter, key string) *porterWriter {
	return &porterWriter{ResponseWriter: w, key: key}
}

func (p *porterWriter) WriteHeader(code int) {
	if p.status == 0 {
		p.status = code
	}
}

func (p *porterWriter) Write(b []byte) (int, error) {
	if p.status == 0 {
		p.status = http.StatusOK
	}
	return p.body.Write(b)
}

// flush sends the held answer, reshaped when it is one of our envelopes.
func (p *porterWriter) flush() {
	if p.status == 0 {
		p.status = http.StatusOK
	}
	body := p.body.Bytes()
	if out, ok := porterBody(body, p.key); ok {
		body = out
		p.Header().Set("Content-Type", "application/json")
	}
	p.Header().Del("Content-Length")
	p.ResponseWriter.WriteHeader(p.status)
	p.ResponseWriter.Write(body)
}

// porterBody turns our envelope into Porter's shape; ok is false for
// anything else (an empty 304, a file).
func porterBody(body []byte, key string) ([]byte, bool) {
	var env struct {
		Success *bool           `json:"success"`
		Data    json.RawMessage `json:"data"`
		Meta    *struct {
			Page    *int `json:"page"`
			PerPage int  `json:"per_page"`
			Total   int  `json:"total"`
		} `json:"meta"`
		Error *struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if len(body) == 0 || body[0] != '{' || json.Unmarshal(body, &env) != nil || env.Success == nil {
		return nil, false
	}
	if !*env.Success {
		msg := "Request failed"
		if env.Error != nil {
			msg = env.Error.Message
		}
		out, err := json.Marshal(map[string]string{"error": msg})
		return out, err == nil
	}
	name, _ := json.Marshal(key)
	var b bytes.Buffer
	b.WriteByte('{')
	b.Write(name)
	b.WriteByte(':')
	b.Write(env.Data)
	if m := env.Meta; m != nil {
		if m.Page != nil {
			b.WriteString(`,"page":` + strconv.Itoa(*m.Page))
		}
		b.WriteString(`,"per_page":` + strconv.Itoa(m.PerPage) + `,"total":` + strconv.Itoa(m.Total))
	}
	b.WriteByte('}')
	return b.Bytes(), true
}

// failPorter writes an error in Porter's shape (for answers made outside a
// route, such as TLS_REQUIRED).
func failPorter(w http.ResponseWriter, r *http.Request, err error) {
	pw := newPorterWriter(w, "")
	fail(pw, r, err)
	pw.flush()
}
