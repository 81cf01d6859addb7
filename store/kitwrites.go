package store

import (
	"context"
	"time"

	bolt "go.etcd.io/bbolt"
)

// kitWrites are the create and update steps the plain kit resources share
// (suppliers, locations, contractors): one transaction that stamps the
// record, writes it with its index entries and logs <one>.created or
// <one>.updated as {<one>_id, [changes,] <one>}. What differs between
// them (the fields a patch may change, validation, search tokens) comes in
// as functions.
type kitWrites[T any, P stamped[T]] struct {
	d   *declared[T]
	one string                               // the singular: "supplier", as in supplier.created and supplier_id
	put func(tx *bolt.Tx, old, rec *T) error // writes rec with its index entries (old: nil when new)
}

// stamped is a kit record whose id and times the store sets.
type stamped[T any] interface {
	*T
	created(id uint64, at time.Time) // sets the id, created_at and updated_at
	touched(at time.Time)            // sets updated_at
}

// create stores rec, already validated, as a new record.
func (k kitWrites[T, P]) create(ctx context.Context, s *Store, rec T) (T, error) {
	var out T
	err := s.update(ctx, func(tx *bolt.Tx) error {
		id, err := tx.Bucket(k.d.records).NextSequence()
		if err != nil {
			return err
		}
		out = rec
		P(&out).created(id, s.clock())
		if err := k.put(tx, nil, &out); err != nil {
			return err
		}
		_, err = s.appendEvent(tx, k.one+".created", ordered{}.with(k.one+"_id", id).with(k.one, out))
		return err
	})
	return out, err
}

// update changes record id with patch, which applies a patch to the copy
// it is given, says what changed and validates the result. A patch that
// changes nothing writes nothing and answers the record as it is.
func (k kitWrites[T, P]) update(ctx context.Context, s *Store, id uint64, patch func(*T) (ordered, error)) (T, error) {
	var out T
	err := s.update(ctx, func(tx *bolt.Tx) error {
		old, err := getRecord[T](tx, k.d.records, id, k.one)
		if err != nil {
			return err
		}
		rec := *old
		changes, err := patch(&rec)
		if err != nil {
			return err
		}
		out = rec
		if len(changes) == 0 {
			return nil
		}
		P(&rec).touched(s.clock())
		if err := k.put(tx, old, &rec); err != nil {
			return err
		}
		out = rec
		_, err = s.appendEvent(tx, k.one+".updated", ordered{}.with(k.one+"_id", id).with("changes", changes).with(k.one, rec))
		return err
	})
	return out, err
}
