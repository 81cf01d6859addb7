package api_test

import (
	"fmt"
	"net/http"
	"testing"

	"portal/store"
)

// The resource kit's pilot: locations through the API, sorted and paged as
// the declaration says, validated field by field, each change logged.
func TestLocationsCreateListUpdate(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, internalKey)
	var main, north store.Location
	c.post("/locations", map[string]any{"name": "Main Street", "timezone": "Europe/London", "capacity": 40,
		"opens_at": "09:00", "closes_at": "17:30"}).ok(http.StatusCreated, &main)
	c.post("/locations", map[string]any{"name": "Annex"}).ok(http.StatusCreated, &north)
	if main.Timezone != "Europe/London" || north.Timezone != "UTC" || main.OpensAt != "09:00" {
		t.Fatalf("created %+v and %+v", main, north)
	}
	var list []store.Location
	c.get("/locations?sort=name").ok(http.StatusOK, &list)
	if len(list) != 2 || list[0].Name != "Annex" {
		t.Fatalf("by name: %+v", list)
	}
	c.get("/locations").ok(http.StatusOK, &list)
	if list[0].ID != north.ID {
		t.Fatalf("newest first: %+v", list)
	}
	c.get("/locations?sort=capacity").fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "sort")
	c.get("/locations?status=open").fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "status")

	for _, bad := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"name": ""}, "name"},
		{map[string]any{"name": "X", "timezone": "Mars/Olympus"}, "timezone"},
		{map[string]any{"name": "X", "timezone": "Local"}, "timezone"},
		{map[string]any{"name": "X", "opens_at": "9am", "closes_at": "17:00"}, "opens_at"},
		{map[string]any{"name": "X", "opens_at": "09:00"}, "closes_at"},
		{map[string]any{"name": "X", "capacity": -1}, "capacity"},
	} {
		c.post("/locations", bad.body).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", bad.field)
	}

	var changed store.Location
	c.patch(fmt.Sprintf("/locations/%d", main.ID), map[string]any{"capacity": 12, "name": "Main St."}).ok(http.StatusOK, &changed)
	if changed.Capacity != 12 || changed.Name != "Main St." {
		t.Fatalf("patched %+v", changed)
	}
	c.get("/locations/999").fail(http.StatusNotFound, "NOT_FOUND")
	var events []struct {
		Event string `json:"event"`
	}
	c.get("/events?event=location.*").ok(http.StatusOK, &events)
	if len(events) != 3 || events[0].Event != "location.updated" {
		t.Fatalf("events %+v", events)
	}
}
