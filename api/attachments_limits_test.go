package api_test

import (
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	rtmetrics "runtime/metrics"
	"sync"
	"syscall"
	"testing"
	"time"

	"portal/internal/blobs"
	"portal/store"
)

// filesIn lists every file under the live store's attachment folder.
func filesIn(t *testing.T, ts *testServer) []string {
	t.Helper()
	var out []string
	root := filepath.Join(filepath.Dir(ts.Live.Path()), "files", "live")
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, path)
		}
		return nil
	})
	return out
}

// noise is n bytes of a seeded generator: an upload's body streamed, never
// held in the test's memory.
func noise(seed uint64, n int64) io.Reader {
	return io.LimitReader(rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)}), n)
}

// Issue 16: 20 MiB is taken; a byte more is a 413 and nothing is kept.
func TestUploadBeyond20MiBIs413WithNothingKept(t *testing.T) {
	t.Parallel()
	ts, c := newServer(t, internalKey)
	tk := c.newTicket(c.newCustomer("Ada Lovelace").ID, nil)
	path := fmt.Sprintf("/tickets/%d/attachments", tk.ID)
	body, ct := multipartFile(t, "big.bin", noise(1, store.MaxAttachmentSize+1))
	c.api(http.MethodPost, path, body, "Content-Type", ct).fail(http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE")
	if left := filesIn(t, ts); len(left) != 0 {
		t.Fatalf("a refused upload left %v", left)
	}
	var list []attachment
	c.get(path).ok(http.StatusOK, &list)
	if len(list) != 0 {
		t.Fatalf("a refused upload made %+v", list)
	}
	var a attachment
	body, ct = multipartFile(t, "exact.bin", noise(2, store.MaxAttachmentSize))
	c.api(http.MethodPost, path, body, "Content-Type", ct).ok(http.StatusCreated, &a)
	if a.Size != store.MaxAttachmentSize {
		t.Errorf("size %d", a.Size)
	}
}

// fullDisk is a temp file that fails as a full disk does once limit bytes
// are written.
type fullDisk struct {
	*os.File
	left int
}

func (f *fullDisk) Write(p []byte) (int, error) {
	if len(p) > f.left {
		n, _ := f.File.Write(p[:f.left])
		f.left = 0
		return n, &fs.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
	}
	f.left -= len(p)
	return f.File.Write(p)
}

// Issue 16: the disk filling up while a file is written is the usual 503,
// and nothing half-written stays, neither bytes nor a record.
func TestDiskFullWhileWritingAFileIs503WithNothingHalfWritten(t *testing.T) {
	t.Parallel()
	ts := newTestServerWith(t, serverOptions{LiveFiles: func(dir string) *blobs.Dir {
		return blobs.New(dir).WithCreateTemp(func(dir, pattern string) (blobs.File, error) {
			f, err := os.CreateTemp(dir, pattern)
			if err != nil {
				return nil, err
			}
			return &fullDisk{File: f, left: 1 << 20}, nil
		})
	}})
	c := ts.client(internalKey)
	tk := c.newTicket(c.newCustomer("Ada Lovelace").ID, nil)
	body, ct := multipartFile(t, "photo.jpg", noise(3, 3<<20))
	e := c.api(http.MethodPost, fmt.Sprintf("/tickets/%d/attachments", tk.ID), body, "Content-Type", ct).
		fail(http.StatusServiceUnavailable, "UNAVAILABLE")
	if e.Message == "" {
		t.Error("no reason given")
	}
	if left := filesIn(t, ts); len(left) != 0 {
		t.Fatalf("a failed write left %v", left)
	}
	var list []attachment
	c.get(fmt.Sprintf("/tickets/%d/attachments", tk.ID)).ok(http.StatusOK, &list)
	if len(list) != 0 {
		t.Errorf("a failed write made %+v", list)
	}
	// A small file still fits: the store goes on.
	c.upload(fmt.Sprintf("/tickets/%d", tk.ID), "note.txt", []byte("small")).ok(http.StatusCreated, nil)
}

// heapBytes is the memory the Go heap holds from the OS right now (in use,
// free-but-kept and unscavenged spans): what the server's own memory is,
// without the page cache the files go through.
func heapBytes() uint64 {
	s := []rtmetrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"},
		{Name: "/memory/classes/heap/free:bytes"}}
	rtmetrics.Read(s)
	return s[0].Value.Uint64() + s[1].Value.Uint64() + s[2].Value.Uint64()
}

// Issue 16: 20 concurrent uploads of 5 MiB keep the server's memory under
// 64 MB above idle: the bodies stream to disk, never into memory. (The
// client shares the process, and streams its bodies from a generator.)
func TestTwentyConcurrentUploadsOf5MiBStayUnder64MBOfHeap(t *testing.T) {
	ts, c := newServer(t, internalKey)
	tk := c.newTicket(c.newCustomer("Ada Lovelace").ID, nil)
	path := fmt.Sprintf("/tickets/%d/attachments", tk.ID)
	runtime.GC()
	idle := heapBytes()

	var peak uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			peak = max(peak, heapBytes())
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	var wg sync.WaitGroup
	statuses := make([]int, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body, ct := multipartFile(t, fmt.Sprintf("upload-%d.bin", i), noise(uint64(100+i), 5<<20))
			req, err := http.NewRequest(http.MethodPost, ts.HTTP.URL+"/api/v1"+path, body)
			if err != nil {
				t.Error(err)
				return
			}
			req.Header.Set("Content-Type", ct)
			req.Header.Set("Authorization", "Bearer "+c.key)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			statuses[i] = res.StatusCode
		}()
	}
	wg.Wait()
	close(stop)
	<-sampled
	for i, s := range statuses {
		if s != http.StatusCreated {
			t.Errorf("upload %d: %d", i, s)
		}
	}
	var list []attachment
	c.get(path+"?per_page=50").ok(http.StatusOK, &list)
	if len(list) != 20 {
		t.Errorf("%d attachments, want 20", len(list))
	}
	grew := int64(peak) - int64(idle)
	t.Logf("heap: idle %d MB, peak %d MB (+%d MB)", idle>>20, peak>>20, grew>>20)
	if grew > 64<<20 {
		t.Errorf("the heap grew by %d MB during 20 uploads of 5 MiB, want under 64 MB", grew>>20)
	}
}
