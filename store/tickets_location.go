package store

import (
	"bytes"
	"encoding/json"

	bolt "go.etcd.io/bbolt"
)

// ticketLocationStep writes location_id (0: none) into the tickets written
// before tickets had one, so that every ticket the API answers carries the
// field. Bounded, resumable batches; a ticket that has it is left alone.
func ticketLocationStep() step {
	return step{name: "tickets learn location_id", fill: &backfill{
		prepare: func(*bolt.Tx) error { return nil },
		batch: func(tx *bolt.Tx, after []byte, limit int) ([]byte, bool, error) {
			b := tx.Bucket([]byte("tickets"))
			type rewrite struct{ k, v []byte }
			var out []rewrite // put after the walk: a cursor must not see its bucket change under it
			last, done, err := eachRecordAfter(tx, []byte("tickets"), after, limit, func(k, v []byte) error {
				raw, err := recordView(v)
				if err != nil || bytes.Contains(raw, []byte(`"location_id":`)) {
					return err
				}
				var t Ticket
				if err := json.Unmarshal(raw, &t); err != nil {
					return err
				}
				rec, err := json.Marshal(&t)
				if err != nil {
					return err
				}
				out = append(out, rewrite{bytes.Clone(k), packRecord(rec)})
				return nil
			})
			for _, r := range out {
				if err == nil {
					err = b.Put(r.k, r.v)
				}
			}
			return last, done, err
		},
	}}
}
