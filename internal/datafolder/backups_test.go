package datafolder

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"portal/store"
)

// dailyHarness is an autoBackup over real stores on a clock the test moves:
// each wait the loop asks for passes at once, until stopAfter waits.
func dailyHarness(t *testing.T, stopAfter int) (*autoBackup, *[]time.Duration, context.Context, *time.Time) {
	t.Helper()
	d := Dir(t.TempDir())
	dirs, err := d.Open(time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dirs.Close)
	clock := time.Date(2026, 3, 15, 3, 0, 0, 0, time.UTC)
	var waits []time.Duration
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	ab := &autoBackup{dir: d.Backups(), write: dirs.Archiver("test"), now: func() time.Time { return clock },
		first: time.Minute, every: 24 * time.Hour, retry: time.Hour, keep: 7,
		log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ab.after = func(wait time.Duration) <-chan time.Time {
		waits = append(waits, wait)
		if len(waits) > stopAfter {
			cancel()
			return nil // blocks; the loop sees ctx end
		}
		clock = clock.Add(wait)
		ch := make(chan time.Time, 1)
		ch <- clock
		return ch
	}
	return ab, &waits, ctx, &clock
}

func TestDailyBackupsKeepTheNewestSeven(t *testing.T) {
	ab, waits, ctx, clock := dailyHarness(t, 11)
	start := *clock
	// A backup an hour old: the check a minute after start makes none.
	if err := os.MkdirAll(ab.dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{store.ArchiveName(start.Add(-time.Hour)), "mine.tar.gz"} {
		if err := os.WriteFile(filepath.Join(ab.dir, name), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ab.run(ctx) // 11 checks: the first finds a recent backup, then ten days of backups

	want := []time.Duration{time.Minute, 23*time.Hour - time.Minute}
	for range 10 {
		want = append(want, 24*time.Hour)
	}
	if !slices.Equal(*waits, want) {
		t.Errorf("waits %v, want %v", *waits, want)
	}
	var kept []string
	entries, _ := os.ReadDir(ab.dir)
	for _, e := range entries {
		kept = append(kept, e.Name())
	}
	wantKept := []string{"mine.tar.gz"} // not a daily backup: left alone
	for day := 3; day < 10; day++ {
		wantKept = append(wantKept, store.ArchiveName(start.Add(23*time.Hour+time.Duration(day)*24*time.Hour)))
	}
	if !slices.Equal(kept, wantKept) {
		t.Fatalf("kept %v\nwant %v", kept, wantKept)
	}
	f, err := os.Open(filepath.Join(ab.dir, wantKept[len(wantKept)-1]))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := store.VerifyArchive(f); err != nil {
		t.Fatal(err)
	}
}

func TestDailyBackupRetriesAnHourAfterAFailure(t *testing.T) {
	ab, waits, ctx, _ := dailyHarness(t, 3)
	failures := 0
	ab.write = func(context.Context, io.Writer) error {
		failures++
		return errors.New("disk full")
	}
	ab.run(ctx)
	if want := []time.Duration{time.Minute, time.Hour, time.Hour, time.Hour}; !slices.Equal(*waits, want) || failures != 3 {
		t.Fatalf("waits %v after %d failures, want %v", *waits, failures, want)
	}
	if entries, _ := os.ReadDir(ab.dir); len(entries) != 0 {
		t.Fatalf("a failed backup left %d files", len(entries))
	}
}

func TestDailyBackupsStopBeforeTheStoresClose(t *testing.T) {
	dirs, err := Dir(t.TempDir()).Open(time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer dirs.Close()
	done := make(chan struct{})
	go func() {
		dirs.StartDailyBackups(context.Background(), "test", slog.New(slog.NewTextHandler(io.Discard, nil)))()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("stop did not return")
	}
}
