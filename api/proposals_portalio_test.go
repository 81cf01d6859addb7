package api_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"portal/hooks"
	"portal/store"
)

// A Portal.io subscriber made through /public/webhook/subscribe receives
// ProposalStatusChanged with the full proposal as data, and verifies it as
// seed 001 says: X-Webhook-Signature is t=<ts>,v1=<hex HMAC-SHA256 of
// "<ts>.<raw body>" keyed by its secretKey>, checked here by hand as a
// receiver would (and by hooks.VerifyPortalio). proposal.created and edits
// are not ProposalStatusChanged and are not sent.
func TestPortalioSubscriberReceivesProposalStatusChanged(t *testing.T) {
	t.Parallel()
	ts, c := newHookServer(t, internalKey)
	rcv := newReceiver(t, http.StatusOK, `{"received":true}`)

	weak := newMSSCreds(ts, "webhooks.read", "webhooks.write")
	if msg := ts.pio(weak, http.MethodPost, "/public/webhook/subscribe", "application/json",
		`{"url":"`+rcv.URL+`","events":["ProposalStatusChanged"]}`).pioFail(http.StatusForbidden); !strings.Contains(msg, "proposals.read") {
		t.Errorf("refusal %q does not name proposals.read", msg)
	}
	cr := newMSSCreds(ts, "webhooks.read", "webhooks.write", "proposals.read")
	var sub subscription
	ts.pio(cr, http.MethodPost, "/public/webhook/subscribe", "application/json",
		`{"url":"`+rcv.URL+`","events":["ProposalStatusChanged"],"description":"CRM"}`).plain(http.StatusOK, &sub)
	if !strings.HasPrefix(sub.SecretKey, "whsec_") {
		t.Fatalf("secretKey %q", sub.SecretKey)
	}

	c.patch("/store", map[string]any{"tax_rate": 8.25}).ok(http.StatusOK, nil)
	ada := c.newCustomer("Ada Lovelace")
	var p store.Proposal
	c.post("/proposals", map[string]any{"name": "Office AV refresh", "customer_id": ada.ID, "areas": []any{
		area("Screen", option("Original", line("part", "Glass", 3, 19.99), line("service", "Fitting", 0.5, 60)))}}).ok(http.StatusCreated, &p)
	c.patch(proposalPath(p), map[string]any{"name": "Office AV refresh (v2)"}).ok(http.StatusOK, nil)
	submitted := c.patch(proposalPath(p), map[string]any{"status": "Submitted"})
	submitted.ok(http.StatusOK, nil)

	h := rcv.next(t)
	checkProposalStatusChanged(t, ts, sub.SecretKey, h, submitted.envelope().Data)
	var got struct {
		Data store.Proposal `json:"data"`
	}
	if err := json.Unmarshal(h.Body, &got); err != nil {
		t.Fatal(err)
	}
	if got.Data.Status != "Submitted" || got.Data.Name != "Office AV refresh (v2)" || got.Data.Summary.Total != 9739 /* 89.97 + 7.42 */ ||
		len(got.Data.Areas[0].Options[0].LineItems) != 2 || len(got.Data.StatusHistory) != 2 {
		t.Fatalf("the record sent %+v", got.Data)
	}
	accepted := c.patch(proposalPath(p), map[string]any{"status": "Accepted"})
	accepted.ok(http.StatusOK, nil)
	second := rcv.next(t)
	checkProposalStatusChanged(t, ts, sub.SecretKey, second, accepted.envelope().Data)
	if pioID(t, h.Body) == pioID(t, second.Body) {
		t.Fatal("two events with one id")
	}
	var list []delivery
	waitFor(t, ts.Live, "both deliveries to be recorded", func() bool {
		c.get(fmt.Sprintf("/webhooks/%d/deliveries", sub.SubscriptionID)).ok(http.StatusOK, &list)
		return len(list) == 2 && list[0].Status == store.DeliveryDelivered && list[1].Status == store.DeliveryDelivered
	})
	rcv.idle(t)
}

// checkProposalStatusChanged verifies a portalio request by the seed's
// scheme and checks its body: {"id", "type": "ProposalStatusChanged",
// "created", "data": the proposal as the API answered it}.
func checkProposalStatusChanged(t *testing.T, ts *testServer, secret string, h hit, record json.RawMessage) {
	t.Helper()
	sig := h.Header.Get("X-Webhook-Signature")
	ts1, v1, ok := strings.Cut(sig, ",v1=")
	if !ok || !strings.HasPrefix(ts1, "t=") || strings.Contains(v1, ",") {
		t.Fatalf("X-Webhook-Signature %q is not t=…,v1=…", sig)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strings.TrimPrefix(ts1, "t=") + "." + string(h.Body)))
	if want := hex.EncodeToString(mac.Sum(nil)); !hmac.Equal([]byte(v1), []byte(want)) {
		t.Fatalf("v1 %s, want HMAC-SHA256(secretKey, t.body) = %s", v1, want)
	}
	checkPortalioDelivery(t, ts, secret, h, "ProposalStatusChanged", record)
}

// "Send test" and `portal trigger` show proposals as real events carry
// them: the same keys in the same order, in the data and in the record and
// its areas, options and lines.
func TestSampleEventsOfProposalsHaveTheRealShape(t *testing.T) {
	t.Parallel()
	sh := newQuoteShop(t)
	p := sh.propose(area("Screen", option("Original", line("part", "Glass", 1, 10))))
	sh.c.patch(proposalPath(p), map[string]any{"status": "Submitted", "outline_status": "Generating", "build_status": "Building"}).ok(http.StatusOK, nil)
	for _, name := range []string{"proposal.created", "proposal.status_changed", "proposal.outline_status_changed", "proposal.build_status_changed"} {
		var events []struct {
			Data json.RawMessage `json:"data"`
		}
		sh.c.get("/events?event="+name).ok(http.StatusOK, &events)
		if len(events) != 1 {
			t.Fatalf("%d %s events", len(events), name)
		}
		real, sample := events[0].Data, hooks.SampleData(name)
		if got, want := strings.Join(objectKeys(t, sample), ","), strings.Join(objectKeys(t, real), ","); got != want {
			t.Errorf("%s sample data has %s, real events %s", name, got, want)
		}
		for _, at := range [][]string{{"proposal"}, {"proposal", "areas", "0"}, {"proposal", "areas", "0", "options", "0"},
			{"proposal", "areas", "0", "options", "0", "line_items", "0"}, {"proposal", "summary"}, {"proposal", "status_history", "0"}} {
			got, want := strings.Join(objectKeys(t, dig(t, sample, at)), ","), strings.Join(objectKeys(t, dig(t, real, at)), ",")
			if got != want {
				t.Errorf("%s sample %v has %s, real events %s", name, at, got, want)
			}
		}
	}
}

// dig follows keys and array indexes into a JSON document.
func dig(t *testing.T, raw json.RawMessage, path []string) json.RawMessage {
	t.Helper()
	for _, k := range path {
		if raw[0] == '[' {
			var list []json.RawMessage
			if err := json.Unmarshal(raw, &list); err != nil || len(list) == 0 {
				t.Fatalf("%v: %s", path, raw)
			}
			raw = list[0]
			continue
		}
		raw = mustField(t, raw, k)
	}
	return raw
}
