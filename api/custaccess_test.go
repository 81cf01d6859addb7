package api_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"portal/store"
)

// The customer side's access rules, through real HTTP over real stores.

type custTicket struct {
	ID         uint64 `json:"id"`
	Number     uint64 `json:"number"`
	Status     string `json:"status"`
	StatusText string `json:"status_text"`
	Progress   struct {
		Step  int      `json:"step"`
		Steps []string `json:"steps"`
	} `json:"progress"`
	Timeline []struct {
		Kind string `json:"kind"`
		Text string `json:"text"`
		By   string `json:"by"`
	} `json:"timeline"`
}

type custMe struct {
	Customer struct {
		ID   uint64 `json:"id"`
		Name string `json:"name"`
	} `json:"customer"`
	Shop struct {
		Name string `json:"name"`
	} `json:"shop"`
	Mode      string    `json:"mode"`
	ExpiresAt time.Time `json:"expires_at"`
}

func TestACustomerOpensTheirLinkAndSeesOnlyTheirRepairs(t *testing.T) {
	t.Parallel()
	ts, staff := newServer(t, internalKey)
	ada := staff.newCustomer("Ada Lovelace")
	bob := staff.newCustomer("Bob Other")
	mine := staff.newTicket(ada.ID, nil)
	theirs := staff.newTicket(bob.ID, map[string]any{"issue": "Bob's secret issue"})

	path, exp := portalLink(t, staff, ada.ID)
	if want := start.Add(30 * 24 * time.Hour); !exp.Equal(want) {
		t.Fatalf("expires_at %v, want %v (30 days)", exp, want)
	}
	c := ts.customerClient()
	res := c.call(http.MethodGet, path, nil)
	if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/c/" {
		t.Fatalf("GET link: %d to %q, want 303 to /c/", res.Status, res.Header.Get("Location"))
	}
	if res.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Fatalf("the link's answer may leak it as a Referer: %q", res.Header.Get("Referrer-Policy"))
	}
	c.keepCookie(res)
	ck := c.cookie
	if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/c/" || strings.Contains(path, ck.Value) {
		t.Fatalf("cookie %+v: want HttpOnly, SameSite=Lax, Path=/c/, not the link's token", ck)
	}

	var me custMe
	c.cust("GET", "/me", nil).ok(http.StatusOK, &me)
	if me.Customer.Name != "Ada Lovelace" || me.Shop.Name == "" || me.Mode != "live" {
		t.Fatalf("me = %+v", me)
	}
	var list []custTicket
	c.cust("GET", "/tickets", nil).ok(http.StatusOK, &list)
	if len(list) != 1 || list[0].ID != mine.ID {
		t.Fatalf("tickets = %+v, want only #%d", list, mine.Number)
	}
	var one custTicket
	c.cust("GET", "/tickets/"+itoa(mine.ID), nil).ok(http.StatusOK, &one)
	if one.Number != mine.Number || one.StatusText == "" || one.Progress.Step != 1 || len(one.Timeline) != 1 {
		t.Fatalf("ticket = %+v", one)
	}
	// Another customer's ticket and one that does not exist: the same 404.
	a := c.cust("GET", "/tickets/"+itoa(theirs.ID), nil)
	b := c.cust("GET", "/tickets/999999", nil)
	if a.fail(http.StatusNotFound, "NOT_FOUND").Message != b.fail(http.StatusNotFound, "NOT_FOUND").Message {
		t.Fatalf("another's ticket and a missing one must answer alike:\n%s\n%s", a.Body, b.Body)
	}
	if strings.Contains(string(a.Body), "Bob") {
		t.Fatal("another customer's ticket leaked")
	}
	c.cust("GET", "/nothing-here", nil).fail(http.StatusNotFound, "NOT_FOUND")

	// A key is no customer: without the cookie the page is signed out.
	keyed := ts.customerClient()
	keyed.key = staff.key
	keyed.cust("GET", "/tickets", nil).fail(http.StatusUnauthorized, "UNAUTHORIZED")
	// Writes from another site are refused even with the cookie.
	evil := *c
	evil.origin = "https://evil.example"
	evil.cust("POST", "/logout", nil).fail(http.StatusForbidden, "FORBIDDEN")

	res = c.cust("POST", "/logout", nil)
	res.ok(http.StatusOK, nil)
	c.keepCookie(res)
	c.cust("GET", "/me", nil).fail(http.StatusUnauthorized, "UNAUTHORIZED")
}

