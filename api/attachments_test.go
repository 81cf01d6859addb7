package api_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"portal/store"
)

// attachment is the wire shape of an attachment.
type attachment struct {
	ID              uint64 `json:"id"`
	OwnerType       string `json:"owner_type"`
	OwnerID         uint64 `json:"owner_id"`
	Filename        string `json:"filename"`
	Size            int64  `json:"size"`
	ContentType     string `json:"content_type"`
	SHA256          string `json:"sha256"`
	CustomerVisible bool   `json:"customer_visible"`
	Thumbnail       bool   `json:"thumbnail"`
	Width           *int   `json:"width"`
	Height          *int   `json:"height"`
	UploadedBy      string `json:"uploaded_by"`
}

type fileURLs struct {
	URL          string  `json:"url"`
	ThumbnailURL *string `json:"thumbnail_url"`
	ExpiresAt    string  `json:"expires_at"`
}

// multipartFile is an upload's body: the file in part file, then the
// extra parts (name, value pairs).
func multipartFile(t testing.TB, filename string, content io.Reader, extra ...string) (io.Reader, string) {
	t.Helper()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		fw, err := mw.CreateFormFile("file", filename)
		if err == nil {
			_, err = io.Copy(fw, content)
		}
		for i := 0; err == nil && i+1 < len(extra); i += 2 {
			err = mw.WriteField(extra[i], extra[i+1])
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	return pr, mw.FormDataContentType()
}

// upload attaches content to the record at owner ("/tickets/3").
func (c *client) upload(owner, filename string, content []byte, extra ...string) *response {
	c.t.Helper()
	body, ct := multipartFile(c.t, filename, bytes.NewReader(content), extra...)
	return c.api(http.MethodPost, owner+"/attachments", body, "Content-Type", ct)
}

// pngOf is a w×h PNG.
func pngOf(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 200, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// fetch GETs a signed URL with no key.
func fetch(t *testing.T, u string) (*http.Response, []byte) {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, body
}

func TestPhotoOnATicketUploadsListsAndDownloadsInline(t *testing.T) {
	t.Parallel()
	ts, c := newServer(t, internalKey)
	tk := c.newTicket(c.newCustomer("Ada Lovelace").ID, nil)
	owner := fmt.Sprintf("/tickets/%d", tk.ID)
	photo := pngOf(t, 640, 480)

	var a attachment
	c.upload(owner, "../../etc/IMG_\u202e0012.png", photo, "customer_visible", "true").ok(http.StatusCreated, &a)
	if a.OwnerType != "ticket" || a.OwnerID != tk.ID || a.Filename != "IMG_0012.png" || a.Size != int64(len(photo)) ||
		a.ContentType != "image/png" || !a.CustomerVisible || !a.Thumbnail || a.Width == nil || *a.Width != 640 || *a.Height != 480 {
		t.Fatalf("attachment %+v", a)
	}
	var list []attachment
	c.get(owner+"/attachments").ok(http.StatusOK, &list)
	if len(list) != 1 || list[0].ID != a.ID {
		t.Fatalf("list %+v", list)
	}

	var u fileURLs
	c.get(fmt.Sprintf("/attachments/%d/url", a.ID)).ok(http.StatusOK, &u)
	if u.ThumbnailURL == nil || !strings.Contains(u.URL, "/files/live/") {
		t.Fatalf("urls %+v", u)
	}
	res, body := fetch(t, u.URL)
	if res.StatusCode != http.StatusOK || !bytes.Equal(body, photo) {
		t.Fatalf("download: %d, %d bytes", res.StatusCode, len(body))
	}
	h := res.Header
	if h.Get("Content-Type") != "image/png" || !strings.HasPrefix(h.Get("Content-Disposition"), "inline") ||
		h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Content-Security-Policy") != "default-src 'none'; sandbox" {
		t.Errorf("image headers %v", h)
	}
	res, body = fetch(t, *u.ThumbnailURL)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("thumbnail: %d %v", res.StatusCode, res.Header)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(body))
	if err != nil || format != "jpeg" || cfg.Width != 320 || cfg.Height != 240 {
		t.Errorf("thumbnail %v %s %+v", err, format, cfg)
	}

	// The event names the ticket and the attachment.
	evs, err := ts.Live.EventsAfter(0, 100)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range evs {
		found = found || (strings.Contains(string(e.JSON), `"ticket.attachment_added"`) && strings.Contains(string(e.JSON), `"IMG_0012.png"`))
	}
	if !found {
		t.Error("no ticket.attachment_added event with the attachment")
	}

	if res := c.api(http.MethodDelete, fmt.Sprintf("/attachments/%d", a.ID), nil); res.Status != http.StatusNoContent || len(res.Body) != 0 {
		t.Fatalf("delete: %d %s", res.Status, res.Body)
	}
	c.get(owner+"/attachments").ok(http.StatusOK, &list)
	if len(list) != 0 {
		t.Errorf("after delete: %+v", list)
	}
	if res, _ := fetch(t, u.URL); res.StatusCode != http.StatusNotFound {
		t.Errorf("a deleted attachment's URL: %d", res.StatusCode)
	}
	// attachment.deleted names the id alone: files.read guards it, and the
	// owner is not for files.read to learn.
	var deleted []wireEvent
	c.get("/events?event=attachment.deleted").ok(http.StatusOK, &deleted)
	if len(deleted) != 1 || len(deleted[0].Data) != 1 || string(deleted[0].Data["attachment_id"]) != fmt.Sprint(a.ID) {
		t.Errorf("attachment.deleted events %+v", deleted)
	}
}

