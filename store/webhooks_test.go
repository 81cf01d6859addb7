package store

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// knownEvents accepts the dotted event names; the hooks package adds its
// formats' aliases, which the store does not know.
func knownEvents(_, name string) bool { return KnownEvent(name) }

// routeTo is a fan-out route that gives attempts tries to every event a
// webhook names, or to all of them when it names "*".
func routeTo(attempts int) Route {
	return func(w *Webhook, event string) int {
		if slices.Contains(w.Events, "*") || slices.Contains(w.Events, event) {
			return attempts
		}
		return 0
	}
}

// hookSecret is a secret shaped like the ones hooks.NewSecret makes.
func hookSecret(t *testing.T) string {
	t.Helper()
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

func mustWebhook(t *testing.T, s *Store, sealer *Sealer, secret string, in WebhookInput) Webhook {
	t.Helper()
	if in.URL == "" {
		in.URL = "https://receiver.example/hooks"
	}
	w, err := s.CreateWebhook(t.Context(), in, secret, sealer, knownEvents)
	if err != nil {
		t.Fatalf("CreateWebhook(%+v): %v", in, err)
	}
	if w.Secret != secret {
		t.Fatalf("CreateWebhook shows secret %q, want the one given", w.Secret)
	}
	return w.Webhook
}

func loadWebhook(t *testing.T, s *Store, id uint64) Webhook {
	t.Helper()
	w, err := s.Webhook(id)
	if err != nil {
		t.Fatalf("Webhook(%d): %v", id, err)
	}
	return w
}

// fanOut runs the dispatcher's step with six attempts per delivery and
// returns how many events it consumed.
func fanOut(t *testing.T, s *Store) int {
	t.Helper()
	n, err := s.FanOut(t.Context(), 1000, routeTo(6))
	if err != nil {
		t.Fatalf("FanOut: %v", err)
	}
	return n
}

// deliveriesOf lists a webhook's deliveries, newest first.
func deliveriesOf(t *testing.T, s *Store, webhookID uint64) []Delivery {
	t.Helper()
	page, err := s.WebhookDeliveries(webhookID, 1, 1000)
	if err != nil {
		t.Fatalf("WebhookDeliveries(%d): %v", webhookID, err)
	}
	out := make([]Delivery, len(page.Items))
	for i, raw := range page.Items {
		out[i] = decode[Delivery](t, raw)
	}
	if page.Total != len(out) {
		t.Errorf("WebhookDeliveries(%d) total = %d, listed %d", webhookID, page.Total, len(out))
	}
	return out
}

func detail(t *testing.T, s *Store, id string) DeliveryDetail {
	t.Helper()
	d, err := s.DeliveryDetail(id)
	if err != nil {
		t.Fatalf("DeliveryDetail(%s): %v", id, err)
	}
	return d
}

// leaseAt leases everything due at now, with room for all of it.
func leaseAt(t *testing.T, s *Store, sealer *Sealer, now time.Time) []Leased {
	t.Helper()
	return lease(t, s, LeaseRequest{Now: now, Until: now.Add(time.Hour), Limit: 1000, PerWebhook: 1000, Sealer: sealer})
}

func lease(t *testing.T, s *Store, req LeaseRequest) []Leased {
	t.Helper()
	l, err := s.LeaseDue(t.Context(), req)
	if err != nil {
		t.Fatalf("LeaseDue: %v", err)
	}
	return l
}

func leasedIDs(ls []Leased) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.Delivery.ID
	}
	return out
}

func leasedSecrets(ls []Leased) [][]string {
	out := make([][]string, len(ls))
	for i, l := range ls {
		out[i] = l.Secrets
	}
	return out
}

func record(t *testing.T, s *Store, l Leased, a Attempt, o Outcome, disableAfter int) Delivery {
	t.Helper()
	d, err := s.RecordAttempt(t.Context(), l.Seq, a, o, disableAfter)
	if err != nil {
		t.Fatalf("RecordAttempt(%s): %v", l.Delivery.ID, err)
	}
	return d
}

var failed500 = Attempt{StatusCode: 500, Error: "receiver answered 500 Internal Server Error"}

func wantQueue(t *testing.T, s *Store, ready, inflight int) {
	t.Helper()
	r, i, err := s.QueueDepth()
	if err != nil {
		t.Fatal(err)
	}
	if r != ready || i != inflight {
		t.Fatalf("queue holds %d ready and %d in flight, want %d and %d", r, i, ready, inflight)
	}
}

