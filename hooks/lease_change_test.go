package hooks_test

import (
	"fmt"
	"net/http"
	"testing"

	"portal/hooks"
	"portal/store"
)

// Deliveries leased ahead of their sends follow a change to their webhook:
// after it is deleted, only the requests already on the wire reach the
// receiver, and the rest end failed rather than pending forever.
func TestDeletingAWebhookStopsItsLeasedDeliveries(t *testing.T) {
	v := newHookEnv(t, hooks.Config{Sandbox: true, PerWebhook: 2})
	release := make(chan struct{})
	rcv := newCapture(t, func(n int, w http.ResponseWriter, r *http.Request) { <-release })
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	w, _ := v.webhook(rcv.URL, "portal", "customer.created")
	for range 20 {
		v.customer("Queued")
	}
	v.start(v.e)
	rcv.wait(t, 2) // two requests held open; the others are leased behind them
	if err := v.s.DeleteWebhook(t.Context(), w.ID); err != nil {
		t.Fatal(err)
	}
	close(release)
	v.waitFor("every delivery to end", func() bool {
		for i := 1; i <= 20; i++ {
			d, err := v.s.DeliveryDetail(fmt.Sprintf("dlv_%d", i))
			if err != nil {
				t.Fatal(err)
			}
			if d.Status == store.DeliveryPending {
				return false
			}
		}
		return true
	})
	if n := rcv.count(); n != 2 {
		t.Fatalf("the receiver got %d requests; want only the 2 sent before the delete", n)
	}
}
