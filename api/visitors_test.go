package api_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"portal/store"
)

// desk is a server with a host and two locations to visit.
type desk struct {
	ts       *testServer
	c        *client // internal key, our envelope
	host     store.User
	location store.Location // America/New_York, closes 18:00
}

func newDesk(t *testing.T, opts serverOptions) *desk {
	t.Helper()
	ts := newTestServerWith(t, opts)
	ts.owner()
	c := ts.client(internalKey)
	d := &desk{ts: ts, c: c}
	staff := newStaff(t, c, "Hana", "front_desk")
	c.patch(fmt.Sprintf("/users/%d", staff.ID), map[string]any{"host": true, "phone": "+1 212 555 0100"}).ok(http.StatusOK, &d.host)
	if !d.host.Host || d.host.Phone != "+1 212 555 0100" {
		t.Fatalf("host after PATCH: %+v", d.host)
	}
	c.post("/locations", map[string]any{"name": "HQ", "timezone": "America/New_York", "opens_at": "08:00", "closes_at": "18:00"}).
		ok(http.StatusCreated, &d.location)
	return d
}

// visitorAnswer is a visitor with the code shown at creation.
type visitorAnswer struct {
	store.Visitor
	Code  string `json:"code"`
	QRPNG string `json:"qr_png"`
}

func (d *desk) preRegister(t *testing.T, name string, at time.Time) visitorAnswer {
	t.Helper()
	var v visitorAnswer
	d.c.post("/visitors/pre-register", map[string]any{"name": name, "company": "Analytical Engines", "email": strings.ToLower(name) + "@engines.example",
		"host_id": d.host.ID, "location_id": d.location.ID, "expected_at": at.Format(time.RFC3339), "purpose": "Demo"}).ok(http.StatusCreated, &v)
	return v
}

func (d *desk) walkIn(t *testing.T, name string, location uint64) visitorAnswer {
	t.Helper()
	var v visitorAnswer
	d.c.post("/visitors", map[string]any{"name": name, "company": "Walk-in Ltd", "host_id": d.host.ID, "location_id": location}).ok(http.StatusCreated, &v)
	return v
}

