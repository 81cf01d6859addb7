package api_test

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"portal/store"
)

// secretNote is in every option's internal notes: no /c/api answer may hold it.
const secretNote = "SECRET-INTERNAL-NOTE"

// quoteFor creates a Submitted proposal of two options for customer on ticket.
func quoteFor(c *client, customerID, ticketID uint64) store.Proposal {
	c.t.Helper()
	opt := func(name string, price float64) map[string]any {
		return map[string]any{"name": name, "client_description": name + " for you", "internal_notes": secretNote,
			"line_items": []any{line("part", name+" screen", 1, price)}}
	}
	var p store.Proposal
	c.post("/proposals", map[string]any{"name": "Screen", "customer_id": customerID, "ticket_id": ticketID,
		"areas": []any{area("Screen", opt("Original", 120), opt("Compatible", 60))}}).ok(http.StatusCreated, &p)
	c.patch(fmt.Sprintf("/proposals/%d", p.ID), map[string]any{"status": "Submitted"}).ok(http.StatusOK, &p)
	return p
}

type custProposal struct {
	ID         uint64 `json:"id"`
	Status     string `json:"status"`
	StatusText string `json:"status_text"`
	CanAnswer  bool   `json:"can_answer"`
	Acceptance *struct {
		Name string `json:"name"`
	} `json:"acceptance"`
	DeclineReason *string `json:"decline_reason"`
}

// noSecrets fails when a customer answer holds staff-only text.
func noSecrets(t *testing.T, res *response) {
	t.Helper()
	for _, s := range []string{secretNote, "internal_notes", "status_history", "uploaded_by"} {
		if bytes.Contains(res.Body, []byte(s)) {
			t.Fatalf("%s: the answer holds %q:\n%s", res.req, s, res.Body)
		}
	}
}

// statusEvents are the proposal.status_changed events, oldest first.
func statusEvents(c *client) []wireEvent {
	c.t.Helper()
	var evs []wireEvent
	c.get("/events?event=proposal.status_changed&per_page=100").ok(http.StatusOK, &evs)
	for i, j := 0, len(evs)-1; i < j; i, j = i+1, j-1 {
		evs[i], evs[j] = evs[j], evs[i]
	}
	return evs
}

