package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"portal/api"
	"portal/store"
)

// liveMark is on every live record the walk could leak; no test-mode
// answer may contain it.
const liveMark = "LIVEMARK"

// walkStep is one request of the walk: the route (as the table names it),
// the path with its ids, and a valid body.
type walkStep struct {
	route, path string
	body        any
}

// testModeWalk is a valid request for every route of the table, against the
// records the walk makes in the test store. Deletes come last.
func testModeWalk(ids map[string]string) []walkStep {
	p := func(format string) string {
		for k, v := range ids {
			format = strings.ReplaceAll(format, "{"+k+"}", v)
		}
		return format
	}
	return []walkStep{
		{"GET /customers", "/customers?q=ada", nil},
		{"POST /customers", "/customers", map[string]any{"name": "Walk Customer", "email": "walk@example.com"}},
		{"GET /customers/{id}", p("/customers/{customer}"), nil},
		{"PATCH /customers/{id}", p("/customers/{customer}"), map[string]any{"phone": "+1 555 0100"}},
		{"GET /customers/{id}/tickets", p("/customers/{customer}/tickets"), nil},
		{"POST /customers/{id}/portal-link", p("/customers/{customer}/portal-link"), nil},
		{"DELETE /customers/{id}/portal-link", p("/customers/{customer}/portal-link"), nil},
		{"GET /tickets", "/tickets?status=New", nil},
		{"POST /tickets", "/tickets", map[string]any{"customer_id": num(ids["customer"]), "issue": "Walk issue", "assigned_to": num(ids["user"]),
			"device": map[string]any{"brand": "Apple", "model": "iPhone 15"}}},
		{"GET /tickets/counts", "/tickets/counts?by=status", nil},
		{"GET /tickets/{id}", p("/tickets/{ticket}"), nil},
		{"PATCH /tickets/{id}", p("/tickets/{ticket}"), map[string]any{"status": "In Progress", "assigned_to": num(ids["user"])}},
		{"GET /tickets/{id}/qr.png", p("/tickets/{ticket}/qr.png"), nil},
		{"POST /customers/{id}/portal-link/qr", p("/customers/{customer}/portal-link/qr"), nil},
		{"GET /tickets/{id}/invoice", p("/tickets/{ticket}/invoice"), nil},
		{"GET /tickets/{id}/invoice.pdf", p("/tickets/{ticket}/invoice.pdf"), nil},
		{"GET /tickets/{id}/notes", p("/tickets/{ticket}/notes"), nil},
		{"POST /tickets/{id}/notes", p("/tickets/{ticket}/notes"), map[string]any{"body": "Walk note"}},
		{"GET /tickets/{id}/line_items", p("/tickets/{ticket}/line_items"), nil},
		{"POST /tickets/{id}/line_items", p("/tickets/{ticket}/line_items"), map[string]any{"kind": "part", "description": "Walk part", "quantity": 1, "unit_price": 10}},
		{"PATCH /tickets/{id}/line_items/{item_id}", p("/tickets/{ticket}/line_items/{item}"), map[string]any{"quantity": 2}},
		{"GET /tickets/{id}/events", p("/tickets/{ticket}/events"), nil},
		{"GET /tickets/{id}/payments", p("/tickets/{ticket}/payments"), nil},
		{"POST /tickets/{id}/payments", p("/tickets/{ticket}/payments"), map[string]any{"amount": 5, "method": "cash"}},
		{"POST /tickets/{id}/payments/{payment_id}/refund", p("/tickets/{ticket}/payments/{payment}/refund"), map[string]any{"amount": 0.5, "reason": "Walk refund"}},
		{"POST /tickets/{id}/payments/{payment_id}/void", p("/tickets/{ticket}/payments/{payment_void}/void"), nil},
		{"GET /events", "/events", nil},
		{"GET /events/{id}", p("/events/{event}"), nil},
		{"GET /store", "/store", nil},
		{"PATCH /store", "/store", map[string]any{"name": "Walk Shop", "hours": "Mon–Fri 9–6", "receipt_terms": "Walk terms", "setup_complete": true}},
		{"GET /store/statuses", "/store/statuses", nil},
		{"PUT /store/statuses", "/store/statuses", map[string]any{"statuses": store.DefaultStatuses()}},
		{"GET /store/payments", "/store/payments", nil},
		{"PATCH /store/payments", "/store/payments", map[string]any{"stripe_webhook_secret": "whsec_walk_0123456789abcdef",
			"payment_link_template": "https://pay.example.com/shop?ticket={ticket_id}&amount={balance}"}},
		{"GET /store/email", "/store/email", nil},
		// Port 1 refuses at once: the test email answers the failure (200, sent false).
		{"PATCH /store/email", "/store/email", map[string]any{"host": "127.0.0.1", "port": 1, "security": "none", "from": "walk@example.com", "password": "walk-pass"}},
		{"POST /store/email/test", "/store/email/test", map[string]any{"to": "walk@example.com"}},
		{"GET /emails", "/emails", nil},
		{"GET /emails/{id}", p("/emails/{email}"), nil},
		{"GET /store/features", "/store/features", nil},
		{"GET /users", "/users", nil},
		{"GET /users/active", "/users/active", nil},
		{"POST /users", "/users", map[string]any{"name": "Walk Staffer", "email": "walk-staff-" + ids["n"] + "@example.com", "role": "technician"}},
		{"PATCH /users/{id}", p("/users/{user}"), map[string]any{"name": "Sam R."}},
		{"GET /keys", "/keys", nil},
		{"GET /plugins/catalog", "/plugins/catalog", nil},
		{"POST /keys", "/keys", map[string]any{"type": "developer", "name": "walk", "scopes": []string{"tickets.read"}}},
		{"DELETE /keys/{id}", p("/keys/{key}"), nil},
		{"GET /plugins", "/plugins", nil},
		{"POST /plugins", "/plugins", map[string]any{"manifest": walkManifest()}},
		{"GET /plugins/{id}", "/plugins/walk-plugin", nil},
		{"POST /plugins/{id}/approve", "/plugins/walk-plugin/approve", nil},
		{"DELETE /plugins/{id}", "/plugins/walk-plugin", nil},
		{"GET /webhooks", "/webhooks", nil},
		{"POST /webhooks", "/webhooks", map[string]any{"url": ids["receiver"], "events": []string{"ticket.*"}}},
		{"GET /webhooks/{id}", p("/webhooks/{webhook}"), nil},
		{"PATCH /webhooks/{id}", p("/webhooks/{webhook}"), map[string]any{"description": "walked", "events": []string{"*"}}},
		{"POST /webhooks/{id}/test", p("/webhooks/{webhook}/test"), nil},
		{"POST /webhooks/{id}/reveal-secret", p("/webhooks/{webhook}/reveal-secret"), nil},
		{"POST /webhooks/{id}/rotate-secret", p("/webhooks/{webhook}/rotate-secret"), nil},
		{"GET /webhooks/{id}/deliveries", p("/webhooks/{webhook}/deliveries"), nil},
		{"GET /deliveries/{id}", p("/deliveries/{delivery}"), nil},
		{"POST /deliveries/{id}/redeliver", p("/deliveries/{delivery}/redeliver"), nil},
		{"GET /locations", "/locations?sort=name", nil},
		{"POST /locations", "/locations", map[string]any{"name": "Walk Street", "timezone": "Europe/London", "opens_at": "09:00", "closes_at": "17:30"}},
		{"GET /locations/{id}", p("/locations/{location}"), nil},
		{"PATCH /locations/{id}", p("/locations/{location}"), map[string]any{"capacity": 12}},
		{"GET /catalog/items", "/catalog/items?q=walk&kind=part", nil},
		{"POST /catalog/items", "/catalog/items", map[string]any{"sku": "WALK-NEW-" + ids["n"], "name": "Walk battery", "price": 49.5, "cost": 20, "reorder_level": 2}},
		{"GET /catalog/items/{id}", p("/catalog/items/{catalog}"), nil},
		{"PATCH /catalog/items/{id}", p("/catalog/items/{catalog}"), map[string]any{"price": 12.5, "reorder_level": 1}},
		{"POST /inventory/adjustments", "/inventory/adjustments", map[string]any{"item_id": num(ids["catalog"]), "location_id": num(ids["location"]), "delta": 5, "reason": "count", "note": "walk"}},
		{"GET /inventory", p("/inventory?item_id={catalog}&low_stock=false"), nil},
		{"GET /inventory/adjustments", p("/inventory/adjustments?item_id={catalog}"), nil},
		{"GET /visitors", "/visitors?status=expected&q=walk", nil},
		{"GET /visitors/{id}", p("/visitors/{visitor}"), nil},
		{"POST /visitors/pre-register", "/visitors/pre-register", map[string]any{"name": "Walk Visitor", "host_id": num(ids["user"]), "location_id": num(ids["location"]), "expected_at": "2026-03-16T09:00:00Z"}},
		{"POST /visitors", "/visitors", map[string]any{"name": "Walk In", "host_id": num(ids["user"]), "location_id": num(ids["location"])}},
		{"POST /visitors/check-in", "/visitors/check-in", map[string]any{"code": ids["visitor_code"]}},
		{"POST /visitors/{id}/check-in", p("/visitors/{expected}/check-in"), nil},
		{"POST /visitors/{id}/check-out", p("/visitors/{visitor}/check-out"), nil},
		{"POST /visitors/{id}/cancel", p("/visitors/{cancel}/cancel"), nil},
		{"GET /hosts", "/hosts?q=sam", nil},
		{"POST /users/{id}/presence", p("/users/{user}/presence"), map[string]any{"location_id": num(ids["location"])}},
		{"GET /contractors", "/contractors?status=pending&sort=company", nil},
		{"POST /contractors", "/contractors", map[string]any{"company": "Walk Glazing", "name": "Kit Walk", "induction_expires_on": "2027-06-30"}},
		{"GET /contractors/{id}", p("/contractors/{contractor}"), nil},
		{"PATCH /contractors/{id}", p("/contractors/{contractor}"), map[string]any{"phone": "+1 555 0101", "insurance_expires_on": "2027-12-31"}},
		{"POST /contractors/{id}/approve", p("/contractors/{contractor}/approve"), nil},
		{"POST /contractors/{id}/reject", p("/contractors/{rejectee}/reject"), map[string]any{"reason": "No insurance on file"}},
		{"POST /contractors/{id}/check-in", p("/contractors/{contractor}/check-in"), map[string]any{"location_id": num(ids["location"])}},
		{"POST /evacuation/activate", "/evacuation/activate", map[string]any{"location_id": num(ids["location"])}},
		{"GET /evacuation", "/evacuation", nil},
		{"POST /evacuation/roll-call/{entry_id}/safe", p("/evacuation/roll-call/{entry}/safe"), nil},
		{"POST /evacuation/end", "/evacuation/end", nil},
		{"POST /contractors/{id}/check-out", p("/contractors/{contractor}/check-out"), nil},
		{"GET /suppliers", "/suppliers?q=walk", nil},
		{"POST /suppliers", "/suppliers", map[string]any{"name": "Walk Parts Co", "contact": "Kit Walk", "email": "orders@walkparts.example.com"}},
		{"GET /suppliers/{id}", p("/suppliers/{supplier}"), nil},
		{"PATCH /suppliers/{id}", p("/suppliers/{supplier}"), map[string]any{"phone": "+1 555 0102", "notes": "Ships on Tuesdays"}},
		{"GET /purchase_orders", p("/purchase_orders?status=draft&supplier_id={supplier}"), nil},
		{"POST /purchase_orders", "/purchase_orders", map[string]any{"supplier_id": num(ids["supplier"]), "location_id": num(ids["location"]),
			"lines": []map[string]any{{"item_id": num(ids["catalog_item"]), "quantity": 3, "unit_cost": 4.5}}}},
		{"GET /purchase_orders/{id}", p("/purchase_orders/{purchase_order}"), nil},
		{"PATCH /purchase_orders/{id}", p("/purchase_orders/{purchase_order}"), map[string]any{"status": "ordered", "notes": "Walk order"}},
		{"POST /purchase_orders/{id}/receive", p("/purchase_orders/{purchase_order}/receive"), map[string]any{"lines": []map[string]any{{"item_id": num(ids["catalog_item"]), "quantity": 1}}}},
		{"GET /devices", "/devices?status=acquired&q=walk", nil},
		{"POST /devices", "/devices", map[string]any{"brand": "Walk", "model": "Phone", "serial": "WALK-" + ids["n"], "purchase_price": 50,
			"seller_customer_id": num(ids["customer"]), "location_id": num(ids["location"])}},
		{"GET /devices/counts", "/devices/counts?by=status", nil},
		{"GET /devices/{id}", p("/devices/{device}"), nil},
		{"PATCH /devices/{id}", p("/devices/{device}"), map[string]any{"status": "testing", "asking_price": 99}},
		{"POST /devices/{id}/status", p("/devices/{device}/status"), map[string]any{"status": "listed"}},
		{"GET /proposals", p("/proposals?status=Submitted&customer_id={customer}&q=walk"), nil},
		{"POST /proposals", "/proposals", map[string]any{"name": "Walk quote", "customer_id": num(ids["customer"]), "ticket_id": num(ids["ticket"]),
			"areas": []map[string]any{{"name": "Screen", "options": []map[string]any{{"name": "Original", "line_items": []map[string]any{
				{"catalog_item_id": num(ids["catalog"]), "quantity": 1}, {"kind": "service", "description": "Fitting", "quantity": 0.5, "unit_price": 60}}}}}}}},
		{"GET /proposals/{id}", p("/proposals/{proposal}"), nil},
		{"PATCH /proposals/{id}", p("/proposals/{proposal}"), map[string]any{"chosen_options": []int{0}, "status": "Accepted"}},
		{"GET /live", "/live?events=ticket.*", nil},
		{"GET /backup", "/backup", nil},
		{"GET /appliance/chain", "/appliance/chain", nil},
		{"PATCH /appliance/chain", "/appliance/chain", map[string]any{"nats_url": "nats://walk:walk-pass@127.0.0.1:1", "stream": "WALK", "shop": "walk", "include_test": true}},
		{"GET /kiosks", "/kiosks", nil},
		{"POST /kiosks", "/kiosks", map[string]any{"name": "Walk kiosk", "location_id": num(ids["location"])}},
		{"DELETE /kiosks/{id}", "/kiosks/1", nil},
		{"POST /kiosk/pair", "/kiosk/pair", map[string]any{"code": "ABCD-EFGH"}},
		{"GET /kiosk/session", "/kiosk/session", nil},
		{"GET /kiosk/hosts", "/kiosk/hosts?q=sam", nil},
		{"POST /kiosk/check-in", "/kiosk/check-in", map[string]any{"code": "ABC234"}},
		{"POST /kiosk/walk-in", "/kiosk/walk-in", map[string]any{"name": "Walk Visitor", "company": "Walk Ltd", "host_id": num(ids["user"])}},
		{"POST /kiosk/check-out", "/kiosk/check-out", map[string]any{"code": "ABC234"}},
		{"GET /customers.csv", "/customers.csv?q=ada", nil},
		{"GET /tickets.csv", "/tickets.csv?status=New&sort=updated_at", nil},
		{"GET /locations.csv", "/locations.csv?sort=name", nil},
		{"GET /visitors.csv", "/visitors.csv?status=expected", nil},
		{"GET /contractors.csv", "/contractors.csv?status=pending", nil},
		{"POST /import/customers", "/import/customers", csvBody("name,email\nWalk Import,walk-import@example.com\n")},
		{"POST /import/catalog_items", "/import/catalog_items", csvBody("sku,name,price\nWALK-IMPORT-" + ids["n"] + ",Walk part,5\n")},
		{"GET /catalog/items.csv", "/catalog/items.csv?q=walk&kind=part", nil},
		{"GET /inventory.csv", p("/inventory.csv?item_id={catalog}"), nil},
		{"GET /devices.csv", "/devices.csv?status=acquired&sort=asking_price", nil},
		{"GET /suppliers.csv", "/suppliers.csv?sort=name", nil},
		{"GET /purchase_orders.csv", "/purchase_orders.csv?status=draft", nil},
		{"GET /proposals.csv", "/proposals.csv?status=Accepted&sort=expires_at", nil},
		{"GET /inventory/adjustments.csv", p("/inventory/adjustments.csv?item_id={catalog}"), nil},
		{"GET /tickets/{id}/attachments", p("/tickets/{ticket}/attachments"), nil},
		{"POST /tickets/{id}/attachments", p("/tickets/{ticket}/attachments"), uploadBody("walk.png")},
		{"GET /customers/{id}/attachments", p("/customers/{customer}/attachments"), nil},
		{"POST /customers/{id}/attachments", p("/customers/{customer}/attachments"), uploadBody("walk.pdf")},
		{"GET /devices/{id}/attachments", p("/devices/{device}/attachments"), nil},
		{"POST /devices/{id}/attachments", p("/devices/{device}/attachments"), uploadBody("walk.txt")},
		{"GET /proposals/{id}/attachments", p("/proposals/{proposal}/attachments"), nil},
		{"POST /proposals/{id}/attachments", p("/proposals/{proposal}/attachments"), uploadBody("walk.jpg")},
		{"GET /attachments/{id}", p("/attachments/{attachment}"), nil},
		{"PATCH /attachments/{id}", p("/attachments/{attachment}"), map[string]any{"customer_visible": true, "filename": "walk.png"}},
		{"GET /attachments/{id}/url", p("/attachments/{attachment}/url"), nil},
		{"DELETE /attachments/{id}", p("/attachments/{attachment}"), nil},
		{"GET /widgets", "/widgets?location=ticket_sidebar", nil},
		{"POST /widgets/token", "/widgets/token", map[string]any{"plugin_id": "walk-widgets", "location": "ticket_sidebar", "resource_id": num(ids["ticket"])}},
		{"POST /widgets/verify-token", "/widgets/verify-token", map[string]any{"token": "wt_walk"}}, // a plugin's key only: 403 here
		{"GET /widgets/data", p("/widgets/data?plugin_id=walk-widgets&location=ticket_sidebar&resource_id={ticket}"), nil},
		{"POST /widgets/actions", "/widgets/actions", map[string]any{"plugin_id": "walk-widgets", "location": "ticket_sidebar",
			"resource_id": num(ids["ticket"]), "action": "add_note", "data": map[string]any{"text": "Walk widget note"}}},
		{"DELETE /tickets/{id}/line_items/{item_id}", p("/tickets/{ticket}/line_items/{item}"), nil},
		{"DELETE /webhooks/{id}", p("/webhooks/{webhook}"), nil},
		{"DELETE /customers/{id}", p("/customers/{spare}"), nil},
	}
}

