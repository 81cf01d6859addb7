package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"portal/store"
)

// cmdRestore puts a backup archive in place of the data folder's files.
func cmdRestore(args []string) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	data := dataFlag(fs)
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usageErr("restore takes one archive file")
	}
	res, err := restoreArchive(dataDir(*data), rest[0], time.Now())
	if err != nil {
		return err
	}
	m := res.manifest
	fmt.Printf("Restored %s (portal %s, made %s) into %s\n", rest[0], m.PortalVersion,
		m.CreatedAt.Format(time.RFC3339), *data)
	if len(res.replaced) == 0 {
		fmt.Println("Nothing was replaced: the data folder held no data.")
		return nil
	}
	fmt.Printf("Replaced %s; the previous files are kept in %s\n", strings.Join(res.replaced, ", "), res.keptIn)
	return nil
}

type restored struct {
	manifest store.Manifest
	replaced []string // the names moved aside
	keptIn   string   // where they went
}

// errServerRunning is wrapped by every refusal to restore under a server.
var errServerRunning = errors.New("stop the server first")

// restoreArchive verifies the archive completely before it touches the data
// folder; then it moves the current files aside into replaced-<time>/
// (never deleting them) and renames the restored ones into place.
func restoreArchive(d dataDir, archive string, now time.Time) (restored, error) {
	var res restored
	if d.adminClient() != nil {
		return res, fmt.Errorf("%w: a portal server is running on %s (its admin socket answers)", errServerRunning, d)
	}
	src, err := os.Open(archive)
	if err != nil {
		return res, err
	}
	defer src.Close()
	if _, err := os.Stat(string(d)); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(string(d), 0o700); err != nil {
			return res, err
		}
		defer os.Remove(string(d)) // removes it only if the restore failed and left it empty
	}
	// Hold the stores' file locks while verifying, so no server starts on
	// them meanwhile; a running server already holds them.
	var held []func()
	release := func() {
		for _, r := range held {
			r()
		}
		held = nil
	}
	defer release()
	for _, path := range []string{d.live(), d.test()} {
		r, err := store.HoldFile(path, time.Second)
		if err != nil {
			return res, fmt.Errorf("%w: %w", errServerRunning, err)
		}
		held = append(held, r)
	}

	// The restored files are written beside their destination (the same
	// file system, so the final rename is atomic) and synced.
	staging, err := os.MkdirTemp(string(d), ".restore-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(staging)
	if res.manifest, err = store.ExtractArchive(bufio.NewReaderSize(src, 256<<10), staging); err != nil {
		return res, fmt.Errorf("%s: %w; nothing was changed", archive, err)
	}
	for _, name := range []string{store.ArchiveLive, store.ArchiveTest} {
		if _, err := store.CheckFile(filepath.Join(staging, name)); err != nil {
			return res, fmt.Errorf("%s: %w; nothing was changed", archive, err)
		}
	}
	if err := syncDir(staging); err != nil {
		return res, err
	}
	release() // before the renames: Windows cannot rename a file that is open
	return res, swapIn(d, staging, now, &res)
}

// swapIn moves the data folder's files aside and the staged ones into
// place; if a step fails, the steps already done are undone.
func swapIn(d dataDir, staging string, now time.Time, res *restored) error {
	var done [][2]string
	move := func(from, to string) error {
		if err := os.Rename(from, to); err != nil {
			return err
		}
		done = append(done, [2]string{from, to})
		return nil
	}
	undo := func(cause error) error {
		for i := len(done) - 1; i >= 0; i-- {
			if err := os.Rename(done[i][1], done[i][0]); err != nil {
				return fmt.Errorf("%w; undoing it failed too (%v): the data folder's previous files are in %s", cause, err, res.keptIn)
			}
		}
		if res.keptIn != "" {
			os.Remove(res.keptIn)
		}
		res.replaced, res.keptIn = nil, ""
		return fmt.Errorf("%w; nothing was changed", cause)
	}

	for _, name := range store.ArchiveFiles {
		current := filepath.Join(string(d), name)
		if _, err := os.Lstat(current); errors.Is(err, os.ErrNotExist) {
			continue
		} else if err != nil {
			return undo(err)
		}
		if res.keptIn == "" {
			kept, err := replacedDir(d, now)
			if err != nil {
				return err
			}
			res.keptIn = kept
		}
		if err := move(current, filepath.Join(res.keptIn, name)); err != nil {
			return undo(err)
		}
		res.replaced = append(res.replaced, name)
	}
	for _, name := range store.ArchiveFiles {
		if err := move(filepath.Join(staging, name), filepath.Join(string(d), name)); err != nil {
			return undo(err)
		}
	}
	if res.keptIn != "" {
		if err := syncDir(res.keptIn); err != nil {
			return err
		}
	}
	return syncDir(string(d))
}

// replacedDir creates DATA/replaced-YYYYMMDD-HHMMSS (UTC), with a suffix if
// a restore in the same second made one already.
func replacedDir(d dataDir, now time.Time) (string, error) {
	base := filepath.Join(string(d), "replaced-"+now.UTC().Format("20060102-150405"))
	dir := base
	for i := 2; ; i++ {
		err := os.Mkdir(dir, 0o700)
		if err == nil {
			return dir, nil
		}
		if !errors.Is(err, os.ErrExist) || i > 100 {
			return "", err
		}
		dir = fmt.Sprintf("%s-%d", base, i)
	}
}