func TestACustomerOpensAndAcceptsTheirQuote(t *testing.T) {
	t.Parallel()
	ts, staff := newServer(t, internalKey)
	ada, bob := staff.newCustomer("Ada Lovelace"), staff.newCustomer("Bob Other")
	tk := staff.newTicket(ada.ID, nil)
	p := quoteFor(staff, ada.ID, tk.ID)
	var draft store.Proposal
	staff.post("/proposals", map[string]any{"name": "Not yet", "customer_id": ada.ID,
		"areas": []any{area("Battery", option("New", line("part", "Battery", 1, 40)))}}).ok(http.StatusCreated, &draft)
	adaPath, _ := portalLink(t, staff, ada.ID)
	bobPath, _ := portalLink(t, staff, bob.ID)
	c, other := ts.openLink(t, adaPath), ts.openLink(t, bobPath)

	var list []custProposal
	res := c.cust("GET", "/proposals", nil)
	res.ok(http.StatusOK, &list)
	noSecrets(t, res)
	if len(list) != 1 || list[0].ID != p.ID || list[0].Status != "Submitted" || !list[0].CanAnswer {
		t.Fatalf("list %+v (the Draft must not show)", list)
	}
	// A Draft, another customer's, and a missing one: the same plain 404.
	path := fmt.Sprintf("/proposals/%d", p.ID)
	c.cust("GET", fmt.Sprintf("/proposals/%d", draft.ID), nil).fail(http.StatusNotFound, "NOT_FOUND")
	other.cust("GET", path, nil).fail(http.StatusNotFound, "NOT_FOUND")
	other.cust("POST", path+"/accept", map[string]any{"signature_name": "Bob Other"}).fail(http.StatusNotFound, "NOT_FOUND")
	other.cust("POST", path+"/decline", nil).fail(http.StatusNotFound, "NOT_FOUND")
	c.cust("GET", "/proposals/999999", nil).fail(http.StatusNotFound, "NOT_FOUND")

	// Opening it marks it ViewedByClient, once.
	var got custProposal
	res = c.cust("GET", path, nil)
	res.ok(http.StatusOK, &got)
	noSecrets(t, res)
	c.cust("GET", path, nil).ok(http.StatusOK, &got)
	if got.Status != "ViewedByClient" || got.StatusText != "Waiting for your answer" {
		t.Fatalf("opened: %+v", got)
	}

	c.cust("POST", path+"/accept", map[string]any{"signature_name": " A "}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "signature_name")
	c.cust("POST", path+"/accept", map[string]any{"signature_name": "Ada Lovelace", "chosen_options": []int{5}}).
		fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	res = c.cust("POST", path+"/accept", map[string]any{"chosen_options": []int{1}, "signature_name": "Ada  Lovelace"})
	res.ok(http.StatusOK, &got)
	noSecrets(t, res)
	if got.Status != "Accepted" || got.Acceptance == nil || got.Acceptance.Name != "Ada Lovelace" || got.CanAnswer {
		t.Fatalf("accepted: %+v", got)
	}
	// Staff see the signature with its time and address; the chosen
	// option's line is on the ticket.
	var staffView store.Proposal
	staff.get(path).ok(http.StatusOK, &staffView)
	if a := staffView.Acceptance; a == nil || a.Name != "Ada Lovelace" || a.IP != "127.0.0.1" || !a.At.Equal(ts.Clock.Now()) {
		t.Fatalf("staff see acceptance %+v", a)
	}
	var lines []struct{ Description string }
	staff.get(fmt.Sprintf("/tickets/%d/line_items", tk.ID)).ok(http.StatusOK, &lines)
	if len(lines) != 1 || lines[0].Description != "Compatible screen" {
		t.Fatalf("ticket lines %+v", lines)
	}
	// Answering twice says so in a customer's words.
	e := c.cust("POST", path+"/accept", map[string]any{"signature_name": "Ada Lovelace"}).fail(http.StatusConflict, "CONFLICT")
	e2 := c.cust("POST", path+"/decline", map[string]any{"reason": "changed my mind"}).fail(http.StatusConflict, "CONFLICT")
	if !strings.Contains(e.Message, "already accepted") || !strings.Contains(e2.Message, "already accepted") {
		t.Errorf("409s say %q, %q", e.Message, e2.Message)
	}

	evs := statusEvents(staff)
	var moves []string
	for _, ev := range evs {
		moves = append(moves, strings.Trim(string(ev.Data["to"]), `"`))
		if to := string(ev.Data["to"]); to == `"ViewedByClient"` || to == `"Accepted"` {
			if ev.Actor.Type != "customer" || ev.Actor.ID != ada.ID || ev.Actor.Name != "Ada Lovelace" {
				t.Errorf("%s by %+v", to, ev.Actor)
			}
		}
	}
	if strings.Join(moves, ",") != "Submitted,ViewedByClient,Accepted" {
		t.Errorf("status events %v", moves)
	}
}

func TestACustomerDeclinesWithAReason(t *testing.T) {
	t.Parallel()
	ts, staff := newServer(t, internalKey)
	ada := staff.newCustomer("Ada Lovelace")
	tk := staff.newTicket(ada.ID, nil)
	p := quoteFor(staff, ada.ID, tk.ID)
	adaPath, _ := portalLink(t, staff, ada.ID)
	c := ts.openLink(t, adaPath)
	path := fmt.Sprintf("/proposals/%d", p.ID)

	c.cust("POST", path+"/decline", map[string]any{"reason": strings.Repeat("x", 1001)}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "reason")
	var got custProposal
	c.cust("POST", path+"/decline", map[string]any{"reason": "Too expensive for an old phone"}).ok(http.StatusOK, &got)
	if got.Status != "Declined" || got.DeclineReason == nil || *got.DeclineReason != "Too expensive for an old phone" {
		t.Fatalf("declined: %+v", got)
	}
	e := c.cust("POST", path+"/accept", map[string]any{"signature_name": "Ada Lovelace"}).fail(http.StatusConflict, "CONFLICT")
	if !strings.Contains(e.Message, "already declined") {
		t.Errorf("409 says %q", e.Message)
	}
	evs := statusEvents(staff)
	last := evs[len(evs)-1]
	if string(last.Data["to"]) != `"Declined"` || last.Actor.Type != "customer" || last.Actor.ID != ada.ID {
		t.Errorf("last event %+v", last)
	}
	var lines []any
	staff.get(fmt.Sprintf("/tickets/%d/line_items", tk.ID)).ok(http.StatusOK, &lines)
	if len(lines) != 0 {
		t.Errorf("a decline put lines on the ticket: %v", lines)
	}
}

