package hooks

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"portal/store"
)

// Event is one event as the store keeps it: Raw is the exact event object JSON
// {"event","event_id","timestamp","store_id","data"} (compact, that key order).
type Event struct {
	Name string    // dotted event name, e.g. "ticket.status_changed"
	ID   string    // "evt_…"
	Time time.Time // the event's timestamp
	Raw  []byte
}

// Request is what goes on the wire. Body may share its bytes with the
// Event's Raw; neither is ever modified.
type Request struct {
	Body   []byte
	Header http.Header
}

// Format turns an event into a signed request.
type Format interface {
	Name() string
	Schedule() []time.Duration // retry delays after the first attempt
	// Build signs with every secret given (current first, then ones still valid after a rotation);
	// formats that take one signature use only the first.
	Build(ev Event, secrets []string, now time.Time) (Request, error)
}

// FormatNames lists every format, the default ("portal") first: the store's
// list (it validates webhooks), so there is one; FormatByName has a case for
// each, which a test checks.
var FormatNames = store.WebhookFormats

// FormatByName returns the format called name.
func FormatByName(name string) (Format, bool) {
	switch name {
	case "portal":
		return portalFormat{}, true
	case "portalio":
		return portalioFormat{}, true
	case "porter":
		return porterFormat{}, true
	case "standard":
		return standardFormat{}, true
	}
	return nil, false
}

// NewSecret makes a signing secret for a webhook of format: "whsec_" and the
// standard base64 of 24 random bytes, whatever the format. For "standard"
// the key is the decoded part (as the Standard Webhooks spec says); the other
// formats key their HMAC with the whole string's UTF-8 bytes, as their
// receivers' documented code does.
func NewSecret(format string) (string, error) {
	if _, ok := FormatByName(format); !ok {
		return "", fmt.Errorf("unknown webhook format %q", format)
	}
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(b), nil
}

// PortalioType is the Portal.io type name of a dotted event, or "" when
// Portal.io has none (portalio bodies then carry the dotted name).
func PortalioType(event string) string {
	switch event {
	case "proposal.status_changed":
		return "ProposalStatusChanged"
	case "proposal.outline_status_changed":
		return "ProposalOutlineStatusChanged"
	case "proposal.build_status_changed":
		return "ProposalBuildStatusChanged"
	case "customer.created", "customer.updated":
		return "PersonModification"
	case "payment.status_changed", "payment.received":
		return "PaymentStatusChange"
	case "purchase_order.status_changed":
		return "OrderStatusChange"
	}
	return ""
}

var errNoSecret = errors.New("webhook has no signing secret")

// portalSchedule is shared by portal, porter and standard.
func portalSchedule() []time.Duration {
	return []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 24 * time.Hour}
}

// portalFormat sends the event object as is, signed over "<ts>.<body>".
type portalFormat struct{}

func (portalFormat) Name() string              { return "portal" }
func (portalFormat) Schedule() []time.Duration { return portalSchedule() }

func (portalFormat) Build(ev Event, secrets []string, now time.Time) (Request, error) {
	if len(secrets) == 0 {
		return Request{}, errNoSecret
	}
	ts := unixString(now)
	h := baseHeader()
	h["X-Portal-Signature"] = []string{"sha256=" + hex.EncodeToString(sign([]byte(secrets[0]), ts+".", ev.Raw))}
	h["X-Portal-Timestamp"] = []string{ts}
	h["X-Portal-Event"] = []string{ev.Name}
	h["X-Portal-Delivery"] = []string{ev.ID}
	return Request{Body: ev.Raw, Header: h}, nil
}

// portalioFormat sends Portal.io's envelope around the full record, signed
// Stripe-style with one v1 per valid secret.
type portalioFormat struct{}

func (portalioFormat) Name() string { return "portalio" }
func (portalioFormat) Schedule() []time.Duration {
	return []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 12 * time.Hour}
}

func (portalioFormat) Build(ev Event, secrets []string, now time.Time) (Request, error) {
	if len(secrets) == 0 {
		return Request{}, errNoSecret
	}
	created, data, err := parseEvent(ev)
	if err != nil {
		return Request{}, err
	}
	typ := PortalioType(ev.Name)
	if typ == "" {
		typ = ev.Name
	}
	body, err := marshalExact(struct {
		ID      string          `json:"id"`
		Type    string          `json:"type"`
		Created string          `json:"created"`
		Data    json.RawMessage `json:"data"`
	}{ev.ID, typ, created, fullRecord(ev.Name, data)})
	if err != nil {
		return Request{}, err
	}
	ts := unixString(now)
	sig := "t=" + ts
	for _, s := range secrets {
		sig += ",v1=" + hex.EncodeToString(sign([]byte(s), ts+".", body))
	}
	h := baseHeader()
	h["X-Webhook-Signature"] = []string{sig}
	return Request{Body: body, Header: h}, nil
}

