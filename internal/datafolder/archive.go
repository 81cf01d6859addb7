package datafolder

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"portal/store"
)

// Backup streams the data folder's archive to w: through the running
// server's admin socket when there is one, else from the stores directly.
// version is the binary's, recorded in the archive's manifest.
func (d Dir) Backup(ctx context.Context, w io.Writer, version string) error {
	if a := d.Admin(); a != nil {
		return a.Download(ctx, "/admin/backup", w)
	}
	// Opening creates what is missing; a backup of nothing is a mistake.
	for _, f := range []string{d.LiveDB(), d.SecretKey()} {
		if _, err := os.Stat(f); err != nil {
			return fmt.Errorf("no portal data to back up in %s: %w", d, err)
		}
	}
	s, err := d.Open(2 * time.Second)
	if err != nil {
		return err
	}
	defer s.Close()
	return s.Archiver(version)(ctx, w)
}

// Archiver writes backups of these open stores, with the folder's seal key;
// version is the binary's, recorded in each archive's manifest.
func (s *Stores) Archiver(version string) func(context.Context, io.Writer) error {
	return func(ctx context.Context, w io.Writer) error {
		_, err := store.WriteArchive(ctx, w, store.ArchiveSource{Live: s.Live, Test: s.Test, KeyFile: s.dir.SecretKey(), Version: version})
		return err
	}
}

// WriteArchiveFile writes an archive to path.tmp (mode 0600), syncs it,
// reads it back through store.VerifyArchive, then renames it to path: a file
// at path is always a whole, checked backup. It returns the file's size.
func WriteArchiveFile(path string, write func(io.Writer) error) (int64, error) {
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
