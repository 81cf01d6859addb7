package mail

// Reading the event log: which events email a customer, and the values the
// email is made from. Only named fields are taken (never a record whole),
// so internal notes cannot reach an email.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"portal/store"
)

// consumeBatch is how many events one enqueue transaction covers.
const consumeBatch = 256

// errUnreadableEvent marks an event whose JSON is not what its name says:
// it is skipped, where a failing store is retried.
var errUnreadableEvent = errors.New("unreadable event")

// persistEvery is how far the cursor may run ahead in memory over events
// that email nobody before it is written down. Most events email nobody;
// writing the cursor after each would add a commit (and an fsync) to every
// change in the shop, and re-reading them after a crash costs nothing.
const persistEvery = 4096

// consume turns the events after the store's mail cursor into emails until
// it is caught up. Nothing is sent here: the emails wait in the queue.
func (m *Mailer) consume(ctx context.Context, s *store.Store) error {
	for ctx.Err() == nil {
		cursor, last, err := s.MailCursor()
		if err != nil {
			return err
		}
		from := max(cursor, m.readThrough(s))
		if from >= last {
			return nil
		}
		events, err := s.EventsAfter(from, consumeBatch)
		if err != nil {
			return err
		}
		through := last // the log was pruned past the cursor: nothing left to read
		var emails []store.NewEmail
		if len(events) > 0 {
			through = events[len(events)-1].Seq
		}
		for _, ev := range events {
			e, ok, err := m.emailFor(s, ev)
			if errors.Is(err, errUnreadableEvent) {
				// One event we cannot read must not stop every email after it.
				m.cfg.Log.Error("mail: an event that cannot be read emails nobody", "store", s.Mode(), "seq", ev.Seq, "event", ev.Name, "err", err)
				continue
			}
			if err != nil {
				return fmt.Errorf("event %d (%s): %w", ev.Seq, ev.Name, err)
			}
			if ok {
				emails = append(emails, e)
			}
		}
		if len(emails) == 0 && through-cursor < persistEvery {
			m.setReadThrough(s, through)
			continue
		}
		// The durable cursor moves from where it is written: the events
		// between it and from emailed nobody.
		if err := s.EnqueueEmails(ctx, cursor, through, emails); err != nil {
			return err
		}
		m.setReadThrough(s, through)
	}
	return ctx.Err()
}

// readThrough is how far this process has read s's log (0: not yet).
func (m *Mailer) readThrough(s *store.Store) uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.read[s]
}

func (m *Mailer) setReadThrough(s *store.Store, seq uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.read == nil {
		m.read = map[*store.Store]uint64{}
	}
	m.read[s] = seq
}

// eventEnvelope is the part of an event every rule reads.
type eventEnvelope struct {
	EventID string          `json:"event_id"`
	Data    json.RawMessage `json:"data"`
}

type ticketFields struct {
	ID         uint64 `json:"id"`
	Number     uint64 `json:"number"`
	CustomerID uint64 `json:"customer_id"`
	Device     struct {
		Brand string `json:"brand"`
		Model string `json:"model"`
	} `json:"device"`
}

func (t ticketFields) device() string {
	return strings.TrimSpace(t.Device.Brand + " " + t.Device.Model)
}

