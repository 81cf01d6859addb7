package store

import (
	"errors"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// queueKeys counts the queue buckets' keys the slow way, page by page.
func queueKeys(t *testing.T, s *Store) (ready, inflight int) {
	t.Helper()
	err := s.view(func(tx *bolt.Tx) error {
		ready = tx.Bucket(bucketQueueReady).Stats().KeyN
		inflight = tx.Bucket(bucketQueueInflight).Stats().KeyN
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ready, inflight
}

// wantQueueCounted checks QueueDepth's kept counts against the keys.
func wantQueueCounted(t *testing.T, s *Store, step string) {
	t.Helper()
	r, i, err := s.QueueDepth()
	if err != nil {
		t.Fatal(err)
	}
	if kr, ki := queueKeys(t, s); r != kr || i != ki {
		t.Fatalf("after %s: QueueDepth = %d ready, %d in flight; the queue holds %d and %d", step, r, i, kr, ki)
	}
}

func TestQueueDepthCountsEveryWayADeliveryMoves(t *testing.T) {
	t.Parallel()
	s, clock := openTestClock(t)
	sealer := testSealer(t)
	kept := mustWebhook(t, s, sealer, "whsec_a", WebhookInput{Events: []string{"*"}})
	doomed := mustWebhook(t, s, sealer, "whsec_b", WebhookInput{Events: []string{"*"}})
	for _, name := range []string{"Ada", "Grace", "Edsger"} {
		mustCustomer(t, s, CustomerInput{Name: name})
	}
	fanOut(t, s)
	wantQueueCounted(t, s, "fan-out")
	wantQueue(t, s, 6, 0)

	now := clock.Now()
	leased := leaseAt(t, s, sealer, now)
	wantQueueCounted(t, s, "lease")
	wantQueue(t, s, 0, 6)

	retry := now.Add(time.Minute)
	record(t, s, leased[0], failed500, Outcome{RetryAt: &retry}, 50)
	record(t, s, leased[1], Attempt{StatusCode: 200}, Outcome{Delivered: true}, 50)
	record(t, s, leased[2], failed500, Outcome{}, 50)
	wantQueueCounted(t, s, "recording attempts")
	if err := s.ReleaseLeases(t.Context(), []uint64{leased[3].Seq, leased[3].Seq}); err != nil {
		t.Fatal(err)
	}
	wantQueueCounted(t, s, "releasing a lease twice")
	if _, err := s.RecoverLeases(t.Context(), now, true); err != nil {
		t.Fatal(err)
	}
	wantQueueCounted(t, s, "recovering leases")
	if err := s.DeleteWebhook(t.Context(), doomed.ID); err != nil {
		t.Fatal(err)
	}
	wantQueueCounted(t, s, "deleting a webhook")
	if r, i, _ := s.QueueDepth(); r+i == 0 || r+i > len(deliveriesOf(t, s, kept.ID)) {
		t.Fatalf("queue holds %d after the other webhook was deleted, want some of the kept one's %d",
			r+i, len(deliveriesOf(t, s, kept.ID)))
	}
}

func TestMigrationCountsTheQueueOfAnOlderStore(t *testing.T) {
	t.Parallel()
	s, clock := openTestClock(t)
	sealer := testSealer(t)
	mustWebhook(t, s, sealer, "whsec_a", WebhookInput{Events: []string{"*"}})
	mustCustomer(t, s, CustomerInput{Name: "Ada"})
	mustCustomer(t, s, CustomerInput{Name: "Grace"})
	fanOut(t, s)
	leaseAt(t, s, sealer, clock.Now())
	mustCustomer(t, s, CustomerInput{Name: "Edsger"})
	fanOut(t, s)
	path := s.Path()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// As a store written before the count was kept: no count at all.
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketQueueReady, bucketQueueInflight} {
			if err := tx.Bucket(name).SetSequence(0); err != nil {
				return err
			}
		}
		return nil
	})
	if err := errors.Join(err, db.Close()); err != nil {
		t.Fatal(err)
	}
	downgrade(t, path, versionBefore(t, countQueues))

	s = openAt(t, path, Options{Now: clock.Now})
	wantQueue(t, s, 1, 2)
	wantQueueCounted(t, s, "migrating")
}
