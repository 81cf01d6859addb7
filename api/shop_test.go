package api_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"portal/store"
)

func TestStoreInfoReadsAndPatches(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, internalKey)

	var shop store.Shop
	c.get("/store").ok(http.StatusOK, &shop)
	if shop.Name != "My Repair Shop" || shop.Currency != "USD" || shop.Timezone != "UTC" {
		t.Errorf("default shop %+v", shop)
	}

	res := c.patch("/store", `{"name":"Fix-It Corner","timezone":"Europe/London","tax_rate":8.875}`)
	env := res.ok(http.StatusOK, &shop)
	if shop.Name != "Fix-It Corner" || shop.Timezone != "Europe/London" || shop.Currency != "USD" {
		t.Errorf("patched shop %+v", shop)
	}
	if !strings.Contains(string(env.Data), `"tax_rate":8.875`) {
		t.Errorf("tax rate on the wire: %s", env.Data)
	}
	c.get("/store").ok(http.StatusOK, &shop)
	if shop.Name != "Fix-It Corner" {
		t.Errorf("GET after PATCH: %+v", shop)
	}

	cases := []struct{ body, field string }{
		{`{"currency":"usd"}`, "currency"},
		{`{"timezone":"Mars/Olympus"}`, "timezone"},
		{`{"email":"shop"}`, "email"},
		{`{"name":" "}`, "name"},
		{`{"tax_rate":101}`, "tax_rate"},
		{`{"tax_rate":8.8755}`, "tax_rate"},
		{`{"owner":"me"}`, "owner"},
	}
	for _, tc := range cases {
		c.patch("/store", tc.body).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", tc.field)
	}
}

func TestStatusesCanBeReplacedUnlessInUse(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, internalKey)

	var statuses []store.Status
	c.get("/store/statuses").ok(http.StatusOK, &statuses)
	var names []string
	for _, s := range statuses {
		names = append(names, s.Name)
	}
	want := []string{"New", "In Progress", "Waiting for Parts", "Waiting on Customer", "Ready for Pickup", "Resolved", "Closed"}
	if !slices.Equal(names, want) {
		t.Errorf("default statuses %v, want %v", names, want)
	}
	for _, s := range statuses {
		if s.Closed != (s.Name == "Resolved" || s.Name == "Closed") {
			t.Errorf("status %q closed=%v", s.Name, s.Closed)
		}
	}

	workflow := []store.Status{{Name: "Received"}, {Name: "Bench"}, {Name: "Done", Closed: true}}
	c.api("PUT", "/store/statuses", map[string]any{"statuses": workflow}).ok(http.StatusOK, &statuses)
	if !slices.Equal(statuses, workflow) {
		t.Errorf("PUT answered %+v", statuses)
	}
	tk := c.newTicket(c.newCustomer("Ann").ID, nil)
	if tk.Status != "Received" {
		t.Errorf("new ticket status %q, want the first status", tk.Status)
	}

	c.api("PUT", "/store/statuses", map[string]any{"statuses": []store.Status{{Name: "Bench"}, {Name: "Done", Closed: true}}}).
		fail(http.StatusConflict, "CONFLICT")
	c.api("PUT", "/store/statuses", map[string]any{"statuses": []store.Status{{Name: "Received", Closed: true}, {Name: "Open"}}}).
		fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "statuses")
	c.api("PUT", "/store/statuses", map[string]any{"statuses": []store.Status{}}).
		fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "statuses")
	c.api("PUT", "/store/statuses", `{"statuses":[{"name":"Received","colour":"red"}]}`).
		fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "colour")
}

func TestStoreFeaturesAreFlags(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, internalKey)
	var features map[string]bool
	c.get("/store/features").ok(http.StatusOK, &features)
	if !features["tickets"] || !features["customers"] || !features["payments"] {
		t.Errorf("features %v", features)
	}
	if _, ok := features["visitors"]; !ok {
		t.Errorf("features %v lack visitors", features)
	}
}

func TestUsersListStaffWithoutSecrets(t *testing.T) {
	t.Parallel()
	ts, c := newServer(t, internalKey)
	var users []store.User
	c.get("/users").ok(http.StatusOK, &users)
	if len(users) != 0 {
		t.Errorf("users before setup: %+v", users)
	}

	token := ts.owner()
	if _, _, err := ts.Live.CompleteSetup(context.Background(), store.SetupInput{Token: token, Name: "Olive Owner",
		Email: "olive@example.com", Password: ownerPassword}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/users", "/users/active"} {
		res := c.get(path)
		res.ok(http.StatusOK, &users)
		if len(users) != 1 || users[0].Name != "Olive Owner" || users[0].Role != "owner" || !users[0].Active {
			t.Errorf("%s: %+v", path, users)
		}
		if strings.Contains(string(res.Body), "password") || strings.Contains(string(res.Body), "setup") {
			t.Errorf("%s shows secrets: %s", path, res.Body)
		}
	}
	// Test mode has staff of its own: a test key never sees the live shop's people.
	dev := ts.client(developerKey)
	dev.get("/users/active").ok(http.StatusOK, &users)
	if len(users) != 0 {
		t.Errorf("developer key sees the live staff: %+v", users)
	}
}

