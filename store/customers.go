package store

import (
	"context"
	"encoding/json"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

// customers have no filters; they sort by id (= created_at), name and updated_at.
var customers = declare(Resource[Customer]{
	Name: "customers", Scope: "customers", Search: true,
	Events: []string{"customer.created", "customer.updated", "customer.deleted"},
	Sorts: []Sort[Customer]{
		{Name: "id", Label: "Newest", Desc: true, Aliases: []string{"created_at"}},
		{Name: "name", Label: "Name", Key: func(c *Customer) []byte { return nameKey(c.Name) }},
		{Name: "updated_at", Label: "Recently updated", Desc: true, Grows: true, Key: func(c *Customer) []byte { return orderedUint(timeKey(c.UpdatedAt)) }},
	},
})

var (
	bucketCustomerSearch = []byte("search_customers")      // token postings (postings.go)
	bucketOpenTickets    = []byte("customer_open_tickets") // be64 customer id -> be64 open tickets
)

// Customer is a shop's customer. Its JSON is exactly what the API returns.
type Customer struct {
	ID        uint64    `json:"id"`
	Name      string    `json:"name"`
	Email     string    `json:"email"`
	Phone     string    `json:"phone"`
	Company   string    `json:"company"`
	Address   string    `json:"address"`
	Notes     string    `json:"notes"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// CustomerInput creates a customer.
type CustomerInput struct {
	Name    string `json:"name"`
	Email   string `json:"email"`
	Phone   string `json:"phone"`
	Company string `json:"company"`
	Address string `json:"address"`
	Notes   string `json:"notes"`
}

// CustomerPatch changes some of a customer's fields.
type CustomerPatch struct {
	Name    *string `json:"name"`
	Email   *string `json:"email"`
	Phone   *string `json:"phone"`
	Company *string `json:"company"`
	Address *string `json:"address"`
	Notes   *string `json:"notes"`
}

// nameKey sorts case-insensitively; the terminator keeps "Ann" before "Anna".
func nameKey(name string) []byte {
	n := strings.ToLower(name)
	if len(n) > 48 {
		n = n[:48]
	}
	return append([]byte(n), 0)
}

func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && strings.Contains(s, ".")
}

func validPhone(s string) bool {
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune("+-() .", r):
		default:
			return false
		}
	}
	return digits >= 3 && digits <= 20
}

func (c *Customer) validate() error {
	var p Problems
	c.Name = strings.TrimSpace(c.Name)
	c.Email = strings.TrimSpace(c.Email)
	c.Phone = strings.TrimSpace(c.Phone)
	c.Company = strings.TrimSpace(c.Company)
	c.Address = strings.TrimSpace(c.Address)
	c.Notes = strings.TrimSpace(c.Notes)
	if c.Name == "" || utf8.RuneCountInString(c.Name) > 120 {
		p.Add("name", "is required (1 to 120 characters)")
	}
	if c.Email != "" && (len(c.Email) > 254 || !validEmail(c.Email)) {
		p.Add("email", "must be a valid email address")
	}
	if c.Phone != "" && !validPhone(c.Phone) {
		p.Add("phone", "must be a phone number (digits, spaces, + - ( ) .)")
	}
	if utf8.RuneCountInString(c.Company) > 120 {
		p.Add("company", "must be at most 120 characters")
	}
	if utf8.RuneCountInString(c.Address) > 500 {
		p.Add("address", "must be at most 500 characters")
	}
	if utf8.RuneCountInString(c.Notes) > 10000 {
		p.Add("notes", "must be at most 10000 characters")
	}
	return p.Err()
}

// CreateCustomer adds a customer and records customer.created.
func (s *Store) CreateCustomer(ctx context.Context, in CustomerInput) (Customer, error) {
	c := Customer{Name: in.Name, Email: in.Email, Phone: in.Phone, Company: in.Company, Address: in.Address, Notes: in.Notes}
	if err := c.validate(); err != nil {
		return Customer{}, err
	}
	var out Customer
	err := s.update(ctx, func(tx *bolt.Tx) error {
		rec := c
		id, err := tx.Bucket(customers.records).NextSequence()
		if err != nil {
			return err
		}
		now := s.clock()
		rec.ID, rec.CreatedAt, rec.UpdatedAt = id, now, now
		if err := s.putCustomer(tx, nil, &rec); err != nil {
			return err
		}
		out = rec
		_, err = s.appendEvent(tx, "customer.created", ordered{}.with("customer_id", id).with("customer", rec))
		return err
	})
	return out, err
}

// putNewCustomer writes a new record with its indexes, gathering its search
// tokens into batch (an import puts them in key order at the end).
func (s *Store) putNewCustomer(tx *bolt.Tx, c *Customer, batch tokenBatch) error {
	raw, err := json.Marshal(c)
	if err != nil {
		return err
	}
	if err := appending(tx.Bucket(customers.records)).Put(itob(c.ID), raw); err != nil {
		return err
	}
	batch.add(c.ID, c.tokens())
	return customers.reindex(tx, c.ID, nil, customers.index(c))
}

// putCustomer writes the record with its indexes and search tokens.
func (s *Store) putCustomer(tx *bolt.Tx, old, c *Customer) error {
	raw, err := json.Marshal(c)
	if err != nil {
		return err
	}
	if err := appending(tx.Bucket(customers.records)).Put(itob(c.ID), raw); err != nil {
		return err
	}
	var oldIdx *indexed
	var oldTokens []string
	if old != nil {
		oldIdx, oldTokens = customers.index(old), old.tokens()
	}
	if err := setTokens(tx.Bucket(bucketCustomerSearch), c.ID, oldTokens, c.tokens()); err != nil {
		return err
	}
	if old != nil && (old.Name != c.Name || old.Email != c.Email || old.Phone != c.Phone || old.Company != c.Company) {
		if err := retokenCustomerTickets(tx, old, c); err != nil {
			return err
		}
	}
	return customers.reindex(tx, c.ID, oldIdx, customers.index(c))
}

func getRecord[T any](tx *bolt.Tx, bucket []byte, id uint64, what string) (*T, error) {
	v := tx.Bucket(bucket).Get(itob(id))
	if v == nil {
		return nil, notFound(what)
	}
	raw, err := recordView(v)
	if err != nil {
		return nil, err
	}
	var out T
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Customer returns one customer's JSON.
func (s *Store) Customer(id uint64) (json.RawMessage, error) {
	return s.raw(customers.records, id, "customer")
}

func (s *Store) raw(bucket []byte, id uint64, what string) (json.RawMessage, error) {
	var out json.RawMessage
	err := s.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucket).Get(itob(id))
		if v == nil {
			return notFound(what)
		}
		var err error
		out, err = recordJSON(v)
		return err
	})
	return out, err
}

// UpdateCustomer applies a patch in one transaction and records customer.updated.
func (s *Store) UpdateCustomer(ctx context.Context, id uint64, p CustomerPatch) (Customer, error) {
	var out Customer
	err := s.update(ctx, func(tx *bolt.Tx) error {
		old, err := getRecord[Customer](tx, customers.records, id, "customer")
		if err != nil {
			return err
		}
		c := *old
		changes := ordered{}
		set := func(name string, dst *string, v *string) {
			if v == nil {
				return
			}
			if t := strings.TrimSpace(*v); t != *dst {
				changes = changes.with(name, change{*dst, t})
				*dst = t
			}
		}
		set("name", &c.Name, p.Name)
		set("email", &c.Email, p.Email)
		set("phone", &c.Phone, p.Phone)
		set("company", &c.Company, p.Company)
		set("address", &c.Address, p.Address)
		set("notes", &c.Notes, p.Notes)
		if err := c.validate(); err != nil {
			return err
		}
		out = c
		if len(changes) == 0 {
			return nil
		}
		c.UpdatedAt = s.clock()
		if err := s.putCustomer(tx, old, &c); err != nil {
			return err
		}
		out = c
		_, err = s.appendEvent(tx, "customer.updated", ordered{}.with("customer_id", id).with("changes", changes).with("customer", c))
		return err
	})
	return out, err
}

// DeleteCustomer removes a customer who has no open tickets (else 409).
// Closed tickets keep their customer_id as history.
func (s *Store) DeleteCustomer(ctx context.Context, id uint64) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		old, err := getRecord[Customer](tx, customers.records, id, "customer")
		if err != nil {
			return err
		}
		if n := openTickets(tx, id); n > 0 {
			return Conflict("customer has %d open ticket(s); close them before deleting the customer", n)
		}
		if err := sellerDevicesInStock(tx, id); err != nil {
			return err
		}
		if err := openProposalsOf(tx, id); err != nil {
			return err
		}
		if err := tx.Bucket(customers.records).Delete(itob(id)); err != nil {
			return err
		}
		if err := setTokens(tx.Bucket(bucketCustomerSearch), id, old.tokens(), nil); err != nil {
			return err
		}
		// The closed tickets stay, found by their number, device and issue,
		// but no longer by the deleted customer's name, email or phone: like
		// customer search, ticket search forgets them. (Keeping their tokens
		// would also leave each ticket's tokens no longer derivable from the
		// records, which putTicket relies on to remove the old ones.)
		if err := retokenCustomerTickets(tx, old, nil); err != nil {
			return err
		}
		if err := customers.reindex(tx, id, customers.index(old), nil); err != nil {
			return err
		}
		// Its files' records go with it; the bytes are collected later.
		if err := s.deleteOwnerAttachments(tx, "customer", id); err != nil {
			return err
		}
		_, err = s.appendEvent(tx, "customer.deleted", ordered{}.with("customer_id", id).with("customer", old))
		return err
	})
}

func openTickets(tx *bolt.Tx, customerID uint64) int {
	if v := tx.Bucket(bucketOpenTickets).Get(itob(customerID)); v != nil {
		return int(btoi(v))
	}
	return 0
}

// ListCustomers lists customers, or searches them when q is given.
func (s *Store) ListCustomers(q ListQuery, search string) (Page, error) {
	var page Page
	err := s.view(func(tx *bolt.Tx) (err error) {
		if strings.TrimSpace(search) != "" {
			page, err = searchCustomers(tx, search, q)
			return err
		}
		page, err = customers.list(tx, q)
		return err
	})
	return page, err
}
