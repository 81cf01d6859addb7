package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

var (
	bucketMeta = []byte("meta")
	keyVersion = []byte("schema_version")
)

// ErrTooNew means the file was written by a newer Portal; it is left untouched.
var ErrTooNew = errors.New("store was written by a newer version of portal")

// ErrSchema means the store lacks a bucket the code declares.
var ErrSchema = errors.New("store schema incomplete")

// SchemaVersion is the version a store has after Open: how many steps ran.
func SchemaVersion() int { return len(steps) }

var keyBackfill = []byte("backfill_cursor") // in meta: where a running backfill stopped

// migrator runs schema steps; Open uses the package's steps, tests their own.
type migrator struct {
	steps []step
	batch int                           // records per backfill transaction
	log   func(msg string, args ...any) // nil: quiet
	// afterBatch, when set, runs after each committed backfill batch (tests
	// stop a migration midway there).
	afterBatch func(step string, batches int)
}

func migrate(db *bolt.DB, log func(msg string, args ...any)) error {
	return migrator{steps: steps, batch: backfillBatch, log: log}.run(db)
}

func (m migrator) run(db *bolt.DB) error {
	// Read the version without writing: even an empty write transaction
	// rewrites bbolt's meta and freelist pages, and a newer store must be
	// left exactly as it was.
	var have int
	err := db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketMeta); b != nil {
			if v := b.Get(keyVersion); v != nil {
				have = int(btoi(v))
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if have > len(m.steps) {
		return fmt.Errorf("%w (schema %d, this binary knows %d)", ErrTooNew, have, len(m.steps))
	}
	for v := have; v < len(m.steps); v++ {
		st := m.steps[v]
		if st.fill != nil {
			err = m.backfill(db, v, st)
		} else {
			err = db.Update(func(tx *bolt.Tx) error {
				meta, err := tx.CreateBucketIfNotExists(bucketMeta)
				if err != nil {
					return err
				}
				if err := st.run(tx); err != nil {
					return err
				}
				return meta.Put(keyVersion, itob(uint64(v+1)))
			})
		}
		if err != nil {
			return fmt.Errorf("migration %d (%s): %w", v+1, st.name, err)
		}
	}
	return db.View(func(tx *bolt.Tx) error { return checkSchema(tx, tables) })
}

// backfill runs step v's batches, each in its own transaction with the
// cursor, until one reports done; that one also bumps the version.
func (m migrator) backfill(db *bolt.DB, v int, st step) error {
	for batches := 0; ; batches++ {
		done := false
		err := db.Update(func(tx *bolt.Tx) error {
			meta, err := tx.CreateBucketIfNotExists(bucketMeta)
			if err != nil {
				return err
			}
			cursor := meta.Get(keyBackfill)
			if cursor == nil {
				if err := st.fill.prepare(tx); err != nil {
					return err
				}
			} else {
				cursor = bytes.Clone(cursor[1:]) // byte 0 says "started"
			}
			next, finished, err := st.fill.batch(tx, cursor, m.batch)
			if err != nil {
				return err
			}
			if done = finished; done {
				if err := meta.Delete(keyBackfill); err != nil {
					return err
				}
				return meta.Put(keyVersion, itob(uint64(v+1)))
			}
			return meta.Put(keyBackfill, append([]byte{1}, next...))
		})
		if err != nil || done {
			return err
		}
		if m.afterBatch != nil {
			m.afterBatch(st.name, batches+1)
		}
		if m.log != nil && batches%100 == 99 {
			m.log("schema backfill in progress", "step", st.name, "batches", batches+1)
		}
	}
}

// createTicketSearch adds the ticket search index and tokens the tickets
// already stored.
func createTicketSearch(tx *bolt.Tx) error {
	b, err := tx.CreateBucketIfNotExists(bucketTicketSearch)
	if err != nil {
		return err
	}
	tokens := tokenBatch{}
	c := tx.Bucket(tickets.records).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		raw, err := recordView(v)
		if err != nil {
			return err
		}
		var t Ticket
		if err := json.Unmarshal(raw, &t); err != nil {
			return err
		}
		list, err := ticketTokens(tx, &t)
		if err != nil {
			return err
		}
		tokens.add(t.ID, list)
	}
	return tokens.put(appending(b))
}
