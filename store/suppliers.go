package store

import (
	"context"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

// suppliers are the firms the shop buys parts from: purchase orders name
// one, and catalog items may. Guarded by the purchase_orders scopes
// (API.md "suppliers [purchase_orders]").
var suppliers = declare(Resource[Supplier]{
	Name: "suppliers", Scope: "purchase_orders", Search: true,
	Events: []string{"supplier.created", "supplier.updated"},
	Sorts: []Sort[Supplier]{
		{Name: "id", Label: "Newest", Desc: true, Aliases: []string{"created_at"}},
		{Name: "name", Label: "Name", Key: func(s *Supplier) []byte { return nameKey(s.Name) }},
		{Name: "updated_at", Label: "Recently updated", Desc: true, Grows: true, Key: func(s *Supplier) []byte { return orderedUint(timeKey(s.UpdatedAt)) }},
	},
})

var bucketSupplierSearch = []byte("search_suppliers") // token postings (postings.go)

var supplierSearch = &tokenIndex{bucketSupplierSearch, suppliers.records}

// Supplier is one firm the shop buys from. Its JSON is exactly what the API
// returns.
type Supplier struct {
	ID        uint64    `json:"id"`
	Name      string    `json:"name"`
	Contact   string    `json:"contact"` // the person to ask for
	Email     string    `json:"email"`
	Phone     string    `json:"phone"`
	Notes     string    `json:"notes"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// SupplierInput creates a supplier.
type SupplierInput struct {
	Name    string `json:"name"`
	Contact string `json:"contact"`
	Email   string `json:"email"`
	Phone   string `json:"phone"`
	Notes   string `json:"notes"`
}

// SupplierPatch changes some of a supplier's fields.
type SupplierPatch struct {
	Name    *string `json:"name"`
	Contact *string `json:"contact"`
	Email   *string `json:"email"`
	Phone   *string `json:"phone"`
	Notes   *string `json:"notes"`
}

func (s *Supplier) validate() error {
	var p Problems
	s.Name, s.Contact = strings.TrimSpace(s.Name), strings.TrimSpace(s.Contact)
	s.Email, s.Phone, s.Notes = strings.TrimSpace(s.Email), strings.TrimSpace(s.Phone), strings.TrimSpace(s.Notes)
	if s.Name == "" || utf8.RuneCountInString(s.Name) > 120 {
		p.Add("name", "is required (1 to 120 characters)")
	}
	if utf8.RuneCountInString(s.Contact) > 120 {
		p.Add("contact", "must be at most 120 characters")
	}
	if s.Email != "" && (len(s.Email) > 254 || !validEmail(s.Email)) {
		p.Add("email", "must be a valid email address")
	}
	if s.Phone != "" && !validPhone(s.Phone) {
		p.Add("phone", "must be a phone number (digits, spaces and + - ( ) .)")
	}
	if utf8.RuneCountInString(s.Notes) > 10000 {
		p.Add("notes", "must be at most 10000 characters")
	}
	return p.Err()
}

// tokens are what supplier search matches: words of the name and contact,
// the email whole and its parts.
func (s *Supplier) tokens() []string {
	set := tokenSet{}
	set.words(s.Name + " " + s.Contact)
	if e := strings.ToLower(s.Email); e != "" {
		local, domain, _ := strings.Cut(e, "@")
		set.add(e, local, domain)
	}
	return set.list()
}

// supplierWrites creates and updates suppliers (kitwrites.go).
var supplierWrites = kitWrites[Supplier, *Supplier]{d: suppliers, one: "supplier", put: putSupplier}

func (sup *Supplier) created(id uint64, at time.Time) {
	sup.ID, sup.CreatedAt, sup.UpdatedAt = id, at, at
}
func (sup *Supplier) touched(at time.Time) { sup.UpdatedAt = at }

// CreateSupplier adds a supplier and records supplier.created.
func (s *Store) CreateSupplier(ctx context.Context, in SupplierInput) (Supplier, error) {
	sup := Supplier{Name: in.Name, Contact: in.Contact, Email: in.Email, Phone: in.Phone, Notes: in.Notes}
	if err := sup.validate(); err != nil {
		return Supplier{}, err
	}
	return supplierWrites.create(ctx, s, sup)
}

// UpdateSupplier applies a patch in one transaction and records supplier.updated.
func (s *Store) UpdateSupplier(ctx context.Context, id uint64, p SupplierPatch) (Supplier, error) {
	return supplierWrites.update(ctx, s, id, func(sup *Supplier) (ordered, error) {
		changes := ordered{}
		changes.text("name", &sup.Name, p.Name)
		changes.text("contact", &sup.Contact, p.Contact)
		changes.text("email", &sup.Email, p.Email)
		changes.text("phone", &sup.Phone, p.Phone)
		changes.text("notes", &sup.Notes, p.Notes)
		return changes, sup.validate()
	})
}

// putSupplier writes the record with its indexes and search tokens.
func putSupplier(tx *bolt.Tx, old, sup *Supplier) error {
	var oldTokens []string
	if old != nil {
		oldTokens = old.tokens()
	}
	if err := setTokens(tx.Bucket(bucketSupplierSearch), sup.ID, oldTokens, sup.tokens()); err != nil {
		return err
	}
	return suppliers.put(tx, sup.ID, old, sup)
}

// Supplier returns one supplier's JSON.
func (s *Store) Supplier(id uint64) (json.RawMessage, error) {
	return s.raw(suppliers.records, id, "supplier")
}

// ListSuppliers pages the suppliers; search (q=) matches every word as a
// prefix of the name's or contact's words or of the email.
func (s *Store) ListSuppliers(q ListQuery, search string) (Page, error) {
	var page Page
	err := s.view(func(tx *bolt.Tx) (err error) {
		if strings.TrimSpace(search) == "" {
			page, err = suppliers.list(tx, q)
			return err
		}
		page, err = supplierSearch.search(tx, search, q, nil)
		return err
	})
	return page, err
}

// supplierExists reports whether a supplier has id, inside tx.
func supplierExists(tx *bolt.Tx, id uint64) bool {
	return id != 0 && tx.Bucket(suppliers.records).Get(itob(id)) != nil
}
