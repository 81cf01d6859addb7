// Package store is Portal's system of record on bbolt: records, secondary
// indexes with kept counts, the event log (transactional outbox), keys, users
// and settings. Every write goes through one group-commit loop; every read is
// a bbolt read transaction whose values are copied before they escape it.
package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"portal/internal/blobs"
	"portal/internal/thumb"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Mode tells which of the appliance's two stores this is.
type Mode string

// The two stores: live data, and the test store seen by dk_test_ keys.
const (
	Live Mode = "live"
	Test Mode = "test"
)

// Options configures Open.
type Options struct {
	Mode Mode
	// Now is the clock; tests inject one. Defaults to time.Now.
	Now func() time.Time
	// LockTimeout bounds the wait for the file lock held by another process.
	LockTimeout time.Duration
	// Files is the folder of this store's attachment bytes; by default
	// files/<mode> beside the store's file, so live and test never share one.
	Files *blobs.Dir
	// Thumbs makes the attachments' previews; both stores of a process
	// share one so that one picture at a time is decoded. Default: a new one.
	Thumbs *thumb.Maker
}

// ErrLocked means another process has the store open.
var ErrLocked = errors.New("the data folder is in use by another portal process")

// Store is one bbolt file with its write loop. It is safe for concurrent use.
type Store struct {
	db     *bolt.DB
	mode   Mode
	now    func() time.Time
	writes chan *writeReq
	quit   chan struct{}
	done   chan struct{}

	diskErr atomic.Pointer[UnavailableError] // the last commit's disk failure, until one succeeds

	closeOnce sync.Once

	// commitMu guards commitCh, closed and replaced after every commit that
	// appended events, so readers of the log can wait for news without polling.
	commitMu sync.Mutex
	commitCh chan struct{}

	keys  keyCache
	hooks webhookCache

	// pruneMu is held by a prune transaction from before it reads the
	// readers' holds until it commits (see Resume).
	pruneMu sync.RWMutex

	// writing is the actor of the write function running now. Only the
	// writer goroutine (commit) sets or reads it, one function at a time, so
	// the events a function appends name whoever asked for it.
	writing Actor

	dummyOnce sync.Once
	dummy     []byte

	files  *blobs.Dir   // the attachments' bytes (files.go)
	thumbs *thumb.Maker // their previews, one decode at a time
}

// Open opens (creating if needed) the store at path and runs pending migrations.
func Open(path string, opts Options) (*Store, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.LockTimeout == 0 {
		opts.LockTimeout = 2 * time.Second
	}
	if opts.Mode == "" {
		opts.Mode = Live
	}
	if opts.Files == nil {
		opts.Files = blobs.New(filepath.Join(filepath.Dir(path), "files", string(opts.Mode)))
	}
	if opts.Thumbs == nil {
		opts.Thumbs = thumb.New()
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout: opts.LockTimeout,
		// Address space, not memory: a large initial map means a long read
		// transaction never blocks a writer that would otherwise remap.
		InitialMmapSize: 1 << 30,
		FreelistType:    bolt.FreelistMapType,
	})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("%s: %w", path, ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// The file grows in steps of 4 MiB, not bbolt's 16: a shop's file is a
	// few hundred MB at most, and a step is space on disk that holds nothing.
	db.AllocSize = 4 << 20
	s := &Store{
		db:       db,
		mode:     opts.Mode,
		now:      opts.Now,
		writes:   make(chan *writeReq, 1024),
		quit:     make(chan struct{}),
		done:     make(chan struct{}),
		commitCh: make(chan struct{}),
		files:    opts.Files,
		thumbs:   opts.Thumbs,
	}
	if err := migrate(db, nil); err != nil {
		db.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	go s.writeLoop()
	return s, nil
}

// Mode reports whether this is the live or the test store.
func (s *Store) Mode() Mode { return s.mode }

// Close stops the write loop after the writes already queued and closes the file.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.quit)
		<-s.done
		err = s.db.Close()
	})
	return err
}

// Path is the store's file.
func (s *Store) Path() string { return s.db.Path() }

// clock returns the current time in UTC at the API's precision (seconds).
func (s *Store) clock() time.Time { return s.now().UTC().Truncate(time.Second) }

// Committed returns a channel closed at the next commit (of any write):
// the webhook dispatcher and tests wait on it instead of polling.
func (s *Store) Committed() <-chan struct{} {
	s.commitMu.Lock()
	defer s.commitMu.Unlock()
	return s.commitCh
}

func (s *Store) announceCommit() {
	s.commitMu.Lock()
	close(s.commitCh)
	s.commitCh = make(chan struct{})
	s.commitMu.Unlock()
}

// view runs fn in a read transaction. Values read in fn die with it.
func (s *Store) view(fn func(tx *bolt.Tx) error) error { return s.db.View(fn) }
