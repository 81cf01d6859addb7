package store

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// A backup archive is a gzip'd tar of exactly these files, in this order.
// The manifest comes last because its checksums are computed while the
// stores stream: nothing is spooled, in memory or on disk.
const (
	ArchiveLive     = "live.db"
	ArchiveTest     = "test.db"
	ArchiveKey      = "secret.key"
	ArchiveManifest = "manifest.json"
)

// ArchiveFiles are the data files an archive holds, in order.
var ArchiveFiles = []string{ArchiveLive, ArchiveTest, ArchiveKey}

// archiveFormat is the manifest's format number; readers refuse others.
const archiveFormat = 1

// sealKeySize is the length of the Sealer's AES-256 key file.
const sealKeySize = 32

// Manifest describes an archive: who wrote it, when, and each file's size
// and SHA-256, so a restore can prove the archive intact before it touches
// anything.
type Manifest struct {
	Format        int            `json:"format"`
	PortalVersion string         `json:"portal_version"`
	SchemaVersion int            `json:"schema_version"`
	CreatedAt     time.Time      `json:"created_at"`
	Files         []ManifestFile `json:"files"`
}

// ManifestFile is one file of an archive.
type ManifestFile struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// ArchiveName is the file name of a backup made at t: it sorts by time.
func ArchiveName(t time.Time) string {
	return "portal-" + t.UTC().Format("20060102-150405") + ".tar.gz"
}

// ArchiveSource is what WriteArchive reads.
type ArchiveSource struct {
	Live, Test *Store
	KeyFile    string // the Sealer's key file: without it sealed secrets are lost
	Version    string // the portal binary's version, for the manifest
	Now        func() time.Time
}

// WriteArchive streams a backup of both stores and the seal key to w. Each
// store is copied by bbolt's Tx.WriteTo inside one read transaction, so the
// copy is consistent while writers go on; that transaction lives as long as
// the copy, which the large initial mmap keeps from blocking any writer.
// Nothing reaches w before the key file has been read, so a caller can
// still answer an early failure with an error instead of a broken file.
func WriteArchive(ctx context.Context, w io.Writer, src ArchiveSource) (Manifest, error) {
	if src.Now == nil {
		src.Now = time.Now
	}
	key, err := os.ReadFile(src.KeyFile)
	if err != nil {
		return Manifest{}, fmt.Errorf("backup: seal key: %w", err)
	}
	m := Manifest{Format: archiveFormat, PortalVersion: src.Version, SchemaVersion: SchemaVersion(),
		CreatedAt: src.Now().UTC().Truncate(time.Second)}
	zw := gzip.NewWriter(ctxWriter{ctx, w})
	tw := tar.NewWriter(zw)
	add := func(name string, size int64, write func(io.Writer) error) error {
		hdr := &tar.Header{Name: name, Mode: 0o600, Size: size, ModTime: m.CreatedAt, Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		sum := sha256.New()
		if err := write(io.MultiWriter(tw, sum)); err != nil {
			return fmt.Errorf("backup: %s: %w", name, err)
		}
		m.Files = append(m.Files, ManifestFile{Name: name, Size: size, SHA256: hex.EncodeToString(sum.Sum(nil))})
		return nil
	}
	// Each store's attachment files are those its snapshot counts; the
	// folder is held so that collection removes none of them until copied.
	var blobs [2][]string
	for i, s := range []struct {
		name  string
		store *Store
	}{{ArchiveLive, src.Live}, {ArchiveTest, src.Test}} {
		release := s.store.files.Hold()
		defer release()
		err := s.store.view(func(tx *bolt.Tx) error {
			blobs[i] = countedBlobs(tx)
			return add(s.name, tx.Size(), func(w io.Writer) error {
				_, err := tx.WriteTo(w)
				return err
			})
		})
		if err != nil {
			return m, err
		}
	}
	err = add(ArchiveKey, int64(len(key)), func(w io.Writer) error {
		_, err := w.Write(key)
		return err
	})
	if err != nil {
		return m, err
	}
	for i, st := range []*Store{src.Live, src.Test} {
		for _, sum := range blobs[i] {
			if err := addBlob(st, sum, add); err != nil {
				return m, err
			}
		}
	}
	raw, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return m, err
	}
	if err := tw.WriteHeader(&tar.Header{Name: ArchiveManifest, Mode: 0o600, Size: int64(len(raw)),
		ModTime: m.CreatedAt, Typeflag: tar.TypeReg}); err != nil {
		return m, err
	}
	if _, err := tw.Write(raw); err != nil {
		return m, err
	}
	if err := tw.Close(); err != nil {
		return m, err
	}
	return m, zw.Close()
}