// pdfText is a PDF's bytes with its streams inflated.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) || !bytes.Contains(pdf, []byte("\nxref\n")) || !bytes.Contains(pdf, []byte("trailer")) {
		t.Fatalf("not a PDF: %.40q", pdf)
	}
	var out strings.Builder
	out.Write(pdf)
	for _, m := range regexp.MustCompile(`(?s)stream\r?\n(.*?)\r?\nendstream`).FindAllSubmatch(pdf, -1) {
		if r, err := zlib.NewReader(bytes.NewReader(m[1])); err == nil {
			b, _ := io.ReadAll(r)
			out.Write(b)
		}
	}
	return out.String()
}

func TestACustomerReadsTheirInvoiceAsJSONAndPDF(t *testing.T) {
	t.Parallel()
	ts, staff := newServer(t, internalKey)
	staff.patch("/store", map[string]any{"tax_rate": 10, "name": "Fix-It Café"}).ok(http.StatusOK, nil)
	staff.patch("/store/payments", map[string]any{"payment_link_template": "https://pay.example.com/shop?ticket={ticket_id}&amount={balance}"}).ok(http.StatusOK, nil)
	ada, bob := staff.newCustomer("Ada Lovelace"), staff.newCustomer("Bob Other")
	tk, theirs := staff.newTicket(ada.ID, nil), staff.newTicket(bob.ID, nil)
	staff.post(fmt.Sprintf("/tickets/%d/line_items", tk.ID), map[string]any{"kind": "part", "description": "Écran", "quantity": 1, "unit_price": 100}).ok(http.StatusCreated, nil)
	staff.post(fmt.Sprintf("/tickets/%d/payments", tk.ID), map[string]any{"amount": 30, "method": "cash"}).ok(http.StatusCreated, nil)
	staff.post(fmt.Sprintf("/tickets/%d/notes", tk.ID), map[string]any{"body": secretNote, "internal": true}).ok(http.StatusCreated, nil)
	adaPath, _ := portalLink(t, staff, ada.ID)
	c := ts.openLink(t, adaPath)

	var inv store.Invoice
	res := c.cust("GET", fmt.Sprintf("/tickets/%d/invoice", tk.ID), nil)
	res.ok(http.StatusOK, &inv)
	noSecrets(t, res)
	if inv.Total != 11000 || inv.Tax != 1000 || inv.Paid != 3000 || inv.Balance != 8000 || len(inv.Lines) != 1 || len(inv.Payments) != 1 ||
		inv.Shop.Name != "Fix-It Café" || inv.Customer.Name != "Ada Lovelace" {
		t.Fatalf("invoice %+v", inv)
	}
	if inv.PayURL == nil || *inv.PayURL != fmt.Sprintf("https://pay.example.com/shop?ticket=%d&amount=80.00", tk.ID) {
		t.Fatalf("pay_url %v", inv.PayURL)
	}
	pdf := c.cust("GET", fmt.Sprintf("/tickets/%d/invoice.pdf", tk.ID), nil)
	if pdf.Status != http.StatusOK || pdf.Header.Get("Content-Type") != "application/pdf" ||
		pdf.Header.Get("Content-Disposition") != fmt.Sprintf(`inline; filename="invoice-%d.pdf"`, tk.Number) {
		t.Fatalf("PDF: %d %v", pdf.Status, pdf.Header)
	}
	text := pdfText(t, pdf.Body)
	for _, want := range []string{"$110.00", "$80.00", "$30.00", "$10.00", "Fix-It Caf\xe9", "(\xc9cran)"} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF lacks %q", want)
		}
	}
	if strings.Contains(text, secretNote) {
		t.Error("the PDF holds an internal note")
	}
	// Staff get the same PDF through the API.
	if res := staff.get(fmt.Sprintf("/tickets/%d/invoice.pdf", tk.ID)); res.Status != http.StatusOK || !bytes.HasPrefix(res.Body, []byte("%PDF-")) {
		t.Fatalf("staff PDF: %d", res.Status)
	}
	// Another customer's ticket, as JSON or PDF, and one that does not exist: 404.
	for _, p := range []string{fmt.Sprintf("/tickets/%d/invoice", theirs.ID), fmt.Sprintf("/tickets/%d/invoice.pdf", theirs.ID), "/tickets/999/invoice.pdf"} {
		c.cust("GET", p, nil).fail(http.StatusNotFound, "NOT_FOUND")
	}
	// Paid in full: no pay link.
	staff.post(fmt.Sprintf("/tickets/%d/payments", tk.ID), map[string]any{"amount": 80, "method": "card"}).ok(http.StatusCreated, nil)
	c.cust("GET", fmt.Sprintf("/tickets/%d/invoice", tk.ID), nil).ok(http.StatusOK, &inv)
	if inv.PayURL != nil || inv.Balance != 0 {
		t.Errorf("paid invoice: balance %v pay_url %v", inv.Balance, inv.PayURL)
	}
}

