package store

import bolt "go.etcd.io/bbolt"

// bucketEvacuations holds every evacuation (be64 id -> JSON) and, under
// keyActiveEvacuation, the id of the running one. Check-ins read the gate
// in their own transaction, so none slips in after an activation.
var (
	bucketEvacuations   = []byte("evacuations")
	keyActiveEvacuation = []byte("active")
)

// refuseDuringEvacuation is the gate every check-in (visitor, contractor,
// walk-in, kiosk) passes in its transaction.
func refuseDuringEvacuation(tx *bolt.Tx) error {
	if b := tx.Bucket(bucketEvacuations); b != nil && b.Get(keyActiveEvacuation) != nil {
		return Conflict("an evacuation is in progress: nobody can check in until it ends")
	}
	return nil
}