// fullRecord is data.<resource> (resource is the name before the first dot:
// ticket, purchase_order), or the whole data object when there is none.
func fullRecord(event string, data json.RawMessage) json.RawMessage {
	resource, _, _ := strings.Cut(event, ".")
	var fields map[string]json.RawMessage
	if json.Unmarshal(data, &fields) != nil {
		return data
	}
	if rec := fields[resource]; len(rec) > 0 && rec[0] == '{' {
		return rec
	}
	return data
}

// porterFormat sends Porter's envelope, signed over the body alone.
type porterFormat struct{}

func (porterFormat) Name() string              { return "porter" }
func (porterFormat) Schedule() []time.Duration { return portalSchedule() }

func (porterFormat) Build(ev Event, secrets []string, now time.Time) (Request, error) {
	if len(secrets) == 0 {
		return Request{}, errNoSecret
	}
	created, data, err := parseEvent(ev)
	if err != nil {
		return Request{}, err
	}
	body, err := marshalExact(struct {
		Event     string          `json:"event"`
		ID        string          `json:"id"`
		CreatedAt string          `json:"created_at"`
		Data      json.RawMessage `json:"data"`
	}{ev.Name, ev.ID, created, data})
	if err != nil {
		return Request{}, err
	}
	h := baseHeader()
	h["X-Porter-Signature"] = []string{hex.EncodeToString(sign([]byte(secrets[0]), "", body))}
	return Request{Body: body, Header: h}, nil
}

// standardFormat follows standardwebhooks.com: the event object, signed over
// "<id>.<ts>.<body>" with the base64-decoded secret, every valid secret's
// signature space-separated.
type standardFormat struct{}

func (standardFormat) Name() string              { return "standard" }
func (standardFormat) Schedule() []time.Duration { return portalSchedule() }

func (standardFormat) Build(ev Event, secrets []string, now time.Time) (Request, error) {
	if len(secrets) == 0 {
		return Request{}, errNoSecret
	}
	ts := unixString(now)
	sigs := make([]string, 0, len(secrets))
	for i, s := range secrets {
		key, err := standardKey(s)
		if err != nil {
			return Request{}, fmt.Errorf("secret %d: %w", i+1, err)
		}
		sigs = append(sigs, "v1,"+base64.StdEncoding.EncodeToString(sign(key, ev.ID+"."+ts+".", ev.Raw)))
	}
	h := baseHeader()
	// Lower case as the spec writes them: assigned directly, so net/http
	// sends them as written instead of canonicalizing them.
	h["webhook-id"] = []string{ev.ID}
	h["webhook-timestamp"] = []string{ts}
	h["webhook-signature"] = []string{strings.Join(sigs, " ")}
	return Request{Body: ev.Raw, Header: h}, nil
}

// standardKey is the HMAC key of a Standard Webhooks secret: the base64
// after "whsec_" (the prefix is optional, as in the official libraries).
func standardKey(secret string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return nil, fmt.Errorf("standard secret is not whsec_<base64>: %w", err)
	}
	return key, nil
}

// baseHeader holds what every request carries. Keys are assigned directly
// (here and in the formats) so each is sent exactly as written.
func baseHeader() http.Header {
	return http.Header{
		"Content-Type": {"application/json"},
		"User-Agent":   {"Portal-Webhooks/1"},
	}
}

// sign is HMAC-SHA256 with key over prefix followed by body: every format
// signs the body after a prefix of text ("<ts>.", "<id>.<ts>.", or none).
func sign(key []byte, prefix string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(prefix))
	m.Write(body)
	return m.Sum(nil)
}

func unixString(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

// parseEvent reads from ev.Raw what the re-wrapping formats need: the event
// time (RFC 3339, UTC, whole seconds) and the exact bytes of its data object.
func parseEvent(ev Event) (created string, data json.RawMessage, err error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(ev.Raw, &top); err != nil {
		return "", nil, fmt.Errorf("event %s: %w", ev.ID, err)
	}
	data = top["data"]
	if len(data) == 0 || data[0] != '{' {
		return "", nil, fmt.Errorf("event %s has no data object", ev.ID)
	}
	t := ev.Time
	if t.IsZero() {
		if err := json.Unmarshal(top["timestamp"], &t); err != nil {
			return "", nil, fmt.Errorf("event %s has no time: %w", ev.ID, err)
		}
	}
	return t.UTC().Format(time.RFC3339), data, nil
}

// marshalExact encodes v compactly without HTML escaping, so the
// json.RawMessage fields it holds keep their bytes (and key order) exactly.
func marshalExact(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
