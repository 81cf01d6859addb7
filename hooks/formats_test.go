package hooks_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httputil"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"portal/hooks"
)

// vector is one row of testdata/webhook-signatures.json, a copy of
// shared/vectors/webhook-signatures.json kept here so a clean clone has it.
type vector struct {
	Secret    string            `json:"secret"`
	ID        string            `json:"id"`
	Timestamp string            `json:"timestamp"`
	Body      string            `json:"body"`
	Headers   map[string]string `json:"headers"`
}

type mssCase struct {
	Method      string  `json:"method"`
	URL         string  `json:"url"`
	ContentType *string `json:"content_type"`
	Canonical   string  `json:"canonical"`
	Signature   string  `json:"signature"`
}

type vectorFile struct {
	Portal   vector `json:"portal"`
	Portalio vector `json:"portalio"`
	Porter   vector `json:"porter"`
	Standard vector `json:"standard"`
	XMSS     struct {
		AppSecret string    `json:"app_secret"`
		UserKey   string    `json:"user_key"`
		Date      string    `json:"date"`
		Cases     []mssCase `json:"cases"`
	} `json:"x_mss"`
}

func loadVectors(t *testing.T) vectorFile {
	t.Helper()
	b, err := os.ReadFile("testdata/webhook-signatures.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectorFile
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// The events the portalio and porter vectors were made from: their bodies
// re-wrap these, so the vectors hold only the result.
const (
	portalioRaw = `{"event":"proposal.status_changed","event_id":"evt_01JD0000000000000000000002","timestamp":"2024-03-09T16:00:00Z","store_id":1,"data":{"proposal_id":10025,"proposal":{"id":10025,"number":4123,"status":"Accepted"}}}`
	porterRaw   = `{"event":"visitor.checked_in","event_id":"evt_01JD0000000000000000000003","timestamp":"2026-03-15T09:00:00Z","store_id":1,"data":{"visitor_id":7,"visitor":{"id":7,"name":"Ada Lovelace"}}}`
)

// eventFrom is the Event the store hands over for an event object.
func eventFrom(t *testing.T, raw string) hooks.Event {
	t.Helper()
	var head struct {
		Event     string    `json:"event"`
		EventID   string    `json:"event_id"`
		Timestamp time.Time `json:"timestamp"`
	}
	if err := json.Unmarshal([]byte(raw), &head); err != nil {
		t.Fatal(err)
	}
	return hooks.Event{Name: head.Event, ID: head.EventID, Time: head.Timestamp, Raw: []byte(raw)}
}

func unixTime(t *testing.T, s string) time.Time {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return time.Unix(n, 0)
}

func build(t *testing.T, format string, ev hooks.Event, secrets []string, now time.Time) hooks.Request {
	t.Helper()
	f, ok := hooks.FormatByName(format)
	if !ok {
		t.Fatalf("no format %q", format)
	}
	req, err := f.Build(ev, secrets, now)
	if err != nil {
		t.Fatalf("%s: Build: %v", format, err)
	}
	return req
}

func TestBuildReproducesEveryVector(t *testing.T) {
	v := loadVectors(t)
	cases := []struct {
		format string
		vec    vector
		raw    string
		now    string
	}{
		{"portal", v.Portal, v.Portal.Body, v.Portal.Timestamp},
		{"portalio", v.Portalio, portalioRaw, v.Portalio.Timestamp},
		{"porter", v.Porter, porterRaw, "1710000000"}, // porter signs no time
		{"standard", v.Standard, v.Standard.Body, v.Standard.Timestamp},
	}
	for _, c := range cases {
		t.Run(c.format, func(t *testing.T) {
			req := build(t, c.format, eventFrom(t, c.raw), []string{c.vec.Secret}, unixTime(t, c.now))
			if string(req.Body) != c.vec.Body {
				t.Errorf("body\n got %s\nwant %s", req.Body, c.vec.Body)
			}
			want := map[string]string{"Content-Type": "application/json", "User-Agent": "Portal-Webhooks/1"}
			for k, val := range c.vec.Headers {
				want[k] = val
			}
			for k, val := range want {
				// Indexed with the exact key: the case is part of the vector.
				if got := req.Header[k]; !slices.Equal(got, []string{val}) {
					t.Errorf("header %s = %q, want %q", k, got, val)
				}
			}
			if len(req.Header) != len(want) {
				t.Errorf("headers %v, want exactly %v", req.Header, want)
			}
		})
	}
	if v.Standard.ID != eventFrom(t, v.Standard.Body).ID {
		t.Errorf("standard vector id %s is not its event's id", v.Standard.ID)
	}
}

func TestHeadersGoOnTheWireAsWritten(t *testing.T) {
	ev := eventFrom(t, loadVectors(t).Portal.Body)
	secret, err := hooks.NewSecret("standard")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range hooks.FormatNames {
		req := build(t, name, ev, []string{secret}, time.Now())
		hr, err := http.NewRequest(http.MethodPost, "http://receiver.example/hook", bytes.NewReader(req.Body))
		if err != nil {
			t.Fatal(err)
		}
		hr.Header = req.Header
		dump, err := httputil.DumpRequestOut(hr, false)
		if err != nil {
			t.Fatal(err)
		}
		for k, vs := range req.Header {
			if line := k + ": " + vs[0] + "\r\n"; !strings.Contains(string(dump), line) {
				t.Errorf("%s: %q not on the wire:\n%s", name, line, dump)
			}
		}
	}
}

func TestSchedules(t *testing.T) {
	m, h := time.Minute, time.Hour
	want := map[string][]time.Duration{
		"portal":   {m, 5 * m, 30 * m, 2 * h, 24 * h},
		"portalio": {m, 5 * m, 30 * m, 2 * h, 12 * h},
		"porter":   {m, 5 * m, 30 * m, 2 * h, 24 * h},
		"standard": {m, 5 * m, 30 * m, 2 * h, 24 * h},
	}
	for _, name := range hooks.FormatNames {
		f, ok := hooks.FormatByName(name)
		if !ok || f.Name() != name {
			t.Fatalf("FormatByName(%q) = %v, %v", name, f, ok)
		}
		if got := f.Schedule(); !slices.Equal(got, want[name]) {
			t.Errorf("%s schedule %v, want %v", name, got, want[name])
		}
		f.Schedule()[0] = 0 // a caller's change must not stick
		if f.Schedule()[0] != m {
			t.Errorf("%s schedule is shared with callers", name)
		}
	}
	if len(want) != len(hooks.FormatNames) {
		t.Errorf("FormatNames %v", hooks.FormatNames)
	}
	if _, ok := hooks.FormatByName("stripe"); ok {
		t.Error("unknown format found")
	}
}

func TestPortalioTypes(t *testing.T) {
	for event, want := range map[string]string{
		"proposal.status_changed":         "ProposalStatusChanged",
		"proposal.outline_status_changed": "ProposalOutlineStatusChanged",
		"proposal.build_status_changed":   "ProposalBuildStatusChanged",
		"customer.created":                "PersonModification",
		"customer.updated":                "PersonModification",
		"payment.status_changed":          "PaymentStatusChange",
		"payment.received":                "PaymentStatusChange",
		"purchase_order.status_changed":   "OrderStatusChange",
		"customer.deleted":                "",
		"proposal.created":                "",
		"ticket.status_changed":           "",
	} {
		if got := hooks.PortalioType(event); got != want {
			t.Errorf("PortalioType(%q) = %q, want %q", event, got, want)
		}
	}
}

func TestPortalioBodyCarriesTheFullRecord(t *testing.T) {
	cases := []struct{ raw, want string }{
		{ // resource with an underscore; record keys out of order, HTML characters and
			// number spellings that a decode and re-encode would change
			`{"event":"purchase_order.status_changed","event_id":"evt_1","timestamp":"2026-03-15T14:22:00Z","store_id":1,` +
				`"data":{"purchase_order_id":5,"purchase_order":{"status":"Sent","id":5,"note":"<b>&</b> é","total":12.50,"big":1e3}}}`,
			`{"id":"evt_1","type":"OrderStatusChange","created":"2026-03-15T14:22:00Z",` +
				`"data":{"status":"Sent","id":5,"note":"<b>&</b> é","total":12.50,"big":1e3}}`,
		},
		{ // no Portal.io type: the dotted name; no data.ticket: the whole data object
			`{"event":"ticket.note_added","event_id":"evt_2","timestamp":"2026-03-15T14:22:00Z","store_id":1,` +
				`"data":{"ticket_id":1042,"note":{"id":3,"text":"called"}}}`,
			`{"id":"evt_2","type":"ticket.note_added","created":"2026-03-15T14:22:00Z",` +
				`"data":{"ticket_id":1042,"note":{"id":3,"text":"called"}}}`,
		},
	}
	for _, c := range cases {
		req := build(t, "portalio", eventFrom(t, c.raw), []string{"whsec_x"}, time.Now())
		if string(req.Body) != c.want {
			t.Errorf("body\n got %s\nwant %s", req.Body, c.want)
		}
	}
}

func TestCreatedIsUTCSeconds(t *testing.T) {
	ev := eventFrom(t, porterRaw)
	ev.Time = time.Date(2026, 3, 15, 10, 0, 0, 750_000_000, time.FixedZone("CET", 3600))
	req := build(t, "porter", ev, []string{"s"}, time.Now())
	if !bytes.Contains(req.Body, []byte(`"created_at":"2026-03-15T09:00:00Z"`)) {
		t.Errorf("body %s", req.Body)
	}
	ev.Time = time.Time{} // not given: read from the event object
	req = build(t, "portalio", ev, []string{"s"}, time.Now())
	if !bytes.Contains(req.Body, []byte(`"created":"2026-03-15T09:00:00Z"`)) {
		t.Errorf("body %s", req.Body)
	}
}

func TestBuildWithoutSecretFails(t *testing.T) {
	ev := eventFrom(t, loadVectors(t).Portal.Body)
	for _, name := range hooks.FormatNames {
		f, _ := hooks.FormatByName(name)
		if _, err := f.Build(ev, nil, time.Now()); err == nil {
			t.Errorf("%s built a request without a secret", name)
		}
	}
	f, _ := hooks.FormatByName("standard")
	if _, err := f.Build(ev, []string{"whsec_not base64!"}, time.Now()); err == nil {
		t.Error("standard accepted a secret that is not base64")
	}
}

func TestNewSecretIsWhsecOf24RandomBytes(t *testing.T) {
	seen := map[string]bool{}
	for _, name := range hooks.FormatNames {
		s, err := hooks.NewSecret(name)
		if err != nil {
			t.Fatal(err)
		}
		b64, ok := strings.CutPrefix(s, "whsec_")
		key, err := base64.StdEncoding.DecodeString(b64)
		if !ok || err != nil || len(key) != 24 {
			t.Errorf("%s secret %q", name, s)
		}
		if seen[s] {
			t.Errorf("secret %q twice", s)
		}
		seen[s] = true
	}
	if _, err := hooks.NewSecret("nope"); err == nil {
		t.Error("secret for an unknown format")
	}
}
