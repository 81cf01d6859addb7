package store

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

// Payment methods.
var PaymentMethods = []string{"cash", "card", "check", "transfer", "other"}

// Payment statuses: a payment is completed when taken, partially_refunded or
// refunded as refunds add up to its amount, or voided (taken back whole
// before any refund, as a card terminal's void).
const (
	PaymentCompleted         = "completed"
	PaymentPartiallyRefunded = "partially_refunded"
	PaymentRefunded          = "refunded"
	PaymentVoided            = "voided"
)

// PaymentStatuses lists every status a payment takes.
var PaymentStatuses = []string{PaymentCompleted, PaymentPartiallyRefunded, PaymentRefunded, PaymentVoided}

// Payment is money received against a ticket. Refunded is the sum of its
// refunds; what it still counts towards the ticket is Net().
type Payment struct {
	ID        uint64     `json:"id"`
	TicketID  uint64     `json:"ticket_id"`
	Amount    Money      `json:"amount"`
	Method    string     `json:"method"`
	Reference string     `json:"reference"`
	Status    string     `json:"status"`
	CreatedAt time.Time  `json:"created_at"`
	Refunded  Money      `json:"refunded"`
	Refunds   []Refund   `json:"refunds"`
	VoidedAt  *time.Time `json:"voided_at"`
}

// Refund is money given back from one payment.
type Refund struct {
	ID        uint64    `json:"id"` // 1, 2, … within its payment
	Amount    Money     `json:"amount"`
	Reason    string    `json:"reason"`
	CreatedAt time.Time `json:"created_at"`
}

// Net is what the payment counts towards its ticket's paid total.
func (p Payment) Net() Money {
	if p.Status == PaymentVoided {
		return 0
	}
	return p.Amount - p.Refunded
}

// Refundable is what may still be refunded from the payment.
func (p Payment) Refundable() Money { return p.Net() }

// PaymentInput records a payment.
type PaymentInput struct {
	Amount    *Money `json:"amount"`
	Method    string `json:"method"`
	Reference string `json:"reference"`
}

// RefundInput gives money back from a payment; without an amount, all that
// is still refundable.
type RefundInput struct {
	Amount *Money `json:"amount"`
	Reason string `json:"reason"`
}

// AddPayment records a payment against the balance, atomically: two payments
// racing for the same balance cannot both be accepted if together they exceed it.
func (s *Store) AddPayment(ctx context.Context, ticketID uint64, in PaymentInput) (Payment, Ticket, error) {
	var p Problems
	if in.Amount == nil {
		p.Add("amount", "is required")
	} else if *in.Amount > MaxAmount {
		p.Add("amount", "must be at most "+MaxAmount.String())
	} else if *in.Amount <= 0 {
		p.Add("amount", "must be more than 0")
	}
	if in.Method == "" {
		in.Method = "cash"
	}
	if !contains(PaymentMethods, in.Method) {
		p.Add("method", "must be one of cash, card, check, transfer, other")
	}
	if utf8.RuneCountInString(in.Reference) > 200 {
		p.Add("reference", "must be at most 200 characters")
	}
	if err := p.Err(); err != nil {
		return Payment{}, Ticket{}, err
	}
	var out Payment
	var outTicket Ticket
	err := s.update(ctx, func(tx *bolt.Tx) (err error) {
		out, outTicket, err = s.addPaymentTx(tx, ticketID, *in.Amount, in.Method, in.Reference)
		return err
	})
	return out, outTicket, err
}

// addPaymentTx records a validated payment inside tx: a payment more than the
// balance is a conflict, checked in the transaction that writes it. Staff
// payments and the payment provider's (payments_inbound.go) share it, so both
// fire the same payment.received.
func (s *Store) addPaymentTx(tx *bolt.Tx, ticketID uint64, amount Money, method, reference string) (Payment, Ticket, error) {
	t, err := getRecord[Ticket](tx, tickets.records, ticketID, "ticket")
	if err != nil {
		return Payment{}, Ticket{}, err
	}
	if amount > t.Totals.Balance {
		return Payment{}, Ticket{}, Conflict("a payment of %s exceeds the ticket's balance of %s", amount, t.Totals.Balance)
	}
	b := tx.Bucket(bucketPayments)
	id, err := b.NextSequence()
	if err != nil {
		return Payment{}, Ticket{}, err
	}
	pay := Payment{ID: id, TicketID: ticketID, Amount: amount, Method: method, Reference: reference,
		Status: PaymentCompleted, CreatedAt: s.clock(), Refunds: []Refund{}}
	if err := putChild(b, ticketID, id, pay); err != nil {
		return Payment{}, Ticket{}, err
	}
	if err := s.retotal(tx, t); err != nil {
		return Payment{}, Ticket{}, err
	}
	_, err = s.appendEvent(tx, "payment.received", ordered{}.with("payment_id", id).with("ticket_id", ticketID).
		with("payment", pay).with("totals", t.Totals))
	return pay, *t, err
}

// payment reads one payment of a ticket inside tx.
func (s *Store) payment(tx *bolt.Tx, ticketID, paymentID uint64) (*Ticket, *Payment, error) {
	t, err := getRecord[Ticket](tx, tickets.records, ticketID, "ticket")
	if err != nil {
		return nil, nil, err
	}
	v := tx.Bucket(bucketPayments).Get(childKey(ticketID, paymentID))
	if v == nil {
		return nil, nil, notFound("payment")
	}
	var pay Payment
	if err := json.Unmarshal(v, &pay); err != nil {
		return nil, nil, err
	}
	if pay.Refunds == nil {
		pay.Refunds = []Refund{}
	}
	return t, &pay, nil
}

