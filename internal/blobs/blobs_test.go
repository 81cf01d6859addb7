package blobs

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPutNamesABlobByItsHashAndKeepsNothingOnFailure(t *testing.T) {
	d := New(filepath.Join(t.TempDir(), "files"))
	b, err := d.Put(strings.NewReader("hello"), 5)
	if err != nil {
		t.Fatal(err)
	}
	if b.SHA256 != "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824" || b.Size != 5 || string(b.Head) != "hello" {
		t.Fatalf("blob %+v", b)
	}
	if got, err := os.ReadFile(filepath.Join(d.Root(), "2c", b.SHA256)); err != nil || string(got) != "hello" {
		t.Fatalf("on disk: %q %v", got, err)
	}
	if _, err := d.Put(strings.NewReader("hello!"), 5); !errors.Is(err, ErrTooLarge) {
		t.Errorf("6 bytes with a limit of 5: %v", err)
	}
	n := 0
	d.Walk(func(Entry) error { n++; return nil })
	if n != 1 {
		t.Errorf("%d files after a refused put, want the one blob", n)
	}
	for _, bad := range []string{"", "../../etc/passwd", strings.Repeat("A", 64), strings.Repeat("a", 63) + "/"} {
		if d.Path(bad) != "" {
			t.Errorf("Path(%q) = %q", bad, d.Path(bad))
		}
		if _, err := d.Open(bad); !errors.Is(err, ErrNotFound) {
			t.Errorf("Open(%q): %v", bad, err)
		}
	}
}

func TestCollectRemovesOldUnreferencedBlobsAndStaleTemps(t *testing.T) {
	d := New(t.TempDir())
	keep, _ := d.Put(strings.NewReader("keep"), 10)
	drop, _ := d.Put(strings.NewReader("drop"), 10)
	young, _ := d.Put(strings.NewReader("young"), 10)
	tmp := filepath.Join(d.Root(), tempPrefix+"123")
	stray := filepath.Join(d.Root(), "notes.txt")
	os.WriteFile(tmp, []byte("half"), 0o600)
	os.WriteFile(stray, []byte("mine"), 0o600)
	old := time.Now().Add(-2 * time.Hour)
	for _, p := range []string{d.Path(keep.SHA256), d.Path(drop.SHA256), tmp, stray} {
		os.Chtimes(p, old, old)
	}
	n, err := d.Collect(time.Now().Add(-time.Hour), func(sums []string) (map[string]bool, error) {
		return map[string]bool{keep.SHA256: true}, nil
	})
	if err != nil || n != 2 {
		t.Fatalf("collected %d (%v), want the unreferenced blob and the stale temp", n, err)
	}
	for p, want := range map[string]bool{d.Path(keep.SHA256): true, d.Path(drop.SHA256): false, d.Path(young.SHA256): true, tmp: false, stray: true} {
		if _, err := os.Stat(p); (err == nil) != want {
			t.Errorf("%s exists: %v, want %v", p, err == nil, want)
		}
	}
	// While held (a backup copying), nothing is collected.
	release := d.Hold()
	os.Chtimes(d.Path(young.SHA256), old, old)
	if n, _ := d.Collect(time.Now(), func([]string) (map[string]bool, error) { return nil, nil }); n != 0 {
		t.Errorf("collected %d while held", n)
	}
	release()
	if n, _ := d.Collect(time.Now(), func([]string) (map[string]bool, error) { return nil, nil }); n != 2 {
		t.Errorf("collected %d once released, want 2", n)
	}
}

func TestHeadKeepsTheFirst512Bytes(t *testing.T) {
	d := New(t.TempDir())
	b, err := d.Put(bytes.NewReader(bytes.Repeat([]byte("x"), 100_000)), 1<<20)
	if err != nil || len(b.Head) != 512 {
		t.Fatalf("head %d bytes, %v", len(b.Head), err)
	}
}