// waitHooksCaughtUp waits until the webhook fan-out has read every event
// of s: it moves its cursor in live.db's meta by itself, and the walk's
// digest must not catch it half-way through the seeding's events.
func waitHooksCaughtUp(t *testing.T, s *store.Store) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		committed := s.Committed() // taken before looking, so no commit is missed
		ok, err := s.HooksCaughtUp()
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			return
		}
		select {
		case <-committed:
		case <-deadline:
			t.Fatal("the webhook fan-out did not catch up with live.db's events")
		}
	}
}

// Every route, walked with a test-mode principal (a dk_test_ key, then the
// console's test mode) and valid bodies, leaves live.db byte for byte as it
// was — every bucket and sequence — and no answer shows a live record.
func TestTestModeWalkLeavesTheLiveStoreUntouched(t *testing.T) {
	t.Parallel()
	ts, _ := newHookServer(t, internalKey)
	session, _ := signedIn(t, ts)
	seedLive(t, ts)
	waitHooksCaughtUp(t, ts.Live)
	rcv := newReceiver(t, http.StatusOK, "ok")
	before, err := ts.Live.Digest()
	if err != nil {
		t.Fatal(err)
	}
	liveFiles := filepath.Join(filepath.Dir(ts.Live.Path()), "files", "live")
	filesBefore := folderListing(t, liveFiles)

	// Unlimited: the walk makes more requests than a minute of a standard tier.
	dev := ts.client(keySpec{Type: store.KeyDeveloper, Scopes: store.AllScopes(), Tier: "unlimited"})
	ctx := context.Background()
	before["api_keys"], before["key_hashes"] = "", "" // making the key itself is the one live write: compared below
	principals := []struct {
		name    string
		c       *client
		headers []string
	}{
		{"dk_test_ key", dev, nil},
		{"console in test mode", session, []string{"Portal-Mode", "test"}},
	}
	// A plugin with a ticket widget, installed in the test store only.
	ts.API.SetWidgetPlugins(func(st *store.Store) []api.WidgetPlugin {
		if st != ts.Test {
			return nil
		}
		return []api.WidgetPlugin{{ID: "walk-widgets", Name: "Walk Widgets", Scopes: []string{"tickets.read", "tickets.write"},
			Widgets: []api.WidgetSpec{{ID: "w", Location: "ticket_sidebar", URL: "https://widgets.example.com/w", Height: 120}}}}
	})
	covered := map[string]bool{}
	for i, pr := range principals {
		ids := seedTestStore(t, ctx, ts, rcv.URL, i)
		seedContractors(t, ctx, ts.Test, ids)
		seedCatalog(t, ctx, ts.Test, ids)
		seedPurchaseOrders(t, ctx, ts.Test, ids)
		seedDevices(t, ctx, ts.Test, ids)
		seedProposals(t, ctx, ts.Test, ids)
		seedAttachments(t, ctx, ts.Test, ids)
		seedEmails(t, ctx, ts.Test, ids)
		for _, step := range testModeWalk(ids) {
			covered[step.route] = true
			method, _, _ := strings.Cut(step.route, " ")
			body, headers := step.body, pr.headers
			if csv, ok := body.(csvBody); ok {
				body, headers = string(csv), append(slices.Clone(headers), "Content-Type", "text/csv")
			}
			if name, ok := body.(uploadBody); ok {
				var ct string
				body, ct = multipartFile(t, string(name), strings.NewReader("walk file "+string(name)))
				headers = append(slices.Clone(headers), "Content-Type", ct)
			}
			res := pr.c.api(method, step.path, body, headers...)
			switch {
			case res.Status >= 500:
				t.Errorf("%s: %s %s: %d\n%s", pr.name, method, step.path, res.Status, res.Body)
			case strings.Contains(string(res.Body), liveMark):
				t.Errorf("%s: %s %s shows a live record: %s", pr.name, method, step.path, res.Body)
			}
			if step.route == "GET /live" || res.Status == http.StatusForbidden {
				continue
			}
			if res.Status >= 400 {
				t.Errorf("%s: %s %s: %d, want a valid request to succeed\n%s", pr.name, method, step.path, res.Status, res.Body)
			}
		}
	}
	for _, rt := range ts.API.Routes() {
		if !covered[rt.Method+" "+strings.TrimPrefix(rt.Path, api.APIPrefix)] {
			t.Errorf("the test-mode walk has no step for %s", routeName(rt))
		}
	}

	after, err := ts.Live.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if got := folderListing(t, liveFiles); !maps.Equal(filesBefore, got) || len(got) == 0 {
		t.Errorf("live files changed in test mode (or none were seeded): %v, then %v", filesBefore, got)
	}
	after["api_keys"], after["key_hashes"] = "", ""
	if !maps.Equal(before, after) {
		for name, sum := range after {
			if before[name] != sum {
				t.Errorf("live.db bucket %s changed in test mode", name)
			}
		}
	}
	keys, err := ts.Live.Keys()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if k.RevokedAt != nil || (k.Type == store.KeyDeveloper && k.ID != dev.keyID) {
			t.Errorf("test mode changed live keys: %+v", k)
		}
	}
}

