package store

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// A store that lacks a bucket the code declares is refused at open, naming
// the bucket, instead of panicking on the first write that needs it.
func TestAStoreLackingADeclaredIndexIsRefusedAtOpen(t *testing.T) {
	s := openTest(t)
	path := s.Path()
	mustTicket(t, s, TicketInput{CustomerID: mustCustomer(t, s, CustomerInput{Name: "Ada"}).ID, Issue: "Screen", Device: Device{Brand: "Apple"}})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	editBolt(t, path, func(tx *bolt.Tx) error { return tx.Bucket([]byte("idx_tickets")).DeleteBucket([]byte("status/due_at")) })
	_, err := Open(path, Options{})
	if !errors.Is(err, ErrSchema) || !strings.Contains(err.Error(), "idx_tickets/status/due_at") {
		t.Fatalf("Open = %v, want ErrSchema naming idx_tickets/status/due_at", err)
	}
}

// A developer who declares a new sort without its schema step gets the same
// refusal, naming each index the sort needs.
func TestADeclaredSortWithoutASchemaStepIsRefused(t *testing.T) {
	s := openTest(t)
	withPriority := define(Resource[Ticket]{Name: "tickets",
		Filters: []Filter[Ticket]{{Name: "status", Key: func(t *Ticket) []byte { return []byte(t.Status) }, Parse: text}},
		Sorts: []Sort[Ticket]{
			{Name: "id", Key: func(t *Ticket) []byte { return itob(t.ID) }},
			{Name: "priority", Key: func(t *Ticket) []byte { return []byte(t.Priority) }},
		}})
	err := s.view(func(tx *bolt.Tx) error { return checkSchema(tx, []*table{withPriority.table}) })
	if !errors.Is(err, ErrSchema) || !strings.Contains(err.Error(), "idx_tickets/_/priority") ||
		!strings.Contains(err.Error(), "idx_tickets/status/priority") {
		t.Fatalf("checkSchema = %v, want ErrSchema naming both priority indexes", err)
	}
}

// editBolt changes a closed store's file directly, as an older binary or a
// damaged file would have left it.
func editBolt(t *testing.T, path string, fn func(tx *bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// The fixtures of released versions, migrated, hold exactly the buckets a
// new store holds, and their indexes and counts are exactly what the records
// make: nothing a schema step missed, nothing stale.
func TestMigratedReleasesMatchAFreshStore(t *testing.T) {
	fresh := openTest(t)
	want := bucketTree(t, fresh)
	// v10.db is the release before index keys were packed (40 tickets,
	// statuses, assignees, due dates, notes, a location), written by that
	// release's own code.
	for _, fixture := range []string{"testdata/v1.db", "testdata/v5.db", "testdata/v10.db"} {
		t.Run(filepath.Base(fixture), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "live.db")
			copyFile(t, fixture, path)
			s := openAt(t, path, Options{})
			if got := bucketTree(t, s); !slices.Equal(got, want) {
				t.Errorf("buckets after migration differ from a new store's:\n got %v\nwant %v", got, want)
			}
			for _, tb := range tables {
				assertIndexesMatchRecords(t, s, tb)
			}
			checkSearchIndex(t, s, customerSearch)
			checkSearchIndex(t, s, ticketSearch)
		})
	}
}