// Issue 16's proof: HTML renamed photo.jpg is bytes to download, never a page.
func TestHTMLNamedPhotoJPGIsServedAsAnOctetStreamAttachment(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, internalKey)
	tk := c.newTicket(c.newCustomer("Ada Lovelace").ID, nil)
	html := []byte("<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>")
	var a attachment
	body, _ := multipartFile(t, "photo.jpg", bytes.NewReader(html))
	c.api(http.MethodPost, fmt.Sprintf("/tickets/%d/attachments", tk.ID), body,
		"Content-Type", "multipart/form-data; boundary=x").fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "file")
	c.upload(fmt.Sprintf("/tickets/%d", tk.ID), "photo.jpg", html).ok(http.StatusCreated, &a)
	if a.ContentType != "text/html" || a.Thumbnail {
		t.Fatalf("sniffed %+v", a)
	}
	var u fileURLs
	c.get(fmt.Sprintf("/attachments/%d/url", a.ID)).ok(http.StatusOK, &u)
	if u.ThumbnailURL != nil {
		t.Errorf("thumbnail URL for HTML: %s", *u.ThumbnailURL)
	}
	res, got := fetch(t, u.URL)
	h := res.Header
	if res.StatusCode != http.StatusOK || !bytes.Equal(got, html) || h.Get("Content-Type") != "application/octet-stream" ||
		!strings.HasPrefix(h.Get("Content-Disposition"), `attachment; filename="photo.jpg"`) || h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("served as %d %v", res.StatusCode, h)
	}
}

// Issue 16's proof: a URL is refused after 15 minutes, or with any byte changed.
func TestSignedURLIsRefusedWhenExpiredOrChanged(t *testing.T) {
	t.Parallel()
	ts, c := newServer(t, internalKey)
	tk := c.newTicket(c.newCustomer("Ada Lovelace").ID, nil)
	var a, b attachment
	c.upload(fmt.Sprintf("/tickets/%d", tk.ID), "a.pdf", []byte("%PDF-1.4 a")).ok(http.StatusCreated, &a)
	c.upload(fmt.Sprintf("/tickets/%d", tk.ID), "b.pdf", []byte("%PDF-1.4 b")).ok(http.StatusCreated, &b)
	if a.ContentType != "application/pdf" {
		t.Fatalf("sniffed %s", a.ContentType)
	}
	var u fileURLs
	c.get(fmt.Sprintf("/attachments/%d/url", a.ID)).ok(http.StatusOK, &u)
	if res, _ := fetch(t, u.URL); res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/pdf" ||
		!strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("a fresh URL: %d %v", res.StatusCode, res.Header)
	}
	// Every byte of the path and query, changed one at a time.
	start := strings.Index(u.URL, "/files/")
	for i := start; i < len(u.URL); i++ {
		changed := []byte(u.URL)
		switch {
		case changed[i] == '/' || changed[i] == '?' || changed[i] == '&' || changed[i] == '=':
			continue
		case changed[i] == '9':
			changed[i] = '8'
		case changed[i] >= '0' && changed[i] <= '9', changed[i] >= 'a' && changed[i] <= 'f':
			changed[i] = '9'
		default:
			changed[i] ^= 0x20
		}
		res, body := fetch(t, string(changed))
		if res.StatusCode != http.StatusForbidden && res.StatusCode != http.StatusNotFound {
			t.Errorf("byte %d changed (%s): %d", i, changed, res.StatusCode)
		}
		if len(body) > 20 {
			t.Errorf("a refusal says more than it should: %q", body)
		}
	}
	// Another attachment's id under this signature is refused too.
	other := strings.Replace(u.URL, fmt.Sprintf("/%d?", a.ID), fmt.Sprintf("/%d?", b.ID), 1)
	if res, _ := fetch(t, other); res.StatusCode != http.StatusForbidden {
		t.Errorf("another id: %d", res.StatusCode)
	}
	ts.Clock.Advance(15*time.Minute - time.Second)
	if res, _ := fetch(t, u.URL); res.StatusCode != http.StatusOK {
		t.Errorf("at 14:59: %d", res.StatusCode)
	}
	ts.Clock.Advance(time.Second)
	if res, _ := fetch(t, u.URL); res.StatusCode != http.StatusForbidden {
		t.Errorf("at 15:00: %d", res.StatusCode)
	}
}

