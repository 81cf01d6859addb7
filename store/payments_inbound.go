package store

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Payments the shop's payment provider reports (POST /inbound/stripe). The
// provider retries until it hears a 2xx and may deliver one event twice, so
// every event is recorded at most once: its id is kept in inbound_events in
// the same transaction as the payment, and a second delivery finds it there.
var bucketInboundEvents = []byte("inbound_events")

// InboundPayment is one provider event that pays towards a ticket.
type InboundPayment struct {
	Provider string // "stripe"
	EventID  string // the provider's event id: the idempotency key
	// ObjectID is the provider's payment object (a payment intent or a
	// checkout session): the payment's reference.
	ObjectID string
	// AlsoIDs are other ids of the same money (a checkout session's payment
	// intent): a second event about it (payment_intent.succeeded after
	// checkout.session.completed) adds nothing either.
	AlsoIDs  []string
	TicketID uint64
	Amount   Money
}

// InboundResult says what an event did: Duplicate when it (or the same
// money under another event) was recorded before.
type InboundResult struct {
	Duplicate bool
	Payment   Payment
	Ticket    Ticket
}

// inboundRecord is what inbound_events keeps per event (and per object id).
type inboundRecord struct {
	TicketID  uint64    `json:"ticket_id"`
	PaymentID uint64    `json:"payment_id"`
	EventID   string    `json:"event_id"`
	At        time.Time `json:"at"`
}

// RecordInboundPayment records the event's payment exactly once, as a card
// payment whose reference is the provider's object id, firing
// payment.received with the actor in ctx. A ticket that does not exist is
// ErrNotFound; more than the balance is a conflict (the store never holds
// more paid than a ticket's total); in both cases nothing is written.
func (s *Store) RecordInboundPayment(ctx context.Context, in InboundPayment) (InboundResult, error) {
	var p Problems
	if in.Provider == "" || strings.Contains(in.Provider, ":") {
		p.Add("provider", "is required")
	}
	if in.EventID == "" || len(in.EventID) > 255 {
		p.Add("id", "must be the provider's event id")
	}
	if in.ObjectID == "" || len(in.ObjectID) > 200 {
		p.Add("data.object.id", "must be the provider's object id")
	}
	if in.Amount <= 0 || in.Amount > MaxAmount {
		p.Add("amount", "must be more than 0 and at most "+MaxAmount.String())
	}
	if err := p.Err(); err != nil {
		return InboundResult{}, err
	}
	keys := [][]byte{[]byte(in.Provider + ":event:" + in.EventID), []byte(in.Provider + ":object:" + in.ObjectID)}
	for _, id := range in.AlsoIDs {
		if id != "" {
			keys = append(keys, []byte(in.Provider+":object:"+id))
		}
	}
	var out InboundResult
	err := s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketInboundEvents)
		for _, k := range keys {
			if b.Get(k) != nil {
				out = InboundResult{Duplicate: true}
				return nil
			}
		}
		pay, t, err := s.addPaymentTx(tx, in.TicketID, in.Amount, "card", in.ObjectID)
		if err != nil {
			return err
		}
		rec, err := json.Marshal(inboundRecord{TicketID: t.ID, PaymentID: pay.ID, EventID: in.EventID, At: s.clock()})
		if err != nil {
			return err
		}
		for _, k := range keys {
			if err := b.Put(k, rec); err != nil {
				return err
			}
		}
		out = InboundResult{Payment: pay, Ticket: t}
		return nil
	})
	return out, err
}
