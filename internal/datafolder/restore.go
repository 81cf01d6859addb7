package datafolder

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"portal/store"
)

// Restored is what a restore put in place and what it kept aside.
type Restored struct {
	Manifest store.Manifest // the archive's
	Replaced []string       // the names moved aside; none when the folder held no data
	KeptIn   string         // where they went
}

// ErrServerRunning is wrapped by every refusal to restore under a server.
var ErrServerRunning = errors.New("stop the server first")

// Restore puts the archive's files in place of the data folder's. It
// verifies the archive completely before it touches the data folder; then
// it moves the current files aside into replaced-<time>/ (never deleting
// them) and renames the restored ones into place, journalled so that a
// crash in between is finished by the next Open or Restore.
func (d Dir) Restore(archive string, now time.Time) (Restored, error) {
	var res Restored
	if d.Admin() != nil {
		return res, fmt.Errorf("%w: a portal server is running on %s (its admin socket answers)", ErrServerRunning, d)
	}
	if err := finishRestore(d); err != nil { // an earlier restore cut short goes first
		return res, err
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
	for _, path := range []string{d.LiveDB(), d.TestDB()} {
		r, err := store.HoldFile(path, time.Second)
		if err != nil {
			return res, fmt.Errorf("%w: %w", ErrServerRunning, err)
		}
		held = append(held, r)
	}

	// The restored files are written beside their destination (the same
	// file system, so the final rename is atomic) and synced.
	staging, err := os.MkdirTemp(string(d), ".restore-")
	if err != nil {
		return res, err
	}
	defer func() {
		// A journal means the files are going in: its staged files must stay
		// for whoever finishes the restore.
		if _, err := os.Lstat(filepath.Join(string(d), restoreJournal)); errors.Is(err, os.ErrNotExist) {
			os.RemoveAll(staging)
		}
	}()
	if res.Manifest, err = store.ExtractArchive(src, staging); err != nil {
		return res, fmt.Errorf("%s: %w; nothing was changed", archive, err)
	}
	for _, name := range []string{store.ArchiveLive, store.ArchiveTest} {
		if _, err := store.CheckFile(filepath.Join(staging, name)); err != nil {
			return res, fmt.Errorf("%s: %w; nothing was changed", archive, err)
		}
	}
	// The staged files folder replaces the current one whole, even empty
	// (an archive from before attachments): a restored store and the files
	// beside it always come from the same backup.
	if err := os.MkdirAll(filepath.Join(staging, filesDir), 0o700); err != nil {
		return res, err
	}
	if err := syncDir(staging); err != nil {
		return res, err
	}
	if runtime.GOOS == "windows" {
		release() // Windows cannot rename over a file that is open; elsewhere the locks are held to the end
	}
	return res, swapIn(d, staging, now, &res)
}

// restoreJournal names the staged files of a restore that is putting them
// in place. It exists only between "everything is verified and kept" and
// "every file is in place", so that a crash in between is finished by the
// next start (or restore) instead of leaving a mix of old and new files —
// an old secret.key beside a restored store would unseal nothing.
const restoreJournal = "restore.journal"

type journal struct {
	Staging string   `json:"staging"` // relative to the data folder
	Files   []string `json:"files"`   // names in the data folder; "files" is the attachments' folder
}

// filesDir is the attachments' folder's name in the data folder and in a
// restore's staging folder.
const filesDir = "files"

// swapIn keeps the current files (hard links into replaced-<time>/, so the
// data folder is never without them), writes the journal, then renames each
// staged file over its current one.
func swapIn(d Dir, staging string, now time.Time, res *Restored) error {
	for _, name := range store.ArchiveFiles {
		current := filepath.Join(string(d), name)
		if _, err := os.Lstat(current); errors.Is(err, os.ErrNotExist) {
			continue
		} else if err != nil {
			return err
		}
		if res.KeptIn == "" {
			kept, err := replacedDir(d, now)
			if err != nil {
				return err
			}
			res.KeptIn = kept
		}
		if err := keepCopy(current, filepath.Join(res.KeptIn, name)); err != nil {
			return fmt.Errorf("keeping %s: %w; nothing was changed", name, err)
		}
		res.Replaced = append(res.Replaced, name)
	}
	if _, err := os.Lstat(filepath.Join(string(d), filesDir)); err == nil {
		if res.KeptIn == "" {
			kept, err := replacedDir(d, now)
			if err != nil {
				return err
			}
			res.KeptIn = kept
		}
		if err := keepTree(filepath.Join(string(d), filesDir), filepath.Join(res.KeptIn, filesDir)); err != nil {
			return fmt.Errorf("keeping the attachment files: %w; nothing was changed", err)
		}
		res.Replaced = append(res.Replaced, filesDir)
	}
	if res.KeptIn != "" {
		if err := syncDir(res.KeptIn); err != nil {
			return err
		}
	}
	rel, err := filepath.Rel(string(d), staging)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(journal{Staging: rel, Files: append(slices.Clone(store.ArchiveFiles), filesDir)})
	if err != nil {
		return err
	}
	if err := writeFileSynced(filepath.Join(string(d), restoreJournal), raw); err != nil {
		return err
	}
	if err := syncDir(string(d)); err != nil {
		return err
	}
	if err := finishRestore(d); err != nil {
		return fmt.Errorf("%w; run the restore again or start the server: either finishes it", err)
	}
	return nil
}

// finishRestore completes a restore whose journal is in the data folder:
// every staged file still there is renamed into place (a rename done before
// a crash is simply not found again), then the journal goes.
func finishRestore(d Dir) error {
	path := filepath.Join(string(d), restoreJournal)
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	var j journal
	if err := json.Unmarshal(raw, &j); err != nil || j.Staging == "" || strings.Contains(j.Staging, "..") {
		return fmt.Errorf("%s is damaged (%v): finish the restore by hand or restore again", path, err)
	}
	staging := filepath.Join(string(d), j.Staging)
	for _, name := range j.Files {
		if filepath.Base(name) != name {
			return fmt.Errorf("%s names %q: finish the restore by hand", path, name)
		}
		from := filepath.Join(staging, name)
		if _, err := os.Lstat(from); errors.Is(err, os.ErrNotExist) {
			continue
		}
		to := filepath.Join(string(d), name)
		if name == filesDir {
			// A folder is not renamed over another: the current one (kept
			// aside by swapIn) goes first. Done twice after a crash, the
			// second removal finds nothing.
			if err := os.RemoveAll(to); err != nil {
				return err
			}
		}
		if err := os.Rename(from, to); err != nil {
			return err
		}
	}
	if err := syncDir(string(d)); err != nil {
		return err
	}
	if err := os.Remove(path); err != nil {
		return err
	}
	os.RemoveAll(staging)
	return syncDir(string(d))
}

// keepCopy puts a second name on the file (or, where links are not
// possible, a synced copy).
func keepCopy(from, to string) error {
	if err := os.Link(from, to); err == nil {
		return nil
	}
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	if err := dst.Sync(); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

// keepTree puts a second name on every file under from, at the same place
// under to (keepCopy: a hard link, or a synced copy).
func keepTree(from, to string) error {
	return filepath.WalkDir(from, func(path string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, path)
		if err != nil {
			return err
		}
		dst := filepath.Join(to, rel)
		if de.IsDir() {
			return os.MkdirAll(dst, 0o700)
		}
		if !de.Type().IsRegular() {
			return nil
		}
		return keepCopy(path, dst)
	})
}

// writeFileSynced writes data to path (mode 0600) and syncs it.
func writeFileSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// replacedDir creates DATA/replaced-YYYYMMDD-HHMMSS (UTC), with a suffix if
// a restore in the same second made one already.
func replacedDir(d Dir, now time.Time) (string, error) {
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
