package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// The schema's history. A released step is frozen: it names its buckets
// literally and never reads today's declarations, so a store migrated from
// any version ends up exactly like a new one. Append, never edit or reorder.
// A new table is a createTable step; a new index of an existing table is a
// reindexStep, whose backfill runs in bounded, resumable transactions.
var steps = []step{
	{name: "base buckets", run: createBaseBuckets},
	{name: "webhook buckets", run: createWebhookBuckets},
	{name: "ticket search", run: createTicketSearch},
	{name: "ticket timelines", run: createTicketEventIndex},
	{name: "queue counts", run: countQueues},
	createTable("locations", nil, []string{"id", "name", "updated_at"}),
	tupleOnceStep("tickets"),
	searchPostingsStep("search_customers", "customers", customerTokensOf),
	searchPostingsStep("search_tickets", "tickets", ticketTokensOf),
	packRecordsStep("tickets"),
	rebuildIndexesStep("tickets", []string{"customer_id", "assigned_to", "status"}, []string{"id", "updated_at", "due_at"}),
	rebuildIndexesStep("customers", nil, []string{"id", "name", "updated_at"}),
	rebuildIndexesStep("locations", nil, []string{"id", "name", "updated_at"}),
	createTableWith("visitors", []string{"status", "location_id", "host", "date"}, []string{"id", "updated_at", "expected_at"},
		map[string][]string{"date": {"id", "expected_at"}}, "search_visitors", "visitor_codes"),
	createTableWith("contractors", []string{"status"}, []string{"id", "company", "updated_at"}, nil),
	createBuckets("evacuations", "evacuations", "evacuation_entries"),
	createBuckets("kiosks", "kiosks", "kiosk_hashes"),
	createTableWith("catalog_items", []string{"kind", "supplier_id"}, []string{"id", "name", "sku", "updated_at"},
		map[string][]string{"supplier_id": {"id", "name"}}, "search_catalog_items", "catalog_skus", "catalog_barcodes"),
	createTableWith("inventory", []string{"item_id", "location_id", "low_stock"}, []string{"id", "updated_at"}, nil, "inventory_keys"),
	createTable("inventory_adjustments", []string{"item_id", "location_id"}, []string{"id"}),
	reindexStep("inventory_adjustments", "_", "updated_at"),
	ticketLocationStep(),
	createTableWith("suppliers", nil, []string{"id", "name", "updated_at"}, nil, "search_suppliers"),
	createTable("purchase_orders", []string{"status", "supplier_id", "location_id"}, []string{"id", "updated_at"}),
	createTableWith("devices", []string{"status", "location_id", "seller_customer_id"}, []string{"id", "updated_at", "asking_price"},
		map[string][]string{"seller_customer_id": {"id", "updated_at"}}, "search_devices", "device_codes"),
	paymentRefundsStep(),
	createTableWith("proposals", []string{"status", "customer_id", "ticket_id"}, []string{"id", "updated_at", "expires_at"},
		map[string][]string{"customer_id": {"id", "updated_at"}, "ticket_id": {"id", "updated_at"}}, "search_proposals"),
	createTableWith("attachments", []string{"owner"}, []string{"id", "updated_at"}, nil, "attachment_blobs"),
	createBuckets("customer link epochs", "customer_link_epochs"),
	createBuckets("inbound payment events", "inbound_events"),
	{name: "mail queue", run: createMailQueue},
	createBuckets("plugins", "plugins"),
}

// step is one schema change: run in one transaction, or a backfill.
type step struct {
	name string
	run  func(tx *bolt.Tx) error
	fill *backfill
}

// backfill is a step too large for one transaction. prepare runs once, in
// the first batch's transaction; batch does at most backfillBatch records
// after the cursor and says where it stopped. The cursor is kept in meta in
// the same transaction as the batch's writes, so a crash loses nothing and
// the next start resumes after the last committed batch. Batches must be
// idempotent per record (a record is never seen twice, but a prepare may
// find its buckets half made by nothing else).
type backfill struct {
	prepare func(tx *bolt.Tx) error
	batch   func(tx *bolt.Tx, after []byte, limit int) (next []byte, done bool, err error)
}

