package store

// Ready reports whether the store can take writes: nil while it is open and
// its last commit reached the disk; ErrClosed once Close began; the
// UnavailableError of a commit that failed for lack of disk, until one
// succeeds again. It does no I/O, so a readiness probe may call it often.
func (s *Store) Ready() error {
	select {
	case <-s.quit:
		return ErrClosed
	default:
	}
	return s.Unavailable()
}
