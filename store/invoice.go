package store

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Invoice is a ticket as its bill: the shop, the customer, the lines, the
// totals, the payments and what is left to pay. It is read in one
// transaction, so its lines, payments and totals always agree. It carries
// nothing internal (no notes, costs or staff), so the customer's page, the
// staff's PDF and the customer's PDF are all made from it.
type Invoice struct {
	TicketID     uint64           `json:"ticket_id"`
	TicketNumber uint64           `json:"ticket_number"`
	Status       string           `json:"status"`
	IssuedAt     time.Time        `json:"issued_at"` // when this copy was made
	OpenedAt     time.Time        `json:"opened_at"` // the ticket's creation
	Shop         InvoiceShop      `json:"shop"`
	Customer     InvoiceCustomer  `json:"customer"`
	Device       string           `json:"device"` // "Apple iPhone 15"
	Currency     string           `json:"currency"`
	TaxRate      Percent          `json:"tax_rate"`
	Lines        []InvoiceLine    `json:"lines"`
	Subtotal     Money            `json:"subtotal"`
	Tax          Money            `json:"tax"`
	Total        Money            `json:"total"`
	Paid         Money            `json:"paid"`
	Balance      Money            `json:"balance"`
	Payments     []InvoicePayment `json:"payments"`
	// PayURL is the shop's payment link for this ticket and balance, when
	// the shop set a template and something is left to pay; else null.
	PayURL *string `json:"pay_url"`
}

// InvoiceShop is who bills.
type InvoiceShop struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	Phone   string `json:"phone"`
	Email   string `json:"email"`
}

// InvoiceCustomer is who is billed.
type InvoiceCustomer struct {
	Name    string `json:"name"`
	Company string `json:"company"`
	Address string `json:"address"`
	Email   string `json:"email"`
	Phone   string `json:"phone"`
}

// InvoiceLine is one billed line.
type InvoiceLine struct {
	Description string   `json:"description"`
	Kind        string   `json:"kind"`
	Quantity    Quantity `json:"quantity"`
	UnitPrice   Money    `json:"unit_price"`
	Taxable     bool     `json:"taxable"`
	Total       Money    `json:"total"`
}

// InvoicePayment is one payment as the bill shows it: voided ones are left
// out (they never counted), refunds shown as refunded.
type InvoicePayment struct {
	Date     time.Time `json:"date"`
	Method   string    `json:"method"`
	Amount   Money     `json:"amount"`
	Refunded Money     `json:"refunded"`
	Status   string    `json:"status"`
}

// Invoice builds ticket id's invoice.
func (s *Store) Invoice(id uint64) (Invoice, error) {
	var inv Invoice
	err := s.view(func(tx *bolt.Tx) error {
		t, err := getRecord[Ticket](tx, tickets.records, id, "ticket")
		if err != nil {
			return err
		}
		c, err := getRecord[Customer](tx, customers.records, t.CustomerID, "customer")
		if isNotFound(err) {
			c, err = &Customer{}, nil // a ticket outlives nothing, but never fail a bill on it
		}
		if err != nil {
			return err
		}
		shop, err := getJSON(tx, keyShop, defaultShop())
		if err != nil {
			return err
		}
		pays, err := getJSON(tx, keyPayments, paymentsRecord{})
		if err != nil {
			return err
		}
		inv = Invoice{TicketID: t.ID, TicketNumber: t.Number, Status: t.Status, IssuedAt: s.clock(), OpenedAt: t.CreatedAt,
			Shop:     InvoiceShop{Name: shop.Name, Address: shop.Address, Phone: shop.Phone, Email: shop.Email},
			Customer: InvoiceCustomer{Name: c.Name, Company: c.Company, Address: c.Address, Email: c.Email, Phone: c.Phone},
			Device:   strings.TrimSpace(t.Device.Brand + " " + t.Device.Model), Currency: shop.Currency, TaxRate: t.TaxRate,
			Subtotal: t.Totals.Subtotal, Tax: t.Totals.Tax, Total: t.Totals.Total, Paid: t.Totals.Paid, Balance: t.Totals.Balance,
			Lines: []InvoiceLine{}, Payments: []InvoicePayment{}}
		err = eachChild(tx, bucketLineItems, t.ID, func(li LineItem) {
			inv.Lines = append(inv.Lines, InvoiceLine{Description: li.Description, Kind: li.Kind, Quantity: li.Quantity,
				UnitPrice: li.UnitPrice, Taxable: li.Taxable, Total: li.Total})
		})
		if err != nil {
			return err
		}
		err = eachChild(tx, bucketPayments, t.ID, func(p Payment) {
			if p.Status != PaymentVoided {
				inv.Payments = append(inv.Payments, InvoicePayment{Date: p.CreatedAt, Method: p.Method, Amount: p.Amount,
					Refunded: p.Refunded, Status: p.Status})
			}
		})
		if err != nil {
			return err
		}
		if pays.PaymentLinkTemplate != "" && t.Totals.Balance > 0 {
			u := ExpandPaymentLink(pays.PaymentLinkTemplate, t.ID, t.Number, t.Totals.Balance, shop.Currency)
			inv.PayURL = &u
		}
		return nil
	})
	return inv, err
}

// eachChild decodes the records kept under a ticket's id (line items,
// payments), in id order.
func eachChild[T any](tx *bolt.Tx, bucket []byte, parent uint64, fn func(T)) error {
	prefix := itob(parent)
	c := tx.Bucket(bucket).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var rec T
		if err := json.Unmarshal(v, &rec); err != nil {
			return err
		}
		fn(rec)
	}
	return nil
}