// backfillBatch bounds one backfill transaction: memory and the time a
// writer would wait are O(batch), whatever the table's size.
const backfillBatch = 1000

// base buckets of schema version 1, as released.
var v1Buckets = []string{
	"api_keys", "count_customers", "count_tickets", "customer_open_tickets", "customers", "events",
	"events_by_name", "events_count", "idx_customers", "idx_tickets", "key_hashes", "search_customers",
	"sessions", "settings", "ticket_line_items", "ticket_notes", "ticket_payments", "tickets", "users",
}

func createBaseBuckets(tx *bolt.Tx) error {
	if err := createAll(tx, v1Buckets...); err != nil {
		return err
	}
	if err := createNested(tx, "idx_customers", "_/id", "_/name", "_/updated_at"); err != nil {
		return err
	}
	var ticketIndexes []string
	for _, f := range []string{"_", "customer_id", "assigned_to", "status"} {
		for _, s := range []string{"id", "updated_at", "due_at"} {
			ticketIndexes = append(ticketIndexes, f+"/"+s)
		}
	}
	return createNested(tx, "idx_tickets", ticketIndexes...)
}

func createWebhookBuckets(tx *bolt.Tx) error {
	return createAll(tx, "webhooks", "deliveries", "delivery_attempts", "webhook_deliveries", "queue_ready",
		"queue_inflight", "webhook_delivery_counts")
}

// createTable makes a table's buckets and its indexes: one per sort, and per
// filter crossed with each sort. Names are given literally, as released.
func createTable(name string, filters, sorts []string) step {
	return step{name: "create table " + name, run: func(tx *bolt.Tx) error {
		if err := createAll(tx, name, "idx_"+name, "count_"+name); err != nil {
			return err
		}
		var nested []string
		for _, f := range append([]string{noFilter}, filters...) {
			for _, s := range sorts {
				nested = append(nested, f+"/"+s)
			}
		}
		return createNested(tx, "idx_"+name, nested...)
	}}
}

// createTableWith is createTable for a table whose filters are indexed for
// some sorts only (sortedBy, by filter), with extra top-level buckets.
func createTableWith(name string, filters, sorts []string, sortedBy map[string][]string, extra ...string) step {
	return step{name: "create table " + name, run: func(tx *bolt.Tx) error {
		if err := createAll(tx, append([]string{name, "idx_" + name, "count_" + name}, extra...)...); err != nil {
			return err
		}
		var nested []string
		for _, f := range append([]string{noFilter}, filters...) {
			by := sorts
			if s, ok := sortedBy[f]; ok {
				by = s
			}
			for _, s := range by {
				nested = append(nested, f+"/"+s)
			}
		}
		return createNested(tx, "idx_"+name, nested...)
	}}
}

// createBuckets makes top-level buckets.
func createBuckets(name string, buckets ...string) step {
	return step{name: "create " + name, run: func(tx *bolt.Tx) error { return createAll(tx, buckets...) }}
}

// reindexStep adds the index (filter, sort) to an existing table and fills
// it from the records, in bounded batches. The entries are computed by the
// table's declaration, which must by then declare the pair.
func reindexStep(table, filter, sort string) step {
	name := []byte(filter + "/" + sort)
	return step{name: "index " + table + " " + filter + "/" + sort, fill: &backfill{
		prepare: func(tx *bolt.Tx) error { return createNested(tx, "idx_"+table, string(name)) },
		batch: func(tx *bolt.Tx, after []byte, limit int) ([]byte, bool, error) {
			t := declaredTable(table)
			if t == nil || !t.indexed(filter, sort) {
				return nil, false, fmt.Errorf("table %s does not declare the index %s/%s", table, filter, sort)
			}
			fi, si := slices.Index(t.filters, filter), slices.Index(t.sorts, sort)
			idx := t.indexBucket(tx.Bucket(t.indexes), filter, sort)
			return eachRecordAfter(tx, t.records, after, limit, func(k, v []byte) error {
				e, err := t.indexOfRaw(v)
				if err != nil {
					return err
				}
				var value []byte
				if t.holdsTuple(fi, si) {
					value = t.tuple(e)
				}
				return idx.Put(t.indexKey(pick(e.filters, fi), e.sorts[si], btoi(k)), value)
			})
		},
	}}
}