// Pre-registration, check-in by code and by id, check-out, cancellation:
// each rule through the API, with the store's clock injected.
func TestVisitorLifecycleThroughTheAPI(t *testing.T) {
	t.Parallel()
	d := newDesk(t, serverOptions{})
	c := d.c
	// 2026-03-16 01:30 UTC is still the 15th in New York: the visit's date is the local one.
	at := time.Date(2026, 3, 16, 1, 30, 0, 0, time.UTC)
	ada := d.preRegister(t, "Ada", at)
	if ada.Status != "expected" || ada.Date != "2026-03-15" || len(ada.Code) != 6 || strings.ContainsAny(ada.Code, "01OI") {
		t.Fatalf("pre-registered %+v", ada)
	}
	png, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(ada.QRPNG, "data:image/png;base64,"))
	if !strings.HasPrefix(ada.QRPNG, "data:image/png;base64,") || err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("qr_png is not a PNG data URL: %.60s (%v)", ada.QRPNG, err)
	}
	// The code is shown once: reads never carry it.
	if got := c.get(fmt.Sprintf("/visitors/%d", ada.ID)); bytes.Contains(got.Body, []byte(ada.Code)) || bytes.Contains(got.Body, []byte(`"code"`)) {
		t.Fatalf("a read shows the code: %s", got.Body)
	}

	// Validation names every bad field; nothing is written.
	notHost := newStaff(t, c, "Nohost", "technician")
	for _, bad := range []struct {
		body   map[string]any
		fields []string
	}{
		{map[string]any{"host_id": d.host.ID, "location_id": d.location.ID, "expected_at": at}, []string{"name"}},
		{map[string]any{"name": "X", "location_id": d.location.ID, "expected_at": at}, []string{"host_id"}},
		{map[string]any{"name": "X", "host_id": notHost.ID, "location_id": d.location.ID, "expected_at": at}, []string{"host_id"}},
		{map[string]any{"name": "X", "host_id": d.host.ID, "location_id": 999, "expected_at": at}, []string{"location_id"}},
		{map[string]any{"name": "X", "host_id": d.host.ID, "location_id": d.location.ID}, []string{"expected_at"}},
		{map[string]any{"name": "X", "host_id": d.host.ID, "location_id": d.location.ID, "expected_at": at, "expected_until": at.Add(-time.Hour)}, []string{"expected_until"}},
		{map[string]any{"name": "X", "email": "not-an-email", "host_id": d.host.ID, "location_id": d.location.ID, "expected_at": at}, []string{"email"}},
	} {
		c.post("/visitors/pre-register", bad.body).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", bad.fields...)
	}
	c.post("/visitors/pre-register", map[string]any{"name": "X", "host_id": d.host.ID, "location_id": d.location.ID, "expected_at": "tomorrow"}).
		fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	var total []store.Visitor
	if env := c.get("/visitors").ok(http.StatusOK, &total); env.Meta.Total != 1 {
		t.Fatalf("a refused pre-registration was written: %d visitors", env.Meta.Total)
	}

	// Not in yet: check-out is a 409 that says why.
	if e := c.post(fmt.Sprintf("/visitors/%d/check-out", ada.ID), nil).fail(http.StatusConflict, "CONFLICT"); !strings.Contains(e.Message, "not checked in") {
		t.Fatalf("check-out before check-in: %s", e.Message)
	}
	d.ts.Clock.Advance(time.Hour)
	var in store.Visitor
	c.post("/visitors/check-in", map[string]any{"code": strings.ToLower(ada.Code), "location_id": d.location.ID}).ok(http.StatusOK, &in)
	if in.Status != "checked_in" || in.CheckedInAt == nil || !in.CheckedInAt.Equal(start.Add(time.Hour)) {
		t.Fatalf("checked in %+v", in)
	}
	if e := c.post("/visitors/check-in", map[string]any{"code": ada.Code}).fail(http.StatusConflict, "CONFLICT"); !strings.Contains(e.Message, "already been used") {
		t.Fatalf("code twice: %s", e.Message)
	}
	if e := c.post(fmt.Sprintf("/visitors/%d/check-in", ada.ID), nil).fail(http.StatusConflict, "CONFLICT"); !strings.Contains(e.Message, "already checked in") {
		t.Fatalf("id twice: %s", e.Message)
	}
	c.post("/visitors/check-in", map[string]any{"code": "22222"}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "code")
	c.post("/visitors/check-in", map[string]any{"code": "ZZZZZZ"}).fail(http.StatusNotFound, "NOT_FOUND")

	var out store.Visitor
	c.post(fmt.Sprintf("/visitors/%d/check-out", ada.ID), nil).ok(http.StatusOK, &out)
	if out.Status != "checked_out" || out.CheckedOutBy != "desk" {
		t.Fatalf("checked out %+v", out)
	}
	c.post(fmt.Sprintf("/visitors/%d/check-out", ada.ID), nil).fail(http.StatusConflict, "CONFLICT")
	if e := c.post(fmt.Sprintf("/visitors/%d/check-in", ada.ID), nil).fail(http.StatusConflict, "CONFLICT"); !strings.Contains(e.Message, "checked out") {
		t.Fatalf("check-in after check-out: %s", e.Message)
	}
	c.post("/visitors/check-in", map[string]any{"code": ada.Code}).fail(http.StatusNotFound, "NOT_FOUND") // the code ended with the visit

	// Cancelled: the code stops working and the visit cannot start.
	bob := d.preRegister(t, "Bob", at)
	var cancelled store.Visitor
	c.post(fmt.Sprintf("/visitors/%d/cancel", bob.ID), nil).ok(http.StatusOK, &cancelled)
	if cancelled.Status != "cancelled" {
		t.Fatalf("cancelled %+v", cancelled)
	}
	c.post(fmt.Sprintf("/visitors/%d/cancel", bob.ID), nil).fail(http.StatusConflict, "CONFLICT")
	if e := c.post(fmt.Sprintf("/visitors/%d/check-in", bob.ID), nil).fail(http.StatusConflict, "CONFLICT"); !strings.Contains(e.Message, "cancelled") {
		t.Fatalf("check-in cancelled: %s", e.Message)
	}
	c.post("/visitors/check-in", map[string]any{"code": bob.Code}).fail(http.StatusNotFound, "NOT_FOUND")

	// A code for another location is refused at that location's desk.
	var annex store.Location
	c.post("/locations", map[string]any{"name": "Annex"}).ok(http.StatusCreated, &annex)
	cy := d.preRegister(t, "Cy", at)
	c.post("/visitors/check-in", map[string]any{"code": cy.Code, "location_id": annex.ID}).fail(http.StatusConflict, "CONFLICT")

	// A walk-in is in at once, with a code for their badge; its date is the check-in's local date.
	dee := d.walkIn(t, "Dee", annex.ID)
	if dee.Status != "checked_in" || dee.CheckedInAt == nil || len(dee.Code) != 6 || dee.Date != "2026-03-15" {
		t.Fatalf("walk-in %+v", dee)
	}

	// Lists: filters from the declaration, search by name, company and email.
	count := func(query string) int {
		t.Helper()
		var items []store.Visitor
		return c.get("/visitors?"+query).ok(http.StatusOK, &items).Meta.Total
	}
	for query, want := range map[string]int{
		"status=expected": 1, "status=checked_in": 1, "status=checked_out": 1, "status=cancelled": 1,
		"location_id=" + fmt.Sprint(annex.ID): 1, "host=" + fmt.Sprint(d.host.ID): 4, "date=2026-03-15": 4, "date=2026-03-16": 0,
		"q=ada": 1, "q=analytical": 3, "q=walk-in": 1, "q=cy@engines.example": 1, "q=engines.example": 3,
		"q=analytical&status=expected": 1, "sort=expected_at&order=asc": 4,
	} {
		if got := count(query); got != want {
			t.Errorf("GET /visitors?%s: %d visitors, want %d", query, got, want)
		}
	}
	c.get("/visitors?status=gone").fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "status")
	c.get("/visitors?date=15/03/2026").fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "date")
	c.get("/visitors?sort=name").fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "sort")

	// Every change is an event with the visitor, never the code.
	var events []struct {
		Event string `json:"event"`
		Data  struct {
			VisitorID uint64 `json:"visitor_id"`
		} `json:"data"`
	}
	res := c.get("/events?event=visitor.*&per_page=50")
	res.ok(http.StatusOK, &events)
	names := map[string]int{}
	for _, e := range events {
		names[e.Event]++
	}
	if names["visitor.pre_registered"] != 3 || names["visitor.checked_in"] != 2 || names["visitor.checked_out"] != 1 || names["visitor.cancelled"] != 1 {
		t.Fatalf("events %v", names)
	}
	for _, code := range []string{ada.Code, bob.Code, cy.Code, dee.Code} {
		if bytes.Contains(res.Body, []byte(code)) {
			t.Fatalf("an event shows a visitor's code %s", code)
		}
	}
}

