package store

// allBuckets are created by the first migration.
var allBuckets = func() [][]byte {
	list := [][]byte{
		bucketEvents, bucketEventsByName, bucketEventCounts, bucketSettings,
		bucketCustomerSearch, bucketOpenTickets, bucketNotes, bucketLineItems, bucketPayments,
		bucketKeys, bucketKeyHashes, bucketUsers, bucketSessions,
	}
	for _, t := range []*table{customers, tickets} {
		list = append(list, t.buckets()...)
	}
	return list
}()
