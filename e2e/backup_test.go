package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"portal/hooks"
	"portal/store"
)

// createKey mints a key with the CLI (through the socket when a server runs).
func createKey(t *testing.T, dir, typ, name string) string {
	t.Helper()
	out, err := portalCmd(t, "keys", "create", "--data", dir, "--type", typ, "--name", name)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out)
}

// backupTo runs `portal backup` and checks what it printed and wrote.
func backupTo(t *testing.T, dir, archive string) {
	t.Helper()
	out, err := portalCmd(t, "backup", "--data", dir, "--out", archive)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(archive)
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("%s\t%d bytes\n", archive, fi.Size()); out != want {
		t.Errorf("backup printed %q, want %q", out, want)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("archive mode %v, want 0600", fi.Mode().Perm())
	}
	if _, err := os.Stat(archive + ".tmp"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("temporary file left behind: %v", err)
	}
}

// folderState maps every file under dir (but the admin socket) to its SHA-256.
func folderState(t *testing.T, dir string) map[string]string {
	t.Helper()
	state := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || e.Name() == "portal.sock" {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(raw)
		rel, _ := filepath.Rel(dir, path)
		state[rel] = hex.EncodeToString(sum[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return state
}

func sameState(t *testing.T, what string, before, after map[string]string) {
	t.Helper()
	if len(before) != len(after) {
		t.Errorf("%s: files before %v, after %v", what, before, after)
	}
	for name, sum := range before {
		if after[name] != sum {
			t.Errorf("%s: %s changed", what, name)
		}
	}
}

// signedReceiver answers 200 to webhook requests signed with its secret, 401 otherwise.
type signedReceiver struct {
	*httptest.Server
	mu     sync.Mutex
	secret string
}

func newSignedReceiver(t *testing.T) *signedReceiver {
	rv := &signedReceiver{}
	rv.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rv.mu.Lock()
		secret := rv.secret
		rv.mu.Unlock()
		if err := hooks.VerifyPortal(secret, r.Header, body, time.Minute, time.Now()); err != nil {
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	t.Cleanup(rv.Close)
	return rv
}

// TestBackupOfALiveServerUnderLoadRestoresIntoAFreshFolder backs a server up
// while four clients write, restores the archive into a new folder, and
// finds there every write acknowledged before the backup began, the keys,
// and a webhook whose sealed secret still signs.
func TestBackupOfALiveServerUnderLoadRestoresIntoAFreshFolder(t *testing.T) {
	dir := t.TempDir()
	key := createKey(t, dir, "internal", "load")
	p := startServe(t, dir, "--sandbox") // the sandbox allows the loopback receiver
	c := newClient(p.URL, key)

	rv := newSignedReceiver(t)
	var hook struct {
		ID     uint64
		Secret string
	}
	if code, err := c.do("POST", "/api/v1/webhooks", map[string]any{"url": rv.URL, "events": []string{"customer.created"}}, &hook); code != http.StatusCreated {
		t.Fatalf("webhook: %d %v", code, err)
	}
	rv.mu.Lock()
	rv.secret = hook.Secret
	rv.mu.Unlock()

	type record struct{ path, text string }
	var (
		mu    sync.Mutex
		acked []record
		wg    sync.WaitGroup
	)
	stop := make(chan struct{})
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				text := fmt.Sprintf("writer %d record %d", w, i)
				var cu, tk struct{ ID uint64 }
				if code, err := c.do("POST", "/api/v1/customers", map[string]any{"name": text}, &cu); code != http.StatusCreated {
					t.Errorf("customer: %d %v", code, err)
					return
				}
				mu.Lock()
				acked = append(acked, record{fmt.Sprintf("/api/v1/customers/%d", cu.ID), text})
				mu.Unlock()
				if code, err := c.do("POST", "/api/v1/tickets", map[string]any{"customer_id": cu.ID, "issue": text}, &tk); code != http.StatusCreated {
					t.Errorf("ticket: %d %v", code, err)
					return
				}
				mu.Lock()
				acked = append(acked, record{fmt.Sprintf("/api/v1/tickets/%d", tk.ID), text})
				mu.Unlock()
			}
		}()
	}
	defer func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
		wg.Wait()
	}()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d writes acknowledged", n)
		}
	}

	mu.Lock()
	before := slices.Clone(acked)
	mu.Unlock()
	archive := filepath.Join(t.TempDir(), "shop.tar.gz")
	backupTo(t, dir, archive) // through the admin socket: the server holds the stores
	mu.Lock()
	during := len(acked) - len(before)
	mu.Unlock()

	// The console's download is the same archive, streamed.
	resp, err := c.http.Do(mustRequest(t, c, "/api/v1/backup"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/gzip" ||
		!strings.HasPrefix(resp.Header.Get("Content-Disposition"), `attachment; filename="portal-`) {
		t.Fatalf("GET /api/v1/backup: %d %v", resp.StatusCode, resp.Header)
	}
	if _, err := store.VerifyArchive(resp.Body); err != nil {
		t.Fatalf("downloaded archive: %v", err)
	}
	resp.Body.Close()

	close(stop)
	wg.Wait()
	if err := p.stop(t, syscall.SIGTERM); err != nil {
		t.Fatalf("serve: %v", err)
	}
	t.Logf("%d writes acknowledged before the backup, %d while it ran", len(before), during)

	fresh := filepath.Join(t.TempDir(), "fresh")
	out, err := portalCmd(t, "restore", "--data", fresh, archive)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "Nothing was replaced") {
		t.Errorf("restore into a new folder printed:\n%s", out)
	}

	q := startServe(t, fresh, "--sandbox")
	c = newClient(q.URL, key) // keys are in the restored live store
	for _, r := range before {
		var got struct{ Name, Issue string }
		if code, err := c.do("GET", r.path, nil, &got); code != http.StatusOK || (got.Name != r.text && got.Issue != r.text) {
			t.Fatalf("%s (%q) acknowledged before the backup: %d %v %+v", r.path, r.text, code, err, got)
		}
	}
	// The webhook's secret was sealed with the data folder's secret.key: a
	// signed test delivery proves the restored key unseals it.
	var sent struct {
		Attempts []struct {
			StatusCode int    `json:"status_code"`
			Error      string `json:"error"`
		} `json:"attempt_log"`
	}
	if _, err := c.do("POST", fmt.Sprintf("/api/v1/webhooks/%d/test", hook.ID), nil, &sent); err != nil {
		t.Fatal(err)
	}
	if n := len(sent.Attempts); n == 0 || sent.Attempts[n-1].StatusCode != http.StatusOK {
		t.Fatalf("test delivery after restore: %+v (401: signed with the wrong secret)", sent.Attempts)
	}
}