// files.* alone learns nothing about a ticket: its lists and uploads need
// tickets.read too, and its attachments do not exist for such a key.
func TestFilesScopeAloneLearnsNothingAboutTickets(t *testing.T) {
	t.Parallel()
	ts, c := newServer(t, internalKey)
	tk := c.newTicket(c.newCustomer("Ada Lovelace").ID, nil)
	var a attachment
	c.upload(fmt.Sprintf("/tickets/%d", tk.ID), "a.txt", []byte("hello")).ok(http.StatusCreated, &a)
	files := ts.client(keySpec{Type: store.KeyPlugin, Scopes: []string{"files.read", "files.write"}})
	e := files.get(fmt.Sprintf("/tickets/%d/attachments", tk.ID)).fail(http.StatusForbidden, "FORBIDDEN")
	if !strings.Contains(e.Message, "tickets.read") {
		t.Errorf("refusal %q", e.Message)
	}
	files.upload(fmt.Sprintf("/tickets/%d", tk.ID), "b.txt", []byte("x")).fail(http.StatusForbidden, "FORBIDDEN")
	for _, p := range []string{"/attachments/%d", "/attachments/%d/url"} {
		files.get(fmt.Sprintf(p, a.ID)).fail(http.StatusNotFound, "NOT_FOUND")
	}
	files.patch(fmt.Sprintf("/attachments/%d", a.ID), map[string]any{"customer_visible": true}).fail(http.StatusNotFound, "NOT_FOUND")
	files.api(http.MethodDelete, fmt.Sprintf("/attachments/%d", a.ID), nil).fail(http.StatusNotFound, "NOT_FOUND")
	// With tickets.read it sees them.
	both := ts.client(keySpec{Type: store.KeyPlugin, Scopes: []string{"files.read", "tickets.read"}})
	both.get(fmt.Sprintf("/attachments/%d", a.ID)).ok(http.StatusOK, nil)
}

func TestPatchAttachmentChangesFlagAndCleansFilename(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, internalKey)
	cust := c.newCustomer("Ada Lovelace")
	var a attachment
	c.upload(fmt.Sprintf("/customers/%d", cust.ID), "form.txt", []byte("signed")).ok(http.StatusCreated, &a)
	c.patch(fmt.Sprintf("/attachments/%d", a.ID), map[string]any{"customer_visible": true, "filename": "C:\\x\\signed\u202egnp.txt"}).ok(http.StatusOK, &a)
	if !a.CustomerVisible || a.Filename != "signedgnp.txt" {
		t.Errorf("patched %+v", a)
	}
	c.patch(fmt.Sprintf("/attachments/%d", a.ID), map[string]any{"filename": " / "}).fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "filename")
	c.upload("/customers/999", "x.txt", []byte("x")).fail(http.StatusNotFound, "NOT_FOUND")
}

// A test-mode key's files live apart from live ones, and its URLs name the
// test store: pointed at live, the signature no longer holds.
func TestTestModeFilesAndURLsNeverTouchLive(t *testing.T) {
	t.Parallel()
	ts, live := newServer(t, internalKey)
	dev := ts.client(developerKey)
	liveTicket := live.newTicket(live.newCustomer("Live Customer").ID, nil)
	testTicket := dev.newTicket(dev.newCustomer("Test Customer").ID, nil)
	if liveTicket.ID != testTicket.ID {
		t.Fatalf("ids differ (%d, %d): the test needs the same id in both stores", liveTicket.ID, testTicket.ID)
	}
	var la, ta attachment
	live.upload(fmt.Sprintf("/tickets/%d", liveTicket.ID), "live.txt", []byte("live secret")).ok(http.StatusCreated, &la)
	dev.upload(fmt.Sprintf("/tickets/%d", testTicket.ID), "test.txt", []byte("test bytes")).ok(http.StatusCreated, &ta)
	if la.ID != ta.ID {
		t.Fatalf("attachment ids differ (%d, %d)", la.ID, ta.ID)
	}
	var u fileURLs
	dev.get(fmt.Sprintf("/attachments/%d/url", ta.ID)).ok(http.StatusOK, &u)
	if !strings.Contains(u.URL, "/files/test/") {
		t.Fatalf("test-mode URL %s", u.URL)
	}
	if res, body := fetch(t, u.URL); res.StatusCode != http.StatusOK || string(body) != "test bytes" {
		t.Fatalf("test URL: %d %q", res.StatusCode, body)
	}
	if res, body := fetch(t, strings.Replace(u.URL, "/files/test/", "/files/live/", 1)); res.StatusCode != http.StatusForbidden ||
		strings.Contains(string(body), "live secret") {
		t.Errorf("a test URL pointed at live: %d %q", res.StatusCode, body)
	}
	root := filepath.Dir(ts.Live.Path())
	for mode, sum := range map[string]string{"live": la.SHA256, "test": ta.SHA256} {
		if _, err := os.Stat(filepath.Join(root, "files", mode, sum[:2], sum)); err != nil {
			t.Errorf("the %s file is not in files/%s: %v", mode, mode, err)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "files", "live", ta.SHA256[:2], ta.SHA256)); err == nil {
		t.Error("a test-mode upload wrote into files/live")
	}
}