type custFile struct {
	ID           uint64  `json:"id"`
	OwnerType    string  `json:"owner_type"`
	OwnerID      uint64  `json:"owner_id"`
	URL          string  `json:"url"`
	ThumbnailURL *string `json:"thumbnail_url"`
}

func TestACustomerListsOnlyTheirVisibleFiles(t *testing.T) {
	t.Parallel()
	ts, staff := newServer(t, internalKey)
	ada, bob := staff.newCustomer("Ada Lovelace"), staff.newCustomer("Bob Other")
	tk, theirs := staff.newTicket(ada.ID, nil), staff.newTicket(bob.ID, nil)
	p := quoteFor(staff, ada.ID, tk.ID)
	up := func(owner, name string, visible bool) uint64 {
		var a struct{ ID uint64 }
		staff.upload(owner, name, pngOf(t, 40, 30), "customer_visible", fmt.Sprint(visible)).ok(http.StatusCreated, &a)
		return a.ID
	}
	onTicket := up(fmt.Sprintf("/tickets/%d", tk.ID), "before.png", true)
	up(fmt.Sprintf("/tickets/%d", tk.ID), "bench.png", false)
	onCustomer := up(fmt.Sprintf("/customers/%d", ada.ID), "id.png", true)
	onQuote := up(fmt.Sprintf("/proposals/%d", p.ID), "diagram.png", true)
	up(fmt.Sprintf("/tickets/%d", theirs.ID), "bobs.png", true)
	up(fmt.Sprintf("/customers/%d", bob.ID), "bob.png", true)
	adaPath, _ := portalLink(t, staff, ada.ID)
	c := ts.openLink(t, adaPath)

	var files []custFile
	res := c.cust("GET", "/attachments", nil)
	res.ok(http.StatusOK, &files)
	noSecrets(t, res)
	var got []uint64
	for _, f := range files {
		got = append(got, f.ID)
	}
	if fmt.Sprint(got) != fmt.Sprint([]uint64{onQuote, onCustomer, onTicket}) {
		t.Fatalf("files %v, want %v", got, []uint64{onQuote, onCustomer, onTicket})
	}
	if r, body := fetch(t, files[0].URL); r.StatusCode != http.StatusOK || len(body) == 0 {
		t.Fatalf("signed URL: %d", r.StatusCode)
	}
	c.cust("GET", fmt.Sprintf("/attachments?ticket_id=%d", tk.ID), nil).ok(http.StatusOK, &files)
	if len(files) != 1 || files[0].ID != onTicket {
		t.Fatalf("ticket's files %+v", files)
	}
	c.cust("GET", fmt.Sprintf("/attachments?ticket_id=%d", theirs.ID), nil).fail(http.StatusNotFound, "NOT_FOUND")
	c.cust("GET", "/attachments?ticket_id=999", nil).fail(http.StatusNotFound, "NOT_FOUND")
}