func TestExpiredForgedAndRevokedLinksAreRefusedAlike(t *testing.T) {
	t.Parallel()
	ts, staff := newServer(t, internalKey)
	ada := staff.newCustomer("Ada Lovelace")
	staff.patch("/store", map[string]any{"portal_link_days": 2}).ok(http.StatusOK, nil)
	staff.patch("/store", map[string]any{"portal_link_days": 0}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "portal_link_days")
	staff.patch("/store", map[string]any{"portal_link_days": 366}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "portal_link_days")
	for _, bad := range []string{"repairs.example.com", "ftp://repairs.example.com", "https://repairs.example.com/?a=1", "https://u:p@repairs.example.com"} {
		staff.patch("/store", map[string]any{"portal_url": bad}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "portal_url")
	}
	staff.patch("/store", map[string]any{"portal_url": "https://repairs.example.com/"}).ok(http.StatusOK, nil)
	var made struct {
		URL string `json:"url"`
	}
	staff.post("/customers/"+itoa(ada.ID)+"/portal-link", nil).ok(http.StatusCreated, &made)
	emailed, _, err := ts.API.PortalLink("live", ada.ID)
	if err != nil || !strings.HasPrefix(made.URL, "https://repairs.example.com/c/") || !strings.HasPrefix(emailed, "https://repairs.example.com/c/") {
		t.Fatalf("with portal_url set, links %q and %q (%v) must start with it", made.URL, emailed, err)
	}

	path, exp := portalLink(t, staff, ada.ID)
	if want := start.Add(48 * time.Hour); !exp.Equal(want) {
		t.Fatalf("expires_at %v, want %v (the shop's 2 days)", exp, want)
	}
	refused := func(name, p string) string {
		t.Helper()
		c := ts.customerClient()
		res := c.call(http.MethodGet, p, nil)
		c.keepCookie(res)
		if res.Status != http.StatusNotFound || c.cookie != nil || !strings.Contains(string(res.Body), `href="/c/"`) {
			t.Fatalf("%s link: %d, cookie %v, want the 404 page offering sign-in\n%s", name, res.Status, c.cookie, res.Body)
		}
		return string(res.Body)
	}
	// A forged link: one character of the signature changed.
	i := len(path) - 5
	forged := path[:i] + map[bool]string{true: "B", false: "A"}[path[i] == 'A'] + path[i+1:]
	page := refused("forged", forged)

	session := ts.openLink(t, path)
	ts.Clock.Advance(47 * time.Hour)
	session.cust("GET", "/me", nil).ok(http.StatusOK, nil)
	ts.Clock.Advance(time.Hour)
	if refused("expired", path) != page {
		t.Fatal("an expired link's page differs from a forged one's: it tells which part failed")
	}
	session.cust("GET", "/me", nil).fail(http.StatusUnauthorized, "UNAUTHORIZED") // the session lasts as long as its link

	// Revoking: every link and every session made from one stop at once.
	path, _ = portalLink(t, staff, ada.ID)
	session = ts.openLink(t, path)
	other, _ := portalLink(t, staff, ada.ID)
	session.cust("GET", "/me", nil).ok(http.StatusOK, nil)
	staff.api("DELETE", "/customers/"+itoa(ada.ID)+"/portal-link", nil).ok(http.StatusOK, nil)
	session.cust("GET", "/tickets", nil).fail(http.StatusUnauthorized, "UNAUTHORIZED")
	if refused("revoked", path) != page || refused("revoked twin", other) != page {
		t.Fatal("a revoked link's page differs from a forged one's")
	}
	var evs []struct {
		Event string `json:"event"`
	}
	staff.get("/events?per_page=1").ok(http.StatusOK, &evs)
	if len(evs) != 1 || evs[0].Event != "customer.portal_link_revoked" {
		t.Fatalf("last event %+v, want customer.portal_link_revoked", evs)
	}
	fresh, _ := portalLink(t, staff, ada.ID)
	ts.openLink(t, fresh).cust("GET", "/me", nil).ok(http.StatusOK, nil)

	// A key that may edit customers but not read tickets cannot read them through a link.
	editor := ts.client(keySpec{Type: store.KeyPlugin, Scopes: []string{"customers.read", "customers.write"}})
	editor.post("/customers/"+itoa(ada.ID)+"/portal-link", nil).fail(http.StatusForbidden, "FORBIDDEN")
	staff.post("/customers/999999/portal-link", nil).fail(http.StatusNotFound, "NOT_FOUND")
	staff.api("DELETE", "/customers/999999/portal-link", nil).fail(http.StatusNotFound, "NOT_FOUND")
	// A deleted customer's links die with them.
	staff.api("DELETE", "/customers/"+itoa(ada.ID), nil).ok(http.StatusOK, nil)
	refused("deleted customer's", fresh)
}

