package store

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func schemaVersionOf(t *testing.T, path string) uint64 {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v uint64
	db.View(func(tx *bolt.Tx) error {
		v = btoi(tx.Bucket(bucketMeta).Get(keyVersion))
		return nil
	})
	return v
}

func TestOpenRecordsTheSchemaVersionAndKeepsData(t *testing.T) {
	s := openTest(t)
	path := s.Path()
	c := mustCustomer(t, s, CustomerInput{Name: "Kept"})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if v := schemaVersionOf(t, path); v != uint64(SchemaVersion()) || v == 0 {
		t.Fatalf("schema_version %d, want %d", v, SchemaVersion())
	}
	s = openAt(t, path, Options{})
	if _, err := s.Customer(c.ID); err != nil {
		t.Fatalf("after reopening: %v", err)
	}
}

func TestOpenNewerSchemaIsErrTooNewAndLeavesFileUnchanged(t *testing.T) {
	s := openTest(t)
	path := s.Path()
	mustCustomer(t, s, CustomerInput{Name: "From the future"})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keyVersion, itob(uint64(SchemaVersion()+1)))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	for range 2 {
		s, err := Open(path, Options{})
		if err == nil {
			s.Close()
			t.Fatal("Open accepted a store written by a newer version")
		}
		if !errors.Is(err, ErrTooNew) {
			t.Fatalf("Open = %v, want ErrTooNew", err)
		}
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Fatalf("refusing a newer store changed its file (%d bytes before, %d after)", len(before), len(after))
	}
}

func TestOpenWhileAnotherHolderHasTheFileIsErrLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "live.db")
	openAt(t, path, Options{})
	_, err := Open(path, Options{LockTimeout: 50 * time.Millisecond})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open = %v, want ErrLocked", err)
	}
}

// downgrade makes the closed store at path look as if written before the
// last migrations: drop removes what they create, and the version goes back.
// versionBefore is the schema version of a store that has not run step.
func versionBefore(t *testing.T, step func(*bolt.Tx) error) int {
	t.Helper()
	for i, m := range steps {
		if m.run != nil && reflect.ValueOf(m.run).Pointer() == reflect.ValueOf(step).Pointer() {
			return i
		}
	}
	t.Fatal("not a migration step")
	return 0
}

func downgrade(t *testing.T, path string, version int, drop ...[]byte) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range drop {
			if err := tx.DeleteBucket(name); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketMeta).Put(keyVersion, itob(uint64(version)))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestMigrationIndexesTicketsOfAnOlderStoreForSearch(t *testing.T) {
	s := openTest(t)
	path := s.Path()
	f := newTicketSearchFixture(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	downgrade(t, path, versionBefore(t, createTicketSearch), bucketTicketSearch)

	s = openAt(t, path, Options{})
	for q, want := range map[string][]uint64{
		"ada screen": {f.iphone.ID}, "1002": {f.macbook.ID}, "babbage pixel": {f.pixel.ID}, "apple": {f.macbook.ID, f.iphone.ID},
	} {
		if got := searchTicketIDs(t, s, q, nil); !slices.Equal(got, want) {
			t.Errorf("after migrating: search tickets %q = %v, want %v", q, got, want)
		}
	}
	checkSearchIndex(t, s, ticketSearch)
	// And the index is kept from then on.
	tk := mustTicket(t, s, TicketInput{CustomerID: f.ada.ID, Issue: "Loose hinge"})
	if got := searchTicketIDs(t, s, "ada hinge", nil); !slices.Equal(got, []uint64{tk.ID}) {
		t.Errorf("a ticket opened after migrating: %v, want [%d]", got, tk.ID)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if v := schemaVersionOf(t, path); v != uint64(SchemaVersion()) {
		t.Fatalf("after migrating: schema_version %d, want %d", v, SchemaVersion())
	}
}