// csvBody is a step's body sent as text/csv (an import).
type csvBody string

// uploadBody is a step's body sent as multipart/form-data: a small file of
// this name in part file (an attachment).
type uploadBody string

// folderListing is every file under dir, by path, with its size and time.
func folderListing(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		out[path] = fmt.Sprint(info.Size(), info.ModTime().UnixNano())
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return out
}

// seedAttachments puts a file on the walk's ticket, for the attachment
// routes to read, change and delete.
func seedAttachments(t *testing.T, ctx context.Context, s *store.Store, ids map[string]string) {
	t.Helper()
	f, err := s.PutFile(ctx, strings.NewReader("seed file "+ids["n"]))
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.AddAttachment(ctx, store.AttachmentInput{OwnerType: "ticket", OwnerID: btoiID(t, ids["ticket"]), Filename: "seed.txt"}, f)
	if err != nil {
		t.Fatal(err)
	}
	ids["attachment"] = fmt.Sprint(a.ID)
}

// num reads an id back as a JSON number.
func num(id string) json.Number { return json.Number(id) }

// seedLive gives the live store a record of every kind, each marked.
func seedLive(t *testing.T, ts *testServer) {
	t.Helper()
	live := ts.client(internalKey)
	seller := live.newCustomer(liveMark + " Customer")
	// The chain's settings are live.db's alone: test mode neither reads nor changes them.
	live.patch("/appliance/chain", map[string]any{"stream": liveMark, "shop": "livemark"}).ok(http.StatusOK, nil)
	var shop store.Location
	live.post("/locations", map[string]any{"name": liveMark + " Site"}).ok(http.StatusCreated, &shop)
	live.post("/devices", map[string]any{"brand": liveMark, "model": "Phone", "serial": "WALK-0", "purchase_price": 1,
		"seller_customer_id": seller.ID, "location_id": shop.ID}).ok(http.StatusCreated, nil)
	var staffer struct {
		User store.User `json:"user"`
	}
	live.post("/users", map[string]any{"name": liveMark + " Staffer", "email": "livemark@example.com", "role": "manager"}).ok(http.StatusCreated, &staffer)
	var site store.Location
	live.post("/locations", map[string]any{"name": liveMark + " Desk"}).ok(http.StatusCreated, &site)
	live.patch(fmt.Sprintf("/users/%d", staffer.User.ID), map[string]any{"host": true}).ok(http.StatusOK, nil)
	live.post("/visitors/pre-register", map[string]any{"name": liveMark + " Visitor", "host_id": staffer.User.ID, "location_id": site.ID,
		"expected_at": "2026-03-16T09:00:00Z"}).ok(http.StatusCreated, nil)
	live.post("/proposals", map[string]any{"name": liveMark + " quote", "customer_id": seller.ID, "areas": []map[string]any{{"name": "Screen",
		"options": []map[string]any{{"name": "Original", "line_items": []map[string]any{{"description": liveMark, "unit_price": 1}}}}}}}).ok(http.StatusCreated, nil)
	// The webhook comes last: an event after it would be sent during the walk,
	// changing live.db's delivery buckets under the walk's digest.
	live.upload(fmt.Sprintf("/customers/%d", seller.ID), liveMark+".png", pngOf(t, 40, 30)).ok(http.StatusCreated, nil)
	live.post("/webhooks", map[string]any{"url": publicURL, "events": []string{"*"}, "description": liveMark}).ok(http.StatusCreated, nil)
	ts.client(keySpec{Type: store.KeyPlugin, Name: liveMark + " plugin", Scopes: []string{"tickets.read"}})
}