// signIn posts a sign-in from addr straight to the handler (httptest), so
// that tests can come from many addresses.
func signInFrom(ts *testServer, addr, query, number, contact string) *httptest.ResponseRecorder {
	body := `{"ticket_number":"` + number + `","contact":"` + contact + `"}`
	req := httptest.NewRequest(http.MethodPost, ts.HTTP.URL+"/c/api/login"+query, strings.NewReader(body))
	req.RemoteAddr = addr + ":40000"
	req.Header.Set("Origin", ts.origin())
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	ts.API.Handler().ServeHTTP(rec, req)
	return rec
}

func TestSignInByTicketNumberAndContactIsLimitedPerAddressAndPerTicket(t *testing.T) {
	t.Parallel()
	ts, staff := newServer(t, internalKey)
	var ada customer
	staff.post("/customers", map[string]any{"name": "Ada Lovelace", "phone": "+1 (503) 555-0101", "email": "Ada@Example.com"}).ok(http.StatusCreated, &ada)
	tk := staff.newTicket(ada.ID, nil)
	other := staff.newTicket(staff.newCustomer("Bob Other").ID, nil)
	num := itoa(tk.Number)

	// Right: the phone by its digits (with or without the country code), the email whatever its case.
	for i, contact := range []string{"503 555 0101", "15035550101", "ada@example.COM"} {
		c := ts.customerClient()
		res := c.cust("POST", "/login", map[string]any{"ticket_number": "#" + num, "contact": contact})
		var me custMe
		res.ok(http.StatusOK, &me)
		c.keepCookie(res)
		if me.Customer.ID != ada.ID || c.cookie == nil {
			t.Fatalf("sign-in %d with %q: %+v", i, contact, me)
		}
		c.cust("GET", "/tickets/"+itoa(tk.ID), nil).ok(http.StatusOK, nil)
		c.cust("GET", "/tickets/"+itoa(other.ID), nil).fail(http.StatusNotFound, "NOT_FOUND")
	}
	ts.customerClient().cust("POST", "/login", map[string]any{"ticket_number": tk.Number, "contact": "5550101"}).ok(http.StatusOK, nil)
	anon := ts.customerClient()
	anon.cust("POST", "/login", map[string]any{"ticket_number": "abc", "contact": "x"}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "ticket_number")
	anon.cust("POST", "/login", map[string]any{"ticket_number": num, "contact": " "}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "contact")

	// Wrong: a wrong contact and a ticket that does not exist answer alike.
	wrongContact := signInFrom(ts, "10.0.0.1", "", num, "555 0000 999")
	noTicket := signInFrom(ts, "10.0.0.2", "", "999999", "503 555 0101")
	if wrongContact.Code != http.StatusNotFound || wrongContact.Body.String() != noTicket.Body.String() {
		t.Fatalf("wrong contact %d %s, no such ticket %d %s: want the same 404", wrongContact.Code, wrongContact.Body, noTicket.Code, noTicket.Body)
	}

	// Per address: five wrong tries from one address, on any tickets, then even a right one waits.
	for i := range 4 {
		if rec := signInFrom(ts, "10.0.0.9", "", itoa(uint64(5000+i)), "0000000"); rec.Code != http.StatusNotFound {
			t.Fatalf("try %d: %d", i, rec.Code)
		}
	}
	if rec := signInFrom(ts, "10.0.0.9", "", "6000", "0000000"); rec.Code != http.StatusNotFound {
		t.Fatalf("fifth try: %d", rec.Code)
	}
	rec := signInFrom(ts, "10.0.0.9", "", num, "503 555 0101")
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("sixth try from one address: %d Retry-After %q, want 429 with Retry-After", rec.Code, rec.Header().Get("Retry-After"))
	}
	// Per ticket: five wrong tries on one ticket from five addresses, then the sixth address waits too.
	for i := range 5 {
		if rec := signInFrom(ts, "10.1.0."+itoa(uint64(i+1)), "", itoa(other.Number), "0000000"); rec.Code != http.StatusNotFound {
			t.Fatalf("ticket try %d: %d", i, rec.Code)
		}
	}
	if rec := signInFrom(ts, "10.1.0.99", "", itoa(other.Number), "0000000"); rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("sixth try on one ticket: %d, want 429 with Retry-After", rec.Code)
	}
	// Right answers are refunded: signing in often from one place never locks anyone out.
	for range 8 {
		if rec := signInFrom(ts, "10.2.0.1", "", num, "5035550101"); rec.Code != http.StatusOK {
			t.Fatalf("right sign-ins: %d %s", rec.Code, rec.Body)
		}
	}
	// The window passes.
	ts.Clock.Advance(15 * time.Minute)
	if rec := signInFrom(ts, "10.0.0.9", "", num, "503 555 0101"); rec.Code != http.StatusOK {
		t.Fatalf("after 15 minutes: %d %s", rec.Code, rec.Body)
	}
	// Test mode is limited the same way.
	for range 5 {
		signInFrom(ts, "10.3.0.1", "?mode=test", "1001", "0000000")
	}
	if rec := signInFrom(ts, "10.3.0.1", "?mode=test", "1001", "0000000"); rec.Code != http.StatusTooManyRequests {
		t.Fatalf("test-mode guesses: %d, want 429", rec.Code)
	}
	if rec := signInFrom(ts, "10.3.0.2", "?mode=sandbox", "1001", "0000000"); rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("mode=sandbox: %d, want 422", rec.Code)
	}
}