func TestRestoreRefusesWhileTheServerRuns(t *testing.T) {
	dir := t.TempDir()
	createKey(t, dir, "internal", "k")
	archive := filepath.Join(t.TempDir(), "b.tar.gz")
	backupTo(t, dir, archive) // offline: the CLI opens the stores itself

	p := startServe(t, dir)
	// The running server may write to its stores meanwhile, so what must
	// hold is that every file is still the same file, the key unchanged.
	before := folderState(t, dir)
	files := map[string]os.FileInfo{}
	for name := range before {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		files[name] = fi
	}
	_, err := portalCmd(t, "restore", "--data", dir, archive)
	if err == nil || !strings.Contains(err.Error(), "stop the server first") {
		t.Fatalf("restore under a running server: %v", err)
	}
	after := folderState(t, dir)
	if len(after) != len(before) || after["secret.key"] != before["secret.key"] {
		t.Errorf("refused under a server: files before %v, after %v", before, after)
	}
	for name, fi := range files {
		if now, err := os.Stat(filepath.Join(dir, name)); err != nil || !os.SameFile(fi, now) {
			t.Errorf("refused under a server: %s was replaced (%v)", name, err)
		}
	}
	if err := p.stop(t, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}

	// Without a socket, the store's file lock is enough to refuse.
	s, err := store.Open(filepath.Join(dir, "live.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	before = folderState(t, dir)
	_, err = portalCmd(t, "restore", "--data", dir, archive)
	if err == nil || !strings.Contains(err.Error(), "stop the server first") {
		t.Fatalf("restore while the store is open: %v", err)
	}
	sameState(t, "refused under a lock", before, folderState(t, dir))
}

func TestRestoreOfACorruptedArchiveChangesNothing(t *testing.T) {
	dir := t.TempDir()
	createKey(t, dir, "internal", "k")
	archive := filepath.Join(t.TempDir(), "b.tar.gz")
	backupTo(t, dir, archive)
	raw, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	raw[len(raw)/2] ^= 0x01
	corrupt := filepath.Join(t.TempDir(), "corrupt.tar.gz")
	if err := os.WriteFile(corrupt, raw, 0o600); err != nil {
		t.Fatal(err)
	}

	before := folderState(t, dir)
	_, err = portalCmd(t, "restore", "--data", dir, corrupt)
	if err == nil || !strings.Contains(err.Error(), "nothing was changed") {
		t.Fatalf("corrupted archive: %v", err)
	}
	sameState(t, "corrupted archive", before, folderState(t, dir))
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "replaced-") || strings.HasPrefix(e.Name(), ".restore-") {
			t.Errorf("left %s behind", e.Name())
		}
	}

	fresh := filepath.Join(t.TempDir(), "fresh")
	if _, err := portalCmd(t, "restore", "--data", fresh, corrupt); err == nil {
		t.Fatal("a corrupted archive was restored into a new folder")
	}
	if _, err := os.Stat(fresh); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the refused restore left the new folder: %v", err)
	}
}

