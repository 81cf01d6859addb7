package store

import (
	"context"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// writeFunc runs inside a shared write transaction. It may run more than once
// (when another write in the same commit fails), so it must derive everything
// from the transaction and assign, never accumulate, its results.
type writeFunc func(tx *bolt.Tx) error

type writeReq struct {
	fn    writeFunc
	actor Actor // who asked (ActorFrom the caller's context): events name them
	done  chan error
}

// maxBatch bounds one commit so a flood of writers still sees steady latency.
const maxBatch = 512

// update queues fn for the next commit and waits until it is durable.
// A failing fn fails alone: the commit is retried without it.
func (s *Store) update(ctx context.Context, fn writeFunc) error {
	if ctx.Value(dryRunKey{}) != nil {
		return s.rehearse(ctx, fn)
	}
	req := &writeReq{fn: fn, actor: ActorFrom(ctx), done: make(chan error, 1)}
	select {
	case s.writes <- req:
	case <-s.quit:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once queued the write may commit, so wait for the verdict even if ctx ends:
	// a caller must never be told "failed" about a write that landed.
	select {
	case err := <-req.done:
		return err
	case <-s.done:
		// The loop has ended. A select with quit closed may still have picked
		// the send above, after the final drain; such a write never ran.
		select {
		case err := <-req.done:
			return err
		default:
			return ErrClosed
		}
	}
}

// writeLoop commits whatever is queued as soon as the previous commit ends:
// one fsync serves every writer that arrived meanwhile, with no batching delay.
func (s *Store) writeLoop() {
	defer close(s.done)
	batch := make([]*writeReq, 0, maxBatch)
	for {
		select {
		case req := <-s.writes:
			batch = append(batch[:0], req)
		case <-s.quit:
			s.drainOnClose()
			return
		}
		s.commit(s.takeQueued(batch))
	}
}

// takeQueued adds to batch what is already queued, up to maxBatch, without waiting.
func (s *Store) takeQueued(batch []*writeReq) []*writeReq {
	for len(batch) < maxBatch {
		select {
		case req := <-s.writes:
			batch = append(batch, req)
		default:
			return batch
		}
	}
	return batch
}

// drainOnClose commits what was queued before Close, in full batches.
func (s *Store) drainOnClose() {
	for {
		batch := s.takeQueued(nil)
		if len(batch) == 0 {
			return
		}
		s.commit(batch)
	}
}

func (s *Store) commit(batch []*writeReq) {
	for len(batch) > 0 {
		failed, failErr := -1, error(nil)
		err := s.db.Update(func(tx *bolt.Tx) error {
			for i, req := range batch {
				s.writing = req.actor
				if err := runSafely(req.fn, tx); err != nil {
					failed, failErr = i, err
					return err
				}
			}
			return nil
		})
		err = s.classifyCommit(err)
		if failed >= 0 && !errors.Is(err, ErrUnavailable) {
			batch[failed].done <- failErr
			batch = append(batch[:failed:failed], batch[failed+1:]...)
			continue
		}
		for _, req := range batch {
			req.done <- err
		}
		if err == nil {
			s.announceCommit()
		}
		return
	}
}

func runSafely(fn writeFunc, tx *bolt.Tx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic in store write: %v", r)
		}
	}()
	return fn(tx)
}
