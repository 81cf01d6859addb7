package api_test

import (
	"fmt"
	"net/http"
	"testing"

	"portal/store"
)

func TestOwnerInvitesStaffWhoSetTheirPasswordAndSignIn(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.owner()
	owner := ts.client(internalKey)
	var inv struct {
		User        store.User `json:"user"`
		InviteToken string     `json:"invite_token"`
		InvitePath  string     `json:"invite_path"`
	}
	owner.post("/users", map[string]any{"name": "Sam Tech", "email": "sam@example.com", "role": "technician"}).
		ok(http.StatusCreated, &inv)
	if inv.User.Role != "technician" || inv.InviteToken == "" || inv.InvitePath != "/invite#token="+inv.InviteToken {
		t.Fatalf("invitation %+v", inv)
	}
	owner.post("/users", map[string]any{"name": "Sam Again", "email": "SAM@example.com", "role": "manager"}).
		fail(http.StatusConflict, "CONFLICT")
	owner.post("/users", map[string]any{"name": "X", "email": "x@example.com", "role": "wizard"}).
		fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "role")

	c := ts.anonymous()
	c.origin = ts.origin()
	// The invite page greets them: their name and email, and the shop's.
	owner.patch("/store", map[string]any{"name": "Fix-It Corner"}).ok(http.StatusOK, nil)
	var greeting map[string]string
	c.call("POST", "/auth/invitation", map[string]any{"token": inv.InviteToken}).ok(http.StatusOK, &greeting)
	if greeting["name"] != "Sam Tech" || greeting["email"] != "sam@example.com" || greeting["shop"] != "Fix-It Corner" {
		t.Fatalf("invitation greeting %v", greeting)
	}
	c.call("POST", "/auth/invitation", map[string]any{"token": "nope"}).fail(http.StatusConflict, "CONFLICT")
	c.call("POST", "/auth/accept-invite", map[string]any{"token": inv.InviteToken, "password": "short"}).
		fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "password")
	res := c.call("POST", "/auth/accept-invite", map[string]any{"token": inv.InviteToken, "password": "a long enough password"})
	res.ok(http.StatusOK, nil)
	if len(res.Cookies) != 1 || !res.Cookies[0].HttpOnly {
		t.Fatalf("accepting the invitation signs in: %+v", res.Cookies)
	}
	c.call("POST", "/auth/accept-invite", map[string]any{"token": inv.InviteToken, "password": "a long enough password"}).
		fail(http.StatusConflict, "CONFLICT")
	c.call("POST", "/auth/invitation", map[string]any{"token": inv.InviteToken}).fail(http.StatusConflict, "CONFLICT") // used
	c.call("POST", "/auth/signin", map[string]any{"email": "sam@example.com", "password": "a long enough password"}).
		ok(http.StatusOK, nil)
}

func TestStaffRolesAreNoStrongerThanWhoeverGivesThem(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.owner()
	owner := ts.client(internalKey)
	manager := ts.client(keySpec{Type: store.KeyPlugin, Scopes: store.RoleScopes("manager")})
	manager.post("/users", map[string]any{"name": "Boss", "email": "boss@example.com", "role": "owner"}).
		fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "role")
	var users []store.User
	owner.get("/users").ok(http.StatusOK, &users)
	ownerID := users[0].ID
	manager.patch(fmt.Sprintf("/users/%d", ownerID), map[string]any{"active": false}).fail(http.StatusForbidden, "FORBIDDEN")
	// The last active owner cannot step down.
	owner.patch(fmt.Sprintf("/users/%d", ownerID), map[string]any{"role": "manager"}).fail(http.StatusConflict, "CONFLICT")
}