func TestCreateWebhookValidation(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	sealer := testSealer(t)
	for _, tc := range []struct {
		in     WebhookInput
		fields []string
	}{
		{WebhookInput{URL: "ftp://receiver.example/", Events: []string{"*"}}, []string{"url"}},
		{WebhookInput{URL: "https://user:pw@receiver.example/", Events: []string{"*"}}, []string{"url"}},
		{WebhookInput{URL: "/relative", Events: []string{"*"}}, []string{"url"}},
		{WebhookInput{URL: "https://receiver.example/", Events: nil}, []string{"events"}},
		{WebhookInput{URL: "https://receiver.example/", Events: []string{"ticket.exploded"}}, []string{"events"}},
		{WebhookInput{URL: "https://receiver.example/", Events: []string{"*"}, Format: "xml"}, []string{"format"}},
		// Names are exact: padding is not trimmed into a known name.
		{WebhookInput{URL: "https://receiver.example/", Events: []string{" customer.created"}}, []string{"events"}},
		{WebhookInput{URL: "https://receiver.example/", Events: []string{""}}, []string{"events"}},
	} {
		_, err := s.CreateWebhook(t.Context(), tc.in, "whsec_x", sealer, knownEvents)
		wantFields(t, err, tc.fields...)
	}
	w := mustWebhook(t, s, sealer, "whsec_x", WebhookInput{Events: []string{"customer.created", "customer.created"}})
	if w.Format != "portal" || !w.Enabled || !slices.Equal(w.Events, []string{"customer.created"}) {
		t.Fatalf("created %+v, want format portal, enabled, events deduplicated", w)
	}
}

func TestFanOutMakesOneDeliveryPerMatchingEnabledWebhookOnce(t *testing.T) {
	t.Parallel()
	s, clock := openTestClock(t)
	sealer := testSealer(t)
	all := mustWebhook(t, s, sealer, "whsec_a", WebhookInput{Events: []string{"*"}})
	customers := mustWebhook(t, s, sealer, "whsec_c", WebhookInput{Events: []string{"customer.created"}})
	tickets := mustWebhook(t, s, sealer, "whsec_t", WebhookInput{Events: []string{"ticket.created"}})
	off := mustWebhook(t, s, sealer, "whsec_o", WebhookInput{Events: []string{"*"}, Enabled: ptr(false)})

	c1 := mustCustomer(t, s, CustomerInput{Name: "Ada"})
	mustCustomer(t, s, CustomerInput{Name: "Grace"})
	evs := eventsAfter(t, s, 0)
	if n := fanOut(t, s); n != 2 {
		t.Fatalf("FanOut consumed %d events, want 2", n)
	}
	for _, tc := range []struct {
		hook Webhook
		want int
	}{{all, 2}, {customers, 2}, {tickets, 0}, {off, 0}} {
		ds := deliveriesOf(t, s, tc.hook.ID)
		if len(ds) != tc.want {
			t.Fatalf("webhook %v has %d deliveries, want %d", tc.hook.Events, len(ds), tc.want)
		}
		for i, d := range ds {
			ev := decode[Event](t, evs[len(ds)-1-i].JSON) // newest first
			if d.WebhookID != tc.hook.ID || d.EventID != ev.EventID || d.Event != "customer.created" ||
				d.Status != DeliveryPending || d.Attempts != 0 || d.MaxAttempts != 6 ||
				d.NextAttemptAt == nil || !d.NextAttemptAt.Equal(clock.Now()) {
				t.Fatalf("delivery %+v, want a pending delivery of %s due now", d, ev.EventID)
			}
			if got := detail(t, s, d.ID).Payload; !bytes.Equal(got, evs[len(ds)-1-i].JSON) {
				t.Fatalf("payload %s, want the logged event %s", got, evs[len(ds)-1-i].JSON)
			}
		}
	}
	wantQueue(t, s, 4, 0)

	if n := fanOut(t, s); n != 0 {
		t.Fatalf("second FanOut consumed %d events, want 0", n)
	}
	if got := len(deliveriesOf(t, s, all.ID)) + len(deliveriesOf(t, s, customers.ID)); got != 4 {
		t.Fatalf("second FanOut left %d deliveries, want the same 4", got)
	}

	mustTicket(t, s, TicketInput{CustomerID: c1.ID, Issue: "cracked screen"})
	if n := fanOut(t, s); n != 1 {
		t.Fatalf("FanOut after a ticket consumed %d events, want 1", n)
	}
	if a, c, tk := len(deliveriesOf(t, s, all.ID)), len(deliveriesOf(t, s, customers.ID)), len(deliveriesOf(t, s, tickets.ID)); a != 3 || c != 2 || tk != 1 {
		t.Fatalf("deliveries all/customers/tickets = %d/%d/%d, want 3/2/1", a, c, tk)
	}
	if done, err := s.HooksCaughtUp(); err != nil || !done {
		t.Fatalf("HooksCaughtUp = %v, %v; want true", done, err)
	}
}

