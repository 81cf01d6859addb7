//go:build linux

package e2e

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// uploadFile attaches size random bytes to the customer, as the console does.
func uploadFile(t *testing.T, api *apiClient, customerID uint64, size int) (int, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("file", "scan.pdf")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(fw, rand.Reader, int64(size)); err != nil {
		t.Fatal(err)
	}
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/api/v1/customers/%d/attachments", api.base, customerID), &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+api.key)
	res, err := api.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	msg, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(msg)
}

// Issue 16: the disk filling up while an attachment is written is the usual
// 503, nothing half-written stays in the data folder, and uploads work again
// once there is room.
func TestDiskFullWhileUploadingAFileLeavesNothingHalfWritten(t *testing.T) {
	disk := smallDisk(t, 24<<20)
	dir := filepath.Join(disk, "data")
	srv := startServe(t, dir)
	key, err := portalCmd(t, "keys", "create", "--data", dir, "--type", "internal", "--name", "disk test")
	if err != nil {
		t.Fatal(err)
	}
	api := newClient(srv.URL, strings.TrimSpace(key))
	var c struct{ ID uint64 }
	if status, err := api.do("POST", "/api/v1/customers", map[string]any{"name": "Ada"}, &c); status != http.StatusCreated {
		t.Fatalf("customer: %d %v", status, err)
	}
	if status, msg := uploadFile(t, api, c.ID, 1<<20); status != http.StatusCreated {
		t.Fatalf("before filling the disk: %d %s", status, msg)
	}
	files := filepath.Join(dir, "files", "live")
	before := countFiles(t, files)

	ballast := filepath.Join(disk, "ballast")
	fill(t, ballast)
	status, msg := uploadFile(t, api, c.ID, 4<<20)
	if status != http.StatusServiceUnavailable || !strings.Contains(msg, "full or not writable") {
		t.Fatalf("an upload on a full disk: %d %s", status, msg)
	}
	if got := countFiles(t, files); got != before {
		t.Errorf("the failed upload left files: %d, was %d", got, before)
	}

	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	if status, msg := uploadFile(t, api, c.ID, 4<<20); status != http.StatusCreated {
		t.Fatalf("after freeing space: %d %s", status, msg)
	}
}

func countFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	return n
}
