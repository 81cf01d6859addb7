package store

import (
	"context"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// A payment written before refunds existed gets their fields from the
// schema step, and can then be refunded.
func TestPaymentsOfOlderStoresGetRefunds(t *testing.T) {
	s := openTest(t)
	c := mustCustomer(t, s, CustomerInput{Name: "Ada"})
	tk := mustTicket(t, s, TicketInput{CustomerID: c.ID, Issue: "Screen", Device: Device{Brand: "Apple", Model: "iPhone"}})
	price := Money(5000)
	if _, _, err := s.AddLineItem(context.Background(), tk.ID, LineItemInput{Kind: "service", Description: "Fix", UnitPrice: &price}); err != nil {
		t.Fatal(err)
	}
	paid := Money(2000)
	pay, _, err := s.AddPayment(context.Background(), tk.ID, PaymentInput{Amount: &paid})
	if err != nil {
		t.Fatal(err)
	}
	old := `{"id":1,"ticket_id":1,"amount":20.00,"method":"cash","reference":"","status":"completed","created_at":"2026-03-15T14:22:00Z"}`
	step := paymentRefundsStep()
	err = s.db.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketPayments).Put(childKey(tk.ID, pay.ID), []byte(old)); err != nil {
			return err
		}
		_, done, err := step.fill.batch(tx, nil, backfillBatch)
		if !done {
			t.Error("one batch did not finish")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	page, err := s.Payments(tk.ID, 1, 10)
	if err != nil || len(page.Items) != 1 {
		t.Fatal(err)
	}
	if got := string(page.Items[0]); !strings.HasSuffix(got, `"refunded":0.00,"refunds":[],"voided_at":null}`) {
		t.Errorf("migrated payment %s", got)
	}
	amount := Money(500)
	p, tkt, err := s.RefundPayment(context.Background(), tk.ID, pay.ID, RefundInput{Amount: &amount})
	if err != nil || p.Status != PaymentPartiallyRefunded || tkt.Totals.Paid != 1500 || tkt.Totals.Balance != 3500 {
		t.Fatalf("refund of a migrated payment: %v %+v %+v", err, p, tkt.Totals)
	}
}

// A dry run rehearses a write: its checks run in a real transaction, and
// nothing is kept, neither records nor events.
func TestDryRunKeepsNothing(t *testing.T) {
	s := openTest(t)
	ctx := WithDryRun(context.Background())
	before, _ := s.EventsAfter(0, 100)
	ids, err := s.CreateCatalogItems(ctx, []CatalogItemInput{{SKU: "A-1", Name: "A"}})
	if err != nil || len(ids) != 1 {
		t.Fatalf("dry run: %v %v", ids, err)
	}
	if _, err := s.CreateCatalogItems(ctx, []CatalogItemInput{{SKU: "A-1", Name: "A"}, {SKU: "a-1", Name: "B"}}); err == nil {
		t.Error("a dry run missed a repeated sku")
	}
	page, err := s.ListCatalogItems(ListQuery{Page: 1, PerPage: 10}, "")
	if err != nil || page.Total != 0 {
		t.Fatalf("a dry run kept %d items (%v)", page.Total, err)
	}
	after, _ := s.EventsAfter(0, 100)
	if len(after) != len(before) {
		t.Errorf("a dry run logged %d events", len(after)-len(before))
	}
	// The real thing, after: the sku was never taken.
	if _, err := s.CreateCatalogItems(context.Background(), []CatalogItemInput{{SKU: "A-1", Name: "A"}}); err != nil {
		t.Fatal(err)
	}
}