// Short lists page like every other list (API.md "Lists").
func TestShortListsTakePagingAndCarryMeta(t *testing.T) {
	t.Parallel()
	ts, c := newServer(t, internalKey)
	ts.owner()
	for _, path := range []string{"/users", "/users/active", "/keys", "/webhooks"} {
		env := c.get(path+"?per_page=1").ok(http.StatusOK, nil)
		if env.Meta == nil || env.Meta.PerPage != 1 {
			t.Errorf("%s: meta %+v", path, env.Meta)
		}
		c.get(path+"?per_page=999").fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "per_page")
	}
}

// What Settings → Shop and the setup step write: hours, receipt terms and
// whether setup is done, each checked like the other fields.
func TestShopKeepsHoursTermsAndSetupState(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, internalKey)
	var shop store.Shop
	c.get("/store").ok(http.StatusOK, &shop)
	if shop.SetupComplete || shop.Hours != "" || shop.ReceiptTerms != "" {
		t.Fatalf("a new shop %+v is already set up", shop)
	}
	terms := "We are not responsible for data loss.\nDevices left 90 days are recycled."
	c.patch("/store", map[string]any{"hours": "Mon–Fri 9–6", "receipt_terms": terms, "setup_complete": true}).ok(http.StatusOK, &shop)
	if shop.Hours != "Mon–Fri 9–6" || shop.ReceiptTerms != terms || !shop.SetupComplete {
		t.Fatalf("patched shop %+v", shop)
	}
	for _, tc := range []struct {
		body  any
		field string
	}{
		{map[string]any{"hours": strings.Repeat("h", 301)}, "hours"},
		{map[string]any{"receipt_terms": strings.Repeat("t", 2001)}, "receipt_terms"},
		{map[string]any{"phone": strings.Repeat("5", 41)}, "phone"},
		{map[string]any{"address": strings.Repeat("a", 301)}, "address"},
		{map[string]any{"setup_complete": "yes"}, "setup_complete"},
	} {
		c.patch("/store", tc.body).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", tc.field)
	}
}

// Renaming a status in use moves its tickets with it: the filter and the
// counts follow, and a rename that would change open to closed is refused.
func TestRenamingAStatusInUseMovesItsTickets(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, internalKey)
	cust := c.newCustomer("Ann").ID
	a := c.newTicket(cust, map[string]any{"status": "Waiting for Parts"})
	c.newTicket(cust, map[string]any{"status": "Waiting for Parts"})
	c.newTicket(cust, nil)

	renamed := store.DefaultStatuses()
	renamed[2].Name = "Parts ordered"
	rename := map[string]string{"Waiting for Parts": "Parts ordered"}

	flipped := slices.Clone(renamed)
	flipped[2].Closed = true
	c.api("PUT", "/store/statuses", map[string]any{"statuses": flipped, "renames": rename}).fail(http.StatusConflict, "CONFLICT")
	c.api("PUT", "/store/statuses", map[string]any{"statuses": renamed, "renames": map[string]string{"Waiting for Parts": "Nowhere"}}).
		fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "renames")
	c.api("PUT", "/store/statuses", map[string]any{"statuses": renamed, "renames": map[string]string{"Unknown": "Parts ordered"}}).
		fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "renames")

	c.api("PUT", "/store/statuses", map[string]any{"statuses": renamed, "renames": rename}).ok(http.StatusOK, nil)
	var got ticket
	c.get(fmt.Sprintf("/tickets/%d", a.ID)).ok(http.StatusOK, &got)
	if got.Status != "Parts ordered" || got.UpdatedAt != a.UpdatedAt {
		t.Fatalf("renamed ticket %+v (was updated %v)", got, a.UpdatedAt)
	}
	if env := c.get("/tickets?status=Parts+ordered").ok(http.StatusOK, nil); env.Meta.Total != 2 {
		t.Errorf("%d tickets in the renamed status, want 2", env.Meta.Total)
	}
	if env := c.get("/tickets?status=Waiting+for+Parts").ok(http.StatusOK, nil); env.Meta.Total != 0 {
		t.Errorf("%d tickets left in the old name", env.Meta.Total)
	}
	var events []struct {
		Data struct {
			Renamed map[string]string `json:"renamed"`
		} `json:"data"`
	}
	c.get("/events?event=store.updated&per_page=1").ok(http.StatusOK, &events)
	if len(events) != 1 || events[0].Data.Renamed["Waiting for Parts"] != "Parts ordered" {
		t.Errorf("store.updated does not say what was renamed: %+v", events)
	}
}