// RefundPayment gives back part or all of a payment: the sum of its refunds
// never exceeds its amount (409 saying how much is still refundable), checked
// in the transaction that writes it, so racing refunds cannot overshoot. The
// payment's status follows (partially_refunded, refunded) and the ticket's
// paid and balance with it. It records payment.refunded, and
// payment.status_changed when the status moves.
func (s *Store) RefundPayment(ctx context.Context, ticketID, paymentID uint64, in RefundInput) (Payment, Ticket, error) {
	reason := strings.TrimSpace(in.Reason)
	var p Problems
	if in.Amount != nil && *in.Amount <= 0 {
		p.Add("amount", "must be more than 0")
	} else if in.Amount != nil && *in.Amount > MaxAmount {
		p.Add("amount", "must be at most "+MaxAmount.String())
	}
	if utf8.RuneCountInString(reason) > 500 {
		p.Add("reason", "must be at most 500 characters")
	}
	if err := p.Err(); err != nil {
		return Payment{}, Ticket{}, err
	}
	var out Payment
	var outTicket Ticket
	err := s.update(ctx, func(tx *bolt.Tx) error {
		t, pay, err := s.payment(tx, ticketID, paymentID)
		if err != nil {
			return err
		}
		if pay.Status == PaymentVoided {
			return Conflict("payment %d was voided; nothing is refundable", paymentID)
		}
		refundable := pay.Refundable()
		amount := refundable
		if in.Amount != nil {
			amount = *in.Amount
		}
		if refundable == 0 {
			return Conflict("payment %d is fully refunded; nothing more is refundable", paymentID)
		}
		if amount > refundable {
			return Conflict("a refund of %s exceeds what is refundable from payment %d: %s of %s", amount, paymentID, refundable, pay.Amount)
		}
		was := pay.Status
		now := s.clock()
		refund := Refund{ID: uint64(len(pay.Refunds)) + 1, Amount: amount, Reason: reason, CreatedAt: now}
		pay.Refunds = append(pay.Refunds, refund)
		pay.Refunded += amount
		pay.Status = PaymentPartiallyRefunded
		if pay.Refunded == pay.Amount {
			pay.Status = PaymentRefunded
		}
		if err := putChild(tx.Bucket(bucketPayments), ticketID, paymentID, pay); err != nil {
			return err
		}
		if err := s.retotal(tx, t); err != nil {
			return err
		}
		out, outTicket = *pay, *t
		if _, err := s.appendEvent(tx, "payment.refunded", ordered{}.with("payment_id", paymentID).with("ticket_id", ticketID).
			with("refund", refund).with("payment", pay).with("totals", t.Totals)); err != nil {
			return err
		}
		return s.paymentStatusChanged(tx, pay, was, t)
	})
	return out, outTicket, err
}

// VoidPayment cancels a payment that has had no refund: its status becomes
// voided and it no longer counts towards the ticket (409 otherwise).
func (s *Store) VoidPayment(ctx context.Context, ticketID, paymentID uint64) (Payment, Ticket, error) {
	var out Payment
	var outTicket Ticket
	err := s.update(ctx, func(tx *bolt.Tx) error {
		t, pay, err := s.payment(tx, ticketID, paymentID)
		if err != nil {
			return err
		}
		switch pay.Status {
		case PaymentVoided:
			return Conflict("payment %d is already voided", paymentID)
		case PaymentCompleted:
		default:
			return Conflict("payment %d is %s; only a payment with no refund can be voided (refund the rest instead)", paymentID, strings.ReplaceAll(pay.Status, "_", " "))
		}
		was := pay.Status
		now := s.clock()
		pay.Status, pay.VoidedAt = PaymentVoided, &now
		if err := putChild(tx.Bucket(bucketPayments), ticketID, paymentID, pay); err != nil {
			return err
		}
		if err := s.retotal(tx, t); err != nil {
			return err
		}
		out, outTicket = *pay, *t
		return s.paymentStatusChanged(tx, pay, was, t)
	})
	return out, outTicket, err
}

func (s *Store) paymentStatusChanged(tx *bolt.Tx, pay *Payment, was string, t *Ticket) error {
	if pay.Status == was {
		return nil
	}
	_, err := s.appendEvent(tx, "payment.status_changed", ordered{}.with("payment_id", pay.ID).with("ticket_id", pay.TicketID).
		with("changes", ordered{}.with("status", change{was, pay.Status})).with("payment", pay).with("totals", t.Totals))
	return err
}

// paymentRefundsStep gives payments recorded before refunds existed their
// refunded, refunds and voided_at fields, so every payment answers in one
// shape. Bounded, resumable batches.
func paymentRefundsStep() step {
	const bucket = "ticket_payments"
	return step{name: "payments' refunds", fill: &backfill{
		prepare: func(*bolt.Tx) error { return nil },
		batch: func(tx *bolt.Tx, after []byte, limit int) ([]byte, bool, error) {
			type rewrite struct{ k, v []byte }
			var out []rewrite // put after the walk: a cursor must not see its bucket change under it
			last, done, err := eachRecordAfter(tx, []byte(bucket), after, limit, func(k, v []byte) error {
				if bytes.Contains(v, []byte(`"refunds":`)) {
					return nil
				}
				var pay Payment
				if err := json.Unmarshal(v, &pay); err != nil {
					return err
				}
				pay.Refunds = []Refund{}
				raw, err := json.Marshal(pay)
				out = append(out, rewrite{bytes.Clone(k), raw})
				return err
			})
			for _, r := range out {
				if err == nil {
					err = tx.Bucket([]byte(bucket)).Put(r.k, r.v)
				}
			}
			return last, done, err
		},
	}}
}
