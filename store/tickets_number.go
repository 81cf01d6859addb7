package store

import (
	"encoding/json"
	"strconv"

	bolt "go.etcd.io/bbolt"
)

// TicketByNumber finds a ticket by the number on its receipt.
func (s *Store) TicketByNumber(number uint64) (Ticket, error) {
	// Only numbers that were given out are looked for: the search below
	// matches by prefix, and "1" would otherwise walk nearly every ticket
	// for anyone on the sign-in form. A real number, 1001 or more, shares
	// its prefix with at most a few hundred others.
	var last uint64
	if err := s.view(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketMeta).Get(keyTicketNumber); v != nil {
			last = btoi(v)
		}
		return nil
	}); err != nil {
		return Ticket{}, err
	}
	if number < firstTicketNumber || number > last {
		return Ticket{}, notFound("ticket")
	}
	n := strconv.FormatUint(number, 10)
	for page := 1; ; page++ {
		p, err := s.SearchTickets(ListQuery{Page: page, PerPage: 100}, n)
		if err != nil {
			return Ticket{}, err
		}
		for _, raw := range p.Items {
			var t Ticket
			if err := json.Unmarshal(raw, &t); err != nil {
				return Ticket{}, err
			}
			if t.Number == number {
				return t, nil
			}
		}
		if !p.HasMore {
			return Ticket{}, notFound("ticket")
		}
	}
}