// ctxWriter fails writes once ctx ends, so a cancelled backup lets go of
// its read transaction at the next block.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}

// ErrBadArchive means an archive is damaged or is not a Portal backup.
var ErrBadArchive = errors.New("not an intact portal backup")

func badArchive(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrBadArchive, fmt.Sprintf(format, a...))
}

// VerifyArchive reads a whole archive and checks it against its manifest:
// gzip and tar intact, exactly the expected files, sizes and checksums.
func VerifyArchive(r io.Reader) (Manifest, error) {
	raw, seen, err := walkArchive(r, hashEntry(func(string) (io.Writer, func() error, error) {
		return io.Discard, func() error { return nil }, nil
	}, nil))
	if err != nil {
		return Manifest{}, err
	}
	m, err := parseManifest(raw)
	if err != nil {
		return m, err
	}
	return m, m.check(seen, true)
}

// maxManifest bounds what is read into memory for the manifest: each
// attachment file is a line of about 150 bytes, so some 200,000 files.
const maxManifest = 32 << 20

// entryFunc reads one data entry of an archive (its header already
// checked) and describes what it held.
type entryFunc func(hdr *tar.Header, tr *tar.Reader) (ManifestFile, error)

// walkArchive reads an archive to its end: the expected regular files, each
// at most once, then the manifest, whose bytes it returns with what entry
// made of each file. An entry that entry does not read is skipped unread
// (the tar reader discards it).
func walkArchive(r io.Reader, entry entryFunc) ([]byte, map[string]ManifestFile, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, nil, badArchive("gzip: %v", err)
	}
	tr := tar.NewReader(zr)
	seen := map[string]ManifestFile{}
	var manifest []byte
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, badArchive("tar: %v", err)
		}
		if manifest != nil {
			return nil, nil, badArchive("%s follows the manifest", hdr.Name)
		}
		if hdr.Typeflag != tar.TypeReg {
			return nil, nil, badArchive("%s is not a regular file", hdr.Name)
		}
		if hdr.Name == ArchiveManifest {
			if hdr.Size > maxManifest {
				return nil, nil, badArchive("manifest of %d bytes", hdr.Size)
			}
			if manifest, err = io.ReadAll(tr); err != nil {
				return nil, nil, badArchive("manifest: %v", err)
			}
			continue
		}
		if !isArchiveFile(hdr.Name) {
			return nil, nil, badArchive("unexpected file %q", hdr.Name)
		}
		if _, dup := seen[hdr.Name]; dup {
			return nil, nil, badArchive("%s twice", hdr.Name)
		}
		f, err := entry(hdr, tr)
		if err != nil {
			return nil, nil, err
		}
		seen[hdr.Name] = f
	}
	// The tar reader stops at the end-of-archive marker; reading gzip to
	// its end is what checks the gzip trailer's CRC and length.
	if _, err := io.Copy(io.Discard, zr); err != nil {
		return nil, nil, badArchive("gzip: %v", err)
	}
	if manifest == nil {
		return nil, nil, badArchive("no %s", ArchiveManifest)
	}
	return manifest, seen, nil
}

func parseManifest(raw []byte) (Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return m, badArchive("manifest: %v", err)
	}
	return m, nil
}

func isArchiveFile(name string) bool {
	for _, n := range ArchiveFiles {
		if n == name {
			return true
		}
	}
	_, _, ok := parseBlobEntry(name)
	return ok
}

type sink func(name string) (w io.Writer, done func() error, err error)

