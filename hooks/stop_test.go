package hooks_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"portal/hooks"
	"portal/store"
)

// stopOnAnswer stops the engine the moment a receiver's answer is in.
type stopOnAnswer struct {
	http.RoundTripper
	stop context.CancelFunc
}

func (s stopOnAnswer) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := s.RoundTripper.RoundTrip(r)
	if err == nil {
		s.stop()
	}
	return resp, err
}

// A stop (a restart, an upgrade: no crash) that falls between a receiver's
// 2xx and its record must not send the delivery again at the next start:
// the answer came, so it is recorded.
func TestAnAnswerThatCameAsTheEngineStoppedIsKept(t *testing.T) {
	t.Parallel()
	v := newHookEnv(t, hooks.Config{Sandbox: true})
	rcv := newCapture(t, nil)
	w, _ := v.webhook(rcv.URL, "portal", "customer.created")
	first := eventIDOf(t, "portal", v.customer("Ada").JSON)

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	transport := &http.Transport{}
	t.Cleanup(transport.CloseIdleConnections)
	cfg := v.cfg
	cfg.Transport = stopOnAnswer{transport, stop}
	ran := make(chan error, 1)
	go func() { ran <- hooks.New(cfg).Run(ctx, v.s) }()
	select {
	case err := <-ran:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(waitLimit):
		t.Fatal("the engine did not stop after the answer")
	}
	d := v.detail(v.delivery(w.ID).ID)
	if d.Status != store.DeliveryDelivered || len(d.Attempts) != 1 || d.Attempts[0].StatusCode != http.StatusOK {
		t.Fatalf("after the stop: %+v, want delivered by the one answered attempt", d.Delivery)
	}

	v.start(v.e) // the next start
	canary := eventIDOf(t, "portal", v.customer("Canary").JSON)
	hits := rcv.wait(t, 2)
	if got := hits[0].header.Get("X-Portal-Delivery"); got != first {
		t.Fatalf("first request carries %s, want %s", got, first)
	}
	if got := hits[1].header.Get("X-Portal-Delivery"); got != canary {
		t.Fatalf("after the restart the receiver got %s, want only the new event %s", got, canary)
	}
}