// A ticket's new attachment describes a file, so its event needs files.read
// as well as tickets.read: a reader of tickets alone neither lists it nor
// subscribes a webhook to it.
func TestAttachmentEventNeedsFilesReadToo(t *testing.T) {
	t.Parallel()
	ts, c := newServer(t, internalKey)
	tk := c.newTicket(c.newCustomer("Ada Lovelace").ID, nil)
	c.upload(fmt.Sprintf("/tickets/%d", tk.ID), "a.txt", []byte("hello")).ok(http.StatusCreated, nil)
	events := func(cl *client) []string {
		var page []struct {
			Event string `json:"event"`
		}
		cl.get("/events?per_page=200").ok(http.StatusOK, &page)
		var names []string
		for _, e := range page {
			names = append(names, e.Event)
		}
		return names
	}
	ticketsOnly := ts.client(keySpec{Type: store.KeyPlugin, Scopes: []string{"tickets.read", "events.read", "webhooks.write"}})
	if got := events(ticketsOnly); slices.Contains(got, "ticket.attachment_added") || !slices.Contains(got, "ticket.created") {
		t.Errorf("a tickets-only reader sees %v; want ticket.created and no ticket.attachment_added", got)
	}
	e := ticketsOnly.post("/webhooks", map[string]any{"url": publicURL, "events": []string{"ticket.attachment_added"}}).
		fail(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "events")
	if !strings.Contains(fmt.Sprint(e.Message, e.Details), "files.read") {
		t.Errorf("the refusal %q %v does not name files.read", e.Message, e.Details)
	}
	both := ts.client(keySpec{Type: store.KeyPlugin, Scopes: []string{"tickets.read", "files.read", "events.read"}})
	if got := events(both); !slices.Contains(got, "ticket.attachment_added") {
		t.Errorf("a reader of tickets and files sees %v; want ticket.attachment_added", got)
	}
}

// Showing a file to the customer publishes part of its owner: it takes the
// owner's write scope, on upload and on a change.
func TestShowingAFileToTheCustomerNeedsTheOwnersWriteScope(t *testing.T) {
	t.Parallel()
	ts, c := newServer(t, internalKey)
	tk := c.newTicket(c.newCustomer("Ada Lovelace").ID, nil)
	var a attachment
	c.upload(fmt.Sprintf("/tickets/%d", tk.ID), "bench.txt", []byte("internal")).ok(http.StatusCreated, &a)
	reader := ts.client(keySpec{Type: store.KeyPlugin, Scopes: []string{"files.read", "files.write", "tickets.read"}})
	reader.patch(fmt.Sprintf("/attachments/%d", a.ID), map[string]any{"customer_visible": true}).fail(http.StatusForbidden, "FORBIDDEN")
	reader.upload(fmt.Sprintf("/tickets/%d", tk.ID), "b.txt", []byte("x"), "customer_visible", "true").fail(http.StatusForbidden, "FORBIDDEN")
	reader.upload(fmt.Sprintf("/tickets/%d", tk.ID), "c.txt", []byte("x")).ok(http.StatusCreated, nil)
	writer := ts.client(keySpec{Type: store.KeyPlugin, Scopes: []string{"files.read", "files.write", "tickets.read", "tickets.write"}})
	writer.patch(fmt.Sprintf("/attachments/%d", a.ID), map[string]any{"customer_visible": true}).ok(http.StatusOK, &a)
	if !a.CustomerVisible {
		t.Error("the ticket's writer could not show the file")
	}
}
