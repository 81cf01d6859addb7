package store

import (
	"context"
	"errors"
	"io/fs"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ErrUnavailable means a write could not be made durable because the data
// folder is full or not writable. Nothing of that write happened (bbolt
// rolled it back); the store keeps serving reads and takes writes again as
// soon as the disk does.
var ErrUnavailable = errors.New("the data folder is full or not writable")

// UnavailableError carries the OS's reason.
type UnavailableError struct{ Err error }

func (e *UnavailableError) Error() string { return ErrUnavailable.Error() + ": " + e.Err.Error() }
func (e *UnavailableError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrUnavailable) hold.
func (e *UnavailableError) Is(target error) bool { return target == ErrUnavailable }

// classifyCommit turns a failed commit caused by the disk into an
// UnavailableError and remembers it until a commit succeeds again.
func (s *Store) classifyCommit(err error) error {
	if err == nil {
		s.diskErr.Store(nil)
		return nil
	}
	if diskFull(err, s.db.Path()) || errors.Is(err, fs.ErrPermission) {
		u := &UnavailableError{Err: err}
		if s.diskErr.Swap(u) == nil {
			go s.probeDisk()
		}
		return u
	}
	return err
}

// diskProbeEvery is how often a store that the disk refused tries a small
// write of its own.
const diskProbeEvery = 2 * time.Second

var keyDiskProbe = []byte("disk_probe")

// probeDisk retries a tiny write while the disk refuses writes, so that the
// store reports itself ready again once there is room, even when nobody
// else writes (a readiness probe would otherwise keep traffic away forever).
func (s *Store) probeDisk() {
	t := time.NewTicker(diskProbeEvery)
	defer t.Stop()
	for s.Unavailable() != nil {
		select {
		case <-s.quit:
			return
		case <-t.C:
		}
		s.update(context.Background(), func(tx *bolt.Tx) error {
			return tx.Bucket(bucketMeta).Put(keyDiskProbe, itob(uint64(s.now().Unix())))
		})
	}
}

// Unavailable reports why the last commit failed for lack of disk, or nil
// when writes work (readiness checks use it).
func (s *Store) Unavailable() error {
	if u := s.diskErr.Load(); u != nil {
		return u
	}
	return nil
}
