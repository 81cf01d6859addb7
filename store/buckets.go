package store

import bolt "go.etcd.io/bbolt"

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

// appending prepares a bucket whose new keys mostly land at the end of their
// range (ids, sequence numbers, index keys ending in the newest sort value).
// bbolt splits full pages at half by default, which leaves such buckets half
// empty for good; filling pages to 90% halves the file and the memory its hot
// pages take.
func appending(b *bolt.Bucket) *bolt.Bucket {
	b.FillPercent = 0.9
	return b
}
