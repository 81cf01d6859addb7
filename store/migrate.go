package store

import (
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

// migrations are applied in order; the schema version is how many have run.
// Never edit or reorder a released step: append a new one.
var migrations = []func(tx *bolt.Tx) error{
	createBuckets,
	createWebhookBuckets,
	createTicketSearch,
	createTicketEventIndex,
	countQueues,
}

// SchemaVersion is the version a store has after Open.
func SchemaVersion() int { return len(migrations) }

func migrate(db *bolt.DB) error {
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
	if have > len(migrations) {
		return fmt.Errorf("%w (schema %d, this binary knows %d)", ErrTooNew, have, len(migrations))
	}
	for v := have; v < len(migrations); v++ {
		err := db.Update(func(tx *bolt.Tx) error {
			meta, err := tx.CreateBucketIfNotExists(bucketMeta)
			if err != nil {
				return err
			}
			if err := migrations[v](tx); err != nil {
				return err
			}
			return meta.Put(keyVersion, itob(uint64(v+1)))
		})
		if err != nil {
			return fmt.Errorf("migration %d: %w", v+1, err)
		}
	}
	return nil
}

// createWebhookBuckets adds webhook subscriptions and the delivery queue.
func createWebhookBuckets(tx *bolt.Tx) error {
	for _, name := range webhookBuckets {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	return nil
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
		var t Ticket
		if err := json.Unmarshal(v, &t); err != nil {
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

func createBuckets(tx *bolt.Tx) error {
	for _, name := range allBuckets {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	for _, t := range []*table{customers, tickets} {
		if err := t.createIndexBuckets(tx); err != nil {
			return err
		}
	}
	return nil
}
