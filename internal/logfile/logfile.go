// Package logfile is a service's log file, rotated by size so it never
// fills the disk (portal.log, then portal.log.1 … portal.log.5, oldest
// last), and a slog handler that also hands each record to the service
// manager's log.
package logfile

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
)

const (
	maxSize = 10 << 20 // bytes in one file
	keep    = 5        // older files kept beside it
)

// File is a log file that rotates by size; it is safe for concurrent use.
type File struct {
	mu   sync.Mutex
	path string
	f    *os.File
	size int64
	max  int64
	keep int
}

// Open opens the log file at path for appending (mode 0600), creating it
// and its folder if need be.
func Open(path string) (*File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	r := &File{path: path, max: maxSize, keep: keep}
	return r, r.open()
}

func (r *File) open() error {
	f, err := os.OpenFile(r.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	r.f, r.size = f, fi.Size()
	return nil
}

// Write appends one log record; a record that would pass the size limit
// goes to a fresh file after the current one moves to .1.
func (r *File) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.size > 0 && r.size+int64(len(p)) > r.max {
		if err := r.rotate(); err != nil {
			return 0, err
		}
	}
	n, err := r.f.Write(p)
	r.size += int64(n)
	return n, err
}

func (r *File) rotate() error {
	if err := r.f.Close(); err != nil {
		return err
	}
	for i := r.keep - 1; i >= 1; i-- {
		os.Rename(r.path+"."+strconv.Itoa(i), r.path+"."+strconv.Itoa(i+1)) // a missing one is fine
	}
	if err := os.Rename(r.path, r.path+".1"); err != nil {
		// Held open elsewhere (Windows, an editor or a virus scanner): keep
		// writing to the current file and try again at the next limit.
		if oerr := r.open(); oerr != nil {
			return oerr
		}
		r.size = 0
		return nil
	}
	return r.open()
}

// Close closes the current file.
func (r *File) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.f.Close()
}

// SystemLog is the part of a service manager's logger (kardianos/service's
// Logger: the Windows event log) that Tee writes to.
type SystemLog interface {
	Error(v ...any) error
	Warning(v ...any) error
	Info(v ...any) error
}

// Tee returns a handler that hands each record to h and also, as a plain
// line at its level, to sys.
func Tee(h slog.Handler, sys SystemLog) slog.Handler {
	return teeHandler{h, sys}
}

type teeHandler struct {
	slog.Handler
	sys SystemLog
}

// Handle writes r to the system's log, then to the wrapped handler.
func (t teeHandler) Handle(ctx context.Context, r slog.Record) error {
	line := r.Message
	r.Attrs(func(a slog.Attr) bool {
		line += " " + a.String()
		return true
	})
	switch {
	case r.Level >= slog.LevelError:
		t.sys.Error(line)
	case r.Level >= slog.LevelWarn:
		t.sys.Warning(line)
	default:
		t.sys.Info(line)
	}
	return t.Handler.Handle(ctx, r)
}

func (t teeHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return teeHandler{t.Handler.WithAttrs(attrs), t.sys}
}

func (t teeHandler) WithGroup(name string) slog.Handler {
	return teeHandler{t.Handler.WithGroup(name), t.sys}
}
