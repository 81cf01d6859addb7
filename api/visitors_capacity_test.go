package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A location with a capacity takes that many visitors on site at once: the
// next check-in, by walk-in or by code, is a 409 until someone leaves.
func TestALocationsCapacityLimitsCheckIns(t *testing.T) {
	t.Parallel()
	d := newDesk(t, serverOptions{})
	c := d.c
	c.patch(fmt.Sprintf("/locations/%d", d.location.ID), map[string]any{"capacity": 2}).ok(http.StatusOK, nil)
	first := d.walkIn(t, "Ada", d.location.ID)
	d.walkIn(t, "Grace", d.location.ID)
	expected := d.preRegister(t, "Edsger", time.Date(2026, 3, 16, 15, 0, 0, 0, time.UTC))

	full := c.post("/visitors", map[string]any{"name": "Alan", "company": "Bletchley", "host_id": d.host.ID, "location_id": d.location.ID}).
		fail(http.StatusConflict, "CONFLICT")
	if !strings.Contains(full.Message, "HQ is full: 2 of 2") {
		t.Fatalf("walk-in over capacity: %s", full.Message)
	}
	c.post("/visitors/check-in", map[string]any{"code": expected.Code}).fail(http.StatusConflict, "CONFLICT")

	c.post(fmt.Sprintf("/visitors/%d/check-out", first.ID), nil).ok(http.StatusOK, nil)
	c.post("/visitors/check-in", map[string]any{"code": expected.Code}).ok(http.StatusOK, nil)
}

// At the kiosk a full site is said in the visitor's words, naming nobody.
func TestAFullSiteRefusesAWalkInAtTheKiosk(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.owner()
	owner := ts.client(internalKey)
	k, code := newKiosk(t, owner, "Main Street")
	owner.patch(fmt.Sprintf("/locations/%d", k.LocationID), map[string]any{"capacity": 1}).ok(http.StatusOK, nil)
	kiosk, res := ts.pair(t, code)
	res.ok(http.StatusOK, nil)
	sam := newHost(t, ts, owner, "Sam Rivera")
	kiosk.post("/kiosk/walk-in", map[string]any{"name": "Ada Lovelace", "company": "Analytical Engines", "host_id": sam.ID}).
		ok(http.StatusCreated, nil)
	full := kiosk.post("/kiosk/walk-in", map[string]any{"name": "Grace Hopper", "company": "Navy", "host_id": sam.ID}).
		fail(http.StatusConflict, "CONFLICT")
	if full.Message != "We are full at the moment; please ask at the desk" {
		t.Fatalf("refusal at a full site: %q", full.Message)
	}
}