// hashEntry streams each entry into the sink, hashing it. With limits (the
// manifest's sizes) an entry the manifest does not list, or one larger than
// it says, is refused before the sink is opened, and no more than its size
// and one byte is ever read: a small archive cannot make a restore write
// gigabytes before its checksum fails.
func hashEntry(open sink, limits map[string]int64) entryFunc {
	return func(hdr *tar.Header, tr *tar.Reader) (ManifestFile, error) {
		limit := int64(-1)
		if limits != nil {
			size, listed := limits[hdr.Name]
			if !listed {
				return ManifestFile{}, badArchive("%s is not listed in the manifest", hdr.Name)
			}
			if hdr.Size > size {
				return ManifestFile{}, badArchive("%s holds %d bytes, the manifest says %d", hdr.Name, hdr.Size, size)
			}
			limit = size
		}
		w, done, err := open(hdr.Name)
		if err != nil {
			return ManifestFile{}, err
		}
		var src io.Reader = tr
		if limit >= 0 {
			src = io.LimitReader(tr, limit+1)
		}
		sum := sha256.New()
		n, err := io.Copy(io.MultiWriter(w, sum), src)
		if cerr := done(); err == nil && cerr != nil {
			return ManifestFile{}, cerr
		}
		if err != nil {
			return ManifestFile{}, badArchive("%s: %v", hdr.Name, err)
		}
		if limit >= 0 && n > limit {
			return ManifestFile{}, badArchive("%s is larger than the manifest's %d bytes", hdr.Name, limit)
		}
		return ManifestFile{Name: hdr.Name, Size: n, SHA256: hex.EncodeToString(sum.Sum(nil))}, nil
	}
}

// check compares the manifest with what the archive held: its sizes, and
// with sums its checksums too.
func (m Manifest) check(seen map[string]ManifestFile, sums bool) error {
	if m.Format != archiveFormat {
		return badArchive("manifest format %d, this portal reads %d", m.Format, archiveFormat)
	}
	listed := map[string]ManifestFile{}
	for _, f := range m.Files {
		if !isArchiveFile(f.Name) {
			return badArchive("the manifest lists %q, which no archive holds", f.Name)
		}
		if _, dup := listed[f.Name]; dup {
			return badArchive("the manifest lists %s twice", f.Name)
		}
		listed[f.Name] = f
	}
	for _, name := range ArchiveFiles {
		if _, ok := listed[name]; !ok {
			return badArchive("the manifest does not list %s", name)
		}
	}
	for name := range seen {
		if _, ok := listed[name]; !ok {
			return badArchive("%s is not listed in the manifest", name)
		}
	}
	// Every listed file must be there and match; an attachment file's
	// name is its own checksum, so it is checked against that too.
	for name, want := range listed {
		got, ok := seen[name]
		if !ok {
			return badArchive("no %s", name)
		}
		if got.Size != want.Size {
			return badArchive("%s holds %d bytes, the manifest says %d", name, got.Size, want.Size)
		}
		if sums && got.SHA256 != want.SHA256 {
			return badArchive("%s does not match the manifest's checksum", name)
		}
		if _, sum, blob := parseBlobEntry(name); blob && sums && got.SHA256 != sum {
			return badArchive("%s does not hold the file its name promises", name)
		}
		if name == ArchiveKey && got.Size != sealKeySize {
			return badArchive("%s holds %d bytes, a seal key %d", name, got.Size, sealKeySize)
		}
	}
	return nil
}

// CheckFile opens the store file at path read-only, without migrating it,
// and checks that this binary can open it: bbolt's page consistency check
// passes and its schema is not newer than SchemaVersion (ErrTooNew). It
// returns the file's schema version.
func CheckFile(path string) (int, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if errors.Is(err, berrors.ErrTimeout) {
		return 0, fmt.Errorf("%s: %w", path, ErrLocked)
	}
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	defer db.Close()
	var have int
	err = db.View(func(tx *bolt.Tx) error {
		// Drain every error: Check's goroutine reads pages until it is done.
		var first error
		for err := range tx.Check() {
			if first == nil {
				first = err
			}
		}
		if first != nil {
			return first
		}
		if b := tx.Bucket(bucketMeta); b != nil {
			if v := b.Get(keyVersion); len(v) == 8 {
				have = int(btoi(v))
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	if have == 0 {
		return 0, fmt.Errorf("%s: not a portal store (no schema version)", path)
	}
	if have > SchemaVersion() {
		return have, fmt.Errorf("%s: %w (schema %d, this binary knows %d)", path, ErrTooNew, have, SchemaVersion())
	}
	return have, nil
}

// HoldFile takes a shared lock on the store file at path, the lock a
// running server holds exclusively, so that no server can open the file
// until release is called. ErrLocked means a process has it open. A file
// that is missing or unreadable (a damaged store no server can run on)
// holds nothing.
func HoldFile(path string, timeout time.Duration) (release func(), err error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: timeout})
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return nil, fmt.Errorf("%s: %w", path, ErrLocked)
	case err != nil:
		return func() {}, nil
	}
	return func() { db.Close() }, nil
}
