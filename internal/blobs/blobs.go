// Package blobs keeps files under their SHA-256 in one folder: the bytes of
// attachments and their thumbnails. A name on disk is always a hash the
// package computed, never anything a user gave, so no upload can name a
// path. A blob is written to a temp file beside its place, synced, then
// renamed: a blob at its path is always whole.
package blobs

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// ErrTooLarge means a blob was longer than Put's limit; nothing was kept.
var ErrTooLarge = errors.New("blob larger than the limit")

// ErrNotFound means no blob has that hash.
var ErrNotFound = errors.New("no such blob")

// File is what a blob is written through: an *os.File, or in tests one
// that fails as a full disk does.
type File interface {
	io.Writer
	Sync() error
	Close() error
	Name() string
}

// Dir is a folder of blobs, laid out as <root>/<first two hex>/<sha256>,
// with uploads in flight as <root>/.tmp-* files. It is safe for concurrent
// use: two writers of the same bytes end with one blob.
type Dir struct {
	root string
	// createTemp opens a new temp file in dir; tests replace it to simulate
	// a full disk.
	createTemp func(dir, pattern string) (File, error)
	// mu keeps Collect from removing a blob that a writer is placing (or
	// finding already there) and that a backup is copying: writers and
	// backups hold it shared, Collect alone.
	mu sync.RWMutex
}

// New returns the blob folder at root; the folder is made on first write.
func New(root string) *Dir {
	return &Dir{root: root, createTemp: func(dir, pattern string) (File, error) { return os.CreateTemp(dir, pattern) }}
}

// WithCreateTemp returns d writing its temp files through create (tests).
func (d *Dir) WithCreateTemp(create func(dir, pattern string) (File, error)) *Dir {
	return &Dir{root: d.root, createTemp: create}
}

// Root is the folder.
func (d *Dir) Root() string { return d.root }

// tempPrefix starts the names of blobs being written.
const tempPrefix = ".tmp-"

// Blob is a blob as Put wrote it.
type Blob struct {
	SHA256 string
	Size   int64
	// Head is its first up to 512 bytes, for content sniffing.
	Head []byte
}

// ValidHash says whether s is a lower-case hex SHA-256: the only names Path accepts.
func ValidHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// Path is where the blob with hash sum lives; "" for a malformed hash.
func (d *Dir) Path(sum string) string {
	if !ValidHash(sum) {
		return ""
	}
	return filepath.Join(d.root, sum[:2], sum)
}

// Put copies r into a new blob, reading at most limit bytes (limit+1 bytes
// read means ErrTooLarge, and nothing is kept). The bytes are hashed as
// they stream, so memory stays at one copy buffer whatever the size. Any
// failure removes the temp file: a disk that fills up mid-write leaves
// nothing behind, and the error wraps the OS's (ENOSPC) for the caller to
// classify.
func (d *Dir) Put(r io.Reader, limit int64) (Blob, error) {
	if err := os.MkdirAll(d.root, 0o700); err != nil {
		return Blob{}, err
	}
	f, err := d.createTemp(d.root, tempPrefix+"*")
	if err != nil {
		return Blob{}, err
	}
	tmp := f.Name()
	b, err := d.fill(f, r, limit)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = d.place(tmp, b.SHA256)
	}
	if err != nil {
		os.Remove(tmp)
		return Blob{}, err
	}
	return b, nil
}

// fill copies r into f while hashing, keeps the head, and syncs.
func (d *Dir) fill(f File, r io.Reader, limit int64) (Blob, error) {
	sum := sha256.New()
	head := &headWriter{max: 512}
	n, err := io.Copy(io.MultiWriter(f, sum, head), io.LimitReader(r, limit+1))
	if err != nil {
		return Blob{}, err
	}
	if n > limit {
		return Blob{}, ErrTooLarge
	}
	if err := f.Sync(); err != nil {
		return Blob{}, err
	}
	return Blob{SHA256: hex.EncodeToString(sum.Sum(nil)), Size: n, Head: head.b}, nil
}

