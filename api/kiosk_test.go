package api_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"portal/store"
)

type kioskView struct {
	ID         uint64     `json:"id"`
	Name       string     `json:"name"`
	LocationID uint64     `json:"location_id"`
	Status     string     `json:"status"`
	PairedAt   *time.Time `json:"paired_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

type kioskScreen struct {
	Kiosk      string `json:"kiosk"`
	Shop       string `json:"shop"`
	LocationID uint64 `json:"location_id"`
	Location   string `json:"location"`
	Timezone   string `json:"timezone"`
	Evacuation bool   `json:"evacuation"`
}

// newKiosk makes a live location (named locName) and a kiosk for it through
// the owner's API, returning the kiosk and its pairing code.
func newKiosk(t *testing.T, owner *client, locName string) (kioskView, string) {
	t.Helper()
	var loc struct {
		ID uint64 `json:"id"`
	}
	owner.post("/locations", map[string]any{"name": locName, "timezone": "Europe/London"}).ok(http.StatusCreated, &loc)
	var made struct {
		Kiosk       kioskView `json:"kiosk"`
		PairingCode string    `json:"pairing_code"`
	}
	owner.post("/kiosks", map[string]any{"name": locName + " kiosk", "location_id": loc.ID}).ok(http.StatusCreated, &made)
	return made.Kiosk, made.PairingCode
}

// pair pairs a browser-like client (our Origin, no key) with code and
// returns it holding the kiosk cookie.
func (ts *testServer) pair(t *testing.T, code string) (*client, *response) {
	t.Helper()
	c := ts.anonymous()
	c.origin = ts.origin()
	res := c.post("/kiosk/pair", map[string]any{"code": code})
	for _, ck := range res.Cookies {
		if ck.Name == "portal_kiosk" {
			c.cookie = ck
		}
	}
	return c, res
}

// pairedKiosk is a client holding a paired kiosk's cookie, for a kiosk the
// store makes directly (the access matrix asks with it).
func (ts *testServer) pairedKiosk(t *testing.T) *client {
	t.Helper()
	loc, err := ts.Live.CreateLocation(t.Context(), store.LocationInput{Name: "Probe Site"})
	if err != nil {
		t.Fatal(err)
	}
	_, code, err := ts.Live.CreateKiosk(t.Context(), store.KioskInput{Name: "Probe kiosk", LocationID: loc.ID})
	if err != nil {
		t.Fatal(err)
	}
	c, res := ts.pair(t, code)
	res.ok(http.StatusOK, nil)
	return c
}

func TestOwnerPairsAKioskThatUsesOnlyItsCookieUntilRevoked(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.owner()
	owner := ts.client(internalKey)
	manager := ts.client(keySpec{Type: store.KeyUser, UserID: newStaff(t, owner, "Morgan", "manager").ID})
	dev := ts.client(developerKey)

	manager.post("/kiosks", map[string]any{"name": "Lobby", "location_id": 1}).fail(http.StatusForbidden, "FORBIDDEN")
	dev.get("/kiosks").fail(http.StatusForbidden, "FORBIDDEN")
	owner.post("/kiosks", map[string]any{"name": "", "location_id": 0}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "name", "location_id")
	owner.post("/kiosks", map[string]any{"name": "Lobby", "location_id": 99}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "location_id")

	k, code := newKiosk(t, owner, "Main Street")
	if k.Status != "waiting" || len(code) != 9 {
		t.Fatalf("kiosk %+v code %q", k, code)
	}
	var list []kioskView
	owner.get("/kiosks").ok(http.StatusOK, &list)
	if len(list) != 1 || list[0].ID != k.ID || strings.Contains(fmt.Sprint(owner.get("/kiosks").Body), code) {
		t.Fatalf("list %+v", list)
	}

	// Pairing: from our own pages only, with the right code, once.
	stranger := ts.anonymous()
	stranger.post("/kiosk/pair", map[string]any{"code": code}).fail(http.StatusForbidden, "FORBIDDEN")
	_, res := ts.pair(t, "ABCD-EFGH")
	res.fail(http.StatusUnauthorized, "UNAUTHORIZED")
	_, res = ts.pair(t, "")
	res.fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "code")
	kiosk, res := ts.pair(t, strings.ToLower(code))
	var screen kioskScreen
	res.ok(http.StatusOK, &screen)
	if screen.Location != "Main Street" || screen.Kiosk != "Main Street kiosk" || screen.Timezone != "Europe/London" || screen.Shop == "" {
		t.Fatalf("screen %+v", screen)
	}
	ck := kiosk.cookie
	if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/api/v1/kiosk" || ck.Secure {
		t.Fatalf("kiosk cookie %+v", ck)
	}
	_, res = ts.pair(t, code)
	res.fail(http.StatusUnauthorized, "UNAUTHORIZED")

	kiosk.get("/kiosk/session").ok(http.StatusOK, &screen)
	// The cookie opens nothing else, and nothing else opens the kiosk routes.
	kiosk.get("/visitors").fail(http.StatusUnauthorized, "UNAUTHORIZED")
	kiosk.get("/kiosks").fail(http.StatusUnauthorized, "UNAUTHORIZED")
	owner.get("/kiosk/session").fail(http.StatusForbidden, "FORBIDDEN")
	session, _ := signedIn(t, ts)
	session.get("/kiosk/session").fail(http.StatusUnauthorized, "UNAUTHORIZED")
	withKey := *kiosk
	withKey.key = owner.key
	withKey.get("/kiosk/session").fail(http.StatusForbidden, "FORBIDDEN")
	kiosk.api("GET", "/kiosk/session", nil, "Portal-Mode", "test").fail(http.StatusForbidden, "FORBIDDEN")

	// Revoked: the very next request is refused, and the cookie is cleared.
	owner.api("DELETE", fmt.Sprintf("/kiosks/%d", k.ID), nil).ok(http.StatusOK, nil)
	res = kiosk.get("/kiosk/session")
	res.fail(http.StatusUnauthorized, "UNAUTHORIZED")
	cleared := false
	for _, c := range res.Cookies {
		cleared = cleared || (c.Name == "portal_kiosk" && c.Value == "" && c.MaxAge < 0)
	}
	if !cleared {
		t.Errorf("a revoked kiosk's cookie is not cleared: %v", res.Cookies)
	}
	owner.get("/kiosks").ok(http.StatusOK, &list)
	if list[0].Status != "revoked" || list[0].RevokedAt == nil {
		t.Errorf("after revoking: %+v", list[0])
	}
}

func TestWrongPairingCodesAreLimited(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.owner()
	owner := ts.client(internalKey)
	_, code := newKiosk(t, owner, "Main Street")
	for range 5 {
		_, res := ts.pair(t, "WRNG-CODE")
		res.fail(http.StatusUnauthorized, "UNAUTHORIZED")
	}
	_, res := ts.pair(t, code) // even the right one waits now
	res.fail(http.StatusTooManyRequests, "RATE_LIMITED")
	if res.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	ts.Clock.Advance(time.Minute)
	_, res = ts.pair(t, code)
	res.ok(http.StatusOK, nil)
}

func TestAPairingCodeExpiresAfterADay(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.owner()
	owner := ts.client(internalKey)
	_, code := newKiosk(t, owner, "Main Street")
	ts.Clock.Advance(24*time.Hour + time.Second)
	_, res := ts.pair(t, code)
	res.fail(http.StatusUnauthorized, "UNAUTHORIZED")
	var list []kioskView
	owner.get("/kiosks").ok(http.StatusOK, &list)
	if list[0].Status != "expired" {
		t.Errorf("status %q", list[0].Status)
	}
}

type kioskVisitView struct {
	FirstName string `json:"first_name"`
	Badge     *struct {
		Name        string    `json:"name"`
		Company     string    `json:"company"`
		Host        string    `json:"host"`
		Location    string    `json:"location"`
		Timezone    string    `json:"timezone"`
		Date        string    `json:"date"`
		CheckedInAt time.Time `json:"checked_in_at"`
		Code        string    `json:"code"`
		QRPNG       string    `json:"qr_png"`
	} `json:"badge"`
}

// newHost makes a staff member who receives visitors.
func newHost(t *testing.T, ts *testServer, owner *client, name string) store.User {
	t.Helper()
	var inv struct {
		User store.User `json:"user"`
	}
	email := strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@example.com"
	owner.post("/users", map[string]any{"name": name, "email": email, "role": "technician"}).ok(http.StatusCreated, &inv)
	u := inv.User
	yes := true
	u, err := ts.Live.UpdateUser(t.Context(), u.ID, store.UserPatch{Host: &yes})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestAVisitorWalksInChecksInAndLeavesAtTheKiosk(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.owner()
	owner := ts.client(internalKey)
	k, code := newKiosk(t, owner, "Main Street")
	kiosk, res := ts.pair(t, code)
	res.ok(http.StatusOK, nil)
	sam := newHost(t, ts, owner, "Sam Rivera")
	newHost(t, ts, owner, "Samira Khan")
	newStaff(t, owner, "SammyNotAHost", "technician")
	for i := range 9 {
		newHost(t, ts, owner, fmt.Sprintf("Alex Number%d", i))
	}

	// Hosts: typed, at least 2 letters, names and ids only, at most 8.
	kiosk.get("/kiosk/hosts?q=s").fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "q")
	res = kiosk.get("/kiosk/hosts?q=sam")
	var hosts []map[string]any
	res.ok(http.StatusOK, &hosts)
	if len(hosts) != 2 || hosts[0]["name"] != "Sam Rivera" || len(hosts[0]) != 2 {
		t.Fatalf("hosts %v", hosts)
	}
	kiosk.get("/kiosk/hosts?q=alex").ok(http.StatusOK, &hosts)
	if len(hosts) != 8 {
		t.Fatalf("%d hosts for alex, want at most 8", len(hosts))
	}

	// A walk-in gets a badge whose code checks them out.
	kiosk.post("/kiosk/walk-in", map[string]any{"name": "Ada Lovelace", "host_id": sam.ID}).
		fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "company")
	var walk kioskVisitView
	kiosk.post("/kiosk/walk-in", map[string]any{"name": "Ada Lovelace", "company": "Analytical Engines", "host_id": sam.ID}).
		ok(http.StatusCreated, &walk)
	b := walk.Badge
	if walk.FirstName != "Ada" || b == nil || b.Name != "Ada Lovelace" || b.Host != "Sam Rivera" || b.Location != "Main Street" ||
		b.Date != "2026-03-15" || len(b.Code) != 6 || !strings.HasPrefix(b.QRPNG, "data:image/png;base64,") {
		t.Fatalf("walk-in %+v %+v", walk, b)
	}
	if png, err := qrcode.Encode(b.Code, qrcode.Medium, 256); err != nil || b.QRPNG != "data:image/png;base64,"+base64.StdEncoding.EncodeToString(png) {
		t.Errorf("the badge's QR is not its code's (%v)", err)
	}
	page, err := ts.Live.ListVisitors(store.ListQuery{}, "")
	if err != nil || page.Total != 1 {
		t.Fatalf("visitors %v %v", page.Total, err)
	}

	// A pre-registered visitor checks in with their code (typed loosely), once.
	exp := start.Add(time.Hour)
	grace, graceCode, err := ts.Live.PreRegisterVisitor(t.Context(), store.VisitorInput{Name: "Grace Hopper", Company: "Navy",
		HostID: sam.ID, LocationID: k.LocationID, ExpectedAt: &exp})
	if err != nil {
		t.Fatal(err)
	}
	var in kioskVisitView
	kiosk.post("/kiosk/check-in", map[string]any{"code": strings.ToLower(graceCode[:3]) + " " + graceCode[3:]}).ok(http.StatusOK, &in)
	if in.FirstName != "Grace" || in.Badge == nil || in.Badge.Code != graceCode || in.Badge.Company != "Navy" {
		t.Fatalf("check-in %+v", in)
	}
	e := kiosk.post("/kiosk/check-in", map[string]any{"code": graceCode}).fail(http.StatusConflict, "CONFLICT")
	if strings.Contains(e.Message, "Grace") || !strings.Contains(e.Message, "already been used") {
		t.Errorf("second check-in says %q", e.Message)
	}

	// Check-out by badge code; then the code is spent.
	var out kioskVisitView
	kiosk.post("/kiosk/check-out", map[string]any{"code": b.Code}).ok(http.StatusOK, &out)
	if out.FirstName != "Ada" || out.Badge != nil {
		t.Fatalf("check-out %+v", out)
	}
	kiosk.post("/kiosk/check-out", map[string]any{"code": b.Code}).fail(http.StatusNotFound, "NOT_FOUND")
	raw, err := ts.Live.Visitor(grace.ID)
	if err != nil || !strings.Contains(string(raw), `"checked_in"`) {
		t.Fatalf("grace %s %v", raw, err)
	}

	// An expected visitor cannot check out; another location's code is not taken here.
	_, pending, err := ts.Live.PreRegisterVisitor(t.Context(), store.VisitorInput{Name: "Linus T", HostID: sam.ID, LocationID: k.LocationID, ExpectedAt: &exp})
	if err != nil {
		t.Fatal(err)
	}
	e = kiosk.post("/kiosk/check-out", map[string]any{"code": pending}).fail(http.StatusConflict, "CONFLICT")
	if !strings.Contains(e.Message, "not been checked in") || strings.Contains(e.Message, "Linus") {
		t.Errorf("early check-out says %q", e.Message)
	}
	other, err := ts.Live.CreateLocation(t.Context(), store.LocationInput{Name: "Elsewhere"})
	if err != nil {
		t.Fatal(err)
	}
	_, far, err := ts.Live.PreRegisterVisitor(t.Context(), store.VisitorInput{Name: "Far Away", HostID: sam.ID, LocationID: other.ID, ExpectedAt: &exp})
	if err != nil {
		t.Fatal(err)
	}
	kiosk.post("/kiosk/check-in", map[string]any{"code": far}).fail(http.StatusConflict, "CONFLICT")

	// What the kiosk did is the kiosk's, in the log.
	evs, err := ts.Live.EventsAfter(0, 100)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, ev := range evs {
		s := string(ev.JSON)
		if strings.Contains(s, `"visitor.checked_in"`) {
			found = true
			if !strings.Contains(s, `"type":"kiosk"`) || !strings.Contains(s, `"name":"Main Street kiosk"`) {
				t.Errorf("a kiosk check-in's actor: %s", s)
			}
		}
	}
	if !found {
		t.Error("no visitor.checked_in event")
	}
}

func TestWrongVisitorCodesAreLimitedPerKiosk(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.owner()
	owner := ts.client(internalKey)
	_, code := newKiosk(t, owner, "Main Street")
	kiosk, res := ts.pair(t, code)
	res.ok(http.StatusOK, nil)
	for range 5 {
		kiosk.post("/kiosk/check-in", map[string]any{"code": "ZZZZZZ"}).fail(http.StatusNotFound, "NOT_FOUND")
	}
	res = kiosk.post("/kiosk/check-out", map[string]any{"code": "ZZZZZZ"})
	res.fail(http.StatusTooManyRequests, "RATE_LIMITED")
	if res.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	ts.Clock.Advance(time.Minute)
	kiosk.post("/kiosk/check-in", map[string]any{"code": "ZZZZZZ"}).fail(http.StatusNotFound, "NOT_FOUND")
}