// seedTestStore makes the test-store records a walk works on, and names
// their ids for the steps' paths.
func seedTestStore(t *testing.T, ctx context.Context, ts *testServer, receiver string, n int) map[string]string {
	t.Helper()
	s := ts.Test
	c, err := s.CreateCustomer(ctx, store.CustomerInput{Name: "Ada Test"})
	if err != nil {
		t.Fatal(err)
	}
	spare, err := s.CreateCustomer(ctx, store.CustomerInput{Name: "Spare Test"})
	if err != nil {
		t.Fatal(err)
	}
	u, _, err := s.InviteUser(ctx, store.InviteInput{Name: "Sam Test", Email: fmt.Sprintf("sam%d@example.com", n), Role: "technician"})
	if err != nil {
		t.Fatal(err)
	}
	tk, err := s.CreateTicket(ctx, store.TicketInput{CustomerID: c.ID, Issue: "Test issue", Device: store.Device{Brand: "Apple", Model: "iPad"}})
	if err != nil {
		t.Fatal(err)
	}
	qty, price := store.Quantity(100), store.Money(500)
	item, _, err := s.AddLineItem(ctx, tk.ID, store.LineItemInput{Kind: "part", Description: "Test part", Quantity: &qty, UnitPrice: &price})
	if err != nil {
		t.Fatal(err)
	}
	one := store.Money(100)
	pay, _, err := s.AddPayment(ctx, tk.ID, store.PaymentInput{Amount: &one})
	if err != nil {
		t.Fatal(err)
	}
	payVoid, _, err := s.AddPayment(ctx, tk.ID, store.PaymentInput{Amount: &one})
	if err != nil {
		t.Fatal(err)
	}
	hook, err := s.CreateWebhook(ctx, store.WebhookInput{URL: receiver, Events: []string{"*"}}, "whsec_walk", ts.Sealer, func(string, string) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	leased, err := s.TestDelivery(ctx, hook.ID, "ticket.created", []byte(`{}`), ts.Sealer)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := s.EventsAfter(0, 1)
	if err != nil || len(evs) == 0 {
		t.Fatalf("no test event: %v", err)
	}
	var first struct {
		ID string `json:"event_id"`
	}
	if err := json.Unmarshal(evs[0].JSON, &first); err != nil {
		t.Fatal(err)
	}
	loc, err := s.CreateLocation(ctx, store.LocationInput{Name: "Main Street"})
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	if _, err := s.UpdateUser(ctx, u.ID, store.UserPatch{Host: &yes}); err != nil {
		t.Fatal(err)
	}
	visit := store.VisitorInput{Name: "Vi Test", HostID: u.ID, LocationID: loc.ID, ExpectedAt: &start}
	visitor, code, err := s.PreRegisterVisitor(ctx, visit)
	if err != nil {
		t.Fatal(err)
	}
	expected, _, err := s.PreRegisterVisitor(ctx, visit)
	if err != nil {
		t.Fatal(err)
	}
	cancel, _, err := s.PreRegisterVisitor(ctx, visit)
	if err != nil {
		t.Fatal(err)
	}
	liveKeys, err := ts.Live.Keys()
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"customer": fmt.Sprint(c.ID), "spare": fmt.Sprint(spare.ID), "user": fmt.Sprint(u.ID), "ticket": fmt.Sprint(tk.ID),
		"item": fmt.Sprint(item.ID), "payment": fmt.Sprint(pay.ID), "payment_void": fmt.Sprint(payVoid.ID), "webhook": fmt.Sprint(hook.ID), "delivery": leased.Delivery.ID,
		"event": first.ID, "location": fmt.Sprint(loc.ID), "key": fmt.Sprint(liveKeys[len(liveKeys)-1].ID), "receiver": receiver, "n": fmt.Sprint(n),
		"visitor": fmt.Sprint(visitor.ID), "visitor_code": code, "expected": fmt.Sprint(expected.ID), "cancel": fmt.Sprint(cancel.ID),
	}
}

