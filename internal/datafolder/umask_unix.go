//go:build unix

package datafolder

import "syscall"

// syscallUmask sets the process umask so the admin socket is born private.
func syscallUmask(mask int) int { return syscall.Umask(mask) }
