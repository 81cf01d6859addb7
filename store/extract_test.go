package store

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
)

// archiveEntry is one file of a hand-made archive.
type archiveEntry struct {
	name string
	body []byte
}

// packArchive writes entries, then a manifest claiming sizes (by name;
// a name left out claims its real size).
func packArchive(t *testing.T, entries []archiveEntry, sizes map[string]int64) []byte {
	t.Helper()
	m := Manifest{Format: archiveFormat}
	for _, e := range entries {
		size, ok := sizes[e.name]
		if !ok {
			size = int64(len(e.body))
		}
		m.Files = append(m.Files, ManifestFile{Name: e.name, Size: size, SHA256: strings.Repeat("0", 64)})
	}
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range append(entries, archiveEntry{ArchiveManifest, raw}) {
		if err := tw.WriteHeader(&tar.Header{Name: e.name, Mode: 0o600, Size: int64(len(e.body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// bombArchive holds 8 MiB of zeros as live.db (a few KiB of gzip) under a
// manifest that says 10 bytes.
func bombArchive(t *testing.T) []byte {
	t.Helper()
	return packArchive(t, []archiveEntry{
		{ArchiveLive, make([]byte, 8<<20)},
		{ArchiveTest, []byte("test store")},
		{ArchiveKey, make([]byte, sealKeySize)},
	}, map[string]int64{ArchiveLive: 10})
}

// assertEmpty fails unless dir holds nothing at all.
func assertEmpty(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		fi, _ := e.Info()
		t.Errorf("%s was written (%d bytes)", e.Name(), fi.Size())
	}
}

func TestArchiveEntryLargerThanItsManifestIsRefusedBeforeItIsWritten(t *testing.T) {
	bomb := bombArchive(t)
	dir := t.TempDir()
	_, err := ExtractArchive(bytes.NewReader(bomb), dir)
	if !errors.Is(err, ErrBadArchive) || !strings.Contains(err.Error(), "live.db holds 8388608 bytes, the manifest says 10") {
		t.Fatalf("%d-byte archive inflating to 8 MiB: err = %v", len(bomb), err)
	}
	assertEmpty(t, dir)
}

// swappedReader reads one archive until it is rewound, then another: a file
// replaced between ExtractArchive's two passes.
type swappedReader struct {
	io.ReadSeeker
	then io.ReadSeeker
}

func (s *swappedReader) Seek(offset int64, whence int) (int64, error) {
	if s.then != nil {
		s.ReadSeeker, s.then = s.then, nil
	}
	return s.ReadSeeker.Seek(offset, whence)
}

func TestArchiveChangedBetweenThePassesIsHeldToTheFirstManifest(t *testing.T) {
	good := archiveOf(t, nil)
	dir := t.TempDir()
	_, err := ExtractArchive(&swappedReader{bytes.NewReader(good), bytes.NewReader(bombArchive(t))}, dir)
	if !errors.Is(err, ErrBadArchive) || !strings.Contains(err.Error(), "live.db holds 8388608 bytes") {
		t.Fatalf("err = %v", err)
	}
	assertEmpty(t, dir)
}