// A test-mode link reads the test store only: the live store's records with
// the same ids are never seen, and its answers never change.
func TestATestModeCustomerNeverReadsLive(t *testing.T) {
	t.Parallel()
	ts, live := newServer(t, internalKey)
	dev := ts.client(developerKey)
	// Live: customer 1 with two tickets, a quote and a visible file.
	liveAda := live.newCustomer("LIVEMARK Ada")
	live.newTicket(liveAda.ID, nil)
	liveTicket := live.newTicket(liveAda.ID, nil)
	liveQuote := quoteFor(live, liveAda.ID, liveTicket.ID)
	live.upload(fmt.Sprintf("/customers/%d", liveAda.ID), "live.png", pngOf(t, 10, 10), "customer_visible", "true").ok(http.StatusCreated, nil)
	// Test: customer 1 with one ticket.
	testAda := dev.newCustomer("Test Ada")
	testTicket := dev.newTicket(testAda.ID, nil)
	if testAda.ID != liveAda.ID {
		t.Fatalf("want the same customer id in both stores")
	}
	before := live.get("/events?per_page=100").Body

	path, _ := portalLink(t, dev, testAda.ID)
	c := ts.openLink(t, path)
	var list []custProposal
	c.cust("GET", "/proposals", nil).ok(http.StatusOK, &list)
	var files []custFile
	c.cust("GET", "/attachments", nil).ok(http.StatusOK, &files)
	if len(list) != 0 || len(files) != 0 {
		t.Fatalf("a test customer sees live quotes %v or files %v", list, files)
	}
	c.cust("GET", fmt.Sprintf("/proposals/%d", liveQuote.ID), nil).fail(http.StatusNotFound, "NOT_FOUND")
	c.cust("POST", fmt.Sprintf("/proposals/%d/accept", liveQuote.ID), map[string]any{"signature_name": "Test Ada"}).fail(http.StatusNotFound, "NOT_FOUND")
	c.cust("GET", fmt.Sprintf("/tickets/%d/invoice.pdf", liveTicket.ID), nil).fail(http.StatusNotFound, "NOT_FOUND")
	res := c.cust("GET", fmt.Sprintf("/tickets/%d/invoice", testTicket.ID), nil)
	res.ok(http.StatusOK, nil)
	if bytes.Contains(res.Body, []byte("LIVEMARK")) {
		t.Fatal("a test invoice holds live data")
	}
	if after := live.get("/events?per_page=100").Body; !bytes.Equal(before, after) {
		t.Error("the live store changed")
	}
}

// A quote past its expiry cannot be accepted, even before the clock has
// moved it to Expired: the customer is told so, and nothing is written.
func TestAnExpiredQuoteCannotBeAccepted(t *testing.T) {
	t.Parallel()
	ts, staff := newServer(t, internalKey)
	ada := staff.newCustomer("Ada Lovelace")
	tk := staff.newTicket(ada.ID, nil)
	p := quoteFor(staff, ada.ID, tk.ID)
	staff.patch(fmt.Sprintf("/proposals/%d", p.ID), map[string]any{"expires_at": ts.Clock.Now().Add(time.Hour)}).ok(http.StatusOK, nil)
	adaPath, _ := portalLink(t, staff, ada.ID)
	c := ts.openLink(t, adaPath)
	ts.Clock.Advance(2 * time.Hour)
	var got custProposal
	c.cust("GET", fmt.Sprintf("/proposals/%d", p.ID), nil).ok(http.StatusOK, &got)
	if got.CanAnswer {
		t.Errorf("an expired quote offers an answer: %+v", got)
	}
	e := c.cust("POST", fmt.Sprintf("/proposals/%d/accept", p.ID), map[string]any{"signature_name": "Ada Lovelace"}).fail(http.StatusConflict, "CONFLICT")
	if !strings.Contains(e.Message, "expired") || strings.Contains(e.Message, "ViewedByClient") {
		t.Errorf("409 says %q", e.Message)
	}
	var lines []any
	staff.get(fmt.Sprintf("/tickets/%d/line_items", tk.ID)).ok(http.StatusOK, &lines)
	if len(lines) != 0 {
		t.Errorf("lines written: %v", lines)
	}
}