// emailFor says whether ev emails a customer, and makes the email.
func (m *Mailer) emailFor(s *store.Store, ev store.StoredEvent) (store.NewEmail, bool, error) {
	var env eventEnvelope
	if err := json.Unmarshal(ev.JSON, &env); err != nil {
		return store.NewEmail{}, false, fmt.Errorf("%w: %v", errUnreadableEvent, err)
	}
	data := map[string]string{}
	var kind string
	var customerID uint64
	switch ev.Name {
	case "ticket.status_changed":
		var d struct {
			Changes struct {
				Status struct {
					To string `json:"to"`
				} `json:"status"`
			} `json:"changes"`
			Ticket ticketFields `json:"ticket"`
		}
		if err := json.Unmarshal(env.Data, &d); err != nil {
			return store.NewEmail{}, false, fmt.Errorf("%w: %v", errUnreadableEvent, err)
		}
		notify, err := notifies(s, d.Changes.Status.To)
		if err != nil || !notify {
			return store.NewEmail{}, false, err
		}
		kind, customerID = KindStatus, d.Ticket.CustomerID
		data["status"] = d.Changes.Status.To
		data["ticket_number"] = strconv.FormatUint(d.Ticket.Number, 10)
		data["device"] = d.Ticket.device()
	case "proposal.status_changed":
		var d struct {
			To       string `json:"to"`
			Proposal struct {
				Number     uint64 `json:"number"`
				Name       string `json:"name"`
				CustomerID uint64 `json:"customer_id"`
				Summary    struct {
					Total json.Number `json:"total"`
				} `json:"summary"`
			} `json:"proposal"`
		}
		if err := json.Unmarshal(env.Data, &d); err != nil {
			return store.NewEmail{}, false, fmt.Errorf("%w: %v", errUnreadableEvent, err)
		}
		if d.To != "Submitted" {
			return store.NewEmail{}, false, nil
		}
		kind, customerID = KindQuote, d.Proposal.CustomerID
		data["proposal_number"] = strconv.FormatUint(d.Proposal.Number, 10)
		data["proposal_name"] = d.Proposal.Name
		data["total"] = string(d.Proposal.Summary.Total)
	case "payment.received":
		var d struct {
			TicketID uint64 `json:"ticket_id"`
			Payment  struct {
				Amount json.Number `json:"amount"`
				Method string      `json:"method"`
			} `json:"payment"`
			Totals struct {
				Balance json.Number `json:"balance"`
			} `json:"totals"`
		}
		if err := json.Unmarshal(env.Data, &d); err != nil {
			return store.NewEmail{}, false, fmt.Errorf("%w: %v", errUnreadableEvent, err)
		}
		t, err := ticketOf(s, d.TicketID)
		if err != nil {
			return store.NewEmail{}, false, nil // the ticket is gone: nobody to tell
		}
		kind, customerID = KindReceipt, t.CustomerID
		data["ticket_number"] = strconv.FormatUint(t.Number, 10)
		data["amount"] = string(d.Payment.Amount)
		data["method"] = d.Payment.Method
		if b := string(d.Totals.Balance); b != "" && b != "0" && b != "0.00" {
			data["balance"] = b
		}
	default:
		return store.NewEmail{}, false, nil
	}
	shop, err := s.Shop()
	if err != nil {
		return store.NewEmail{}, false, err
	}
	for _, k := range []string{"total", "amount", "balance"} {
		if v, ok := data[k]; ok && v != "" {
			data[k] = money(shop.Currency, v)
		}
	}
	e := store.NewEmail{EventID: env.EventID, Event: ev.Name, Kind: kind, CustomerID: customerID, Data: data}
	name, address := customerOf(s, customerID)
	data["customer_name"] = name
	e.To = address
	if e.Subject, err = Subject(kind, shop, data); err != nil {
		return store.NewEmail{}, false, err
	}
	e.Subject = oneLine(e.Subject)
	settings, err := s.EmailSettings()
	if err != nil {
		return store.NewEmail{}, false, err
	}
	switch {
	case address == "":
		e.Skip = "the customer has no email address"
	case !settings.Configured():
		e.Skip = "no mail server is set up (Shop → Email)"
	}
	return e, true, nil
}

// notifies reports whether reaching status emails the customer.
func notifies(s *store.Store, status string) (bool, error) {
	list, err := s.Statuses()
	if err != nil {
		return false, err
	}
	for _, st := range list {
		if st.Name == status {
			return st.NotifyCustomer, nil
		}
	}
	return false, nil
}

func ticketOf(s *store.Store, id uint64) (ticketFields, error) {
	var t ticketFields
	raw, err := s.Ticket(id)
	if err != nil {
		return t, err
	}
	return t, json.Unmarshal(raw, &t)
}

// customerOf returns a customer's name and email ("" when there is none or
// the customer is gone).
func customerOf(s *store.Store, id uint64) (name, email string) {
	raw, err := s.Customer(id)
	if err != nil {
		return "", ""
	}
	var c struct {
		Name  string `json:"name"`
		Email string `json:"email"`
	}
	if json.Unmarshal(raw, &c) != nil {
		return "", ""
	}
	return c.Name, strings.TrimSpace(c.Email)
}

// money writes an amount the way a receipt does: "$20.00", "€5.50", "CHF 7.00".
func money(currency, amount string) string {
	whole, frac, _ := strings.Cut(amount, ".")
	frac = (frac + "00")[:2]
	v := whole + "." + frac
	switch currency {
	case "USD", "CAD", "AUD", "NZD":
		return "$" + v
	case "EUR":
		return "€" + v
	case "GBP":
		return "£" + v
	}
	return strings.TrimSpace(currency + " " + v)
}