func TestWebhookMadeAfterAnEventDoesNotReceiveIt(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	sealer := testSealer(t)
	mustCustomer(t, s, CustomerInput{Name: "Before"}) // not fanned out yet
	w := mustWebhook(t, s, sealer, "whsec_x", WebhookInput{Events: []string{"*"}})
	if n := fanOut(t, s); n != 1 {
		t.Fatalf("FanOut consumed %d events, want 1", n)
	}
	if ds := deliveriesOf(t, s, w.ID); len(ds) != 0 {
		t.Fatalf("webhook made after the event got %d deliveries, want 0", len(ds))
	}
	mustCustomer(t, s, CustomerInput{Name: "After"})
	fanOut(t, s)
	ds := deliveriesOf(t, s, w.ID)
	last := decode[Event](t, eventsAfter(t, s, 0)[1].JSON)
	if len(ds) != 1 || ds[0].EventID != last.EventID {
		t.Fatalf("deliveries %+v, want only the event after the webhook was made (%s)", ds, last.EventID)
	}
}

func TestDisabledWebhookReceivesNothingWhileOff(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	sealer := testSealer(t)
	w := mustWebhook(t, s, sealer, "whsec_x", WebhookInput{Events: []string{"*"}})
	if _, err := s.UpdateWebhook(t.Context(), w.ID, WebhookPatch{Enabled: ptr(false)}, knownEvents); err != nil {
		t.Fatal(err)
	}
	mustCustomer(t, s, CustomerInput{Name: "While off"})
	fanOut(t, s)
	if ds := deliveriesOf(t, s, w.ID); len(ds) != 0 {
		t.Fatalf("disabled webhook got %d deliveries, want 0", len(ds))
	}
	// Turning it back on does not replay what it missed.
	if _, err := s.UpdateWebhook(t.Context(), w.ID, WebhookPatch{Enabled: ptr(true)}, knownEvents); err != nil {
		t.Fatal(err)
	}
	fanOut(t, s)
	if ds := deliveriesOf(t, s, w.ID); len(ds) != 0 {
		t.Fatalf("re-enabled webhook got %d deliveries of events from while it was off", len(ds))
	}
	mustCustomer(t, s, CustomerInput{Name: "Back on"})
	fanOut(t, s)
	if ds := deliveriesOf(t, s, w.ID); len(ds) != 1 {
		t.Fatalf("re-enabled webhook got %d deliveries of a new event, want 1", len(ds))
	}
}

