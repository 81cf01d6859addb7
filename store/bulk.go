package store

import (
	"context"

	bolt "go.etcd.io/bbolt"
)

// ImportTickets creates tickets in one transaction, with the same validation,
// indexes, counts and events as CreateTicket. It is all or nothing: one bad
// ticket fails the whole import. Imports from another system and the
// benchmarks' million-ticket stores use it in chunks of a few thousand.
func (s *Store) ImportTickets(ctx context.Context, in []TicketInput) ([]uint64, error) {
	var ids []uint64
	err := s.update(ctx, func(tx *bolt.Tx) error {
		ids = make([]uint64, 0, len(in))
		tokens := tokenBatch{}
		for _, ti := range in {
			t, err := s.createTicket(tx, ti, tokens)
			if err != nil {
				return err
			}
			ids = append(ids, t.ID)
		}
		return tokens.put(tx.Bucket(bucketTicketSearch))
	})
	return ids, err
}
