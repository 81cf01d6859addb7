package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"portal/store"
)

// cmdBackup writes one archive of the data folder: through the running
// server's admin socket when there is one, else from the stores directly.
func cmdBackup(args []string) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	data := dataFlag(fs)
	out := fs.String("out", "", "the archive to write (.tar.gz)")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if *out == "" || len(rest) > 0 {
		return usageErr("backup takes --out FILE and no arguments")
	}
	dir := dataDir(*data)
	ctx, stop := signalContext()
	defer stop()
	size, err := writeArchiveFile(*out, func(w io.Writer) error { return dir.backup(ctx, w) })
	if err != nil {
		return err
	}
	fmt.Printf("%s\t%d bytes\n", *out, size)
	return nil
}

// backup streams the data folder's archive to w.
func (d dataDir) backup(ctx context.Context, w io.Writer) error {
	if c := d.adminClient(); c != nil {
		return adminDownload(ctx, c, "/admin/backup", w)
	}
	// Opening creates what is missing; a backup of nothing is a mistake.
	for _, f := range []string{d.live(), d.seal()} {
		if _, err := os.Stat(f); err != nil {
			return fmt.Errorf("no portal data to back up in %s: %w", d, err)
		}
	}
	s, err := d.open(2 * time.Second)
	if err != nil {
		return err
	}
	defer s.Close()
	return s.archiver(d)(ctx, w)
}

// archiver writes backups of these open stores, with the folder's seal key.
func (s *stores) archiver(d dataDir) func(context.Context, io.Writer) error {
	return func(ctx context.Context, w io.Writer) error {
		_, err := store.WriteArchive(ctx, w, store.ArchiveSource{Live: s.live, Test: s.test, KeyFile: d.seal(), Version: version})
		return err
	}
}

// adminDownload copies a file the server streams over the admin socket.
func adminDownload(ctx context.Context, c *http.Client, path string, w io.Writer) error {
	unbounded := *c
	unbounded.Timeout = 0 // a large archive takes as long as it takes; ctx ends it
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://portal"+path, nil)
	if err != nil {
		return err
	}
	resp, err := unbounded.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var env struct {
			Error struct{ Message string } `json:"error"`
		}
		if json.NewDecoder(resp.Body).Decode(&env) == nil && env.Error.Message != "" {
			return errors.New(env.Error.Message)
		}
		return fmt.Errorf("admin socket: %s", resp.Status)
	}
	if _, err := io.Copy(w, resp.Body); err != nil {
		return fmt.Errorf("admin socket: the server broke off the backup: %w", err)
	}
	return nil
}

// writeArchiveFile writes an archive to path.tmp (mode 0600), syncs it,
// reads it back through VerifyArchive, then renames it to path: a file at
// path is always a whole, checked backup. It returns the file's size.
func writeArchiveFile(path string, write func(io.Writer) error) (int64, error) {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return 0, err
	}
	size, err := func() (int64, error) {
		defer f.Close()
		if err := f.Chmod(0o600); err != nil { // O_TRUNC keeps an old file's mode
			return 0, err
		}
		bw := bufio.NewWriterSize(f, 256<<10)
		if err := write(bw); err != nil {
			return 0, err
		}
		if err := bw.Flush(); err != nil {
			return 0, err
		}
		if err := f.Sync(); err != nil {
			return 0, err
		}
		return verifyArchiveFile(tmp)
	}()
	if err != nil {
		os.Remove(tmp)
		return 0, err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return 0, err
	}
	return size, syncDir(filepath.Dir(path))
}

// verifyArchiveFile checks the archive at path and returns its size.
func verifyArchiveFile(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if _, err := store.VerifyArchive(bufio.NewReaderSize(f, 256<<10)); err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// syncDir makes renames and new entries in dir durable. (Windows cannot
// sync a folder, and its renames need not.)
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// signalContext ends at Ctrl+C or SIGTERM, so an interrupted command
// cleans up after itself.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}