func TestQueuedDeliveriesOfADeletedWebhookFailAndDisabledOnesAreNotLeased(t *testing.T) {
	t.Parallel()
	s, clock := openTestClock(t)
	sealer := testSealer(t)
	deleted := mustWebhook(t, s, sealer, "whsec_d", WebhookInput{Events: []string{"*"}})
	disabled := mustWebhook(t, s, sealer, "whsec_o", WebhookInput{Events: []string{"*"}})
	kept := mustWebhook(t, s, sealer, "whsec_k", WebhookInput{Events: []string{"*"}})
	mustCustomer(t, s, CustomerInput{Name: "Ada"})
	fanOut(t, s)
	goneID := deliveriesOf(t, s, deleted.ID)[0].ID

	if err := s.DeleteWebhook(t.Context(), deleted.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateWebhook(t.Context(), disabled.ID, WebhookPatch{Enabled: ptr(false)}, knownEvents); err != nil {
		t.Fatal(err)
	}
	ls := leaseAt(t, s, sealer, clock.Now())
	if len(ls) != 1 || ls[0].Webhook.ID != kept.ID {
		t.Fatalf("leased %v, want only the kept webhook's delivery", leasedIDs(ls))
	}
	d := detail(t, s, goneID)
	if d.Status != DeliveryFailed || d.LastError != "webhook deleted" || d.Delivery.Attempts != 0 || len(d.Attempts) != 0 || d.NextAttemptAt != nil {
		t.Fatalf("delivery %+v, want failed \"webhook deleted\" without an attempt", d.Delivery)
	}
	if ls := leaseAt(t, s, sealer, clock.Now().Add(48*time.Hour)); len(ls) != 0 {
		t.Fatalf("leased %v later, want nothing for deleted or disabled webhooks", leasedIDs(ls))
	}
	_, err := s.WebhookDeliveries(deleted.ID, 1, 10)
	wantNotFound(t, err)
}

// TestLeaseDueKeepsIDOrderAmongEqualDueTimes: one fan-out batch queues every
// delivery at the same instant; a receiver still gets them in event order.
func TestLeaseDueKeepsIDOrderAmongEqualDueTimes(t *testing.T) {
	t.Parallel()
	s, clock := openTestClock(t)
	sealer := testSealer(t)
	mustWebhook(t, s, sealer, "whsec_x", WebhookInput{Events: []string{"*"}})
	const n = 100
	for range n {
		mustCustomer(t, s, CustomerInput{Name: "Ada"})
	}
	fanOut(t, s)
	ls := leaseAt(t, s, sealer, clock.Now())
	if len(ls) != n {
		t.Fatalf("leased %d, want %d", len(ls), n)
	}
	if !slices.IsSortedFunc(ls, func(a, b Leased) int { return int(a.Seq) - int(b.Seq) }) {
		t.Fatalf("leased %v, want id order among deliveries due at the same time", leasedIDs(ls))
	}
}

func TestLeaseDueTakesTheEarliestDueFirst(t *testing.T) {
	t.Parallel()
	s, clock := openTestClock(t)
	sealer := testSealer(t)
	mustWebhook(t, s, sealer, "whsec_x", WebhookInput{Events: []string{"*"}})
	for _, name := range []string{"One", "Two", "Three"} {
		mustCustomer(t, s, CustomerInput{Name: name})
	}
	fanOut(t, s)
	t0 := clock.Now()
	ls := leaseAt(t, s, sealer, t0)
	if got := leasedIDs(ls); !slices.Equal(got, []string{"dlv_1", "dlv_2", "dlv_3"}) {
		t.Fatalf("leased %v, want deliveries due at the same time in id order", got)
	}
	// Retries out of id order: dlv_2 first, then dlv_3, then dlv_1.
	for i, after := range []time.Duration{3 * time.Minute, time.Minute, 2 * time.Minute} {
		at := t0.Add(after)
		record(t, s, ls[i], failed500, Outcome{RetryAt: &at}, 50)
	}
	if at, ok, err := s.NextDue(); err != nil || !ok || !at.Equal(t0.Add(time.Minute)) {
		t.Fatalf("NextDue = %v, %v, %v; want %v", at, ok, err, t0.Add(time.Minute))
	}
	if ls := leaseAt(t, s, sealer, t0.Add(time.Minute-time.Nanosecond)); len(ls) != 0 {
		t.Fatalf("leased %v before anything was due", leasedIDs(ls))
	}
	ls = leaseAt(t, s, sealer, t0.Add(time.Minute))
	if got := leasedIDs(ls); !slices.Equal(got, []string{"dlv_2"}) {
		t.Fatalf("leased %v at +1m, want [dlv_2]", got)
	}
	later := t0.Add(10 * time.Minute)
	record(t, s, ls[0], failed500, Outcome{RetryAt: &later}, 50)

	var order []string
	for range 3 {
		order = append(order, leasedIDs(lease(t, s, LeaseRequest{Now: t0.Add(5 * time.Minute), Until: t0.Add(time.Hour),
			Limit: 1, PerWebhook: 10, Sealer: sealer}))...)
	}
	if !slices.Equal(order, []string{"dlv_3", "dlv_1"}) {
		t.Fatalf("one at a time at +5m leased %v, want [dlv_3 dlv_1]", order)
	}
}

func TestLeaseDueCapsDeliveriesInFlightPerWebhook(t *testing.T) {
	t.Parallel()
	s, clock := openTestClock(t)
	sealer := testSealer(t)
	a := mustWebhook(t, s, sealer, "whsec_a", WebhookInput{Events: []string{"*"}})
	b := mustWebhook(t, s, sealer, "whsec_b", WebhookInput{Events: []string{"*"}})
	for range 4 {
		mustCustomer(t, s, CustomerInput{Name: "Ada"})
	}
	fanOut(t, s)
	now := clock.Now()
	busy := map[uint64]int{a.ID: 1}
	ls := lease(t, s, LeaseRequest{Now: now, Until: now.Add(time.Hour), Limit: 10, PerWebhook: 2, Busy: busy, Sealer: sealer})
	per := map[uint64]int{}
	for _, l := range ls {
		per[l.Webhook.ID]++
	}
	if per[a.ID] != 1 || per[b.ID] != 2 {
		t.Fatalf("leased %d of a (1 busy) and %d of b with PerWebhook 2, want 1 and 2", per[a.ID], per[b.ID])
	}
	if len(busy) != 1 || busy[a.ID] != 1 {
		t.Fatalf("LeaseDue changed the caller's Busy map: %v", busy)
	}
	if ls := lease(t, s, LeaseRequest{Now: now, Until: now.Add(time.Hour), Limit: 10, PerWebhook: 2,
		Busy: map[uint64]int{a.ID: 2, b.ID: 2}, Sealer: sealer}); len(ls) != 0 {
		t.Fatalf("leased %v with every webhook at its cap", leasedIDs(ls))
	}
	if ls := lease(t, s, LeaseRequest{Now: now, Until: now.Add(time.Hour), Limit: 1, PerWebhook: 2, Sealer: sealer}); len(ls) != 1 {
		t.Fatalf("leased %d with Limit 1", len(ls))
	}
	wantQueue(t, s, 4, 4)
}

func TestRecoverLeasesReturnsDeliveriesInFlight(t *testing.T) {
	t.Parallel()
	s, clock := openTestClock(t)
	sealer := testSealer(t)
	mustWebhook(t, s, sealer, "whsec_x", WebhookInput{Events: []string{"*"}})
	mustCustomer(t, s, CustomerInput{Name: "Ada"})
	mustCustomer(t, s, CustomerInput{Name: "Grace"})
	fanOut(t, s)
	t0 := clock.Now()
	if ls := leaseAt(t, s, sealer, t0); len(ls) != 2 {
		t.Fatalf("leased %d, want 2", len(ls))
	}
	if ls := leaseAt(t, s, sealer, t0); len(ls) != 0 {
		t.Fatalf("leased %v again while in flight", leasedIDs(ls))
	}
	if n, err := s.RecoverLeases(t.Context(), t0.Add(30*time.Minute), false); err != nil || n != 0 {
		t.Fatalf("RecoverLeases before the leases end = %d, %v; want 0", n, err)
	}
	wantQueue(t, s, 0, 2)
	if n, err := s.RecoverLeases(t.Context(), t0, true); err != nil || n != 2 {
		t.Fatalf("RecoverLeases(all) = %d, %v; want 2", n, err)
	}
	wantQueue(t, s, 2, 0)
	ls := leaseAt(t, s, sealer, t0)
	if got := leasedIDs(ls); !slices.Equal(got, []string{"dlv_1", "dlv_2"}) || ls[0].Delivery.Attempts != 0 {
		t.Fatalf("after recovery leased %v, want both again with no attempt counted", got)
	}
	// A sender that died: its lease ends an hour later and the sweep returns it.
	if n, err := s.RecoverLeases(t.Context(), t0.Add(time.Hour), false); err != nil || n != 2 {
		t.Fatalf("RecoverLeases after the leases ended = %d, %v; want 2", n, err)
	}
	wantQueue(t, s, 2, 0)
}

func TestRecordAttemptOutcomesAndTheFailureStreak(t *testing.T) {
	t.Parallel()
	s, clock := openTestClock(t)
	sealer := testSealer(t)
	w := mustWebhook(t, s, sealer, "whsec_x", WebhookInput{Events: []string{"*"}})
	for range 4 {
		mustCustomer(t, s, CustomerInput{Name: "Ada"})
	}
	fanOut(t, s)
	t0 := clock.Now()
	ls := leaseAt(t, s, sealer, t0)
	streak := func() int { return loadWebhook(t, s, w.ID).ConsecutiveFailures }

	d := record(t, s, ls[0], failed500, Outcome{}, 50)
	if d.Status != DeliveryFailed || d.Attempts != 1 || d.LastStatusCode != 500 || d.NextAttemptAt != nil || streak() != 1 {
		t.Fatalf("last failed attempt: %+v, streak %d; want failed, streak 1", d, streak())
	}
	retryAt := t0.Add(5 * time.Minute)
	d = record(t, s, ls[1], Attempt{Error: "timed out"}, Outcome{RetryAt: &retryAt}, 50)
	if d.Status != DeliveryPending || d.NextAttemptAt == nil || !d.NextAttemptAt.Equal(retryAt) || d.LastError != "timed out" || streak() != 2 {
		t.Fatalf("retried attempt: %+v, streak %d; want pending at %v, streak 2", d, streak(), retryAt)
	}
	d = record(t, s, ls[2], Attempt{StatusCode: 204}, Outcome{Delivered: true}, 50)
	if d.Status != DeliveryDelivered || d.NextAttemptAt != nil || streak() != 0 {
		t.Fatalf("delivered attempt: %+v, streak %d; want delivered, streak 0", d, streak())
	}
	record(t, s, ls[3], failed500, Outcome{}, 50)
	if streak() != 1 {
		t.Fatalf("streak after a failure following a delivery = %d, want 1", streak())
	}
	wantQueue(t, s, 1, 0)

	// The retry comes back at RetryAt, not before, and its attempts add up.
	if ls := leaseAt(t, s, sealer, retryAt.Add(-time.Second)); len(ls) != 0 {
		t.Fatalf("leased %v before RetryAt", leasedIDs(ls))
	}
	again := leaseAt(t, s, sealer, retryAt)
	if len(again) != 1 || again[0].Delivery.ID != ls[1].Delivery.ID || again[0].Delivery.Attempts != 1 {
		t.Fatalf("at RetryAt leased %+v, want %s with 1 attempt so far", again, ls[1].Delivery.ID)
	}
	record(t, s, again[0], Attempt{StatusCode: 200, ResponseBody: "ok"}, Outcome{Delivered: true}, 50)
	dd := detail(t, s, ls[1].Delivery.ID)
	if dd.Status != DeliveryDelivered || len(dd.Attempts) != 2 || dd.Attempts[0].N != 1 || dd.Attempts[1].N != 2 ||
		dd.Attempts[0].Error != "timed out" || dd.Attempts[1].ResponseBody != "ok" {
		t.Fatalf("detail %+v, want two numbered attempts ending delivered", dd)
	}
	wantQueue(t, s, 0, 0)
}

func TestGoneDisablesTheWebhookAtOnce(t *testing.T) {
	t.Parallel()
	s, clock := openTestClock(t)
	sealer := testSealer(t)
	w := mustWebhook(t, s, sealer, "whsec_x", WebhookInput{Events: []string{"*"}})
	mustCustomer(t, s, CustomerInput{Name: "Ada"})
	fanOut(t, s)
	l := leaseAt(t, s, sealer, clock.Now())[0]
	var d Delivery
	evs := expectEvents(t, s, []string{"webhook.disabled"}, func() error {
		d = record(t, s, l, Attempt{StatusCode: 410, Error: "receiver answered 410 Gone"}, Outcome{Gone: true}, 50)
		return nil
	})
	data := dataOf(t, evs[0])
	if string(data["webhook_id"]) != "1" || !strings.Contains(string(data["reason"]), "410") {
		t.Fatalf("webhook.disabled data %s, want webhook_id 1 and a reason naming 410", evs[0].Data)
	}
	got := loadWebhook(t, s, w.ID)
	if got.Enabled || !strings.Contains(got.DisabledReason, "410 Gone") || d.Status != DeliveryFailed {
		t.Fatalf("after 410: webhook %+v, delivery %s; want disabled for 410 Gone, delivery failed", got, d.Status)
	}
	mustCustomer(t, s, CustomerInput{Name: "Grace"})
	fanOut(t, s)
	if ds := deliveriesOf(t, s, w.ID); len(ds) != 1 {
		t.Fatalf("disabled webhook has %d deliveries, want only the first", len(ds))
	}
}

func TestFiftiethConsecutiveFailureDisablesOnce(t *testing.T) {
	t.Parallel()
	s, clock := openTestClock(t)
	sealer := testSealer(t)
	w := mustWebhook(t, s, sealer, "whsec_x", WebhookInput{Events: []string{"*"}})
	for range 52 {
		mustCustomer(t, s, CustomerInput{Name: "Ada"})
	}
	fanOut(t, s)
	t0 := clock.Now()
	ls := leaseAt(t, s, sealer, t0)
	if len(ls) != 52 {
		t.Fatalf("leased %d, want 52", len(ls))
	}
	retryAt := t0.Add(time.Minute)
	fail := func(l Leased) Delivery { return record(t, s, l, failed500, Outcome{RetryAt: &retryAt}, 50) }
	expectEvents(t, s, nil, func() error {
		for _, l := range ls[:49] {
			fail(l)
		}
		return nil
	})
	if got := loadWebhook(t, s, w.ID); !got.Enabled || got.ConsecutiveFailures != 49 {
		t.Fatalf("after 49 failures: %+v, want enabled with a streak of 49", got)
	}
	evs := expectEvents(t, s, []string{"webhook.disabled"}, func() error {
		if d := fail(ls[49]); d.Status != DeliveryFailed {
			t.Errorf("the 50th failure left its delivery %s, want failed (no retry to a disabled webhook)", d.Status)
		}
		return nil
	})
	if got := string(dataOf(t, evs[0])["reason"]); got != `"50 consecutive failed attempts"` {
		t.Fatalf("reason %s, want 50 consecutive failed attempts", got)
	}
	got := loadWebhook(t, s, w.ID)
	if got.Enabled || got.ConsecutiveFailures != 50 || got.DisabledReason != "50 consecutive failed attempts" {
		t.Fatalf("after 50 failures: %+v, want disabled", got)
	}
	// Attempts in flight when it was disabled end without a second event.
	expectEvents(t, s, nil, func() error {
		for _, l := range ls[50:] {
			if d := fail(l); d.Status != DeliveryFailed {
				t.Errorf("failure after disabling left %s, want failed", d.Status)
			}
		}
		return nil
	})
	// Its 49 queued retries are not sent.
	if ls := leaseAt(t, s, sealer, retryAt.Add(time.Hour)); len(ls) != 0 {
		t.Fatalf("leased %d deliveries of a disabled webhook", len(ls))
	}
	// Turning it back on starts a new streak.
	got, err := s.UpdateWebhook(t.Context(), w.ID, WebhookPatch{Enabled: ptr(true)}, knownEvents)
	if err != nil || !got.Enabled || got.ConsecutiveFailures != 0 || got.DisabledReason != "" {
		t.Fatalf("re-enabled: %+v, %v; want enabled with the streak cleared", got, err)
	}
}

func TestManualAttemptsNeitherCountNorDropAQueuedRetry(t *testing.T) {
	t.Parallel()
	s, clock := openTestClock(t)
	sealer := testSealer(t)
	w := mustWebhook(t, s, sealer, "whsec_x", WebhookInput{Events: []string{"*"}})
	mustCustomer(t, s, CustomerInput{Name: "Ada"})
	fanOut(t, s)
	t0 := clock.Now()
	l := leaseAt(t, s, sealer, t0)[0]
	retryAt := t0.Add(time.Minute)
	record(t, s, l, failed500, Outcome{RetryAt: &retryAt}, 50)

	again, err := s.Redelivery(l.Delivery.ID, sealer)
	if err != nil || !bytes.Equal(again.Payload, l.Payload) || !slices.Equal(again.Secrets, []string{"whsec_x"}) {
		t.Fatalf("Redelivery = %+v, %v; want the same payload and the secret", again, err)
	}
	d := record(t, s, again, Attempt{Manual: true, StatusCode: 502}, Outcome{}, 50)
	if d.Status != DeliveryPending || d.NextAttemptAt == nil || !d.NextAttemptAt.Equal(retryAt) || d.Attempts != 2 {
		t.Fatalf("after a failed redelivery: %+v, want still pending at %v", d, retryAt)
	}
	if got := loadWebhook(t, s, w.ID).ConsecutiveFailures; got != 1 {
		t.Fatalf("streak = %d after a failed manual attempt, want 1 (manual attempts do not count)", got)
	}
	wantQueue(t, s, 1, 0)
	d = record(t, s, again, Attempt{Manual: true, StatusCode: 200}, Outcome{Delivered: true}, 50)
	if d.Status != DeliveryDelivered || d.NextAttemptAt != nil {
		t.Fatalf("after a delivered redelivery: %+v", d)
	}
	if got := loadWebhook(t, s, w.ID).ConsecutiveFailures; got != 0 {
		t.Fatalf("streak = %d after a delivered attempt, want 0", got)
	}
	wantQueue(t, s, 0, 0)
	if dd := detail(t, s, l.Delivery.ID); len(dd.Attempts) != 3 || !dd.Attempts[1].Manual || dd.Attempts[0].Manual {
		t.Fatalf("attempt log %+v, want the queued attempt then two manual ones", dd.Attempts)
	}
}

func TestTestDeliveryIsOutsideTheLogAndTheQueue(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	sealer := testSealer(t)
	w := mustWebhook(t, s, sealer, "whsec_x", WebhookInput{Events: []string{"customer.created"}})
	l, err := s.TestDelivery(t.Context(), w.ID, "ticket.created", []byte(`{"ticket_id":1}`), sealer)
	if err != nil {
		t.Fatal(err)
	}
	ev := decode[Event](t, l.Payload)
	if !l.Delivery.Test || l.Delivery.MaxAttempts != 1 || ev.Event != "ticket.created" || ev.EventID != l.Delivery.EventID ||
		string(ev.Data) != `{"ticket_id":1}` || !slices.Equal(l.Secrets, []string{"whsec_x"}) {
		t.Fatalf("TestDelivery = %+v (payload %s)", l, l.Payload)
	}
	if evs := eventsAfter(t, s, 0); len(evs) != 0 {
		t.Fatalf("a test delivery wrote %d events to the log", len(evs))
	}
	wantQueue(t, s, 0, 0)
	d := record(t, s, l, Attempt{Manual: true, StatusCode: 500}, Outcome{}, 50)
	if d.Status != DeliveryFailed || d.NextAttemptAt != nil || loadWebhook(t, s, w.ID).ConsecutiveFailures != 0 {
		t.Fatalf("failed test delivery: %+v; want failed, not retried, not counted", d)
	}
	wantQueue(t, s, 0, 0)
	if ds := deliveriesOf(t, s, w.ID); len(ds) != 1 || !ds[0].Test {
		t.Fatalf("the webhook's deliveries %+v, want the test delivery listed", ds)
	}
}

func TestRotationKeepsTheOldSecretUntilItExpires(t *testing.T) {
	t.Parallel()
	s, clock := openTestClock(t)
	sealer := testSealer(t)
	ctx := t.Context()
	w := mustWebhook(t, s, sealer, "whsec_old", WebhookInput{Events: []string{"*"}})
	secrets := func() []string {
		t.Helper()
		got, err := s.WebhookSecrets(w.ID, sealer)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := secrets(); !slices.Equal(got, []string{"whsec_old"}) {
		t.Fatalf("secrets %v, want [whsec_old]", got)
	}
	clock.Advance(time.Hour)
	rotated, err := s.RotateWebhookSecret(ctx, w.ID, Editor{}, "whsec_new", 24*time.Hour, sealer)
	if err != nil || rotated.Secret != "whsec_new" {
		t.Fatalf("RotateWebhookSecret = %+v, %v", rotated, err)
	}
	expires := clock.Now().Add(24 * time.Hour)
	if got := secrets(); !slices.Equal(got, []string{"whsec_new", "whsec_old"}) {
		t.Fatalf("secrets after rotation %v, want [whsec_new whsec_old]", got)
	}
	mustCustomer(t, s, CustomerInput{Name: "Ada"})
	fanOut(t, s)
	if got := leasedSecrets(leaseAt(t, s, sealer, expires.Add(-time.Second))); !slices.EqualFunc(got, [][]string{{"whsec_new", "whsec_old"}}, slices.Equal) {
		t.Fatalf("leased before expiry with secrets %v, want one delivery with both", got)
	}
	if _, err := s.RecoverLeases(ctx, expires, true); err != nil {
		t.Fatal(err)
	}
	if got := leasedSecrets(leaseAt(t, s, sealer, expires)); !slices.EqualFunc(got, [][]string{{"whsec_new"}}, slices.Equal) {
		t.Fatalf("leased at expiry with secrets %v, want one delivery with only the new one", got)
	}

	clock.Advance(24*time.Hour - time.Second)
	if got := secrets(); !slices.Equal(got, []string{"whsec_new", "whsec_old"}) {
		t.Fatalf("secrets a second before expiry %v, want both", got)
	}
	clock.Advance(time.Second)
	if got := secrets(); !slices.Equal(got, []string{"whsec_new"}) {
		t.Fatalf("secrets at expiry %v, want [whsec_new]", got)
	}

	// Each rotation keeps only the secret it replaced; keepOld 0 switches at once.
	if _, err := s.RotateWebhookSecret(ctx, w.ID, Editor{}, "whsec_third", 24*time.Hour, sealer); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RotateWebhookSecret(ctx, w.ID, Editor{}, "whsec_fourth", time.Hour, sealer); err != nil {
		t.Fatal(err)
	}
	if got := secrets(); !slices.Equal(got, []string{"whsec_fourth", "whsec_third"}) {
		t.Fatalf("secrets after two rotations %v, want [whsec_fourth whsec_third]", got)
	}
	if _, err := s.RotateWebhookSecret(ctx, w.ID, Editor{}, "whsec_fifth", 0, sealer); err != nil {
		t.Fatal(err)
	}
	if got := secrets(); !slices.Equal(got, []string{"whsec_fifth"}) {
		t.Fatalf("secrets after a rotation without overlap %v, want [whsec_fifth]", got)
	}
}

func TestWebhookSecretsAreSealedOnDisk(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	sealer := testSealer(t)
	path := s.Path()
	var secrets []string
	for _, format := range WebhookFormats {
		secret := hookSecret(t)
		secrets = append(secrets, secret)
		w := mustWebhook(t, s, sealer, secret, WebhookInput{URL: "https://receiver.example/" + format, Events: []string{"*"}, Format: format})
		rotated := hookSecret(t)
		secrets = append(secrets, rotated)
		if _, err := s.RotateWebhookSecret(t.Context(), w.ID, Editor{}, rotated, 24*time.Hour, sealer); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(file, []byte("https://receiver.example/standard")) {
		t.Fatal("the file does not hold a webhook's URL: is this the store file?")
	}
	for _, secret := range secrets {
		b64 := strings.TrimPrefix(secret, "whsec_")
		raw, _ := base64.StdEncoding.DecodeString(b64)
		for _, needle := range [][]byte{[]byte(secret), []byte(b64), raw} {
			if bytes.Contains(file, needle) {
				t.Fatalf("the store file holds the secret %s in the clear", secret)
			}
		}
	}
}
