//go:build linux

package e2e

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// smallDisk mounts a tmpfs of size bytes: a real filesystem that fills up.
// It needs root (as CI has); elsewhere the test is skipped.
func smallDisk(t *testing.T, size int) string {
	dir := filepath.Join(t.TempDir(), "disk")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d", size), "tmpfs", dir).CombinedOutput()
	if err != nil {
		t.Skipf("cannot mount a small filesystem here (root needed): %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

// fill writes a ballast file until the filesystem has no room left.
func fill(t *testing.T, path string) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				return
			}
			t.Fatal(err)
		}
	}
}

func readyz(t *testing.T, base string) int {
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// With the disk full, writes are refused with a 503 that says why, reads go
// on, nothing acknowledged is lost, and writes work again as soon as there
// is room, without a restart.
func TestDiskFullRefusesWritesAndRecoversByItself(t *testing.T) {
	disk := smallDisk(t, 16<<20)
	dir := filepath.Join(disk, "data")
	srv := startServe(t, dir)
	key, err := portalCmd(t, "keys", "create", "--data", dir, "--type", "internal", "--name", "disk test")
	if err != nil {
		t.Fatal(err)
	}
	api := newClient(srv.URL, strings.TrimSpace(key))

	var acked []uint64
	create := func(i int) (int, error) {
		var c struct{ ID uint64 }
		status, err := api.do("POST", "/api/v1/customers", map[string]any{"name": fmt.Sprintf("Customer %d", i),
			"notes": strings.Repeat("n", 2000)}, &c)
		if status == http.StatusCreated {
			acked = append(acked, c.ID)
		}
		return status, err
	}
	for i := range 20 {
		if status, err := create(i); status != http.StatusCreated {
			t.Fatalf("before filling the disk: %d %v", status, err)
		}
	}

	ballast := filepath.Join(disk, "ballast")
	fill(t, ballast)
	// The store may still have room in pages it already owns; the disk runs
	// out within a bounded number of writes.
	var refused error
	for i := 20; i < 5000 && refused == nil; i++ {
		status, err := create(i)
		switch status {
		case http.StatusCreated:
		case http.StatusServiceUnavailable:
			refused = err
		default:
			t.Fatalf("write %d on a full disk: %d %v", i, status, err)
		}
	}
	if refused == nil {
		t.Fatal("5000 writes succeeded on a full disk")
	}
	if !strings.Contains(refused.Error(), "full or not writable") {
		t.Errorf("the refusal says %q; want it to name the full data folder", refused)
	}
	if status, err := api.do("GET", fmt.Sprintf("/api/v1/customers/%d", acked[0]), nil, nil); status != http.StatusOK {
		t.Errorf("a read on a full disk: %d %v", status, err)
	}

	if code := readyz(t, srv.URL); code != http.StatusServiceUnavailable {
		t.Errorf("readyz on a full disk: %d, want 503", code)
	}

	// Room again: the appliance notices by itself (readiness comes back
	// with no write from anyone), and the next write works.
	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for readyz(t, srv.URL) != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatal("readyz did not come back after space was freed")
		}
		time.Sleep(100 * time.Millisecond) // polling the probe the operator would poll
	}
	if status, err := create(9999); status != http.StatusCreated {
		t.Fatalf("after freeing space: %d %v", status, err)
	}

	// Every acknowledged write is there, now and after a restart.
	check := func(when string) {
		for _, id := range acked {
			if status, err := api.do("GET", fmt.Sprintf("/api/v1/customers/%d", id), nil, nil); status != http.StatusOK {
				t.Fatalf("%s: acknowledged customer %d: %d %v", when, id, status, err)
			}
		}
	}
	check("after recovering")
	if err := srv.stop(t, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	srv = startServe(t, dir)
	api = newClient(srv.URL, api.key)
	check("after a restart")
	t.Logf("%d writes acknowledged, the disk filled after %d", len(acked), len(acked)-1)
}