// tupleOnceStep empties the values of a table's indexes other than _/id:
// the record's filter values used to be copied into every index entry, and
// are now kept once, in _/id (see table). Bounded, resumable batches.
func tupleOnceStep(table string) step {
	return step{name: "index values of " + table + " kept once", fill: &backfill{
		prepare: func(*bolt.Tx) error { return nil },
		batch: func(tx *bolt.Tx, after []byte, limit int) ([]byte, bool, error) {
			t := declaredTable(table)
			if t == nil {
				return nil, false, fmt.Errorf("no table %s", table)
			}
			idx := tx.Bucket(t.indexes)
			return eachRecordAfter(tx, t.records, after, limit, func(k, v []byte) error {
				e, err := t.indexOfRaw(v)
				if err != nil {
					return err
				}
				for fi, name := range append([]string{noFilter}, t.filters...) {
					for si, sort := range t.sorts {
						if !t.indexed(name, sort) || (fi == 0 && si == 0) {
							continue
						}
						key := t.indexKey(pick(e.filters, fi-1), e.sorts[si], btoi(k))
						if err := idx.Bucket(indexName(name, sort)).Put(key, nil); err != nil {
							return err
						}
					}
				}
				return nil
			})
		},
	}}
}

// searchPostingsStep rebuilds a search bucket in the chunked postings form
// (postings.go) from the table's records: an entry per token and record
// before, a container per token and 4096 records now. Bounded, resumable.
func searchPostingsStep(bucket, table string, tokens func(tx *bolt.Tx, raw []byte) ([]string, error)) step {
	return step{name: "search " + table + " as postings", fill: &backfill{
		prepare: func(tx *bolt.Tx) error {
			if err := tx.DeleteBucket([]byte(bucket)); err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
				return err
			}
			_, err := tx.CreateBucket([]byte(bucket))
			return err
		},
		batch: func(tx *bolt.Tx, after []byte, limit int) ([]byte, bool, error) {
			batch := tokenBatch{}
			last, done, err := eachRecordAfter(tx, []byte(table), after, limit, func(k, v []byte) error {
				list, err := tokens(tx, v)
				batch.add(btoi(k), list)
				return err
			})
			if err != nil {
				return nil, false, err
			}
			return last, done, batch.put(tx.Bucket([]byte(bucket)))
		},
	}}
}

// packRecordsStep stores a table's plain records packed (recordcodec.go),
// as writes do from now on. Bounded, resumable; a packed record is left.
func packRecordsStep(table string) step {
	return step{name: "pack " + table, fill: &backfill{
		prepare: func(*bolt.Tx) error { return nil },
		batch: func(tx *bolt.Tx, after []byte, limit int) ([]byte, bool, error) {
			b := tx.Bucket([]byte(table))
			type rewrite struct{ k, v []byte }
			var packed []rewrite // put after the walk: a cursor must not see its bucket change under it
			last, done, err := eachRecordAfter(tx, []byte(table), after, limit, func(k, v []byte) error {
				if len(v) > 0 && v[0] == '{' {
					packed = append(packed, rewrite{bytes.Clone(k), packRecord(bytes.Clone(v))})
				}
				return nil
			})
			for _, r := range packed {
				if err == nil {
					err = b.Put(r.k, r.v)
				}
			}
			return last, done, err
		},
	}}
}

// rebuildIndexesStep writes a table's indexes and kept counts anew from its
// records, in today's key form (index.go): the step for a change of every
// key's form (ids and times packed by orderedUint). The buckets are made
// afresh under their released names; bounded, resumable batches.
func rebuildIndexesStep(table string, filters, sorts []string) step {
	create := createTable(table, filters, sorts).run
	return step{name: "rebuild the indexes of " + table, fill: &backfill{
		prepare: func(tx *bolt.Tx) error {
			for _, name := range []string{"idx_" + table, "count_" + table} {
				if err := tx.DeleteBucket([]byte(name)); err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
					return err
				}
			}
			return create(tx)
		},
		batch: func(tx *bolt.Tx, after []byte, limit int) ([]byte, bool, error) {
			t := declaredTable(table)
			if t == nil {
				return nil, false, fmt.Errorf("no table %s", table)
			}
			for _, name := range t.indexBuckets() {
				if tx.Bucket(t.indexes).Bucket(name) == nil {
					return nil, false, fmt.Errorf("table %s declares the index %s, which no step makes", table, name)
				}
			}
			return eachRecordAfter(tx, t.records, after, limit, func(k, v []byte) error {
				e, err := t.indexOfRaw(v)
				if err != nil {
					return err
				}
				return t.reindex(tx, btoi(k), nil, e)
			})
		},
	}}
}

