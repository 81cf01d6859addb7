package datafolder

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A restore cut short after its journal was written (power lost between two
// renames) is finished by the next start: every file ends up restored, none
// stays old beside a new one.
func TestInterruptedRestoreIsFinishedByTheNextStart(t *testing.T) {
	d := Dir(t.TempDir())
	write := func(path, content string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	staging := filepath.Join(string(d), ".restore-123")
	if err := os.Mkdir(staging, 0o700); err != nil {
		t.Fatal(err)
	}
	// live.db was already renamed into place before the crash; test.db and
	// secret.key were still staged.
	write(d.LiveDB(), "restored live")
	write(d.TestDB(), "old test")
	write(d.SecretKey(), "old key")
	write(filepath.Join(staging, "test.db"), "restored test")
	write(filepath.Join(staging, "secret.key"), "restored key")
	raw, _ := json.Marshal(journal{Staging: ".restore-123", Files: []string{"live.db", "test.db", "secret.key"}})
	write(filepath.Join(string(d), restoreJournal), string(raw))

	if err := finishRestore(d); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{d.LiveDB(): "restored live", d.TestDB(): "restored test", d.SecretKey(): "restored key"} {
		if got, _ := os.ReadFile(path); string(got) != want {
			t.Errorf("%s holds %q, want %q", filepath.Base(path), got, want)
		}
	}
	for _, gone := range []string{filepath.Join(string(d), restoreJournal), staging} {
		if _, err := os.Lstat(gone); !os.IsNotExist(err) {
			t.Errorf("%s is still there", gone)
		}
	}
	// Finishing twice is harmless.
	if err := finishRestore(d); err != nil {
		t.Fatal(err)
	}
}

// A damaged journal stops the start with a clear message instead of
// guessing which files are which.
func TestDamagedRestoreJournalStopsTheStart(t *testing.T) {
	d := Dir(t.TempDir())
	if err := os.WriteFile(filepath.Join(string(d), restoreJournal), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := d.Open(time.Second)
	if err == nil || !strings.Contains(err.Error(), "interrupted restore") {
		t.Fatalf("open with a damaged journal: %v", err)
	}
}
