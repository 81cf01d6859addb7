package store

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
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
