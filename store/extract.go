package store

import (
	"archive/tar"
	"bufio"
	"io"
	"os"
	"path/filepath"
)

// ExtractArchive verifies an archive as VerifyArchive does while writing
// its files into dir (mode 0600, synced to disk). On error, files already
// written stay in dir for the caller to remove with the folder.
//
// The manifest comes last in an archive, so it takes two passes. The first
// reads only the tar headers and the manifest, writing nothing; it refuses
// an archive whose entries the manifest does not list or whose sizes it
// does not match. Only then does the second pass write, reading each entry
// no further than the manifest's size allows. A damaged or hostile archive
// (a few megabytes of gzip that inflate to gigabytes) therefore never
// fills the disk before its checksum is seen to fail.
func ExtractArchive(r io.ReadSeeker, dir string) (Manifest, error) {
	raw, seen, err := walkArchive(bufio.NewReaderSize(r, readBlock), headerOnly)
	if err != nil {
		return Manifest{}, err
	}
	m, err := parseManifest(raw)
	if err != nil {
		return m, err
	}
	if err := m.check(seen, false); err != nil {
		return m, err
	}
	limits := map[string]int64{}
	for _, f := range m.Files {
		limits[f.Name] = f.Size
	}

	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return m, err
	}
	// The second pass checks the archive against its own manifest again:
	// the file may have changed since the first, and the limits still hold.
	raw, seen, err = walkArchive(bufio.NewReaderSize(r, readBlock), hashEntry(fileSink(dir), limits))
	if err != nil {
		return m, err
	}
	if m, err = parseManifest(raw); err != nil {
		return m, err
	}
	return m, m.check(seen, true)
}

// readBlock is the size of the reads from an archive file (each a syscall).
const readBlock = 256 << 10

// headerOnly describes an entry by its header and leaves its bytes unread.
func headerOnly(hdr *tar.Header, _ *tar.Reader) (ManifestFile, error) {
	return ManifestFile{Name: hdr.Name, Size: hdr.Size}, nil
}

// fileSink creates each file in dir (an attachment's in its folder, see
// archivePath), failing if it exists; done syncs it.
func fileSink(dir string) sink {
	return func(name string) (io.Writer, func() error, error) {
		path := archivePath(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, nil, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, nil, err
		}
		return f, func() error {
			if err := f.Sync(); err != nil {
				f.Close()
				return err
			}
			return f.Close()
		}, nil
	}
}
