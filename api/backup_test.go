package api_test

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"portal/store"
)

func TestBackupDownloadIsAValidArchiveForTheOwner(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	owner, _ := signedIn(t, ts)
	var ann store.Customer
	owner.post("/customers", map[string]any{"name": "Ann Archive"}).ok(http.StatusCreated, &ann)

	res := owner.get("/backup")
	if res.Status != http.StatusOK {
		t.Fatalf("owner: %d %s", res.Status, res.Body)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/gzip" {
		t.Errorf("Content-Type %q", ct)
	}
	if cd, want := res.Header.Get("Content-Disposition"), `attachment; filename="portal-20260315-142230.tar.gz"`; cd != want {
		t.Errorf("Content-Disposition %q, want %q", cd, want)
	}
	dir := t.TempDir()
	m, err := store.ExtractArchive(bytes.NewReader(res.Body), dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.SchemaVersion != store.SchemaVersion() || len(m.Files) != 3 || !m.CreatedAt.Equal(start) {
		t.Errorf("manifest %+v", m)
	}
	copied, err := store.Open(filepath.Join(dir, "live.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer copied.Close()
	if _, err := copied.Customer(ann.ID); err != nil {
		t.Errorf("the backup's live store lacks customer %d: %v", ann.ID, err)
	}
}

func TestBackupDownloadNeedsTheOwnersScope(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.owner()
	owner := ts.client(internalKey)
	var inv struct {
		InviteToken string `json:"invite_token"`
	}
	owner.post("/users", map[string]any{"name": "Mia Manager", "email": "mia@example.com", "role": "manager"}).
		ok(http.StatusCreated, &inv)
	manager := ts.anonymous()
	manager.origin = ts.origin()
	res := manager.call("POST", "/auth/accept-invite", map[string]any{"token": inv.InviteToken, "password": "a long enough password"})
	res.ok(http.StatusOK, nil)
	manager.cookie = &http.Cookie{Name: res.Cookies[0].Name, Value: res.Cookies[0].Value}

	e := manager.get("/backup").fail(http.StatusForbidden, "FORBIDDEN")
	if !bytes.Contains([]byte(e.Message), []byte(store.BackupScope)) {
		t.Errorf("message %q does not name %s", e.Message, store.BackupScope)
	}
	managerKey := ts.client(keySpec{Type: store.KeyPlugin, Scopes: store.RoleScopes("manager")})
	managerKey.get("/backup").fail(http.StatusForbidden, "FORBIDDEN")
	// A test-mode key sees only the test store, whatever its scopes.
	ts.client(developerKey).get("/backup").fail(http.StatusForbidden, "FORBIDDEN")

	for _, role := range store.Roles {
		if has := slices.Contains(store.RoleScopes(role), store.BackupScope); has != (role == "owner") {
			t.Errorf("role %s: has %s = %v", role, store.BackupScope, has)
		}
	}
}

func TestBackupDownloadFailsAsJSONBeforeItsFirstByte(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	c := ts.client(internalKey)
	// Without the seal key there is no backup worth having; nothing has been sent yet.
	if err := os.Remove(filepath.Join(filepath.Dir(ts.Live.Path()), "seal.key")); err != nil {
		t.Fatal(err)
	}
	res := c.get("/backup")
	res.fail(http.StatusInternalServerError, "INTERNAL_ERROR")
	if cd := res.Header.Get("Content-Disposition"); cd != "" {
		t.Errorf("a failed backup is not a download: Content-Disposition %q", cd)
	}
}
