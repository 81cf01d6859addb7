package store

import (
	"context"
	"errors"
	"image"
	"io"
	"io/fs"
	"net/http"
	"os"
	"time"

	"portal/internal/blobs"
	"portal/internal/thumb"

	bolt "go.etcd.io/bbolt"
)

// The store's attachment bytes: written before their record (PutFile), then
// counted by it (AddAttachment); a blob no record counts is collected after
// a grace period (CollectFiles), which is what makes an upload whose
// record never came — a refused owner, a crash — cost nothing for long.

// ErrTooLarge means an upload went past MaxAttachmentSize; nothing was kept.
var ErrTooLarge = errors.New("the file is larger than 20 MiB")

// StoredFile is a blob PutFile wrote, ready for AddAttachment.
type StoredFile struct {
	SHA256      string
	Size        int64
	ContentType string // sniffed from the first 512 bytes
	Thumbnail   string // the preview's blob, "" for none
	Width       *int
	Height      *int
}

// PutFile streams r (at most MaxAttachmentSize bytes) into the store's blob
// folder and, for a JPEG or PNG, makes its preview. Nothing is buffered
// beyond a copy buffer and the preview's one picture at a time. Too large →
// ErrTooLarge; a full disk → an *UnavailableError; either way nothing stays.
func (s *Store) PutFile(ctx context.Context, r io.Reader) (StoredFile, error) {
	b, err := s.files.Put(r, MaxAttachmentSize)
	switch {
	case errors.Is(err, blobs.ErrTooLarge):
		return StoredFile{}, ErrTooLarge
	case err != nil:
		return StoredFile{}, s.fileError(err)
	}
	f := StoredFile{SHA256: b.SHA256, Size: b.Size, ContentType: sniff(b.Head)}
	if f.ContentType == "image/jpeg" || f.ContentType == "image/png" {
		if err := s.preview(ctx, &f); err != nil {
			return StoredFile{}, err
		}
	}
	return f, nil
}

// sniff names the content type the bytes show (http.DetectContentType),
// without parameters; what a client claims is never asked.
func sniff(head []byte) string {
	ct := http.DetectContentType(head)
	for i := range len(ct) {
		if ct[i] == ';' {
			return ct[:i]
		}
	}
	return ct
}

// preview reads the picture's size from its header and stores a thumbnail.
// A picture that will not decode, or is too large to, simply has none; only
// a disk failure is an error.
func (s *Store) preview(ctx context.Context, f *StoredFile) error {
	cfg, orientation, err := s.blobConfig(f.SHA256, f.ContentType)
	if err != nil {
		return nil
	}
	w, h := cfg.Width, cfg.Height
	if thumb.Turned(orientation) { // the size as shown, upright
		w, h = h, w
	}
	f.Width, f.Height = &w, &h
	src, err := s.files.Open(f.SHA256)
	if err != nil {
		return s.fileError(err)
	}
	defer src.Close()
	jpg, err := s.thumbs.Make(ctx, src, f.ContentType, cfg, orientation)
	if err != nil {
		return ctx.Err() // a picture that does not decode gets no thumbnail; a gone request stops
	}
	tb, err := s.files.PutBytes(jpg)
	if err != nil {
		return s.fileError(err)
	}
	f.Thumbnail = tb.SHA256
	return nil
}

// blobConfig reads a picture's size and, for a JPEG, its EXIF orientation,
// from its header alone.
func (s *Store) blobConfig(sum, contentType string) (image.Config, int, error) {
	src, err := s.files.Open(sum)
	if err != nil {
		return image.Config{}, 0, err
	}
	defer src.Close()
	cfg, err := thumb.Config(src, contentType)
	if err != nil || contentType != "image/jpeg" {
		return cfg, 1, err
	}
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		return cfg, 1, err
	}
	return cfg, thumb.Orientation(src), nil
}

// fileError classifies a failed blob write as the store does a commit: a
// full or read-only disk is an *UnavailableError (the API's 503).
func (s *Store) fileError(err error) error {
	if diskFull(err, s.files.Root()) || errors.Is(err, fs.ErrPermission) {
		return &UnavailableError{Err: err}
	}
	return err
}

// OpenFile opens a blob of this store (an attachment's file or preview).
func (s *Store) OpenFile(sum string) (*os.File, error) {
	f, err := s.files.Open(sum)
	if errors.Is(err, blobs.ErrNotFound) {
		return nil, notFound("file")
	}
	return f, err
}

// FileGrace is how long an uncounted blob is kept: longer than any upload
// takes between its bytes and its record.
const FileGrace = time.Hour

// CollectFiles removes the blobs no attachment record counts (and temp
// files a crash left) that are older than grace, and says how many went.
// A blob younger than grace is an upload whose record is still coming.
func (s *Store) CollectFiles(grace time.Duration) (int, error) {
	return s.files.Collect(s.now().Add(-grace), func(sums []string) (map[string]bool, error) {
		used := map[string]bool{}
		err := s.view(func(tx *bolt.Tx) error {
			counts := tx.Bucket(bucketAttachmentBlobs)
			for _, sum := range sums {
				if counts.Get([]byte(sum)) != nil {
					used[sum] = true
				}
			}
			return nil
		})
		return used, err
	})
}
