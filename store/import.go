package store

import (
	"context"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Imports create many records in one transaction, all or nothing, with the
// same validation, indexes, search tokens and events as one-by-one creates.
// Every bad row is reported, not just the first.

// RowProblem is one invalid field of one input row (Row counts from 0 in the
// caller's slice; Field is the input's JSON name).
type RowProblem struct {
	Row     int
	Field   string
	Message string
}

// RowsError lists every invalid row of an import; nothing was written.
type RowsError struct{ Rows []RowProblem }

func (e *RowsError) Error() string {
	if len(e.Rows) == 0 {
		return "invalid rows"
	}
	r := e.Rows[0]
	return fmt.Sprintf("%d invalid field(s); row %d: %s: %s", len(e.Rows), r.Row, r.Field, r.Message)
}

// MaxImportRows bounds one import's transaction.
const MaxImportRows = 100_000

func (e *RowsError) add(row int, err error) error {
	ve, ok := err.(*ValidationError)
	if !ok {
		return err
	}
	for _, f := range ve.Fields {
		e.Rows = append(e.Rows, RowProblem{Row: row, Field: f.Field, Message: f.Message})
	}
	return nil
}

func (e *RowsError) err() error {
	if len(e.Rows) == 0 {
		return nil
	}
	return e
}

func customerOf(in CustomerInput) Customer {
	return Customer{Name: in.Name, Email: in.Email, Phone: in.Phone, Company: in.Company, Address: in.Address, Notes: in.Notes}
}

// checkCustomers validates every row, returning the cleaned records or a
// *RowsError naming each bad field of each bad row.
func checkCustomers(in []CustomerInput) ([]Customer, error) {
	if len(in) > MaxImportRows {
		return nil, Invalid("rows", fmt.Sprintf("at most %d rows can be imported at once", MaxImportRows))
	}
	out := make([]Customer, len(in))
	var bad RowsError
	for i, ci := range in {
		out[i] = customerOf(ci)
		if err := out[i].validate(); err != nil {
			if err := bad.add(i, err); err != nil {
				return nil, err
			}
		}
	}
	return out, bad.err()
}

// CheckCustomers validates rows as CreateCustomers would, writing nothing
// (an import's dry run): nil, or a *RowsError naming every bad field.
func (s *Store) CheckCustomers(in []CustomerInput) error {
	_, err := checkCustomers(in)
	return err
}

// CreateCustomers adds every row as a customer in one transaction, each with
// its customer.created event, or none: a bad row is a *RowsError naming
// every bad field of every row. The ids are in the rows' order.
func (s *Store) CreateCustomers(ctx context.Context, in []CustomerInput) ([]uint64, error) {
	recs, err := checkCustomers(in)
	if err != nil {
		return nil, err
	}
	var ids []uint64
	err = s.update(ctx, func(tx *bolt.Tx) error {
		ids = make([]uint64, 0, len(recs))
		tokens := tokenBatch{}
		b := tx.Bucket(customers.records)
		now := s.clock()
		for _, c := range recs {
			id, err := b.NextSequence()
			if err != nil {
				return err
			}
			rec := c
			rec.ID, rec.CreatedAt, rec.UpdatedAt = id, now, now
			if err := s.putNewCustomer(tx, &rec, tokens); err != nil {
				return err
			}
			if _, err := s.appendEvent(tx, "customer.created", ordered{}.with("customer_id", id).with("customer", rec)); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return tokens.put(tx.Bucket(bucketCustomerSearch))
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

type dryRunKey struct{}

// errRehearsed rolls back a dry run's transaction once its writes succeeded.
var errRehearsed = errors.New("dry run: rolled back")

// WithDryRun makes every write under ctx a rehearsal: it runs in a real
// transaction, with every check it makes there (unique keys, references),
// and is rolled back whatever happens, so nothing is written and no event
// is sent. The write answers as it would have (nil, or its error). An
// import's dry run uses it, so it checks exactly what the import would.
func WithDryRun(ctx context.Context) context.Context {
	return context.WithValue(ctx, dryRunKey{}, true)
}

func (s *Store) rehearse(ctx context.Context, fn writeFunc) error {
	err := s.update(context.WithValue(ctx, dryRunKey{}, nil), func(tx *bolt.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return errRehearsed
	})
	if errors.Is(err, errRehearsed) {
		return nil
	}
	return err
}