// At a location's closing time, in its own time zone, everyone still in is
// checked out by "closing_time" — by the pass the serving process runs every
// minute, here after the test moves the clock.
func TestVisitorsAreCheckedOutAtClosingTime(t *testing.T) {
	t.Parallel()
	d := newDesk(t, serverOptions{})
	c, ctx := d.c, context.Background()
	var tokyo, open store.Location
	c.post("/locations", map[string]any{"name": "Tokyo", "timezone": "Asia/Tokyo", "opens_at": "09:00", "closes_at": "17:00"}).ok(http.StatusCreated, &tokyo)
	c.post("/locations", map[string]any{"name": "Always open"}).ok(http.StatusCreated, &open)

	// 14:22 UTC: 10:22 in New York (closes 18:00 EDT = 22:00 UTC), 23:22 in
	// Tokyo (after hours: that visit ends at the next closing, 08:00 UTC).
	ny := d.walkIn(t, "Nina", d.location.ID)
	tk := d.walkIn(t, "Taro", tokyo.ID)
	stay := d.walkIn(t, "Sol", open.ID)
	expected := d.preRegister(t, "Eve", start.Add(time.Hour))

	run := func(want int) {
		t.Helper()
		n, err := d.ts.API.CheckOutAtClosingTime(ctx)
		if err != nil || n != want {
			t.Fatalf("at %s: checked out %d (%v), want %d", d.ts.Clock.Now().Format(time.RFC3339), n, err, want)
		}
	}
	status := func(v visitorAnswer) store.Visitor {
		t.Helper()
		var got store.Visitor
		c.get(fmt.Sprintf("/visitors/%d", v.ID)).ok(http.StatusOK, &got)
		return got
	}
	run(0)
	d.ts.Clock.Advance(time.Date(2026, 3, 15, 21, 59, 59, 0, time.UTC).Sub(d.ts.Clock.Now()))
	run(0)
	d.ts.Clock.Advance(time.Second) // 22:00:00 UTC = 18:00 in New York
	run(1)
	if got := status(ny); got.Status != "checked_out" || got.CheckedOutBy != "closing_time" || !got.CheckedOutAt.Equal(d.ts.Clock.Now()) {
		t.Fatalf("New York visitor at closing: %+v", got)
	}
	if status(tk).Status != "checked_in" || status(stay).Status != "checked_in" {
		t.Fatal("a visitor of another location left at New York's closing time")
	}
	run(0)
	d.ts.Clock.Advance(10 * time.Hour) // 08:00 UTC on the 16th = 17:00 in Tokyo
	run(1)
	if got := status(tk); got.Status != "checked_out" || got.CheckedOutBy != "closing_time" {
		t.Fatalf("Tokyo visitor at closing: %+v", got)
	}
	d.ts.Clock.Advance(72 * time.Hour)
	run(0) // no closing time: stays in; expected visitors are not in
	if status(stay).Status != "checked_in" || status(expected).Status != "expected" {
		t.Fatal("a visitor without a closing time, or an expected one, was checked out")
	}
	var events []struct {
		Data struct {
			By      string        `json:"by"`
			Visitor store.Visitor `json:"visitor"`
		} `json:"data"`
	}
	c.get("/events?event=visitor.checked_out").ok(http.StatusOK, &events)
	if len(events) != 2 || events[0].Data.By != "closing_time" || events[0].Data.Visitor.Name != "Taro" {
		t.Fatalf("check-out events %+v", events)
	}
}