// seedContractors makes the contractors the walk approves, rejects and
// checks in, and names the roll-call entry its evacuation will make first
// (entry ids run on from the last evacuation's).
func seedContractors(t *testing.T, ctx context.Context, s *store.Store, ids map[string]string) {
	t.Helper()
	c, err := s.CreateContractor(ctx, store.ContractorInput{Company: "Walk Electrics", Name: "Jo Test",
		InductionExpiresOn: "2027-12-31", InsuranceExpiresOn: "2027-12-31"})
	if err != nil {
		t.Fatal(err)
	}
	rejectee, err := s.CreateContractor(ctx, store.ContractorInput{Company: "Walk Plumbing", Name: "Rex Test"})
	if err != nil {
		t.Fatal(err)
	}
	next := uint64(1)
	if last, err := s.CurrentEvacuation(); err == nil {
		for _, e := range last.Entries {
			next = max(next, e.ID+1)
		}
	}
	ids["contractor"], ids["rejectee"], ids["entry"] = fmt.Sprint(c.ID), fmt.Sprint(rejectee.ID), fmt.Sprint(next)
}

// seedCatalog makes the catalog item the walk reads, changes and stocks.
func seedCatalog(t *testing.T, ctx context.Context, s *store.Store, ids map[string]string) {
	t.Helper()
	c, err := s.CreateCatalogItem(ctx, store.CatalogItemInput{SKU: "WALK-" + ids["n"], Name: "Walk screen", Price: 8950})
	if err != nil {
		t.Fatal(err)
	}
	ids["catalog"] = fmt.Sprint(c.ID)
}

