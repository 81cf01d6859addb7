package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

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
	kiosk.get("/customers").fail(http.StatusUnauthorized, "UNAUTHORIZED")
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