var keptIn = regexp.MustCompile(`kept in (\S+)`)

func TestRestoreKeepsTheReplacedFilesAside(t *testing.T) {
	dir := t.TempDir()
	createKey(t, dir, "plugin", "made before the backup")
	archive := filepath.Join(t.TempDir(), "b.tar.gz")
	backupTo(t, dir, archive)
	createKey(t, dir, "plugin", "made after the backup")
	replaced := folderState(t, dir)

	out, err := portalCmd(t, "restore", "--data", dir, archive)
	if err != nil {
		t.Fatal(err)
	}
	m := keptIn.FindStringSubmatch(out)
	if m == nil || !strings.Contains(out, "Replaced live.db, test.db, secret.key") {
		t.Fatalf("restore printed:\n%s", out)
	}
	if !strings.HasPrefix(filepath.Base(m[1]), "replaced-") || filepath.Dir(m[1]) != dir {
		t.Errorf("kept in %s, want %s/replaced-…", m[1], dir)
	}
	for _, name := range []string{"live.db", "test.db", "secret.key"} {
		if got := folderState(t, m[1])[name]; got != replaced[name] {
			t.Errorf("%s was not kept as it was", name)
		}
	}
	list, err := portalCmd(t, "keys", "list", "--data", dir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(list, "made before the backup") || strings.Contains(list, "made after the backup") {
		t.Fatalf("keys after restore:\n%s", list)
	}
}

func TestBackupOfAFolderWithoutDataIsRefused(t *testing.T) {
	empty := t.TempDir()
	_, err := portalCmd(t, "backup", "--data", empty, "--out", filepath.Join(t.TempDir(), "b.tar.gz"))
	if err == nil || !strings.Contains(err.Error(), "no portal data") {
		t.Fatalf("err = %v", err)
	}
	if entries, _ := os.ReadDir(empty); len(entries) != 0 {
		t.Errorf("backing up nothing created %d files", len(entries))
	}
}