// place renames the synced temp file to the blob's path. A blob already
// there holds the same bytes (same hash), so the temp file is dropped.
//
// Placing (or finding) a blob marks it new: its modification time is now,
// so Collect's grace period starts again for a blob an old record left and
// a new upload is about to count.
func (d *Dir) place(tmp, sum string) error {
	d.mu.RLock()
	defer d.mu.RUnlock()
	dst := d.Path(sum)
	if _, err := os.Stat(dst); err == nil {
		now := time.Now()
		if err := os.Chtimes(dst, now, now); err != nil {
			return err
		}
		return os.Remove(tmp)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return err
	}
	if err := os.Rename(tmp, dst); err != nil {
		return err
	}
	return syncDir(filepath.Dir(dst))
}

// PutBytes stores small bytes (a thumbnail) as a blob.
func (d *Dir) PutBytes(b []byte) (Blob, error) {
	return d.Put(bytes.NewReader(b), int64(len(b)))
}

// Open opens the blob with hash sum for reading (ErrNotFound if absent).
func (d *Dir) Open(sum string) (*os.File, error) {
	p := d.Path(sum)
	if p == "" {
		return nil, ErrNotFound
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	return f, err
}

// Stat returns the blob's size (ErrNotFound if absent).
func (d *Dir) Stat(sum string) (int64, error) {
	p := d.Path(sum)
	if p == "" {
		return 0, ErrNotFound
	}
	fi, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// Entry is one file of the folder as Walk sees it.
type Entry struct {
	SHA256  string // "" for a temp file (an upload in flight, or one a crash left)
	Path    string
	ModTime time.Time
}

// Walk calls fn for every blob and temp file of the folder. Anything else
// (a stray file) is left alone and not reported.
func (d *Dir) Walk(fn func(Entry) error) error {
	err := filepath.WalkDir(d.root, func(path string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if de.IsDir() {
			return nil
		}
		name := de.Name()
		var sum string
		switch {
		case strings.HasPrefix(name, tempPrefix) && filepath.Dir(path) == d.root:
		case ValidHash(name) && d.Path(name) == path:
			sum = name
		default:
			return nil
		}
		info, err := de.Info()
		if err != nil {
			return nil // gone meanwhile
		}
		return fn(Entry{SHA256: sum, Path: path, ModTime: info.ModTime()})
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil // no folder yet: no blobs
	}
	return err
}

// Hold keeps Collect away until release is called: a backup holds it
// while it copies blobs its snapshot counts.
func (d *Dir) Hold() (release func()) {
	d.mu.RLock()
	return d.mu.RUnlock
}

// Collect removes the blobs modified before cutoff that referenced does not
// count, and the temp files older than cutoff (uploads a crash cut short),
// and says how many went. referenced gets the old blobs' hashes and returns
// those still in use. While a backup holds the folder, Collect does nothing
// (it runs again later) rather than make uploads wait behind it.
func (d *Dir) Collect(cutoff time.Time, referenced func(sums []string) (map[string]bool, error)) (int, error) {
	if !d.mu.TryLock() {
		return 0, nil
	}
	defer d.mu.Unlock()
	var old []Entry
	var sums []string
	err := d.Walk(func(e Entry) error {
		if e.ModTime.Before(cutoff) {
			old = append(old, e)
			if e.SHA256 != "" {
				sums = append(sums, e.SHA256)
			}
		}
		return nil
	})
	if err != nil || len(old) == 0 {
		return 0, err
	}
	used, err := referenced(sums)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range old {
		if e.SHA256 != "" && used[e.SHA256] {
			continue
		}
		if err := d.remove(e); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// remove deletes a file Walk reported (a blob or a temp file).
func (d *Dir) remove(e Entry) error {
	if !strings.HasPrefix(e.Path, d.root+string(filepath.Separator)) {
		return fmt.Errorf("blobs: %s is not in %s", e.Path, d.root)
	}
	err := os.Remove(e.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// headWriter keeps the first max bytes written to it.
type headWriter struct {
	b   []byte
	max int
}

func (h *headWriter) Write(p []byte) (int, error) {
	if room := h.max - len(h.b); room > 0 {
		h.b = append(h.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}
