//go:build !windows

package store

import (
	"errors"
	"syscall"
)

func diskFull(err error, _ string) bool {
	for _, e := range []syscall.Errno{syscall.ENOSPC, syscall.EDQUOT, syscall.EFBIG, syscall.EROFS} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
