package store

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"portal/internal/blobs"

	bolt "go.etcd.io/bbolt"
)

// Attachment files in a backup archive: one entry per blob a store's
// snapshot counts, named files/<mode>/<sha256> after the data files and
// before the manifest, which lists each with its size and checksum. An
// archive made before attachments holds none and restores as it always did.

// blobEntryName is a blob's name in an archive.
func blobEntryName(mode Mode, sum string) string { return "files/" + string(mode) + "/" + sum }

// parseBlobEntry reads an archive entry name as a blob's: the store's mode
// and the hash, which must be well formed (nothing else can name a path).
func parseBlobEntry(name string) (Mode, string, bool) {
	rest, ok := strings.CutPrefix(name, "files/")
	if !ok {
		return "", "", false
	}
	mode, sum, ok := strings.Cut(rest, "/")
	if !ok || (mode != string(Live) && mode != string(Test)) || !blobs.ValidHash(sum) {
		return "", "", false
	}
	return Mode(mode), sum, true
}

// archivePath is where an archive entry goes under a data folder (or a
// restore's staging folder): data files at the top, a blob in the folder
// layout its store reads (files/<mode>/<ab>/<sha256>).
func archivePath(dir, name string) string {
	if mode, sum, ok := parseBlobEntry(name); ok {
		return blobs.New(filepath.Join(dir, "files", string(mode))).Path(sum)
	}
	return filepath.Join(dir, name)
}

// countedBlobs lists the blobs a store's records count (a store from
// before attachments has none), in hash order.
func countedBlobs(tx *bolt.Tx) []string {
	b := tx.Bucket(bucketAttachmentBlobs)
	if b == nil {
		return nil
	}
	var out []string
	b.ForEach(func(k, _ []byte) error {
		out = append(out, string(k))
		return nil
	})
	return out
}

// addBlob writes one of the store's blobs into the archive through add.
func addBlob(s *Store, sum string, add func(name string, size int64, write func(io.Writer) error) error) error {
	f, err := s.files.Open(sum)
	if err != nil {
		return fmt.Errorf("backup: the %s store's file %s: %w", s.mode, sum, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	return add(blobEntryName(s.mode, sum), fi.Size(), func(w io.Writer) error {
		_, err := io.Copy(w, io.NewSectionReader(f, 0, fi.Size()))
		return err
	})
}
