package api_test

import (
	"flag"
	"net/http"
	"os"
	"strings"
	"testing"

	"portal/api"
	"portal/store"
)

var updateAccess = flag.Bool("update-access", false, "rewrite docs/ACCESS.md from the route table")

const accessDoc = "../docs/ACCESS.md"

const accessIntro = `# Who may use each route

Made from the route table by ` + "`go test ./api -run TestAccessMatrixDocIsCurrent -update-access`" + `; a test fails
when it falls behind, and another proves every cell against a real server.

- A **plugin** or **developer** key holds only the scopes granted to it (✓ means "when granted"); no plugin
  is ever granted ` + "`backup.read`" + `. A developer key sees only the test store and is refused on live-only routes.
- A staff role's column is both their console session and their user keys (a user key holds at most its
  member's role, as it is now). In the console's test mode a session is refused on live-only routes too.
- An **internal** key holds every scope. The Portal.io routes (` + "`/public/webhook/…`" + `) take a signed user
  key and its ` + "`webhooks.*`" + ` scopes.
- A **paired kiosk** is the ` + "`/kiosk`" + ` page holding the cookie its pairing code set: it opens the ` + "`/kiosk/…`" + `
  routes and nothing else, and they refuse every key (a staff session counts for nothing there). Kiosks
  belong to the live store: an owner makes and revokes them (` + "`/kiosks`" + `), never in test mode.

`

func TestAccessMatrixDocIsCurrent(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	want := accessIntro + ts.API.AccessMatrix()
	if *updateAccess {
		if err := os.WriteFile(accessDoc, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(accessDoc)
	if err != nil || string(got) != want {
		t.Fatalf("docs/ACCESS.md is not the route table's matrix (%v); run go test ./api -run TestAccessMatrixDocIsCurrent -update-access", err)
	}
}

// Every cell of the matrix, tried: each kind of principal asks every route,
// holding the route's scope where it can, and is admitted (anything but 401
// or 403) exactly where the matrix says so.
func TestAccessMatrixHoldsForRealPrincipals(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.owner()
	owner := ts.client(internalKey)
	staff := map[string]uint64{}
	for _, role := range store.Roles {
		staff[role] = newStaff(t, owner, "Staff"+strings.ReplaceAll(role, "_", ""), role).ID
	}
	kinds := api.AccessKinds()
	clients := map[string]*client{} // by kind and scope
	for _, rt := range ts.API.Routes() {
		for _, k := range kinds {
			var spec keySpec
			var scopes []string
			if rt.Scope != "" { // an unscoped route (a plugin's token exchange) needs none
				scopes = append(scopes, rt.Scope)
			}
			scopes = append(scopes, rt.Also...)
			switch {
			case k.Name == "internal key":
				spec = internalKey
			case strings.HasPrefix(k.Name, "plugin"):
				spec = keySpec{Type: store.KeyPlugin, Scopes: scopes, Tier: "unlimited"}
			case strings.HasPrefix(k.Name, "developer"):
				spec = keySpec{Type: store.KeyDeveloper, Scopes: scopes}
			default:
				spec = keySpec{Type: store.KeyUser, UserID: staff[k.Name], Tier: "unlimited"}
			}
			admitted := false
			id := k.Name + " " + strings.Join(spec.Scopes, ",")
			c, made := clients[id]
			if !made && k.Name == "paired kiosk" { // no key: the kiosk cookie
				c, made = ts.pairedKiosk(t), true
				clients[id] = c
			}
			if !made {
				// A plugin key with backup.read cannot exist: the store refuses to make one.
				_, err := ts.Live.CreateKey(t.Context(), store.KeyInput{Type: spec.Type, Name: "probe", Scopes: spec.Scopes, UserID: spec.UserID}, ts.Sealer)
				if err == nil {
					c = ts.client(spec)
				}
				clients[id] = c
			}
			if c != nil {
				var body any
				if rt.Method != http.MethodGet {
					body = "{}"
				}
				res := c.call(rt.Method, pathParam.ReplaceAllString(rt.Path, "999999"), body)
				admitted = res.Status != http.StatusUnauthorized && res.Status != http.StatusForbidden
			}
			if admitted != k.Admits(rt) {
				t.Errorf("%s by %s: admitted %v, the matrix says %v", routeName(rt), k.Name, admitted, k.Admits(rt))
			}
		}
	}
}