func TestATestModeLinkNeverReadsLive(t *testing.T) {
	t.Parallel()
	ts, staff := newServer(t, internalKey)
	runLive(t, ts)
	dev := ts.client(developerKey)
	// The same ids and ticket numbers in both stores: only the store tells them apart.
	var liveAda, testAda customer
	staff.post("/customers", map[string]any{"name": "LIVE Ada", "phone": "503 555 0101"}).ok(http.StatusCreated, &liveAda)
	dev.post("/customers", map[string]any{"name": "Sandbox Ada", "phone": "503 555 0199"}).ok(http.StatusCreated, &testAda)
	liveTk := staff.newTicket(liveAda.ID, map[string]any{"issue": "LIVE issue"})
	testTk := dev.newTicket(testAda.ID, map[string]any{"issue": "Sandbox issue"})
	if liveAda.ID != testAda.ID || liveTk.ID != testTk.ID || liveTk.Number != testTk.Number {
		t.Fatalf("the stores should collide: %d/%d %d/%d", liveAda.ID, testAda.ID, liveTk.ID, testTk.ID)
	}

	// A developer key's link, the console's in test mode, and Server.PortalLink("test", …).
	session, _ := signedIn(t, ts)
	var consoleLink struct {
		URL string `json:"url"`
	}
	session.api("POST", "/customers/"+itoa(testAda.ID)+"/portal-link", nil, "Portal-Mode", "test").ok(http.StatusCreated, &consoleLink)
	ts.API.SetPublicBase("https://shop.example/")
	emailLink, _, err := ts.API.PortalLink("test", testAda.ID)
	if err != nil || !strings.HasPrefix(emailLink, "https://shop.example/c/") {
		t.Fatalf("PortalLink = %q, %v", emailLink, err)
	}
	devPath, _ := portalLink(t, dev, testAda.ID)
	paths := []string{devPath, strings.TrimPrefix(consoleLink.URL, ts.HTTP.URL), strings.TrimPrefix(emailLink, "https://shop.example")}

	check := func(c *client) {
		t.Helper()
		var me custMe
		c.cust("GET", "/me", nil).ok(http.StatusOK, &me)
		if me.Customer.Name != "Sandbox Ada" || me.Mode != "test" {
			t.Fatalf("me = %+v, want the sandbox's Ada in test mode", me)
		}
		for _, p := range []string{"/me", "/tickets", "/tickets/" + itoa(testTk.ID)} {
			res := c.cust("GET", p, nil)
			res.ok(http.StatusOK, nil)
			if strings.Contains(string(res.Body), "LIVE") {
				t.Fatalf("GET /c/api%s in test mode shows a live record: %s", p, res.Body)
			}
		}
	}
	for _, p := range paths {
		c := ts.customerClient()
		res := c.call(http.MethodGet, p, nil)
		if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/c/?mode=test" {
			t.Fatalf("GET %s: %d %q", p, res.Status, res.Header.Get("Location"))
		}
		c.keepCookie(res)
		check(c)
	}
	// Signing in: ?mode=test looks in the test store only, the page's default in live only.
	c := ts.customerClient()
	c.call("POST", "/c/api/login", map[string]any{"ticket_number": testTk.Number, "contact": "503 555 0199"}).fail(http.StatusNotFound, "NOT_FOUND")
	res := c.call("POST", "/c/api/login?mode=test", map[string]any{"ticket_number": testTk.Number, "contact": "503 555 0199"})
	res.ok(http.StatusOK, nil)
	c.keepCookie(res)
	check(c)
	// The feed of a test-mode page hears the test store only: the live
	// ticket of the same id changes first, and is never sent.
	conn := dialCustomerLive(t, ts, c)
	staff.patch("/tickets/"+itoa(liveTk.ID), map[string]any{"status": "In Progress"}).ok(http.StatusOK, nil)
	dev.patch("/tickets/"+itoa(testTk.ID), map[string]any{"status": "Waiting for Parts"}).ok(http.StatusOK, nil)
	for {
		msg := readCustomerMessage(t, conn)
		if msg.Data.Status == "In Progress" || strings.Contains(msg.raw, "LIVE") {
			t.Fatalf("a test-mode feed sent a live change: %s", msg.raw)
		}
		if msg.Event == "ticket.status_changed" {
			break
		}
	}
	// Revoking in the test store leaves live links alone, and the reverse.
	livePath, _ := portalLink(t, staff, liveAda.ID)
	liveC := ts.openLink(t, livePath)
	dev.api("DELETE", "/customers/"+itoa(testAda.ID)+"/portal-link", nil).ok(http.StatusOK, nil)
	liveC.cust("GET", "/me", nil).ok(http.StatusOK, nil)
	c.cust("GET", "/me", nil).fail(http.StatusUnauthorized, "UNAUTHORIZED")
	var liveMe custMe
	liveC.cust("GET", "/me", nil).ok(http.StatusOK, &liveMe)
	if liveMe.Mode != "live" || liveMe.Customer.Name != "LIVE Ada" {
		t.Fatalf("live me = %+v", liveMe)
	}
}