func customerTokensOf(_ *bolt.Tx, stored []byte) ([]string, error) {
	raw, err := recordView(stored)
	if err != nil {
		return nil, err
	}
	var c Customer
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, err
	}
	return c.tokens(), nil
}

func ticketTokensOf(tx *bolt.Tx, stored []byte) ([]string, error) {
	raw, err := recordView(stored)
	if err != nil {
		return nil, err
	}
	var t Ticket
	if err := json.Unmarshal(raw, &t); err != nil {
		return nil, err
	}
	return ticketTokens(tx, &t)
}

// eachRecordAfter calls fn for up to limit records of bucket that follow the
// key after (nil: from the first), and says where it stopped and whether
// that was the last: the walk every backfill batch makes.
func eachRecordAfter(tx *bolt.Tx, bucket []byte, after []byte, limit int, fn func(k, v []byte) error) ([]byte, bool, error) {
	c := tx.Bucket(bucket).Cursor()
	k, v := c.First()
	if after != nil {
		if k, v = c.Seek(after); k != nil && bytes.Equal(k, after) {
			k, v = c.Next()
		}
	}
	var last []byte
	for n := 0; k != nil && n < limit; k, v = c.Next() {
		if err := fn(k, v); err != nil {
			return nil, false, err
		}
		last, n = bytes.Clone(k), n+1
	}
	return last, k == nil, nil
}

func createAll(tx *bolt.Tx, names ...string) error {
	for _, n := range names {
		if _, err := tx.CreateBucketIfNotExists([]byte(n)); err != nil {
			return err
		}
	}
	return nil
}

func createNested(tx *bolt.Tx, parent string, names ...string) error {
	p := tx.Bucket([]byte(parent))
	if p == nil {
		return fmt.Errorf("no bucket %s", parent)
	}
	for _, n := range names {
		if _, err := p.CreateBucketIfNotExists([]byte(n)); err != nil {
			return err
		}
	}
	return nil
}

// declaredTable finds a declared table by name.
func declaredTable(name string) *table {
	for _, t := range tables {
		if t.name == name {
			return t
		}
	}
	return nil
}

// requiredBuckets are the top-level buckets the code uses, besides the
// declared tables' own.
func requiredBuckets() [][]byte {
	list := slices.Clone(allBuckets)
	list = append(list, webhookBuckets...)
	return append(list, bucketTicketSearch, bucketTicketEvents, bucketAttachmentBlobs, bucketCustomerLinkEpochs,
		bucketMail, bucketMailReady, bucketMailInflight, bucketMailByEvent)
}

// checkSchema refuses a store that lacks a bucket the code declares — a
// sort or table added without its schema step — naming what is missing,
// rather than failing on the first write that needs it.
func checkSchema(tx *bolt.Tx, declared []*table) error {
	var missing []string
	for _, name := range requiredBuckets() {
		if tx.Bucket(name) == nil {
			missing = append(missing, string(name))
		}
	}
	for _, t := range declared {
		for _, name := range t.buckets() {
			if tx.Bucket(name) == nil {
				missing = append(missing, string(name))
			}
		}
		idx := tx.Bucket(t.indexes)
		for _, name := range t.indexBuckets() {
			if idx == nil || idx.Bucket(name) == nil {
				missing = append(missing, string(t.indexes)+"/"+string(name))
			}
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: the store has no %s (declared in the code without a schema step that makes it: see store/schema.go)",
			ErrSchema, strings.Join(missing, ", "))
	}
	return nil
}
