package store

import (
	"context"

	bolt "go.etcd.io/bbolt"
)

// SetPresence marks a staff member on site at a location (an evacuation's
// roll call counts them), or gone with locationID 0.
func (s *Store) SetPresence(ctx context.Context, userID, locationID uint64) (User, error) {
	var out User
	err := s.update(ctx, func(tx *bolt.Tx) error {
		r, err := getRecord[userRecord](tx, bucketUsers, userID, "user")
		if err != nil {
			return err
		}
		if locationID != 0 {
			if _, err := getRecord[Location](tx, locations.records, locationID, "location"); err != nil {
				return Invalid("location_id", "must be an existing location (or 0: left)")
			}
		}
		r.OnSiteLocationID, r.UpdatedAt = locationID, s.clock()
		out = r.User
		return putUser(tx.Bucket(bucketUsers), r)
	})
	return out, err
}