func TestInternalNotesNeverReachTheCustomer(t *testing.T) {
	t.Parallel()
	ts, staff := newServer(t, internalKey)
	session, _ := signedIn(t, ts) // Olive Owner
	ada := staff.newCustomer("Ada Lovelace")
	tk := staff.newTicket(ada.ID, map[string]any{"due_at": "2026-03-20T17:00:00Z"})
	staff.post("/tickets/"+itoa(tk.ID)+"/notes", map[string]any{"body": "SECRET-INTERNAL margin is thin", "internal": true}).ok(http.StatusCreated, nil)
	session.post("/tickets/"+itoa(tk.ID)+"/notes", map[string]any{"body": "The new screen is ordered"}).ok(http.StatusCreated, nil)
	session.patch("/tickets/"+itoa(tk.ID), map[string]any{"status": "Waiting for Parts"}).ok(http.StatusOK, nil)

	path, _ := portalLink(t, staff, ada.ID)
	c := ts.openLink(t, path)
	var one custTicket
	res := c.cust("GET", "/tickets/"+itoa(tk.ID), nil)
	res.ok(http.StatusOK, &one)
	var kinds, bys []string
	for _, e := range one.Timeline {
		kinds, bys = append(kinds, e.Kind), append(bys, e.By)
	}
	if strings.Join(kinds, ",") != "created,note,status" || bys[1] != "Olive" || bys[2] != "Olive" || bys[0] != "The shop" {
		t.Fatalf("timeline %+v: want created (the shop), the public note and the status change by Olive", one.Timeline)
	}
	if !strings.Contains(string(res.Body), `"estimated_ready_at":"2026-03-20T17:00:00Z"`) || one.Progress.Step != 3 {
		t.Fatalf("ticket %s: want its due_at as estimated_ready_at and step 3", res.Body)
	}
	for _, p := range []string{"/me", "/tickets", "/tickets/" + itoa(tk.ID)} {
		body := string(c.cust("GET", p, nil).Body)
		for _, secret := range []string{"SECRET-INTERNAL", "Olive Owner", "internal"} {
			if strings.Contains(body, secret) {
				t.Fatalf("GET /c/api%s shows %q: %s", p, secret, body)
			}
		}
	}
}

