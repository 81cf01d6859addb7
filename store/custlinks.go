package store

import (
	"context"

	bolt "go.etcd.io/bbolt"
)

// Customer link epochs. A customer's magic links and the sessions made from
// them carry the epoch they were minted at (internal/custlink); revoking
// every link bumps the epoch, and a link or session whose epoch is not the
// current one is refused. One counter per customer replaces a list of issued
// links: the appliance keeps no token.

// bucketCustomerLinkEpochs maps a customer id (be64) to their epoch (be64);
// no entry is epoch 0.
var bucketCustomerLinkEpochs = []byte("customer_link_epochs")

// CustomerLinkEpoch is a customer's current link epoch. A customer that does
// not exist (or was deleted) is ErrNotFound, so their links die with them.
func (s *Store) CustomerLinkEpoch(customerID uint64) (uint64, error) {
	var out uint64
	err := s.view(func(tx *bolt.Tx) error {
		if tx.Bucket(customers.records).Get(itob(customerID)) == nil {
			return notFound("customer")
		}
		out = linkEpoch(tx, customerID)
		return nil
	})
	return out, err
}

func linkEpoch(tx *bolt.Tx, customerID uint64) uint64 {
	if v := tx.Bucket(bucketCustomerLinkEpochs).Get(itob(customerID)); len(v) == 8 {
		return btoi(v)
	}
	return 0
}

// RevokeCustomerLinks ends every link and session of a customer: it bumps
// their epoch, records customer.portal_link_revoked and returns the new epoch.
func (s *Store) RevokeCustomerLinks(ctx context.Context, customerID uint64) (uint64, error) {
	var out uint64
	err := s.update(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(customers.records).Get(itob(customerID)) == nil {
			return notFound("customer")
		}
		out = linkEpoch(tx, customerID) + 1
		if err := tx.Bucket(bucketCustomerLinkEpochs).Put(itob(customerID), itob(out)); err != nil {
			return err
		}
		_, err := s.appendEvent(tx, "customer.portal_link_revoked",
			ordered{}.with("customer_id", customerID).with("link_epoch", out))
		return err
	})
	return out, err
}
