package store

import (
	"errors"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/windows"
)

// Windows reports a full disk as ERROR_DISK_FULL or ERROR_HANDLE_DISK_FULL;
// but bbolt reports a failed file growth as text (it formats the cause with
// %s), so the volume's free space decides as well.
const (
	errorHandleDiskFull syscall.Errno = 39
	errorDiskFull       syscall.Errno = 112
	lowDiskSpace                      = 64 << 20 // below bbolt's 16 MiB growth step several times over
)

func diskFull(err error, path string) bool {
	if errors.Is(err, errorDiskFull) || errors.Is(err, errorHandleDiskFull) || errors.Is(err, syscall.ENOSPC) ||
		strings.Contains(err.Error(), "not enough space on the disk") {
		return true
	}
	dir, perr := windows.UTF16PtrFromString(filepath.Dir(path))
	if perr != nil {
		return false
	}
	var free, total, totalFree uint64
	return windows.GetDiskFreeSpaceEx(dir, &free, &total, &totalFree) == nil && free < lowDiskSpace
}