func TestTheCustomersLiveFeedSendsOnlyTheirOwnRecordsUntilRevoked(t *testing.T) {
	t.Parallel()
	ts, staff := newServer(t, internalKey)
	runLive(t, ts)
	ada := staff.newCustomer("Ada Lovelace")
	bob := staff.newCustomer("Bob Other")
	mine := staff.newTicket(ada.ID, nil)
	theirs := staff.newTicket(bob.ID, map[string]any{"issue": "Bob's secret issue"})
	path, _ := portalLink(t, staff, ada.ID)
	c := ts.openLink(t, path)
	conn := dialCustomerLive(t, ts, c)

	staff.patch("/tickets/"+itoa(theirs.ID), map[string]any{"status": "In Progress"}).ok(http.StatusOK, nil)
	staff.post("/tickets/"+itoa(mine.ID)+"/notes", map[string]any{"body": "SECRET-INTERNAL", "internal": true}).ok(http.StatusCreated, nil)
	staff.patch("/tickets/"+itoa(mine.ID), map[string]any{"status": "Ready for Pickup"}).ok(http.StatusOK, nil)

	// Every message is Ada's ticket in the page's shape; the last one shows the new status.
	for {
		msg := readCustomerMessage(t, conn)
		if strings.Contains(msg.raw, "Bob") || strings.Contains(msg.raw, "SECRET-INTERNAL") || strings.Contains(msg.raw, `"actor"`) {
			t.Fatalf("the feed sent what Ada may not see: %s", msg.raw)
		}
		if msg.Type != "ticket" || msg.ID != mine.ID || msg.Data.Number != mine.Number {
			t.Fatalf("message %s: want Ada's ticket only", msg.raw)
		}
		if msg.Event == "ticket.status_changed" {
			if msg.Data.Status != "Ready for Pickup" || msg.Data.StatusText == "" {
				t.Fatalf("status message %s", msg.raw)
			}
			break
		}
	}
	// Quotes: Bob's is never sent, nor Ada's while it is a draft; Ada's submitted one is.
	quote := func(customerID uint64, name string, submit bool) uint64 {
		t.Helper()
		price := store.Money(4500)
		p, err := ts.Live.CreateProposal(t.Context(), store.ProposalInput{Name: name, CustomerID: customerID,
			Areas: []store.ProposalAreaInput{{Name: "Battery", Options: []store.ProposalOptionInput{{Name: "Standard",
				LineItems: []store.LineItemInput{{Kind: "fee", Description: "Call-out", UnitPrice: &price}}}}}}})
		if err != nil {
			t.Fatal(err)
		}
		if submit {
			submitted := store.ProposalSubmitted
			if _, err := ts.Live.UpdateProposal(t.Context(), p.ID, store.ProposalPatch{Status: &submitted}); err != nil {
				t.Fatal(err)
			}
		}
		return p.ID
	}
	quote(bob.ID, "Bob's quote", true)
	quote(ada.ID, "Ada's draft", false)
	adaQuote := quote(ada.ID, "Ada's quote", true)
	msg := readCustomerMessage(t, conn)
	if msg.Type != "proposal" || msg.ID != adaQuote || strings.Contains(msg.raw, "Bob") || strings.Contains(msg.raw, "draft") {
		t.Fatalf("first quote message %s: want Ada's submitted quote", msg.raw)
	}

	// Revoking closes the feed. Each event re-reads its record, so the
	// quote's submission may still come (the same view again) before the
	// close; nothing after the revocation is sent.
	staff.api("DELETE", "/customers/"+itoa(ada.ID)+"/portal-link", nil).ok(http.StatusOK, nil)
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		_, raw, err := conn.ReadMessage()
		if err != nil {
			if !strings.Contains(err.Error(), "signed out") {
				t.Fatalf("feed ended with %v, want closed as signed out", err)
			}
			break
		}
		if !strings.Contains(string(raw), `"event":"proposal.status_changed"`) || !strings.Contains(string(raw), `"id":`+itoa(adaQuote)) {
			t.Fatalf("after revoking, the feed sent %s; want it closed", raw)
		}
	}
}
