package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"portal/store"
)

// Every event names who did it: the staff member behind a console session,
// the key (by its name) behind an API call; never a secret.
func TestEventsNameTheirActor(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	session, _ := signedIn(t, ts)
	printer := ts.client(keySpec{Type: store.KeyPlugin, Name: "Label printer", Scopes: []string{"customers.write", "customers.read", "events.read"}})

	var c customer
	session.api("POST", "/customers", map[string]any{"name": "Ada"}).ok(http.StatusCreated, &c)
	printer.patch(fmt.Sprintf("/customers/%d", c.ID), map[string]any{"phone": "+1 555 0100"}).ok(http.StatusOK, nil)

	var events []struct {
		Event string      `json:"event"`
		Actor store.Actor `json:"actor"`
	}
	printer.get("/events").ok(http.StatusOK, &events)
	if len(events) != 2 {
		t.Fatalf("events %+v", events)
	}
	users, err := ts.Live.Users(false)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]store.Actor{
		"customer.created": {Type: store.ActorUser, ID: users[0].ID, Name: "Olive Owner"},
		"customer.updated": {Type: store.ActorKey, ID: printer.keyID, Name: "Label printer"},
	}
	for _, ev := range events {
		if ev.Actor != want[ev.Event] {
			raw, _ := json.Marshal(ev)
			t.Errorf("%s: actor %s, want %+v", ev.Event, raw, want[ev.Event])
		}
	}
}