// seedPurchaseOrders makes the supplier and the draft purchase order the
// walk orders and receives, of a catalog item of its own.
func seedPurchaseOrders(t *testing.T, ctx context.Context, s *store.Store, ids map[string]string) {
	t.Helper()
	sup, err := s.CreateSupplier(ctx, store.SupplierInput{Name: "Walk Supplies"})
	if err != nil {
		t.Fatal(err)
	}
	item, err := s.CreateCatalogItem(ctx, store.CatalogItemInput{SKU: "WALK-PO-" + ids["n"], Name: "Walk screen", Cost: 1250, SupplierID: sup.ID})
	if err != nil {
		t.Fatal(err)
	}
	loc, err := strconv.ParseUint(ids["location"], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	po, err := s.CreatePurchaseOrder(ctx, store.PurchaseOrderInput{SupplierID: sup.ID, LocationID: loc,
		Lines: []store.PurchaseOrderLineInput{{ItemID: item.ID, Quantity: 2}}})
	if err != nil {
		t.Fatal(err)
	}
	ids["supplier"], ids["purchase_order"], ids["catalog_item"] = fmt.Sprint(sup.ID), fmt.Sprint(po.ID), fmt.Sprint(item.ID)
}

// seedDevices makes the device the walk moves, with a serial of its own in
// each run.
func seedDevices(t *testing.T, ctx context.Context, s *store.Store, ids map[string]string) {
	t.Helper()
	price := store.Money(5000)
	d, err := s.CreateDevice(ctx, store.DeviceInput{Brand: "Walk", Model: "Seed", Serial: "SEED-" + ids["n"], PurchasePrice: &price,
		SellerCustomerID: btoiID(t, ids["customer"]), LocationID: btoiID(t, ids["location"])})
	if err != nil {
		t.Fatal(err)
	}
	ids["device"] = fmt.Sprint(d.ID)
}

func btoiID(t *testing.T, id string) uint64 {
	t.Helper()
	var n uint64
	if _, err := fmt.Sscan(id, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// seedProposals makes the Submitted proposal, on the walk's ticket, that the
// walk accepts (its free-text line goes onto the ticket).
func seedProposals(t *testing.T, ctx context.Context, s *store.Store, ids map[string]string) {
	t.Helper()
	tk := btoiID(t, ids["ticket"])
	price := store.Money(4500)
	p, err := s.CreateProposal(ctx, store.ProposalInput{Name: "Walk seed quote", CustomerID: btoiID(t, ids["customer"]), TicketID: &tk,
		Areas: []store.ProposalAreaInput{{Name: "Battery", Options: []store.ProposalOptionInput{{Name: "Standard",
			LineItems: []store.LineItemInput{{Kind: "fee", Description: "Call-out", UnitPrice: &price}}}}}}})
	if err != nil {
		t.Fatal(err)
	}
	submitted := store.ProposalSubmitted
	if _, err := s.UpdateProposal(ctx, p.ID, store.ProposalPatch{Status: &submitted}); err != nil {
		t.Fatal(err)
	}
	ids["proposal"] = fmt.Sprint(p.ID)
}
