package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"portal/internal/blobs"
)

func TestCleanFilenameKeepsOnlyADisplayName(t *testing.T) {
	long := strings.Repeat("a", 300) + ".jpeg"
	for in, want := range map[string]string{
		"IMG_0012.jpg":               "IMG_0012.jpg",
		"../../etc/passwd":           "passwd",
		`C:\Users\sam\photo.png`:     "photo.png",
		"photo\x00.jpg":              "photo.jpg",
		"invoice\u202egpj.exe":       "invoicegpj.exe",
		" ..hidden.. ":               "hidden",
		"say \"hi\".txt":             "say hi.txt",
		"/":                          "",
		"...":                        "",
		long:                         strings.Repeat("a", maxFilename-5) + ".jpeg",
		"résumé – Ünïcode ✓.pdf":     "résumé – Ünïcode ✓.pdf",
		"tab\tand\nnewline.txt":      "tabandnewline.txt",
		"bad utf8 \xff\xfe name.txt": "bad utf8  name.txt",
	} {
		if got := CleanFilename(in); got != want {
			t.Errorf("CleanFilename(%q) = %q, want %q", in, got, want)
		}
	}
}

// attachTo stores content and records it on the customer.
func attachTo(t *testing.T, s *Store, customerID uint64, name string, content []byte) Attachment {
	t.Helper()
	ctx := context.Background()
	f, err := s.PutFile(ctx, bytes.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.AddAttachment(ctx, AttachmentInput{OwnerType: "customer", OwnerID: customerID, Filename: name}, f)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// age sets a blob's modification time.
func age(t *testing.T, s *Store, sum string, at time.Time) {
	t.Helper()
	if err := os.Chtimes(s.files.Path(sum), at, at); err != nil {
		t.Fatal(err)
	}
}

func exists(s *Store, sum string) bool {
	_, err := os.Stat(s.files.Path(sum))
	return err == nil
}

// Issue 16: a file no record points to is collected, once older than the
// grace period; one still referenced, or young (an upload whose record is
// coming), stays.
func TestUnreferencedFileIsCollectedAfterTheGracePeriod(t *testing.T) {
	s, clock := openTestClock(t)
	ctx := context.Background()
	c := mustCustomer(t, s, CustomerInput{Name: "Ada"})
	kept := attachTo(t, s, c.ID, "kept.txt", []byte("kept"))
	gone := attachTo(t, s, c.ID, "gone.txt", []byte("gone"))
	if err := s.DeleteAttachment(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	inflight, err := s.PutFile(ctx, strings.NewReader("in flight"))
	if err != nil {
		t.Fatal(err)
	}
	old := clock.Now().Add(-2 * FileGrace)
	age(t, s, kept.SHA256, old)
	age(t, s, gone.SHA256, old)
	age(t, s, inflight.SHA256, clock.Now().Add(-FileGrace/2))

	n, err := s.CollectFiles(FileGrace)
	if err != nil || n != 1 {
		t.Fatalf("collected %d (%v), want the deleted attachment's file", n, err)
	}
	if exists(s, gone.SHA256) || !exists(s, kept.SHA256) || !exists(s, inflight.SHA256) {
		t.Errorf("after collection: gone %v, kept %v, in flight %v", exists(s, gone.SHA256), exists(s, kept.SHA256), exists(s, inflight.SHA256))
	}
	// The same bytes uploaded again make the old blob new: never collected
	// between its upload and its record.
	clock.Advance(FileGrace)
	again, err := s.PutFile(ctx, strings.NewReader("in flight"))
	if err != nil || again.SHA256 != inflight.SHA256 {
		t.Fatal(err)
	}
	if n, _ := s.CollectFiles(FileGrace); n != 0 || !exists(s, inflight.SHA256) {
		t.Errorf("a blob just uploaded again was collected")
	}
}

// Deleting a customer deletes its attachments' records in the same
// transaction; their files go at the next collection.
func TestDeletingACustomerDeletesItsAttachments(t *testing.T) {
	s, clock := openTestClock(t)
	c := mustCustomer(t, s, CustomerInput{Name: "Ada"})
	other := mustCustomer(t, s, CustomerInput{Name: "Grace"})
	a := attachTo(t, s, c.ID, "form.pdf", []byte("%PDF-1.4 form"))
	shared := attachTo(t, s, c.ID, "same.txt", []byte("same bytes"))
	b := attachTo(t, s, other.ID, "same.txt", []byte("same bytes"))
	if err := s.DeleteCustomer(context.Background(), c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Attachment(a.ID); err == nil {
		t.Error("the deleted customer's attachment is still there")
	}
	if _, err := s.Attachment(b.ID); err != nil {
		t.Errorf("another customer's attachment went: %v", err)
	}
	age(t, s, a.SHA256, clock.Now().Add(-2*FileGrace))
	age(t, s, shared.SHA256, clock.Now().Add(-2*FileGrace))
	if n, err := s.CollectFiles(FileGrace); n != 1 || err != nil || exists(s, a.SHA256) || !exists(s, shared.SHA256) {
		t.Errorf("collected %d (%v): the form's file %v, the shared file %v", n, err, exists(s, a.SHA256), exists(s, shared.SHA256))
	}
}

// A JPEG photo gets its size and a preview at most 320 pixels wide; a
// picture whose header claims too many pixels is never decoded.
func TestPhotosGetThumbnailsAndHugeOnesAreNotDecoded(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	img := image.NewRGBA(image.Rect(0, 0, 1200, 1600))
	for y := 0; y < 1600; y++ {
		for x := 0; x < 1200; x++ {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 90, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	f, err := s.PutFile(ctx, &buf)
	if err != nil {
		t.Fatal(err)
	}
	if f.ContentType != "image/jpeg" || f.Thumbnail == "" || *f.Width != 1200 || *f.Height != 1600 {
		t.Fatalf("stored %+v", f)
	}
	th, err := s.OpenFile(f.Thumbnail)
	if err != nil {
		t.Fatal(err)
	}
	defer th.Close()
	cfg, err := jpeg.DecodeConfig(th)
	if err != nil || cfg.Width != 240 || cfg.Height != 320 {
		t.Errorf("thumbnail %+v %v", cfg, err)
	}

	start := time.Now()
	huge, err := s.PutFile(ctx, bytes.NewReader(pngHeader(100_000, 100_000)))
	if err != nil {
		t.Fatal(err)
	}
	if huge.ContentType != "image/png" || huge.Thumbnail != "" || *huge.Width != 100_000 {
		t.Errorf("huge picture stored as %+v", huge)
	}
	if time.Since(start) > time.Second {
		t.Errorf("a huge picture took %v: was it decoded?", time.Since(start))
	}
}

// pngHeader is the start of a PNG of w×h pixels: enough for its header, no pixels.
func pngHeader(w, h uint32) []byte {
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

// The same bytes are stored once, however often they are attached.
func TestSameBytesAreStoredOnce(t *testing.T) {
	s := openTest(t)
	c := mustCustomer(t, s, CustomerInput{Name: "Ada"})
	a := attachTo(t, s, c.ID, "a.txt", []byte("same"))
	b := attachTo(t, s, c.ID, "b.txt", []byte("same"))
	if a.SHA256 != b.SHA256 || a.ID == b.ID {
		t.Fatalf("%+v %+v", a, b)
	}
	n := 0
	s.files.Walk(func(blobs.Entry) error { n++; return nil })
	if n != 1 {
		t.Errorf("%d files for one content", n)
	}
}

// A phone's portrait photo, stored on its side with EXIF orientation 6, is
// described as shown: taller than wide, its preview upright.
func TestPortraitPhotoIsDescribedUpright(t *testing.T) {
	s := openTest(t)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 800, 600)), nil); err != nil {
		t.Fatal(err)
	}
	tiff := []byte("II\x2a\x00\x08\x00\x00\x00\x01\x00")                            // little-endian, IFD0 at 8, one entry
	tiff = append(tiff, 0x12, 0x01, 0x03, 0x00, 1, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0) // Orientation = 6
	seg := append([]byte("Exif\x00\x00"), tiff...)
	app1 := append([]byte{0xFF, 0xE1, byte((len(seg) + 2) >> 8), byte(len(seg) + 2)}, seg...)
	raw := append(append([]byte{0xFF, 0xD8}, app1...), buf.Bytes()[2:]...)
	f, err := s.PutFile(context.Background(), bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if *f.Width != 600 || *f.Height != 800 || f.Thumbnail == "" {
		t.Fatalf("stored %dx%d, thumbnail %q; want 600x800 as shown", *f.Width, *f.Height, f.Thumbnail)
	}
	th, err := s.OpenFile(f.Thumbnail)
	if err != nil {
		t.Fatal(err)
	}
	defer th.Close()
	if cfg, err := jpeg.DecodeConfig(th); err != nil || cfg.Width != 240 || cfg.Height != 320 {
		t.Errorf("thumbnail %+v %v, want 240x320", cfg, err)
	}
}

// A customer's new file is customer.attachment_added with the attachment; a
// change is attachment.updated with the id alone, so files.read learns no
// owner from it.
func TestAttachmentEventsNameTheOwnerOnlyWhereItsScopeGuards(t *testing.T) {
	s, _ := openTestClock(t)
	c := mustCustomer(t, s, CustomerInput{Name: "Ada"})
	var a Attachment
	added := expectEvents(t, s, []string{"customer.attachment_added"}, func() error {
		a = attachTo(t, s, c.ID, "id.png", []byte("not really a png"))
		return nil
	})
	d := dataOf(t, added[0])
	if string(d["customer_id"]) != fmt.Sprint(c.ID) || !strings.Contains(string(d["attachment"]), `"filename":"id.png"`) {
		t.Errorf("customer.attachment_added data %s", added[0].Data)
	}
	if got := EventScopes("customer.attachment_added"); !slices.Equal(got, []string{"customers.read", "files.read"}) {
		t.Errorf("customer.attachment_added is guarded by %v", got)
	}
	visible := true
	changed := expectEvents(t, s, []string{"attachment.updated"}, func() error {
		_, err := s.UpdateAttachment(context.Background(), a.ID, AttachmentPatch{CustomerVisible: &visible})
		return err
	})
	if got := string(changed[0].Data); got != fmt.Sprintf(`{"attachment_id":%d}`, a.ID) {
		t.Errorf("attachment.updated data %s, want the id alone", got)
	}
}
