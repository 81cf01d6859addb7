package store

import bolt "go.etcd.io/bbolt"

// allBuckets are the system buckets the code uses (tables declare their own).
var allBuckets = func() [][]byte {
	list := [][]byte{
		bucketEvents, bucketEventsByName, bucketEventCounts, bucketSettings,
		bucketCustomerSearch, bucketOpenTickets, bucketNotes, bucketLineItems, bucketPayments,
		bucketKeys, bucketKeyHashes, bucketUsers, bucketSessions,
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
