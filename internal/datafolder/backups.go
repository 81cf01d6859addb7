package datafolder

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"portal/store"
)

// Backups is the folder of the daily backups.
func (d Dir) Backups() string { return filepath.Join(string(d), "backups") }

// autoBackup makes the daily backups while the server runs: one shortly
// after start unless the newest is recent, then one every interval, keeping
// the newest few. Its clock and timer are injected so tests drive days of
// it in milliseconds.
type autoBackup struct {
	dir   string // DATA/backups
	write func(context.Context, io.Writer) error
	now   func() time.Time
	after func(time.Duration) <-chan time.Time
	first time.Duration // from start to the first check
	every time.Duration
	retry time.Duration // after a failed backup
	keep  int
	log   *slog.Logger
}

// StartDailyBackups backs the open stores up every day into DATA/backups,
// keeping the newest seven, until ctx ends or the returned stop is called;
// stop waits for a backup being written, so call it before the stores
// close. version is the binary's, recorded in each archive.
func (s *Stores) StartDailyBackups(ctx context.Context, version string, log *slog.Logger) (stop func()) {
	ab := autoBackup{dir: s.dir.Backups(), write: s.Archiver(version), now: time.Now, after: time.After,
		first: time.Minute, every: 24 * time.Hour, retry: time.Hour, keep: 7, log: log}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		ab.run(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}

func (ab autoBackup) run(ctx context.Context) {
	wait := ab.first
	for {
		select {
		case <-ctx.Done():
			return
		case <-ab.after(wait):
		}
		wait = ab.tick(ctx)
	}
}

// tick makes a backup when the newest is an interval old (or from the
// future: the clock went back), prunes, and says when to look again.
func (ab autoBackup) tick(ctx context.Context) time.Duration {
	now := ab.now()
	names := ab.list()
	if len(names) > 0 {
		newest, _ := archiveTime(names[len(names)-1])
		if !newest.After(now) && now.Sub(newest) < ab.every {
			return newest.Add(ab.every).Sub(now)
		}
	}
	path := filepath.Join(ab.dir, store.ArchiveName(now))
	err := os.MkdirAll(ab.dir, 0o700)
	var size int64
	if err == nil {
		size, err = WriteArchiveFile(path, func(w io.Writer) error { return ab.write(ctx, w) })
	}
	if err != nil {
		if ctx.Err() == nil {
			ab.log.Error("daily backup failed", "path", path, "err", err, "retry_in", ab.retry.String())
		}
		return ab.retry
	}
	ab.log.Info("daily backup written", "path", path, "bytes", size)
	ab.prune()
	return ab.every
}

// list names the daily backups in the folder, oldest first (names sort by
// time); other files there are not ours and are left alone.
func (ab autoBackup) list() []string {
	entries, err := os.ReadDir(ab.dir)
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		if _, ok := archiveTime(e.Name()); ok && e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	return names
}

// prune deletes all but the newest keep backups, and the temporary file of
// any backup a crash interrupted.
func (ab autoBackup) prune() {
	names := ab.list()
	for i := 0; i < len(names)-ab.keep; i++ {
		if err := os.Remove(filepath.Join(ab.dir, names[i])); err != nil {
			ab.log.Warn("removing an old backup", "err", err)
		}
	}
	entries, _ := os.ReadDir(ab.dir)
	for _, e := range entries {
		if base, ok := strings.CutSuffix(e.Name(), ".tmp"); ok {
			if _, ours := archiveTime(base); ours {
				os.Remove(filepath.Join(ab.dir, e.Name()))
			}
		}
	}
}

// archiveTime reads the time out of a name store.ArchiveName made.
func archiveTime(name string) (time.Time, bool) {
	stamp, ok := strings.CutPrefix(name, "portal-")
	if !ok {
		return time.Time{}, false
	}
	if stamp, ok = strings.CutSuffix(stamp, ".tar.gz"); !ok {
		return time.Time{}, false
	}
	t, err := time.Parse("20060102-150405", stamp)
	return t, err == nil && store.ArchiveName(t) == name
}
