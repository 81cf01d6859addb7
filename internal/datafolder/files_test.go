package datafolder

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"portal/store"
)

// attach stores content as an attachment of a new customer of s.
func attach(t *testing.T, s *store.Store, name string, content []byte) store.Attachment {
	t.Helper()
	ctx := context.Background()
	c, err := s.CreateCustomer(ctx, store.CustomerInput{Name: "Ada " + name})
	if err != nil {
		t.Fatal(err)
	}
	f, err := s.PutFile(ctx, bytes.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.AddAttachment(ctx, store.AttachmentInput{OwnerType: "customer", OwnerID: c.ID, Filename: name}, f)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// fileSum is the SHA-256 of the store's blob sum, read back.
func fileSum(t *testing.T, s *store.Store, sum string) string {
	t.Helper()
	f, err := s.OpenFile(sum)
	if err != nil {
		t.Fatalf("%s store, file %s: %v", s.Mode(), sum, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func smallPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 400, 300))
	img.Set(10, 10, color.RGBA{255, 0, 0, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Issue 16's proof: a backup holding attachments restores into a fresh
// folder with every file intact, live and test apart, thumbnails too.
func TestBackupWithAttachmentsRestoresIntoAFreshFolder(t *testing.T) {
	src := Dir(t.TempDir())
	dirs, err := src.Open(time.Second)
	if err != nil {
		t.Fatal(err)
	}
	live := []store.Attachment{attach(t, dirs.Live, "photo.png", smallPNG(t)), attach(t, dirs.Live, "report.bin", randomBytes(t, 3<<20))}
	test := []store.Attachment{attach(t, dirs.Test, "test.bin", randomBytes(t, 1000))}
	deleted := attach(t, dirs.Live, "gone.bin", randomBytes(t, 500))
	if err := dirs.Live.DeleteAttachment(context.Background(), deleted.ID); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(t.TempDir(), "backup.tar.gz")
	if _, err := WriteArchiveFile(archive, func(w io.Writer) error { return dirs.Archiver("test")(context.Background(), w) }); err != nil {
		t.Fatal(err)
	}
	dirs.Close()

	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	m, err := store.VerifyArchive(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, mf := range m.Files {
		if strings.HasPrefix(mf.Name, "files/") {
			names = append(names, mf.Name)
		}
	}
	// Two live files, one preview, one test file; the deleted one stays out.
	if len(names) != 4 || !strings.Contains(strings.Join(names, " "), "files/test/"+test[0].SHA256) {
		t.Fatalf("archived files %v", names)
	}

	fresh := Dir(filepath.Join(t.TempDir(), "fresh"))
	if _, err := fresh.Restore(archive, time.Now()); err != nil {
		t.Fatal(err)
	}
	got, err := fresh.Open(time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	for _, c := range []struct {
		s   *store.Store
		all []store.Attachment
	}{{got.Live, live}, {got.Test, test}} {
		for _, a := range c.all {
			back, err := c.s.Attachment(a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if sum := fileSum(t, c.s, back.SHA256); sum != a.SHA256 {
				t.Errorf("%s: restored file hashes to %s", a.Filename, sum)
			}
			if a.ThumbnailSHA256 != "" && fileSum(t, c.s, a.ThumbnailSHA256) != a.ThumbnailSHA256 {
				t.Errorf("%s: thumbnail damaged", a.Filename)
			}
		}
	}
	if _, err := got.Test.OpenFile(live[1].SHA256); err == nil {
		t.Error("a live file restored into the test store")
	}
}

// An archive whose attachment file was changed is refused before anything
// is touched; an archive without files (older, or of a shop without
// attachments) still restores, replacing the folder's files.
func TestArchiveFilesAreCheckedAndOldArchivesRestore(t *testing.T) {
	d := Dir(t.TempDir())
	dirs, err := d.Open(time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var plain bytes.Buffer
	if err := dirs.Archiver("test")(context.Background(), &plain); err != nil {
		t.Fatal(err)
	}
	a := attach(t, dirs.Live, "x.bin", bytes.Repeat([]byte("attachment "), 1000))
	var withFile bytes.Buffer
	if err := dirs.Archiver("test")(context.Background(), &withFile); err != nil {
		t.Fatal(err)
	}
	dirs.Close()

	// A file whose bytes differ from its name and checksum: rewrite the
	// archive with one byte of the attachment changed.
	bad := rewriteEntry(t, withFile.Bytes(), "files/live/"+a.SHA256, func(b []byte) { b[0] ^= 1 })
	if _, err := store.VerifyArchive(bytes.NewReader(bad)); !errors.Is(err, store.ErrBadArchive) {
		t.Errorf("changed attachment file: %v", err)
	}
	path := filepath.Join(t.TempDir(), "bad.tar.gz")
	os.WriteFile(path, bad, 0o600)
	if _, err := d.Restore(path, time.Now()); err == nil {
		t.Error("restored an archive with a changed file")
	}

	old := filepath.Join(t.TempDir(), "old.tar.gz")
	os.WriteFile(old, plain.Bytes(), 0o600)
	res, err := d.Restore(old, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(res.KeptIn, "files", "live", a.SHA256[:2], a.SHA256)); err != nil {
		t.Errorf("the replaced files were not kept: %v", err)
	}
	if _, err := os.Stat(filepath.Join(d.Files(), "live", a.SHA256[:2], a.SHA256)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a file the restored stores do not know stayed: %v", err)
	}
}