// Hosts: names for anyone who may read visitors; phone and email only for
// keys that may read staff. Presence marks staff on site.
func TestHostsAndPresence(t *testing.T) {
	t.Parallel()
	d := newDesk(t, serverOptions{})
	c := d.c
	other := newStaff(t, c, "Hank", "technician")
	c.patch(fmt.Sprintf("/users/%d", other.ID), map[string]any{"host": true}).ok(http.StatusOK, nil)
	newStaff(t, c, "Hazel", "technician") // not a host
	c.patch(fmt.Sprintf("/users/%d", d.host.ID), map[string]any{"phone": "call me"}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "phone")

	kiosk := d.ts.client(keySpec{Type: store.KeyPlugin, Scopes: []string{"visitors.read"}})
	res := kiosk.get("/hosts?q=HA")
	var hosts []map[string]any
	res.ok(http.StatusOK, &hosts)
	if len(hosts) != 2 || hosts[0]["name"] != "Hana" || hosts[1]["name"] != "Hank" || len(hosts[0]) != 2 {
		t.Fatalf("hosts for a visitors.read key: %s", res.Body)
	}
	c.get("/hosts?q=hana").ok(http.StatusOK, &hosts)
	if len(hosts) != 1 || hosts[0]["phone"] != "+1 212 555 0100" || hosts[0]["email"] != "hana@example.com" {
		t.Fatalf("hosts for a users.read key: %+v", hosts)
	}
	// A deactivated host is no longer offered.
	c.patch(fmt.Sprintf("/users/%d", other.ID), map[string]any{"active": false}).ok(http.StatusOK, nil)
	kiosk.get("/hosts").ok(http.StatusOK, &hosts)
	if len(hosts) != 1 {
		t.Fatalf("hosts after deactivating one: %+v", hosts)
	}
	d.ts.client(keySpec{Type: store.KeyPlugin, Scopes: []string{"tickets.read"}}).get("/hosts").fail(http.StatusForbidden, "FORBIDDEN")

	var u store.User
	c.post(fmt.Sprintf("/users/%d/presence", d.host.ID), map[string]any{"location_id": d.location.ID}).ok(http.StatusOK, &u)
	if u.OnSiteLocationID != d.location.ID {
		t.Fatalf("presence %+v", u)
	}
	c.post(fmt.Sprintf("/users/%d/presence", d.host.ID), map[string]any{"location_id": 999}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "location_id")
	c.post(fmt.Sprintf("/users/%d/presence", d.host.ID), map[string]any{}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "location_id")
	c.post("/users/999/presence", map[string]any{"location_id": 0}).fail(http.StatusNotFound, "NOT_FOUND")
	c.post(fmt.Sprintf("/users/%d/presence", d.host.ID), map[string]any{"location_id": 0}).ok(http.StatusOK, &u)
	if u.OnSiteLocationID != 0 {
		t.Fatalf("left: %+v", u)
	}
}

// A host's visitor arriving reaches the live feed as visitor.checked_in,
// with the host and the visitor and never the code.
func TestVisitorArrivalReachesTheLiveFeed(t *testing.T) {
	t.Parallel()
	d := newDesk(t, serverOptions{})
	runLive(t, d.ts)
	conn := dialLive(t, d.ts, d.c.key, url.Values{"events": {"visitor.checked_in"}})
	v := d.preRegister(t, "Ada", start.Add(time.Hour)) // not sent: the feed asked for check-ins only
	d.c.post("/visitors/check-in", map[string]any{"code": v.Code}).ok(http.StatusOK, nil)
	ev := readEvents(t, conn, 1)[0]
	var data struct {
		VisitorID uint64        `json:"visitor_id"`
		HostID    uint64        `json:"host_id"`
		Visitor   store.Visitor `json:"visitor"`
	}
	if err := json.Unmarshal(ev.Data, &data); err != nil {
		t.Fatal(err)
	}
	if ev.Event != "visitor.checked_in" || data.HostID != d.host.ID || data.Visitor.Name != "Ada" || bytes.Contains(ev.Data, []byte(v.Code)) {
		t.Fatalf("live event %s %s", ev.Event, ev.Data)
	}
}