// bucketTree lists every bucket and nested bucket by path.
func bucketTree(t *testing.T, s *Store) []string {
	t.Helper()
	var out []string
	var walk func(prefix string, b *bolt.Bucket)
	walk = func(prefix string, b *bolt.Bucket) {
		b.ForEach(func(k, v []byte) error {
			if v == nil {
				out = append(out, prefix+"/"+string(k))
				walk(prefix+"/"+string(k), b.Bucket(k))
			}
			return nil
		})
	}
	err := s.view(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			out = append(out, string(name))
			walk(string(name), b)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// assertIndexesMatchRecords recomputes a table's index entries and counts
// from its records, as a new store would hold them, and compares.
func assertIndexesMatchRecords(t *testing.T, s *Store, tb *table) {
	t.Helper()
	err := s.view(func(tx *bolt.Tx) error {
		want := map[string]map[string]string{}
		counts := map[string]int64{}
		err := tx.Bucket(tb.records).ForEach(func(k, v []byte) error {
			e, err := tb.indexOfRaw(v)
			if err != nil {
				return err
			}
			for fi := -1; fi < len(tb.filters); fi++ {
				name := noFilter
				if fi >= 0 {
					name = tb.filters[fi]
				}
				for si, sort := range tb.sorts {
					if !tb.indexed(name, sort) {
						continue
					}
					idx := name + "/" + sort
					if want[idx] == nil {
						want[idx] = map[string]string{}
					}
					value := ""
					if tb.holdsTuple(fi, si) {
						value = string(tb.tuple(e))
					}
					want[idx][string(tb.indexKey(pick(e.filters, fi), e.sorts[si], btoi(k)))] = value
				}
			}
			for mask := 0; mask < 1<<len(tb.filters); mask++ {
				counts[string(countKey(mask, e.filters))]++
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, name := range tb.indexBuckets() {
			got := map[string]string{}
			tx.Bucket(tb.indexes).Bucket(name).ForEach(func(k, v []byte) error {
				got[string(k)] = string(v)
				return nil
			})
			if fmt.Sprint(got) != fmt.Sprint(want[string(name)]) {
				t.Errorf("%s index %s: %d entries, want %d as the records make", tb.name, name, len(got), len(want[string(name)]))
			}
		}
		got := map[string]int64{}
		tx.Bucket(tb.counts).ForEach(func(k, v []byte) error {
			got[string(k)] = int64(btoi(v))
			return nil
		})
		if fmt.Sprint(got) != fmt.Sprint(counts) {
			t.Errorf("%s counts %v, want %v", tb.name, got, counts)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	raw, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, raw, 0o600); err != nil {
		t.Fatal(err)
	}
}

// A backfill killed midway (SIGKILL of the process running it) resumes
// after its last committed batch and ends with exactly the entries a
// complete run makes.
func TestReindexBackfillResumesAfterSIGKILL(t *testing.T) {
	if path := os.Getenv("PORTAL_BACKFILL_CHILD"); path != "" {
		backfillChild(path)
		return
	}
	s := openTest(t)
	path := s.Path()
	c := mustCustomer(t, s, CustomerInput{Name: "Ada"})
	for i := 0; i < 40; i++ {
		mustTicket(t, s, TicketInput{CustomerID: c.ID, Issue: fmt.Sprintf("Ticket %d", i), Device: Device{Brand: "Apple"}})
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// As if the index status/due_at were new: gone, and its step not yet run.
	editBolt(t, path, func(tx *bolt.Tx) error { return tx.Bucket([]byte("idx_tickets")).DeleteBucket([]byte("status/due_at")) })

	child := exec.Command(os.Args[0], "-test.run=^TestReindexBackfillResumesAfterSIGKILL$")
	child.Env = append(os.Environ(), "PORTAL_BACKFILL_CHILD="+path)
	stdin, err := child.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if lines.Text() == "batch 1" {
			io.WriteString(stdin, "go\n") // let it commit a second batch
		}
		if lines.Text() == "batch 2" {
			break // it now waits for us, mid-backfill
		}
	}
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	child.Wait()

	var cursor []byte
	editBolt(t, path, func(tx *bolt.Tx) error {
		cursor = bytes.Clone(tx.Bucket(bucketMeta).Get(keyBackfill))
		return nil
	})
	if len(cursor) != 9 || btoi(cursor[1:]) != 10 {
		t.Fatalf("after the kill the cursor is %x, want record 10 (two batches of 5)", cursor)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := backfillTestMigrator(nil).run(db); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	// The extra step is this test's own: back to the released version to open.
	editBolt(t, path, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keyVersion, itob(uint64(SchemaVersion())))
	})
	s = openAt(t, path, Options{})
	assertIndexesMatchRecords(t, s, tickets.table)
}

// backfillTestMigrator is the store's schema plus a reindex of status/due_at,
// five records a batch.
func backfillTestMigrator(after func(string, int)) migrator {
	return migrator{steps: append(slices.Clone(steps), reindexStep("tickets", "status", "due_at")), batch: 5, afterBatch: after}
}

// backfillChild runs the backfill, reporting each batch and waiting for the
// parent's word before the next, until it is killed.
func backfillChild(path string) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		panic(err)
	}
	in := bufio.NewScanner(os.Stdin)
	m := backfillTestMigrator(func(_ string, n int) {
		fmt.Printf("batch %d\n", n)
		os.Stdout.Sync()
		in.Scan()
	})
	m.run(db)
}
