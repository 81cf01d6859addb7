//go:build !windows

package datafolder

// Protect keeps other users out of the data folder. Outside Windows the
// folder's mode (0700, set when it is made) already does, so it does nothing.
func (d Dir) Protect() error { return nil }
