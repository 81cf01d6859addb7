package store

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// archiveOf writes a backup of a fresh live and test store pair and returns it.
func archiveOf(t *testing.T, prepare func(live *Store)) []byte {
	t.Helper()
	dir := t.TempDir()
	live := openAt(t, filepath.Join(dir, "live.db"), Options{Mode: Live})
	test := openAt(t, filepath.Join(dir, "test.db"), Options{Mode: Test})
	if _, err := LoadSealer(filepath.Join(dir, "secret.key")); err != nil {
		t.Fatal(err)
	}
	if prepare != nil {
		prepare(live)
	}
	var buf bytes.Buffer
	if _, err := WriteArchive(context.Background(), &buf, ArchiveSource{Live: live, Test: test,
		KeyFile: filepath.Join(dir, "secret.key"), Version: "v-test"}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestArchiveRoundTripsBothStoresAndTheKey(t *testing.T) {
	var ada Customer
	raw := archiveOf(t, func(live *Store) { ada = mustCustomer(t, live, CustomerInput{Name: "Ada"}) })
	dir := t.TempDir()
	m, err := ExtractArchive(bytes.NewReader(raw), dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.PortalVersion != "v-test" || m.SchemaVersion != SchemaVersion() || len(m.Files) != 3 {
		t.Fatalf("manifest %+v", m)
	}
	for _, name := range []string{ArchiveLive, ArchiveTest} {
		if v, err := CheckFile(filepath.Join(dir, name)); err != nil || v != SchemaVersion() {
			t.Fatalf("CheckFile(%s) = %d, %v", name, v, err)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, ArchiveKey)); err != nil || fi.Size() != 32 || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret.key: %v %v", fi, err)
	}
	live := openAt(t, filepath.Join(dir, ArchiveLive), Options{})
	if _, err := live.Customer(ada.ID); err != nil {
		t.Fatalf("restored customer: %v", err)
	}
}

func TestArchiveWithAFlippedByteIsRefused(t *testing.T) {
	raw := archiveOf(t, nil)
	for _, at := range []int{20, len(raw) / 3, len(raw) / 2, len(raw) - 5} {
		bad := bytes.Clone(raw)
		bad[at] ^= 0x20
		_, err := VerifyArchive(bytes.NewReader(bad))
		if err == nil && bytes.Equal(gunzip(t, bad), gunzip(t, raw)) {
			continue // a flip in bits deflate never reads changes nothing: nothing to refuse
		}
		if !errors.Is(err, ErrBadArchive) {
			t.Errorf("byte %d of %d flipped: err = %v", at, len(raw), err)
		}
	}
	if _, err := VerifyArchive(bytes.NewReader(raw[:len(raw)-100])); !errors.Is(err, ErrBadArchive) {
		t.Errorf("truncated: err = %v", err)
	}
}

// rewrite re-packs an archive's entries through edit, which may change
// an entry's body or drop it (nil).
func rewrite(t *testing.T, raw []byte, edit func(name string, body []byte) []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	tw := tar.NewWriter(zw)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(tr)
		if body = edit(hdr.Name, body); body == nil {
			continue
		}
		hdr.Size = int64(len(body))
		tw.WriteHeader(hdr)
		tw.Write(body)
	}
	tw.Close()
	zw.Close()
	return out.Bytes()
}

func TestArchiveMustMatchItsManifest(t *testing.T) {
	raw := archiveOf(t, nil)
	cases := map[string]func(name string, body []byte) []byte{
		"changed key": func(name string, body []byte) []byte {
			if name == ArchiveKey {
				body[0] ^= 1
			}
			return body
		},
		"no manifest": func(name string, body []byte) []byte {
			if name == ArchiveManifest {
				return nil
			}
			return body
		},
		"no test store": func(name string, body []byte) []byte {
			if name == ArchiveTest {
				return nil
			}
			return body
		},
		"newer format": func(name string, body []byte) []byte {
			if name == ArchiveManifest {
				return bytes.Replace(body, []byte(`"format": 1`), []byte(`"format": 2`), 1)
			}
			return body
		},
	}
	for name, edit := range cases {
		if _, err := VerifyArchive(bytes.NewReader(rewrite(t, raw, edit))); !errors.Is(err, ErrBadArchive) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestArchiveWithAnUnexpectedPathIsRefused(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	tw.WriteHeader(&tar.Header{Name: "../live.db", Mode: 0o600, Size: 1, Typeflag: tar.TypeReg})
	tw.Write([]byte("x"))
	tw.Close()
	zw.Close()
	dir := t.TempDir()
	_, err := ExtractArchive(bytes.NewReader(buf.Bytes()), dir)
	if !errors.Is(err, ErrBadArchive) || !strings.Contains(err.Error(), "../live.db") {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "live.db")); err == nil {
		t.Fatal("a file was written outside the folder")
	}
}

func TestCheckFileRefusesAStoreFromANewerPortal(t *testing.T) {
	raw := archiveOf(t, func(live *Store) {
		err := live.db.Update(func(tx *bolt.Tx) error {
			return tx.Bucket(bucketMeta).Put(keyVersion, itob(uint64(SchemaVersion()+1)))
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	dir := t.TempDir()
	if _, err := ExtractArchive(bytes.NewReader(raw), dir); err != nil {
		t.Fatal(err)
	}
	if _, err := CheckFile(filepath.Join(dir, ArchiveLive)); !errors.Is(err, ErrTooNew) {
		t.Fatalf("err = %v, want ErrTooNew", err)
	}
	if _, err := CheckFile(filepath.Join(dir, ArchiveKey)); err == nil {
		t.Fatal("the key file passed as a store")
	}
}

func TestHoldFileSaysLockedWhileAStoreIsOpen(t *testing.T) {
	s := openTest(t)
	path := s.Path()
	if _, err := HoldFile(path, 100*time.Millisecond); !errors.Is(err, ErrLocked) {
		t.Fatalf("open store: err = %v", err)
	}
	s.Close()
	release, err := HoldFile(path, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path, Options{LockTimeout: 100 * time.Millisecond}); !errors.Is(err, ErrLocked) {
		t.Fatalf("Open while held: err = %v", err)
	}
	release()
	release, err = HoldFile(filepath.Join(t.TempDir(), "missing.db"), 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	release()
}

// gunzip is what an archive holds, or nil when it does not decompress.
func gunzip(t *testing.T, raw []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		return nil
	}
	return out
}
